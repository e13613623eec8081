//! Channel instances: `[channels.NAME]` sections with a `kind`, each checked by its adapter
//! crate's own settings type, so two Telegram bots (or two web chats) can run side by side.
//! The older one-per-platform sections (`[webchat]`, `[telegram]`, `[botframework]`,
//! `[matrix]`) still work: each is the instance of that name. Secrets never appear in errors.

use std::collections::{BTreeMap, HashMap};

use kanava_adapter::settings::Section;
use kanava_adapter::{ChannelId, SettingError, SettingsContext};
use serde::de::DeserializeOwned;

use super::{key_err, ConfigError};

/// The platform sections of the first configuration format.
pub(super) const LEGACY: [&str; 4] = ["webchat", "telegram", "botframework", "matrix"];

/// One channel instance's checked settings.
#[derive(Debug, Clone)]
pub enum ChannelSettings {
    /// The built-in web chat.
    #[cfg(feature = "webchat")]
    WebChat(kanava_webchat::WebChatConfig),
    /// A Telegram bot.
    #[cfg(feature = "telegram")]
    Telegram(kanava_telegram::TelegramConfig),
    /// A Bot Framework app.
    #[cfg(feature = "botframework")]
    BotFramework(kanava_botframework::BotFrameworkConfig),
    /// A Matrix account.
    #[cfg(feature = "matrix")]
    Matrix(kanava_matrix::MatrixConfig),
}

/// A channel instance: its name (the `channel` of every identity on it) and settings.
#[derive(Debug, Clone)]
pub struct ChannelSpec {
    /// The instance name.
    pub name: ChannelId,
    /// Its settings.
    pub settings: ChannelSettings,
}

impl ChannelSpec {
    /// The kind, as written in `kind = "…"`.
    pub fn kind(&self) -> &'static str {
        match &self.settings {
            #[cfg(feature = "webchat")]
            ChannelSettings::WebChat(_) => "webchat",
            #[cfg(feature = "telegram")]
            ChannelSettings::Telegram(_) => "telegram",
            #[cfg(feature = "botframework")]
            ChannelSettings::BotFramework(_) => "botframework",
            #[cfg(feature = "matrix")]
            ChannelSettings::Matrix(_) => "matrix",
        }
    }

    /// The HTTP path the instance is reached at, with the key that sets it, if it serves one.
    fn mount(&self) -> Option<(String, &'static str)> {
        match &self.settings {
            #[cfg(feature = "webchat")]
            ChannelSettings::WebChat(w) => Some((w.path.clone(), "path")),
            #[cfg(feature = "telegram")]
            ChannelSettings::Telegram(t) => match &t.mode {
                kanava_telegram::Mode::Webhook { public_url, .. } => {
                    Some((public_url.path().to_string(), "webhook_url"))
                }
                kanava_telegram::Mode::Polling => None,
            },
            #[cfg(feature = "botframework")]
            ChannelSettings::BotFramework(b) => Some((b.path.clone(), "path")),
            #[cfg(feature = "matrix")]
            ChannelSettings::Matrix(_) => None,
        }
    }
}

/// An instance name: 1–32 of `a-z 0-9 _ -`, starting with a letter or digit (it appears in
/// identities, audit records and the CLI's `--channel`).
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

