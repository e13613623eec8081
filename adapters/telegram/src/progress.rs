//! Durable progress: which updates are answered, and the replies not yet delivered.
//!
//! For each update the engine's reply is written to an outbox entry before anything is sent,
//! and every delivered message advances the entry. The polling offset only moves past an update
//! once its entry is complete. A restart therefore redelivers what was missing and skips what
//! was sent: no update lost, none answered twice. (The remaining windows are a crash between
//! Telegram accepting a message and the entry recording it, which repeats that one message,
//! and one between the engine storing the question and the outbox entry, which stores the
//! question twice but answers it once.)

use std::sync::Arc;

use kanava_adapter::{AsyncState, ChannelStore, StateError};
use serde::{Deserialize, Serialize};

use crate::render::Payload;

const OFFSET: &[u8] = b"offset";
const UPDATE: &[u8] = b"u/";
/// Messages sent outside a reply ([`kanava_adapter::Adapter::deliver`]), until delivered.
const PUSH: &[u8] = b"p/";

/// The delivery state of one update's reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outbox {
    /// When the update was handled, Unix seconds.
    pub at: u64,
    /// The chat to send to.
    pub chat: i64,
    /// The message to reply to, in groups.
    pub reply_to: Option<i32>,
    /// The messages of the reply.
    pub payloads: Vec<Payload>,
    /// How many of them Telegram has accepted.
    pub sent: usize,
}

impl Outbox {
    /// Whether every message was delivered.
    pub fn done(&self) -> bool {
        self.sent >= self.payloads.len()
    }
}

/// The channel's progress in its [`ChannelStore`].
#[derive(Clone)]
pub struct Progress {
    store: AsyncState,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

fn update_key(id: u32) -> Vec<u8> {
    let mut k = UPDATE.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn push_key(id: u64) -> Vec<u8> {
    let mut k = PUSH.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

impl Progress {
    /// Progress kept in `store`.
    pub fn new(store: Arc<dyn ChannelStore>) -> Self {
        Self {
            store: AsyncState::new(store),
        }
    }

    /// The next update id to ask Telegram for, if any update was ever completed.
    pub async fn offset(&self) -> Result<Option<u32>, StateError> {
        self.store
            .with(move |s| {
                Ok(s.get(OFFSET)?.and_then(|v| {
                    let b: [u8; 4] = v.as_slice().try_into().ok()?;
                    Some(u32::from_be_bytes(b))
                }))
            })
            .await
    }

    /// Records that every update below `next` is complete.
    pub async fn set_offset(&self, next: u32) -> Result<(), StateError> {
        self.store
            .with(move |s| s.put(OFFSET, &next.to_be_bytes()))
            .await
    }

    /// The outbox entry of an update, if it was handled before.
    pub async fn get(&self, update: u32) -> Result<Option<Outbox>, StateError> {
        self.store
            .with(move |s| match s.get(&update_key(update))? {
                None => Ok(None),
                Some(v) => serde_json::from_slice(&v)
                    .map(Some)
                    .map_err(|e| StateError(format!("outbox entry of update {update}: {e}"))),
            })
            .await
    }

    /// Writes an update's outbox entry durably.
    pub async fn save(&self, update: u32, entry: &Outbox) -> Result<(), StateError> {
        let v = serde_json::to_vec(entry).map_err(|e| StateError(e.to_string()))?;
        self.store.put(update_key(update), v).await
    }

    /// Entries with messages still to deliver, oldest update first.
    pub async fn unfinished(&self) -> Result<Vec<(u32, Outbox)>, StateError> {
        Ok(self
            .entries()
            .await?
            .into_iter()
            .filter(|(_, o)| !o.done())
            .collect())
    }

    async fn entries(&self) -> Result<Vec<(u32, Outbox)>, StateError> {
        self.store
            .with(move |s| {
                let mut out = Vec::new();
                for (k, v) in s.scan(UPDATE)? {
                    let Some(id) = k
                        .get(UPDATE.len()..)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(u32::from_be_bytes)
                    else {
                        continue;
                    };
                    match serde_json::from_slice::<Outbox>(&v) {
                        Ok(o) => out.push((id, o)),
                        // Unreadable entries cannot be delivered; drop them rather than block.
                        Err(_) => s.remove(&k)?,
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Forgets complete entries that can no longer be asked for again: below the polling
    /// offset, or (webhooks, which Telegram retries for a limited time) older than `before`.
    pub async fn forget_done(&self, below: Option<u32>, before: u64) -> Result<usize, StateError> {
        let old: Vec<u32> = self
            .entries()
            .await?
            .into_iter()
            .filter(|(id, o)| o.done() && (below.is_some_and(|b| *id < b) || o.at < before))
            .map(|(id, _)| id)
            .collect();
        let n = old.len();
        self.store
            .with(move |s| {
                for id in old {
                    s.remove(&update_key(id))?;
                }
                Ok(n)
            })
            .await
    }

    /// Writes a pushed message's outbox entry durably.
    pub async fn save_push(&self, id: u64, entry: &Outbox) -> Result<(), StateError> {
        let v = serde_json::to_vec(entry).map_err(|e| StateError(e.to_string()))?;
        self.store.put(push_key(id), v).await
    }

    /// Forgets a pushed message once every part of it is delivered (or refused).
    pub async fn finish_push(&self, id: u64) -> Result<(), StateError> {
        self.store.with(move |s| s.remove(&push_key(id))).await
    }

    /// Pushed messages not yet delivered, oldest first.
    pub async fn pushes(&self) -> Result<Vec<(u64, Outbox)>, StateError> {
        self.store
            .with(move |s| {
                let mut out = Vec::new();
                for (k, v) in s.scan(PUSH)? {
                    let id = k
                        .get(PUSH.len()..)
                        .and_then(|b| <[u8; 8]>::try_from(b).ok())
                        .map(u64::from_be_bytes);
                    match (id, serde_json::from_slice::<Outbox>(&v)) {
                        (Some(id), Ok(o)) => out.push((id, o)),
                        // Unreadable entries cannot be delivered; drop them rather than block.
                        _ => s.remove(&k)?,
                    }
                }
                Ok(out)
            })
            .await
    }
}
