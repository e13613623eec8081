//! Messages sent outside a reply (an appeal decision, later an advisor's answer): kept in the
//! channel's durable state until a browser holding that chat is connected, then sent and
//! removed. At least once: a crash between sending and removing repeats that one message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket};
use kanava_adapter::{AsyncState, Outbound, StateError};
use tokio::sync::Notify;

use crate::protocol::ServerFrame;

const PENDING: &[u8] = b"pending/";

/// The sockets holding one chat (a chat may be open in several tabs): id and wake-up.
type Sockets = Vec<(u64, Arc<Notify>)>;

/// The open sockets of each chat, and the durable queue of what waits for them.
pub(crate) struct Pushes {
    state: AsyncState,
    sockets: Mutex<HashMap<String, Sockets>>,
    next_socket: AtomicU64,
    /// One flush at a time, so two tabs of a chat never send the same message twice.
    flushing: tokio::sync::Mutex<()>,
}

/// A connected socket's place in [`Pushes`]; leaves it on drop.
pub(crate) struct Registration {
    pushes: Arc<Pushes>,
    chat: String,
    id: u64,
    pub(crate) wake: Arc<Notify>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut sockets = self
            .pushes
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(list) = sockets.get_mut(&self.chat) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                sockets.remove(&self.chat);
            }
        }
    }
}

fn prefix(chat: &str) -> Vec<u8> {
    let mut k = PENDING.to_vec();
    k.extend_from_slice(chat.as_bytes());
    k.push(b'/');
    k
}

impl Pushes {
    pub(crate) fn new(state: AsyncState) -> Self {
        Self {
            state,
            sockets: Mutex::default(),
            next_socket: AtomicU64::new(0),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// Registers a socket that now holds `chat`.
    pub(crate) fn register(self: &Arc<Self>, chat: &str) -> Registration {
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let wake = Arc::new(Notify::new());
        self.sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(chat.to_string())
            .or_default()
            .push((id, wake.clone()));
        Registration {
            pushes: self.clone(),
            chat: chat.to_string(),
            id,
            wake,
        }
    }

    /// Keeps `messages` for `chat` durably, then wakes its sockets.
    pub(crate) async fn enqueue(
        &self,
        chat: &str,
        messages: Vec<Outbound>,
    ) -> Result<(), StateError> {
        let base = prefix(chat);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let frames: Vec<(Vec<u8>, Vec<u8>)> = messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let mut key = base.clone();
                key.extend_from_slice(&stamp.to_be_bytes());
                key.extend_from_slice(&(i as u32).to_be_bytes());
                let json = serde_json::to_vec(&ServerFrame::from(m))
                    .map_err(|e| StateError(format!("push frame: {e}")))?;
                Ok((key, json))
            })
            .collect::<Result<_, StateError>>()?;
        self.state
            .with(move |s| {
                for (k, v) in &frames {
                    s.put(k, v)?;
                }
                Ok(())
            })
            .await?;
        let sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        for (_, wake) in sockets.get(chat).into_iter().flatten() {
            wake.notify_one();
        }
        Ok(())
    }

    /// Sends what waits for `chat` to `socket`, oldest first, removing each sent one. Returns
    /// `false` when the socket is gone.
    pub(crate) async fn flush(
        &self,
        chat: &str,
        socket: &mut WebSocket,
    ) -> Result<bool, StateError> {
        let _one = self.flushing.lock().await;
        let base = prefix(chat);
        let waiting = self.state.with(move |s| s.scan(&base)).await?;
        for (key, json) in waiting {
            // Written by this module as JSON; anything else cannot be shown, so it goes.
            if let Ok(text) = String::from_utf8(json) {
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return Ok(false);
                }
            }
            self.state.with(move |s| s.remove(&key)).await?;
        }
        Ok(true)
    }
}
