//! The contract harness for the Bot Framework channel: a Direct Line client of
//! offline-directline, which forwards to kanava's `/api/messages` without authentication.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{Button, Channel, Reply, PATIENCE, QUIET};
use crate::peers::{start_node, NodePeer};
use crate::support::{free_port, Server};

pub struct DirectLineUser {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub _server: Option<Server>,
    pub directline: NodePeer,
    pub http: reqwest::Client,
    pub conversation: String,
    pub user: String,
    pub locale: String,
    pub watermark: u64,
}

/// Markdown as a reader sees it: links as their text, escapes removed.
pub fn visible_markdown(md: &str) -> String {
    let mut out = String::new();
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' => {
                let mut text = String::new();
                for t in chars.by_ref() {
                    if t == ']' {
                        break;
                    }
                    text.push(t);
                }
                if chars.peek() == Some(&'(') {
                    for t in chars.by_ref() {
                        if t == ')' {
                            break;
                        }
                    }
                }
                out.push_str(&text);
            }
            c => out.push(c),
        }
    }
    out
}

impl DirectLineUser {
    pub async fn post_activity(&self, activity: Value) -> reqwest::StatusCode {
        self.http
            .post(format!(
                "{}/directline/conversations/{}/activities",
                self.directline.url, self.conversation
            ))
            .json(&activity)
            .send()
            .await
            .expect("emulator reachable")
            .status()
    }

    /// The bot's activities since the last call.
    pub async fn bot_activities(&mut self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!(
                "{}/directline/conversations/{}/activities?watermark={}",
                self.directline.url, self.conversation, self.watermark
            ))
            .send()
            .await
            .expect("emulator reachable")
            .json()
            .await
            .expect("JSON");
        self.watermark = v["watermark"].as_u64().unwrap_or(self.watermark);
        v["activities"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["from"]["id"] != self.user.as_str())
            .collect()
    }

    pub async fn collect(&mut self, first: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        let mut deadline = Instant::now() + first;
        while Instant::now() < deadline {
            let new = self.bot_activities().await;
            if !new.is_empty() {
                out.extend(new);
                deadline = Instant::now() + QUIET;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out
    }

    async fn send_and_collect(&mut self, activity: Value) -> Vec<Reply> {
        let status = self.post_activity(activity).await;
        assert!(status.is_success(), "kanava answered {status}");
        self.collect(PATIENCE).await.iter().map(reply).collect()
    }

    fn message(&self, text: &str) -> Value {
        json!({"type": "message", "from": {"id": self.user, "name": "Testi"}, "text": text, "locale": self.locale})
    }
}

pub fn reply(a: &Value) -> Reply {
    let buttons = a["suggestedActions"]["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| Button {
            label: b["title"].as_str().unwrap_or_default().to_string(),
            action: b["value"].to_string(),
        })
        .collect();
    Reply {
        text: visible_markdown(a["text"].as_str().unwrap_or_default()),
        buttons,
    }
}

impl DirectLineUser {
    /// kanava on a fixed port with the Bot Framework channel in `auth = "none"` mode, and an
    /// emulator forwarding to it.
    pub async fn start_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let port = free_port();
        let directline = start_node(
            "directline.js",
            &["0", &format!("http://127.0.0.1:{port}/api/messages")],
        );
        let allow = format!("[\"{}\"]", directline.url);
        let mut env = vec![
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_AUTH", "none"),
            ("KANAVA_BOTFRAMEWORK_SERVICE_URLS", allow.as_str()),
            ("KANAVA_LOG", "trace"),
        ];
        env.extend_from_slice(extra);
        let server = Server::start_on(&data, &format!("127.0.0.1:{port}"), &env);
        let http = reqwest::Client::new();
        let created: Value = http
            .post(format!("{}/directline/conversations", directline.url))
            .send()
            .await
            .expect("emulator reachable")
            .json()
            .await
            .expect("JSON");
        let conversation = created["conversationId"]
            .as_str()
            .expect("conversation id")
            .to_string();
        DirectLineUser {
            _dir: dir,
            data,
            _server: Some(server),
            directline,
            http,
            conversation,
            user: format!("user-{:08x}", rand::random::<u32>()),
            locale: "fi-FI".into(),
            watermark: 0,
        }
    }
}

impl Channel for DirectLineUser {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    async fn open(&mut self, lang: &str) -> Vec<Reply> {
        self.locale = format!("{lang}-FI");
        let join = json!({"type": "event", "name": "webchat/join", "from": {"id": self.user},
            "locale": self.locale, "value": ""});
        self.send_and_collect(join).await
    }

    async fn say(&mut self, text: &str) -> Vec<Reply> {
        self.send_and_collect(self.message(text)).await
    }

    async fn press(&mut self, button: &Button) -> Vec<Reply> {
        let value: Value = serde_json::from_str(&button.action).expect("button value");
        let a = json!({"type": "message", "from": {"id": self.user}, "text": "",
            "value": value, "locale": self.locale});
        self.send_and_collect(a).await
    }

    async fn say_expecting_silence(&mut self, text: &str) {
        let status = self.post_activity(self.message(text)).await;
        assert!(status.is_success(), "kanava answered {status}");
        let got = self.collect(Duration::from_millis(1500)).await;
        assert!(got.is_empty(), "expected silence, got {got:?}");
    }

    async fn wait(&mut self) -> Vec<Reply> {
        self.collect(PATIENCE).await.iter().map(reply).collect()
    }

    fn channel(&self) -> &str {
        "botframework"
    }

    fn user(&self) -> String {
        // offline-directline names its activities' channel `emulator`.
        format!("emulator:{}", self.user)
    }

    fn data(&self) -> &Path {
        &self.data
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("stderr.log")).unwrap_or_default()
    }
}
