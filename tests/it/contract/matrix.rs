//! The contract harness for Matrix: a second matrix-sdk client, as a user, in an encrypted
//! direct room with kanava's bot on a real Synapse.

use std::path::{Path, PathBuf};
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, UserId};
use matrix_sdk::{Client, Room};
use tokio::sync::mpsc;

use super::{Button, Channel, Reply, PATIENCE, QUIET};
use crate::peers::Synapse;
use crate::support::Server;

/// A bot message as the user's client decrypted it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub room: OwnedRoomId,
    pub event: OwnedEventId,
    pub body: String,
    pub notice: bool,
    pub html: Option<String>,
}

impl Seen {
    /// Whether the bot followed the Matrix convention for bots: `m.notice` with HTML.
    pub fn is_formatted_notice(&self) -> bool {
        self.notice && self.html.is_some()
    }
}

/// A logged-in user client with a running sync loop that reports the bot's messages.
pub struct UserClient {
    pub client: Client,
    pub rx: mpsc::UnboundedReceiver<Seen>,
    _dir: tempfile::TempDir,
    _sync: tokio::task::JoinHandle<()>,
}

impl UserClient {
    pub async fn login(synapse: &Synapse, name: &str, bot: &str) -> UserClient {
        synapse.register(name, &format!("{name}-pw"), false);
        let dir = tempfile::tempdir().expect("tempdir");
        let client = Client::builder()
            .homeserver_url(&synapse.url)
            .sqlite_store(dir.path(), None)
            .build()
            .await
            .expect("client");
        client
            .matrix_auth()
            .login_username(name, &format!("{name}-pw"))
            .send()
            .await
            .expect("user login");
        client
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let (tx, rx) = mpsc::unbounded_channel();
        let bot = UserId::parse(bot).expect("bot id");
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let tx = tx.clone();
            let bot = bot.clone();
            async move {
                if ev.sender != bot {
                    return;
                }
                let (body, notice, html) = match &ev.content.msgtype {
                    MessageType::Notice(n) => (
                        n.body.clone(),
                        true,
                        n.formatted.as_ref().map(|f| f.body.clone()),
                    ),
                    MessageType::Text(t) => (t.body.clone(), false, None),
                    _ => return,
                };
                let _ = tx.send(Seen {
                    room: room.room_id().to_owned(),
                    event: ev.event_id.clone(),
                    body,
                    notice,
                    html,
                });
            }
        });
        let c = client.clone();
        let sync = tokio::spawn(async move {
            loop {
                // Keeps syncing through homeserver restarts.
                let _ = c
                    .sync(SyncSettings::default().timeout(Duration::from_secs(5)))
                    .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        UserClient {
            client,
            rx,
            _dir: dir,
            _sync: sync,
        }
    }

    /// The bot's messages in `room`: waits `first` for one, then until the bot is quiet.
    pub async fn collect(&mut self, room: &OwnedRoomId, first: Duration) -> Vec<Seen> {
        let mut out = Vec::new();
        let mut wait = first;
        while let Ok(Some(seen)) = tokio::time::timeout(wait, self.rx.recv()).await {
            if &seen.room == room {
                out.push(seen);
                wait = QUIET;
            }
        }
        out
    }
}

/// The environment that runs kanava's Matrix channel as `bot` on `synapse`.
pub fn env(synapse: &Synapse, bot: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KANAVA_MATRIX_ENABLED", "true".into()),
        ("KANAVA_MATRIX_HOMESERVER", synapse.url.clone()),
        ("KANAVA_MATRIX_USER_ID", bot.into()),
        ("KANAVA_MATRIX_PASSWORD", password.into()),
        // The most verbose log, so the privacy checks see everything matrix-sdk says.
        ("KANAVA_LOG", "trace".into()),
    ]
}

pub struct MatrixUser {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub server: Option<Server>,
    pub bot: String,
    pub bot_password: String,
    pub user: UserClient,
    pub room: Option<Room>,
}

