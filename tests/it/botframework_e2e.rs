//! Bot Framework end to end: through offline-directline (start, three languages, the polite
//! refusal), and authentication against the tests' own OpenID metadata, JWKS, token endpoint and
//! connector on loopback, with tokens signed by a test RSA key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kanava_adapter::Lang;
use serde_json::{json, Value};

use crate::contract::botframework::DirectLineUser;
use crate::contract::{topic_of, Channel};
use crate::support::{free_port, repo, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_line_start_three_languages_and_the_polite_refusal() {
    let mut u = DirectLineUser::start().await;
    // offline-directline announced the conversation with nobody in `membersAdded`: no greeting
    // yet, and none twice once Web Chat's join event has greeted.
    assert!(u.collect(Duration::from_millis(800)).await.is_empty());
    let welcome = u.open("en").await;
    assert_eq!(welcome.len(), 1, "{welcome:?}");
    let again = u.open("en").await;
    assert!(again.is_empty(), "welcomed twice: {again:?}");
    for (q, topic, lang) in [
        (
            "Mitä teen, jos Enter Finland ei toimi?",
            "enter-finland-outage",
            Lang::Fi,
        ),
        (
            "Hur länge tar behandlingen av min ansökan?",
            "processing-time",
            Lang::Sv,
        ),
        (
            "Why can't I see my queue position anymore?",
            "queue-position",
            Lang::En,
        ),
    ] {
        let r = u.say(q).await;
        assert_eq!(
            r.iter().filter_map(topic_of).collect::<Vec<_>>(),
            [(topic.to_string(), lang)],
            "{q}: {r:?}"
        );
    }
    let refusal = u.say("Missä vaiheessa hakemukseni on?").await;
    assert_eq!(refusal.len(), 1);
    assert_eq!(
        refusal[0].text.trim(),
        kanava::i18n::Text::CaseSpecific.get(Lang::Fi),
        "{refusal:?}"
    );
}

const APP_ID: &str = "kanava-test-app";
const ISSUER: &str = "https://api.botframework.com";

/// The tests' identity provider and connector.
#[derive(Default)]
struct Peer {
    /// Keys added after start (a rotation), under these key ids.
    rotated: Mutex<Vec<String>>,
    replies: Mutex<Vec<(Option<String>, Value)>>,
    tokens_issued: Mutex<u32>,
    jwks_fetches: Mutex<u32>,
}

async fn serve_peer() -> (String, Arc<Peer>) {
    let peer = Arc::new(Peer::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/botframework-test-jwks.json"))
            .expect("jwks"),
    )
    .expect("jwks json");
    let meta = json!({"issuer": ISSUER, "jwks_uri": format!("{base}/keys"),
        "id_token_signing_alg_values_supported": ["RS256"]});
    let app = Router::new()
        .route("/openid", get(move || async move { Json(meta) }))
        .route(
            "/keys",
            get(move |State(p): State<Arc<Peer>>| async move {
                *p.jwks_fetches.lock().unwrap() += 1;
                let mut set = jwks.clone();
                let first = set["keys"][0].clone();
                for kid in p.rotated.lock().unwrap().iter() {
                    let mut k = first.clone();
                    k["kid"] = json!(kid);
                    if let Some(keys) = set["keys"].as_array_mut() {
                        keys.push(k);
                    }
                }
                Json(set)
            }),
        )
        .route(
            "/token",
            post(|State(p): State<Arc<Peer>>, body: String| async move {
                assert!(body.contains("grant_type=client_credentials"), "{body}");
                assert!(body.contains(&format!("client_id={APP_ID}")), "{body}");
                *p.tokens_issued.lock().unwrap() += 1;
                Json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "outbound-token-1"}))
            }),
        )
        .route(
            "/connector/v3/conversations/{conv}/activities/{id}",
            post(
                |State(p): State<Arc<Peer>>,
                 headers: axum::http::HeaderMap,
                 Json(a): Json<Value>| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|h| h.to_str().ok())
                        .map(str::to_string);
                    let mut r = p.replies.lock().unwrap();
                    r.push((auth, a));
                    Json(json!({"id": format!("bot-activity-{}", r.len())}))
                },
            ),
        )
        .with_state(peer.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, peer)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn claims(service_url: &str) -> Value {
    json!({"iss": ISSUER, "aud": APP_ID, "exp": now() + 600, "nbf": now() - 10,
        "serviceurl": service_url})
}

