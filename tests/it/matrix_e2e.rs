//! Matrix end to end on a real Synapse: plain and encrypted direct rooms, a restart on the same
//! device, messages sent while kanava was down, a homeserver outage, groups, invite policy.

use std::time::{Duration, Instant};

use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedTransactionId, UserId};

use crate::contract::matrix::{env, MatrixUser, UserClient};
use crate::contract::{topic_of, PATIENCE};
use crate::peers::Synapse;
use crate::support::Server;

fn topics(seen: &[crate::contract::matrix::Seen]) -> Vec<String> {
    seen.iter()
        .filter_map(|s| topic_of(&crate::contract::matrix::reply(s)).map(|(t, _)| t))
        .collect()
}

fn start_again(u: &mut MatrixUser, synapse: &Synapse) {
    let e = env(synapse, &u.bot, &u.bot_password);
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    u.server = Some(Server::start(&u.data, &e));
}

/// The bot's devices, from the homeserver's admin API.
async fn bot_devices(synapse: &Synapse, bot: &str) -> Vec<String> {
    let admin = format!("admin{:08x}", rand::random::<u32>());
    synapse.register(&admin, "admin-pw", true);
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/_matrix/client/v3/login", synapse.url))
        .json(&serde_json::json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": admin}, "password": "admin-pw"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("token");
    let devices: serde_json::Value = http
        .get(format!(
            "{}/_synapse/admin/v2/users/{bot}/devices",
            synapse.url
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("devices")
        .json()
        .await
        .expect("json");
    devices["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|d| d["device_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_and_encrypted_direct_rooms_get_formatted_notices() {
    let synapse = crate::peers::synapse();
    for encrypted in [false, true] {
        let mut u = MatrixUser::start_on(synapse).await;
        let greeting = u.open_room(!encrypted).await;
        assert_eq!(greeting.len(), 1, "{greeting:?}");
        assert_eq!(u.room().encryption_state().is_encrypted(), encrypted);
        u.send("Hur länge tar behandlingen av min ansökan?").await;
        let answer = u.seen(PATIENCE).await;
        assert_eq!(
            topics(&answer),
            ["processing-time"],
            "encrypted={encrypted}"
        );
        assert!(answer[0].is_formatted_notice(), "{answer:?}");
        assert!(
            answer[0]
                .html
                .as_deref()
                .is_some_and(|h| h.contains("<a href=\"https://migri.fi/")),
            "{answer:?}"
        );
        let log = std::fs::read_to_string(u.data.with_extension("stderr.log")).unwrap_or_default();
        assert!(
            !log.contains("could not be decrypted"),
            "a message was not decrypted"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_device_and_answers_what_came_meanwhile_once() {
    let synapse = crate::peers::synapse();
    let mut u = MatrixUser::start_on(synapse).await;
    u.open_room(false).await;
    u.send("Why can't I see my queue position anymore?").await;
    assert_eq!(topics(&u.seen(PATIENCE).await), ["queue-position"]);
    // Registration made one device; kanava's login the other.
    let before = bot_devices(synapse, &u.bot).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // kanava is down; the user writes meanwhile.
    u.server.take().expect("running").stop();
    u.send("Tallennetaanko tämä keskustelu?").await;
    start_again(&mut u, synapse);
    assert_eq!(topics(&u.seen(PATIENCE).await), ["chat-privacy"]);
    assert!(
        u.seen(Duration::from_secs(3)).await.is_empty(),
        "answered twice"
    );
    assert_eq!(
        bot_devices(synapse, &u.bot).await,
        before,
        "a new device after restart"
    );

    // Still decrypts new messages in the encrypted room after the restart.
    u.send("Hur länge tar behandlingen av min ansökan?").await;
    assert_eq!(topics(&u.seen(PATIENCE).await), ["processing-time"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homeserver_outage_is_survived_and_the_waiting_message_answered_once() {
    let mut synapse = Synapse::start();
    let mut u = MatrixUser::start_on(&synapse).await;
    let addr = u.server.as_ref().expect("running").addr.clone();
    u.open_room(false).await;
    u.send("Why can't I see my queue position anymore?").await;
    assert_eq!(topics(&u.seen(PATIENCE).await), ["queue-position"]);

    synapse.pause();
    let http = reqwest::Client::new();
    let health = |addr: String| {
        let http = http.clone();
        async move {
            http.get(format!("http://{addr}/healthz"))
                .send()
                .await
                .expect("healthz")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = health(addr.clone()).await;
        let matrix = h["channels"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["channel"] == "matrix").cloned())
            .unwrap_or_default();
        if matrix["state"] == "degraded" {
            break;
        }
        assert!(Instant::now() < deadline, "never degraded: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The web chat is unaffected meanwhile.
    let mut ws = crate::support::connect(&format!("ws://{addr}/ws")).await;
    crate::support::hello(&mut ws, "en").await;
    let a = crate::support::ask(&mut ws, "Is this chat stored?").await;
    assert_eq!(a["topic"], "chat-privacy", "{a}");

    // The user's client keeps trying to send (one transaction id: no duplicates) while the
    // homeserver is down; it goes through once Synapse is back.
    let room = u.room().clone();
    let sender = tokio::spawn(async move {
        let txn = OwnedTransactionId::from("user-outage-question");
        loop {
            let content = RoomMessageEventContent::text_plain("Tallennetaanko tämä keskustelu?");
            if room
                .send(content)
                .with_transaction_id(txn.clone())
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    synapse.resume();
    let back = Instant::now();
    sender.await.expect("sent");
    let answers = u.seen(Duration::from_secs(90)).await;
    eprintln!(
        "matrix outage: answered {:.1} s after Synapse was back (sync backoff included)",
        back.elapsed().as_secs_f32() - crate::contract::QUIET.as_secs_f32()
    );
    assert_eq!(topics(&answers), ["chat-privacy"], "{answers:?}");
    assert!(
        u.seen(Duration::from_secs(3)).await.is_empty(),
        "answered twice"
    );
    let h = health(addr).await;
    assert!(h["status"] == "ok", "recovered: {h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_the_bot_answers_only_when_mentioned() {
    let synapse = crate::peers::synapse();
    let mut u = MatrixUser::start_on(synapse).await;
    // A third member makes it a group.
    let other = UserClient::login(
        synapse,
        &format!("other{:08x}", rand::random::<u32>()),
        &u.bot,
    )
    .await;
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request, RoomPreset};
    let mut req = Request::new();
    req.invite = vec![
        UserId::parse(&u.bot).expect("bot"),
        other.client.user_id().expect("other").to_owned(),
    ];
    req.preset = Some(RoomPreset::PublicChat);
    let room = u.user.client.create_room(req).await.expect("room");
    other
        .client
        .join_room_by_id(room.room_id())
        .await
        .expect("join");
    u.room = Some(room);
    // The bot joins; no greeting in a group.
    let deadline = Instant::now() + PATIENCE;
    let bot = UserId::parse(&u.bot).expect("bot");
    loop {
        let _ = u.room().sync_members().await;
        let joined = u
            .room()
            .get_member_no_sync(&bot)
            .await
            .ok()
            .flatten()
            .is_some_and(|m| {
                *m.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join
            });
        if joined {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "bot never joined: {}",
            u.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    u.send("Hur länge tar behandlingen av min ansökan?").await;
    assert!(
        u.seen(Duration::from_secs(3)).await.is_empty(),
        "answered without a mention"
    );
    u.send(&format!(
        "{} Hur länge tar behandlingen av min ansökan?",
        u.bot
    ))
    .await;
    assert_eq!(topics(&u.seen(PATIENCE).await), ["processing-time"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_from_servers_not_allowed_are_declined() {
    let synapse = crate::peers::synapse();
    let suffix = format!("{:08x}", rand::random::<u32>());
    let bot = format!("@strict{suffix}:localhost");
    synapse.register(&format!("strict{suffix}"), "strict-pw-1", false);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut e = env(synapse, &bot, "strict-pw-1");
    e.push(("KANAVA_MATRIX_ALLOWED_SERVERS", "[\"example.org\"]".into()));
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _server = Server::start(&data, &e);
    let user = UserClient::login(synapse, &format!("u{suffix}"), &bot).await;
    let room = user
        .client
        .create_dm(&UserId::parse(&bot).expect("bot"))
        .await
        .expect("dm");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let _ = room.sync_members().await;
        let member = room
            .get_member_no_sync(&UserId::parse(&bot).expect("bot"))
            .await
            .expect("members");
        if member.is_some_and(|m| {
            *m.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Leave
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "the invite was not declined");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
