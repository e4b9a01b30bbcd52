//! Every event of a body, flow runs or not (`parse_events`), and the route through a
//! `serde_json::Value` that serves the bodies the one-pass reader does not take: those that
//! mix runs with other events, and those that repeat a key (read as `JSON.parse` reads them,
//! the last value winning).
//!
//! A body of flow runs only, the usual delivery, takes the one-pass reader. Any other body is
//! read once more as a value; each element is then told apart by its structure (a run, an
//! alert, anything else), runs go through the same classifier as on the fast route, and
//! anything else is kept verbatim.

use serde::de::DeserializeSeed;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::batch::ElementSeed;
use super::ids::{EVENT_ID_KEYS, RECIPIENT_KEYS};
use super::item::{keep_attribute, Item};
use super::journal_page::position_text;
use super::path::{path_text, NotFound, Path, Step, NOTIFICATION, RUN, RUN_OR_LIST, SINGLE_SHAPE};
use super::{notifications_fast, notifications_or_stop, Sink};
use crate::model::{AlertObject, Context};
use crate::{Alert, Error, Event, EventCode, Extra, Format, MessageInfo, Notification, OtherEvent};
use crate::{FlowRun, Timestamp};

impl Sink for Vec<Event> {
    fn push(&mut self, notification: Notification) {
        Vec::push(self, Event::FlowRun(notification));
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Reads every event of a body, in order.
pub(crate) fn events(body: &[u8]) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    let first = match notifications_or_stop(body, &mut events) {
        Ok(()) => return Ok(events),
        Err(syntax @ Error::Syntax { .. }) => return Err(syntax),
        Err(first) => first,
    };
    let root = match serde_json::from_slice::<Value>(body) {
        Ok(root) => root,
        // The fast read stopped before it, at something else than runs; serde_json says
        // where the syntax is wrong (or the nesting too deep).
        Err(_) if matches!(first, Error::Unrecognized { .. }) => {
            return Err(notifications_fast(body, &mut Vec::<Event>::new())
                .err()
                .unwrap_or(first))
        }
        Err(_) => return Err(first),
    };
    events.clear();
    match Walk::new(&root, Want::Events).body(&mut events) {
        Ok(()) => Ok(events),
        Err(second) => Err(better(first, second)),
    }
}

/// Reads the notifications of a body the one-pass reader refused for a value it could not
/// take: a repeated key (whose last value may be good) is the case this is for.
pub(crate) fn notifications_of_value<S: Sink>(
    body: &[u8],
    first: Error,
    out: &mut S,
) -> Result<(), Error> {
    if !matches!(first, Error::InvalidField { .. }) {
        return Err(first);
    }
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Err(first);
    };
    let mut events = Vec::new();
    Walk::new(&root, Want::Notifications)
        .body(&mut events)
        .map_err(|second| better(first, second))?;
    for event in events {
        if let Event::FlowRun(notification) = event {
            out.push(notification);
        }
    }
    Ok(())
}

/// Reads the runs of a body the one-pass reader refused for a value it could not take.
pub(crate) fn runs_of_value(body: &[u8], first: Error) -> Result<Vec<FlowRun>, Error> {
    if !matches!(first, Error::InvalidField { .. }) {
        return Err(first);
    }
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return Err(first);
    };
    let walk = Walk::new(&root, Want::Runs);
    let mut events = Vec::new();
    let read = match &root {
        Value::Object(map) if !is_run(map) && map.get("items").is_some_and(Value::is_array) => {
            walk.run_list(map, &Path::Root, None, &mut events)
        }
        Value::Object(map) if is_run(map) => walk.run(&root, &Path::Root, None, &mut events),
        Value::Array(elements) => elements.iter().enumerate().try_for_each(|(index, run)| {
            let path = Path::Root.child(Step::Index(index));
            match run {
                Value::Object(map) if is_run(map) => walk.run(run, &path, None, &mut events),
                _ => Err(NotFound::at(&path, RUN).into_error_in(&root)),
            }
        }),
        _ => Err(NotFound::at(&Path::Root, RUN_OR_LIST).into_error_in(&root)),
    };
    read.map_err(|second| better(first, second))?;
    Ok(events
        .into_iter()
        .filter_map(|event| match event {
            Event::FlowRun(notification) => Some(notification.run),
            _ => None,
        })
        .collect())
}

