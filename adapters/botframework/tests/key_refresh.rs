//! The signing-key refresh against a loopback OpenID/JWKS peer whose key endpoint can be made
//! slow or failing: a flood of unknown key ids costs at most one fetch, a failing endpoint is
//! tried at most once per 5 s, and tokens signed by cached keys never wait.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kanava_botframework::auth::{AuthError, RefreshPolicy, Verifier, MIN_REFRESH_GAP};
use kanava_botframework::JwtConfig;
use serde_json::{json, Value};

const ISSUER: &str = "https://api.botframework.com";
const APP_ID: &str = "kanava-test-app";
const KID: &str = "kanava-test-key";

#[derive(Default)]
struct Peer {
    /// Requests to the key endpoint (one per fetch attempt).
    key_fetches: AtomicU32,
    /// How long the key endpoint takes to answer, in milliseconds.
    delay_ms: AtomicU64,
    /// The key endpoint answers 503.
    failing: AtomicBool,
}

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(file)
}

async fn serve() -> (String, Arc<Peer>) {
    let peer = Arc::new(Peer::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(data("botframework-test-jwks.json")).unwrap(),
    )
    .unwrap();
    let meta = json!({"issuer": ISSUER, "jwks_uri": format!("{base}/keys")});
    let app = Router::new()
        .route("/openid", get(move || async move { Json(meta) }))
        .route(
            "/keys",
            get(move |State(p): State<Arc<Peer>>| async move {
                p.key_fetches.fetch_add(1, Ordering::SeqCst);
                let delay = p.delay_ms.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                if p.failing.load(Ordering::SeqCst) {
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                } else {
                    Json(jwks).into_response()
                }
            }),
        )
        .with_state(peer.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, peer)
}

fn verifier(base: &str, policy: RefreshPolicy) -> Verifier {
    let config = JwtConfig {
        openid_url: format!("{base}/openid").parse().unwrap(),
        issuers: vec![ISSUER.into()],
        app_id: APP_ID.into(),
    };
    Verifier::with_policy(config, reqwest::Client::new(), policy)
}

fn token(kid: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": ISSUER, "aud": APP_ID, "exp": now + 600, "nbf": now - 10,
        "serviceurl": "https://smba.example/"});
    let pem = std::fs::read(data("botframework-test-key.pem")).unwrap();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.into());
    format!(
        "Bearer {}",
        encode(&h, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
    )
}

/// Verifies `n` tokens with distinct unknown key ids at once; returns the slowest answer's time.
async fn flood(v: &Verifier, n: usize, tag: &str) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let v = v.clone();
            let t = token(&format!("forged-{tag}-{i}"));
            tokio::spawn(async move {
                let r = v.verify(Some(&t)).await;
                assert!(
                    matches!(r, Err(AuthError::UnknownKey(_) | AuthError::Keys(_))),
                    "{r:?}"
                );
                started.elapsed()
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for t in tasks {
        slowest = slowest.max(t.await.unwrap());
    }
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_unknown_key_ids_cost_one_fetch_and_wait_for_at_most_one() {
    let (base, peer) = serve().await;
    peer.delay_ms.store(1000, Ordering::SeqCst);
    let v = verifier(&base, RefreshPolicy::default());

    // Nothing cached yet: the first of 50 starts the one fetch, the others wait for it.
    let slowest = flood(&v, 50, "cold").await;
    assert_eq!(peer.key_fetches.load(Ordering::SeqCst), 1);
    // One fetch takes 1 s; queued one after another, 50 would take 50 s.
    assert!(slowest < Duration::from_millis(2500), "{slowest:?}");
    // The fetch brought the real key: a valid token is accepted without another fetch.
    v.verify(Some(&token(KID))).await.unwrap();
    assert_eq!(peer.key_fetches.load(Ordering::SeqCst), 1);

    // Within 5 s of that attempt, unknown key ids are refused at once, with no fetch.
    let quick = flood(&v, 50, "soon").await;
    assert_eq!(peer.key_fetches.load(Ordering::SeqCst), 1);
    assert!(quick < Duration::from_millis(500), "{quick:?}");

    // Later, another flood gets exactly one more fetch; while it runs, a token signed by the
    // cached key is not held up.
    tokio::time::sleep(MIN_REFRESH_GAP).await;
    let (flooded, valid) = tokio::join!(flood(&v, 50, "later"), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        v.verify(Some(&token(KID))).await.unwrap();
        t.elapsed()
    });
    assert_eq!(peer.key_fetches.load(Ordering::SeqCst), 2);
    assert!(flooded < Duration::from_millis(2500), "{flooded:?}");
    assert!(valid < Duration::from_millis(300), "{valid:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_key_endpoint_is_tried_at_most_once_per_five_seconds() {
    let (base, peer) = serve().await;
    let v = verifier(&base, RefreshPolicy::default());
    assert_eq!(v.refresh().await.unwrap(), 1);
    peer.failing.store(true, Ordering::SeqCst);
    tokio::time::sleep(MIN_REFRESH_GAP).await;
    // 6.5 s of forged tokens, 13 bursts of 4: attempts at 0 s and 5 s at most.
    let started = Instant::now();
    for burst in 0..13 {
        flood(&v, 4, &format!("burst{burst}")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let attempts = peer.key_fetches.load(Ordering::SeqCst) - 1;
    let allowed = 1 + (started.elapsed().as_secs_f64() / MIN_REFRESH_GAP.as_secs_f64()) as u32;
    assert!(
        (1..=allowed).contains(&attempts),
        "{attempts} attempts in {:?}",
        started.elapsed()
    );
    // The cached key kept serving throughout.
    v.verify(Some(&token(KID))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aged_keys_are_refreshed_in_the_background_while_they_keep_serving() {
    let (base, peer) = serve().await;
    let v = verifier(
        &base,
        RefreshPolicy {
            max_age: Duration::from_millis(300),
            min_gap: Duration::from_millis(100),
        },
    );
    v.refresh().await.unwrap();
    peer.delay_ms.store(2000, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The set is past its age and the refresh takes 2 s: valid tokens do not wait for it, and
    // twenty of them start one refresh, not twenty.
    for _ in 0..20 {
        let t = Instant::now();
        v.verify(Some(&token(KID))).await.unwrap();
        assert!(
            t.elapsed() < Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(peer.key_fetches.load(Ordering::SeqCst), 2);
}
