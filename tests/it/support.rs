//! Shared test helpers: a real `kanava serve` process on a free port with a temporary data dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

pub fn kanava_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kanava"))
}

/// Runs `kanava ARGS --data DATA`.
pub fn kanava_data(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(kanava_bin())
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run kanava")
}

/// Runs `kanava ARGS --data DATA`, which must succeed; returns its stdout.
pub fn kanava_data_ok(args: &[&str], data: &Path) -> String {
    let out = kanava_data(args, data);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running `kanava serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(data: &Path, extra_env: &[(&str, &str)]) -> Server {
        Self::start_on(data, "127.0.0.1:0", extra_env)
    }

    /// Starts on a given listen address (webhook tests must know the port in advance).
    pub fn start_on(data: &Path, listen: &str, extra_env: &[(&str, &str)]) -> Server {
        Self::start_full(data, listen, &repo().join("knowledge"), extra_env)
    }

    /// With a knowledge directory of the test's own.
    pub fn start_with_knowledge(
        data: &Path,
        knowledge: &Path,
        extra_env: &[(&str, &str)],
    ) -> Server {
        Self::start_full(data, "127.0.0.1:0", knowledge, extra_env)
    }

    fn start_full(
        data: &Path,
        listen: &str,
        knowledge: &Path,
        extra_env: &[(&str, &str)],
    ) -> Server {
        let stderr = data.with_extension("stderr.log");
        let err_file = std::fs::File::create(&stderr).expect("stderr log");
        let mut cmd = Command::new(kanava_bin());
        cmd.args(["serve", "--listen", listen, "--data"])
            .arg(data)
            .arg("--knowledge")
            .arg(knowledge)
            .env("KANAVA_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(err_file);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn kanava serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let addr = line
            .trim()
            .strip_prefix("kanava listening on http://")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line {line:?}; stderr: {:?}",
                    std::fs::read_to_string(&stderr)
                )
            })
            .to_string();
        Server { child, addr }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::forget(self);
    }

    pub fn stop(mut self) -> std::process::ExitStatus {
        // SIGTERM for a graceful shutdown.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("wait");
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(url: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connect");
    ws
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON frame (fails the test after 10 s).
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Opens a chat: hello, ready, welcome. Returns the chat token.
pub async fn hello(ws: &mut Ws, lang: &str) -> String {
    send(ws, serde_json::json!({"type": "hello", "lang": lang})).await;
    let ready = next(ws).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    let welcome = next(ws).await;
    assert_eq!(welcome["kind"], "welcome", "{welcome}");
    ready["chat"].as_str().expect("chat token").to_string()
}

pub async fn ask(ws: &mut Ws, text: &str) -> Value {
    send(ws, serde_json::json!({"type": "message", "text": text})).await;
    next(ws).await
}

/// An engine over the shipped knowledge with kanava's redactor and classifier.
pub fn engine(
    store: std::sync::Arc<dyn kanava::storage::ConversationStore>,
    guard: std::sync::Arc<dyn kanava::guard::Guard>,
    clock: std::sync::Arc<kanava::clock::ManualClock>,
) -> kanava::engine::Engine {
    kanava::engine::Engine::new(
        kanava::engine::Parts {
            knowledge: std::sync::Arc::new(crate::retrieval::kb()),
            store,
            guard,
            redactor: std::sync::Arc::new(kanava::redact::PiiRedactor),
            classifier: std::sync::Arc::new(kanava::policy::RuleClassifier),
            clock,
            metrics: kanava::metrics::Metrics::new(),
        },
        kanava::engine::EngineConfig::default(),
    )
}

/// A free loopback port, for peers whose address must be known before they start.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Three advertisements: the third strike within 24 h blocks the sender.
pub const ADVERTISEMENTS: [&str; 3] = [
    "Buy cheap residence permits, guaranteed! Visit www.example.com",
    "Fast loans without credit check, DM me on telegram",
    "Invest in bitcoin now and earn 500% profit",
];
