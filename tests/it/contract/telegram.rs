//! The contract harness for Telegram: a user of the Bot API emulator.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{Button, Channel, Reply, PATIENCE, QUIET};
use crate::support::Server;

/// One user talking to one bot (its own token) on the shared emulator.
pub struct TelegramUser {
    pub _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub server: Option<Server>,
    pub api: String,
    pub token: String,
    pub user_id: i64,
    pub chat: Value,
    pub lang: String,
    pub http: reqwest::Client,
}

/// A fresh bot token the emulator accepts.
pub fn new_token() -> String {
    format!(
        "{}:kanava{:016x}",
        rand::random::<u32>(),
        rand::random::<u64>()
    )
}

/// The environment that points kanava's Telegram channel at the emulator.
pub fn env(api: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KANAVA_TELEGRAM_ENABLED", "true".into()),
        ("KANAVA_TELEGRAM_TOKEN", token.into()),
        ("KANAVA_TELEGRAM_API_URL", api.into()),
        ("KANAVA_TELEGRAM_POLL_TIMEOUT_SECONDS", "5".into()),
        // The most verbose log, so the privacy checks see everything the HTTP stack says.
        ("KANAVA_LOG", "trace".into()),
    ]
}

/// The visible text of a message sent in Telegram's HTML parse mode.
pub fn visible(html: &str) -> String {
    let mut s = String::new();
    let mut tag = false;
    for c in html.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => s.push(c),
            _ => {}
        }
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

impl TelegramUser {
    pub fn start_kanava(&mut self) {
        let env = env(&self.api, &self.token);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.server = Some(Server::start(&self.data, &env));
    }

    fn from(&self) -> Value {
        json!({"id": self.user_id, "is_bot": false, "first_name": "Testi", "language_code": self.lang})
    }

    /// Injects a user message without waiting for the answer.
    pub async fn send(&self, text: &str) {
        let body = json!({
            "botToken": self.token, "from": self.from(), "chat": self.chat,
            "date": chrono_now(), "text": text,
        });
        self.post("/sendMessage", body).await;
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.api))
            .json(&body)
            .send()
            .await
            .expect("emulator reachable");
        r.json().await.expect("emulator JSON")
    }

    /// The bot's messages to this chat not read yet, raw.
    pub async fn unread(&self) -> Vec<Value> {
        let v = self
            .post(
                "/getUpdates",
                json!({"token": self.token, "chatId": self.chat["id"]}),
            )
            .await;
        v["result"].as_array().cloned().unwrap_or_default()
    }

    /// Waits `first` for a message, then collects until the bot is quiet.
    pub async fn collect(&self, first: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        let mut deadline = Instant::now() + first;
        while Instant::now() < deadline {
            let new = self.unread().await;
            if !new.is_empty() {
                out.extend(new);
                deadline = Instant::now() + QUIET;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out
    }

    async fn replies(&self) -> Vec<Reply> {
        self.collect(PATIENCE).await.iter().map(reply).collect()
    }
}

fn chrono_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn reply(stored: &Value) -> Reply {
    let m = &stored["message"];
    let buttons = m["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| Button {
            label: b["text"].as_str().unwrap_or_default().to_string(),
            action: b["callback_data"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    Reply {
        text: visible(m["text"].as_str().unwrap_or_default()),
        buttons,
    }
}

impl Channel for TelegramUser {
    async fn start() -> Self {
        let api = crate::peers::telegram().to_string();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let user_id = i64::from(rand::random::<u32>() >> 1) + 1;
        let mut me = TelegramUser {
            _dir: dir,
            data,
            server: None,
            api,
            token: new_token(),
            user_id,
            chat: json!({"id": user_id, "type": "private", "first_name": "Testi"}),
            lang: "fi".into(),
            http: reqwest::Client::new(),
        };
        me.start_kanava();
        me
    }

    async fn open(&mut self, lang: &str) -> Vec<Reply> {
        self.lang = lang.to_string();
        self.say("/start").await
    }

    async fn say(&mut self, text: &str) -> Vec<Reply> {
        self.send(text).await;
        self.replies().await
    }

    async fn press(&mut self, button: &Button) -> Vec<Reply> {
        let body = json!({
            "botToken": self.token, "from": self.from(), "data": button.action,
            "message": {"message_id": 1, "date": chrono_now(), "chat": self.chat, "text": "…",
                "from": {"id": 666, "is_bot": true, "first_name": "Kanava"}},
        });
        self.post("/sendCallback", body).await;
        self.replies().await
    }

    async fn say_expecting_silence(&mut self, text: &str) {
        self.send(text).await;
        let got = self.collect(Duration::from_millis(2000)).await;
        assert!(got.is_empty(), "expected silence, got {got:?}");
    }

    async fn wait(&mut self) -> Vec<Reply> {
        self.replies().await
    }

    fn channel(&self) -> &str {
        "telegram"
    }

    fn user(&self) -> String {
        self.user_id.to_string()
    }

    fn data(&self) -> &Path {
        &self.data
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("stderr.log")).unwrap_or_default()
    }

    fn secrets(&self) -> Vec<String> {
        // The part after the colon is the secret; the bot id before it is public.
        self.token
            .split_once(':')
            .map(|(_, s)| vec![s.to_string()])
            .unwrap_or_default()
    }
}
