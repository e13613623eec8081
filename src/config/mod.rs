//! Configuration in two stages: the raw TOML file with environment overrides, then a validated
//! [`Config`] the rest of kanava can trust. Every error names the key and why.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use kanava_adapter::Lang;
use serde::Deserialize;

mod channels;

pub use channels::{valid_name as valid_channel_name, ChannelSettings, ChannelSpec};

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax.
    #[error("config file {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A key with a bad value or an unknown key.
    #[error("config key `{key}`: {message}")]
    Key {
        /// Dotted key, e.g. `server.listen`.
        key: String,
        /// Why.
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    knowledge: RawKnowledge,
    #[serde(default)]
    conversation: RawConversation,
    #[serde(default)]
    terms: RawTerms,
    #[serde(default)]
    retention: RawRetention,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    transcript_days: Option<i64>,
    feedback_days: Option<i64>,
    session_days: Option<i64>,
    strike_days: Option<i64>,
    expired_block_days: Option<i64>,
    purge_interval_hours: Option<i64>,
    legal_hold: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerms {
    strikes_to_block: Option<i64>,
    strike_window_hours: Option<i64>,
    user_messages_per_minute: Option<i64>,
    user_burst: Option<i64>,
    address_messages_per_minute: Option<i64>,
    address_burst: Option<i64>,
    channel_messages_per_minute: Option<i64>,
    global_messages_per_minute: Option<i64>,
    identifiers_per_user: Option<i64>,
    identifier_window_hours: Option<i64>,
    global_identifier_spike: Option<i64>,
    global_window_minutes: Option<i64>,
    identifier_secret: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnowledge {
    dir: Option<PathBuf>,
    confidence_threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConversation {
    session_idle_minutes: Option<i64>,
    default_language: Option<String>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// sled and sockets live here.
    pub data_dir: PathBuf,
    /// Topic files.
    pub knowledge_dir: PathBuf,
    /// Retrieval confidence threshold, 0..=1.
    pub confidence_threshold: f32,
    /// Session idle timeout in minutes.
    pub session_idle_minutes: u32,
    /// Language before anything is known.
    pub default_language: Lang,
    /// Terms-of-use enforcement.
    pub terms: crate::guard::TermsConfig,
    /// Retention periods.
    pub retention: crate::retention::RetentionConfig,
    /// Archive rules apply: erasure requests are refused (and the refusal audited).
    pub legal_hold: bool,
    /// How often the purge job runs.
    pub purge_interval: crate::clock::Micros,
    /// The identifier hashing secret (hex in the config); `None`: a key file in the data dir.
    pub identifier_secret: Option<[u8; 32]>,
    /// The enabled channel instances, in the order they were declared (old one-per-platform
    /// sections first).
    pub channels: Vec<ChannelSpec>,
}

/// Overrides from the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data`.
    pub data_dir: Option<PathBuf>,
    /// `--knowledge`.
    pub knowledge_dir: Option<PathBuf>,
}

fn key_err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Key {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Loads the file (if any), applies `KANAVA_<SECTION>_<KEY>` environment variables, then the
/// command-line overrides, and validates.
pub fn load(
    file: Option<&Path>,
    env: impl Iterator<Item = (String, String)>,
    cli: &Overrides,
) -> Result<Config, ConfigError> {
    let text = match file {
        Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
            path: p.to_path_buf(),
            source,
        })?,
        None => String::new(),
    };
    let origin = file.map_or_else(|| "(defaults)".to_string(), |p| p.display().to_string());
    let mut table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: origin.clone(),
                message: e.to_string(),
            })?;
    let from_env = apply_env(&mut table, env)?;
    // The channel sections are read by their adapters' own settings types, after the rest.
    let sections = channels::Sections::take(&mut table)?;
    // A boolean written the way shells and container platforms do (`1`, `yes`, `on`) is taken
    // as one where a boolean is expected; each retry fixes one such key.
    let raw: RawConfig = loop {
        match serde_path_to_error::deserialize(toml::Value::Table(table.clone())) {
            Ok(raw) => break raw,
            Err(e) => {
                let key = e.path().to_string();
                let message = e.into_inner().to_string();
                let Some(var) = from_env.get(&key) else {
                    return Err(key_err(&key, message));
                };
                if message.contains("expected a boolean") {
                    if let Some(v) = set_value(&mut table, &key) {
                        if let Some(b) = coerce_bool(v) {
                            *v = toml::Value::Boolean(b);
                            continue;
                        }
                    }
                }
                let hint = if message.contains("expected a sequence") {
                    format!(
                        "; a list is written as a TOML array, e.g. {var}='[\"https://a.example\", \"https://b.example\"]'"
                    )
                } else {
                    String::new()
                };
                return Err(key_err(&key, format!("{message} (set by {var}){hint}")));
            }
        }
    };
    let named = |e: ConfigError| match e {
        // Name the variable behind a value the checks refused (`webchat.allowed_origins[1]`
        // was set by KANAVA_WEBCHAT_ALLOWED_ORIGINS).
        ConfigError::Key { key, message } => {
            let base = key.split('[').next().unwrap_or(&key);
            match from_env.get(base) {
                Some(var) => ConfigError::Key {
                    message: format!("{message} (set by {var})"),
                    key,
                },
                None => ConfigError::Key { key, message },
            }
        }
        other => other,
    };
    let mut config = validate(raw, cli).map_err(named)?;
    config.channels = channels::instances(sections, &from_env, config.listen, &config.data_dir)
        .map_err(|e| match e {
            // `read` names the variable already.
            ConfigError::Key { ref message, .. } if message.contains("(set by ") => e,
            e => named(e),
        })?;
    Ok(config)
}

