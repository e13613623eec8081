//! Telling a user something outside a reply (a moderator's decision on their appeal): in their
//! last conversation's chat and language, through that channel's push delivery.

use kanava_adapter::{Outbound, OutboundKind, Recipient, RichText};
use serde::{Deserialize, Serialize};

use crate::i18n::Text;
use crate::services::Services;
use crate::storage::Identity;

/// Whether the user was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "told", content = "reason", rename_all = "snake_case")]
pub enum Told {
    /// The channel has the message and delivers it (now, or when the user's chat is reachable).
    Queued,
    /// Not told, and why: the decision stands; the user learns it on their next message.
    No(String),
}

/// Sends `text` to `channel`/`user` in the chat and language of their most recent stored
/// message.
pub async fn tell(services: &Services, channel: &str, user: &str, text: Text) -> Told {
    let Some(channels) = &services.channels else {
        return Told::No("kanava is not serving, so no channel can deliver it".into());
    };
    let records = match services
        .storage
        .conversations
        .records_of(&Identity::new(channel, user))
        .await
    {
        Ok(r) => r,
        Err(e) => return Told::No(format!("the conversation could not be read: {e}")),
    };
    let Some(last) = records.transcripts.last() else {
        return Told::No("no conversation with this user is stored".into());
    };
    let lang = last.lang;
    let to = Recipient {
        user: user.to_string(),
        chat: kanava_adapter::ChatId::new(last.chat.clone()),
    };
    let message = Outbound::plain(OutboundKind::Notice, lang, RichText::text(text.get(lang)));
    match channels.deliver(channel, to, vec![message]).await {
        Ok(()) => Told::Queued,
        Err(e) => Told::No(e.to_string()),
    }
}
