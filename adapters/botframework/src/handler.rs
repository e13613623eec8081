//! `POST /api/messages`: authenticate, parse, check the `serviceUrl`, hand the activity to the
//! engine, reply through the connector.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use kanava_adapter::{Event, Inbound, OutboundKind, ReplyId, StateError};
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::activity::{self, Activity, Meaning};
use crate::{connector, outbound, proactive, Inner};

/// Reaction lookups are kept this long.
const REACTION_DAYS: u64 = 30;
/// "Already welcomed" marks are kept as long as transcripts.
const WELCOME_DAYS: u64 = 730;

pub(crate) fn routes(inner: Arc<Inner>) -> Router {
    Router::new()
        .route(&inner.config.path, post(messages))
        .layer(DefaultBodyLimit::max(inner.config.max_body_bytes))
        .with_state(inner)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Serialize, Deserialize)]
struct Mark {
    at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

impl Inner {
    fn allowlisted(&self, url: &url::Url) -> bool {
        let u = url.as_str();
        self.config.service_urls.iter().any(|p| {
            let p = p.as_str().trim_end_matches('/');
            u.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

fn same_url(a: &str, b: &url::Url) -> bool {
    url::Url::parse(a)
        .is_ok_and(|a| a.as_str().trim_end_matches('/') == b.as_str().trim_end_matches('/'))
}

fn refuse(status: StatusCode) -> Response {
    // No detail: a caller probing the authentication learns nothing.
    status.into_response()
}

async fn messages(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = match &inner.verifier {
        None => None,
        Some(v) => {
            let h = headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok());
            match v.verify(h).await {
                Ok(ok) => Some(ok),
                Err(e) => {
                    debug!(channel = %inner.channel, reason = %e, "request not authenticated");
                    return refuse(StatusCode::UNAUTHORIZED);
                }
            }
        }
    };
    let activity: Activity = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            // Category and position only: serde's message may quote the user's text.
            let why = format!(
                "malformed activity: {:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            );
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    let Some(service) = activity
        .service_url
        .as_deref()
        .and_then(|s| url::Url::parse(s).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "activity has no valid serviceUrl (http or https)",
        )
            .into_response();
    };
    match &verified {
        Some(v) => {
            // The token must vouch for exactly this connector, or a valid token for one
            // conversation could send kanava's replies anywhere.
            if !v
                .claims
                .serviceurl
                .as_deref()
                .is_some_and(|s| same_url(s, &service))
            {
                debug!(channel = %inner.channel, "token's serviceurl differs from the activity's");
                return refuse(StatusCode::UNAUTHORIZED);
            }
            if !v.endorses(activity.channel_id.as_deref()) {
                debug!(channel = %inner.channel, "signing key not endorsed for this activity's channelId");
                return refuse(StatusCode::UNAUTHORIZED);
            }
        }
        None if !inner.allowlisted(&service) => {
            return (
                StatusCode::FORBIDDEN,
                "serviceUrl is not in botframework.service_urls",
            )
                .into_response();
        }
        None => {}
    }
    // Every activity names its channel, and an identity needs it (see `activity::user_key`).
    if activity::platform_channel(&activity).is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "activity has no valid channelId (1 to 64 letters, digits, '-', '_' or '.')",
        )
            .into_response();
    }
    match handle(&inner, &activity, &service).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            warn!(channel = %inner.channel, error = %e, "activity not handled");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn handle(inner: &Inner, a: &Activity, service: &url::Url) -> Result<(), StateError> {
    let inbound = match activity::interpret(a, &inner.channel) {
        Meaning::Ignore => return Ok(()),
        Meaning::Engine(i) => i,
        Meaning::Welcome(i) => {
            let key = format!("w/{}", conversation_id(a));
            let mark = serde_json::to_vec(&Mark {
                at: now(),
                reply: None,
            })
            .map_err(|e| StateError(e.to_string()))?;
            let first = inner
                .state
                .with(move |s| {
                    if s.get(key.as_bytes())?.is_some() {
                        return Ok(false);
                    }
                    s.put(key.as_bytes(), &mark)?;
                    Ok(true)
                })
                .await?;
            if !first {
                return Ok(());
            }
            i
        }
        Meaning::Reaction {
            base,
            activity,
            helpful,
        } => {
            let key = format!("r/{activity}");
            let mark = inner.state.get(key).await?;
            let Some(reply) = mark
                .and_then(|m| serde_json::from_slice::<Mark>(&m).ok())
                .and_then(|m| m.reply)
            else {
                // A reaction to something kanava cannot rate (or a connector that gave no ids).
                return Ok(());
            };
            Inbound {
                event: Event::Feedback {
                    reply: ReplyId(reply),
                    helpful,
                },
                ..base
            }
        }
    };
    // Where to write to this chat later (an appeal decision, an advisor's answer).
    proactive::remember(inner, &inbound.chat, a, service, now()).await?;
    let group = activity::is_group(a);
    let replies = inner.conversation.handle(inbound).await;
    let url =
        connector::reply_url(service, &conversation_id(a), a.id.as_deref()).map_err(StateError)?;
    for out in replies
        .iter()
        // Terms-of-use notices concern one person: never post them where others read.
        .filter(|r| !(group && r.kind == OutboundKind::Notice))
    {
        match inner.connector.send(&url, &outbound::reply(a, out)).await {
            Ok(Some(id)) if out.feedback.is_some() => {
                let key = format!("r/{id}");
                let mark = serde_json::to_vec(&Mark {
                    at: now(),
                    reply: out.feedback.as_ref().map(|r| r.0.clone()),
                })
                .map_err(|e| StateError(e.to_string()))?;
                inner.state.put(key, mark).await?;
            }
            Ok(_) => {}
            // The question is stored; the user sees no answer and may ask again.
            Err(e) => warn!(channel = %inner.channel, error = %e, "reply not delivered"),
        }
    }
    Ok(())
}

fn conversation_id(a: &Activity) -> String {
    a.conversation
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

/// Forgets reaction lookups and welcome marks past their time.
pub(crate) async fn tidy(inner: &Inner) {
    let now = now();
    let result = inner
        .state
        .with(move |s| {
            let mut n = 0;
            for (prefix, days) in [
                (&b"r/"[..], REACTION_DAYS),
                (&b"w/"[..], WELCOME_DAYS),
                (&b"c/"[..], proactive::REFERENCE_DAYS),
            ] {
                for (k, v) in s.scan(prefix)? {
                    let old = serde_json::from_slice::<Mark>(&v)
                        .map_or(true, |m| m.at + days * 86_400 < now);
                    if old {
                        s.remove(&k)?;
                        n += 1;
                    }
                }
            }
            Ok(n)
        })
        .await;
    proactive::forget_cached(inner);
    if let Err(e) = result {
        warn!(channel = %inner.channel, error = %e, "could not tidy channel state");
    }
}
