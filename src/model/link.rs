//! Links to diagnostic files and manifests.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// A link from a payload (`fileInfo`, `failedRecords`, `sampleErrors`, ...).
///
/// The original text is kept and written back unchanged; [`Link::url`] parses it on demand,
/// so a link that is no valid URL still round-trips.
///
/// ```
/// use aep_flow_run::Link;
///
/// let link: Link = serde_json::from_str(
///     r#""https://platform.adobe.io/data/foundation/export/batches/01E4/meta?path=input_files""#,
/// ).unwrap();
/// let url = link.url().unwrap();
/// assert_eq!(url.host_str(), Some("platform.adobe.io"));
/// assert_eq!(url.query(), Some("path=input_files"));
///
/// let relative: Link = serde_json::from_str(r#""bucket1/csv_test/""#).unwrap();
/// assert_eq!(relative.url(), None);
/// assert_eq!(relative.as_str(), "bucket1/csv_test/");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Link(String);

impl Link {
    /// The link as it came.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link as a URL, when it parses as an absolute one.
    pub fn url(&self) -> Option<Url> {
        Url::parse(&self.0).ok()
    }
}

impl From<String> for Link {
    fn from(text: String) -> Self {
        Link(text)
    }
}

impl From<&str> for Link {
    fn from(text: &str) -> Self {
        Link(text.to_owned())
    }
}

impl From<Url> for Link {
    fn from(url: Url) -> Self {
        Link(url.into())
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link({:?})", self.0)
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Link)
    }
}

impl<'de> crate::json::Direct<'de> for Link {
    #[inline(always)]
    fn read_direct(reader: &mut crate::json::Reader<'de>) -> Result<Self, crate::json::Rejected> {
        reader.owned_string().map(Link::from)
    }
}
