//! kanava on the Bot Framework Activity protocol (v3), spoken directly: `POST /api/messages`
//! receives activities from a connector (Azure Bot Service channels, Direct Line, Teams, the
//! Microsoft 365 Agents SDK's relays), replies go back to the activity's `serviceUrl`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod activity;
pub mod auth;
pub mod connector;
mod handler;
mod outbound;
mod proactive;
pub mod settings;

use std::sync::Arc;

use futures::future::BoxFuture;
use kanava_adapter::{
    outbox, Adapter, AdapterError, Capabilities, ChannelId, ChannelState, ChannelStore,
    Conversation, DeliveryError, Health, HealthCell, Outbound, Recipient, Shutdown,
};
use tracing::{info, warn};

pub use auth::JwtConfig;
pub use connector::Credentials;
pub use settings::BotFrameworkSettings;

/// The route connectors post to, unless an instance names another (`path`).
pub const MESSAGES_PATH: &str = "/api/messages";

/// How inbound requests are authenticated.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Bot Framework JWTs (the only choice on a public address).
    Jwt(JwtConfig),
    /// None: local emulators only. The configuration refuses it unless kanava listens on
    /// loopback.
    None,
}

/// Bot Framework channel settings.
#[derive(Debug, Clone)]
pub struct BotFrameworkConfig {
    /// The path connectors post to (the messaging endpoint's path in the bot's registration).
    pub path: String,
    /// Inbound authentication.
    pub auth: Auth,
    /// Outbound credentials; `None` sends replies without a token (emulators).
    pub credentials: Option<Credentials>,
    /// Connector URLs kanava may post to even without a token vouching for them (prefixes).
    pub service_urls: Vec<url::Url>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

/// The Bot Framework adapter.
#[derive(Debug, Clone)]
pub struct BotFramework {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) channel: ChannelId,
    pub(crate) conversation: Arc<dyn Conversation>,
    pub(crate) state: kanava_adapter::AsyncState,
    pub(crate) config: BotFrameworkConfig,
    pub(crate) verifier: Option<auth::Verifier>,
    pub(crate) connector: connector::Connector,
    pub(crate) health: HealthCell,
    /// Conversation references known to be stored.
    pub(crate) references: proactive::Known,
    /// One round of pushed messages at a time.
    pub(crate) pushing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotFramework")
            .field("channel", &self.channel)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl BotFramework {
    /// A Bot Framework channel named `channel`.
    pub fn new(
        channel: ChannelId,
        conversation: Arc<dyn Conversation>,
        state: Arc<dyn ChannelStore>,
        config: BotFrameworkConfig,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let verifier = match &config.auth {
            Auth::Jwt(j) => Some(auth::Verifier::new(j.clone(), http.clone())),
            Auth::None => None,
        };
        let connector = connector::Connector::new(http, config.credentials.clone());
        Self {
            inner: Arc::new(Inner {
                channel,
                conversation,
                state: kanava_adapter::AsyncState::new(state),
                config,
                verifier,
                connector,
                health: HealthCell::default(),
                references: proactive::Known::default(),
                pushing: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl Adapter for BotFramework {
    fn channel(&self) -> &ChannelId {
        &self.inner.channel
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            buttons: true,
            feedback: true,
            max_message_chars: None,
            push: true,
        }
    }

    fn routes(&self) -> Option<axum::Router> {
        Some(handler::routes(self.inner.clone()))
    }

    fn run(
        self: Arc<Self>,
        mut shutdown: Shutdown,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            match &inner.verifier {
                None => {
                    warn!(channel = %inner.channel, "Bot Framework authentication is OFF (auth = \"none\"): for local emulators on loopback only");
                    inner.health.set(ChannelState::Running);
                }
                Some(v) => match v.refresh().await {
                    Ok(n) => {
                        info!(channel = %inner.channel, keys = n, "Bot Framework signing keys loaded");
                        inner.health.set(ChannelState::Running);
                    }
                    // Not fatal: the keys are fetched again on the first request.
                    Err(e) => inner.health.set(ChannelState::Degraded(e.to_string())),
                },
            }
            let mut tidy = tokio::time::interval(std::time::Duration::from_secs(3600));
            // Pushed messages the connector did not take are tried again this often.
            let mut retry = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tidy.tick() => handler::tidy(&inner).await,
                    _ = retry.tick() => {
                        if let Err(e) = proactive::send_pending(&inner).await {
                            warn!(channel = %inner.channel, error = %e, "could not send pushed messages");
                        }
                    }
                }
            }
            inner.health.set(ChannelState::Stopped);
            Ok(())
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
            proactive::enqueue(&inner, &to.chat, &messages).await?;
            let channel = inner.channel.clone();
            outbox::spawn_round(
                channel,
                async move { proactive::send_pending(&inner).await },
            );
            Ok(())
        })
    }
}
