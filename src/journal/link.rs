//! Following a journal response to the next page: the `rel="next"` link of its `Link`
//! header, kept on the request's origin.

use url::Url;

use super::JournalError;
use crate::text::clip;

/// The `rel="next"` target of a `Link` header value (RFC 8288), resolved against the URL the
/// request went to: `Ok(None)` when there is no `next` link (or the header does not parse).
///
/// The link must stay where the request went: same scheme, host and port, and no user name
/// or password. A journal client sends its bearer token with the next request, so a link to
/// anywhere else (`<http://evil.example/x>`, `<https://169.254.169.254/latest>`, another
/// port, `https://user:pw@...`) is refused with [`JournalError::ForeignLink`] instead of
/// being followed.
///
/// Several links may be given, separated by commas; `rel` may be quoted or not and hold
/// several space-separated relation types, compared ignoring ASCII case.
///
/// ```
/// use aep_flow_run::journal::{next_link, JournalError};
/// use aep_flow_run::url::Url;
///
/// let request = Url::parse("https://events-va6.adobe.io/events/organizations/o/integrations/i/r?limit=5")?;
/// let link = r#"</events/organizations/o/integrations/i/r?since=p2&limit=5>; rel="next", <https://x.adobe.io/count>; rel=count"#;
/// assert_eq!(
///     next_link(link, &request).unwrap().unwrap().as_str(),
///     "https://events-va6.adobe.io/events/organizations/o/integrations/i/r?since=p2&limit=5"
/// );
/// assert_eq!(next_link(r#"<a>; rel="prev""#, &request), Ok(None));
/// assert!(matches!(
///     next_link("<https://evil.example/x>; rel=next", &request),
///     Err(JournalError::ForeignLink { .. })
/// ));
/// # Ok::<(), url::ParseError>(())
/// ```
pub fn next_link(link_header_value: &str, request_url: &Url) -> Result<Option<Url>, JournalError> {
    let Some((target, _)) = parse_links(link_header_value)
        .into_iter()
        .find(|(_, rels)| {
            rels.split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
        })
    else {
        return Ok(None);
    };
    let Ok(url) = request_url.join(target) else {
        return Ok(None);
    };
    let same_origin = url.scheme() == request_url.scheme()
        && url.host() == request_url.host()
        && url.port_or_known_default() == request_url.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if same_origin {
        Ok(Some(url))
    } else {
        Err(JournalError::ForeignLink {
            url: clip(request_url.as_str(), 200),
            link: clip(url.as_str(), 200),
        })
    }
}

/// The links of a `Link` header value, as (target, rel) pairs; parsing stops at the first
/// malformed link.
fn parse_links(value: &str) -> Vec<(&str, String)> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || is_space(c));
        if rest.is_empty() {
            return links;
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            return links;
        };
        let Some(close) = after_open.find('>') else {
            return links;
        };
        let target = &after_open[..close];
        rest = &after_open[close + 1..];
        let mut rel = String::new();
        // Parameters: `; name[=value]`, value a token or a quoted string.
        while let Some(after_semicolon) = rest.trim_start_matches(is_space).strip_prefix(';') {
            let Some((name, value, after)) =
                parameter(after_semicolon.trim_start_matches(is_space))
            else {
                return links;
            };
            rest = after;
            if name.eq_ignore_ascii_case("rel") && rel.is_empty() {
                rel = value;
            }
        }
        links.push((target, rel));
        rest = rest.trim_start_matches(is_space);
        if !rest.is_empty() && !rest.starts_with(',') {
            return links;
        }
    }
}

/// One `name[=value]` parameter at the start of `text`: its name, its value (unquoted and
/// unescaped) and what follows; `None` for an unterminated quoted value.
fn parameter(text: &str) -> Option<(&str, String, &str)> {
    let name_end = text
        .find(|c: char| c == '=' || c == ';' || c == ',' || is_space(c))
        .unwrap_or(text.len());
    let name = &text[..name_end];
    let rest = text[name_end..].trim_start_matches(is_space);
    let Some(after_equals) = rest.strip_prefix('=') else {
        return Some((name, String::new(), rest));
    };
    let rest = after_equals.trim_start_matches(is_space);
    let mut value = String::new();
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut chars = quoted.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return Some((name, value, &quoted[index + 1..])),
                c => value.push(c),
            }
        }
        return None;
    }
    let end = rest
        .find(|c: char| c == ';' || c == ',' || is_space(c))
        .unwrap_or(rest.len());
    value.push_str(&rest[..end]);
    Some((name, value, &rest[end..]))
}

fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// The `since` of a journal URL: the position a request reads after.
pub(crate) fn since_of(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(name, _)| name == "since")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_forms() {
        let base = Url::parse("https://journal.example/events/r?limit=2").unwrap();
        let next = |value: &str| {
            next_link(value, &base)
                .ok()
                .flatten()
                .map(|url| url.to_string())
        };
        assert_eq!(
            next("<?since=a>; rel=next").as_deref(),
            Some("https://journal.example/events/r?since=a")
        );
        assert_eq!(
            next(
                r#"<https://a.example/x>; rel="prev", <../y;z>; title="a, \"b\""; REL="last NEXT""#
            )
            .as_deref(),
            Some("https://journal.example/y;z")
        );
        assert_eq!(next(r#"<javascript:alert(1)>; rel="next""#), None);
        assert_eq!(next(r#"<https://a.example/x; rel="next""#), None);
        assert_eq!(next(""), None);
        assert_eq!(next("garbage"), None);
        assert_eq!(next(r#"<x>; rel="next"#), None);
    }
}
