//! Settings of one channel instance: each adapter crate reads and checks its own section
//! (`[channels.NAME]`), so a platform's keys are written once, beside the code that uses them.
//! Errors name the key relative to the section; kanava's configuration adds the section's path
//! (and the environment variable that set it).

use std::net::SocketAddr;
use std::path::Path;

use crate::identity::ChannelId;

/// A setting with a bad or missing value. Secrets never appear in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    /// The key within the instance's section, e.g. `token` or `service_urls[1]`.
    pub key: String,
    /// Why.
    pub message: String,
}

impl SettingError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A channel kind's section as read from the configuration, before it is checked.
///
/// kanava's configuration reads every kind through this one trait, so adding a kind adds no
/// read-and-check code there.
pub trait Section: serde::de::DeserializeOwned {
    /// The checked settings the adapter is built from.
    type Checked;

    /// The key of a credential, when one is set: kanava refuses an old-style section
    /// (`[telegram]`) that has one but does not say `enabled`.
    fn has_credentials(&self) -> Option<&'static str> {
        None
    }

    /// Checks every key.
    fn validate(self, cx: &SettingsContext<'_>) -> Result<Self::Checked, SettingError>;
}

/// What an instance's settings may depend on besides its own section.
#[derive(Debug, Clone, Copy)]
pub struct SettingsContext<'a> {
    /// The instance being configured.
    pub instance: &'a ChannelId,
    /// Where kanava's HTTP server listens (some checks allow shortcuts on loopback only).
    pub listen: SocketAddr,
    /// kanava's data directory (for adapters that keep files of their own, like Matrix's
    /// crypto store).
    pub data_dir: &'a Path,
}

/// An `http(s)` URL, or an error naming `key`.
pub fn http_url(key: &str, s: &str) -> Result<url::Url, SettingError> {
    let u = url::Url::parse(s)
        .map_err(|e| SettingError::new(key, format!("{s:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(SettingError::new(
            key,
            format!("{s:?} must be an http(s) URL"),
        ));
    }
    Ok(u)
}

/// Whether the URL names this machine.
pub fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `value` if it is one of `allowed`, else an error listing them.
pub fn one_of<'v>(key: &str, value: &'v str, allowed: &[&str]) -> Result<&'v str, SettingError> {
    if allowed.contains(&value) {
        return Ok(value);
    }
    let list = allowed
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(SettingError::new(
        key,
        format!("{value:?} is not one of {list}"),
    ))
}

/// A URL path an instance serves (`/api/messages`, `/chat-sv`): starts with `/`, no query,
/// only unreserved characters, so it can be mounted as is.
pub fn route_path(key: &str, s: &str) -> Result<String, SettingError> {
    let ok = s.starts_with('/')
        && s.len() <= 128
        && !s.contains("//")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if !ok {
        return Err(SettingError::new(
            key,
            format!("{s:?} is not a path like /api/messages (letters, digits, / - _ . ~)"),
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_key() {
        assert_eq!(http_url("api_url", "ftp://x").unwrap_err().key, "api_url");
        assert!(is_loopback(&http_url("k", "http://127.0.0.1:9").unwrap()));
        assert!(one_of("mode", "push", &["polling", "webhook"])
            .unwrap_err()
            .message
            .contains("\"polling\", \"webhook\""));
        assert!(route_path("path", "/api/messages").is_ok());
        assert!(route_path("path", "api").is_err());
        assert!(route_path("path", "/a?b").is_err());
    }
}
