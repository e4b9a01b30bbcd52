//! Manifests: the links to a batch's files and diagnostics.

use crate::json::wire_object;
use crate::{Count, Link};

wire_object! {
/// Links to a batch's files and diagnostics (`extensions.manifest`).
pub struct Manifest expecting "a manifest object" {
    /// `fileInfo`: the files the activity read.
    "fileInfo" => file_info: Option<Link>,
    /// `failedRecords`: the rows that failed (partial ingestion).
    "failedRecords" => failed_records: Option<Link>,
    /// `sampleErrors`: samples of the row errors.
    "sampleErrors" => sample_errors: Option<Link>,
    /// `pathPrefix`: the source folder.
    "pathPrefix" => path_prefix: Option<String>,
}
}

wire_object! {
/// One file of a `fileSummary.manifest` list.
pub struct FileManifest expecting "a file manifest object" {
    /// `path`.
    "path" => path: Option<Link>,
    /// `pathPrefix`.
    "pathPrefix" => path_prefix: Option<String>,
    /// `outputBytes`.
    "outputBytes" => output_bytes: Option<Count>,
}
}
