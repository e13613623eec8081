//! The Activity protocol (v3) as far as kanava uses it, and what an incoming activity means.
//!
//! Every field is optional on the way in: connectors differ (the Direct Line emulator sends no
//! `recipient` and no `timestamp`), and a missing field must never become a panic.

use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, ReplyId, UserIdentity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A party of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The channel's id for the party.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A conversation reference.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// The conversation id (opaque; Teams ids contain `:` and `;`).
    #[serde(default)]
    pub id: String,
    /// Whether more than two parties take part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_group: Option<bool>,
}

/// A reaction (`like`, `plusOne`, …).
#[derive(Debug, Clone, Deserialize)]
pub struct Reaction {
    /// The reaction type.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// An incoming activity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// `message`, `conversationUpdate`, `messageReaction`, `event`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The activity id, replied to.
    #[serde(default)]
    pub id: Option<String>,
    /// Where replies go.
    #[serde(default)]
    pub service_url: Option<String>,
    /// The channel (`msteams`, `directline`, `webchat`, `emulator`, …).
    #[serde(default)]
    pub channel_id: Option<String>,
    /// The sender.
    #[serde(default)]
    pub from: Option<Account>,
    /// The bot (missing from some emulators).
    #[serde(default)]
    pub recipient: Option<Account>,
    /// The conversation.
    #[serde(default)]
    pub conversation: Option<Conversation>,
    /// Message text.
    #[serde(default)]
    pub text: Option<String>,
    /// The user's locale, e.g. `sv-SE`.
    #[serde(default)]
    pub locale: Option<String>,
    /// Data of a button press (`messageBack`).
    #[serde(default)]
    pub value: Option<Value>,
    /// Event name (`event` activities).
    #[serde(default)]
    pub name: Option<String>,
    /// Who joined (`conversationUpdate`).
    #[serde(default)]
    pub members_added: Option<Vec<Account>>,
    /// Who left (`conversationUpdate`).
    #[serde(default)]
    pub members_removed: Option<Vec<Account>>,
    /// Reactions added (`messageReaction`).
    #[serde(default)]
    pub reactions_added: Option<Vec<Reaction>>,
    /// The activity reacted to or replied to.
    #[serde(default)]
    pub reply_to_id: Option<String>,
}

/// The `value` kanava puts on its buttons, sent back on a press.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kanava", rename_all = "snake_case")]
pub enum ButtonValue {
    /// A suggested topic.
    Topic {
        /// The topic id.
        topic: String,
    },
    /// 👍/👎 on an answer.
    Feedback {
        /// The answer's reply id.
        reply: String,
        /// 👍
        helpful: bool,
    },
}

/// What an activity asks of kanava.
#[derive(Debug)]
pub enum Meaning {
    /// Hand this to the engine.
    Engine(Inbound),
    /// Greet this conversation, once (the bot or a person was added, or Web Chat's
    /// `webchat/join` event).
    Welcome(Inbound),
    /// A reaction to one of kanava's messages, known to the channel by this activity id.
    Reaction {
        /// Who reacted, in which conversation.
        base: Inbound,
        /// The activity reacted to.
        activity: String,
        /// 👍 (`like`, `plusOne`) or 👎 (`dislike`, `minusOne`).
        helpful: bool,
    },
    /// Nothing to do (typing, deleted members, unknown types).
    Ignore,
}

/// Whether the conversation is a group (Teams channel, group chat).
pub fn is_group(a: &Activity) -> bool {
    a.conversation
        .as_ref()
        .and_then(|c| c.is_group)
        .unwrap_or(false)
}

