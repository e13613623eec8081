//! The running service: one HTTP server with `/healthz`, `/metrics` and every adapter's routes,
//! the adapters' tasks, the control socket, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use kanava_adapter::{ChannelState, Conversation, Shutdown};
use serde_json::json;
use tower::ServiceExt;
use tracing::{error, info};

mod jobs;
mod registry;
mod reload;

pub use registry::Registry;
pub use reload::KnowledgeHealth;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::engine::Engine;
use crate::services::Services;
use jobs::{Job, Jobs};

pub use crate::services::StartError;

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    channels: Arc<Registry>,
    knowledge: reload::SharedHealth,
}

/// The HTTP router: health, metrics, and whatever the running channel instances serve (looked
/// up per request, so an instance started or stopped later is reached or gone at once).
fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(channel_routes)
        .with_state(state)
}

async fn channel_routes(State(s): State<AppState>, request: Request) -> axum::response::Response {
    match s.channels.routes().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    let channels = s.channels.health();
    let knowledge = s
        .knowledge
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let failed = channels
        .iter()
        .any(|h| matches!(h.state, ChannelState::Failed(_) | ChannelState::Degraded(_)));
    let status = if failed || !knowledge.ok() {
        "degraded"
    } else {
        "ok"
    };
    Json(json!({ "status": status, "channels": channels, "knowledge": knowledge }))
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.engine.metrics().render(),
    )
}

/// Runs kanava until `shutdown` fires: opens the store, loads knowledge, binds, serves.
/// `on_listening` receives the bound address (port 0 picks a free one).
pub async fn run(
    config: Config,
    mut shutdown: Shutdown,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), StartError> {
    let mut services = Services::open(&config).await?;
    let engine = services.build_engine(&config)?;
    services.engine = Some(engine.clone());
    let conversation: Arc<dyn Conversation> = engine.clone();
    let channels = Arc::new(Registry::new(
        conversation,
        services.storage.channels.clone(),
        services.guard.clone(),
        services.clock.clone(),
    ));
    services.channels = Some(channels.clone());
    let services = Arc::new(services);
    let mut jobs = Jobs::default();
    jobs.every(
        Duration::from_secs(60),
        Duration::from_micros(config.purge_interval),
        Purge(services.clone()),
    );
    // The guard's per-user state (rate-limiter keys, dropped-message counts, identifier
    // histories, strikes) is trimmed every minute, not only on that user's next event, so idle
    // users cost no memory.
    jobs.every(
        Duration::from_secs(60),
        Duration::from_secs(60),
        Evict(services.guard.clone()),
    );
    let control = crate::control::listen(&config.data_dir, services.clone())
        .await
        .map_err(|source| StartError::Io {
            what: "cannot open the control socket".into(),
            source,
        })?;
    for spec in &config.channels {
        if let Err(e) = channels.start(spec) {
            channels.stop_all().await;
            return Err(e);
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Io {
            what: format!("cannot listen on {}", config.listen),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Io {
        what: "no local address".into(),
        source,
    })?;
    info!(%addr, channels = channels.len(), topics = engine.knowledge().topics().len(), "kanava is serving");
    on_listening(addr);
    let knowledge = Arc::new(std::sync::RwLock::new(KnowledgeHealth::Ok {
        topics: engine.knowledge().topics().len(),
    }));
    jobs.every(
        reload::EVERY,
        reload::EVERY,
        reload::Reload::new(
            config.knowledge_dir.clone(),
            engine.clone(),
            services.clone(),
            knowledge.clone(),
        ),
    );
    let app = router(AppState {
        engine,
        channels: channels.clone(),
        knowledge,
    });
    // The web chat limits per client address too, so it needs the peer's.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await })
    .await;
    channels.stop_all().await;
    control.abort();
    jobs.stop();
    // Everything acknowledged was flushed already; this makes the rest (queued moderation
    // writes, audit records) durable before exit.
    if let Err(e) = services.flush().await {
        error!(error = %e, "final flush failed");
    }
    let _ = std::fs::remove_file(crate::control::socket_path(&config.data_dir));
    served.map_err(|source| StartError::Io {
        what: "HTTP server failed".into(),
        source,
    })
}

/// The retention purge. On the blocking pool (the embedded backend works when called, and a
/// purge is long), so the workers that answer users stay free; batches pause briefly so live
/// messages go first.
struct Purge(Arc<Services>);

impl Job for Purge {
    fn name(&self) -> &'static str {
        "retention purge"
    }

    async fn run(&mut self) {
        let services = self.0.clone();
        let runtime = tokio::runtime::Handle::current();
        let run = tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                let stores = crate::retention::Stores {
                    conversations: services.storage.conversations.as_ref(),
                    moderation: services.storage.moderation.as_ref(),
                    audit: services.guard.audit_log(),
                };
                let now = services.clock.now();
                let pause = Duration::from_millis(2);
                crate::retention::purge(stores, &services.retention, now, false, "system", pause)
                    .await
            })
        })
        .await;
        match run {
            Ok(Ok(report)) => {
                let purged: u64 = report.classes.iter().map(|c| c.purged).sum();
                info!(purged, "retention purge done");
            }
            Ok(Err(e)) => error!(error = %e, "retention purge failed"),
            Err(e) => error!(error = %e, "retention purge panicked"),
        }
    }
}

/// Trims the guard's state of users who have gone quiet.
struct Evict(Arc<crate::guard::TermsGuard>);

impl Job for Evict {
    fn name(&self) -> &'static str {
        "guard eviction"
    }

    async fn run(&mut self) {
        use crate::clock::Clock;
        self.0.evict(SystemClock.now());
    }
}