fn sign(claims: &Value, kid: &str) -> String {
    let pem = std::fs::read(repo().join("tests/data/botframework-test-key.pem")).expect("key");
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.into());
    encode(&h, claims, &EncodingKey::from_rsa_pem(&pem).expect("pem")).expect("sign")
}

fn b64(v: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT","kid":"kanava-test-key"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// HS256 "signed" with the RSA public key as the HMAC secret: the algorithm-confusion attack.
fn hs256_with_public_key(claims: &Value) -> String {
    let public =
        std::fs::read(repo().join("tests/data/botframework-test-key.pub.pem")).expect("pub");
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("kanava-test-key".into());
    encode(&h, claims, &EncodingKey::from_secret(&public)).expect("sign")
}

fn message(service_url: &str, user: &str, text: &str) -> Value {
    message_on(
        Some("directline"),
        service_url,
        user,
        &format!("conv-{user}"),
        text,
    )
}

/// A message on the connector channel `channel` (`None`: the activity names none).
fn message_on(
    channel: Option<&str>,
    service_url: &str,
    user: &str,
    conversation: &str,
    text: &str,
) -> Value {
    let mut a = json!({"type": "message", "id": format!("in-{user}"),
        "serviceUrl": service_url, "from": {"id": user}, "recipient": {"id": APP_ID},
        "conversation": {"id": conversation}, "text": text, "locale": "en-GB",
        "timestamp": "2026-11-23T12:00:00Z"});
    if let Some(c) = channel {
        a["channelId"] = json!(c);
    }
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_valid_tokens_for_the_right_connector_are_accepted() {
    let (peer_url, peer) = serve_peer().await;
    let service = format!("{peer_url}/connector");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let openid = format!("{peer_url}/openid");
    let token_url = format!("{peer_url}/token");
    let server = Server::start(
        &data,
        &[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_APP_ID", APP_ID),
            ("KANAVA_BOTFRAMEWORK_APP_PASSWORD", "test-password-123"),
            ("KANAVA_BOTFRAMEWORK_OPENID_URL", &openid),
            ("KANAVA_BOTFRAMEWORK_TOKEN_URL", &token_url),
        ],
    );
    let url = format!("http://{}/api/messages", server.addr);
    let http = reqwest::Client::new();
    let post = |auth: Option<String>, body: Value| {
        let mut r = http.post(&url).json(&body);
        if let Some(t) = auth {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        r.send()
    };
    let question = "Why can't I see my queue position anymore?";

    // A valid token: answered through the connector, with an outbound token.
    let ok = post(
        Some(sign(&claims(&service), "kanava-test-key")),
        message(&service, "u-ok", question),
    )
    .await
    .expect("http");
    assert_eq!(ok.status(), 200);
    {
        let replies = peer.replies.lock().unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0.as_deref(), Some("Bearer outbound-token-1"));
        assert_eq!(replies[0].1["replyToId"], "in-u-ok");
        assert_eq!(replies[0].1["recipient"]["id"], "u-ok");
        assert_eq!(replies[0].1["textFormat"], "markdown");
    }

    let expired = json!({"iss": ISSUER, "aud": APP_ID, "exp": now() - 600, "serviceurl": service});
    let mut wrong_aud = claims(&service);
    wrong_aud["aud"] = json!("someone-elses-bot");
    let mut wrong_iss = claims(&service);
    wrong_iss["iss"] = json!("https://evil.example");
    let mut not_yet = claims(&service);
    not_yet["nbf"] = json!(now() + 3600);
    let other_connector = claims("https://evil.example/connector");
    let rejected: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("garbage", Some("not-a-jwt".into())),
        ("expired", Some(sign(&expired, "kanava-test-key"))),
        ("not yet valid", Some(sign(&not_yet, "kanava-test-key"))),
        ("wrong audience", Some(sign(&wrong_aud, "kanava-test-key"))),
        ("wrong issuer", Some(sign(&wrong_iss, "kanava-test-key"))),
        (
            "unknown key",
            Some(sign(&claims(&service), "some-other-key")),
        ),
        ("alg none", Some(unsigned(&claims(&service)))),
        (
            "HS256 with the public key",
            Some(hs256_with_public_key(&claims(&service))),
        ),
        (
            "serviceUrl mismatch",
            Some(sign(&other_connector, "kanava-test-key")),
        ),
    ];
    for (i, (what, token)) in rejected.into_iter().enumerate() {
        let user = format!("u-bad-{i}");
        let r = post(token, message(&service, &user, question))
            .await
            .expect("http");
        assert_eq!(r.status(), 401, "{what}");
        assert!(
            r.text().await.unwrap_or_default().is_empty(),
            "{what}: 401 with detail"
        );
    }
    assert_eq!(
        peer.replies.lock().unwrap().len(),
        1,
        "a rejected request was answered"
    );
    let stats = crate::support::kanava_data_ok(&["stats"], &data);
    assert!(
        stats.contains("\"transcript\":2"),
        "only the valid question and its answer are stored: {stats}"
    );

    // Key rotation: a token signed under a key id published after kanava fetched the set is
    // accepted once the set is refetched (an unknown key id refetches, at most every 5 s).
    peer.rotated.lock().unwrap().push("rotated-key".into());
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let rotated = post(
        Some(sign(&claims(&service), "rotated-key")),
        message(&service, "u-rotated", question),
    )
    .await
    .expect("http");
    assert_eq!(rotated.status(), 200);
    assert_eq!(peer.replies.lock().unwrap().len(), 2);

    // Authenticated but malformed or oversized: a precise 400/413, nothing processed.
    let valid = sign(&claims(&service), "kanava-test-key");
    let bad = http
        .post(&url)
        .header("Authorization", format!("Bearer {valid}"))
        .header("content-type", "application/json")
        .body("{\"type\": \"message\", \"text\": ")
        .send()
        .await
        .expect("http");
    assert_eq!(bad.status(), 400);
    assert!(bad
        .text()
        .await
        .unwrap_or_default()
        .starts_with("malformed activity"));
    let huge = message(&service, "u-huge", &"a".repeat(300 * 1024));
    assert_eq!(
        post(Some(valid.clone()), huge)
            .await
            .expect("http")
            .status(),
        413
    );

    // A 👍 reaction on the answer (the connector gave it an id) is stored as feedback.
    let reaction = json!({"type": "messageReaction", "id": "r1", "channelId": "directline",
        "serviceUrl": service, "from": {"id": "u-ok"}, "recipient": {"id": APP_ID},
        "conversation": {"id": "conv-u-ok"}, "replyToId": "bot-activity-1",
        "reactionsAdded": [{"type": "like"}]});
    assert_eq!(
        post(Some(valid), reaction).await.expect("http").status(),
        200
    );
    let export = crate::support::kanava_data_ok(
        &[
            "subject",
            "export",
            "--channel",
            "botframework",
            "--user",
            "directline:u-ok",
            "--reason",
            "t",
            "--staff",
            "dpo",
        ],
        &data,
    );
    let export: Value = serde_json::from_str(&export).expect("json");
    assert_eq!(
        export["feedback"].as_array().map(Vec::len),
        Some(1),
        "{export}"
    );
    assert_eq!(
        *peer.tokens_issued.lock().unwrap(),
        1,
        "the outbound token is cached"
    );

    // A key endorsed for some channels does not sign for an activity that names none, and an
    // activity must name its channel in any case.
    let valid = sign(&claims(&service), "kanava-test-key");
    let nameless = message_on(None, &service, "u-nameless", "conv-nameless", question);
    assert_eq!(
        post(Some(valid.clone()), nameless)
            .await
            .expect("http")
            .status(),
        401
    );
    let odd = message_on(Some("ms:teams"), &service, "u-odd", "conv-odd", question);
    assert_eq!(
        post(Some(valid.clone()), odd).await.expect("http").status(),
        401
    );

    // A Direct Line client sending advertisements under a Teams user's id earns a block for
    // itself, on its own channel: the Teams user keeps being answered.
    let victim = "29:1teams-victim";
    let replies_to = |conv: &str| {
        peer.replies
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, a)| a["conversation"]["id"] == conv)
            .map(|(_, a)| a["text"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    for ad in crate::support::ADVERTISEMENTS {
        let a = message_on(Some("webchat"), &service, victim, "dl-attacker", ad);
        assert_eq!(
            post(Some(valid.clone()), a).await.expect("http").status(),
            200
        );
    }
    let attacker = replies_to("dl-attacker");
    assert!(
        attacker.last().is_some_and(|t| t.contains("/appeal")),
        "the third advertisement blocks the sender: {attacker:?}"
    );
    let teams = message_on(
        Some("msteams"),
        &service,
        victim,
        "19:teams-victim",
        question,
    );
    assert_eq!(post(Some(valid), teams).await.expect("http").status(), 200);
    let answered = replies_to("19:teams-victim");
    assert!(
        answered.len() == 1 && !answered[0].contains("/appeal"),
        "the Teams user is answered: {answered:?}"
    );
    let blocks = crate::support::kanava_data_ok(&["block", "list"], &data);
    assert!(
        blocks.contains("webchat:29:1teams-victim") && !blocks.contains("msteams:"),
        "{blocks}"
    );

    let log = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    assert!(!log.contains("test-password-123") && !log.contains("outbound-token-1"));
}

#[test]
fn no_authentication_is_refused_off_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(crate::support::kanava_bin())
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path().join("data"))
        .env("KANAVA_BOTFRAMEWORK_ENABLED", "true")
        .env("KANAVA_BOTFRAMEWORK_AUTH", "none")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config key `botframework.auth`: \"none\" is only for local emulators"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_activities_cannot_send_replies_elsewhere() {
    // auth = "none" (emulator mode): only allow-listed connectors are written to.
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start_on(
        &data,
        &format!("127.0.0.1:{port}"),
        &[
            ("KANAVA_BOTFRAMEWORK_ENABLED", "true"),
            ("KANAVA_BOTFRAMEWORK_AUTH", "none"),
            (
                "KANAVA_BOTFRAMEWORK_SERVICE_URLS",
                "[\"http://127.0.0.1:1/allowed\"]",
            ),
        ],
    );
    let (peer_url, peer) = serve_peer().await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/api/messages", server.addr))
        .json(&message(
            &format!("{peer_url}/connector"),
            "u-forge",
            "hello",
        ))
        .send()
        .await
        .expect("http");
    assert_eq!(r.status(), 403);
    assert!(peer.replies.lock().unwrap().is_empty());
    // An allowed connector, but no channel to tell whose identity this is: refused.
    let nameless = message_on(None, "http://127.0.0.1:1/allowed", "u-x", "conv-x", "hello");
    let r = reqwest::Client::new()
        .post(format!("http://{}/api/messages", server.addr))
        .json(&nameless)
        .send()
        .await
        .expect("http");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap_or_default().contains("channelId"));
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    assert!(
        log.contains("authentication is OFF"),
        "the start announces it"
    );
}