/// The value at a dotted `section.key` path, for a fix-up.
fn set_value<'t>(table: &'t mut toml::Table, path: &str) -> Option<&'t mut toml::Value> {
    let (section, key) = path.split_once('.')?;
    table.get_mut(section)?.as_table_mut()?.get_mut(key)
}

/// `1`/`yes`/`on` and `0`/`no`/`off` (any case) as booleans.
fn coerce_bool(v: &toml::Value) -> Option<bool> {
    let text = match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::String(s) => s.to_ascii_lowercase(),
        _ => return None,
    };
    match text.as_str() {
        "1" | "yes" | "on" | "true" => Some(true),
        "0" | "no" | "off" | "false" => Some(false),
        _ => None,
    }
}

/// `KANAVA_SERVER_LISTEN=…` sets `server.listen`; the first `_` after the prefix separates the
/// section from the key. Values are read as TOML when they parse (numbers, booleans, arrays),
/// else as strings.
fn apply_env(
    table: &mut toml::Table,
    env: impl Iterator<Item = (String, String)>,
) -> Result<std::collections::HashMap<String, String>, ConfigError> {
    // Which variable set each key, so an error can name it.
    let mut from_env = std::collections::HashMap::new();
    const SECTIONS: [&str; 10] = [
        "matrix",
        "telegram",
        "botframework",
        "server",
        "storage",
        "knowledge",
        "conversation",
        "webchat",
        "terms",
        "retention",
    ];
    // Variables of kanava's other parts, not configuration keys.
    const OTHERS: [&str; 7] = [
        "SYNAPSE_VENV",
        "LOG",
        "CONFIG",
        "MODERATOR",
        "STAFF",
        "CHROMEDRIVER",
        "CHROMIUM",
    ];
    let mut instance_vars = Vec::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("KANAVA_") else {
            continue;
        };
        if OTHERS.contains(&rest) {
            continue;
        }
        let lower = rest.to_ascii_lowercase();
        if lower.starts_with("channels_") {
            // Resolved below, once every instance name is known.
            instance_vars.push((name, value));
            continue;
        }
        let section_of = |s: &str| {
            SECTIONS
                .iter()
                .find(|sec| s.starts_with(&format!("{sec}_")))
                .copied()
        };
        let Some(section) = section_of(&lower) else {
            // A mistyped variable must not be silently ignored.
            return Err(ConfigError::Key {
                key: name.clone(),
                message: format!("unknown environment variable: expected KANAVA_<SECTION>_<KEY> with a section of {}", SECTIONS.join(", ")),
            });
        };
        let key = &lower[section.len() + 1..];
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let entry = table
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(sec) = entry.as_table_mut() else {
            return Err(key_err(section, format!("must be a table (set by {name})")));
        };
        sec.insert(key.to_string(), parsed);
        from_env.insert(format!("{section}.{key}"), name);
    }
    instance_env(table, instance_vars, &mut from_env)?;
    Ok(from_env)
}

