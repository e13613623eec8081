//! The Matrix section (`[channels.NAME]` with `kind = "matrix"`, or the older `[matrix]`). The
//! password and access token never appear in an error.

use kanava_adapter::settings::Section;
use kanava_adapter::settings::{http_url, one_of, SettingError};
use kanava_adapter::SettingsContext;
use serde::Deserialize;

use crate::{Login, MatrixConfig};

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixSettings {
    homeserver: Option<String>,
    user_id: Option<String>,
    password: Option<String>,
    access_token: Option<String>,
    device_id: Option<String>,
    allowed_servers: Option<Vec<String>>,
    allowed_users: Option<Vec<String>>,
    groups: Option<String>,
}

/// `@local:server` → `server`, if the id has that shape.
fn server_of(user_id: &str) -> Option<&str> {
    let rest = user_id.strip_prefix('@')?;
    let (local, server) = rest.split_once(':')?;
    (!local.is_empty() && !server.is_empty()).then_some(server)
}

impl Section for MatrixSettings {
    type Checked = MatrixConfig;

    fn has_credentials(&self) -> Option<&'static str> {
        match (&self.password, &self.access_token) {
            (Some(_), _) => Some("password"),
            (_, Some(_)) => Some("access_token"),
            _ => None,
        }
    }

    /// Checks every key. The crypto store goes under the data dir: `matrix` for the instance
    /// named so (where it always was), `matrix-NAME` for others.
    fn validate(self, cx: &SettingsContext<'_>) -> Result<MatrixConfig, SettingError> {
        let Some(hs) = self.homeserver else {
            return Err(SettingError::new(
                "homeserver",
                "missing: the homeserver's client API URL, e.g. https://matrix.example.fi",
            ));
        };
        let homeserver = http_url("homeserver", &hs)?;
        let Some(user_id) = self.user_id else {
            return Err(SettingError::new(
                "user_id",
                "missing: the bot's user id, e.g. @kanava:example.fi",
            ));
        };
        let Some(server) = server_of(&user_id) else {
            return Err(SettingError::new(
                "user_id",
                format!("{user_id:?} is not a user id like @kanava:example.fi"),
            ));
        };
        let server = server.to_string();
        let login = match (self.password, self.access_token, self.device_id) {
            (Some(p), None, _) if !p.is_empty() => Login::Password(p),
            (None, Some(token), Some(device_id)) if !token.is_empty() => {
                Login::AccessToken { token, device_id }
            }
            (None, Some(_), None) => {
                return Err(SettingError::new(
                    "device_id",
                    "missing: an access token belongs to a device; give its id so the crypto keys stay the same",
                ))
            }
            (Some(_), Some(_), _) => {
                return Err(SettingError::new(
                    "access_token",
                    "give either password or access_token, not both",
                ))
            }
            _ => {
                return Err(SettingError::new(
                    "password",
                    "missing: set password (or access_token with device_id), better through the environment",
                ))
            }
        };
        let answer_in_groups = one_of(
            "groups",
            self.groups.as_deref().unwrap_or("mentions"),
            &["mentions", "never"],
        )? == "mentions";
        let allowed_users = self.allowed_users.unwrap_or_default();
        for (i, u) in allowed_users.iter().enumerate() {
            if server_of(u).is_none() {
                return Err(SettingError::new(
                    format!("allowed_users[{i}]"),
                    format!("{u:?} is not a user id like @someone:example.fi"),
                ));
            }
        }
        let name = cx.instance.as_str();
        let store_dir = if name == "matrix" {
            cx.data_dir.join("matrix")
        } else {
            cx.data_dir.join(format!("matrix-{name}"))
        };
        Ok(MatrixConfig {
            homeserver,
            allowed_servers: self.allowed_servers.unwrap_or_else(|| vec![server]),
            allowed_users,
            user_id,
            login,
            store_dir,
            answer_in_groups,
        })
    }
}
