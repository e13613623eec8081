//! The Telegram section (`[channels.NAME]` with `kind = "telegram"`, or the older `[telegram]`).
//! The token and the webhook secret never appear in an error.

use std::time::Duration;

use kanava_adapter::settings::Section;
use kanava_adapter::settings::{http_url, is_loopback, one_of, SettingError};
use kanava_adapter::SettingsContext;
use serde::Deserialize;

use crate::{GroupReplies, Mode, TelegramConfig};

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    token: Option<String>,
    api_url: Option<String>,
    mode: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    groups: Option<String>,
    poll_timeout_seconds: Option<i64>,
}

impl Section for TelegramSettings {
    type Checked = TelegramConfig;

    fn has_credentials(&self) -> Option<&'static str> {
        self.token.is_some().then_some("token")
    }

    fn validate(self, cx: &SettingsContext<'_>) -> Result<TelegramConfig, SettingError> {
        let Some(token) = self.token.filter(|t| !t.trim().is_empty()) else {
            return Err(SettingError::new(
                "token",
                format!(
                    "missing: the channel {} is enabled but has no bot token (set it in the file or in the environment)",
                    cx.instance
                ),
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
            return Err(SettingError::new(
                "token",
                "not a bot token: expected the form 123456789:AA… from @BotFather (value not shown)",
            ));
        }
        let mut api_url = http_url(
            "api_url",
            self.api_url
                .as_deref()
                .unwrap_or("https://api.telegram.org/"),
        )?;
        // teloxide appends `bot<token>/<method>` as path segments.
        if !api_url.path().ends_with('/') {
            api_url.set_path(&format!("{}/", api_url.path()));
        }
        let mode = match one_of(
            "mode",
            self.mode.as_deref().unwrap_or("polling"),
            &["polling", "webhook"],
        )? {
            "polling" => Mode::Polling,
            _ => {
                let Some(u) = self.webhook_url else {
                    return Err(SettingError::new(
                        "webhook_url",
                        "missing: webhook mode needs the public URL Telegram posts to",
                    ));
                };
                let public_url = http_url("webhook_url", &u)?;
                if public_url.scheme() != "https" && !is_loopback(&public_url) {
                    return Err(SettingError::new(
                        "webhook_url",
                        format!("{u:?} must use https (Telegram only posts to HTTPS webhooks)"),
                    ));
                }
                kanava_adapter::settings::route_path("webhook_url", public_url.path())?;
                let Some(secret) = self.webhook_secret else {
                    return Err(SettingError::new(
                        "webhook_secret",
                        "missing: webhook mode needs a secret so forged updates are rejected",
                    ));
                };
                let ok = (16..=256).contains(&secret.len())
                    && secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(SettingError::new(
                        "webhook_secret",
                        "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (value not shown)",
                    ));
                }
                Mode::Webhook { public_url, secret }
            }
        };
        let groups = match one_of(
            "groups",
            self.groups.as_deref().unwrap_or("mentions"),
            &["mentions", "never"],
        )? {
            "mentions" => GroupReplies::WhenMentioned,
            _ => GroupReplies::Never,
        };
        let timeout = self.poll_timeout_seconds.unwrap_or(10);
        if !(0..=15).contains(&timeout) {
            return Err(SettingError::new(
                "poll_timeout_seconds",
                format!("{timeout} is outside 0..=15 (the HTTP client gives up after 17 s)"),
            ));
        }
        Ok(TelegramConfig {
            token,
            api_url,
            mode,
            groups,
            poll_timeout: Duration::from_secs(timeout as u64),
        })
    }
}
