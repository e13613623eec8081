//! Telegram updates as engine events: who, in which conversation, what they did, and whether
//! the bot should react at all (groups: only when mentioned or replied to).

use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, ReplyId, UserIdentity};
use teloxide::types::{Message, MessageEntityKind, Update, UpdateKind, User};

use crate::render::{FEEDBACK_DOWN, FEEDBACK_UP, TOPIC};

/// Which group messages the bot answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupReplies {
    /// Only messages that mention the bot or reply to one of its messages.
    WhenMentioned,
    /// None: the bot is silent in groups.
    Never,
}

/// The bot's own account, learned from `getMe`.
#[derive(Debug, Clone)]
pub struct BotAccount {
    /// The bot's user id.
    pub id: u64,
    /// The bot's username without `@`.
    pub username: String,
}

/// An update the bot reacts to.
#[derive(Debug)]
pub struct Incoming {
    /// The event for the engine.
    pub inbound: Inbound,
    /// The Telegram chat to answer in.
    pub chat: i64,
    /// The message to reply to (groups, so the answer is visibly for its asker).
    pub reply_to: Option<i32>,
    /// Whether other people read this chat.
    pub group: bool,
    /// A callback query to acknowledge (stops the button's spinner).
    pub callback: Option<String>,
}

fn identity(channel: &ChannelId, from: &User) -> UserIdentity {
    UserIdentity {
        channel: channel.clone(),
        user: from.id.0.to_string(),
        display_language: from.language_code.as_deref().and_then(Lang::from_locale),
    }
}

/// One conversation per private chat; in a group, one per member, so nothing of one member's
/// conversation (language, session, feedback) is shared with another.
fn conversation(chat: i64, group: bool, from: &User) -> ChatId {
    if group {
        ChatId::new(format!("{chat}:{}", from.id.0))
    } else {
        ChatId::new(chat.to_string())
    }
}

fn mentions(msg: &Message, me: &BotAccount) -> bool {
    let replied_to_bot = msg
        .reply_to_message()
        .and_then(|m| m.from.as_ref())
        .is_some_and(|u| u.id.0 == me.id);
    let tag = format!("@{}", me.username.to_lowercase());
    let mentioned = msg.parse_entities().is_some_and(|ents| {
        ents.iter().any(|e| match e.kind() {
            MessageEntityKind::Mention => e.text().to_lowercase() == tag,
            MessageEntityKind::BotCommand => e.text().to_lowercase().ends_with(&tag),
            MessageEntityKind::TextMention { user } => user.id.0 == me.id,
            _ => false,
        })
    });
    // Some clients send the mention without entities.
    let in_text = msg.text().is_some_and(|t| t.to_lowercase().contains(&tag));
    replied_to_bot || mentioned || in_text
}

/// Removes `@botname` from a group message so the question reads as typed.
fn strip_mention(text: &str, me: &BotAccount) -> String {
    let tag = format!("@{}", me.username);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = find_ci(rest, &tag) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + tag.len()..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let lower = hay.to_lowercase();
    // Lower-casing may change byte lengths outside ASCII; only trust a match that lines up.
    lower
        .find(&needle.to_lowercase())
        .filter(|&p| hay.is_char_boundary(p) && hay.len() == lower.len())
}

/// Decides what an update means, or `None` when the bot should not react.
pub fn classify(
    update: &Update,
    channel: &ChannelId,
    me: &BotAccount,
    groups: GroupReplies,
) -> Option<Incoming> {
    match &update.kind {
        UpdateKind::Message(msg) => message(msg, channel, me, groups),
        UpdateKind::CallbackQuery(q) => {
            let data = q.data.as_deref()?;
            let chat = q.message.as_ref()?.chat();
            let group = !chat.is_private();
            let event = if let Some(topic) = data.strip_prefix(TOPIC) {
                Event::ChooseTopic(topic.to_string())
            } else if let Some(r) = data.strip_prefix(FEEDBACK_UP) {
                Event::Feedback {
                    reply: ReplyId(r.to_string()),
                    helpful: true,
                }
            } else if let Some(r) = data.strip_prefix(FEEDBACK_DOWN) {
                Event::Feedback {
                    reply: ReplyId(r.to_string()),
                    helpful: false,
                }
            } else {
                return None;
            };
            Some(Incoming {
                inbound: Inbound {
                    identity: identity(channel, &q.from),
                    chat: conversation(chat.id.0, group, &q.from),
                    event,
                    client: None,
                },
                chat: chat.id.0,
                reply_to: None,
                group,
                callback: Some(q.id.0.clone()),
            })
        }
        UpdateKind::Error(_) => {
            // teloxide keeps what it could not parse as raw JSON; the id and nothing of the
            // content (it may hold what the user typed) goes to the log.
            tracing::warn!(channel = %channel, update = update.id.0, "a Telegram update kanava cannot parse was skipped");
            None
        }
        _ => None,
    }
}

