//! Shape 5, the batch (`webhook_batch`: a JSON array of envelopes, CloudEvents and bare
//! runs), and the reading of a whole body, object or array, one top-level object at a time.

use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::item::{read_item, Item};
use super::path::{NotFound, Path, Step};
use super::Route;
use crate::json::{from_body, scalars_give, Reader, Rejected, SerdeFields};
use crate::Error;

/// Reads a body and hands each top-level object (the body itself, or each element of a
/// batch) to `handle` as soon as it is read, with its path; `None` stands for a value that is
/// no object. Elements are handled one at a time in one scratch [`Item`], so a batch of many
/// small objects never holds more than one unclassified object, and a body that fails
/// stops at the first element that is no notification. The error for such an element says
/// what stood there when `describe` is set (it reads the body once more).
pub(super) fn read<F>(route: Route, body: &[u8], describe: bool, mut handle: F) -> Result<(), Error>
where
    F: FnMut(Option<&mut Item>, &Path<'_>, Option<&str>) -> Result<(), NotFound>,
{
    let stopped = Cell::new(None);
    // Emptied after a body read in full, the item owns no heap and is not dropped (see
    // `Item::discard`). Held in `ManuallyDrop` from the start rather than moved into
    // `discard` at the end: that move copied all of it (2.9 KB then, 4.5 KB now).
    let mut item = ManuallyDrop::new(Item::default());
    let seed = BodySeed {
        item: &mut item,
        handle: &mut handle,
        stopped: &stopped,
    };
    let fast = |reader: &mut Reader<'_>| match route {
        Route::Direct => seed.read_direct(reader),
        #[cfg(test)]
        Route::Serde => seed.deserialize(reader),
    };
    let read = from_body::<_, SlowBody>(body, fast, || {
        stopped.take().map(|missing: NotFound| match describe {
            true => missing.into_error(body),
            false => missing.with_found(String::new()),
        })
    });
    if read.is_ok() {
        item.clear();
    } else {
        drop(ManuallyDrop::into_inner(item));
    }
    read
}

/// Reads a whole body, handing each top-level object to `handle` (see [`read`]).
pub(super) struct BodySeed<'a, F> {
    /// The scratch object, borrowed: the seed is passed by value through serde's layers, and
    /// an object 4.5 KB large would be copied at each.
    pub(super) item: &'a mut Item,
    pub(super) handle: &'a mut F,
    /// Set when `handle` refused an object; the read then stops with a placeholder error.
    pub(super) stopped: &'a Cell<Option<NotFound>>,
}

impl<F> BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>, Option<&str>) -> Result<(), NotFound>,
{
    /// Reads a body straight from the crate's reader: the fast path of [`from_body`], the
    /// same reading as the serde one (which the slow path uses). Objects and batches are read
    /// directly; any other body goes through the same visitor as before.
    pub(super) fn read_direct<'de>(mut self, reader: &mut Reader<'de>) -> Result<(), Rejected> {
        let start = reader.value_start();
        match reader.peek() {
            Some(b'{') => {
                reader.object(|fields| read_item(self.item, fields))?;
                self.handle(true, &Path::Root, Some(reader.text_from(start)))
            }
            Some(b'[') => reader.array(|mut elements| {
                self.each_element(|item| {
                    let Some(reader) = elements.next()? else {
                        return Ok(None);
                    };
                    let start = reader.value_start();
                    let is_object = if reader.peek() == Some(b'{') {
                        reader.object(|fields| read_item(item, fields))?;
                        true
                    } else {
                        ElementSeed(item).deserialize(&mut *reader)?
                    };
                    Ok(Some((is_object, Some(reader.text_from(start)))))
                })
            }),
            _ => self.deserialize(reader),
        }
    }

    /// Reads the elements of a batch one at a time into the scratch item, with `next`
    /// (which says whether the element was an object, with its text when the reader gives
    /// it, or `None` after the last), handing each to the handler.
    fn each_element<'t, E: de::Error>(
        &mut self,
        mut next: impl FnMut(&mut Item) -> Result<Option<(bool, Option<&'t str>)>, E>,
    ) -> Result<(), E> {
        let mut index = 0;
        let mut used = false;
        loop {
            if used {
                // The handler took what it needed; the rest must not leak into the next.
                self.item.clear();
            }
            let Some((is_object, text)) = next(self.item)? else {
                return Ok(());
            };
            self.handle(is_object, &Path::Root.child(Step::Index(index)), text)?;
            used = is_object;
            index += 1;
        }
    }

    /// Hands the scratch item (when the value read was an object) to the handler, with the
    /// value's text when the reader gives it.
    fn handle<E: de::Error>(
        &mut self,
        is_object: bool,
        path: &Path<'_>,
        text: Option<&str>,
    ) -> Result<(), E> {
        let element = if is_object {
            Some(&mut *self.item)
        } else {
            None
        };
        (self.handle)(element, path, text).map_err(|missing| {
            self.stopped.set(Some(missing));
            E::custom("no flow-run notification")
        })
    }
}

impl<'de, F> DeserializeSeed<'de> for BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>, Option<&str>) -> Result<(), NotFound>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F> Visitor<'de> for BodySeed<'_, F>
where
    F: FnMut(Option<&mut Item>, &Path<'_>, Option<&str>) -> Result<(), NotFound>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        read_item(self.item, SerdeFields::new(map))?;
        self.handle(true, &Path::Root, None)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.each_element(|item| {
            let element = seq.next_element_seed(ElementSeed(item))?;
            Ok(element.map(|is_object| (is_object, None)))
        })
    }

    fn visit_bool<E: de::Error>(mut self, _: bool) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }

    fn visit_i64<E: de::Error>(mut self, _: i64) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }

    fn visit_u64<E: de::Error>(mut self, _: u64) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }

    fn visit_f64<E: de::Error>(mut self, _: f64) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }

    fn visit_str<E: de::Error>(mut self, _: &str) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.handle(false, &Path::Root, None)
    }
}

/// The slow path's reader (see [`from_body`]): the same reading, every object accepted, so
/// that it stops at the same data error as the fast path, now with its path.
pub(super) struct SlowBody;

impl<'de> Deserialize<'de> for SlowBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stopped = Cell::new(None);
        let mut accept = |_: Option<&mut Item>, _: &Path<'_>, _: Option<&str>| Ok(());
        BodySeed {
            item: &mut Item::default(),
            handle: &mut accept,
            stopped: &stopped,
        }
        .deserialize(deserializer)
        .map(|()| SlowBody)
    }
}

/// Reads one value into `item` when it is an object (`true`); skips anything else (`false`).
pub(super) struct ElementSeed<'a>(pub(super) &'a mut Item);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        read_item(self.0, SerdeFields::new(map)).map(|()| true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| false)
    }

    scalars_give!(false);
}
