//! The webhook route: Telegram posts updates here with the shared secret in a header.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use subtle::ConstantTimeEq;
use teloxide::types::Update;
use tracing::warn;

use crate::{Inner, Mode};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Telegram updates are a few kilobytes; anything near this is not one.
const MAX_BODY: usize = 1 << 20;

pub(crate) fn routes(inner: Arc<Inner>) -> Router {
    // The path of the public URL this instance registered: two bots, two paths.
    let path = match &inner.config.mode {
        Mode::Webhook { public_url, .. } => public_url.path().to_string(),
        Mode::Polling => "/telegram/webhook".to_string(),
    };
    Router::new()
        .route(&path, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inner)
}

fn authentic(inner: &Inner, headers: &HeaderMap) -> bool {
    let Mode::Webhook { secret, .. } = &inner.config.mode else {
        return false;
    };
    let Some(given) = headers.get(SECRET_HEADER) else {
        return false;
    };
    // Constant time, so the secret cannot be guessed byte by byte from response times.
    given.as_bytes().ct_eq(secret.as_bytes()).into()
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authentic(&inner, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // The position and category only: serde's message may quote the user's text.
            let why = format!(
                "malformed update: {:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            );
            warn!(channel = %inner.channel, reason = %why, "a webhook update was refused");
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    match inner.prepare(&update).await {
        Ok(Some((claim, entry))) => {
            // Telegram only needs to know the update is safe; delivery goes on without it.
            let inner = inner.clone();
            tokio::spawn(async move {
                if let Err(e) = inner.deliver(claim, entry).await {
                    warn!(channel = %inner.channel, error = %e, "delivery progress not recorded");
                }
            });
            StatusCode::OK.into_response()
        }
        Ok(None) => StatusCode::OK.into_response(),
        // Telegram retries non-2xx answers: nothing is lost.
        Err(e) => {
            warn!(channel = %inner.channel, error = %e, "webhook update not accepted");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
