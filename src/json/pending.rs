//! The unknown fields of the objects being read, until each object ends.

use std::cell::RefCell;

use super::extra::Extra;
use super::field::Field;

thread_local! {
    /// The fields of every object open on this thread, the innermost last: an object
    /// nested in another is read, and takes its fields, before the outer one goes on.
    static PENDING: RefCell<Vec<Field>> = const { RefCell::new(Vec::new()) };
}

/// The unknown fields of one object while it is read: kept on the thread's stack and moved
/// into the object's [`Extra`] when it ends, in one block of the right size (a field added
/// to the map as it came cost a new block of the list each). Dropped without
/// [`Pending::finish`] (the object failed), its fields go.
pub(crate) struct Pending {
    state: State,
}

enum State {
    /// No field yet: nothing to do at the end (most objects), and the thread's stack not
    /// touched (a wire object's read starts one of these for each object).
    Empty,
    /// The object's fields start at this place of the thread's stack. The place is taken at
    /// the first field: the objects nested before it have taken theirs off by then.
    On(usize),
    /// The thread's stack is gone (a parse in a thread-local's drop): the fields wait here.
    Own(Vec<Field>),
}

impl Pending {
    /// Starts the fields of an object.
    #[inline]
    pub(crate) fn start() -> Pending {
        Pending {
            state: State::Empty,
        }
    }

    /// Adds a field.
    pub(crate) fn push(&mut self, field: Field) {
        match &mut self.state {
            State::On(_) => PENDING.with(|pending| pending.borrow_mut().push(field)),
            State::Own(own) => own.push(field),
            State::Empty => match PENDING.try_with(|pending| pending.borrow().len()) {
                Ok(mark) => {
                    PENDING.with(|pending| pending.borrow_mut().push(field));
                    self.state = State::On(mark);
                }
                Err(_) => self.state = State::Own(vec![field]),
            },
        }
    }

    /// Moves the object's fields into `extra`, after those it holds.
    #[inline]
    pub(crate) fn finish(mut self, extra: &mut Extra) {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Empty => {}
            State::Own(own) => extra.extend_fields(own.into_iter()),
            State::On(mark) => PENDING.with(|pending| {
                let mut pending = pending.borrow_mut();
                if pending.len() > mark {
                    extra.extend_fields(pending.drain(mark..));
                }
                free_if_large(&mut pending);
            }),
        }
    }
}

impl Drop for Pending {
    #[inline]
    fn drop(&mut self) {
        if let State::On(mark) = self.state {
            let _ = PENDING.try_with(|pending| {
                let mut pending = pending.borrow_mut();
                if pending.len() > mark {
                    pending.truncate(mark);
                    free_if_large(&mut pending);
                }
            });
        }
    }
}

/// Above this many fields of room, the stack is freed once empty (after a body of many
/// unknown fields), rather than kept for the thread.
const KEPT_ROOM: usize = 256;

fn free_if_large(pending: &mut Vec<Field>) {
    if pending.is_empty() && pending.capacity() > KEPT_ROOM {
        *pending = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Field {
        Field::of_text(name, "1").unwrap()
    }

    #[test]
    fn nested_objects_take_their_own_fields_and_failed_ones_leave_none() {
        let (mut outer_extra, mut inner_extra) = (Extra::new(), Extra::new());
        let mut outer = Pending::start();
        outer.push(field("a"));
        {
            let mut failed = Pending::start();
            failed.push(field("lost"));
        }
        let mut inner = Pending::start();
        inner.push(field("b"));
        inner.finish(&mut inner_extra);
        outer.push(field("c"));
        outer.finish(&mut outer_extra);
        assert_eq!(outer_extra.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(inner_extra.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(PENDING.with(|pending| pending.borrow().len()), 0);
    }
}
