//! JSON paths, and the error for valid JSON that holds no flow run where one was expected,
//! which says what stood there instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::Value;

use crate::json::Key;
use crate::Error;

/// What was expected where no flow run was found, for the error message.
pub(super) const NOTIFICATION: &str = "a flow-run notification";
pub(super) const SINGLE_SHAPE: &str =
    "a flow-run notification of one shape (envelope, CloudEvent, journal page or message list)";
pub(super) const NOT_A_LIST: &str =
    "a flow-run notification (a Flow Service run list is read with parse_runs)";
pub(super) const RUN: &str = "a flow run";
pub(super) const CLOUD_EVENT: &str = "a CloudEvent with a flow run in `data`";
pub(super) const RUN_OR_LIST: &str =
    "a flow run or a Flow Service run list (deliveries are read with parse_notifications)";

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    Key(&'static str),
    Index(usize),
}

/// A JSON path, kept on the stack while a body is classified and written out only for an
/// error.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Child(&'a Path<'a>, Step),
}

impl<'a> Path<'a> {
    pub(super) fn child(&'a self, step: Step) -> Path<'a> {
        Path::Child(self, step)
    }

    pub(super) fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut at = self;
        while let Path::Child(parent, step) = at {
            steps.push(*step);
            at = parent;
        }
        steps.reverse();
        steps
    }
}

/// Valid JSON without a flow run where one was expected; [`NotFound::into_error`] reads the
/// body again to say what was there instead.
#[derive(Clone)]
pub(super) struct NotFound {
    path: Vec<Step>,
    expected: &'static str,
}

impl NotFound {
    pub(super) fn at(path: &Path<'_>, expected: &'static str) -> Self {
        NotFound {
            path: path.steps(),
            expected,
        }
    }

    /// The same finding, for an object that stands at `parent` + its own path.
    pub(super) fn under(mut self, parent: &Path<'_>) -> Self {
        let mut path = parent.steps();
        path.append(&mut self.path);
        self.path = path;
        self
    }

    pub(super) fn into_error(self, body: &[u8]) -> Error {
        let found = describe(body, &self.path);
        self.with_found(found)
    }

    /// The same, for a body already read as a value.
    pub(super) fn into_error_in(self, body: &Value) -> Error {
        let found = Describe { path: &self.path }
            .deserialize(body)
            .ok()
            .flatten()
            .unwrap_or_else(|| "nothing".to_owned());
        self.with_found(found)
    }

    pub(super) fn with_found(self, found: String) -> Error {
        Error::Unrecognized {
            path: path_text(&self.path),
            expected: self.expected,
            found,
        }
    }
}

/// A path as errors write it: `events[0].event.metrics`.
pub(super) fn path_text(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) if path.is_empty() => path.push_str(key),
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Says what stands at `path` in `body`: "an object with keys id, status, …", "a string".
pub(super) fn describe(body: &[u8], path: &[Step]) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Describe { path }
        .deserialize(&mut deserializer)
        .ok()
        .flatten()
        .unwrap_or_else(|| "nothing".to_owned())
}

/// Walks to `path` and describes the value there, skipping everything else.
struct Describe<'p> {
    path: &'p [Step],
}

/// Keys named in a description before it ends with "…".
const KEYS_SHOWN: usize = 8;
/// Characters of a key shown in a description.
const KEY_CHARS_SHOWN: usize = 64;

/// A key as an error message shows it: control characters escaped (an error message must not
/// carry a forged log line), and cut short if long.
fn shown_key(key: &str) -> String {
    let mut shown: String = key
        .chars()
        .take(KEY_CHARS_SHOWN)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if key.chars().nth(KEY_CHARS_SHOWN).is_some() {
        shown.push('…');
    }
    shown
}

impl<'de> DeserializeSeed<'de> for Describe<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Describe<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut keys = Vec::new();
        let mut count = 0usize;
        while let Some(Key(key)) = map.next_key()? {
            match self.path {
                [Step::Key(wanted), rest @ ..] if found.is_none() && key == *wanted => {
                    found = map.next_value_seed(Describe { path: rest })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    count += 1;
                    if self.path.is_empty() && keys.len() < KEYS_SHOWN {
                        keys.push(shown_key(&key));
                    }
                }
            }
        }
        if !self.path.is_empty() {
            return Ok(found);
        }
        Ok(Some(match count {
            0 => "an empty object".to_owned(),
            1 => format!("an object with key {}", keys.join("")),
            _ => {
                let more = if count > KEYS_SHOWN { ", …" } else { "" };
                format!("an object with keys {}{more}", keys.join(", "))
            }
        }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut index = 0;
        loop {
            let element = match self.path {
                [Step::Index(wanted), rest @ ..] if index == *wanted => seq
                    .next_element_seed(Describe { path: rest })?
                    .map(|inner| {
                        found = inner;
                    }),
                _ => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if element.is_none() {
                break;
            }
            index += 1;
        }
        if !self.path.is_empty() {
            return Ok(found);
        }
        Ok(Some(match index {
            0 => "an empty array".to_owned(),
            1 => "an array of 1 element".to_owned(),
            count => format!("an array of {count} elements"),
        }))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| format!("the boolean {v}")))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a number".to_owned()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "a string".to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| "null".to_owned()))
    }
}
