//! The contract harness for the web chat: a WebSocket client.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::{Button, Channel, Reply, PATIENCE, QUIET};
use crate::support::{connect, send, Server, Ws};

pub struct WebChatUser {
    _dir: tempfile::TempDir,
    data: PathBuf,
    _server: Server,
    ws: Ws,
    chat: String,
}

impl WebChatUser {
    async fn replies(&mut self) -> Vec<Reply> {
        let mut out = Vec::new();
        let mut wait = PATIENCE;
        while let Some(frame) = self.frame(wait).await {
            if frame["type"] == "reply" {
                out.push(reply(&frame));
                wait = QUIET;
            }
        }
        out
    }

    async fn frame(&mut self, wait: Duration) -> Option<Value> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let msg = tokio::time::timeout(wait, self.ws.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(t) = msg {
                return serde_json::from_str(&t).ok();
            }
        }
    }
}

fn reply(frame: &Value) -> Reply {
    let mut buttons: Vec<Button> = frame["suggestions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Button {
            label: s["label"].as_str().unwrap_or_default().to_string(),
            action: format!("topic:{}", s["topic"].as_str().unwrap_or_default()),
        })
        .collect();
    if let Some(id) = frame["feedback"].as_str() {
        buttons.push(Button {
            label: "👍".into(),
            action: format!("up:{id}"),
        });
        buttons.push(Button {
            label: "👎".into(),
            action: format!("down:{id}"),
        });
    }
    Reply {
        text: frame["text"].as_str().unwrap_or_default().to_string(),
        buttons,
    }
}

impl Channel for WebChatUser {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        // Trace logging on: the WebSocket library must still log nothing of what users type.
        let server = Server::start(&data, &[("KANAVA_LOG", "trace")]);
        let ws = connect(&server.ws_url()).await;
        WebChatUser {
            _dir: dir,
            data,
            _server: server,
            ws,
            chat: String::new(),
        }
    }

    async fn open(&mut self, lang: &str) -> Vec<Reply> {
        send(&mut self.ws, json!({"type": "hello", "lang": lang})).await;
        let ready = self.frame(PATIENCE).await.expect("ready frame");
        self.chat = ready["chat"].as_str().expect("chat token").to_string();
        self.replies().await
    }

    async fn say(&mut self, text: &str) -> Vec<Reply> {
        send(&mut self.ws, json!({"type": "message", "text": text})).await;
        self.replies().await
    }

    async fn press(&mut self, button: &Button) -> Vec<Reply> {
        let frame = match button.action.split_once(':') {
            Some(("topic", id)) => json!({"type": "topic", "id": id}),
            Some(("up", id)) => json!({"type": "feedback", "reply": id, "helpful": true}),
            Some(("down", id)) => json!({"type": "feedback", "reply": id, "helpful": false}),
            _ => panic!("unknown button {button:?}"),
        };
        send(&mut self.ws, frame).await;
        self.replies().await
    }

    async fn say_expecting_silence(&mut self, text: &str) {
        send(&mut self.ws, json!({"type": "message", "text": text})).await;
        let frame = self.frame(Duration::from_millis(1500)).await;
        assert!(frame.is_none(), "expected silence, got {frame:?}");
    }

    async fn wait(&mut self) -> Vec<Reply> {
        self.replies().await
    }

    fn channel(&self) -> &str {
        "webchat"
    }

    fn user(&self) -> String {
        self.chat.clone()
    }

    fn data(&self) -> &Path {
        &self.data
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("stderr.log")).unwrap_or_default()
    }
}
