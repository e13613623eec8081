//! kanava on Matrix with matrix-sdk: end-to-end encrypted rooms, invites from allowed servers,
//! answers as `m.notice`, feedback as 👍/👎 reactions.
//!
//! Durability: kanava keeps its own sync position in its channel state and advances it only
//! after every message of a sync batch is answered; answered event ids are remembered, and
//! replies are sent with transaction ids derived from the question's event id, so the
//! homeserver itself drops a resend. A restart or a homeserver outage therefore neither loses a
//! question nor answers one twice.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod inbound;
mod push;
pub mod render;
mod session;
pub mod settings;
mod sync;

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use kanava_adapter::{
    outbox, Adapter, AdapterError, Capabilities, ChannelId, ChannelState, ChannelStore,
    Conversation, DeliveryError, Health, HealthCell, Outbound, Recipient, Shutdown,
};

pub use settings::MatrixSettings;

/// How the bot account logs in.
#[derive(Clone)]
pub enum Login {
    /// Password login; the device and its keys are kept, so later starts restore the session.
    Password(String),
    /// An existing access token and the device it belongs to.
    AccessToken {
        /// The token. Never logged.
        token: String,
        /// The device id the token was issued for.
        device_id: String,
    },
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Login::Password(_) => f.write_str("password"),
            Login::AccessToken { device_id, .. } => {
                write!(f, "access token for device {device_id}")
            }
        }
    }
}

/// Matrix channel settings.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    /// The homeserver's client API URL (no well-known discovery).
    pub homeserver: url::Url,
    /// The bot's user id, e.g. `@kanava:example.fi`.
    pub user_id: String,
    /// How to log in.
    pub login: Login,
    /// Where matrix-sdk keeps its state and crypto stores (under kanava's data dir).
    pub store_dir: PathBuf,
    /// Invites from users on these homeservers are accepted.
    pub allowed_servers: Vec<String>,
    /// Invites from these users are accepted (whatever their server).
    pub allowed_users: Vec<String>,
    /// Answer in group rooms when mentioned (`false`: only direct rooms).
    pub answer_in_groups: bool,
}

/// The Matrix adapter.
#[derive(Debug, Clone)]
pub struct Matrix {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) channel: ChannelId,
    pub(crate) conversation: Arc<dyn Conversation>,
    pub(crate) state: kanava_adapter::AsyncState,
    pub(crate) config: MatrixConfig,
    pub(crate) health: HealthCell,
    /// The logged-in client, once there is one (pushed messages need it).
    pub(crate) client: std::sync::OnceLock<matrix_sdk::Client>,
    /// One round of pushed messages at a time.
    pub(crate) pushing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matrix")
            .field("channel", &self.channel)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Matrix {
    /// A Matrix channel named `channel`.
    pub fn new(
        channel: ChannelId,
        conversation: Arc<dyn Conversation>,
        state: Arc<dyn ChannelStore>,
        config: MatrixConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                channel,
                conversation,
                state: kanava_adapter::AsyncState::new(state),
                config,
                health: HealthCell::default(),
                client: std::sync::OnceLock::new(),
                pushing: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl Adapter for Matrix {
    fn channel(&self) -> &ChannelId {
        &self.inner.channel
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            buttons: false,
            feedback: true,
            max_message_chars: None,
            push: true,
        }
    }

    fn run(self: Arc<Self>, shutdown: Shutdown) -> BoxFuture<'static, Result<(), AdapterError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let result = sync::run(inner.clone(), shutdown).await;
            inner.health.set(match &result {
                Ok(()) => ChannelState::Stopped,
                Err(e) => ChannelState::Failed(e.to_string()),
            });
            result
        })
    }

    fn health(&self) -> Health {
        self.inner.health.report(&self.inner.channel)
    }

    fn deliver(
        &self,
        to: Recipient,
        messages: Vec<Outbound>,
    ) -> BoxFuture<'static, Result<(), DeliveryError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            push::enqueue(&inner, &to.chat, &messages).await?;
            let channel = inner.channel.clone();
            outbox::spawn_round(channel, async move { push::send_pending(&inner).await });
            Ok(())
        })
    }
}
