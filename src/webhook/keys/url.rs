//! Where the public keys live, and how long they may be kept.

use std::time::Duration;

use url::Url;

use crate::text::clip;
use crate::webhook::WebhookError;

/// The host Adobe serves its delivery-signing public keys from; a key path is appended.
pub const PUBLIC_KEY_BASE_URL: &str = "https://static.adobeioevents.com";

/// How long a fetched public key may be used: Adobe asks for a cache of at most 24 hours.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest key path accepted.
const MAX_KEY_PATH_LEN: usize = 512;

const HOST: &str = "static.adobeioevents.com";

/// `https://static.adobeioevents.com` + `key_path` (the value of an
/// `x-adobe-public-key1-path` or `-key2-path` header), refusing anything that could reach
/// another host, port or scheme.
///
/// Adobe's own SDKs concatenate strings, so a header such as `@evil.com/x.pem` would make
/// them fetch from `evil.com`. Here a key path must be a plain absolute path: it starts with
/// one `/`, holds only ASCII letters, digits and `-._~/`, has no empty, `.` or `..` segment,
/// and at most 512 characters. Anything else (`@`, `:`, `\`, `%`, `?`, `#`, whitespace,
/// control characters, `//host`, absolute URLs) is [`WebhookError::InvalidKeyPath`]. The URL
/// built is checked once more: scheme `https`, host `static.adobeioevents.com`, no port, no
/// user, and the path exactly as given.
///
/// ```
/// use aep_flow_run::webhook::public_key_url;
///
/// let url = public_key_url("/prod/keys/pub-key-voy5XEbWmT.pem")?;
/// assert_eq!(url.as_str(), "https://static.adobeioevents.com/prod/keys/pub-key-voy5XEbWmT.pem");
/// assert!(public_key_url("@evil.com/x.pem").is_err());
/// assert!(public_key_url("//evil.com/x.pem").is_err());
/// assert!(public_key_url("/keys/../../x.pem").is_err());
/// # Ok::<(), aep_flow_run::webhook::WebhookError>(())
/// ```
pub fn public_key_url(key_path: &str) -> Result<Url, WebhookError> {
    let refuse = |reason| WebhookError::InvalidKeyPath {
        key_path: clip(key_path, 200),
        reason,
    };
    if key_path.is_empty() {
        return Err(refuse("empty"));
    }
    if key_path.len() > MAX_KEY_PATH_LEN {
        return Err(refuse("longer than 512 characters"));
    }
    if !key_path.starts_with('/') {
        return Err(refuse("does not start with `/`"));
    }
    if let Some(bad) = key_path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/')))
    {
        return Err(refuse(if bad.is_whitespace() || bad.is_control() {
            "holds whitespace or a control character"
        } else {
            "holds a character other than ASCII letters, digits and `-._~/`"
        }));
    }
    for segment in key_path[1..].split('/') {
        match segment {
            "" => return Err(refuse("has an empty segment (`//`)")),
            "." | ".." => return Err(refuse("has a `.` or `..` segment")),
            _ => {}
        }
    }
    let url = Url::parse(&format!("{PUBLIC_KEY_BASE_URL}{key_path}"))
        .map_err(|_| refuse("does not form a URL"))?;
    let stays = url.scheme() == "https"
        && url.host_str() == Some(HOST)
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.path() == key_path;
    if stays {
        Ok(url)
    } else {
        Err(refuse("would leave https://static.adobeioevents.com"))
    }
}
