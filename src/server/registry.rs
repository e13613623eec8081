//! The running channel instances. Each has its own shutdown, so one can be started or stopped
//! while the rest keep serving; HTTP requests reach an instance through the routes of whatever
//! runs now (rebuilt on every change), and messages sent outside a reply go through
//! [`Registry::deliver`].

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use futures::future::BoxFuture;
use kanava_adapter::{
    Adapter, ChannelId, ChannelStore, Conversation, DeliveryError, Health, Outbound, Recipient,
    ShutdownTrigger,
};
use tracing::{error, info};

use crate::audit::AuditRecord;
use crate::clock::Clock;
use crate::config::{ChannelSettings, ChannelSpec};
use crate::services::StartError;
use crate::storage::ChannelStates;

/// One running instance.
struct Running {
    adapter: Arc<dyn Adapter>,
    stop: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

/// What every instance is built with.
pub struct Registry {
    conversation: Arc<dyn Conversation>,
    states: Arc<dyn ChannelStates>,
    guard: Arc<crate::guard::TermsGuard>,
    clock: Arc<dyn Clock>,
    running: RwLock<BTreeMap<ChannelId, Running>>,
    routes: RwLock<Router>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<ChannelId> = self.read().keys().cloned().collect();
        f.debug_struct("Registry").field("running", &names).finish()
    }
}

