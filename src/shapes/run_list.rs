//! Shape 7, the Flow Service run list: `{"items": [RUN, ...], "_links": {...}}` (the answer
//! of `GET /runs`), read by `parse_runs` with single runs and arrays of runs.

use super::batch::read;
use super::item::Item;
use super::path::{NotFound, Path, Step, RUN, RUN_OR_LIST};
use super::Route;
use crate::{Error, FlowRun};

/// Parses a Flow Service run list, a single run, or an array of runs.
/// A body refused for a repeated key is read again as a value, the last value winning.
pub(crate) fn runs(body: &[u8]) -> Result<Vec<FlowRun>, Error> {
    runs_by(Route::Direct, body).or_else(|first| super::events::runs_of_value(body, first))
}

pub(crate) fn runs_by(route: Route, body: &[u8]) -> Result<Vec<FlowRun>, Error> {
    let mut runs = Vec::new();
    read(route, body, true, |element, path, _| match element {
        // A top-level object may be a run list; an array element must be a run.
        Some(item) if matches!(path, Path::Root) => {
            runs.extend(item.take_runs(path)?);
            Ok(())
        }
        Some(item) if item.is_bare_run() => {
            if !item.settle() {
                return Err(NotFound::at(path, RUN));
            }
            runs.push(item.take_bare_run());
            Ok(())
        }
        Some(_) => Err(NotFound::at(path, RUN)),
        None if matches!(path, Path::Root) => Err(NotFound::at(path, RUN_OR_LIST)),
        None => Err(NotFound::at(path, RUN)),
    })?;
    Ok(runs)
}

impl Item {
    pub(super) fn take_runs(&mut self, path: &Path<'_>) -> Result<Vec<FlowRun>, NotFound> {
        if !self.settle() {
            return Err(NotFound::at(path, RUN_OR_LIST));
        }
        if self.is_bare_run() {
            return Ok(vec![self.take_bare_run()]);
        }
        let single_shape = self.marker_count() == 1;
        let items = match self.shapes.items.take() {
            Some(items) if single_shape && !self.is_run() => items,
            _ => return Err(NotFound::at(path, RUN_OR_LIST)),
        };
        let items_path = path.child(Step::Key("items"));
        if let Some(index) = items.iter().position(|item| !item.is_list_run()) {
            return Err(NotFound::at(&items_path.child(Step::Index(index)), RUN));
        }
        Ok(items.into_iter().map(|item| item.run).collect())
    }
}
