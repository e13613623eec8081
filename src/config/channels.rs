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

/// A channel section whose credentials are set but whose `enabled` is not: an error, since
/// starting no channel without a word is what the operator least expects.
fn undecided(
    section: &str,
    enabled: Option<bool>,
    credential: Option<(&str, bool)>,
) -> Result<(), ConfigError> {
    match (enabled, credential) {
        (None, Some((key, true))) => Err(key_err(
            &format!("{section}.enabled"),
            format!(
                "missing: {section}.{key} is set, but the channel starts only with enabled = true (KANAVA_{}_ENABLED=true); set it to false to keep the channel off",
                section.to_ascii_uppercase()
            ),
        )),
        _ => Ok(()),
    }
}

pub(super) fn telegram(raw: RawTelegram) -> Result<Option<TelegramSettings>, ConfigError> {
    undecided(
        "telegram",
        raw.enabled,
        Some(("token", raw.token.is_some())),
    )?;
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBotFramework {
    enabled: Option<bool>,
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

/// How Bot Framework requests are authenticated.
#[derive(Debug, Clone)]
pub enum BotFrameworkAuth {
    /// JWTs checked against the OpenID metadata's keys.
    Jwt {
        /// The OpenID metadata document.
        openid_url: url::Url,
        /// Accepted issuers.
        issuers: Vec<String>,
    },
    /// None (loopback emulators only).
    None,
}

/// Validated Bot Framework settings.
#[derive(Clone)]
pub struct BotFrameworkSettings {
    /// Inbound authentication.
    pub auth: BotFrameworkAuth,
    /// The bot's app id (audience of inbound tokens, client id outbound).
    pub app_id: Option<String>,
    /// The app password (client secret). Never logged.
    pub app_password: Option<String>,
    /// The OAuth token endpoint.
    pub token_url: url::Url,
    /// The OAuth scope.
    pub token_scope: String,
    /// Connector URL prefixes replies may go to without a token vouching for them.
    pub service_urls: Vec<url::Url>,
    /// Largest request body.
    pub max_body_bytes: usize,
}

impl std::fmt::Debug for BotFrameworkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotFrameworkSettings")
            .field("auth", &self.auth)
            .field("app_id", &self.app_id)
            .field("service_urls", &self.service_urls)
            .finish_non_exhaustive()
    }
}

