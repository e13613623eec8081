//! kanava on Telegram, with teloxide's Bot API client.
//!
//! Updates arrive by long polling (default) or by webhook on kanava's HTTP server. Every update
//! goes through the same path: classify (private chat, group mention, button) → the engine →
//! an outbox entry in the channel's durable state → delivery. See [`progress`] for why a
//! restart neither loses an update nor answers one twice.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod flow;
mod inbound;
mod poll;
pub mod progress;
pub mod render;
mod retry;
pub mod settings;
mod webhook;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use kanava_adapter::{
    outbox, Adapter, AdapterError, Capabilities, ChannelId, ChannelState, ChannelStore,
    Conversation, DeliveryError, Health, HealthCell, Outbound, OutboundKind, Recipient, Shutdown,
};
use teloxide::Bot;

pub use inbound::{BotAccount, GroupReplies};
pub use settings::TelegramSettings;

/// How updates reach kanava.
#[derive(Clone)]
pub enum Mode {
    /// kanava asks Telegram (`getUpdates`); works behind any firewall.
    Polling,
    /// Telegram posts to `public_url`, with `secret` in the `X-Telegram-Bot-Api-Secret-Token`
    /// header; kanava serves that URL's path (one per instance).
    Webhook {
        /// The public HTTPS URL Telegram posts to.
        public_url: url::Url,
        /// The shared secret (1–256 of `A-Z a-z 0-9 _ -`).
        secret: String,
    },
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Polling => f.write_str("polling"),
            // The secret stays out of logs.
            Mode::Webhook { public_url, .. } => write!(f, "webhook at {public_url}"),
        }
    }
}

/// Telegram channel settings.
#[derive(Clone)]
pub struct TelegramConfig {
    /// The bot token from @BotFather. Never logged.
    pub token: String,
    /// The Bot API server (`https://api.telegram.org/`, or a self-hosted one).
    pub api_url: url::Url,
    /// Polling or webhook.
    pub mode: Mode,
    /// Which group messages are answered.
    pub groups: GroupReplies,
    /// How long one `getUpdates` call waits for news (below the HTTP client's 17 s timeout).
    pub poll_timeout: Duration,
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token and the webhook secret stay out of every log line.
        f.debug_struct("TelegramConfig")
            .field("api_url", &self.api_url.as_str())
            .field("mode", &self.mode)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// The Telegram adapter.
#[derive(Debug, Clone)]
pub struct Telegram {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) channel: ChannelId,
    pub(crate) conversation: Arc<dyn Conversation>,
    pub(crate) progress: progress::Progress,
    pub(crate) bot: Bot,
    pub(crate) config: TelegramConfig,
    pub(crate) health: HealthCell,
    /// Known after `getMe`; webhook requests before that are answered 503 (Telegram retries).
    pub(crate) me: OnceLock<BotAccount>,
    /// Updates being handled right now, so a webhook retry or a redelivery round never works
    /// on the same update twice at once.
    pub(crate) in_flight: Arc<Mutex<HashSet<u32>>>,
    /// One round of pushed messages at a time.
    pub(crate) pushing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("channel", &self.channel)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Telegram {
    /// A Telegram channel named `channel`, answering through `conversation`, keeping its
    /// progress in `state`.
    pub fn new(
        channel: ChannelId,
        conversation: Arc<dyn Conversation>,
        state: Arc<dyn ChannelStore>,
        config: TelegramConfig,
    ) -> Self {
        let bot = Bot::new(config.token.clone()).set_api_url(config.api_url.clone());
        Self {
            inner: Arc::new(Inner {
                channel,
                conversation,
                progress: progress::Progress::new(state),
                bot,
                config,
                health: HealthCell::default(),
                me: OnceLock::new(),
                in_flight: Arc::default(),
                pushing: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl Adapter for Telegram {
    fn channel(&self) -> &ChannelId {
        &self.inner.channel
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            buttons: true,
            feedback: true,
            max_message_chars: Some(render::MAX_MESSAGE),
            push: true,
        }
    }

    fn routes(&self) -> Option<axum::Router> {
        matches!(self.inner.config.mode, Mode::Webhook { .. })
            .then(|| webhook::routes(self.inner.clone()))
    }

    fn run(self: Arc<Self>, shutdown: Shutdown) -> BoxFuture<'static, Result<(), AdapterError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let result = poll::run(inner.clone(), shutdown).await;
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
            let chat: i64 = to.chat.as_str().parse().map_err(|_| {
                DeliveryError::UnknownChat(format!(
                    "{:?} is not a Telegram chat id",
                    to.chat.as_str()
                ))
            })?;
            // Private chats have the user's (positive) id; groups and channels negative ones.
            if chat < 0 && messages.iter().any(|m| m.kind == OutboundKind::Notice) {
                return Err(DeliveryError::Group);
            }
            let payloads: Vec<render::Payload> = messages
                .iter()
                .flat_map(|m| render::render(m, render::MAX_MESSAGE))
                .collect();
            inner
                .push(chat, payloads)
                .await
                .map_err(|e| DeliveryError::State(e.to_string()))?;
            let channel = inner.channel.clone();
            outbox::spawn_round(channel, async move { inner.send_pushes().await });
            Ok(())
        })
    }
}
