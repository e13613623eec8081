//! What an adapter is: what it contributes to kanava and how the engine is reached.

use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use serde::Serialize;
use tokio::sync::watch;

use crate::identity::{ChannelId, ChatId};
use crate::message::{Inbound, Outbound};

/// The engine, as adapters see it: one call per inbound event.
///
/// The returned messages are the whole reply, in order; an empty list means silence (for example
/// a blocked user after their one notice). Errors inside the engine come back as an
/// [`crate::OutboundKind::Error`] message in the user's language, so adapters never invent
/// user-facing text of their own.
pub trait Conversation: Send + Sync + 'static {
    /// Handles one event and returns the reply. The reply is only produced after the user's
    /// (redacted) message is durably stored.
    fn handle(&self, inbound: Inbound) -> BoxFuture<'_, Vec<Outbound>>;

    /// The text commands users may type, described in `lang`, for platforms with a command
    /// menu (Telegram). Names are lowercase, without the slash.
    fn commands(&self, lang: crate::Lang) -> Vec<CommandHelp> {
        let _ = lang;
        Vec::new()
    }

    /// The current session of a chat as stored (the user's messages redacted), oldest first, at
    /// most `limit` messages: for channels that redraw a conversation (the web chat after a
    /// reload). Empty when the session has ended or nothing is stored.
    fn history(
        &self,
        identity: &crate::UserIdentity,
        chat: &crate::ChatId,
        limit: usize,
    ) -> BoxFuture<'_, Vec<HistoryItem>> {
        let _ = (identity, chat, limit);
        Box::pin(async { Vec::new() })
    }
}

/// One stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryItem {
    /// `true`: the user wrote it (as stored: redacted); `false`: kanava's reply (plain text).
    pub from_user: bool,
    /// Its language.
    pub lang: crate::Lang,
    /// The text.
    pub text: String,
}

/// One entry of a platform's command menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandHelp {
    /// The command without `/`, e.g. `language`.
    pub name: String,
    /// One line in the user's language.
    pub description: String,
}

/// What a channel can show, so the engine and the contract tests know what to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Suggested topics can be shown as buttons.
    pub buttons: bool,
    /// Answers can be rated 👍/👎.
    pub feedback: bool,
    /// The longest single message the platform accepts, in characters, if limited.
    pub max_message_chars: Option<usize>,
    /// Messages can be sent to a chat at any time, not only as a reply ([`Adapter::deliver`]).
    pub push: bool,
}

/// Where a message sent later goes: one user in one chat of the channel instance, as an
/// earlier [`crate::Inbound`] named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The platform user id ([`crate::UserIdentity::user`]).
    pub user: String,
    /// The chat they wrote in.
    pub chat: ChatId,
}

/// Why a message could not be accepted for delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The channel cannot send unprompted messages.
    #[error("this channel cannot send messages unprompted")]
    Unsupported,
    /// The chat is not one kanava can reach (never seen, or the platform forgot it).
    #[error("unknown chat: {0}")]
    UnknownChat(String),
    /// A message about one person would go where others read (a group chat).
    #[error("the chat is a group; a message about one person is not posted there")]
    Group,
    /// The channel is not running.
    #[error("the channel is not running")]
    Stopped,
    /// The message could not be kept durably.
    #[error("could not keep the message for delivery: {0}")]
    State(String),
}

/// The state of one channel, reported on `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum ChannelState {
    /// Being set up.
    Starting,
    /// Serving.
    Running,
    /// Serving with trouble (e.g. reconnecting to its platform).
    Degraded(String),
    /// Stopped by an error that needs an operator (e.g. an invalid token). Other channels go on.
    Failed(String),
    /// Stopped on shutdown.
    Stopped,
}

/// A channel's health snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The channel instance.
    pub channel: ChannelId,
    /// Its state.
    #[serde(flatten)]
    pub state: ChannelState,
}

/// A shared, cheaply cloned cell an adapter updates and `/healthz` reads.
#[derive(Debug, Clone)]
pub struct HealthCell(Arc<RwLock<ChannelState>>);

impl Default for HealthCell {
    fn default() -> Self {
        Self(Arc::new(RwLock::new(ChannelState::Starting)))
    }
}

impl HealthCell {
    /// Records a new state.
    pub fn set(&self, state: ChannelState) {
        // A poisoned lock only means another thread panicked mid-write of a plain enum: the
        // value is still whole, so keep reporting.
        let mut guard = self.0.write().unwrap_or_else(|p| p.into_inner());
        *guard = state;
    }

    /// The current state.
    pub fn get(&self) -> ChannelState {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The snapshot [`Adapter::health`] returns for `channel`.
    pub fn report(&self, channel: &ChannelId) -> Health {
        Health {
            channel: channel.clone(),
            state: self.get(),
        }
    }
}

/// Why an adapter stopped.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// Configuration the platform rejected (invalid token, unknown bot).
    #[error("channel {channel}: rejected by the platform: {reason}")]
    Rejected {
        /// The channel instance.
        channel: ChannelId,
        /// Why, without secrets.
        reason: String,
    },
    /// Anything else that ended the adapter's task.
    #[error("channel {channel}: {reason}")]
    Other {
        /// The channel instance.
        channel: ChannelId,
        /// Why, without secrets.
        reason: String,
    },
}

/// Tells a running adapter that kanava is shutting down.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// The sending side of [`Shutdown`], held by the server.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownTrigger {
    /// A trigger and its first listener.
    pub fn new() -> (Self, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Self(tx), Shutdown(rx))
    }

    /// Tells every listener to stop.
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }

    /// A further listener.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    /// Whether shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once shutdown has begun (or the trigger is gone).
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// A channel adapter.
///
/// An adapter may contribute HTTP routes (webhooks, a chat page) that kanava mounts on its one
/// HTTP server, and a long-running task (polling, a sync loop) that must return soon after
/// [`Shutdown`] fires. Failing is local: an adapter that returns an error is marked failed and
/// every other channel keeps running.
pub trait Adapter: Send + Sync + 'static {
    /// The channel instance this adapter serves.
    fn channel(&self) -> &ChannelId;

    /// What the channel can show.
    fn capabilities(&self) -> Capabilities;

    /// Routes to mount on kanava's HTTP server, if any. Paths must not collide with other
    /// adapters'; by convention they live under a prefix named after the platform.
    fn routes(&self) -> Option<axum::Router> {
        None
    }

    /// The adapter's long-running task. The default waits for shutdown (for adapters that only
    /// serve routes).
    fn run(
        self: Arc<Self>,
        mut shutdown: Shutdown,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        Box::pin(async move {
            shutdown.wait().await;
            Ok(())
        })
    }

    /// The channel's current health.
    fn health(&self) -> Health;

    /// Sends `messages` to `to` outside any reply: an appeal decision, an advisor's answer, a
    /// service notice. `Ok` means the messages are kept durably and will reach the chat as soon
    /// as the platform allows (the web chat: when the browser is connected or next reconnects),
    /// across a restart, each once. Messages of kind [`crate::OutboundKind::Notice`] concern one
    /// person and are refused for group chats ([`DeliveryError::Group`]).
    fn deliver(
        &self,
        to: Recipient,
        messages: Vec<Outbound>,
    ) -> BoxFuture<'static, Result<(), DeliveryError>> {
        let _ = (to, messages);
        Box::pin(async { Err(DeliveryError::Unsupported) })
    }
}