impl Registry {
    /// An empty registry; instances answer through `conversation` and keep their progress in
    /// `states`; failures are audited through the guard's log.
    pub fn new(
        conversation: Arc<dyn Conversation>,
        states: Arc<dyn ChannelStates>,
        guard: Arc<crate::guard::TermsGuard>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            conversation,
            states,
            guard,
            clock,
            running: RwLock::default(),
            routes: RwLock::new(Router::new()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<ChannelId, Running>> {
        // A panic elsewhere cannot leave the map half-written (every change is one insert or
        // remove), so a poisoned lock is still usable.
        self.running.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<ChannelId, Running>> {
        self.running.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The adapter for a spec.
    fn build(&self, spec: &ChannelSpec) -> Result<Arc<dyn Adapter>, StartError> {
        let name = spec.name.clone();
        let state =
            || -> Result<Arc<dyn ChannelStore>, StartError> { Ok(self.states.open(&name)?) };
        let conversation = self.conversation.clone();
        Ok(match &spec.settings {
            #[cfg(feature = "webchat")]
            ChannelSettings::WebChat(c) => Arc::new(kanava_webchat::WebChat::new(
                name.clone(),
                conversation,
                state()?,
                c.clone(),
            )),
            #[cfg(feature = "telegram")]
            ChannelSettings::Telegram(c) => Arc::new(kanava_telegram::Telegram::new(
                name.clone(),
                conversation,
                state()?,
                c.clone(),
            )),
            #[cfg(feature = "botframework")]
            ChannelSettings::BotFramework(c) => Arc::new(kanava_botframework::BotFramework::new(
                name.clone(),
                conversation,
                state()?,
                c.clone(),
            )),
            #[cfg(feature = "matrix")]
            ChannelSettings::Matrix(c) => Arc::new(kanava_matrix::Matrix::new(
                name.clone(),
                conversation,
                state()?,
                c.clone(),
            )),
        })
    }

    /// The routes of `adapters` merged; an error names the instance whose routes collide with
    /// another's (axum refuses overlapping routes by panicking, which must not end the server).
    fn merge<'a>(adapters: impl Iterator<Item = &'a Arc<dyn Adapter>>) -> Result<Router, String> {
        let mut router = Router::new();
        for a in adapters {
            if let Some(r) = a.routes() {
                let base = router.clone();
                router =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || base.merge(r)))
                        .map_err(|_| {
                        format!(
                            "channel {}: its HTTP paths collide with another channel's",
                            a.channel()
                        )
                    })?;
            }
        }
        Ok(router)
    }

    /// Starts an instance. Refused if one of that name runs, or its paths collide.
    pub fn start(&self, spec: &ChannelSpec) -> Result<(), StartError> {
        let adapter = self.build(spec)?;
        let mut running = self.write();
        if running.contains_key(&spec.name) {
            return Err(StartError::Channel(format!(
                "channel {} is already running",
                spec.name
            )));
        }
        let routes = Self::merge(
            running
                .values()
                .map(|r| &r.adapter)
                .chain(std::iter::once(&adapter)),
        )
        .map_err(StartError::Channel)?;
        let (stop, listener) = ShutdownTrigger::new();
        let task = {
            let adapter = adapter.clone();
            let guard = self.guard.clone();
            let clock = self.clock.clone();
            tokio::spawn(async move {
                let channel = adapter.channel().clone();
                if let Err(e) = adapter.run(listener).await {
                    // One channel failing never stops the others; staff find it in the audit log.
                    error!(%channel, error = %e, "channel stopped");
                    let record = AuditRecord {
                        at: clock.now(),
                        kind: "channel_failure".into(),
                        actor: "system".into(),
                        subject: None,
                        reason: e.to_string(),
                    };
                    if let Err(e) = guard.audit_log().append(&record).await {
                        error!(error = %e, "could not audit a channel failure");
                    }
                }
            })
        };
        info!(channel = %spec.name, kind = spec.kind(), "channel started");
        running.insert(
            spec.name.clone(),
            Running {
                adapter,
                stop,
                task,
            },
        );
        *self.routes.write().unwrap_or_else(|p| p.into_inner()) = routes;
        Ok(())
    }

    /// Stops one instance and waits for its task; the others keep serving. `false` if none of
    /// that name runs.
    pub async fn stop(&self, name: &ChannelId) -> bool {
        let removed = {
            let mut running = self.write();
            let removed = running.remove(name);
            if removed.is_some() {
                // The remaining routes merged before, so they merge again.
                let routes = Self::merge(running.values().map(|r| &r.adapter)).unwrap_or_default();
                *self.routes.write().unwrap_or_else(|p| p.into_inner()) = routes;
            }
            removed
        };
        let Some(r) = removed else {
            return false;
        };
        r.stop.trigger();
        let _ = r.task.await;
        info!(channel = %name, "channel stopped");
        true
    }

    /// Stops every instance (shutdown).
    pub async fn stop_all(&self) {
        let names: Vec<ChannelId> = self.read().keys().cloned().collect();
        for n in names {
            self.stop(&n).await;
        }
    }

    /// The routes of the running instances, now.
    pub fn routes(&self) -> Router {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every running instance's health.
    pub fn health(&self) -> Vec<Health> {
        self.read().values().map(|r| r.adapter.health()).collect()
    }

    /// How many instances run.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether none runs.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Hands `messages` to the instance `channel` for `to` ([`Adapter::deliver`]).
    pub fn deliver(
        &self,
        channel: &str,
        to: Recipient,
        messages: Vec<Outbound>,
    ) -> BoxFuture<'static, Result<(), DeliveryError>> {
        let adapter = self
            .read()
            .get(&ChannelId::new(channel))
            .map(|r| r.adapter.clone());
        match adapter {
            Some(a) => a.deliver(to, messages),
            None => Box::pin(async { Err(DeliveryError::Stopped) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn status(registry: &Registry, path: &str) -> StatusCode {
        let request = Request::get(path).body(Body::empty()).expect("request");
        match registry.routes().oneshot(request).await {
            Ok(r) => r.status(),
            Err(never) => match never {},
        }
    }

    #[tokio::test]
    async fn one_instance_stops_and_starts_while_the_other_keeps_serving() {
        let env = [
            ("KANAVA_CHANNELS_A_KIND", "webchat"),
            ("KANAVA_CHANNELS_A_PATH", "/chat-a"),
            ("KANAVA_CHANNELS_B_KIND", "webchat"),
            ("KANAVA_CHANNELS_B_PATH", "/chat-b"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let config =
            crate::config::load(None, env.into_iter(), &Default::default()).expect("config");
        let services = crate::services::Services::temporary(&config)
            .await
            .expect("services");
        let engine = services.build_engine(&config).expect("engine");
        let registry = Registry::new(
            engine,
            services.storage.channels.clone(),
            services.guard.clone(),
            services.clock.clone(),
        );
        for spec in &config.channels {
            registry.start(spec).expect("start");
        }
        assert_eq!(status(&registry, "/chat-a/").await, StatusCode::OK);
        assert_eq!(status(&registry, "/chat-b/").await, StatusCode::OK);
        assert_eq!(
            status(&registry, "/chat-b").await,
            StatusCode::PERMANENT_REDIRECT
        );

        assert!(registry.stop(&ChannelId::new("b")).await);
        assert_eq!(status(&registry, "/chat-b/").await, StatusCode::NOT_FOUND);
        assert_eq!(status(&registry, "/chat-a/").await, StatusCode::OK);
        assert_eq!(registry.health().len(), 1);
        assert!(
            !registry.stop(&ChannelId::new("b")).await,
            "already stopped"
        );

        let b = config
            .channels
            .iter()
            .find(|s| s.name.as_str() == "b")
            .expect("b");
        registry.start(b).expect("start again");
        assert_eq!(status(&registry, "/chat-b/").await, StatusCode::OK);
        assert!(registry.start(b).is_err(), "two of one name");
        registry.stop_all().await;
        assert!(registry.is_empty());
    }
}
