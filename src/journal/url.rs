//! Building journal request URLs: `since`, `seek`, `latest` and `limit`, as Adobe documents
//! them.

use url::Url;

use super::JournalError;

/// Where to start reading a journal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalStart {
    /// The oldest event the journal holds (no parameter): up to 7 days back.
    Oldest,
    /// After this position (`since`, exclusive): a `_page.last` or an event's position.
    Since(String),
    /// A point in time, as an ISO 8601 duration from now (`seek=-PT2H`, `-P1D`, `-P5DT2H`).
    Seek(String),
    /// The end of the journal (`latest=true`): only events from now on.
    Latest,
}

/// A journal request URL: the registration's journal URL (from the Developer Console) with
/// at most one start (`since`, `seek` or `latest`) and an optional `limit`. Any `since`,
/// `seek`, `latest` or `limit` already in the journal URL's query is dropped; other
/// parameters are kept.
///
/// ```
/// use aep_flow_run::journal::{JournalUrl, JournalError};
///
/// let journal = "https://events-va6.adobe.io/events/organizations/o/integrations/i/r";
/// let url = JournalUrl::new(journal)?.seek("-PT2H").limit(50).build()?;
/// assert_eq!(url.query(), Some("seek=-PT2H&limit=50"));
/// assert_eq!(
///     JournalUrl::new(journal)?.since("v2:p1").seek("-PT2H").build(),
///     Err(JournalError::Conflict { first: "since", second: "seek" })
/// );
/// # Ok::<(), JournalError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalUrl {
    base: Url,
    since: Option<String>,
    seek: Option<String>,
    latest: bool,
    limit: Option<u32>,
    /// The first conflict met while setting starts.
    conflict: Option<(&'static str, &'static str)>,
}

impl JournalUrl {
    /// Starts from a journal URL, which must be `https`, without credentials or fragment.
    pub fn new(journal_url: &str) -> Result<Self, JournalError> {
        let invalid = |reason| JournalError::InvalidUrl {
            url: crate::text::clip(journal_url, 200),
            reason,
        };
        let url = Url::parse(journal_url).map_err(|_| invalid("not a URL"))?;
        JournalUrl::from_url(url).map_err(|error| match error {
            JournalError::InvalidUrl { reason, .. } => invalid(reason),
            other => other,
        })
    }

