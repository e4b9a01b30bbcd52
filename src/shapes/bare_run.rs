//! Shape 4, the bare run (observability alerts, Flow Service items): an object with a
//! `metrics` object or an `activities` array, and the run candidates every other shape holds.

use serde::{Deserializer, Serialize, Serializer};

use super::ids::{EVENT_ID_KEYS, RECIPIENT_KEYS};
use super::item::{clone_string, Item};
use super::path::{NotFound, Path};
use super::Sink;
use crate::json::{fill_object, fill_object_direct, Absent, Fill, Hook, Reader, Rejected};
use crate::{FlowRun, Notification};

/// A run candidate: an object read as a run, and whether it had what makes a run (a run's
/// `metrics` object or an `activities` array).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct MaybeRun {
    pub(super) run: FlowRun,
    pub(super) is_run: bool,
    /// Whether `run` may own heap: set before an object is read into it, cleared when the
    /// run is taken out (see [`MaybeRun::take_run`] and [`MaybeRun::clear`]).
    pub(super) holds: bool,
}

impl MaybeRun {
    /// Says that the object at `path` was no run, unless it was one.
    pub(super) fn check(&self, path: &Path<'_>, expected: &'static str) -> Result<(), NotFound> {
        if self.is_run {
            Ok(())
        } else {
            Err(NotFound::at(path, expected))
        }
    }

    /// Takes the run out in place, once [`MaybeRun::check`] has passed. Inlined into the
    /// notification being built around it, the run is moved once, straight into place; a
    /// run returned from here on the way would be copied (1.3 KB) once more.
    #[inline]
    pub(super) fn take_run(&mut self) -> FlowRun {
        self.holds = false;
        std::mem::take(&mut self.run)
    }

    /// Whether the object is a run as an item of a run list: one by its own fields, or one
    /// that carries run fields and nothing else (Flow Service's `POST /runs` answers
    /// `{"items": [{"id", "etag"}]}`). A flow, a job or a configuration in a list carries
    /// fields a run does not have.
    pub(super) fn is_list_run(&self) -> bool {
        self.is_run || (self.run.extra.is_empty() && !self.run.is_absent())
    }

    /// Empties the candidate in place. A run never read into, or already taken out, is the
    /// default and owns no heap, and is left as it is: dropping it would still walk all of
    /// `FlowRun`'s drop code (a copy of what the caller runs again on each notification, so a
    /// second one competing for the instruction cache).
    pub(super) fn clear(&mut self) {
        if self.holds {
            self.run = FlowRun::default();
            self.holds = false;
        }
        self.is_run = false;
    }
}

/// Which of the fields that make an object a run arrived: a `metrics` object, an
/// `activities` array (the typed fields refuse any other JSON type). A field given twice
/// counts by its last value.
#[derive(Default, Clone, Copy)]
pub(super) struct RunMarks {
    metrics: bool,
    activities: bool,
}

impl RunMarks {
    pub(super) fn set(&mut self, wire_name: &str, present: bool) {
        match wire_name {
            "metrics" => self.metrics = present,
            "activities" => self.activities = present,
            _ => {}
        }
    }

    /// Whether the fields that arrived make `run` a run: an `activities` array, or a
    /// `metrics` object of a run's own (see [`Metrics::is_run_metrics`](crate::Metrics)).
    pub(super) fn make_a_run(self, run: &FlowRun) -> bool {
        self.activities || (self.metrics && run.metrics.is_run_metrics())
    }
}

/// Notes whether a run's marker fields arrived.
#[derive(Default)]
pub(super) struct RunMarkers {
    marks: RunMarks,
}

impl<'de> Hook<'de> for RunMarkers {
    fn present(&mut self, wire_name: &'static str) {
        self.marks.set(wire_name, true);
    }

    fn absent(&mut self, wire_name: &'static str) {
        self.marks.set(wire_name, false);
    }
}

impl MaybeRun {
    /// Fills the run with `fill`, which is given the hook that notes its marker fields.
    fn fill_with<E>(
        &mut self,
        fill: impl FnOnce(&mut FlowRun, &mut RunMarkers) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut markers = RunMarkers::default();
        self.holds = true;
        let present = fill(&mut self.run, &mut markers)?;
        self.is_run = markers.marks.make_a_run(&self.run);
        Ok(present)
    }
}

impl<'de> Fill<'de> for MaybeRun {
    fn fill<D: Deserializer<'de>>(place: &mut Self, deserializer: D) -> Result<bool, D::Error> {
        place.fill_with(|run, markers| fill_object(run, markers, deserializer))
    }

    fn fill_direct(place: &mut Self, reader: &mut Reader<'de>) -> Result<bool, Rejected> {
        place.fill_with(|run, markers| fill_object_direct(run, markers, reader))
    }
}

impl Absent for MaybeRun {
    fn is_absent(&self) -> bool {
        self.run.is_absent()
    }
}

impl Serialize for MaybeRun {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.run.serialize(serializer)
    }
}

impl Item {
    pub(super) fn is_bare_run(&self) -> bool {
        self.is_run() && self.marker_count() == 0
    }

    /// The object as a run of its own: envelope attributes, and a `data` object outside a
    /// CloudEvent, are just more fields.
    pub(super) fn take_bare_run(&mut self) -> FlowRun {
        self.shapes.ids.restore(&mut self.shapes.attributes);
        self.shapes.release_nested();
        self.run.extra.append(&mut self.shapes.attributes);
        self.shapes.run_fields = false;
        std::mem::take(&mut self.run)
    }

    /// The object as a bare run's notification: its ids stay among the run's fields.
    pub(super) fn push_bare_run(&mut self, out: &mut impl Sink, journal_position: Option<&str>) {
        let run = self.take_bare_run();
        let mut notification = Notification::from_run(run);
        notification.event_id = clone_string(&notification.run.extra, &EVENT_ID_KEYS);
        notification.recipient_client_id = clone_string(&notification.run.extra, &RECIPIENT_KEYS);
        notification.journal_position = journal_position.map(str::to_owned);
        out.push(notification);
    }
}
