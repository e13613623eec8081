//! Knowledge edits are served without a restart, and a broken edit changes nothing served.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{connect, repo, send, Server, Ws};

const PARROTS: &str = "id: parrots\nsource: https://migri.fi\nreviewed: 2026-12-07\n\n\
[fi] Papukaijat\n? Saako papukaijan tuoda chattiin?\nEi saa, mutta [kysy muuta](https://migri.fi).\n\n\
[sv] Papegojor\n? Får man ta med en papegoja till chatten?\nNej, men [fråga annat](https://migri.fi/sv).\n\n\
[en] Parrots\n? Can I bring my parrot to the chat?\nNo, but [ask something else](https://migri.fi/en).\n";

async fn reply(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] == "reply" {
                return v;
            }
        }
    }
}

async fn ask(ws: &mut Ws, text: &str) -> Value {
    send(ws, json!({"type": "message", "text": text})).await;
    reply(ws).await
}

async fn health(server: &Server) -> Value {
    reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_knowledge_is_served_without_a_restart_and_a_broken_edit_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let knowledge = dir.path().join("knowledge");
    std::fs::create_dir_all(knowledge.join("topics")).expect("dir");
    for e in std::fs::read_dir(repo().join("knowledge/topics")).expect("topics") {
        let p = e.expect("entry").path();
        std::fs::copy(
            &p,
            knowledge.join("topics").join(p.file_name().expect("name")),
        )
        .expect("copy");
    }
    let data = dir.path().join("data");
    // The test asks again until the edit is served: more than a person's usual rate.
    let server = Server::start_with_knowledge(
        &data,
        &knowledge,
        &[
            ("KANAVA_TERMS_USER_MESSAGES_PER_MINUTE", "600"),
            ("KANAVA_TERMS_USER_BURST", "100"),
        ],
    );
    let mut ws = connect(&server.ws_url()).await;
    send(&mut ws, json!({"type": "hello", "lang": "en"})).await;
    reply(&mut ws).await;
    let question = "Can I bring my parrot to the chat?";
    let before = ask(&mut ws, question).await;
    assert_ne!(before["topic"], "parrots", "{before}");

    // A new topic file: answered within seconds, by the same running server.
    std::fs::write(knowledge.join("topics/parrots.txt"), PARROTS).expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = ask(&mut ws, question).await;
        if r["topic"] == "parrots" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new topic was never served: {r}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(health(&server).await["knowledge"]["state"], "ok");

    // A broken edit: reported, and the topics before it keep answering.
    std::fs::write(knowledge.join("topics/broken.txt"), "id: broken\n").expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    let h = loop {
        let h = health(&server).await;
        if h["knowledge"]["state"] == "rejected" {
            break h;
        }
        assert!(
            Instant::now() < deadline,
            "the broken edit was never reported: {h}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(h["status"], "degraded", "{h}");
    assert!(
        h["knowledge"]["first"]
            .as_str()
            .is_some_and(|f| f.contains("broken.txt")),
        "{h}"
    );
    assert_eq!(ask(&mut ws, question).await["topic"], "parrots");
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    assert!(log.contains("previous topics keep serving"), "{log}");

    let audit = crate::support::kanava_data_ok(&["audit", "--json"], &data);
    assert!(
        audit.contains("knowledge_reloaded") && audit.contains("knowledge_rejected"),
        "{audit}"
    );
    server.stop();
}
