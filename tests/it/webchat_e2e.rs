//! End to end through the real binary: a WebSocket client asks in fi, sv and en, rates an
//! answer, and the transcript is in sled afterwards (read through the control socket and, after
//! shutdown, directly).

use std::process::Command;

use kanava::storage::Role;
use serde_json::json;

use crate::support::{self, ask, connect, hello, next, send, Server};

#[tokio::test]
async fn asks_in_three_languages_and_the_transcript_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let mut ws = connect(&server.ws_url()).await;
    hello(&mut ws, "fi").await;

    let fi = ask(
        &mut ws,
        "En pääse kirjautumaan Enter Finlandiin, mitä teen?",
    )
    .await;
    assert_eq!(
        (fi["topic"].as_str(), fi["lang"].as_str()),
        (Some("enter-finland-outage"), Some("fi")),
        "{fi}"
    );
    let sv = ask(&mut ws, "Hur länge tar behandlingen av min ansökan?").await;
    assert_eq!(
        (sv["topic"].as_str(), sv["lang"].as_str()),
        (Some("processing-time"), Some("sv")),
        "{sv}"
    );
    let en = ask(&mut ws, "Why can't I see my queue position anymore?").await;
    assert_eq!(
        (en["topic"].as_str(), en["lang"].as_str()),
        (Some("queue-position"), Some("en")),
        "{en}"
    );
    assert!(
        en["html"]
            .as_str()
            .is_some_and(|h| h.contains("<a href=\"https://enterfinland.fi\">")),
        "{en}"
    );
    assert!(!en["suggestions"]
        .as_array()
        .expect("suggestions")
        .is_empty());

    // Language switch holds even for a message in another language.
    send(&mut ws, json!({"type": "language", "lang": "sv"})).await;
    assert_eq!(next(&mut ws).await["lang"], "sv");
    let switched = ask(&mut ws, "Is this chat stored?").await;
    assert_eq!(
        (switched["topic"].as_str(), switched["lang"].as_str()),
        (Some("chat-privacy"), Some("sv")),
        "{switched}"
    );

    // Personal data in a question never reaches storage.
    let pii = ask(
        &mut ws,
        "Hakemukseni 12345678 ja henkilötunnus 131052-308T, milloin päätös?",
    )
    .await;
    assert_eq!(pii["type"], "reply");

    // Feedback on an answer is stored; a forged id is refused.
    let reply_id = en["feedback"].as_str().expect("feedback id").to_string();
    send(
        &mut ws,
        json!({"type": "feedback", "reply": reply_id, "helpful": true}),
    )
    .await;
    assert_eq!(next(&mut ws).await["kind"], "acknowledgement");
    send(
        &mut ws,
        json!({"type": "feedback", "reply": "00".repeat(16), "helpful": false}),
    )
    .await;
    let refused = next(&mut ws).await;
    assert!(
        refused["text"]
            .as_str()
            .is_some_and(|t| t.contains("Responsen kunde inte sparas")),
        "{refused}"
    );

    // While the server runs, data commands go through its control socket.
    let out = Command::new(support::kanava_bin())
        .args(["stats", "--data"])
        .arg(&data)
        .output()
        .expect("stats");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    assert_eq!(stats["transcript"], 10, "{stats}");
    assert_eq!(stats["feedback"], 1, "{stats}");

    drop(ws);
    assert!(server.stop().success(), "graceful shutdown exits 0");

    let storage = kanava::storage::open_embedded(&data).expect("store free after shutdown");
    let all = storage
        .conversations
        .transcript_all()
        .await
        .expect("transcript");
    assert_eq!(all.len(), 10);
    let user_lines: Vec<&str> = all
        .iter()
        .filter(|r| r.role == Role::User)
        .map(|r| r.text.as_str())
        .collect();
    assert!(user_lines.contains(&"Hur länge tar behandlingen av min ansökan?"));
    let pii_line = user_lines
        .iter()
        .find(|t| t.contains("Hakemukseni"))
        .expect("pii question stored redacted");
    assert_eq!(
        *pii_line,
        "Hakemukseni [NUMBER] ja henkilötunnus [HETU], milloin päätös?"
    );
    let raw = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| std::fs::read(e.path()).unwrap_or_default())
        .any(|bytes| {
            bytes.windows(11).any(|w| w == b"131052-308T")
                || bytes.windows(8).any(|w| w == b"12345678")
        });
    assert!(!raw, "raw personal data found in the data directory files");
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).expect("log");
    assert!(
        !log.contains("131052-308T") && !log.contains("Hur länge"),
        "user text reached the log"
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"), &[]);
    let mut ws = connect(&server.ws_url()).await;
    hello(&mut ws, "en").await;

    send(&mut ws, json!({"type": "message", "text": "   "})).await;
    assert_eq!(next(&mut ws).await["code"], "empty");
    send(
        &mut ws,
        json!({"type": "message", "text": "a".repeat(4097)}),
    )
    .await;
    assert_eq!(next(&mut ws).await["code"], "too_large");
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::Text("{\"type\": \"message\", \"text\": ".into()))
        .await
        .expect("send");
    let e = next(&mut ws).await;
    assert_eq!(e["code"], "malformed", "{e}");
    ws.send(Message::Text(
        "{\"type\": \"message\", \"txt\": \"x\"}".into(),
    ))
    .await
    .expect("send");
    let e = next(&mut ws).await;
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("text")),
        "names the field: {e}"
    );
    ws.send(Message::Binary(vec![0xff, 0xfe].into()))
        .await
        .expect("send");
    assert_eq!(next(&mut ws).await["code"], "binary");
    // Still answering on the same socket.
    let ok = ask(&mut ws, "How long does processing take?").await;
    assert_eq!(ok["topic"], "processing-time");

    // A text frame that is not UTF-8 fails that connection with 1007, as RFC 6455 says.
    let mut bad_utf8 = connect(&server.ws_url()).await;
    hello(&mut bad_utf8, "en").await;
    {
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
        use tokio_tungstenite::tungstenite::protocol::frame::Frame;
        let frame = Frame::message(
            b"{\"type\":\"message\",\"text\":\"\xff\xfe\"}".to_vec(),
            OpCode::Data(Data::Text),
            true,
        );
        bad_utf8.send(Message::Frame(frame)).await.expect("send");
    }
    let mut code = None;
    while let Ok(Some(Ok(msg))) =
        tokio::time::timeout(std::time::Duration::from_secs(5), bad_utf8.next()).await
    {
        if let Message::Close(f) = msg {
            code = f.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1007));

    // A flood: rate-limited errors, then the socket is closed; the server serves others.
    let mut flood = connect(&server.ws_url()).await;
    hello(&mut flood, "en").await;
    for _ in 0..200 {
        if flood
            .send(Message::Text(
                "{\"type\":\"message\",\"text\":\"hi\"}".into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut limited = 0;
    let mut closed = false;
    use futures::StreamExt;
    while let Ok(Some(msg)) =
        tokio::time::timeout(std::time::Duration::from_secs(10), flood.next()).await
    {
        match msg {
            Ok(Message::Text(t)) if t.contains("rate_limited") => limited += 1,
            Ok(Message::Close(Some(f))) => {
                assert_eq!(u16::from(f.code), 1008);
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(limited >= 1 && closed, "limited {limited}, closed {closed}");
    // An over-the-hard-limit frame closes only that socket.
    let mut big = connect(&server.ws_url()).await;
    hello(&mut big, "en").await;
    let _ = big.send(Message::Text("x".repeat(100_000).into())).await;
    let mut fresh = connect(&server.ws_url()).await;
    hello(&mut fresh, "fi").await;
    let ok = ask(&mut fresh, "Enter Finland ei toimi").await;
    assert_eq!(ok["topic"], "enter-finland-outage");

    // A page from a foreign origin is refused on the upgrade.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        server.ws_url(),
    )
    .expect("request");
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().expect("header"));
    assert!(
        tokio_tungstenite::connect_async(req).await.is_err(),
        "foreign origin must be refused"
    );
}

#[tokio::test]
async fn configured_origin_may_embed_the_chat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        &dir.path().join("data"),
        &[(
            "KANAVA_WEBCHAT_ALLOWED_ORIGINS",
            "[\"https://www.example.fi\"]",
        )],
    );
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        server.ws_url(),
    )
    .expect("request");
    req.headers_mut()
        .insert("origin", "https://www.example.fi".parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("allowed origin connects");
    hello(&mut ws, "sv").await;
}

#[tokio::test]
async fn second_server_on_the_same_data_dir_fails_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let _first = Server::start(&data, &[]);
    let out = Command::new(support::kanava_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--knowledge")
        .arg(support::repo().join("knowledge"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is in use by another kanava process"), "{err}");
}

#[tokio::test]
async fn the_data_directory_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // As an older version left it: readable to everyone.
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(data.join("old.log"), b"x").expect("write");
    std::fs::set_permissions(data.join("old.log"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let server = Server::start(&data, &[]);
    let mut ws = connect(&server.ws_url()).await;
    hello(&mut ws, "en").await;
    let _ = ask(&mut ws, "How long does processing take?").await;
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("identifier.key")), 0o600);
    assert_eq!(mode(&kanava::control::socket_path(&data)), 0o600);
    let mut checked = 0;
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            assert_eq!(mode(&p) & 0o077, 0, "{} is readable to others", p.display());
            checked += 1;
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    assert!(checked >= 4, "sled's files were checked too ({checked})");
}

#[tokio::test]
async fn erasure_and_restriction_take_effect_in_the_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let subject = |cmd: &str, user: &str| {
        support::kanava_data_ok(
            &[
                "subject",
                cmd,
                "--channel",
                "webchat",
                "--user",
                user,
                "--reason",
                "request 9",
                "--staff",
                "dpo-eva",
            ],
            &data,
        )
    };

    // Three advertisements block the sender; erasure forgets the block in the running guard
    // too, so the next question is answered and the block is not written back.
    let mut ws = connect(&server.ws_url()).await;
    let user = hello(&mut ws, "en").await;
    for ad in support::ADVERTISEMENTS {
        let _ = ask(&mut ws, ad).await;
    }
    assert!(support::kanava_data_ok(&["block", "list"], &data).contains(&user));
    subject("erase", &user);
    // The client's address earned a block of its own (not personal data of one subject: a
    // keyed hash); lift it so this client can go on.
    lift_address_blocks(&data);
    let answer = ask(&mut ws, "How long does processing take?").await;
    assert_eq!(answer["topic"], "processing-time", "{answer}");
    let _ = ask(&mut ws, "Why can't I see my queue position anymore?").await;
    assert!(
        !support::kanava_data_ok(&["block", "list"], &data).contains(&user),
        "the erased identity's block came back"
    );

    // A restricted identity's messages are neither processed nor stored.
    let mut other = connect(&server.ws_url()).await;
    let restricted = hello(&mut other, "en").await;
    let _ = ask(&mut other, "How long does processing take?").await;
    subject("restrict", &restricted);
    let stored = |data: &std::path::Path| {
        let export: serde_json::Value = serde_json::from_str(&support::kanava_data_ok(
            &[
                "subject",
                "export",
                "--channel",
                "webchat",
                "--user",
                &restricted,
                "--reason",
                "check",
                "--staff",
                "dpo-eva",
            ],
            data,
        ))
        .expect("json");
        export["transcripts"].as_array().map_or(0, Vec::len)
    };
    let before = stored(&data);
    let notice = ask(&mut other, "How long does processing take?").await;
    assert!(notice["topic"].is_null(), "{notice}");
    assert_eq!(
        notice["text"].as_str().map(str::trim),
        Some(
            kanava::i18n::notice(&kanava::guard::Notice::Restricted, kanava_adapter::Lang::En)
                .as_str()
        ),
        "{notice}"
    );
    assert_eq!(
        stored(&data),
        before,
        "a restricted identity's message was stored"
    );
}

#[tokio::test]
async fn a_new_chat_token_does_not_escape_a_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let mut ws = connect(&server.ws_url()).await;
    hello(&mut ws, "en").await;
    for ad in support::ADVERTISEMENTS {
        let _ = ask(&mut ws, ad).await;
    }
    drop(ws);
    // The same client, a fresh token: still blocked, and told so at once and on every message
    // (an address may be shared).
    for _ in 0..2 {
        let mut again = connect(&server.ws_url()).await;
        send(&mut again, json!({"type": "hello", "lang": "en"})).await;
        assert_eq!(next(&mut again).await["type"], "ready");
        let greeting = next(&mut again).await;
        assert!(
            greeting["kind"] == "notice"
                && greeting["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("/appeal")),
            "{greeting}"
        );
        let r = ask(&mut again, "How long does processing take?").await;
        assert!(r["topic"].is_null(), "answered despite the block: {r}");
        assert!(
            r["text"].as_str().is_some_and(|t| t.contains("/appeal")),
            "{r}"
        );
    }
    let blocks = support::kanava_data_ok(&["block", "list", "--json"], &data);
    let address = blocks
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|b| {
            b["user"]
                .as_str()
                .filter(|u| u.starts_with("addr:"))
                .map(str::to_string)
        })
        .expect("an address block");
    assert!(
        !blocks.contains("127.0.0.1"),
        "the address itself is stored"
    );
    // A moderator can lift it like any block.
    support::kanava_data_ok(
        &[
            "block",
            "remove",
            "--channel",
            "webchat",
            "--user",
            &address,
            "--reason",
            "shared office",
            "--moderator",
            "mod-1",
        ],
        &data,
    );
    let mut fresh = connect(&server.ws_url()).await;
    hello(&mut fresh, "en").await;
    let r = ask(&mut fresh, "How long does processing take?").await;
    assert_eq!(r["topic"], "processing-time", "{r}");
}