fn is_repeated_key(error: &Error) -> bool {
    matches!(error, Error::InvalidField { message, .. } if message.starts_with("duplicate field"))
}

/// Of the fast route's error and the value route's, the one to report: the fast route's
/// carries a line and column, unless it was only about a repeated key.
fn better(first: Error, second: Error) -> Error {
    match &first {
        Error::InvalidField { .. } if !is_repeated_key(&first) => first,
        _ => second,
    }
}

/// What the walk keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Every event.
    Events,
    /// Runs only: any other element is an error, as on the fast route.
    Notifications,
    /// The runs of a run list.
    Runs,
}

/// A walk over a body read as a value.
struct Walk<'a> {
    root: &'a Value,
    want: Want,
}

/// Whether an object is a run: a `metrics` object or an `activities` array.
fn is_run(map: &Map<String, Value>) -> bool {
    map.get("metrics").is_some_and(Value::is_object)
        || map.get("activities").is_some_and(Value::is_array)
}

/// Whether an object carries more than one shape, or a run and a shape: the same test as
/// the one-pass classifier's (`Item::marker_count`).
fn is_ambiguous(map: &Map<String, Value>) -> bool {
    let cloud_event = map.contains_key("specversion");
    let markers = [
        !cloud_event && map.get("event").is_some_and(Value::is_object),
        cloud_event,
        map.get("items").is_some_and(Value::is_array),
        map.get("events").is_some_and(Value::is_array),
        map.get("messages").is_some_and(Value::is_array),
    ]
    .into_iter()
    .filter(|marker| *marker)
    .count();
    markers > 1 || (markers == 1 && is_run(map))
}

