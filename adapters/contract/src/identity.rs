//! Who is talking, where: channel instances, chats, users and their language.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The name of one configured channel instance, e.g. `webchat` or `telegram-helpdesk`.
///
/// Several instances of the same platform may run side by side; each is its own channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(String);

impl ChannelId {
    /// Wraps a channel instance name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One chat within a channel: a private chat, a room, a web chat session token.
///
/// The engine keeps one conversation per (channel instance, chat).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(String);

impl ChatId {
    /// Wraps a platform chat id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The platform's id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as one channel instance knows them.
///
/// The platform user id is only meaningful together with the channel: the same number on
/// Telegram and on another Telegram bot instance are different people as far as kanava knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserIdentity {
    /// The channel instance the user wrote on.
    pub channel: ChannelId,
    /// The platform's stable id for the user (not a display name).
    pub user: String,
    /// The language the platform says the user's app is set to, if it is one kanava speaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_language: Option<Lang>,
}

impl UserIdentity {
    /// A user on a channel, with no language hint.
    pub fn new(channel: ChannelId, user: impl Into<String>) -> Self {
        Self {
            channel,
            user: user.into(),
            display_language: None,
        }
    }

    /// The same user with the platform's language hint.
    pub fn with_display_language(mut self, lang: Option<Lang>) -> Self {
        self.display_language = lang;
        self
    }
}

/// A language kanava answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Finnish.
    Fi,
    /// Swedish.
    Sv,
    /// English.
    En,
}

impl Lang {
    /// Every language kanava speaks, in the order content is written.
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Position in [`Lang::ALL`], for per-language arrays.
    pub fn index(self) -> usize {
        match self {
            Lang::Fi => 0,
            Lang::Sv => 1,
            Lang::En => 2,
        }
    }

    /// The language of a platform locale such as `sv-SE`, `en_GB` or `fi`, if kanava speaks it.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let primary = locale.split(['-', '_']).next().unwrap_or_default();
        primary.parse().ok()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text was not `fi`, `sv` or `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: expected fi, sv or en")]
pub struct ParseLangError(pub String);

impl FromStr for Lang {
    type Err = ParseLangError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fi" | "fin" | "suomi" => Ok(Lang::Fi),
            "sv" | "swe" | "svenska" | "ruotsi" => Ok(Lang::Sv),
            "en" | "eng" | "english" | "englanti" | "engelska" => Ok(Lang::En),
            _ => Err(ParseLangError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_map_to_languages() {
        assert_eq!(Lang::from_locale("sv-SE"), Some(Lang::Sv));
        assert_eq!(Lang::from_locale("en_GB"), Some(Lang::En));
        assert_eq!(Lang::from_locale("fi"), Some(Lang::Fi));
        assert_eq!(Lang::from_locale("de-DE"), None);
        assert_eq!(Lang::from_locale(""), None);
    }
}