/// Lifts every block on a client address (tests that go on from the same address).
fn lift_address_blocks(data: &std::path::Path) {
    let blocks = support::kanava_data_ok(&["block", "list", "--json"], data);
    for b in blocks
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        if let Some(u) = b["user"].as_str().filter(|u| u.starts_with("addr:")) {
            support::kanava_data_ok(
                &[
                    "block",
                    "remove",
                    "--channel",
                    "webchat",
                    "--user",
                    u,
                    "--reason",
                    "test",
                    "--moderator",
                    "mod-1",
                ],
                data,
            );
        }
    }
}

#[tokio::test]
async fn a_resumed_chat_gets_its_conversation_back_as_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"), &[]);
    let mut ws = connect(&server.ws_url()).await;
    let chat = hello(&mut ws, "en").await;
    let answer = ask(
        &mut ws,
        "My identity code is 131052-308T, how long does processing take?",
    )
    .await;
    assert_eq!(answer["type"], "reply", "{answer}");
    drop(ws);

    let mut again = connect(&server.ws_url()).await;
    send(
        &mut again,
        json!({"type": "hello", "chat": chat, "lang": "en"}),
    )
    .await;
    assert_eq!(next(&mut again).await["type"], "ready");
    let history = next(&mut again).await;
    assert_eq!(history["type"], "history", "{history}");
    let messages = history["messages"].as_array().expect("messages");
    let user: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(user.len(), 1, "{history}");
    assert!(
        user[0].contains("[HETU]") && !user[0].contains("131052"),
        "the history shows the message as stored: {}",
        user[0]
    );
    assert!(
        messages
            .iter()
            .any(|m| m["role"] == "bot" && m["text"].as_str().is_some_and(|t| !t.is_empty())),
        "{history}"
    );
    // A token nobody was given has no history: a new chat starts with a welcome.
    let mut stranger = connect(&server.ws_url()).await;
    send(
        &mut stranger,
        json!({"type": "hello", "chat": "0123456789abcdef0123456789abcdef", "lang": "en"}),
    )
    .await;
    assert_eq!(next(&mut stranger).await["type"], "ready");
    let r = ask(&mut stranger, "How long does processing take?").await;
    assert_eq!(r["type"], "reply", "no history for an unknown chat: {r}");
}
