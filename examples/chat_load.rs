//! Throughput of the web chat: N concurrent conversations against the real `kanava serve`
//! (durable logging: every answer waits for its transcript's fsync), and the same client against
//! a bare WebSocket echo server in the same run — the transport's own limit on this machine.
//! Prints answered messages/s and reply p50/p99 for both, and their ratio.
//!
//! `cargo build --release && cargo run --release --example chat_load [CONVERSATIONS] [SECONDS]`
//!
//! The terms-of-use rate limits are raised to their configurable maxima for the run (environment
//! variables below; the address limit of 100,000 a minute allows a 10 s run): they are
//! policy — a person typing — not capacity, and at their defaults one loopback address would be
//! throttled after a hundred messages.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// General questions in the three languages, asked in turn.
const QUESTIONS: [&str; 6] = [
    "Enter Finland ei toimi, mitä teen?",
    "Kuinka kauan käsittely kestää?",
    "Vad gör jag om Enter Finland inte fungerar?",
    "Hur länge sparas chatten?",
    "What should I do when Enter Finland is down?",
    "How long are chat conversations kept?",
];

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone, Copy, PartialEq)]
enum Peer {
    Kanava,
    Echo,
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e3
}

async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => return Err(format!("unexpected frame {other:?}")),
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("socket closed".into()),
        }
    }
}

/// One conversation: open it, then ask until `until`, one question at a time.
async fn conversation(
    url: String,
    peer: Peer,
    n: usize,
    until: Instant,
) -> Result<Vec<Duration>, String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .map_err(|e| e.to_string())?;
    if peer == Peer::Kanava {
        let hello = serde_json::json!({"type": "hello", "lang": "fi"}).to_string();
        ws.send(Message::Text(hello.into()))
            .await
            .map_err(|e| e.to_string())?;
        next_text(&mut ws).await?; // ready
        next_text(&mut ws).await?; // welcome
    }
    let mut latencies = Vec::new();
    let mut i = n;
    while Instant::now() < until {
        let text = QUESTIONS[i % QUESTIONS.len()];
        i += 1;
        let frame = serde_json::json!({"type": "message", "text": text}).to_string();
        let t = Instant::now();
        ws.send(Message::Text(frame.into()))
            .await
            .map_err(|e| e.to_string())?;
        let reply = next_text(&mut ws).await?;
        latencies.push(t.elapsed());
        if peer == Peer::Kanava && !reply.contains("\"kind\"") {
            return Err(format!("not a reply: {reply}"));
        }
    }
    let _ = ws.close(None).await;
    Ok(latencies)
}

/// Drives `conversations` at once for `seconds`; returns (messages/s, p50 ms, p99 ms).
async fn drive(url: &str, peer: Peer, conversations: usize, seconds: u64) -> (f64, f64, f64) {
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..conversations)
        .map(|n| tokio::spawn(conversation(url.to_string(), peer, n, until)))
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        match t.await {
            Ok(Ok(l)) => all.extend(l),
            Ok(Err(e)) => eprintln!("a conversation failed: {e}"),
            Err(e) => eprintln!("a conversation panicked: {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = all.len() as f64 / secs;
    (rate, percentile(&mut all, 0.5), percentile(&mut all, 0.99))
}

/// A bare WebSocket echo server (tokio-tungstenite, as under axum's WebSocket).
async fn echo_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(format!("ws://{addr}/ws"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let conversations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let bin = match std::env::var_os("KANAVA_BIN") {
        Some(b) => std::path::PathBuf::from(b),
        // target/release/examples/chat_load → target/release/kanava
        None => std::env::current_exe()?
            .parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("kanava"))
            .ok_or("cannot find the kanava binary; set KANAVA_BIN")?,
    };
    let data = tempfile::tempdir()?;
    let mut child = Command::new(&bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--knowledge",
            "knowledge",
            "--data",
        ])
        .arg(data.path().join("data"))
        .env("KANAVA_LOG", "warn")
        .env("KANAVA_WEBCHAT_MESSAGES_PER_SECOND", "1000")
        .env("KANAVA_TERMS_USER_MESSAGES_PER_MINUTE", "10000")
        .env("KANAVA_TERMS_USER_BURST", "10000")
        .env("KANAVA_TERMS_ADDRESS_MESSAGES_PER_MINUTE", "100000")
        .env("KANAVA_TERMS_ADDRESS_BURST", "100000")
        .env("KANAVA_TERMS_CHANNEL_MESSAGES_PER_MINUTE", "10000000")
        .env("KANAVA_TERMS_GLOBAL_MESSAGES_PER_MINUTE", "10000000")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (build it first: cargo build --release)",
                bin.display()
            )
        })?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        std::io::BufReader::new(out).read_line(&mut line)?;
    }
    let Some(addr) = line.trim().strip_prefix("kanava listening on http://") else {
        let _ = child.kill();
        return Err(format!("kanava did not start: {line:?}").into());
    };
    let kanava_url = format!("ws://{addr}/ws");
    let echo_url = echo_server().await?;

    println!("{conversations} concurrent conversations, {seconds} s each run");
    let (echo_rate, e50, e99) = drive(&echo_url, Peer::Echo, conversations, seconds).await;
    println!("echo   {echo_rate:>9.0} messages/s   p50 {e50:.2} ms   p99 {e99:.2} ms");
    let (rate, k50, k99) = drive(&kanava_url, Peer::Kanava, conversations, seconds).await;
    println!("kanava {rate:>9.0} messages/s   p50 {k50:.2} ms   p99 {k99:.2} ms");
    println!("kanava / echo: {:.2}", rate / echo_rate);
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
