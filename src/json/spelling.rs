//! Spellings of open-enum values that came other than documented (`"SUCCESS"` for
//! `success`), kept so that write-back gives back what was sent.
//!
//! An open enum recognises a case variant as its known value, and the value holds no text;
//! the field of a wire object declared `[name_spelling]` keeps the text beside it. The enum
//! cannot reach that field, so the text passes through one slot per thread: emptied before
//! the field is read, filled by the enum when the text is a case variant, emptied after.

use std::cell::RefCell;

thread_local! {
    static LAST: RefCell<Option<Box<str>>> = const { RefCell::new(None) };
}

/// The text of a value that came other than documented, when it did (one pointer: nearly
/// always `None`).
pub type Spelling = Option<Box<Box<str>>>;

/// Called by an open enum that recognised `text` as a case variant of a known value.
pub(crate) fn note(text: &str) {
    // `try_with`: in a thread-local's drop the slot may be gone; the value is kept, its
    // spelling not.
    let _ = LAST.try_with(|last| *last.borrow_mut() = Some(text.into()));
}

/// Empties the slot before a spelled field is read.
pub(crate) fn forget() {
    let _ = LAST.try_with(|last| last.borrow_mut().take());
}

/// Takes what the field just read left in the slot.
pub(crate) fn take() -> Spelling {
    LAST.try_with(|last| last.borrow_mut().take())
        .ok()
        .flatten()
        .map(Box::new)
}

/// The kept spelling of a field's value, when it still spells the value the field holds (a
/// value changed since it was read is written in its documented spelling).
pub(crate) fn respelled<'a, T>(field: &Option<T>, spelling: &'a Spelling) -> Option<&'a str>
where
    T: PartialEq + for<'t> From<&'t str>,
{
    let text: &str = spelling.as_deref()?;
    (field.as_ref() == Some(&T::from(text))).then_some(text)
}

/// Reads a field of a wire object, keeping its spelling when it is declared with one.
macro_rules! fill_field {
    ($fields:ident, $place:expr) => {
        $fields.fill_value(&mut $place)?
    };
    ($fields:ident, $place:expr, $spelling:expr) => {{
        $crate::json::spelling::forget();
        let present = $fields.fill_value(&mut $place)?;
        $spelling = $crate::json::spelling::take();
        present
    }};
}

/// Writes a field of a wire object, in its kept spelling when it has one.
macro_rules! write_field {
    ($map:ident, $wire:expr, $place:expr) => {
        $map.serialize_entry($wire, &$place)?
    };
    ($map:ident, $wire:expr, $place:expr, $spelling:expr) => {
        match $crate::json::spelling::respelled(&$place, &$spelling) {
            Some(text) => $map.serialize_entry($wire, text)?,
            None => $map.serialize_entry($wire, &$place)?,
        }
    };
}

pub(crate) use {fill_field, write_field};
