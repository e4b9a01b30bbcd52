//! The unknown fields of an object whose shape is not known yet, kept as their text.

use std::cell::Cell;

/// Unknown fields as text, in order: every key and value in one buffer. The buffers are
/// lent by the thread and given back when the fields are cleared or dropped, so that
/// keeping the fields of object after object (a batch's, a journal page's) allocates nothing
/// once the buffers have grown.
#[derive(Default)]
pub(super) struct UnknownFields {
    /// The keys and values one after the other.
    text: String,
    /// Where each key ends and its value ends, in `text`.
    ends: Vec<(usize, usize)>,
}

impl UnknownFields {
    pub(super) fn push(&mut self, key: &str, value: &str) {
        if self.ends.capacity() == 0 {
            // Fresh buffers when the thread's are gone (a parse in a thread-local's drop).
            (self.text, self.ends) = SPARE.try_with(Cell::take).unwrap_or_default();
        }
        self.text.push_str(key);
        let key_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((key_end, self.text.len()));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Forgets the fields, giving the buffers back to the thread: an emptied object owns no
    /// heap (the scratch object of a batch is never dropped).
    pub(super) fn clear(&mut self) {
        if self.ends.capacity() == 0 {
            return;
        }
        let (mut text, mut ends) = (
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.ends),
        );
        if text.capacity() + ends.capacity() * size_of::<(usize, usize)>() <= SPARE_LIMIT {
            text.clear();
            ends.clear();
            let _ = SPARE.try_with(|spare| spare.set((text, ends)));
        }
    }

    /// The fields in order, as `(key, value text)`.
    pub(super) fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator + '_ {
        (0..self.ends.len()).map(|index| {
            // A field starts where the one before it ends.
            let start = index.checked_sub(1).map_or(0, |before| self.ends[before].1);
            let (key_end, value_end) = self.ends[index];
            (
                self.text.get(start..key_end).unwrap_or_default(),
                self.text.get(key_end..value_end).unwrap_or_default(),
            )
        })
    }

    /// The value text of the last field named `key`.
    pub(super) fn last(&self, key: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }
}

impl Drop for UnknownFields {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Above this many bytes together, the buffers are freed rather than kept for the next
/// object (after a body of many unknown fields).
const SPARE_LIMIT: usize = 64 * 1024;

thread_local! {
    /// The buffers between two objects.
    static SPARE: Cell<(String, Vec<(usize, usize)>)> = const { Cell::new((String::new(), Vec::new())) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_back_in_order_and_the_last_of_a_key_wins() {
        let mut fields = UnknownFields::default();
        fields.push("a", "1");
        fields.push("", "{}");
        fields.push("a", r#""two""#);
        let all: Vec<_> = fields.iter().collect();
        assert_eq!(all, [("a", "1"), ("", "{}"), ("a", r#""two""#)]);
        assert_eq!(fields.last("a"), Some(r#""two""#));
        assert_eq!(fields.iter().rev().nth(1), Some(("", "{}")));
        assert_eq!(fields.last("b"), None);
        fields.clear();
        assert!(fields.is_empty() && fields.iter().next().is_none());
        assert_eq!(fields.text.capacity(), 0, "the buffers went back");
        let mut next = UnknownFields::default();
        next.push("b", "2");
        assert!(
            next.text.capacity() >= 6,
            "the spare buffers are lent again"
        );
        assert_eq!(next.iter().collect::<Vec<_>>(), [("b", "2")]);
    }

    #[test]
    fn many_fields_are_not_kept_for_the_thread() {
        let mut fields = UnknownFields::default();
        // Little text, many fields: the list of ends is what grows.
        for _ in 0..(SPARE_LIMIT / 16) {
            fields.push("", "0");
        }
        fields.clear();
        let (text, ends) = SPARE.take();
        assert_eq!((text.capacity(), ends.capacity()), (0, 0));
    }
}