/// Whether an object is an observability alert: a `status` and a `name`, and no run.
fn is_alert(map: &Map<String, Value>) -> bool {
    !is_run(map)
        && map.get("status").is_some_and(Value::is_string)
        && map.get("name").is_some_and(Value::is_string)
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The first of `keys` that holds a string, with its key, as the classifier prefers them.
fn first_text(map: &Map<String, Value>, keys: &[&'static str]) -> Option<(&'static str, String)> {
    keys.iter()
        .find_map(|key| text(map, key).map(|value| (*key, value)))
}

/// The ids an object with no envelope carries among its own fields, as a bare run's are read.
fn own_ids(map: &Map<String, Value>) -> (Option<String>, Option<String>) {
    let id = |keys: &[&'static str]| first_text(map, keys).map(|(_, id)| id);
    (id(&EVENT_ID_KEYS), id(&RECIPIENT_KEYS))
}

fn header_code(object: &Value) -> Option<String> {
    object
        .pointer("/header/_adobeio/eventCode")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl<'a> Walk<'a> {
    fn new(root: &'a Value, want: Want) -> Self {
        Walk { root, want }
    }

    fn body(&self, out: &mut Vec<Event>) -> Result<(), Error> {
        match self.root {
            Value::Array(elements) => {
                for (index, element) in elements.iter().enumerate() {
                    self.element(element, &Path::Root.child(Step::Index(index)), None, out)?;
                }
                Ok(())
            }
            Value::Object(_) => self.element(self.root, &Path::Root, None, out),
            _ => Err(NotFound::at(&Path::Root, NOTIFICATION).into_error_in(self.root)),
        }
    }

    /// One element of a body (or a journal entry's `event`).
    fn element(
        &self,
        element: &Value,
        path: &Path<'_>,
        position: Option<String>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let at_position = |format| Context {
            format,
            journal_position: position.clone(),
            ..Context::default()
        };
        let Value::Object(map) = element else {
            return self.other(element, at_position(Format::BareRun), None, path, out);
        };
        if is_ambiguous(map) {
            // The one-pass reader refuses such an object as a notification: another event
            // it is, kept whole, so that nothing in it is lost.
            return match self.want {
                Want::Events => self.other(element, at_position(Format::BareRun), None, path, out),
                _ => Err(NotFound::at(path, SINGLE_SHAPE).into_error_in(self.root)),
            };
        }
        if !is_run(map) {
            if let Some(Value::Array(entries)) = map.get("events") {
                return self.journal_page(entries, path, out);
            }
            if let Some(Value::Array(_)) = map.get("items") {
                return match self.want {
                    Want::Events => self.run_list(map, path, position.as_deref(), out),
                    _ => Err(NotFound::at(path, NOTIFICATION).into_error_in(self.root)),
                };
            }
            if let Some(Value::Array(messages)) = map.get("messages") {
                return self.message_list(map, messages, path, position, out);
            }
        }
        let cloud_event = map.contains_key("specversion");
        let payload_key = if cloud_event { "data" } else { "event" };
        let payload = match map.get(payload_key) {
            Some(payload @ Value::Object(_)) if !is_run(map) || cloud_event => Some(payload),
            _ => None,
        };
        let standalone = Context {
            journal_position: position,
            ..Context::default()
        };
        let Some(payload) = payload else {
            // A run, an alert or anything else, on its own.
            return self.payload(element, element, standalone, path, out);
        };
        if payload.as_object().is_some_and(is_run) {
            return self.notifications(element, path, standalone, out);
        }
        let position = standalone.journal_position;
        // An envelope around an alert or another event: its ids, code and time, and its
        // other attributes.
        let mut envelope = map.clone();
        envelope.remove(payload_key);
        let id_keys: &[&str] = if cloud_event {
            &[EVENT_ID_KEYS[0], EVENT_ID_KEYS[1], "id"]
        } else {
            &EVENT_ID_KEYS
        };
        let event_id = first_text(map, id_keys);
        let recipient = first_text(map, &RECIPIENT_KEYS);
        for (key, _) in event_id.iter().chain(recipient.iter()) {
            envelope.remove(*key);
        }
        let mut context = Context {
            format: if cloud_event {
                Format::CloudEvent
            } else {
                Format::IoEvent
            },
            event_id: event_id.map(|(_, id)| id),
            recipient_client_id: recipient.map(|(_, id)| id),
            journal_position: position,
            ..Context::default()
        };
        if cloud_event {
            if let Some(Value::String(code)) = envelope.remove("type") {
                context.event_code = EventCode::from(code);
            }
            if let Some(time) = envelope.get("time") {
                if let Ok(time) = Timestamp::deserialize(time) {
                    envelope.remove("time");
                    context.published_at = Some(time);
                }
            }
        }
        let mut envelope = Extra::from(envelope);
        envelope.retain(keep_attribute);
        context.envelope = envelope;
        let payload_path = path.child(Step::Key(payload_key));
        match payload {
            Value::Object(object) if is_run(object) => {
                self.notifications(element, path, context, out)
            }
            _ => self.payload_at(element, payload, context, path, &payload_path, out),
        }
    }

    /// A payload that stands on its own (no envelope).
    fn payload(
        &self,
        element: &Value,
        payload: &Value,
        context: Context,
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        match payload {
            Value::Object(map) if is_run(map) => self.notifications(element, path, context, out),
            _ => self.payload_at(element, payload, context, path, path, out),
        }
    }

    /// A payload that is no run: an alert, or anything else.
    fn payload_at(
        &self,
        element: &Value,
        payload: &Value,
        mut context: Context,
        path: &Path<'_>,
        payload_path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if self.want != Want::Events {
            return Err(NotFound::at(payload_path, RUN).into_error_in(self.root));
        }
        match payload {
            Value::Object(map) if is_alert(map) => {
                let object: AlertObject = typed(payload, payload_path)?;
                if context.format == Format::BareRun {
                    (context.event_id, context.recipient_client_id) = own_ids(map);
                }
                out.push(Event::Alert(Alert::from_parts(object, context)));
                Ok(())
            }
            _ => {
                let code = match &context.event_code {
                    EventCode::Missing => header_code(payload),
                    code => Some(code.as_str().to_owned()),
                };
                self.other(element, context, code, path, out)
            }
        }
    }

    /// An element kept verbatim.
    fn other(
        &self,
        element: &Value,
        context: Context,
        event_code: Option<String>,
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if self.want != Want::Events {
            return Err(NotFound::at(path, NOTIFICATION).into_error_in(self.root));
        }
        let (event_id, recipient_client_id) = match (context.format, element.as_object()) {
            (Format::BareRun, Some(map)) => own_ids(map),
            _ => (None, None),
        };
        out.push(Event::Other(OtherEvent {
            event_id: context.event_id.or(event_id),
            event_code: event_code.or_else(|| header_code(element)),
            recipient_client_id: context.recipient_client_id.or(recipient_client_id),
            format: context.format,
            journal_position: context.journal_position,
            element: element.clone(),
        }));
        Ok(())
    }

    /// The notifications of an element that carries a run, through the same classifier as
    /// the fast route.
    fn notifications(
        &self,
        element: &Value,
        path: &Path<'_>,
        context: Context,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let mut item = Item::default();
        if ElementSeed(&mut item).deserialize(element).is_err() {
            // Read again, tracking the path, only to say where.
            let mut track = serde_path_to_error::Track::new();
            item = Item::default();
            let tracked = serde_path_to_error::Deserializer::new(element, &mut track);
            if let Err(error) = ElementSeed(&mut item).deserialize(tracked) {
                return Err(invalid(path, &track.path().to_string(), &error));
            }
        }
        let position = context.journal_position.as_deref();
        item.take_notifications(out, path, position)
            .map_err(|missing| missing.into_error_in(self.root))
    }

    fn journal_page(
        &self,
        entries: &[Value],
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let events_path = path.child(Step::Key("events"));
        for (index, entry) in entries.iter().enumerate() {
            if entry.is_null() {
                // As on the fast route: a `null` element of a list is no element.
                continue;
            }
            let entry_path = events_path.child(Step::Index(index));
            match entry.get("event") {
                Some(event) => {
                    let position = entry.get("position").and_then(position_text);
                    let event_path = entry_path.child(Step::Key("event"));
                    self.element(event, &event_path, position, out)?;
                }
                None => {
                    let context = Context {
                        format: Format::JournalEntry,
                        ..Context::default()
                    };
                    self.other(entry, context, None, &entry_path, out)?
                }
            }
        }
        Ok(())
    }

    /// A Flow Service run list: its items are runs by position.
    fn run_list(
        &self,
        map: &Map<String, Value>,
        path: &Path<'_>,
        position: Option<&str>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let items_path = path.child(Step::Key("items"));
        let items = map.get("items").and_then(Value::as_array);
        for (index, run) in items.into_iter().flatten().enumerate() {
            self.run(run, &items_path.child(Step::Index(index)), position, out)?;
        }
        Ok(())
    }

    /// One run, whatever it carries.
    fn run(
        &self,
        run: &Value,
        path: &Path<'_>,
        position: Option<&str>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if !run.is_object() {
            return Err(NotFound::at(path, RUN).into_error_in(self.root));
        }
        let run: FlowRun = typed(run, path)?;
        let mut notification = Notification::from_run(run);
        notification.format = Format::RunListItem;
        notification.journal_position = position.map(str::to_owned);
        out.push(Event::FlowRun(notification));
        Ok(())
    }

    fn message_list(
        &self,
        map: &Map<String, Value>,
        messages: &[Value],
        path: &Path<'_>,
        position: Option<String>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let messages_path = path.child(Step::Key("messages"));
        let mut attributes = map.clone();
        attributes.remove("messages");
        for (index, message) in messages.iter().enumerate() {
            if message.is_null() {
                continue;
            }
            let message_path = messages_path.child(Step::Index(index));
            // The message on its own, in the list object's other fields.
            let mut element = attributes.clone();
            element.insert("messages".to_owned(), Value::Array(vec![message.clone()]));
            let element = Value::Object(element);
            let value = message.get("value");
            if value.and_then(Value::as_object).is_some_and(is_run) {
                let context = Context {
                    journal_position: position.clone(),
                    ..Context::default()
                };
                self.notifications(&element, path, context, out)?;
                continue;
            }
            let mut info_fields = message.as_object().cloned().unwrap_or_default();
            let published_at = info_fields.remove("timestamp");
            info_fields.remove("value");
            let info: MessageInfo = match MessageInfo::deserialize(&Value::Object(info_fields)) {
                Ok(info) => info,
                // No run and no alert: another event, whatever its message fields hold.
                Err(_) if !value.and_then(Value::as_object).is_some_and(is_alert) => {
                    let context = Context {
                        format: Format::Message,
                        journal_position: position.clone(),
                        ..Context::default()
                    };
                    let code = message
                        .pointer("/_eventNotificationMeta/type")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    self.other(&element, context, code, path, out)?;
                    continue;
                }
                Err(_) => {
                    let fields = message.as_object().cloned().unwrap_or_default();
                    typed(&Value::Object(fields), &message_path)?
                }
            };
            let code = info
                .event_notification_meta
                .as_ref()
                .and_then(|meta| meta.event_type.as_deref())
                .map(EventCode::from)
                .unwrap_or_default();
            let mut envelope = Extra::from(attributes.clone());
            envelope.retain(keep_attribute);
            let context = Context {
                format: Format::Message,
                event_code: code,
                published_at: published_at
                    .as_ref()
                    .and_then(|time| Timestamp::deserialize(time).ok()),
                journal_position: position.clone(),
                envelope,
                message: Some(info),
                ..Context::default()
            };
            let value_path = message_path.child(Step::Key("value"));
            let payload = value.unwrap_or(&Value::Null);
            self.payload_at(&element, payload, context, path, &value_path, out)?;
        }
        Ok(())
    }
}

/// Reads a typed value from part of a body, naming the field of any value of the wrong type.
fn typed<'v, T: Deserialize<'v>>(value: &'v Value, path: &Path<'_>) -> Result<T, Error> {
    let mut track = serde_path_to_error::Track::new();
    T::deserialize(serde_path_to_error::Deserializer::new(value, &mut track))
        .map_err(|error| invalid(path, &track.path().to_string(), &error))
}

fn invalid(path: &Path<'_>, inner: &str, error: &serde_json::Error) -> Error {
    let mut full = path_text(&path.steps());
    let inner = inner.trim_start_matches('.');
    if !inner.is_empty() {
        if !full.is_empty() && !inner.starts_with('[') {
            full.push('.');
        }
        full.push_str(inner);
    }
    Error::InvalidField {
        path: full,
        line: 0,
        column: 0,
        message: error.to_string(),
    }
}

impl<'de> Deserialize<'de> for Event {
    /// Reads one delivery element, in any shape `parse_events` reads.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        single(Value::deserialize(deserializer)?, Want::Events).map_err(serde::de::Error::custom)
    }
}

/// `Deserialize` for the type of one kind of event: the element is read as an [`Event`],
/// which must be of that kind.
macro_rules! deserialize_as {
    ($($ty:ty => $variant:ident, $what:literal;)*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            /// Reads a delivery element in any shape `parse_events` reads (a run list of one
            /// item too, which is how an item of a list writes back).
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match Event::deserialize(deserializer)? {
                    Event::$variant(inner) => Ok(inner),
                    event => Err(serde::de::Error::custom(format_args!(
                        concat!("expected ", $what, ", found {}"),
                        event.kind().description()
                    ))),
                }
            }
        }
    )*};
}

deserialize_as! {
    Notification => FlowRun, "a flow run";
    Alert => Alert, "an alert";
    OtherEvent => Other, "another event";
}

/// The one event of an element.
fn single(root: Value, want: Want) -> Result<Event, Error> {
    let mut events = Vec::new();
    Walk::new(&root, want).body(&mut events)?;
    let count = events.len();
    match (events.pop(), count) {
        (Some(event), 1) => Ok(event),
        _ => Err(Error::NotSingle { count }),
    }
}