pub(super) fn botframework(
    raw: RawBotFramework,
    listen: &std::net::SocketAddr,
) -> Result<Option<BotFrameworkSettings>, ConfigError> {
    undecided(
        "botframework",
        raw.enabled,
        Some(("app_password", raw.app_password.is_some())),
    )?;
    if !raw.enabled.unwrap_or(false) {
        return Ok(None);
    }
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let app_id = nonempty(raw.app_id);
    let app_password = nonempty(raw.app_password);
    let auth = match raw.auth.as_deref().unwrap_or("jwt") {
        "jwt" => {
            if app_id.is_none() {
                return Err(key_err(
                    "botframework.app_id",
                    "missing: tokens are checked against the bot's app id (the audience)",
                ));
            }
            if app_password.is_none() {
                return Err(key_err(
                    "botframework.app_password",
                    "missing: replies need a token from the client-credentials flow (set KANAVA_BOTFRAMEWORK_APP_PASSWORD)",
                ));
            }
            BotFrameworkAuth::Jwt {
                openid_url: parse_url(
                    "botframework.openid_url",
                    raw.openid_url.as_deref().unwrap_or(
                        "https://login.botframework.com/v1/.well-known/openidconfiguration",
                    ),
                )?,
                issuers: raw
                    .issuers
                    .filter(|i| !i.is_empty())
                    .unwrap_or_else(|| vec!["https://api.botframework.com".into()]),
            }
        }
        "none" => {
            if !listen.ip().is_loopback() {
                return Err(key_err(
                    "botframework.auth",
                    format!("\"none\" is only for local emulators: kanava must listen on loopback, but server.listen is {listen}"),
                ));
            }
            BotFrameworkAuth::None
        }
        other => {
            return Err(key_err(
                "botframework.auth",
                format!("{other:?} is not one of \"jwt\", \"none\""),
            ))
        }
    };
    let token_url = parse_url(
        "botframework.token_url",
        raw.token_url
            .as_deref()
            .unwrap_or("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"),
    )?;
    let mut service_urls = Vec::new();
    for (i, u) in raw.service_urls.unwrap_or_default().iter().enumerate() {
        service_urls.push(parse_url(&format!("botframework.service_urls[{i}]"), u)?);
    }
    if matches!(auth, BotFrameworkAuth::None) && service_urls.is_empty() {
        // Without a token nothing vouches for a connector: with no allow-list every activity
        // would be refused with 403 while /healthz looked fine.
        return Err(key_err(
            "botframework.service_urls",
            "missing: with auth = \"none\" replies go only to listed connectors, e.g. [\"http://127.0.0.1:3000\"] (KANAVA_BOTFRAMEWORK_SERVICE_URLS)",
        ));
    }
    let max = raw.max_body_bytes.unwrap_or(256 * 1024);
    if !(1024..=16 * 1024 * 1024).contains(&max) {
        return Err(key_err(
            "botframework.max_body_bytes",
            format!("{max} is outside 1024..=16777216"),
        ));
    }
    Ok(Some(BotFrameworkSettings {
        auth,
        app_id,
        app_password,
        token_url,
        token_scope: raw
            .token_scope
            .unwrap_or_else(|| "https://api.botframework.com/.default".into()),
        service_urls,
        max_body_bytes: max as usize,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatrix {
    enabled: Option<bool>,
    homeserver: Option<String>,
    user_id: Option<String>,
    password: Option<String>,
    access_token: Option<String>,
    device_id: Option<String>,
    allowed_servers: Option<Vec<String>>,
    allowed_users: Option<Vec<String>>,
    groups: Option<String>,
}

/// How the Matrix bot logs in.
#[derive(Clone)]
pub enum MatrixLogin {
    /// With a password (the session is kept afterwards).
    Password(String),
    /// With an access token for a known device.
    AccessToken {
        /// The token.
        token: String,
        /// Its device.
        device_id: String,
    },
}

impl std::fmt::Debug for MatrixLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatrixLogin::Password(_) => f.write_str("password"),
            MatrixLogin::AccessToken { device_id, .. } => write!(f, "access token ({device_id})"),
        }
    }
}

/// Validated Matrix settings.
#[derive(Clone)]
pub struct MatrixSettings {
    /// The homeserver's client API URL.
    pub homeserver: url::Url,
    /// The bot's user id.
    pub user_id: String,
    /// Login.
    pub login: MatrixLogin,
    /// Invites from these servers are accepted.
    pub allowed_servers: Vec<String>,
    /// Invites from these users are accepted.
    pub allowed_users: Vec<String>,
    /// Answer in group rooms when mentioned.
    pub answer_in_groups: bool,
}

impl std::fmt::Debug for MatrixSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixSettings")
            .field("homeserver", &self.homeserver.as_str())
            .field("user_id", &self.user_id)
            .field("allowed_servers", &self.allowed_servers)
            .finish_non_exhaustive()
    }
}

/// `@local:server` → `server`, if the id has that shape.
fn server_of(user_id: &str) -> Option<&str> {
    let rest = user_id.strip_prefix('@')?;
    let (local, server) = rest.split_once(':')?;
    (!local.is_empty() && !server.is_empty()).then_some(server)
}

