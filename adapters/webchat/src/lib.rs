//! kanava's built-in web chat: an accessible chat page at `/`, an embeddable widget script, and
//! a WebSocket carrying a small JSON protocol (documented in `PROTOCOL.md` beside this crate).

mod protocol;
mod push;
pub mod settings;
mod socket;

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::future::BoxFuture;
use kanava_adapter::{
    Adapter, AsyncState, Capabilities, ChannelId, ChannelState, ChannelStore, Conversation,
    DeliveryError, Health, HealthCell, Outbound, Recipient,
};

pub use protocol::{ClientFrame, ServerFrame};
pub use settings::WebChatSettings;

/// Web chat settings.
#[derive(Debug, Clone)]
pub struct WebChatConfig {
    /// Where the chat is mounted: `/` (the page at the site's root) or a prefix such as
    /// `/chat-sv`, so several web chat instances can share kanava's HTTP server.
    pub path: String,
    /// Origins besides kanava's own whose pages may open the WebSocket (the embed snippet).
    pub allowed_origins: Vec<String>,
    /// Largest accepted message text, in bytes.
    pub max_message_bytes: usize,
    /// Sustained messages per second per connection; bursts of five times that are allowed.
    pub messages_per_second: u32,
    /// Reverse proxies whose `X-Forwarded-For` is believed; from anyone else it is ignored (a
    /// client could name any address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The web chat adapter.
#[derive(Debug, Clone)]
pub struct WebChat {
    inner: Arc<Inner>,
}

struct Inner {
    channel: ChannelId,
    conversation: Arc<dyn Conversation>,
    config: WebChatConfig,
    health: HealthCell,
    /// Messages sent outside a reply, and the sockets they go to.
    pushes: Arc<push::Pushes>,
    /// When each refused origin was last logged (a refused site's every page view would
    /// otherwise fill the log).
    refused: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl Inner {
    /// Logs, at most every ten minutes per origin, that a site tried to embed the chat.
    fn warn_refused(&self, origin: &str) {
        let now = std::time::Instant::now();
        let mut seen = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 1000 {
            seen.clear();
        }
        let due = seen
            .get(origin)
            .is_none_or(|t| now.duration_since(*t) > std::time::Duration::from_secs(600));
        if due {
            seen.insert(origin.to_string(), now);
            tracing::warn!(channel = %self.channel, origin = %origin, "a page from an origin not in webchat.allowed_origins tried to embed the chat; add it there if it is yours");
        }
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebChat")
            .field("channel", &self.channel)
            .finish()
    }
}

impl WebChat {
    /// A web chat channel named `channel` talking to `conversation`, keeping messages that wait
    /// for a browser in `state`.
    pub fn new(
        channel: ChannelId,
        conversation: Arc<dyn Conversation>,
        state: Arc<dyn ChannelStore>,
        config: WebChatConfig,
    ) -> Self {
        let health = HealthCell::default();
        health.set(ChannelState::Running);
        Self {
            inner: Arc::new(Inner {
                channel,
                conversation,
                config,
                health,
                pushes: Arc::new(push::Pushes::new(AsyncState::new(state))),
                refused: std::sync::Mutex::default(),
            }),
        }
    }
}

impl Adapter for WebChat {
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

    fn routes(&self) -> Option<Router> {
        // Under the instance's prefix ("" for the site's root), so several web chats can share
        // kanava's HTTP server.
        let base = self.inner.config.path.trim_end_matches('/').to_string();
        let at = |p: &str| format!("{base}{p}");
        let mut chat = Router::new()
            .route(&at("/"), get(page))
            .route(&at("/embed/check"), get(embed_check))
            .route(
                &at("/chat.js"),
                get(|| {
                    asset(
                        "text/javascript; charset=utf-8",
                        include_str!("../assets/chat.js"),
                    )
                }),
            )
            .route(
                &at("/chat.css"),
                get(|| {
                    asset(
                        "text/css; charset=utf-8",
                        include_str!("../assets/chat.css"),
                    )
                }),
            )
            .route(
                &at("/embed.js"),
                get(|| {
                    asset(
                        "text/javascript; charset=utf-8",
                        include_str!("../assets/embed.js"),
                    )
                }),
            )
            .route(&at("/ws"), get(upgrade));
        if !base.is_empty() {
            // `/chat-sv` → `/chat-sv/`, so the page's relative links resolve inside the prefix.
            let slash = at("/");
            chat = chat.route(
                &base,
                get(move || {
                    let to = slash.clone();
                    async move { axum::response::Redirect::permanent(&to) }
                }),
            );
        }
        Some(chat.with_state(self.inner.clone()))
    }

