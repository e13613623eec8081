//! One browser connection.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use governor::{Quota, RateLimiter};
use kanava_adapter::{ChatId, Event, Inbound, ReplyId, UserIdentity};
use rand::Rng;
use tracing::debug;

use crate::protocol::{ClientFrame, HistoryMessage, ServerFrame};

/// Messages replayed when a chat is resumed.
const HISTORY_LIMIT: usize = 100;
use crate::Inner;

/// Consecutive refused frames after which a flooding connection is closed.
const FLOOD_CLOSE_AFTER: u32 = 20;

/// How long a closing connection waits for the client's Close reply.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> bool {
    match serde_json::to_string(frame) {
        Ok(json) => socket.send(Message::Text(json.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn error(socket: &mut WebSocket, code: &'static str, message: impl Into<String>) -> bool {
    send(
        socket,
        &ServerFrame::Error {
            code,
            message: message.into(),
        },
    )
    .await
}

/// Closes the connection with `code`, finishing the closing handshake.
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    // Drop what the client had already sent until its Close arrives: closing the TCP connection
    // with unread data in it makes the kernel reset it, and the client would then lose the error
    // frames and the Close sent before.
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(m) = socket.recv().await {
            if matches!(m, Ok(Message::Close(_))) {
                break;
            }
        }
    })
    .await;
}

fn valid_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) async fn serve(
    inner: Arc<Inner>,
    mut socket: WebSocket,
    client: Option<kanava_adapter::ClientAddress>,
) {
    let rate = NonZeroU32::new(inner.config.messages_per_second).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN));
    let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
    let mut chat: Option<String> = None;
    let mut lang_hint = None;
    let mut refused_in_a_row = 0u32;
    // Set once the chat is known: messages pushed to it wake this connection.
    let mut pushed: Option<crate::push::Registration> = None;

    loop {
        let msg = tokio::select! {
            m = socket.recv() => m,
            () = woken(pushed.as_ref()) => {
                if let Some(chat) = &chat {
                    if !flush(&inner, &mut socket, chat).await {
                        return;
                    }
                }
                continue;
            }
        };
        let Some(msg) = msg else { return };
        let text = match msg {
            Ok(Message::Text(t)) => t,
            Ok(Message::Binary(_)) => {
                if !error(
                    &mut socket,
                    "binary",
                    "binary frames are not supported; send JSON text frames",
                )
                .await
                {
                    return;
                }
                continue;
            }
            Ok(Message::Close(_)) => return,
            Err(e) => {
                // RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection with 1007,
                // so the client learns why instead of seeing the socket vanish.
                let utf8 = e
                    .into_inner()
                    .downcast_ref::<tokio_tungstenite::tungstenite::Error>()
                    .is_some_and(|e| matches!(e, tokio_tungstenite::tungstenite::Error::Utf8(_)));
                if utf8 {
                    close(&mut socket, 1007, "text frames must be UTF-8").await;
                }
                return;
            }
            Ok(_) => continue,
        };
        if limiter.check().is_err() {
            refused_in_a_row += 1;
            if refused_in_a_row >= FLOOD_CLOSE_AFTER {
                close(&mut socket, 1008, "too many messages").await;
                return;
            }
            if !error(
                &mut socket,
                "rate_limited",
                "too many messages; wait a moment",
            )
            .await
            {
                return;
            }
            continue;
        }
        refused_in_a_row = 0;
        let frame: ClientFrame = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                // serde's message names the field or position, never echoes the payload.
                if !error(&mut socket, "malformed", format!("not a valid frame: {e}")).await {
                    return;
                }
                continue;
            }
        };
        let event = match frame {
            ClientFrame::Hello { chat: resume, lang } => {
                if chat.is_some() {
                    continue;
                }
                lang_hint = lang;
                let (token, fresh) = match resume.filter(|t| valid_token(t)) {
                    Some(t) => (t, false),
                    None => (hex::encode(rand::rng().random::<[u8; 16]>()), true),
                };
                chat = Some(token.clone());
                pushed = Some(inner.pushes.register(&token));
                if !send(
                    &mut socket,
                    &ServerFrame::Ready {
                        chat: token.clone(),
                    },
                )
                .await
                {
                    return;
                }
                if !fresh {
                    // A reload: draw the conversation again, as stored.
                    let identity = UserIdentity::new(inner.channel.clone(), token.clone());
                    let messages: Vec<HistoryMessage> = inner
                        .conversation
                        .history(&identity, &ChatId::new(token.clone()), HISTORY_LIMIT)
                        .await
                        .into_iter()
                        .map(|h| HistoryMessage {
                            role: if h.from_user { "user" } else { "bot" },
                            lang: h.lang,
                            text: h.text,
                        })
                        .collect();
                    if !messages.is_empty()
                        && !send(&mut socket, &ServerFrame::History { messages }).await
                    {
                        return;
                    }
                    // What was sent to the chat while no browser held it.
                    if !flush(&inner, &mut socket, &token).await {
                        return;
                    }
                    continue;
                }
                Event::Start
            }
            ClientFrame::Message { text } => {
                if text.trim().is_empty() {
                    if !error(&mut socket, "empty", "the message is empty").await {
                        return;
                    }
                    continue;
                }
                if text.len() > inner.config.max_message_bytes {
                    let limit = inner.config.max_message_bytes;
                    if !error(
                        &mut socket,
                        "too_large",
                        format!("the message is over {limit} bytes"),
                    )
                    .await
                    {
                        return;
                    }
                    continue;
                }
                Event::Text(text)
            }
            ClientFrame::Language { lang } => Event::SetLanguage(lang),
            ClientFrame::Topic { id } => Event::ChooseTopic(id),
            ClientFrame::Feedback { reply, helpful } => Event::Feedback {
                reply: ReplyId(reply),
                helpful,
            },
        };
        let token = match &chat {
            Some(t) => t.clone(),
            None => {
                // A client that skipped `hello` gets a fresh chat implicitly.
                let t = hex::encode(rand::rng().random::<[u8; 16]>());
                if !send(&mut socket, &ServerFrame::Ready { chat: t.clone() }).await {
                    return;
                }
                chat = Some(t.clone());
                pushed = Some(inner.pushes.register(&t));
                t
            }
        };
        let inbound = Inbound {
            identity: UserIdentity::new(inner.channel.clone(), token.clone())
                .with_display_language(lang_hint),
            chat: ChatId::new(token),
            event,
            client,
        };
        for out in inner.conversation.handle(inbound).await {
            if !send(&mut socket, &ServerFrame::from(out)).await {
                debug!("web chat client went away");
                return;
            }
        }
    }
}

/// Resolves when a message was pushed to this connection's chat (never before the chat is known).
async fn woken(pushed: Option<&crate::push::Registration>) {
    match pushed {
        Some(r) => r.wake.notified().await,
        None => std::future::pending().await,
    }
}

/// Sends the chat's waiting pushed messages; `false` when the socket is gone.
async fn flush(inner: &Inner, socket: &mut WebSocket, chat: &str) -> bool {
    match inner.pushes.flush(chat, socket).await {
        Ok(open) => open,
        Err(e) => {
            // Kept for the next wake or reconnect.
            tracing::warn!(channel = %inner.channel, error = %e, "pushed messages not delivered yet");
            true
        }
    }
}