/// How an instance's name is written in environment variables: `KANAVA_CHANNELS_<THIS>_<KEY>`.
pub(super) fn env_form(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// The channel sections, taken out of the raw table before the rest is read.
#[derive(Debug, Default)]
pub(super) struct Sections {
    legacy: Vec<(&'static str, toml::Table)>,
    instances: BTreeMap<String, toml::Table>,
}

impl Sections {
    pub(super) fn take(table: &mut toml::Table) -> Result<Self, ConfigError> {
        let mut out = Sections::default();
        for name in LEGACY {
            match table.remove(name) {
                None => {}
                Some(toml::Value::Table(t)) => out.legacy.push((name, t)),
                Some(_) => return Err(key_err(name, "must be a table")),
            }
        }
        match table.remove("channels") {
            None => {}
            Some(toml::Value::Table(t)) => {
                for (name, v) in t {
                    let key = format!("channels.{name}");
                    if !valid_name(&name) {
                        return Err(key_err(
                            &key,
                            "an instance name is 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit",
                        ));
                    }
                    let toml::Value::Table(t) = v else {
                        return Err(key_err(
                            &key,
                            "must be a table, e.g. [channels.telegram-sv]",
                        ));
                    };
                    out.instances.insert(name, t);
                }
            }
            Some(_) => return Err(key_err("channels", "must be a table of instances")),
        }
        Ok(out)
    }
}

fn setting_err(prefix: &str, e: SettingError) -> ConfigError {
    key_err(&format!("{prefix}.{}", e.key), e.message)
}

/// `enabled`, taken out of a section (the adapters' settings do not know it).
fn take_enabled(
    section: &mut toml::Table,
    prefix: &str,
    from_env: &HashMap<String, String>,
) -> Result<Option<bool>, ConfigError> {
    let key = format!("{prefix}.enabled");
    match section.remove("enabled") {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(b)),
        Some(v) => match (super::coerce_bool(&v), from_env.get(&key)) {
            // Shells write booleans as 1, yes, on.
            (Some(b), Some(_)) => Ok(Some(b)),
            (_, var) => Err(key_err(
                &key,
                format!(
                    "expected true or false{}",
                    var.map(|v| format!(" (set by {v})")).unwrap_or_default()
                ),
            )),
        },
    }
}

/// Reads a section into an adapter's settings type; errors name the full key and the variable
/// that set it.
fn read<T: DeserializeOwned>(
    section: toml::Table,
    prefix: &str,
    from_env: &HashMap<String, String>,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(toml::Value::Table(section)).map_err(|e| {
        let key = format!("{prefix}.{}", e.path());
        let message = e.into_inner().to_string();
        match from_env.get(&key) {
            None => key_err(&key, message),
            Some(var) => {
                let hint = if message.contains("expected a sequence") {
                    format!("; a list is written as a TOML array, e.g. {var}='[\"https://a.example\", \"https://b.example\"]'")
                } else {
                    String::new()
                };
                key_err(&key, format!("{message} (set by {var}){hint}"))
            }
        }
    })
}

/// A section with credentials but no `enabled`: an error, since starting no channel without a
/// word is what the operator least expects.
fn undecided(
    section: &str,
    enabled: Option<bool>,
    credential: Option<&str>,
) -> Result<(), ConfigError> {
    match (enabled, credential) {
        (None, Some(key)) => Err(key_err(
            &format!("{section}.enabled"),
            format!(
                "missing: {section}.{key} is set, but the channel starts only with enabled = true (KANAVA_{}_ENABLED=true); set it to false to keep the channel off",
                section.to_ascii_uppercase()
            ),
        )),
        _ => Ok(()),
    }
}

fn not_built(prefix: &str, kind: &str) -> ConfigError {
    key_err(
        &format!("{prefix}.kind"),
        format!("this build of kanava has no {kind} channel (cargo feature `{kind}`)"),
    )
}

/// What every section is read with.
struct Reading<'a> {
    from_env: &'a HashMap<String, String>,
    listen: std::net::SocketAddr,
    data_dir: &'a std::path::Path,
}

/// One section → its instance, or `None` when it is switched off.
fn instance(
    name: &str,
    kind: &str,
    mut section: toml::Table,
    prefix: &str,
    legacy: bool,
    reading: &Reading<'_>,
) -> Result<Option<ChannelSpec>, ConfigError> {
    let from_env = reading.from_env;
    let enabled = take_enabled(&mut section, prefix, from_env)?;
    let id = ChannelId::new(name);
    let cx = SettingsContext {
        instance: &id,
        listen: reading.listen,
        data_dir: reading.data_dir,
    };
    // The old sections were off unless enabled (the web chat on); a named instance is on
    // unless `enabled = false`.
    let default_on = !legacy || kind == "webchat";
    let on = |has_credentials: Option<&'static str>| -> Result<bool, ConfigError> {
        if legacy {
            undecided(prefix, enabled, has_credentials)?;
        }
        Ok(enabled.unwrap_or(default_on))
    };
    let reader = |section| Read {
        section,
        prefix,
        from_env,
        cx: &cx,
    };
    let settings = match kind {
        #[cfg(feature = "webchat")]
        "webchat" => reader(section)
            .checked::<kanava_webchat::WebChatSettings>(on)?
            .map(ChannelSettings::WebChat),
        #[cfg(feature = "telegram")]
        "telegram" => reader(section)
            .checked::<kanava_telegram::TelegramSettings>(on)?
            .map(ChannelSettings::Telegram),
        #[cfg(feature = "botframework")]
        "botframework" => reader(section)
            .checked::<kanava_botframework::BotFrameworkSettings>(on)?
            .map(ChannelSettings::BotFramework),
        #[cfg(feature = "matrix")]
        "matrix" => reader(section)
            .checked::<kanava_matrix::MatrixSettings>(on)?
            .map(ChannelSettings::Matrix),
        k if LEGACY.contains(&k) => return Err(not_built(prefix, k)),
        other => {
            return Err(key_err(
                &format!("{prefix}.kind"),
                format!(
                "{other:?} is not one of \"webchat\", \"telegram\", \"botframework\", \"matrix\""
            ),
            ))
        }
    };
    Ok(settings.map(|settings| ChannelSpec { name: id, settings }))
}

