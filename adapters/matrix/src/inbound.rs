//! Matrix events as engine events: who, which conversation, and whether to react at all.

use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};
use matrix_sdk::ruma::events::room::message::{MessageType, OriginalSyncRoomMessageEvent};
use matrix_sdk::ruma::UserId;

/// Whether a room is a one-to-one conversation or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    /// A direct room: every message is for the bot.
    Direct,
    /// A group: only messages that mention the bot.
    Group,
}

/// Why a message is not for the engine.
#[derive(Debug, PartialEq, Eq)]
pub enum Skip {
    /// The bot's own message.
    Own,
    /// `m.notice`: another bot.
    Notice,
    /// A group message not mentioning the bot.
    NotMentioned,
    /// Not text (images, files, locations).
    NotText,
}

fn identity(channel: &ChannelId, sender: &UserId) -> UserIdentity {
    UserIdentity::new(channel.clone(), sender.as_str())
}

/// The conversation: the room for direct rooms; per member in groups, so members never share a
/// session.
pub fn chat(room: &str, kind: RoomKind, sender: &UserId) -> ChatId {
    match kind {
        RoomKind::Direct => ChatId::new(room),
        RoomKind::Group => ChatId::new(format!("{room}|{sender}")),
    }
}

fn mentions_bot(ev: &OriginalSyncRoomMessageEvent, me: &UserId, body: &str) -> bool {
    let intentional = ev
        .content
        .mentions
        .as_ref()
        .is_some_and(|m| m.user_ids.contains(me));
    intentional
        || body.contains(me.as_str())
        || body
            .to_lowercase()
            .contains(&format!("{}:", me.localpart().to_lowercase()))
}

fn strip_mention(body: &str, me: &UserId) -> String {
    let localpart = format!("{}:", me.localpart());
    body.replace(me.as_str(), "")
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case(&localpart))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decides what a room message means.
pub fn message(
    ev: &OriginalSyncRoomMessageEvent,
    room: &str,
    kind: RoomKind,
    me: &UserId,
    channel: &ChannelId,
) -> Result<Inbound, Skip> {
    if ev.sender == me {
        return Err(Skip::Own);
    }
    let body = match &ev.content.msgtype {
        MessageType::Text(t) => t.body.clone(),
        MessageType::Emote(t) => t.body.clone(),
        MessageType::Notice(_) => return Err(Skip::Notice),
        _ if kind == RoomKind::Direct => {
            return Ok(Inbound {
                identity: identity(channel, &ev.sender),
                chat: chat(room, kind, &ev.sender),
                event: Event::Help,
                client: None,
            })
        }
        _ => return Err(Skip::NotText),
    };
    let text = match kind {
        RoomKind::Direct => body,
        RoomKind::Group if mentions_bot(ev, me, &body) => strip_mention(&body, me),
        RoomKind::Group => return Err(Skip::NotMentioned),
    };
    Ok(Inbound {
        identity: identity(channel, &ev.sender),
        chat: chat(room, kind, &ev.sender),
        event: Event::Text(text),
        client: None,
    })
}

/// 👍 or 👎 (with or without the skin-tone and variation selectors clients add).
pub fn reaction_value(key: &str) -> Option<bool> {
    let base: String = key
        .chars()
        .filter(|c| !matches!(*c as u32, 0xFE0F | 0x1F3FB..=0x1F3FF))
        .collect();
    match base.as_str() {
        "👍" | "+1" => Some(true),
        "👎" | "-1" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_with_skin_tones_count() {
        assert_eq!(reaction_value("👍"), Some(true));
        assert_eq!(reaction_value("👍🏽"), Some(true));
        assert_eq!(reaction_value("👎\u{fe0f}"), Some(false));
        assert_eq!(reaction_value("🎉"), None);
    }

    #[test]
    fn mentions_are_removed() {
        let me = UserId::parse("@kanava:localhost").unwrap();
        assert_eq!(
            strip_mention("kanava: how long does it take?", &me),
            "how long does it take?"
        );
        assert_eq!(
            strip_mention("@kanava:localhost how long?", &me),
            "how long?"
        );
    }
}
