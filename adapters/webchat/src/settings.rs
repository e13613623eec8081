//! The web chat's section (`[channels.NAME]` with `kind = "webchat"`, or the older `[webchat]`).

use kanava_adapter::settings::Section;
use kanava_adapter::settings::{route_path, SettingError};
use kanava_adapter::SettingsContext;
use serde::Deserialize;

use crate::WebChatConfig;

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebChatSettings {
    path: Option<String>,
    allowed_origins: Option<Vec<String>>,
    max_message_bytes: Option<i64>,
    messages_per_second: Option<i64>,
    trusted_proxies: Option<Vec<String>>,
}

impl Section for WebChatSettings {
    type Checked = WebChatConfig;

    fn validate(self, _cx: &SettingsContext<'_>) -> Result<WebChatConfig, SettingError> {
        let path = match self.path.as_deref() {
            None | Some("/") => String::from("/"),
            Some(p) => route_path("path", p.trim_end_matches('/'))?,
        };
        let max_bytes = self.max_message_bytes.unwrap_or(4096);
        if !(64..=65536).contains(&max_bytes) {
            return Err(SettingError::new(
                "max_message_bytes",
                format!("{max_bytes} is outside 64..=65536"),
            ));
        }
        let rate = self.messages_per_second.unwrap_or(2);
        if !(1..=1000).contains(&rate) {
            return Err(SettingError::new(
                "messages_per_second",
                format!("{rate} is outside 1..=1000"),
            ));
        }
        let origins = self.allowed_origins.unwrap_or_default();
        for (i, o) in origins.iter().enumerate() {
            let host = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.contains(['/', ' '])) {
                return Err(SettingError::new(
                    format!("allowed_origins[{i}]"),
                    format!(
                        "{o:?} is not an origin like https://www.example.fi (scheme and host, no path)"
                    ),
                ));
            }
        }
        let mut trusted_proxies = Vec::new();
        for (i, p) in self.trusted_proxies.unwrap_or_default().iter().enumerate() {
            trusted_proxies.push(p.trim().parse().map_err(|_| {
                SettingError::new(
                    format!("trusted_proxies[{i}]"),
                    format!("{p:?} is not an IP address like 10.0.0.1 or fd00::1"),
                )
            })?);
        }
        Ok(WebChatConfig {
            path,
            allowed_origins: origins,
            max_message_bytes: max_bytes as usize,
            messages_per_second: rate as u32,
            trusted_proxies,
        })
    }
}
