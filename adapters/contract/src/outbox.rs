//! A durable queue of messages waiting to be sent, kept in a channel instance's state.
//!
//! Push delivery ([`crate::Adapter::deliver`]) must not lose a message the platform does not take
//! right away: it is queued here first, then sent by rounds. Keys are time-ordered and unique
//! within the process, so the queue drains oldest first and two pushes in one microsecond do
//! not overwrite each other.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{AsyncState, ChannelId, StateError};

/// A queue under one key prefix of a channel's state.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    prefix: &'static [u8],
}

impl Outbox {
    /// The queue kept under `prefix` (the adapter's own, e.g. `b"q/"`).
    pub const fn new(prefix: &'static [u8]) -> Self {
        Self { prefix }
    }

    /// Queues `items` in order; durable when it returns.
    pub async fn put<T: Serialize>(
        &self,
        state: &AsyncState,
        items: &[T],
    ) -> Result<(), StateError> {
        let base = next_id();
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut key = self.prefix.to_vec();
            key.extend_from_slice(&base.to_be_bytes());
            key.extend_from_slice(&(i as u32).to_be_bytes());
            let value = serde_json::to_vec(item)
                .map_err(|e| StateError(format!("cannot encode a queued message: {e}")))?;
            entries.push((key, value));
        }
        state
            .with(move |s| {
                for (k, v) in &entries {
                    s.put(k, v)?;
                }
                Ok(())
            })
            .await
    }

    /// What waits, oldest first. Entries that no longer decode can never be sent: they are
    /// removed rather than left to block the queue.
    pub async fn waiting<T: DeserializeOwned + Send + 'static>(
        &self,
        state: &AsyncState,
    ) -> Result<Vec<(Vec<u8>, T)>, StateError> {
        let prefix = self.prefix;
        state
            .with(move |s| {
                let mut out = Vec::new();
                for (k, v) in s.scan(prefix)? {
                    match serde_json::from_slice::<T>(&v) {
                        Ok(item) => out.push((k, item)),
                        Err(_) => s.remove(&k)?,
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Takes one sent (or undeliverable) entry out of the queue.
    pub async fn done(&self, state: &AsyncState, key: Vec<u8>) -> Result<(), StateError> {
        state.with(move |s| s.remove(&key)).await
    }
}

/// Runs one send round in the background. A failure is logged, not lost: the messages stay
/// queued for the next round.
pub fn spawn_round<F>(channel: ChannelId, round: F)
where
    F: Future<Output = Result<(), StateError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = round.await {
            tracing::warn!(channel = %channel, error = %e, "could not send pushed messages");
        }
    });
}

/// Microseconds since the epoch shifted left by 8, plus a process-wide sequence in the low bits.
fn next_id() -> u64 {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    (micros << 8) | (SEQ.fetch_add(1, Ordering::Relaxed) & 0xff)
}
