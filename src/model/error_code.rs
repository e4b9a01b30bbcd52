//! Typed error codes of flow runs.

use crate::json::open_enum;

open_enum! {
/// The code of an error entry in a run (`CONNECTOR-1001-500`, `INGEST-1212-400`, `2200`, ...).
///
/// The two codes sources dataflows report at run level are variants; every other code is kept
/// verbatim in [`ErrorCode::Other`], including bare numbers (`133`) and codes that do not
/// follow the `FAMILY-NUMBER-STATUS` pattern (`ACTIVATION_BATCH-0000-FAILED`). Parsing never
/// fails.
///
/// ```
/// use aep_flow_run::ErrorCode;
///
/// let code: ErrorCode = "CONNECTOR-2001-500".parse().unwrap();
/// assert_eq!(code, ErrorCode::ProcessToPlatform);
/// assert_eq!(
///     code.description(),
///     Some("Error while copied data is processed to Platform (parsing, validation or transformation).")
/// );
///
/// let mapper: ErrorCode = "MAPPER-3700-400".parse().unwrap();
/// let parts = mapper.parts().unwrap();
/// assert_eq!((parts.family, parts.number, parts.status), ("MAPPER", 3700, 400));
///
/// let odd: ErrorCode = "ACTIVATION_BATCH-0000-FAILED".parse().unwrap();
/// assert_eq!(odd.as_str(), "ACTIVATION_BATCH-0000-FAILED");
/// assert_eq!(odd.parts(), None);
/// ```
pub enum ErrorCode expecting "an error code string" {
    /// `CONNECTOR-1001-500`: error while data is being copied from a source.
    #[doc(alias = "CONNECTOR-1001-500")]
    #[doc(alias = "CONNECTOR_1001_500")]
    CopyFromSource = "CONNECTOR-1001-500",
    /// `CONNECTOR-2001-500`: error while copied data is processed to Platform (parsing,
    /// validation or transformation).
    #[doc(alias = "CONNECTOR-2001-500")]
    #[doc(alias = "CONNECTOR_2001_500")]
    ProcessToPlatform = "CONNECTOR-2001-500",
}
}

impl ErrorCode {
    /// `CONNECTOR-1001-500`, by its wire name: the same value as
    /// [`ErrorCode::CopyFromSource`]; either may stand in a `match`.
    pub const CONNECTOR_1001_500: ErrorCode = ErrorCode::CopyFromSource;
    /// `CONNECTOR-2001-500`, by its wire name: the same value as
    /// [`ErrorCode::ProcessToPlatform`].
    pub const CONNECTOR_2001_500: ErrorCode = ErrorCode::ProcessToPlatform;

    /// Adobe's documented meaning of a known code.
    pub fn description(&self) -> Option<&'static str> {
        match self {
            ErrorCode::CopyFromSource => Some("Error while data is being copied from a source."),
            ErrorCode::ProcessToPlatform => Some(
                "Error while copied data is processed to Platform (parsing, validation or transformation).",
            ),
            ErrorCode::Other(_) => None,
        }
    }

    /// Splits a `FAMILY-NUMBER-STATUS` code (`INGEST-1212-400`) into its parts.
    ///
    /// `None` for codes of another form: bare numbers (`2200`) or a non-numeric last part
    /// (`ACTIVATION_BATCH-0000-FAILED`).
    pub fn parts(&self) -> Option<ErrorCodeParts<'_>> {
        let mut pieces = self.as_str().splitn(3, '-');
        let family = pieces.next()?;
        let number = pieces.next()?;
        let status = pieces.next()?;
        let family_ok = family.starts_with(|c: char| c.is_ascii_alphabetic())
            && family
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !family_ok || !is_digits(number) || status.len() != 3 || !is_digits(status) {
            return None;
        }
        Some(ErrorCodeParts {
            family,
            number: number.parse().ok()?,
            status: status.parse().ok()?,
        })
    }
}

/// The parts of a `FAMILY-NUMBER-STATUS` error code, from [`ErrorCode::parts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ErrorCodeParts<'a> {
    /// The emitting component (`CONNECTOR`, `INGEST`, `MAPPER`, ...).
    pub family: &'a str,
    /// The component's error number.
    pub number: u64,
    /// The HTTP-like status class (`400` for bad data, `500` for a service error).
    pub status: u16,
}

impl Default for ErrorCode {
    /// An empty code, which serialisation leaves out.
    fn default() -> Self {
        ErrorCode::Other(String::new())
    }
}

impl crate::json::Absent for ErrorCode {
    fn is_absent(&self) -> bool {
        self.as_str().is_empty()
    }
}

// Read through serde over the reader: rare enough.
impl crate::json::Direct<'_> for ErrorCode {}
crate::json::fill_by_value!(ErrorCode);