    /// As [`new`](Self::new), from a parsed URL.
    pub fn from_url(url: Url) -> Result<Self, JournalError> {
        let invalid = |reason| JournalError::InvalidUrl {
            url: crate::text::clip(url.as_str(), 200),
            reason,
        };
        if url.scheme() != "https" {
            return Err(invalid("not https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("carries credentials"));
        }
        if url.fragment().is_some() {
            return Err(invalid("carries a fragment"));
        }
        Ok(JournalUrl {
            base: url,
            since: None,
            seek: None,
            latest: false,
            limit: None,
            conflict: None,
        })
    }

    fn note(&mut self, name: &'static str) {
        let others = [
            ("since", self.since.is_some()),
            ("seek", self.seek.is_some()),
            ("latest", self.latest),
        ];
        if self.conflict.is_none() {
            if let Some((first, _)) = others.iter().find(|(other, set)| *set && *other != name) {
                self.conflict = Some((first, name));
            }
        }
    }

    /// Reads after `position` (exclusive).
    pub fn since(mut self, position: impl Into<String>) -> Self {
        self.note("since");
        self.since = Some(position.into());
        self
    }

    /// Reads from a point in time, an ISO 8601 duration from now (`-PT2H`).
    pub fn seek(mut self, duration: impl Into<String>) -> Self {
        self.note("seek");
        self.seek = Some(duration.into());
        self
    }

    /// Reads from the end of the journal.
    pub fn latest(mut self) -> Self {
        self.note("latest");
        self.latest = true;
        self
    }

    /// Returns at most `limit` events per page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets the start from a [`JournalStart`].
    pub fn start(self, start: &JournalStart) -> Self {
        match start {
            JournalStart::Oldest => self,
            JournalStart::Since(position) => self.since(position.clone()),
            JournalStart::Seek(duration) => self.seek(duration.clone()),
            JournalStart::Latest => self.latest(),
        }
    }

    /// The URL, or why it cannot be built.
    pub fn build(&self) -> Result<Url, JournalError> {
        if let Some((first, second)) = self.conflict {
            return Err(JournalError::Conflict { first, second });
        }
        if self.since.as_deref() == Some("") {
            return Err(JournalError::EmptyPosition);
        }
        if let Some(seek) = &self.seek {
            if !is_iso8601_duration(seek) {
                return Err(JournalError::InvalidSeek(crate::text::clip(seek, 100)));
            }
        }
        if self.limit == Some(0) {
            return Err(JournalError::ZeroLimit);
        }
        let mut url = self.base.clone();
        let kept: Vec<(String, String)> = self
            .base
            .query_pairs()
            .filter(|(name, _)| !matches!(&**name, "since" | "seek" | "latest" | "limit"))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        url.set_query(None);
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &kept {
                query.append_pair(name, value);
            }
            if let Some(since) = &self.since {
                query.append_pair("since", since);
            }
            if let Some(seek) = &self.seek {
                query.append_pair("seek", seek);
            }
            if self.latest {
                query.append_pair("latest", "true");
            }
            if let Some(limit) = self.limit {
                query.append_pair("limit", &limit.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }
}

/// Whether `text` is an ISO 8601 duration as the journal's `seek` takes it: an optional
/// sign, `P`, then years, months, weeks and days, and after `T` hours, minutes and seconds,
/// each a number and its letter, in that order, at least one.
pub(crate) fn is_iso8601_duration(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let Some(mut rest) = text.strip_prefix('P') else {
        return false;
    };
    let mut parts = 0;
    let mut in_time = false;
    let mut order: &[char] = &['Y', 'M', 'W', 'D'];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('T') {
            if in_time || after.is_empty() {
                return false;
            }
            in_time = true;
            order = &['H', 'M', 'S'];
            rest = after;
            continue;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return false;
        }
        let Some(unit) = rest[digits..].chars().next() else {
            return false;
        };
        let Some(index) = order.iter().position(|&c| c == unit) else {
            return false;
        };
        order = &order[index + 1..];
        parts += 1;
        rest = &rest[digits + 1..];
    }
    parts > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for good in [
            "-PT2H",
            "-P1D",
            "-P5DT2H",
            "PT30M",
            "+P1W",
            "-P1DT1H1M1S",
            "P1Y2M",
        ] {
            assert!(is_iso8601_duration(good), "{good}");
        }
        for bad in [
            "", "P", "-P", "PT", "2H", "-PT2", "-PTH", "-P1H", "-PT1D", "-PT1H1H", "-P1DT",
            "-PT1M1H", "-P1.5D", "P1DT2HX", "-P-1D",
        ] {
            assert!(!is_iso8601_duration(bad), "{bad}");
        }
    }

    #[test]
    fn starts_and_limits() {
        let journal = "https://events-va6.adobe.io/events/organizations/o/integrations/i/r";
        let build = |url: JournalUrl| url.build().map(|url| url.to_string());
        let base = JournalUrl::new(journal).unwrap();
        assert_eq!(build(base.clone()).unwrap(), journal);
        assert_eq!(
            build(base.clone().since("camel:a b&c").limit(10)).unwrap(),
            format!("{journal}?since=camel%3Aa+b%26c&limit=10")
        );
        assert_eq!(
            build(base.clone().latest()).unwrap(),
            format!("{journal}?latest=true")
        );
        assert_eq!(
            build(base.clone().seek("-PT2H").since("p")),
            Err(JournalError::Conflict {
                first: "seek",
                second: "since"
            })
        );
        assert_eq!(
            build(base.clone().latest().seek("-PT2H")),
            Err(JournalError::Conflict {
                first: "latest",
                second: "seek"
            })
        );
        assert_eq!(
            build(base.clone().seek("2 hours")),
            Err(JournalError::InvalidSeek("2 hours".to_owned()))
        );
        assert_eq!(build(base.clone().limit(0)), Err(JournalError::ZeroLimit));
        assert_eq!(
            build(base.clone().since("")),
            Err(JournalError::EmptyPosition)
        );
        // Starts already in the URL are replaced, other parameters kept.
        let with_query = JournalUrl::new(&format!("{journal}?since=old&x=1&limit=3")).unwrap();
        assert_eq!(
            build(with_query.since("new")).unwrap(),
            format!("{journal}?x=1&since=new")
        );
        for bad in [
            "http://events-va6.adobe.io/x",
            "https://u:p@events-va6.adobe.io/x",
            "https://events-va6.adobe.io/x#f",
            "not a url",
        ] {
            assert!(
                matches!(JournalUrl::new(bad), Err(JournalError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}