fn message(
    msg: &Message,
    channel: &ChannelId,
    me: &BotAccount,
    groups: GroupReplies,
) -> Option<Incoming> {
    let from = msg.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    let group = !msg.chat.is_private();
    if group && (groups == GroupReplies::Never || !mentions(msg, me)) {
        return None;
    }
    let event = match msg.text() {
        Some(t) if group => Event::Text(strip_mention(t, me)),
        Some(t) => Event::Text(t.to_string()),
        // Photos, stickers, voice: kanava reads text only; tell a private user what works.
        None if !group => Event::Help,
        None => return None,
    };
    Some(Incoming {
        inbound: Inbound {
            identity: identity(channel, from),
            chat: conversation(msg.chat.id.0, group, from),
            event,
            client: None,
        },
        chat: msg.chat.id.0,
        reply_to: group.then_some(msg.id.0),
        group,
        callback: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> BotAccount {
        BotAccount {
            id: 666,
            username: "KanavaBot".into(),
        }
    }

    fn update(v: serde_json::Value) -> Update {
        // Through text, as on the wire: teloxide's Update does not deserialize from a Value.
        serde_json::from_str(&v.to_string()).unwrap()
    }

    fn msg(chat: serde_json::Value, text: &str, extra: serde_json::Value) -> Update {
        let mut m = serde_json::json!({
            "message_id": 5, "date": 1_700_000_000, "chat": chat, "text": text,
            "from": {"id": 42, "is_bot": false, "first_name": "A", "language_code": "sv-FI"}
        });
        if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        update(serde_json::json!({"update_id": 9, "message": m}))
    }

    fn private() -> serde_json::Value {
        serde_json::json!({"id": 42, "type": "private", "first_name": "A"})
    }

    fn group() -> serde_json::Value {
        serde_json::json!({"id": -100, "type": "supergroup", "title": "G"})
    }

    #[test]
    fn updates_teloxide_cannot_parse_are_skipped() {
        let u = update(serde_json::json!({"update_id": 11, "message": {"garbage": true}}));
        assert!(matches!(u.kind, UpdateKind::Error(_)));
        let ch = ChannelId::new("telegram");
        assert!(classify(&u, &ch, &me(), GroupReplies::WhenMentioned).is_none());
    }

    #[test]
    fn private_text_is_a_question_with_the_app_language() {
        let ch = ChannelId::new("telegram");
        let i = classify(
            &msg(
                private(),
                "Hur lång är handläggningstiden?",
                serde_json::json!({}),
            ),
            &ch,
            &me(),
            GroupReplies::WhenMentioned,
        )
        .unwrap();
        assert_eq!(i.inbound.identity.user, "42");
        assert_eq!(i.inbound.identity.display_language, Some(Lang::Sv));
        assert_eq!(i.inbound.chat.as_str(), "42");
        assert!(!i.group);
        assert!(
            matches!(i.inbound.event, Event::Text(ref t) if t == "Hur lång är handläggningstiden?")
        );
    }

    #[test]
    fn groups_need_a_mention_and_keep_members_apart() {
        let ch = ChannelId::new("telegram");
        assert!(classify(
            &msg(group(), "hello all", serde_json::json!({})),
            &ch,
            &me(),
            GroupReplies::WhenMentioned
        )
        .is_none());
        let u = msg(
            group(),
            "@kanavabot how long does it take?",
            serde_json::json!({"entities": [{"type": "mention", "offset": 0, "length": 10}]}),
        );
        let i = classify(&u, &ch, &me(), GroupReplies::WhenMentioned).unwrap();
        assert!(i.group);
        assert_eq!(i.reply_to, Some(5));
        assert_eq!(i.inbound.chat.as_str(), "-100:42");
        assert!(matches!(i.inbound.event, Event::Text(ref t) if t == "how long does it take?"));
        assert!(classify(&u, &ch, &me(), GroupReplies::Never).is_none());
    }

    #[test]
    fn replies_to_the_bot_count_as_mentions() {
        let ch = ChannelId::new("telegram");
        let reply = serde_json::json!({"reply_to_message": {
            "message_id": 4, "date": 1_700_000_000, "chat": group(), "text": "answer",
            "from": {"id": 666, "is_bot": true, "first_name": "Bot", "username": "KanavaBot"}
        }});
        assert!(classify(
            &msg(group(), "and in Swedish?", reply),
            &ch,
            &me(),
            GroupReplies::WhenMentioned
        )
        .is_some());
    }

    #[test]
    fn buttons_become_topics_and_feedback() {
        let ch = ChannelId::new("telegram");
        let q = |data: &str| {
            update(serde_json::json!({"update_id": 10, "callback_query": {
                "id": "77", "chat_instance": "1", "data": data,
                "from": {"id": 42, "is_bot": false, "first_name": "A"},
                "message": {"message_id": 6, "date": 1_700_000_000, "chat": private(), "text": "x",
                    "from": {"id": 666, "is_bot": true, "first_name": "Bot"}}
            }}))
        };
        let i = classify(
            &q("t:processing-time"),
            &ch,
            &me(),
            GroupReplies::WhenMentioned,
        )
        .unwrap();
        assert!(matches!(i.inbound.event, Event::ChooseTopic(ref t) if t == "processing-time"));
        assert_eq!(i.callback.as_deref(), Some("77"));
        let i = classify(&q("f:0:abcd"), &ch, &me(), GroupReplies::WhenMentioned).unwrap();
        assert!(
            matches!(i.inbound.event, Event::Feedback { helpful: false, ref reply } if reply.0 == "abcd")
        );
        assert!(classify(&q("junk"), &ch, &me(), GroupReplies::WhenMentioned).is_none());
    }

    #[test]
    fn bots_and_channel_posts_are_ignored() {
        let ch = ChannelId::new("telegram");
        let u = update(serde_json::json!({"update_id": 9, "message": {
            "message_id": 5, "date": 1_700_000_000, "chat": private(), "text": "hi",
            "from": {"id": 7, "is_bot": true, "first_name": "OtherBot"}}}));
        assert!(classify(&u, &ch, &me(), GroupReplies::WhenMentioned).is_none());
    }
}
