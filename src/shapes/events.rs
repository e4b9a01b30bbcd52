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
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::batch::read;
use super::batch::ElementSeed;
use super::ids::{EVENT_ID_KEYS, RECIPIENT_KEYS};
use super::item::{drop_null_attributes, read_item, Item};
use super::journal_page::position_text;
use super::not_a_run::Holds;
use super::path::{path_text, NotFound, Path, Step, NOTIFICATION, RUN, RUN_OR_LIST, SINGLE_SHAPE};
use super::{notifications_fast, Route, Sink};
use crate::json::{object_members, Direct, Ordered, Reader, Rejected, WireObject};
use crate::model::{AlertObject, Context, IdKeys, RUN_METRICS};
use crate::{Alert, AlertStatus, Error, Event, EventCode, Extra, Format, MessageInfo};
use crate::{FlowRun, Notification, OtherEvent, Timestamp};

impl Sink for Vec<Event> {
    const TAKES_EVENTS: bool = true;

    fn push(&mut self, notification: Notification) {
        Vec::push(self, Event::FlowRun(notification));
    }

    fn push_event(&mut self, event: Event) {
        Vec::push(self, event);
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Reads every event of a body, in order.
pub(crate) fn events(body: &[u8]) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    match events_in_one_pass(body, &mut events) {
        Ok(()) => Ok(events),
        Err(syntax @ Error::Syntax { .. }) => Err(syntax),
        Err(first) => events_of_value(body, first),
    }
}

/// Reads every event of a body as a value, after the one pass stopped with `first`.
pub(crate) fn events_of_value(body: &[u8], first: Error) -> Result<Vec<Event>, Error> {
    let read = serde_json::from_slice::<Value>(body)
        .and_then(|root| Ok((root, serde_json::from_slice::<&RawValue>(body)?)));
    let (root, raw) = match read {
        Ok(read) => read,
        // No JSON: the fast read stopped before the syntax error, at something else (another
        // event, a field of the wrong type). The error is the syntax, where
        // `parse_notifications` says it is (or the nesting too deep).
        Err(_) => {
            return Err(notifications_fast(body, &mut Vec::<Event>::new())
                .err()
                .unwrap_or(first))
        }
    };
    let mut events = Vec::new();
    match Walk::new(&root, Want::Events).body(raw, &mut events) {
        Ok(()) => Ok(events),
        Err(second) => Err(better(first, second)),
    }
}

/// Reads the events of a body in one pass: runs as `parse_notifications` reads them, other
/// events kept as their text, alerts read from their own text. A body that holds anything
/// else (see `not_a_run.rs`) stops the pass.
fn events_in_one_pass(body: &[u8], out: &mut Vec<Event>) -> Result<(), Error> {
    read(Route::Direct, body, false, |element, path, text| {
        let text = text.ok_or_else(|| NotFound::at(path, NOTIFICATION))?;
        let event = match element {
            Some(item) => match item.holds(path)? {
                Holds::Runs => return item.take_notifications(out, path, None),
                Holds::Other => item.other_event(text),
                Holds::Alert => {
                    let bare = item.marker_count() == 0;
                    return alert_of_text(text, bare, out).ok_or_else(|| NotFound::at(path, RUN));
                }
            },
            None => other_of_text(text),
        };
        out.push(event.ok_or_else(|| NotFound::at(path, NOTIFICATION))?);
        Ok(())
    })
}

/// An element that is no object, kept as its text.
pub(super) fn other_of_text(text: &str) -> Option<Event> {
    Some(Event::Other(OtherEvent {
        event_id: None,
        event_code: None,
        recipient_client_id: None,
        format: Format::BareRun,
        journal_position: None,
        journal_entry: Extra::new(),
        element: text.into(),
    }))
}

/// An alert that stands on its own, the shape Adobe's alerts come in: read straight from its
/// text with the crate's reader, as the value route reads it (`None` when the reader refuses
/// it).
fn bare_alert_of_text(text: &str) -> Option<Event> {
    let object: AlertObject = read_text(text, AlertObject::read_direct)?;
    let mut context = Entry::default().context(Format::BareRun);
    bare_payload_ids(&mut context, |key| {
        object.extra.get(key).and_then(Value::as_str)
    });
    Some(Event::Alert(Alert::from_parts(object, context)))
}

/// The ids a payload with no envelope carries among its own fields, under the first
/// spelling that holds a string.
fn bare_payload_ids<'a>(context: &mut Context, field: impl Fn(&str) -> Option<&'a str>) {
    let event_id = first_text(&EVENT_ID_KEYS, &field);
    let recipient = first_text(&RECIPIENT_KEYS, &field);
    place_ids(context, event_id, recipient);
}

