//! Messages sent outside a reply ("proactive" in Bot Framework terms): kanava keeps a
//! conversation reference for each chat it has answered (the connector's `serviceUrl`, the
//! conversation, the user and the bot accounts, from an authenticated activity), and posts to
//! `/v3/conversations/{id}/activities` later. Pushed messages wait in the channel's durable
//! state until the connector takes them, so a restart or a connector outage loses none.

use std::collections::HashMap;
use std::sync::Mutex;

use kanava_adapter::outbox::Outbox;
use kanava_adapter::{ChatId, DeliveryError, Outbound, OutboundKind, StateError};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::activity::{Account, Activity, Conversation};
use crate::{connector, outbound, Inner};

const REFERENCE: &str = "c/";
const QUEUE: Outbox = Outbox::new(b"q/");
/// A reference serves only to write to the chat later; it goes after this long without a
/// message (the same as reaction lookups).
pub(crate) const REFERENCE_DAYS: u64 = 30;

/// Where a chat's messages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reference {
    pub(crate) at: u64,
    service_url: String,
    channel_id: Option<String>,
    user: Account,
    bot: Account,
    conversation: String,
    group: bool,
}

impl Reference {
    fn same_place(&self, other: &Reference) -> bool {
        Reference {
            at: 0,
            ..self.clone()
        } == Reference {
            at: 0,
            ..other.clone()
        }
    }
}

/// One pushed message, as the connector will receive it.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    url: String,
    activity: serde_json::Value,
}

/// Which chats' references are known to be on disk already, so an ordinary message costs no
/// write.
#[derive(Debug, Default)]
pub(crate) struct Known(Mutex<HashMap<String, Reference>>);

fn reference_key(chat: &str) -> String {
    format!("{REFERENCE}{chat}")
}

/// Records where `chat` is reached, if that changed (or is older than a day, so the tidy-up
/// keeps it while the chat is in use).
pub(crate) async fn remember(
    inner: &Inner,
    chat: &ChatId,
    a: &Activity,
    service: &url::Url,
    now: u64,
) -> Result<(), StateError> {
    let reference = Reference {
        at: now,
        service_url: service.as_str().to_string(),
        channel_id: a.channel_id.clone(),
        user: a.from.clone().unwrap_or_default(),
        bot: a.recipient.clone().unwrap_or_default(),
        conversation: a
            .conversation
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        group: crate::activity::is_group(a),
    };
    {
        let known = inner.references.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = known.get(chat.as_str()) {
            if k.same_place(&reference) && k.at + 86_400 > now {
                return Ok(());
            }
        }
    }
    let v = serde_json::to_vec(&reference).map_err(|e| StateError(e.to_string()))?;
    inner.state.put(reference_key(chat.as_str()), v).await?;
    let mut known = inner.references.0.lock().unwrap_or_else(|p| p.into_inner());
    if known.len() > 100_000 {
        known.clear();
    }
    known.insert(chat.as_str().to_string(), reference);
    Ok(())
}

/// Forgets what a tidy-up removed from disk.
pub(crate) fn forget_cached(inner: &Inner) {
    inner
        .references
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
}

/// Keeps `messages` for `chat` durably; [`send_pending`] delivers them.
pub(crate) async fn enqueue(
    inner: &Inner,
    chat: &ChatId,
    messages: &[Outbound],
) -> Result<(), DeliveryError> {
    let state = |e: StateError| DeliveryError::State(e.to_string());
    let Some(raw) = inner
        .state
        .get(reference_key(chat.as_str()))
        .await
        .map_err(state)?
    else {
        return Err(DeliveryError::UnknownChat(
            "no message from this chat in the last 30 days".into(),
        ));
    };
    let r: Reference = serde_json::from_slice(&raw)
        .map_err(|e| DeliveryError::State(format!("conversation reference: {e}")))?;
    if r.group && messages.iter().any(|m| m.kind == OutboundKind::Notice) {
        return Err(DeliveryError::Group);
    }
    let service = url::Url::parse(&r.service_url)
        .map_err(|e| DeliveryError::State(format!("conversation reference: {e}")))?;
    let url =
        connector::reply_url(&service, &r.conversation, None).map_err(DeliveryError::State)?;
    // The reply builder, fed the reference as the activity being answered (without an id, so
    // nothing is marked as a reply).
    let to = Activity {
        kind: "message".into(),
        service_url: Some(r.service_url.clone()),
        channel_id: r.channel_id.clone(),
        from: Some(r.user.clone()),
        recipient: Some(r.bot.clone()),
        conversation: Some(Conversation {
            id: r.conversation.clone(),
            is_group: Some(r.group),
        }),
        ..Activity::default()
    };
    let queued: Vec<Pending> = messages
        .iter()
        .map(|m| Pending {
            url: url.as_str().to_string(),
            activity: outbound::reply(&to, m),
        })
        .collect();
    QUEUE.put(&inner.state, &queued).await.map_err(state)
}

/// Posts the waiting messages, oldest first, one round at a time; stops at the first the
/// connector does not take (it is tried again on the next round).
pub(crate) async fn send_pending(inner: &Inner) -> Result<(), StateError> {
    let _one = inner.pushing.lock().await;
    for (key, p) in QUEUE.waiting::<Pending>(&inner.state).await? {
        let Ok(url) = url::Url::parse(&p.url) else {
            QUEUE.done(&inner.state, key).await?;
            continue;
        };
        match inner.connector.send(&url, &p.activity).await {
            Ok(_) => QUEUE.done(&inner.state, key).await?,
            Err(e) => {
                warn!(channel = %inner.channel, error = %e, "pushed message not delivered yet; kept");
                return Ok(());
            }
        }
    }
    Ok(())
}
