//! The private JSON engine: the reader, the traits that fill values in place through it or
//! through serde, list filling, and the macros that declare wire objects and open enums.
//!
//! It knows no model type: the model declares its types with [`wire_object!`] and
//! [`open_enum!`], and the shapes drive the reading.

mod body;
pub mod extra;
mod field;
mod fields;
#[cfg(feature = "webhook")]
mod is_array;
mod list;
mod members;
mod number;
mod object;
mod open_brackets;
mod open_enum;
mod ordered;
mod pending;
pub(crate) mod rare;
pub(crate) mod reader;
pub(crate) mod spelling;
pub(crate) mod well_known;

pub(crate) use body::from_body;
pub(crate) use fields::{
    duplicate, fill_by_value, read_field, scalars_give, unique_keys, unknown_field, Absent, Direct,
    Fields, Fill, Hook, Key, NoHook, SerdeFields,
};
#[cfg(feature = "webhook")]
pub(crate) use is_array::IsArray;
pub(crate) use list::fill_list_direct;
pub(crate) use members::object_members;
pub(crate) use number::{parse_integer, WireInt};
pub(crate) use object::{fill_object, fill_object_direct, wire_object, ObjectFill, WireObject};
pub(crate) use open_enum::open_enum;
pub(crate) use ordered::Ordered;
pub(crate) use pending::Pending;
pub(crate) use reader::{Reader, Rejected};
