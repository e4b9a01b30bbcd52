//! Every error a run carries, each with where it was found.

use super::{RecordSummary, RunError, StatusSummary};

/// Where in a run (or activity) an error entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorSite {
    /// `statusSummary.errors`.
    Status,
    /// `statusSummary.extensions.errors`.
    StatusExtensions,
    /// `recordSummary.failedInfo`.
    FailedRecords,
}

impl ErrorSite {
    /// The JSON path of the list, relative to the summaries' owner.
    pub fn path(self) -> &'static str {
        match self {
            ErrorSite::Status => "statusSummary.errors",
            ErrorSite::StatusExtensions => "statusSummary.extensions.errors",
            ErrorSite::FailedRecords => "recordSummary.failedInfo",
        }
    }
}

/// An error entry of a run, with where it was found; from
/// [`FlowRun::errors`](crate::FlowRun::errors).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FoundError<'a> {
    /// The entry.
    pub error: &'a RunError,
    /// The list it stands in.
    pub site: ErrorSite,
    /// Its position in that list.
    pub index: usize,
    /// The position of its activity in `activities`, or `None` for the run's own metrics.
    pub activity_index: Option<usize>,
    /// The id of its activity, when it has one.
    pub activity_id: Option<&'a str>,
}

impl FoundError<'_> {
    /// The entry's JSON path inside the run, such as
    /// `activities[0].statusSummary.extensions.errors[1]` or `metrics.statusSummary.errors[0]`.
    pub fn path(&self) -> String {
        match self.activity_index {
            Some(activity) => format!(
                "activities[{activity}].{}[{}]",
                self.site.path(),
                self.index
            ),
            None => format!("metrics.{}[{}]", self.site.path(), self.index),
        }
    }
}

/// Every error entry of one owner's status and record summaries, in document order.
pub(crate) fn summary_errors<'a>(
    status: &'a StatusSummary,
    records: &'a RecordSummary,
) -> impl Iterator<Item = (ErrorSite, usize, &'a RunError)> + 'a {
    let site = |site: ErrorSite, list: &'a [RunError]| {
        list.iter()
            .enumerate()
            .map(move |(index, error)| (site, index, error))
    };
    site(ErrorSite::Status, &status.errors)
        .chain(site(ErrorSite::StatusExtensions, &status.extensions.errors))
        .chain(site(ErrorSite::FailedRecords, &records.failed_info))
}

/// One problem of a run, however many times Platform repeated it: from
/// [`FlowRun::distinct_errors`](crate::FlowRun::distinct_errors).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DistinctError<'a> {
    /// The first entry that reports it.
    pub error: &'a RunError,
    /// Every entry that reports it, in document order (the run level and its activities).
    pub found: Vec<FoundError<'a>>,
}

impl DistinctError<'_> {
    /// How many entries report it.
    pub fn occurrences(&self) -> usize {
        self.found.len()
    }
}

/// Groups error entries by problem: the same code and the same message, up to case, white
/// space and a final period (Platform writes `Error in copying the data from Source` at one
/// level and `... Source.` at the next).
pub(crate) fn distinct<'a>(errors: impl Iterator<Item = FoundError<'a>>) -> Vec<DistinctError<'a>> {
    let mut distinct: Vec<(String, DistinctError<'a>)> = Vec::new();
    for found in errors {
        let key = problem_key(found.error);
        match distinct.iter_mut().find(|(seen, _)| *seen == key) {
            Some((_, problem)) => problem.found.push(found),
            None => distinct.push((
                key,
                DistinctError {
                    error: found.error,
                    found: vec![found],
                },
            )),
        }
    }
    distinct.into_iter().map(|(_, problem)| problem).collect()
}

fn problem_key(error: &RunError) -> String {
    let message = error.message.as_deref().unwrap_or("").trim();
    let message = message.trim_end_matches('.').trim_end();
    format!("{}\n{}", error.code.as_str(), message.to_lowercase())
}