/// Gives `context` the ids found, with the spellings they came under.
fn place_ids(
    context: &mut Context,
    event_id: Option<(&'static str, String)>,
    recipient: Option<(&'static str, String)>,
) {
    context.id_keys = IdKeys::of(
        event_id.as_ref().map(|(key, _)| *key),
        recipient.as_ref().map(|(key, _)| *key),
    );
    context.event_id = event_id.map(|(_, id)| id);
    context.recipient_client_id = recipient.map(|(_, id)| id);
}

/// The alert of an element, read from its own text as the value route reads it (`None`
/// when it holds something else, or a field of the wrong type: the whole body then goes the
/// value route, which says where). `bare` when the element is the alert itself, with no
/// envelope: the crate's reader reads it then, in one pass.
pub(super) fn alert_of_text(text: &str, bare: bool, out: &mut Vec<Event>) -> Option<()> {
    if let Some(alert) = bare.then(|| bare_alert_of_text(text)).flatten() {
        out.push(alert);
        return Some(());
    }
    let value: Value = serde_json::from_str(text).ok()?;
    let raw: &RawValue = serde_json::from_str(text).ok()?;
    let mut events = Vec::new();
    Walk::new(&value, Want::Events)
        .body(raw, &mut events)
        .ok()?;
    match events.pop() {
        Some(alert @ Event::Alert(_)) if events.is_empty() => {
            out.push(alert);
            Some(())
        }
        _ => None,
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
    let (Ok(root), Ok(raw)) = (
        serde_json::from_slice::<Value>(body),
        serde_json::from_slice::<&RawValue>(body),
    ) else {
        return Err(first);
    };
    let mut events = Vec::new();
    Walk::new(&root, Want::Notifications)
        .body(raw, &mut events)
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
    let (Ok(root), Ok(raw)) = (
        serde_json::from_slice::<Value>(body),
        serde_json::from_slice::<&RawValue>(body),
    ) else {
        return Err(first);
    };
    let walk = Walk::new(&root, Want::Runs);
    let node = Node { value: &root, raw };
    let mut events = Vec::new();
    let entry = Entry::default();
    let items = node.member("items").filter(|items| items.value.is_array());
    let read = match (&root, items) {
        (Value::Object(map), Some(items)) if !is_run(map) => {
            walk.run_list(items, &Path::Root, &entry, &mut events)
        }
        (Value::Object(map), _) if is_run(map) => walk.run(node, &Path::Root, &entry, &mut events),
        (Value::Array(_), _) => {
            node.elements()
                .into_iter()
                .enumerate()
                .try_for_each(|(index, run)| {
                    let path = Path::Root.child(Step::Index(index));
                    match run.value {
                        Value::Object(map) if is_run(map) => {
                            walk.run(run, &path, &entry, &mut events)
                        }
                        _ => Err(NotFound::at(&path, RUN).into_error_in(&root)),
                    }
                })
        }
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

/// Whether an object is a run: an `activities` array, or a `metrics` object of a run's own
/// (empty, or with one of the summaries Flow Service documents; see
/// `Metrics::is_run_metrics`).
fn is_run(map: &Map<String, Value>) -> bool {
    map.get("activities").is_some_and(Value::is_array)
        || map
            .get("metrics")
            .and_then(Value::as_object)
            .is_some_and(|metrics| {
                metrics.is_empty()
                    || RUN_METRICS
                        .iter()
                        .any(|key| metrics.get(*key).is_some_and(|summary| !is_empty(summary)))
                    || metrics
                        .keys()
                        .all(|key| RUN_METRICS.contains(&key.as_str()))
            })
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Whether an item of a run list is a run: one by its own fields, or one that carries run
/// fields and nothing else (the `{"id", "etag"}` of a `POST /runs` answer), as
/// `MaybeRun::is_list_run` decides on the fast route.
fn is_list_run(item: &Value) -> bool {
    item.as_object().is_some_and(|map| {
        is_run(map)
            || (map.values().any(|value| !value.is_null())
                && map
                    .keys()
                    .all(|key| FlowRun::FIELDS.contains(&key.as_str())))
    })
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

/// Whether an object is an observability alert as Adobe's alert rules publish them: a
/// `name` and a `status` of `FIRING` or `INACTIVE`, and no run. (A Destination SDK
/// configuration has a `name` and a `status` too: `TEST`.)
fn is_alert(map: &Map<String, Value>) -> bool {
    let alert_status = match map.get("status") {
        Some(Value::String(status)) => {
            !matches!(AlertStatus::from(status.as_str()), AlertStatus::Other(_))
        }
        _ => false,
    };
    !is_run(map) && alert_status && map.get("name").is_some_and(Value::is_string)
}

/// The string fields of an object.
fn string_field<'m>(map: &'m Map<String, Value>) -> impl Fn(&str) -> Option<&'m str> + 'm {
    move |key| map.get(key).and_then(Value::as_str)
}

/// The first of `keys` whose field holds a string, with its key, as the classifier prefers
/// them.
fn first_text<'a>(
    keys: &[&'static str],
    field: impl Fn(&str) -> Option<&'a str>,
) -> Option<(&'static str, String)> {
    keys.iter()
        .find_map(|key| Some((*key, field(key)?.to_owned())))
}

/// The ids an object with no envelope carries among its own fields, as a bare run's are read.
fn own_ids(map: &Map<String, Value>) -> (Option<String>, Option<String>) {
    let id = |keys: &[&'static str]| first_text(keys, string_field(map)).map(|(_, id)| id);
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

    fn body(&self, raw: &RawValue, out: &mut Vec<Event>) -> Result<(), Error> {
        let node = Node {
            value: self.root,
            raw,
        };
        match self.root {
            Value::Array(_) => {
                for (index, element) in node.elements().into_iter().enumerate() {
                    let path = Path::Root.child(Step::Index(index));
                    self.element(element, &path, &Entry::default(), out)?;
                }
                Ok(())
            }
            Value::Object(_) => self.element(node, &Path::Root, &Entry::default(), out),
            _ => Err(NotFound::at(&Path::Root, NOTIFICATION).into_error_in(self.root)),
        }
    }

    /// One element of a body (or a journal entry's `event`).
    fn element(
        &self,
        node: Node<'_>,
        path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let Value::Object(map) = node.value else {
            return self.other(node, entry.context(Format::BareRun), None, path, out);
        };
        if is_ambiguous(map) {
            // The one-pass reader refuses such an object as a notification: another event
            // it is, kept whole, so that nothing in it is lost.
            return match self.want {
                Want::Events => self.other(node, entry.context(Format::BareRun), None, path, out),
                _ => Err(NotFound::at(path, SINGLE_SHAPE).into_error_in(self.root)),
            };
        }
        if !is_run(map) {
            if let Some(events) = node
                .member("events")
                .filter(|events| events.value.is_array())
            {
                return self.journal_page(events, path, out);
            }
            if let Some(items) = node.member("items").filter(|items| items.value.is_array()) {
                return match self.want {
                    Want::Events => self.run_list(items, path, entry, out),
                    _ => Err(NotFound::at(path, NOTIFICATION).into_error_in(self.root)),
                };
            }
            if let Some(messages) = node.member("messages").filter(|list| list.value.is_array()) {
                return self.message_list(node, messages, path, entry, out);
            }
        }
        let cloud_event = map.contains_key("specversion");
        match map.get("event") {
            // A CloudEvent is one whatever its `data` holds, or without one.
            _ if cloud_event => self.enveloped(node, "data", path, entry, out),
            Some(Value::Object(_)) if !is_run(map) => {
                self.enveloped(node, "event", path, entry, out)
            }
            // A run, an alert or anything else, on its own.
            _ => self.payload(node, entry.context(Format::BareRun), path, out),
        }
    }

    /// An element whose payload stands under `payload_key` (`event` of an I/O event, `data`
    /// of a CloudEvent).
    fn enveloped(
        &self,
        node: Node<'_>,
        payload_key: &'static str,
        path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let payload = node.member(payload_key);
        if payload.is_some_and(|payload| payload.value.as_object().is_some_and(is_run)) {
            return self.notifications(node, path, entry.context(Format::BareRun), out);
        }
        let context = envelope_context(node, payload_key, entry);
        let payload_path = path.child(Step::Key(payload_key));
        self.payload_at(node, payload, context, path, &payload_path, out)
    }

    /// A payload that stands on its own (no envelope).
    fn payload(
        &self,
        node: Node<'_>,
        context: Context,
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        match node.value {
            Value::Object(map) if is_run(map) => self.notifications(node, path, context, out),
            _ => self.payload_at(node, Some(node), context, path, path, out),
        }
    }

    /// A payload that is no run (or none): an alert, or anything else.
    fn payload_at(
        &self,
        node: Node<'_>,
        payload: Option<Node<'_>>,
        mut context: Context,
        path: &Path<'_>,
        payload_path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if self.want != Want::Events {
            return Err(NotFound::at(payload_path, RUN).into_error_in(self.root));
        }
        let payload_value = payload.map_or(&Value::Null, |payload| payload.value);
        match (payload, payload_value) {
            (Some(payload), Value::Object(map)) if is_alert(map) => {
                let object: AlertObject = typed_node(payload, payload_path)?;
                if context.format == Format::BareRun {
                    bare_payload_ids(&mut context, string_field(map));
                }
                out.push(Event::Alert(Alert::from_parts(object, context)));
                Ok(())
            }
            _ => {
                let code = match &context.event_code {
                    EventCode::Missing => header_code(payload_value),
                    code => Some(code.as_str().to_owned()),
                };
                self.other(node, context, code, path, out)
            }
        }
    }

    /// An element kept verbatim.
    fn other(
        &self,
        node: Node<'_>,
        context: Context,
        event_code: Option<String>,
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if self.want != Want::Events {
            return Err(NotFound::at(path, NOTIFICATION).into_error_in(self.root));
        }
        let (event_id, recipient_client_id) = match (context.format, node.value.as_object()) {
            (Format::BareRun, Some(map)) => own_ids(map),
            _ => (None, None),
        };
        out.push(Event::Other(OtherEvent {
            event_id: context.event_id.or(event_id),
            event_code: event_code.or_else(|| header_code(node.value)),
            recipient_client_id: context.recipient_client_id.or(recipient_client_id),
            format: context.format,
            journal_position: context.journal_position,
            journal_entry: context.journal_entry,
            element: node.raw.get().into(),
        }));
        Ok(())
    }

    /// The notifications of an element that carries a run, through the same classifier as
    /// the fast route.
    fn notifications(
        &self,
        node: Node<'_>,
        path: &Path<'_>,
        context: Context,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let mut item = Item::default();
        // Read from its text, which keeps unknown fields as text; from the value, which
        // says where, when the reader refuses it.
        let read = read_text(node.raw.get(), |reader| {
            reader.object(|fields| read_item(&mut item, fields))
        });
        if read.is_none() {
            item = Item::default();
            let element = node.value;
            if ElementSeed(&mut item).deserialize(element).is_err() {
                // Read again, tracking the path, only to say where.
                let mut track = serde_path_to_error::Track::new();
                item = Item::default();
                let tracked = serde_path_to_error::Deserializer::new(element, &mut track);
                if let Err(error) = ElementSeed(&mut item).deserialize(tracked) {
                    return Err(invalid(path, &track.path().to_string(), &error));
                }
            }
        }
        let position = context.journal_position.as_deref();
        let first = out.len();
        item.take_notifications(out, path, position)
            .map_err(|missing| missing.into_error_in(self.root))?;
        for event in &mut out[first..] {
            if let Event::FlowRun(notification) = event {
                notification
                    .journal_entry
                    .clone_from(&context.journal_entry);
            }
        }
        Ok(())
    }

    fn journal_page(
        &self,
        events: Node<'_>,
        path: &Path<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let events_path = path.child(Step::Key("events"));
        for (index, entry) in events.elements().into_iter().enumerate() {
            if entry.value.is_null() {
                // As on the fast route: a `null` element of a list is no element.
                continue;
            }
            let entry_path = events_path.child(Step::Index(index));
            match entry.member("event") {
                Some(event) => {
                    let event_path = entry_path.child(Step::Key("event"));
                    self.element(event, &event_path, &Entry::of(entry), out)?;
                }
                None => {
                    let context = Entry::default().context(Format::JournalEntry);
                    self.other(entry, context, None, &entry_path, out)?
                }
            }
        }
        Ok(())
    }

    /// A Flow Service run list: its items that are runs as list items (see
    /// [`is_list_run`]) are runs, any other is another event (the flows of `GET /flows`, a
    /// Destination SDK configuration list).
    fn run_list(
        &self,
        items: Node<'_>,
        path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let items_path = path.child(Step::Key("items"));
        for (index, item) in items.elements().into_iter().enumerate() {
            let item_path = items_path.child(Step::Index(index));
            if is_list_run(item.value) {
                self.run(item, &item_path, entry, out)?;
            } else if self.want == Want::Events {
                self.other(
                    item,
                    entry.context(Format::RunListItem),
                    None,
                    &item_path,
                    out,
                )?;
            } else {
                return Err(NotFound::at(&item_path, RUN).into_error_in(self.root));
            }
        }
        Ok(())
    }

    /// One run, whatever it carries.
    fn run(
        &self,
        run: Node<'_>,
        path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        if !run.value.is_object() {
            return Err(NotFound::at(path, RUN).into_error_in(self.root));
        }
        let run: FlowRun = typed_node(run, path)?;
        let mut notification = Notification::from_run(run);
        notification.format = Format::RunListItem;
        notification.journal_position.clone_from(&entry.position);
        notification.journal_entry.clone_from(&entry.siblings);
        out.push(Event::FlowRun(notification));
        Ok(())
    }

    fn message_list(
        &self,
        list: Node<'_>,
        messages: Node<'_>,
        path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let messages_path = path.child(Step::Key("messages"));
        for (index, message) in messages.elements().into_iter().enumerate() {
            if message.value.is_null() {
                continue;
            }
            // The message on its own, in the list object's other fields.
            let (element, raw) = single_message(list, message);
            let node = Node {
                value: &element,
                raw: &raw,
            };
            let message_path = messages_path.child(Step::Index(index));
            self.message(node, message, path, &message_path, entry, out)?;
        }
        Ok(())
    }

    /// One message of a message list, given as `node`: the list object with this message
    /// only.
    fn message(
        &self,
        node: Node<'_>,
        message: Node<'_>,
        path: &Path<'_>,
        message_path: &Path<'_>,
        entry: &Entry,
        out: &mut Vec<Event>,
    ) -> Result<(), Error> {
        let value = message.member("value");
        let payload = value.map_or(&Value::Null, |value| value.value);
        if payload.as_object().is_some_and(is_run) {
            return self.notifications(node, path, entry.context(Format::BareRun), out);
        }
        let published_at = message.value.get("timestamp");
        let info = read_text(message.raw.get(), MessageInfo::read_direct)
            .map(|mut info| {
                info.extra.remove("timestamp");
                info.extra.remove("value");
                info
            })
            .ok_or(())
            .or_else(|()| {
                let mut info_fields = message.value.as_object().cloned().unwrap_or_default();
                info_fields.remove("timestamp");
                info_fields.remove("value");
                MessageInfo::deserialize(&Value::Object(info_fields))
            });
        let info: MessageInfo = match info {
            Ok(info) => info,
            // No run and no alert: another event, whatever its message fields hold.
            Err(_) if !payload.as_object().is_some_and(is_alert) => {
                let code = message
                    .value
                    .pointer("/_eventNotificationMeta/type")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                return self.other(node, entry.context(Format::Message), code, path, out);
            }
            Err(_) => typed(message.value, message_path)?,
        };
        let code = info
            .event_notification_meta
            .as_ref()
            .and_then(|meta| meta.event_type.as_deref())
            .map(EventCode::from)
            .unwrap_or_default();
        let mut envelope = object_extra(node);
        envelope.remove("messages");
        drop_null_attributes(&mut envelope);
        let context = Context {
            event_code: code,
            published_at: published_at.and_then(|time| Timestamp::deserialize(time).ok()),
            envelope,
            message: Some(Box::new(info)),
            ..entry.context(Format::Message)
        };
        let value_path = message_path.child(Step::Key("value"));
        self.payload_at(node, value, context, path, &value_path, out)
    }
}

/// The facts of an envelope around a payload that is no run: its ids (under the spellings
/// they came in), a CloudEvent's code and time, and its other attributes.
fn envelope_context(element: Node<'_>, payload_key: &str, entry: &Entry) -> Context {
    let no_members = Map::new();
    let map = element.value.as_object().unwrap_or(&no_members);
    let cloud_event = payload_key == "data";
    let mut envelope = object_extra(element);
    envelope.remove(payload_key);
    let id_keys: &[&'static str] = if cloud_event {
        &[EVENT_ID_KEYS[0], EVENT_ID_KEYS[1], "id"]
    } else {
        &EVENT_ID_KEYS
    };
    let event_id = first_text(id_keys, string_field(map));
    let recipient = first_text(&RECIPIENT_KEYS, string_field(map));
    for (key, _) in event_id.iter().chain(recipient.iter()) {
        envelope.remove(key);
    }
    let format = if cloud_event {
        Format::CloudEvent
    } else {
        Format::IoEvent
    };
    let mut context = entry.context(format);
    place_ids(&mut context, event_id, recipient);
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
    drop_null_attributes(&mut envelope);
    context.envelope = envelope;
    context
}

/// A message of a message list on its own, in the list object's other fields: as a value,
/// and as text that keeps the object's members in the order they came.
fn single_message(list: Node<'_>, message: Node<'_>) -> (Value, Box<RawValue>) {
    let mut value = list.value.as_object().cloned().unwrap_or_default();
    value.insert(
        "messages".to_owned(),
        Value::Array(vec![message.value.clone()]),
    );
    let members: Vec<String> = raw_members(list.raw)
        .into_iter()
        .map(|(key, raw)| {
            let key_text = serde_json::to_string(&key).unwrap_or_default();
            match key.as_str() {
                "messages" => format!("{key_text}:[{}]", message.raw.get()),
                _ => format!("{key_text}:{}", raw.get()),
            }
        })
        .collect();
    let text = format!("{{{}}}", members.join(","));
    let raw = RawValue::from_string(text).unwrap_or_else(|_| message.raw.to_owned());
    (Value::Object(value), raw)
}

/// What a journal entry gives the events read from it: its position and its members beside
/// `position` and `event`.
#[derive(Default)]
struct Entry {
    position: Option<String>,
    siblings: Extra,
}

impl Entry {
    fn of(entry: Node<'_>) -> Self {
        let mut siblings = object_extra(entry);
        siblings.remove("position");
        siblings.remove("event");
        Entry {
            position: entry.value.get("position").cloned().and_then(position_text),
            siblings,
        }
    }

    /// A context in `format` for an event of this entry.
    fn context(&self, format: Format) -> Context {
        Context {
            format,
            journal_position: self.position.clone(),
            journal_entry: self.siblings.clone(),
            ..Context::default()
        }
    }
}

/// A part of a body: its value, to classify, and its text, to keep.
#[derive(Clone, Copy)]
struct Node<'a> {
    value: &'a Value,
    raw: &'a RawValue,
}

impl<'a> Node<'a> {
    /// The member under `key` (the last, when repeated, as the value keeps it).
    fn member(&self, key: &str) -> Option<Node<'a>> {
        let value = self.value.get(key)?;
        let raw = raw_members(self.raw)
            .into_iter()
            .rev()
            .find(|(name, _)| name == key)?
            .1;
        Some(Node { value, raw })
    }

    /// The elements of an array.
    fn elements(&self) -> Vec<Node<'a>> {
        let values = self.value.as_array().map(Vec::as_slice).unwrap_or_default();
        let raws: Vec<&'a RawValue> = serde_json::from_str(self.raw.get()).unwrap_or_default();
        values
            .iter()
            .zip(raws)
            .map(|(value, raw)| Node { value, raw })
            .collect()
    }
}

/// The members of an object, each kept as its text (see `Extra`).
fn object_extra(node: Node<'_>) -> Extra {
    Extra::of_object_text(node.raw.get()).unwrap_or_else(|_| {
        // Not an object, or a number beyond `f64`'s range (which the value holds as
        // nothing else either).
        Extra::from(node.value.as_object().cloned().unwrap_or_default())
    })
}

/// Reads a part of a body from its text with the crate's reader, which keeps the fields it
/// does not know as their text; `None` when the reader refuses it (the caller then reads
/// the value, and says where it is wrong).
fn read_text<'t, T>(
    text: &'t str,
    read: impl FnOnce(&mut Reader<'t>) -> Result<T, Rejected>,
) -> Option<T> {
    let mut reader = Reader::new(text);
    let read = read(&mut reader).ok()?;
    reader.peek().is_none().then_some(read)
}

/// A typed object of a part of a body: read from its text, or from its value, which names
/// the field of any value of the wrong type.
fn typed_node<T>(node: Node<'_>, path: &Path<'_>) -> Result<T, Error>
where
    T: for<'t> Direct<'t>,
{
    match read_text(node.raw.get(), T::read_direct) {
        Some(read) => Ok(read),
        None => typed(node.value, path),
    }
}

/// The members of an object as text, in the order they came (repeated keys included).
fn raw_members(raw: &RawValue) -> Vec<(String, &RawValue)> {
    object_members(raw.get()).unwrap_or_default()
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
        // Any deserializer gives a value, keys in its order (a repeated one too, as
        // `parse_events` keeps it); its serde_json text is what an element is kept as.
        let text = Ordered::text_as_given(deserializer)?;
        let raw = RawValue::from_string(text).map_err(serde::de::Error::custom)?;
        single(&raw, Want::Events).map_err(serde::de::Error::custom)
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
fn single(raw: &RawValue, want: Want) -> Result<Event, Error> {
    let root: Value = serde_json::from_str(raw.get()).map_err(|error| Error::Syntax {
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })?;
    let mut events = Vec::new();
    Walk::new(&root, want).body(raw, &mut events)?;
    let count = events.len();
    match (events.pop(), count) {
        (Some(event), 1) => Ok(event),
        _ => Err(Error::NotSingle { count }),
    }
}
