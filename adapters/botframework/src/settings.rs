//! The Bot Framework section (`[channels.NAME]` with `kind = "botframework"`, or the older
//! `[botframework]`). The app password never appears in an error.

use kanava_adapter::settings::Section;
use kanava_adapter::settings::{http_url, one_of, route_path, SettingError};
use kanava_adapter::SettingsContext;
use serde::Deserialize;

use crate::{Auth, BotFrameworkConfig, Credentials, JwtConfig, MESSAGES_PATH};

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotFrameworkSettings {
    path: Option<String>,
    auth: Option<String>,
    app_id: Option<String>,
    app_password: Option<String>,
    openid_url: Option<String>,
    issuers: Option<Vec<String>>,
    token_url: Option<String>,
    token_scope: Option<String>,
    service_urls: Option<Vec<String>>,
    max_body_bytes: Option<i64>,
}

impl Section for BotFrameworkSettings {
    type Checked = BotFrameworkConfig;

    fn has_credentials(&self) -> Option<&'static str> {
        self.app_password.is_some().then_some("app_password")
    }

    fn validate(self, cx: &SettingsContext<'_>) -> Result<BotFrameworkConfig, SettingError> {
        let nonempty =
            |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let app_id = nonempty(self.app_id);
        let app_password = nonempty(self.app_password);
        let path = route_path("path", self.path.as_deref().unwrap_or(MESSAGES_PATH))?;
        let auth = match one_of(
            "auth",
            self.auth.as_deref().unwrap_or("jwt"),
            &["jwt", "none"],
        )? {
            "jwt" => {
                let Some(id) = &app_id else {
                    return Err(SettingError::new(
                        "app_id",
                        "missing: tokens are checked against the bot's app id (the audience)",
                    ));
                };
                if app_password.is_none() {
                    return Err(SettingError::new(
                        "app_password",
                        "missing: replies need a token from the client-credentials flow (better set in the environment)",
                    ));
                }
                Auth::Jwt(JwtConfig {
                    openid_url: http_url(
                        "openid_url",
                        self.openid_url.as_deref().unwrap_or(
                            "https://login.botframework.com/v1/.well-known/openidconfiguration",
                        ),
                    )?,
                    issuers: self
                        .issuers
                        .filter(|i| !i.is_empty())
                        .unwrap_or_else(|| vec!["https://api.botframework.com".into()]),
                    app_id: id.clone(),
                })
            }
            _ => {
                if !cx.listen.ip().is_loopback() {
                    return Err(SettingError::new(
                        "auth",
                        format!("\"none\" is only for local emulators: kanava must listen on loopback, but server.listen is {}", cx.listen),
                    ));
                }
                Auth::None
            }
        };
        let token_url = http_url(
            "token_url",
            self.token_url
                .as_deref()
                .unwrap_or("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"),
        )?;
        let mut service_urls = Vec::new();
        for (i, u) in self.service_urls.unwrap_or_default().iter().enumerate() {
            service_urls.push(http_url(&format!("service_urls[{i}]"), u)?);
        }
        if matches!(auth, Auth::None) && service_urls.is_empty() {
            // Without a token nothing vouches for a connector: with no allow-list every activity
            // would be refused with 403 while /healthz looked fine.
            return Err(SettingError::new(
                "service_urls",
                "missing: with auth = \"none\" replies go only to listed connectors, e.g. [\"http://127.0.0.1:3000\"]",
            ));
        }
        let max = self.max_body_bytes.unwrap_or(256 * 1024);
        if !(1024..=16 * 1024 * 1024).contains(&max) {
            return Err(SettingError::new(
                "max_body_bytes",
                format!("{max} is outside 1024..=16777216"),
            ));
        }
        let credentials = match (app_id, app_password) {
            (Some(app_id), Some(app_password)) => Some(Credentials {
                token_url,
                app_id,
                app_password,
                scope: self
                    .token_scope
                    .unwrap_or_else(|| "https://api.botframework.com/.default".into()),
            }),
            _ => None,
        };
        Ok(BotFrameworkConfig {
            path,
            auth,
            credentials,
            service_urls,
            max_body_bytes: max as usize,
        })
    }
}
