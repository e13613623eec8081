//! Messages sent outside a reply: kept in the channel's durable state until the homeserver
//! takes them. Each is sent with a transaction id derived from its key, so a resend after a
//! crash is dropped by the homeserver: delivered once.

use kanava_adapter::outbox::Outbox;
use kanava_adapter::{ChatId, DeliveryError, Outbound, OutboundKind, StateError};
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedTransactionId};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::{render, Inner};

const QUEUE: Outbox = Outbox::new(b"q/");

#[derive(Serialize, Deserialize)]
struct Pending {
    room: String,
    plain: String,
    html: String,
}

/// Keeps `messages` for `chat` durably; [`send_pending`] delivers them.
pub(crate) async fn enqueue(
    inner: &Inner,
    chat: &ChatId,
    messages: &[Outbound],
) -> Result<(), DeliveryError> {
    // A group room's chats are `room|member` (see `inbound::chat`).
    let (room, group) = match chat.as_str().split_once('|') {
        Some((room, _)) => (room, true),
        None => (chat.as_str(), false),
    };
    if group && messages.iter().any(|m| m.kind == OutboundKind::Notice) {
        return Err(DeliveryError::Group);
    }
    if OwnedRoomId::try_from(room).is_err() {
        return Err(DeliveryError::UnknownChat(format!(
            "{room:?} is not a Matrix room id"
        )));
    }
    let queued: Vec<Pending> = messages
        .iter()
        .map(|m| {
            let (plain, html) = render::notice(m);
            Pending {
                room: room.to_string(),
                plain,
                html,
            }
        })
        .collect();
    QUEUE
        .put(&inner.state, &queued)
        .await
        .map_err(|e| DeliveryError::State(e.to_string()))
}

/// Sends what waits, oldest first, once the client is logged in; stops at the first message
/// the homeserver does not take (the sync loop tries again after its next sync).
pub(crate) async fn send_pending(inner: &Inner) -> Result<(), StateError> {
    let Some(client) = inner.client.get() else {
        return Ok(());
    };
    let _one = inner.pushing.lock().await;
    for (key, p) in QUEUE.waiting::<Pending>(&inner.state).await? {
        let Ok(room_id) = OwnedRoomId::try_from(p.room.as_str()) else {
            QUEUE.done(&inner.state, key).await?;
            continue;
        };
        let Some(room) = client.get_room(&room_id) else {
            // The bot left the room (or never was in it): nobody there to tell.
            warn!(channel = %inner.channel, "a pushed message's room is not joined; dropping it");
            QUEUE.done(&inner.state, key).await?;
            continue;
        };
        let txn = OwnedTransactionId::from(format!("kanava.push.{}", hex(&key)));
        let content = RoomMessageEventContent::notice_html(p.plain, p.html);
        match room.send(content).with_transaction_id(txn).await {
            Ok(_) => QUEUE.done(&inner.state, key).await?,
            Err(e) => {
                warn!(channel = %inner.channel, error = %e, "pushed message not delivered yet; kept");
                return Ok(());
            }
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
