//! Filling lists in place, element by element, from the crate's reader or from serde.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::Deserializer;

use super::fields::{Fill, FillSeed};
use super::reader::{Reader, Rejected};

impl<'de, T: Fill<'de> + Default> Fill<'de> for Vec<T> {
    #[inline(never)]
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(ListFill(place))
    }

    #[inline(never)]
    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        fill_list_direct(place, reader, |_| Ok(false))
    }
}

/// Fills `list` from the array the reader stands at (`Ok(false)` for `null`), straight from
/// the crate's reader. Each element is offered to `elsewhere` first, which reads it and says
/// `true` when it kept it in a place of its own (a message list's first message), or reads
/// nothing and says `false`.
#[inline(always)]
pub(crate) fn fill_list_direct<'de, T: Fill<'de> + Default>(
    list: &mut Vec<T>,
    reader: &mut Reader<'de>,
    mut elsewhere: impl FnMut(&mut Reader<'de>) -> Result<bool, Rejected>,
) -> Result<bool, Rejected> {
    if reader.null()? {
        return Ok(false);
    }
    reader.array(|mut elements| {
        let mut scratch = None;
        while let Some(reader) = elements.next()? {
            if !elsewhere(reader)? {
                fill_element(list, &mut scratch, reader)?;
            }
        }
        finish_list(list, scratch);
        Ok(())
    })?;
    Ok(true)
}

/// Reads the element the reader stands at onto the end of `list`, in its place or through
/// `scratch` (see [`fills_in_place`]); a `null` element is skipped. [`finish_list`] ends the
/// list once the last element has been read.
#[inline(always)]
fn fill_element<'de, T: Fill<'de> + Default>(
    list: &mut Vec<T>,
    scratch: &mut Option<T>,
    reader: &mut Reader<'de>,
) -> Result<(), Rejected> {
    if fills_in_place::<T>(list) {
        grow_exact(list);
        // Made in its place: `push(T::default())` made it aside and copied it.
        list.resize_with(list.len() + 1, T::default);
        let last = list.len() - 1;
        if !T::fill_direct(&mut list[last], reader)? {
            // A `null` element left the default as it was: no heap to drop.
            std::mem::forget(list.pop());
        }
    } else if T::fill_direct(scratch.get_or_insert_with(T::default), reader)? {
        push_scratch(list, scratch);
    }
    Ok(())
}

/// Fills `list` with the elements `next` reads into a scratch value (`Some(false)` for a
/// `null` element, `None` after the last). `next` puts a default value in the scratch slot
/// (`get_or_insert_with`) only when there is an element to read. Serde's sequences come this
/// way, as they say whether there is an element only by reading it; the crate's reader says so
/// first, and fills small elements in place (see [`fills_in_place`]).
///
/// Each element is filled in the scratch value, then moved once: pushing a default and
/// popping it at the end would grow the list past its length for nothing. Taking it out of
/// an `Option` leaves only the `None` mark behind, where `mem::take` wrote a whole default
/// value back (for a message, 1.5 KB) that the next element, or nothing, would use. A `null`
/// element is skipped rather than turned into an empty string or object.
///
/// The list ends as long as it is (the parsed model keeps no spare room): short lists, the
/// usual case, grow one place at a time, long ones double and are trimmed once.
fn fill_list<T: Default, E>(
    list: &mut Vec<T>,
    mut next: impl FnMut(&mut Option<T>) -> Result<Option<bool>, E>,
) -> Result<(), E> {
    let mut scratch = None;
    while let Some(present) = next(&mut scratch)? {
        if present {
            push_scratch(list, &mut scratch);
        }
    }
    finish_list(list, scratch);
    Ok(())
}

/// Whether the crate's reader fills the next element of `list` in its place in the list
/// rather than in a scratch value: when the list's block after growing stays below 1 KB.
///
/// In place, an element is written once instead of being copied twice more (scratch, then
/// list). But the list's block is then requested before the element's strings rather than
/// after, and glibc's `malloc` merges all its small free blocks first (`malloc_consolidate`)
/// when a request of 1 KB or more finds any: the strings freed by the previous parse, which
/// the element's own strings would have taken. For a message (1.5 KB) or a second activity
/// (1.8 KB), that merging costs more than the copies (callgrind: 3% more instructions on the
/// success event when every list filled in place).
fn fills_in_place<T>(list: &[T]) -> bool {
    size_of::<T>() * (list.len() + 1) < 1024
}

/// Moves a filled scratch element to the end of `list`, once the list has room for it: taken
/// only then, it goes straight to its place, with no stop on the stack on the way.
fn push_scratch<T>(list: &mut Vec<T>, scratch: &mut Option<T>) {
    grow_exact(list);
    if let Some(element) = scratch.take() {
        list.push(element);
    }
}

/// Ends a list filled through `scratch`, once its last element has been read. (On an error
/// the scratch is dropped as usual instead: it may hold an element filled half way.)
///
/// Every element has been moved out, and a `null` one leaves the scratch as it was: what is
/// left is nothing or a default value, which owns no heap. Dropping it would walk `T`'s
/// whole drop code, a copy of the code the caller runs again on the result: the parse would
/// carry two copies through the instruction cache (callgrind: 6% more misses;
/// `tests/no_leaks.rs` holds the claim to the truth).
fn finish_list<T>(list: &mut Vec<T>, scratch: Option<T>) {
    std::mem::forget(scratch);
    trim(list);
}

/// Up to this many elements, a list read from the wire grows one place at a time.
const EXACT_GROWTH_LIMIT: usize = 16;

/// Makes room for one more element at the end of a full `list`: a short one grows by exactly
/// one place, so that it holds no spare room; a long one grows the usual way (by doubling).
///
/// The one-place growth takes a new allocation and moves the elements, rather than calling
/// `realloc`: glibc's `realloc` of a small block takes a slower path than a fresh allocation
/// (measured with callgrind, about 2.5 times an allocation and a free).
fn grow_exact<T>(list: &mut Vec<T>) {
    if list.len() == list.capacity() && list.len() < EXACT_GROWTH_LIMIT {
        let mut grown = Vec::with_capacity(list.len() + 1);
        grown.append(list);
        *list = grown;
    }
}

/// Gives back the spare room of a list that grew by doubling.
pub(crate) fn trim<T>(list: &mut Vec<T>) {
    if list.capacity() > list.len() {
        list.shrink_to_fit();
    }
}

/// Fills a list element by element.
pub(crate) struct ListFill<'a, T>(pub(crate) &'a mut Vec<T>);

impl<'de, T: Fill<'de> + Default> Visitor<'de> for ListFill<'_, T> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        fill_list(self.0, |scratch| {
            seq.next_element_seed(FillSeed(scratch.get_or_insert_with(T::default)))
        })?;
        Ok(true)
    }
}