pub(super) fn matrix(raw: RawMatrix) -> Result<Option<MatrixSettings>, ConfigError> {
    let credential = match (&raw.password, &raw.access_token) {
        (Some(_), _) => Some(("password", true)),
        (_, Some(_)) => Some(("access_token", true)),
        _ => None,
    };
    undecided("matrix", raw.enabled, credential)?;
    if !raw.enabled.unwrap_or(false) {
        return Ok(None);
    }
    let Some(hs) = raw.homeserver else {
        return Err(key_err(
            "matrix.homeserver",
            "missing: the homeserver's client API URL, e.g. https://matrix.example.fi",
        ));
    };
    let homeserver = parse_url("matrix.homeserver", &hs)?;
    let Some(user_id) = raw.user_id else {
        return Err(key_err(
            "matrix.user_id",
            "missing: the bot's user id, e.g. @kanava:example.fi",
        ));
    };
    let Some(server) = server_of(&user_id) else {
        return Err(key_err(
            "matrix.user_id",
            format!("{user_id:?} is not a user id like @kanava:example.fi"),
        ));
    };
    let server = server.to_string();
    let login = match (raw.password, raw.access_token, raw.device_id) {
        (Some(p), None, _) if !p.is_empty() => MatrixLogin::Password(p),
        (None, Some(token), Some(device_id)) if !token.is_empty() => {
            MatrixLogin::AccessToken { token, device_id }
        }
        (None, Some(_), None) => {
            return Err(key_err(
                "matrix.device_id",
                "missing: an access token belongs to a device; give its id so the crypto keys stay the same",
            ))
        }
        (Some(_), Some(_), _) => {
            return Err(key_err(
                "matrix.access_token",
                "give either matrix.password or matrix.access_token, not both",
            ))
        }
        _ => {
            return Err(key_err(
                "matrix.password",
                "missing: set matrix.password (or matrix.access_token with matrix.device_id); better through KANAVA_MATRIX_PASSWORD",
            ))
        }
    };
    let answer_in_groups = match raw.groups.as_deref().unwrap_or("mentions") {
        "mentions" => true,
        "never" => false,
        other => {
            return Err(key_err(
                "matrix.groups",
                format!("{other:?} is not one of \"mentions\", \"never\""),
            ))
        }
    };
    let allowed_users = raw.allowed_users.unwrap_or_default();
    for (i, u) in allowed_users.iter().enumerate() {
        if server_of(u).is_none() {
            return Err(key_err(
                &format!("matrix.allowed_users[{i}]"),
                format!("{u:?} is not a user id like @someone:example.fi"),
            ));
        }
    }
    Ok(Some(MatrixSettings {
        homeserver,
        allowed_servers: raw.allowed_servers.unwrap_or_else(|| vec![server]),
        allowed_users,
        user_id,
        login,
        answer_in_groups,
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

    #[test]
    fn matrix_keys_are_checked() {
        let e = load_env(&[("KANAVA_MATRIX_ENABLED", "true")]).unwrap_err();
        assert!(
            e.starts_with("config key `matrix.homeserver`: missing"),
            "{e}"
        );
        let e = load_env(&[
            ("KANAVA_MATRIX_ENABLED", "true"),
            ("KANAVA_MATRIX_HOMESERVER", "http://127.0.0.1:8008"),
            ("KANAVA_MATRIX_USER_ID", "kanava"),
        ])
        .unwrap_err();
        assert!(e.starts_with("config key `matrix.user_id`: "), "{e}");
        let e = load_env(&[
            ("KANAVA_MATRIX_ENABLED", "true"),
            ("KANAVA_MATRIX_HOMESERVER", "http://127.0.0.1:8008"),
            ("KANAVA_MATRIX_USER_ID", "@kanava:localhost"),
            ("KANAVA_MATRIX_ACCESS_TOKEN", "syt_abc"),
        ])
        .unwrap_err();
        assert!(
            e.starts_with("config key `matrix.device_id`: missing"),
            "{e}"
        );
        let c = load_env(&[
            ("KANAVA_MATRIX_ENABLED", "true"),
            ("KANAVA_MATRIX_HOMESERVER", "http://127.0.0.1:8008"),
            ("KANAVA_MATRIX_USER_ID", "@kanava:localhost"),
            ("KANAVA_MATRIX_PASSWORD", "hunter2-secret"),
        ])
        .unwrap();
        let m = c.matrix.unwrap();
        assert_eq!(m.allowed_servers, ["localhost"]);
        assert!(!format!("{m:?}").contains("hunter2"));
    }

    #[test]
    fn botframework_needs_credentials_and_refuses_no_auth_off_loopback() {
        let e = load_env(&[("KANAVA_BOTFRAMEWORK_ENABLED", "true")]).unwrap_err();
        assert!(
            e.starts_with("config key `botframework.app_id`: missing"),
            "{e}"
        );
        let e = load_env(&[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_AUTH", "none"),
            ("KANAVA_SERVER_LISTEN", "0.0.0.0:8080"),
        ])
        .unwrap_err();
        assert!(
            e.starts_with("config key `botframework.auth`: \"none\" is only for local emulators"),
            "{e}"
        );
        let e = load_env(&[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_AUTH", "none"),
        ])
        .unwrap_err();
        assert!(
            e.starts_with("config key `botframework.service_urls`: missing"),
            "{e}"
        );
        let c = load_env(&[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_AUTH", "none"),
            (
                "KANAVA_BOTFRAMEWORK_SERVICE_URLS",
                "[\"http://127.0.0.1:3000\"]",
            ),
        ])
        .unwrap();
        assert!(matches!(
            c.botframework.unwrap().auth,
            super::BotFrameworkAuth::None
        ));
        let c = load_env(&[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_APP_ID", "app-1"),
            ("KANAVA_BOTFRAMEWORK_APP_PASSWORD", "pa55word-value"),
        ])
        .unwrap();
        let b = c.botframework.unwrap();
        assert!(!format!("{b:?}").contains("pa55word"));
    }
}
