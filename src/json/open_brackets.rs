//! The brackets a skipped value is inside.

/// The arrays and objects a skip is inside, innermost last: a bit each for the first 128
/// (the nesting limit of every reader the crate uses), so that stepping over a nested value
/// allocates nothing; a list beyond, where no limit applies.
#[derive(Default)]
pub(super) struct OpenBrackets {
    /// Bit `n` set when the `n`th one open is an object.
    objects: u128,
    len: usize,
    deeper: Vec<bool>,
}

impl OpenBrackets {
    pub(super) fn push(&mut self, object: bool) {
        match self.len {
            0..128 => {
                self.objects = self.objects & !(1 << self.len) | u128::from(object) << self.len
            }
            _ => self.deeper.push(object),
        }
        self.len += 1;
    }

    /// Whether the innermost one open is an object; `None` when none is.
    pub(super) fn last(&self) -> Option<bool> {
        match self.len {
            0 => None,
            1..=128 => Some(self.objects >> (self.len - 1) & 1 == 1),
            _ => self.deeper.last().copied(),
        }
    }

    pub(super) fn pop(&mut self) {
        if self.len > 128 {
            self.deeper.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_brackets_keep_their_kind_past_the_bits() {
        let kinds: Vec<bool> = (0..300).map(|n| n % 3 == 0).collect();
        let mut open = OpenBrackets::default();
        for &object in &kinds {
            open.push(object);
            assert_eq!(open.last(), Some(object));
        }
        for (depth, &object) in kinds.iter().enumerate().rev() {
            assert_eq!(open.len(), depth + 1);
            assert_eq!(open.last(), Some(object));
            open.pop();
        }
        assert_eq!(open.last(), None);
    }
}
