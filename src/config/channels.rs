//! The platform channels' configuration sections, validated into settings the server turns
//! into adapters. Secrets (tokens, webhook secrets) never appear in error messages.

use serde::Deserialize;

use super::{key_err, ConfigError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    enabled: Option<bool>,
    token: Option<String>,
    api_url: Option<String>,
    mode: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    groups: Option<String>,
    poll_timeout_seconds: Option<i64>,
}

/// How Telegram updates arrive.
#[derive(Clone, PartialEq, Eq)]
pub enum TelegramMode {
    /// Long polling.
    Polling,
    /// A webhook at `url`, authenticated by `secret`.
    Webhook {
        /// The public URL Telegram posts to.
        url: url::Url,
        /// The shared secret header value.
        secret: String,
    },
}

impl std::fmt::Debug for TelegramMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TelegramMode::Polling => f.write_str("polling"),
            TelegramMode::Webhook { url, .. } => write!(f, "webhook at {url}"),
        }
    }
}

/// Validated Telegram settings.
#[derive(Clone)]
pub struct TelegramSettings {
    /// The bot token.
    pub token: String,
    /// The Bot API server.
    pub api_url: url::Url,
    /// Polling or webhook.
    pub mode: TelegramMode,
    /// Answer in groups when mentioned (`true`) or never.
    pub answer_in_groups: bool,
    /// Seconds one `getUpdates` call waits.
    pub poll_timeout_seconds: u32,
}

impl std::fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("api_url", &self.api_url.as_str())
            .field("mode", &self.mode)
            .field("answer_in_groups", &self.answer_in_groups)
            .finish_non_exhaustive()
    }
}

fn parse_url(key: &str, s: &str) -> Result<url::Url, ConfigError> {
    let u = url::Url::parse(s).map_err(|e| key_err(key, format!("{s:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(key_err(key, format!("{s:?} must be an http(s) URL")));
    }
    Ok(u)
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(super) fn telegram(raw: RawTelegram) -> Result<Option<TelegramSettings>, ConfigError> {
    if !raw.enabled.unwrap_or(false) {
        return Ok(None);
    }
    let Some(token) = raw.token.filter(|t| !t.trim().is_empty()) else {
        return Err(key_err(
            "telegram.token",
            "missing: the channel is enabled but has no bot token (set it in the file or in KANAVA_TELEGRAM_TOKEN)",
        ));
    };
    let token = token.trim().to_string();
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !well_formed {
        return Err(key_err(
            "telegram.token",
            "not a bot token: expected the form 123456789:AA… from @BotFather (value not shown)",
        ));
    }
    let mut api_url = parse_url(
        "telegram.api_url",
        raw.api_url
            .as_deref()
            .unwrap_or("https://api.telegram.org/"),
    )?;
    // teloxide appends `bot<token>/<method>` as path segments.
    if !api_url.path().ends_with('/') {
        api_url.set_path(&format!("{}/", api_url.path()));
    }
    let mode = match raw.mode.as_deref().unwrap_or("polling") {
        "polling" => TelegramMode::Polling,
        "webhook" => {
            let Some(u) = raw.webhook_url else {
                return Err(key_err(
                    "telegram.webhook_url",
                    "missing: webhook mode needs the public URL Telegram posts to",
                ));
            };
            let url = parse_url("telegram.webhook_url", &u)?;
            if url.scheme() != "https" && !is_loopback(&url) {
                return Err(key_err(
                    "telegram.webhook_url",
                    format!("{u:?} must use https (Telegram only posts to HTTPS webhooks)"),
                ));
            }
            let Some(secret) = raw.webhook_secret else {
                return Err(key_err(
                    "telegram.webhook_secret",
                    "missing: webhook mode needs a secret so forged updates are rejected",
                ));
            };
            let ok = (16..=256).contains(&secret.len())
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(key_err(
                    "telegram.webhook_secret",
                    "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (value not shown)",
                ));
            }
            TelegramMode::Webhook { url, secret }
        }
        other => {
            return Err(key_err(
                "telegram.mode",
                format!("{other:?} is not one of \"polling\", \"webhook\""),
            ))
        }
    };
    let answer_in_groups = match raw.groups.as_deref().unwrap_or("mentions") {
        "mentions" => true,
        "never" => false,
        other => {
            return Err(key_err(
                "telegram.groups",
                format!("{other:?} is not one of \"mentions\", \"never\""),
            ))
        }
    };
    let timeout = raw.poll_timeout_seconds.unwrap_or(10);
    if !(0..=15).contains(&timeout) {
        return Err(key_err(
            "telegram.poll_timeout_seconds",
            format!("{timeout} is outside 0..=15 (the HTTP client gives up after 17 s)"),
        ));
    }
    Ok(Some(TelegramSettings {
        token,
        api_url,
        mode,
        answer_in_groups,
        poll_timeout_seconds: timeout as u32,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{load, Overrides};

    fn load_env(env: &[(&str, &str)]) -> Result<super::super::Config, String> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        load(None, env, &Overrides::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn telegram_errors_name_the_key_and_hide_the_token() {
        let e = load_env(&[("KANAVA_TELEGRAM_ENABLED", "true")]).unwrap_err();
        assert!(e.starts_with("config key `telegram.token`: missing"), "{e}");
        let e = load_env(&[
            ("KANAVA_TELEGRAM_ENABLED", "true"),
            ("KANAVA_TELEGRAM_TOKEN", "12345:secret value"),
        ])
        .unwrap_err();
        assert!(
            e.starts_with("config key `telegram.token`: not a bot token"),
            "{e}"
        );
        assert!(!e.contains("secret value"), "{e}");
        let e = load_env(&[
            ("KANAVA_TELEGRAM_ENABLED", "true"),
            ("KANAVA_TELEGRAM_TOKEN", "12345:abc"),
            ("KANAVA_TELEGRAM_MODE", "webhook"),
            (
                "KANAVA_TELEGRAM_WEBHOOK_URL",
                "http://bot.example.fi/telegram/webhook",
            ),
        ])
        .unwrap_err();
        assert!(e.starts_with("config key `telegram.webhook_url`: "), "{e}");
        let c = load_env(&[
            ("KANAVA_TELEGRAM_ENABLED", "true"),
            ("KANAVA_TELEGRAM_TOKEN", "12345:abc"),
            ("KANAVA_TELEGRAM_API_URL", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        let t = c.telegram.unwrap();
        assert_eq!(t.api_url.as_str(), "http://127.0.0.1:9000/");
        assert!(!format!("{t:?}").contains("abc"));
    }
}