pub fn reply(seen: &Seen) -> Reply {
    let mut buttons: Vec<Button> = kanava_matrix::render::suggestions_in(&seen.body)
        .into_iter()
        .map(|label| Button {
            action: format!("say:{label}"),
            label,
        })
        .collect();
    for key in ["👍", "👎"] {
        buttons.push(Button {
            label: key.into(),
            action: format!("react:{key}:{}", seen.event),
        });
    }
    Reply {
        text: seen.body.clone(),
        buttons,
    }
}

impl MatrixUser {
    pub async fn start_on(synapse: &Synapse) -> Self {
        let suffix = format!("{:08x}", rand::random::<u32>());
        let bot_name = format!("kanava{suffix}");
        let bot = format!("@{bot_name}:localhost");
        let bot_password = format!("bot-secret-{suffix}");
        synapse.register(&bot_name, &bot_password, false);
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let e = env(synapse, &bot, &bot_password);
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = Server::start(&data, &e);
        let user = UserClient::login(synapse, &format!("user{suffix}"), &bot).await;
        MatrixUser {
            _dir: dir,
            data,
            server: Some(server),
            bot,
            bot_password,
            user,
            room: None,
        }
    }

    /// The end of kanava's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.data.with_extension("stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("kanava")).collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    pub fn room(&self) -> &Room {
        self.room.as_ref().expect("open() first")
    }

    pub async fn send(&self, text: &str) {
        self.room()
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
    }

    pub async fn seen(&mut self, first: Duration) -> Vec<Seen> {
        let id = self.room().room_id().to_owned();
        self.user.collect(&id, first).await
    }

    /// Opens a direct room (encrypted unless `plain`) and waits for the bot's greeting.
    pub async fn open_room(&mut self, plain: bool) -> Vec<Seen> {
        let bot = UserId::parse(&self.bot).expect("bot id");
        let room = if plain {
            use matrix_sdk::ruma::api::client::room::create_room::v3::{Request, RoomPreset};
            let mut req = Request::new();
            req.invite = vec![bot];
            req.is_direct = true;
            req.preset = Some(RoomPreset::PrivateChat);
            self.user
                .client
                .create_room(req)
                .await
                .expect("create room")
        } else {
            self.user.client.create_dm(&bot).await.expect("create dm")
        };
        self.room = Some(room);
        self.seen(Duration::from_secs(30)).await
    }
}

impl Channel for MatrixUser {
    async fn start() -> Self {
        Self::start_on(crate::peers::synapse()).await
    }

    async fn open(&mut self, _lang: &str) -> Vec<Reply> {
        // Matrix tells no app language: the greeting on joining is in the default language.
        let greeting = self.open_room(false).await;
        assert_eq!(greeting.len(), 1, "one greeting on join: {greeting:?}");
        greeting.iter().map(reply).collect()
    }

    fn tells_language(&self) -> bool {
        false
    }

    async fn say(&mut self, text: &str) -> Vec<Reply> {
        self.send(text).await;
        self.seen(PATIENCE).await.iter().map(reply).collect()
    }

    async fn press(&mut self, button: &Button) -> Vec<Reply> {
        if let Some(label) = button.action.strip_prefix("say:") {
            return self.say(label).await;
        }
        let rest = button.action.strip_prefix("react:").expect("button action");
        let (key, event) = rest.split_once(':').expect("key and event");
        let event = OwnedEventId::try_from(event).expect("event id");
        self.room()
            .send(ReactionEventContent::new(Annotation::new(
                event,
                key.into(),
            )))
            .await
            .expect("react");
        self.seen(PATIENCE).await.iter().map(reply).collect()
    }

    async fn say_expecting_silence(&mut self, text: &str) {
        self.send(text).await;
        let got = self.seen(Duration::from_millis(2500)).await;
        assert!(got.is_empty(), "expected silence, got {got:?}");
    }

    async fn wait(&mut self) -> Vec<Reply> {
        self.seen(PATIENCE).await.iter().map(reply).collect()
    }

    fn channel(&self) -> &str {
        "matrix"
    }

    fn user(&self) -> String {
        self.user
            .client
            .user_id()
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    fn data(&self) -> &Path {
        &self.data
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("stderr.log")).unwrap_or_default()
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.bot_password.clone()]
    }
}
