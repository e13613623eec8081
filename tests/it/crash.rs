//! Crash safety: steady web chat traffic, kanava killed with SIGKILL at random moments over
//! several rounds and restarted. Afterwards every message that got a reply is in the transcript,
//! no record is corrupted, the audit chain verifies, and blocks and strikes are intact.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kanava::clock::SystemClock;
use kanava::guard::{IdentifierKey, TermsConfig, TermsGuard};
use kanava::storage::Role;
use serde_json::json;

use crate::support::{self, connect, hello, next, send, Server};

async fn client(url: String, tag: String, replied: Arc<Mutex<Vec<String>>>) {
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(
        Duration::from_secs(2),
        tokio_tungstenite::connect_async(url),
    )
    .await
    else {
        return;
    };
    send(&mut ws, json!({"type": "hello", "lang": "fi"})).await;
    // ready + welcome; a killed server ends the stream.
    for _ in 0..2 {
        if tokio::time::timeout(Duration::from_secs(2), futures::StreamExt::next(&mut ws))
            .await
            .ok()
            .flatten()
            .is_none()
        {
            return;
        }
    }
    for n in 0..8 {
        let text = format!("Kuinka kauan käsittely kestää? tunniste {tag}x{n}");
        if futures::SinkExt::send(
            &mut ws,
            tokio_tungstenite::tungstenite::Message::Text(
                json!({"type": "message", "text": text}).to_string().into(),
            ),
        )
        .await
        .is_err()
        {
            return;
        }
        match tokio::time::timeout(Duration::from_secs(2), futures::StreamExt::next(&mut ws)).await
        {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))))
                if t.contains("\"reply\"") =>
            {
                replied.lock().unwrap_or_else(|p| p.into_inner()).push(text);
            }
            _ => return,
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

#[tokio::test]
async fn sigkill_loses_nothing_that_was_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    // Before the crashes: a moderator's block and two strikes for advertising.
    let server = Server::start(&data, &[]);
    let out = Command::new(support::kanava_bin())
        .args([
            "block",
            "add",
            "--channel",
            "webchat",
            "--user",
            "blocked-one",
            "--reason",
            "test",
            "--moderator",
            "mod-anna",
            "--data",
        ])
        .arg(&data)
        .output()
        .expect("block");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ws = connect(&server.ws_url()).await;
    hello(&mut ws, "en").await;
    for _ in 0..2 {
        send(
            &mut ws,
            json!({"type": "message", "text": "Buy cheap permits, guaranteed! www.example.com"}),
        )
        .await;
        assert_eq!(next(&mut ws).await["kind"], "notice");
    }
    drop(ws);
    server.kill();

    let replied = Arc::new(Mutex::new(Vec::new()));
    let mut seed = 0x9e37_79b9u64;
    for round in 0..5 {
        let server = Server::start(&data, &[]);
        let url = server.ws_url();
        let clients: Vec<_> = (0..5)
            .map(|c| {
                tokio::spawn(client(
                    url.clone(),
                    format!("r{round}c{c}"),
                    replied.clone(),
                ))
            })
            .collect();
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        tokio::time::sleep(Duration::from_millis(150 + (seed >> 33) % 450)).await;
        server.kill();
        for c in clients {
            let _ = c.await;
        }
    }
    let replied = replied.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        replied.len() >= 20,
        "traffic flowed: {} replies",
        replied.len()
    );

    let storage = kanava::storage::open_embedded(&data).expect("store reopens after SIGKILL");
    let all = storage
        .conversations
        .transcript_all()
        .await
        .expect("no corrupted transcript record");
    let stored: HashSet<&str> = all
        .iter()
        .filter(|r| r.role == Role::User)
        .map(|r| r.text.as_str())
        .collect();
    let lost: Vec<&String> = replied
        .iter()
        .filter(|t| !stored.contains(t.as_str()))
        .collect();
    assert!(lost.is_empty(), "answered but not stored: {lost:?}");
    let guard = TermsGuard::open(
        &storage,
        TermsConfig::default(),
        IdentifierKey::new([0; 32]),
        Arc::new(SystemClock),
    )
    .await
    .expect("guard");
    let v = guard.audit_log().verify().await.expect("verify");
    assert_eq!(v.broken, None, "audit chain after {} records", v.records);
    assert!(
        guard.block_list().iter().any(|b| b.user == "blocked-one"),
        "the block survived"
    );
    // Two advertisements: a strike each on the chat identity and on the client's address.
    assert_eq!(
        storage
            .moderation
            .load()
            .await
            .expect("moderation state")
            .strikes
            .len(),
        4,
        "the strikes survived"
    );
    println!(
        "crash test: {} answered messages over 5 SIGKILL rounds, all stored",
        replied.len()
    );
}