    fn health(&self) -> Health {
        self.inner.health.report(&self.inner.channel)
    }

    fn deliver(
        &self,
        to: Recipient,
        messages: Vec<Outbound>,
    ) -> BoxFuture<'static, Result<(), DeliveryError>> {
        // A web chat is one person's: every kind may go to it.
        let pushes = self.inner.pushes.clone();
        Box::pin(async move {
            pushes
                .enqueue(to.chat.as_str(), messages)
                .await
                .map_err(|e| DeliveryError::State(e.to_string()))
        })
    }
}

async fn page(State(inner): State<Arc<Inner>>) -> Response {
    // Only kanava itself and the allowed origins may frame the page (the embed's iframe).
    let ancestors = std::iter::once("'self'")
        .chain(inner.config.allowed_origins.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let mut r = asset(
        "text/html; charset=utf-8",
        include_str!("../assets/index.html"),
    )
    .await;
    if let Ok(v) = header::HeaderValue::from_str(&format!("frame-ancestors {ancestors}")) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// `GET /embed/check`, fetched by embed.js from the host page: 204 when the page's origin may
/// embed the chat, 403 otherwise (with CORS headers either way, so the widget can tell the
/// visitor instead of retrying a socket that will never open).
async fn embed_check(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let allowed = origin_allowed(&headers, &inner.config.allowed_origins);
    let origin = origin_for_log(&headers).map(str::to_string);
    if !allowed {
        inner.warn_refused(origin.as_deref().unwrap_or("(unreadable)"));
    }
    let status = if allowed {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::FORBIDDEN
    };
    let mut r = status.into_response();
    if let Some(v) = origin.and_then(|o| header::HeaderValue::from_str(&o).ok()) {
        r.headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        r.headers_mut()
            .insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    r
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The request's `Origin`, if it is short, readable text (it is logged and echoed).
fn origin_for_log(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| o.len() <= 200)
}

/// Whether a browser page from `origin` may open the socket: kanava's own pages (same host) and
/// the configured origins. Non-browser clients send no Origin and are not a cross-site risk.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host);
    same || allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

/// The address of the client's own device: the peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not one of the trusted proxies.
fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

async fn upgrade(
    State(inner): State<Arc<Inner>>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let peer = connect.map(|axum::Extension(axum::extract::ConnectInfo(a))| a.ip());
    let client = client_address(peer, &headers, &inner.config.trusted_proxies)
        .map(kanava_adapter::ClientAddress);
    if !origin_allowed(&headers, &inner.config.allowed_origins) {
        inner.warn_refused(origin_for_log(&headers).unwrap_or("(unreadable)"));
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    // The frame limit is a hard stop well above the message limit, so a slightly long message
    // gets a friendly error frame while a huge one cannot exhaust memory.
    let hard = inner.config.max_message_bytes * 4 + 1024;
    ws.max_message_size(hard)
        .max_frame_size(hard)
        .on_upgrade(move |socket| socket::serve(inner, socket, client))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| {
            s.parse::<std::net::IpAddr>()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into())
        };
        let proxy = ip("10.0.0.1");
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "198.51.100.7, 203.0.113.9, 10.0.0.1"
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        // From the proxy: the last address before the proxies.
        assert_eq!(
            client_address(Some(proxy), &h, &[proxy]),
            Some(ip("203.0.113.9"))
        );
        // From anyone else: the header is the client's word, not believed.
        assert_eq!(
            client_address(Some(ip("192.0.2.5")), &h, &[proxy]),
            Some(ip("192.0.2.5"))
        );
        assert_eq!(client_address(None, &h, &[proxy]), None);
    }
}