/// One instance's section on its way to checked settings.
struct Read<'a> {
    section: toml::Table,
    prefix: &'a str,
    from_env: &'a HashMap<String, String>,
    cx: &'a SettingsContext<'a>,
}

impl Read<'_> {
    /// Reads the section as `S`; `None` when `on` (given the credential key it holds, if
    /// any) says the instance is off, else the settings `S` checked.
    fn checked<S: Section>(
        self,
        on: impl FnOnce(Option<&'static str>) -> Result<bool, ConfigError>,
    ) -> Result<Option<S::Checked>, ConfigError> {
        let s: S = read(self.section, self.prefix, self.from_env)?;
        if !on(s.has_credentials())? {
            return Ok(None);
        }
        s.validate(self.cx)
            .map(Some)
            .map_err(|e| setting_err(self.prefix, e))
    }
}

/// Every enabled instance, checked, with no two at the same HTTP path.
pub(super) fn instances(
    sections: Sections,
    from_env: &HashMap<String, String>,
    listen: std::net::SocketAddr,
    data_dir: &std::path::Path,
) -> Result<Vec<ChannelSpec>, ConfigError> {
    let reading = Reading {
        from_env,
        listen,
        data_dir,
    };
    let mut out: Vec<ChannelSpec> = Vec::new();
    let mut prefixes: HashMap<String, String> = HashMap::new();
    let declared_webchat = sections
        .instances
        .values()
        .any(|t| t.get("kind").and_then(|k| k.as_str()) == Some("webchat"));
    let mut legacy = sections.legacy;
    // The web chat is on by default (the one-command start), unless instances name their own.
    if !legacy.iter().any(|(n, _)| *n == "webchat") && !declared_webchat {
        legacy.push(("webchat", toml::Table::new()));
    }
    for (name, section) in legacy {
        if sections.instances.contains_key(name) {
            return Err(key_err(
                &format!("channels.{name}"),
                format!("the name is taken by the [{name}] section; move its keys into [channels.{name}] (with kind = \"{name}\") and remove [{name}]"),
            ));
        }
        if let Some(spec) = instance(name, name, section, name, true, &reading)? {
            prefixes.insert(name.to_string(), name.to_string());
            out.push(spec);
        }
    }
    for (name, mut section) in sections.instances {
        let prefix = format!("channels.{name}");
        let kind = match section.remove("kind") {
            Some(toml::Value::String(k)) => k,
            Some(_) => return Err(key_err(&format!("{prefix}.kind"), "must be a string")),
            None => {
                return Err(key_err(
                    &format!("{prefix}.kind"),
                    "missing: one of \"webchat\", \"telegram\", \"botframework\", \"matrix\"",
                ))
            }
        };
        if let Some(spec) = instance(&name, &kind, section, &prefix, false, &reading)? {
            prefixes.insert(name.clone(), prefix);
            out.push(spec);
        }
    }
    // Two instances at one path would each take the other's requests.
    let mut mounts: HashMap<String, &ChannelSpec> = HashMap::new();
    for spec in &out {
        let Some((path, key)) = spec.mount() else {
            continue;
        };
        if let Some(other) = mounts.get(&path) {
            let prefix = &prefixes[spec.name.as_str()];
            return Err(key_err(
                &format!("{prefix}.{key}"),
                format!(
                    "{path:?} is already served by channel {}; give each instance its own path",
                    other.name
                ),
            ));
        }
        mounts.insert(path, spec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{load, Config, Overrides};
    use super::ChannelSettings;

    fn load_env(env: &[(&str, &str)]) -> Result<Config, String> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        load(None, env, &Overrides::default()).map_err(|e| e.to_string())
    }

    fn load_str(toml: &str, env: &[(&str, &str)]) -> Result<Config, String> {
        let file = std::env::temp_dir().join(format!("kanava-ch-{}.toml", rand::random::<u64>()));
        std::fs::write(&file, toml).map_err(|e| e.to_string())?;
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let r = load(Some(&file), env, &Overrides::default()).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&file);
        r
    }

    fn names(c: &Config) -> Vec<(String, &'static str)> {
        c.channels
            .iter()
            .map(|s| (s.name.to_string(), s.kind()))
            .collect()
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
            ("KANAVA_TELEGRAM_ENABLED", "yes"),
            ("KANAVA_TELEGRAM_TOKEN", "12345:abc"),
            ("KANAVA_TELEGRAM_API_URL", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        let Some(ChannelSettings::Telegram(t)) = c
            .channels
            .iter()
            .find(|s| s.name.as_str() == "telegram")
            .map(|s| &s.settings)
        else {
            panic!("a telegram instance: {:?}", names(&c));
        };
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
        let Some(ChannelSettings::Matrix(m)) = c
            .channels
            .iter()
            .map(|s| &s.settings)
            .find(|s| matches!(s, ChannelSettings::Matrix(_)))
        else {
            panic!("a matrix instance");
        };
        assert_eq!(m.allowed_servers, ["localhost"]);
        assert!(m.store_dir.ends_with("matrix"));
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
            ("KANAVA_BOTFRAMEWORK_APP_ID", "app-1"),
            ("KANAVA_BOTFRAMEWORK_APP_PASSWORD", "pa55word-value"),
        ])
        .unwrap();
        assert!(!format!("{:?}", c.channels).contains("pa55word"));
    }

    #[test]
    fn two_telegram_bots_run_side_by_side_under_their_own_names() {
        let file = r#"
[channels.telegram-fi]
kind = "telegram"
mode = "webhook"
webhook_url = "https://bot.example.fi/telegram/fi"

[channels.telegram-sv]
kind = "telegram"
"#;
        let env = [
            ("KANAVA_CHANNELS_TELEGRAM_FI_TOKEN", "111:aaa"),
            (
                "KANAVA_CHANNELS_TELEGRAM_FI_WEBHOOK_SECRET",
                "0123456789abcdef0123",
            ),
            ("KANAVA_CHANNELS_TELEGRAM_SV_TOKEN", "222:bbb"),
        ];
        let c = load_str(file, &env).unwrap();
        assert_eq!(
            names(&c),
            [
                ("webchat".to_string(), "webchat"),
                ("telegram-fi".to_string(), "telegram"),
                ("telegram-sv".to_string(), "telegram")
            ]
        );
        // Declared by its kind alone, from the environment.
        let c = load_str(
            "",
            &[
                ("KANAVA_CHANNELS_HELPDESK_KIND", "telegram"),
                ("KANAVA_CHANNELS_HELPDESK_TOKEN", "333:ccc"),
            ],
        )
        .unwrap();
        assert!(names(&c).contains(&("helpdesk".to_string(), "telegram")));
        // Errors name the instance's key and the variable.
        let e = load_str(file, &[("KANAVA_CHANNELS_TELEGRAM_SV_TOKEN", "nope")]).unwrap_err();
        assert!(
            e.starts_with("config key `channels.telegram-fi.token`: missing"),
            "{e}"
        );
        let e = load_str(
            file,
            &[
                ("KANAVA_CHANNELS_TELEGRAM_FI_TOKEN", "111:aaa"),
                (
                    "KANAVA_CHANNELS_TELEGRAM_FI_WEBHOOK_SECRET",
                    "0123456789abcdef0123",
                ),
                ("KANAVA_CHANNELS_TELEGRAM_SV_TOKEN", "nope"),
            ],
        )
        .unwrap_err();
        assert!(
            e.starts_with("config key `channels.telegram-sv.token`: not a bot token")
                && e.contains("(set by KANAVA_CHANNELS_TELEGRAM_SV_TOKEN)"),
            "{e}"
        );
        let e = load_str("", &[("KANAVA_CHANNELS_NOBODY_TOKEN", "1:a")]).unwrap_err();
        assert!(
            e.contains("KANAVA_CHANNELS_NOBODY_TOKEN") && e.contains("no instance"),
            "{e}"
        );
    }

    #[test]
    fn instances_are_checked_by_kind_name_and_path() {
        let e = load_str("[channels.x]\ntoken = \"1:a\"\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `channels.x.kind`: missing"),
            "{e}"
        );
        let e = load_str("[channels.x]\nkind = \"skype\"\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `channels.x.kind`: \"skype\" is not one of"),
            "{e}"
        );
        let e = load_str("[channels.Big]\nkind = \"webchat\"\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `channels.Big`: an instance name"),
            "{e}"
        );
        let e = load_str("[channels.x]\nkind = \"webchat\"\ncolour = 1\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `channels.x.colour`: unknown field"),
            "{e}"
        );
        // Two web chats need two paths; the implicit one gives way to declared ones.
        let e = load_str(
            "[channels.a]\nkind = \"webchat\"\n[channels.b]\nkind = \"webchat\"\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.starts_with("config key `channels.b.path`: \"/\" is already served by channel a"),
            "{e}"
        );
        let c = load_str(
            "[channels.a]\nkind = \"webchat\"\n[channels.b]\nkind = \"webchat\"\npath = \"/chat-sv\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            names(&c),
            [("a".to_string(), "webchat"), ("b".to_string(), "webchat")]
        );
        // An old section and an instance of the same name: say how to rewrite.
        let e = load_str(
            "[telegram]\nenabled = false\n[channels.telegram]\nkind = \"telegram\"\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("move its keys into [channels.telegram]"), "{e}");
        let c = load_str("[webchat]\nenabled = false\n", &[]).unwrap();
        assert!(c.channels.is_empty());
        let c = load_str("[channels.web]\nkind = \"webchat\"\nenabled = false\n", &[]).unwrap();
        assert!(c.channels.is_empty(), "{:?}", names(&c));
    }
}