/// Removes Teams-style `<at>Bot</at>` mentions from a message.
fn strip_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<at>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</at>") {
            Some(end) => rest = &rest[start + end + "</at>".len()..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The activity's `channelId` (`msteams`, `directline`, `webchat`, `emulator`, …), if it names one
/// that can be part of an identity: 1 to 64 ASCII letters, digits, `-`, `_` or `.`. Never `:`,
/// which separates it from the user id.
pub fn platform_channel(a: &Activity) -> Option<&str> {
    a.channel_id.as_deref().filter(|c| {
        !c.is_empty()
            && c.len() <= 64
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

/// The identity kanava keeps for a Bot Framework user: `channelId:from.id`. The channel is part
/// of it because ids are only unique within one channel, and Direct Line clients choose their own
/// `from.id`: without it, a Web Chat client could act under a Teams user's id, and a block earned
/// there would silence the Teams user.
pub fn user_key(platform: &str, from_id: &str) -> String {
    format!("{platform}:{from_id}")
}

fn base(a: &Activity, channel: &ChannelId, who: &Account, event: Event) -> Option<Inbound> {
    let platform = platform_channel(a)?;
    let conv = a.conversation.as_ref().filter(|c| !c.id.is_empty())?;
    if who.id.is_empty() {
        return None;
    }
    // One conversation per member in groups, so members never share a session.
    let chat = if is_group(a) {
        format!("{platform}:{}|{}", conv.id, who.id)
    } else {
        format!("{platform}:{}", conv.id)
    };
    Some(Inbound {
        identity: UserIdentity {
            channel: channel.clone(),
            user: user_key(platform, &who.id),
            display_language: a.locale.as_deref().and_then(Lang::from_locale),
        },
        chat: ChatId::new(chat),
        event,
        client: None,
    })
}

/// Decides what an activity means.
pub fn interpret(a: &Activity, channel: &ChannelId) -> Meaning {
    let from = a.from.clone().unwrap_or_default();
    let bot = a.recipient.as_ref().map(|r| r.id.as_str());
    let meaning = match a.kind.as_str() {
        "message" => {
            if let Some(v) = a
                .value
                .as_ref()
                .and_then(|v| serde_json::from_value::<ButtonValue>(v.clone()).ok())
            {
                let event = match v {
                    ButtonValue::Topic { topic } => Event::ChooseTopic(topic),
                    ButtonValue::Feedback { reply, helpful } => Event::Feedback {
                        reply: ReplyId(reply),
                        helpful,
                    },
                };
                base(a, channel, &from, event).map(Meaning::Engine)
            } else {
                let text = a.text.as_deref().unwrap_or_default();
                let text = if is_group(a) {
                    strip_mentions(text)
                } else {
                    text.to_string()
                };
                if text.trim().is_empty() {
                    // Attachments only: tell the user what works.
                    base(a, channel, &from, Event::Help).map(Meaning::Engine)
                } else {
                    base(a, channel, &from, Event::Text(text)).map(Meaning::Engine)
                }
            }
        }
        "conversationUpdate" => {
            let added = a.members_added.as_deref().unwrap_or_default();
            // The bot was added or a person joined. (offline-directline announces a new
            // conversation with nobody listed; nobody joined, so nobody is greeted: Web Chat's
            // `webchat/join` event, which carries the user's locale, starts those.)
            let user = added.iter().find(|m| Some(m.id.as_str()) != bot);
            let bot_added = bot.is_some_and(|b| added.iter().any(|m| m.id == b));
            if user.is_some() || bot_added {
                let who = user.cloned().unwrap_or(from);
                base(a, channel, &who, Event::Start).map(Meaning::Welcome)
            } else {
                None
            }
        }
        // Web Chat's convention for "the page opened; greet me in my language".
        "event" if a.name.as_deref() == Some("webchat/join") => {
            base(a, channel, &from, Event::Start).map(Meaning::Welcome)
        }
        "messageReaction" => {
            let helpful = a
                .reactions_added
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find_map(|r| match r.kind.as_str() {
                    "like" | "plusOne" | "heart" => Some(true),
                    "dislike" | "minusOne" => Some(false),
                    _ => None,
                });
            match (helpful, a.reply_to_id.clone()) {
                (Some(helpful), Some(activity)) => {
                    base(a, channel, &from, Event::Help).map(|b| Meaning::Reaction {
                        base: b,
                        activity,
                        helpful,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    };
    meaning.unwrap_or(Meaning::Ignore)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Activity {
        serde_json::from_value(v).unwrap()
    }

    fn ch() -> ChannelId {
        ChannelId::new("botframework")
    }

    #[test]
    fn messages_become_questions_with_the_locale() {
        let a = parse(serde_json::json!({
            "type": "message", "id": "1", "serviceUrl": "https://smba.example/", "channelId": "directline",
            "from": {"id": "u1"}, "conversation": {"id": "c1"}, "text": "Hur länge?", "locale": "sv-SE"
        }));
        let Meaning::Engine(i) = interpret(&a, &ch()) else {
            panic!()
        };
        assert_eq!(i.identity.user, "directline:u1");
        assert_eq!(i.identity.display_language, Some(Lang::Sv));
        assert_eq!(i.chat.as_str(), "directline:c1");
        assert!(matches!(i.event, Event::Text(ref t) if t == "Hur länge?"));
    }

    #[test]
    fn button_values_become_topics_and_feedback() {
        let a = parse(serde_json::json!({
            "type": "message", "channelId": "webchat", "from": {"id": "u1"}, "conversation": {"id": "c1"},
            "value": {"kanava": "feedback", "reply": "ab", "helpful": false}
        }));
        let Meaning::Engine(i) = interpret(&a, &ch()) else {
            panic!()
        };
        assert!(
            matches!(i.event, Event::Feedback { helpful: false, ref reply } if reply.0 == "ab")
        );
        let a = parse(serde_json::json!({
            "type": "message", "channelId": "webchat", "from": {"id": "u1"}, "conversation": {"id": "c1"},
            "value": {"kanava": "topic", "topic": "processing-time"}, "text": "Processing time"
        }));
        let Meaning::Engine(i) = interpret(&a, &ch()) else {
            panic!()
        };
        assert!(matches!(i.event, Event::ChooseTopic(ref t) if t == "processing-time"));
    }

    #[test]
    fn conversation_updates_welcome_and_groups_are_kept_apart() {
        let added_bot = parse(serde_json::json!({
            "type": "conversationUpdate", "channelId": "msteams", "from": {"id": "u1"}, "recipient": {"id": "bot"},
            "conversation": {"id": "c1"}, "membersAdded": [{"id": "bot"}]
        }));
        assert!(matches!(interpret(&added_bot, &ch()), Meaning::Welcome(_)));
        let bare = parse(serde_json::json!({
            "type": "conversationUpdate", "channelId": "msteams", "from": {"id": "offline-directline"},
            "conversation": {"id": "c1"}, "membersAdded": [], "membersRemoved": []
        }));
        assert!(matches!(interpret(&bare, &ch()), Meaning::Ignore));
        let join = parse(serde_json::json!({
            "type": "event", "name": "webchat/join", "channelId": "webchat", "from": {"id": "u1"}, "locale": "sv-FI",
            "conversation": {"id": "c1"}
        }));
        let Meaning::Welcome(i) = interpret(&join, &ch()) else {
            panic!()
        };
        assert_eq!(i.identity.display_language, Some(Lang::Sv));
        let left = parse(serde_json::json!({
            "type": "conversationUpdate", "channelId": "msteams", "from": {"id": "u1"}, "recipient": {"id": "bot"},
            "conversation": {"id": "c1"}, "membersRemoved": [{"id": "u2"}]
        }));
        assert!(matches!(interpret(&left, &ch()), Meaning::Ignore));
        let group = parse(serde_json::json!({
            "type": "message", "channelId": "msteams", "from": {"id": "u1"}, "text": "<at>Kanava</at> how long?",
            "conversation": {"id": "19:abc;messageid=1", "isGroup": true}
        }));
        let Meaning::Engine(i) = interpret(&group, &ch()) else {
            panic!()
        };
        assert_eq!(i.chat.as_str(), "msteams:19:abc;messageid=1|u1");
        assert!(matches!(i.event, Event::Text(ref t) if t == "how long?"));
    }

    #[test]
    fn reactions_and_unknown_types() {
        let r = parse(serde_json::json!({
            "type": "messageReaction", "channelId": "msteams", "from": {"id": "u1"}, "conversation": {"id": "c1"},
            "replyToId": "act-9", "reactionsAdded": [{"type": "like"}]
        }));
        assert!(
            matches!(interpret(&r, &ch()), Meaning::Reaction { helpful: true, ref activity, .. } if activity == "act-9")
        );
        for kind in ["typing", "endOfConversation", "installationUpdate", ""] {
            let a = parse(
                serde_json::json!({"type": kind, "channelId": "msteams", "from": {"id": "u"}, "conversation": {"id": "c"}}),
            );
            assert!(matches!(interpret(&a, &ch()), Meaning::Ignore));
        }
        let no_conv = parse(
            serde_json::json!({"type": "message", "channelId": "msteams", "from": {"id": "u"}, "text": "hi"}),
        );
        assert!(matches!(interpret(&no_conv, &ch()), Meaning::Ignore));
    }

    #[test]
    fn the_same_user_id_on_two_channels_is_two_identities() {
        let on = |channel: serde_json::Value| {
            let a = parse(serde_json::json!({
                "type": "message", "channelId": channel, "from": {"id": "29:1abc"},
                "conversation": {"id": "c1"}, "text": "hei"
            }));
            match interpret(&a, &ch()) {
                Meaning::Engine(i) => Some((i.identity.user, i.chat.as_str().to_string())),
                _ => None,
            }
        };
        let teams = on("msteams".into()).unwrap();
        let webchat = on("webchat".into()).unwrap();
        assert_eq!(teams.0, "msteams:29:1abc");
        assert_ne!(teams, webchat);
        // No channel, or one that could be confused with the separator: not an identity.
        for bad in [
            serde_json::Value::Null,
            "".into(),
            "ms:teams".into(),
            "a".repeat(65).into(),
            "tëams".into(),
        ] {
            assert_eq!(on(bad.clone()), None, "{bad}");
        }
    }
}