/// `KANAVA_CHANNELS_<NAME>_<KEY>` sets `channels.<name>.<key>`, for an instance the file
/// declares or one `KANAVA_CHANNELS_<NAME>_KIND` declares (names written upper-case, `-` as `_`).
fn instance_env(
    table: &mut toml::Table,
    vars: Vec<(String, String)>,
    from_env: &mut std::collections::HashMap<String, String>,
) -> Result<(), ConfigError> {
    let mut names: Vec<String> = table
        .get("channels")
        .and_then(|c| c.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    for (var, _) in &vars {
        if let Some(n) = var
            .strip_prefix("KANAVA_CHANNELS_")
            .and_then(|r| r.strip_suffix("_KIND"))
        {
            let n = n.to_ascii_lowercase();
            if !names
                .iter()
                .any(|m| channels::env_form(m) == channels::env_form(&n))
            {
                names.push(n);
            }
        }
    }
    // The longest name first, so `telegram-sv` wins over `telegram` for TELEGRAM_SV_TOKEN.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for (var, value) in vars {
        let rest = var.strip_prefix("KANAVA_CHANNELS_").unwrap_or_default();
        let found = names.iter().find_map(|n| {
            let key = rest.strip_prefix(&format!("{}_", channels::env_form(n)))?;
            (!key.is_empty()).then(|| (n.clone(), key.to_ascii_lowercase()))
        });
        let Some((instance, key)) = found else {
            return Err(ConfigError::Key {
                key: var.clone(),
                message: "no instance of that name: declare it as [channels.NAME] in the file or with KANAVA_CHANNELS_<NAME>_KIND".into(),
            });
        };
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let channels = table
            .entry("channels")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let section = channels
            .as_table_mut()
            .map(|c| {
                c.entry(instance.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            })
            .and_then(|s| s.as_table_mut());
        let Some(section) = section else {
            return Err(key_err(
                &format!("channels.{instance}"),
                format!("must be a table (set by {var})"),
            ));
        };
        section.insert(key.clone(), parsed);
        from_env.insert(format!("channels.{instance}.{key}"), var);
    }
    Ok(())
}

fn validate(raw: RawConfig, cli: &Overrides) -> Result<Config, ConfigError> {
    let listen_src = cli
        .listen
        .clone()
        .or(raw.server.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen_src.parse().map_err(|_| {
        key_err(
            "server.listen",
            format!("{listen_src:?} is not an address like 127.0.0.1:8080"),
        )
    })?;
    let threshold = raw
        .knowledge
        .confidence_threshold
        .unwrap_or(f64::from(crate::knowledge::DEFAULT_CONFIDENCE_THRESHOLD));
    if !(0.0..=1.0).contains(&threshold) {
        return Err(key_err(
            "knowledge.confidence_threshold",
            format!("{threshold} is outside 0.0..=1.0"),
        ));
    }
    let idle = raw.conversation.session_idle_minutes.unwrap_or(30);
    if !(1..=24 * 60).contains(&idle) {
        return Err(key_err(
            "conversation.session_idle_minutes",
            format!("{idle} is outside 1..=1440 minutes"),
        ));
    }
    let default_language = match raw.conversation.default_language {
        None => Lang::Fi,
        Some(s) => s
            .parse()
            .map_err(|e| key_err("conversation.default_language", format!("{e}")))?,
    };
    let t = raw.terms;
    let int = |key: &str,
               v: Option<i64>,
               default: i64,
               range: std::ops::RangeInclusive<i64>|
     -> Result<u64, ConfigError> {
        let v = v.unwrap_or(default);
        if range.contains(&v) {
            Ok(v as u64)
        } else {
            Err(key_err(
                key,
                format!("{v} is outside {}..={}", range.start(), range.end()),
            ))
        }
    };
    let minute = crate::clock::MINUTE;
    let mk_rate = |per_minute: u64, burst: u64| crate::guard::Rate {
        per_minute: per_minute as u32,
        burst: burst as u32,
    };
    let terms = crate::guard::TermsConfig {
        strikes_to_block: int("terms.strikes_to_block", t.strikes_to_block, 3, 1..=100)? as usize,
        strike_window: int(
            "terms.strike_window_hours",
            t.strike_window_hours,
            24,
            1..=24 * 365,
        )? * 60
            * minute,
        user_rate: mk_rate(
            int(
                "terms.user_messages_per_minute",
                t.user_messages_per_minute,
                20,
                1..=10_000,
            )?,
            int("terms.user_burst", t.user_burst, 10, 1..=10_000)?,
        ),
        address_rate: mk_rate(
            int(
                "terms.address_messages_per_minute",
                t.address_messages_per_minute,
                300,
                1..=100_000,
            )?,
            int("terms.address_burst", t.address_burst, 100, 1..=100_000)?,
        ),
        channel_rate: mk_rate(
            int(
                "terms.channel_messages_per_minute",
                t.channel_messages_per_minute,
                6000,
                1..=10_000_000,
            )?,
            500,
        ),
        global_rate: mk_rate(
            int(
                "terms.global_messages_per_minute",
                t.global_messages_per_minute,
                30_000,
                1..=10_000_000,
            )?,
            2000,
        ),
        identifiers_per_user: int(
            "terms.identifiers_per_user",
            t.identifiers_per_user,
            3,
            1..=1000,
        )? as usize,
        identifier_window: int(
            "terms.identifier_window_hours",
            t.identifier_window_hours,
            24,
            1..=24 * 30,
        )? * 60
            * minute,
        global_spike: int(
            "terms.global_identifier_spike",
            t.global_identifier_spike,
            50,
            1..=1_000_000,
        )? as usize,
        global_window: int(
            "terms.global_window_minutes",
            t.global_window_minutes,
            10,
            1..=24 * 60,
        )? * minute,
        ..crate::guard::TermsConfig::default()
    };
    let identifier_secret = match t.identifier_secret {
        None => None,
        Some(h) => {
            let bytes = hex::decode(h.trim()).ok().filter(|b| b.len() == 32);
            let Some(bytes) = bytes else {
                return Err(key_err(
                    "terms.identifier_secret",
                    "must be 64 hexadecimal characters (32 bytes)",
                ));
            };
            let mut k = [0u8; 32];
            k.copy_from_slice(&bytes);
            Some(k)
        }
    };
    let r = raw.retention;
    let day = 24 * 60 * minute;
    let retention = crate::retention::RetentionConfig {
        transcripts: int(
            "retention.transcript_days",
            r.transcript_days,
            730,
            1..=3650,
        )? * day,
        feedback: int("retention.feedback_days", r.feedback_days, 730, 1..=3650)? * day,
        sessions: int("retention.session_days", r.session_days, 730, 1..=3650)? * day,
        strikes: int("retention.strike_days", r.strike_days, 90, 1..=3650)? * day,
        expired_blocks: int(
            "retention.expired_block_days",
            r.expired_block_days,
            90,
            1..=3650,
        )? * day,
    };
    let purge_interval = int(
        "retention.purge_interval_hours",
        r.purge_interval_hours,
        24,
        1..=24 * 30,
    )? * 60
        * minute;
    Ok(Config {
        channels: Vec::new(),
        legal_hold: r.legal_hold.unwrap_or(false),
        retention,
        purge_interval,
        terms,
        identifier_secret,
        listen,
        data_dir: cli
            .data_dir
            .clone()
            .or(raw.storage.data_dir)
            .unwrap_or_else(|| "./data".into()),
        knowledge_dir: cli
            .knowledge_dir
            .clone()
            .or(raw.knowledge.dir)
            .unwrap_or_else(|| "./knowledge".into()),
        confidence_threshold: threshold as f32,
        session_idle_minutes: idle as u32,
        default_language,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(toml: &str, env: &[(&str, &str)]) -> Result<Config, String> {
        let dir = std::env::temp_dir().join(format!("kanava-cfg-{}", rand::random::<u64>()));
        std::fs::write(&dir, toml).map_err(|e| e.to_string())?;
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let r = load(Some(&dir), env, &Overrides::default()).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&dir);
        r
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = load(None, std::iter::empty(), &Overrides::default()).expect("defaults");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        let [ChannelSpec {
            name,
            settings: ChannelSettings::WebChat(w),
        }] = c.channels.as_slice()
        else {
            panic!("the web chat alone: {:?}", c.channels);
        };
        assert_eq!(
            (name.as_str(), w.max_message_bytes, w.path.as_str()),
            ("webchat", 4096, "/")
        );
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(
            load_str("[server]\nlisten = \"nope\"\n", &[]).unwrap_err(),
            "config key `server.listen`: \"nope\" is not an address like 127.0.0.1:8080"
        );
        let e = load_str("[server]\nlisen = \"x\"\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `server.lisen`: unknown field `lisen`, expected `listen`"),
            "{e}"
        );
        let e = load_str("[conversation]\nsession_idle_minutes = \"ten\"\n", &[]).unwrap_err();
        assert!(
            e.starts_with("config key `conversation.session_idle_minutes`"),
            "{e}"
        );
        let e = load_str(
            "[webchat]\nallowed_origins = [\"https://ok.fi\", \"example.com/path\"]\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.starts_with("config key `webchat.allowed_origins[1]`"),
            "{e}"
        );
        let e = load_str("[server\n", &[]).unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn environment_overrides_file_and_cli_overrides_both() {
        let c = load_str(
            "[conversation]\nsession_idle_minutes = 10\n",
            &[
                ("KANAVA_CONVERSATION_SESSION_IDLE_MINUTES", "45"),
                ("KANAVA_WEBCHAT_ALLOWED_ORIGINS", "[\"https://a.fi\"]"),
            ],
        )
        .expect("valid");
        assert_eq!(c.session_idle_minutes, 45);
        assert!(
            matches!(&c.channels[0].settings, ChannelSettings::WebChat(w) if w.allowed_origins == ["https://a.fi"])
        );
        let e = load_str("", &[("KANAVA_RETENTON_LEGAL_HOLD", "true")]).unwrap_err();
        assert!(
            e.starts_with("config key `KANAVA_RETENTON_LEGAL_HOLD`: unknown environment variable"),
            "{e}"
        );
        let c = load_str(
            "",
            &[
                ("KANAVA_RETENTION_LEGAL_HOLD", "true"),
                ("KANAVA_LOG", "debug"),
            ],
        )
        .expect("valid");
        assert!(c.legal_hold);
        // Booleans as shells write them; errors name the variable; lists say how to write one.
        for (v, expected) in [
            ("1", true),
            ("yes", true),
            ("ON", true),
            ("0", false),
            ("no", false),
        ] {
            let c = load_str("", &[("KANAVA_RETENTION_LEGAL_HOLD", v)]).expect(v);
            assert_eq!(c.legal_hold, expected, "{v}");
        }
        let e = load_str("", &[("KANAVA_RETENTION_LEGAL_HOLD", "maybe")]).unwrap_err();
        assert!(e.contains("(set by KANAVA_RETENTION_LEGAL_HOLD)"), "{e}");
        let e = load_str("", &[("KANAVA_WEBCHAT_ALLOWED_ORIGINS", "https://a.fi")]).unwrap_err();
        assert!(
            e.contains("expected a sequence")
                && e.contains("KANAVA_WEBCHAT_ALLOWED_ORIGINS='[")
                && e.starts_with("config key `webchat.allowed_origins`"),
            "{e}"
        );
        let e = load_str("", &[("KANAVA_TELEGRAM_TOKEN", "123:abc")]).unwrap_err();
        assert!(
            e.starts_with("config key `telegram.enabled`: missing: telegram.token is set"),
            "{e}"
        );
        let e = load_str("", &[("KANAVA_CONVERSATION_DEFAULT_LANGUAGE", "de")]).unwrap_err();
        assert!(
            e.starts_with("config key `conversation.default_language`"),
            "{e}"
        );
        let cli = Overrides {
            listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let c = load(
            None,
            [(
                "KANAVA_SERVER_LISTEN".to_string(),
                "127.0.0.1:9999".to_string(),
            )]
            .into_iter(),
            &cli,
        )
        .expect("valid");
        assert_eq!(c.listen.port(), 0);
    }
}
