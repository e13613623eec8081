//! Telegram end to end against the Bot API emulator: restarts, rate limits, webhooks, a
//! rejected token, groups. (The shared conversation checks are in `contract`.)

use std::time::{Duration, Instant};

use kanava_adapter::Lang;
use serde_json::json;

use crate::contract::telegram::{env, reply, TelegramUser};
use crate::contract::{topic_of, Channel, PATIENCE};
use crate::support::{free_port, Server};

fn topics(stored: &[serde_json::Value]) -> Vec<Option<String>> {
    stored
        .iter()
        .map(|m| topic_of(&reply(m)).map(|(t, _)| t))
        .collect()
}

/// One channel's entry in `/healthz`.
fn state_of<'h>(health: &'h serde_json::Value, channel: &str) -> &'h serde_json::Value {
    health["channels"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["channel"] == channel))
        .unwrap_or(&serde_json::Value::Null)
}

fn some(list: &[&str]) -> Vec<Option<String>> {
    list.iter().map(|t| Some(t.to_string())).collect()
}

async fn flood(u: &TelegramUser, count: u32, retry_after: u32) {
    u.post(
        "/_kanava/flood",
        json!({"token": u.token, "count": count, "retry_after": retry_after}),
    )
    .await;
}

async fn refused(u: &TelegramUser) -> u64 {
    u.post("/_kanava/flood/state", json!({"token": u.token}))
        .await["result"]["refused"]
        .as_u64()
        .unwrap_or(0)
}

/// Stored user questions, through the control socket.
fn questions_stored(u: &TelegramUser) -> usize {
    let out = crate::support::kanava_data_ok(
        &[
            "subject",
            "export",
            "--channel",
            "telegram",
            "--user",
            &u.user(),
            "--reason",
            "test",
            "--staff",
            "dpo-test",
        ],
        &u.data,
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("export");
    v["transcripts"]
        .as_array()
        .expect("transcripts")
        .iter()
        .filter(|r| r["role"] == "user")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_conversation_loses_no_update_and_answers_none_twice() {
    let mut u = TelegramUser::start().await;
    let first = u
        .say("En pääse kirjautumaan Enter Finlandiin, mitä teen?")
        .await;
    assert_eq!(first.len(), 1, "{first:?}");

    // Telegram refuses every send for a while: the next answer is computed and stored, then
    // waits in the outbox; the questions after it wait in Telegram's queue.
    flood(&u, 1000, 60).await;
    u.send("Hur länge tar behandlingen av min ansökan?").await;
    u.send("Why can't I see my queue position anymore?").await;
    u.send("Tallennetaanko tämä keskustelu?").await;
    let deadline = Instant::now() + PATIENCE;
    while refused(&u).await == 0 {
        assert!(Instant::now() < deadline, "kanava never tried to answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    u.server.take().expect("running").kill();
    flood(&u, 0, 1).await;
    // A question while kanava is down.
    u.send("Is this chat stored?").await;

    u.start_kanava();
    let after = u.collect(PATIENCE).await;
    assert_eq!(
        topics(&after),
        some(&[
            "processing-time",
            "queue-position",
            "chat-privacy",
            "chat-privacy"
        ]),
        "each question answered once, in order, the first one not again"
    );
    assert_eq!(questions_stored(&u), 5, "each question stored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let mut u = TelegramUser::start().await;
    u.open("en").await;
    flood(&u, 2, 2).await;
    let t = Instant::now();
    let r = u.say("Why can't I see my queue position anymore?").await;
    assert!(
        t.elapsed() >= Duration::from_millis(3800),
        "answered after {:?}, before the two 2 s waits Telegram asked for",
        t.elapsed()
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(refused(&u).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_answers_authentic_updates_and_rejects_others() {
    let mut u = TelegramUser::start().await;
    // Restart the same user's kanava in webhook mode.
    u.server.take().expect("running").stop();
    let port = free_port();
    let secret = "s3cret-webhook-token_0123456789";
    let hook = format!("http://127.0.0.1:{port}/telegram/webhook");
    let mut e = env(&u.api, &u.token);
    e.push(("KANAVA_TELEGRAM_MODE", "webhook".into()));
    e.push(("KANAVA_TELEGRAM_WEBHOOK_URL", hook.clone()));
    e.push(("KANAVA_TELEGRAM_WEBHOOK_SECRET", secret.into()));
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    u.server = Some(Server::start_on(&u.data, &format!("127.0.0.1:{port}"), &e));

    // The emulator posts to the webhook once kanava has registered it.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let info = u
            .http
            .get(format!("{}/bot{}/getWebhookInfo", u.api, u.token))
            .send()
            .await
            .expect("emulator")
            .json::<serde_json::Value>()
            .await
            .expect("json");
        if info["result"]["url"] == hook.as_str() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "webhook never registered: {info}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = u.say("Hur länge tar behandlingen av min ansökan?").await;
    assert_eq!(
        r.iter()
            .filter_map(topic_of)
            .map(|(t, _)| t)
            .collect::<Vec<_>>(),
        ["processing-time"]
    );

    let update = |id: u32| {
        json!({"update_id": id, "message": {"message_id": 1, "date": 1_700_000_000,
            "chat": u.chat, "from": {"id": u.user_id, "is_bot": false, "first_name": "T"},
            "text": "Why can't I see my queue position anymore?"}})
    };
    let post = |secret: Option<&str>, body: String| {
        let mut req = u
            .http
            .post(&hook)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send()
    };
    let forged = update(900_001).to_string();
    assert_eq!(
        post(None, forged.clone()).await.expect("http").status(),
        401
    );
    assert_eq!(
        post(Some("s3cret-webhook-token_012345678X"), forged.clone())
            .await
            .expect("http")
            .status(),
        401
    );
    let bad = post(Some(secret), "{\"update_id\": 5, \"message\": ".into())
        .await
        .expect("http");
    assert_eq!(bad.status(), 400);
    assert!(bad
        .text()
        .await
        .unwrap_or_default()
        .contains("malformed update"));
    assert!(
        u.collect(Duration::from_millis(1500)).await.is_empty(),
        "a rejected update was answered"
    );
    assert_eq!(questions_stored(&u), 1, "a rejected update was stored");

    // Telegram retries a webhook call it considers failed: the same update twice, one answer.
    let genuine = update(900_002).to_string();
    for _ in 0..2 {
        assert_eq!(
            post(Some(secret), genuine.clone())
                .await
                .expect("http")
                .status(),
            200
        );
    }
    let answers = u.collect(PATIENCE).await;
    assert_eq!(topics(&answers), some(&["queue-position"]));
    assert_eq!(questions_stored(&u), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_fails_only_the_telegram_channel() {
    let api = crate::peers::telegram();
    let token = format!(
        "{}:revoked{:08x}",
        rand::random::<u16>(),
        rand::random::<u32>()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let e = env(api, &token);
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&data, &e);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    let health = loop {
        let h: serde_json::Value = client
            .get(format!("http://{}/healthz", server.addr))
            .send()
            .await
            .expect("healthz")
            .json()
            .await
            .expect("json");
        if state_of(&h, "telegram")["state"] == "failed" {
            break h;
        }
        assert!(Instant::now() < deadline, "telegram never failed: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(state_of(&health, "webchat")["state"], "running", "{health}");
    assert!(
        state_of(&health, "telegram")["reason"]
            .as_str()
            .is_some_and(|r| r.contains("rejected the bot token")),
        "{health}"
    );
    // The web chat still answers.
    let mut ws = crate::support::connect(&server.ws_url()).await;
    crate::support::hello(&mut ws, "en").await;
    let a = crate::support::ask(&mut ws, "Why can't I see my queue position anymore?").await;
    assert_eq!(a["topic"], "queue-position", "{a}");
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    let secret = token.split_once(':').map(|(_, s)| s).unwrap_or_default();
    assert!(!log.contains(secret), "the token reached the log");
    let audit = crate::support::kanava_data_ok(&["audit", "--json", "--since", "1h"], &data);
    assert!(audit.contains("channel_failure"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_the_bot_answers_only_when_mentioned() {
    let mut u = TelegramUser::start().await;
    u.chat = json!({"id": -(u.user_id), "type": "supergroup", "title": "Neuvonta"});
    u.say_expecting_silence("Hur länge tar behandlingen av min ansökan?")
        .await;
    let text = "@KanavaTestBot Hur länge tar behandlingen av min ansökan?";
    let body = json!({
        "botToken": u.token, "chat": u.chat, "date": 1_700_000_000, "text": text,
        "from": {"id": u.user_id, "is_bot": false, "first_name": "T"},
        "entities": [{"type": "mention", "offset": 0, "length": 13}],
    });
    u.post("/sendMessage", body).await;
    let answers = u.collect(PATIENCE).await;
    assert_eq!(topics(&answers), some(&["processing-time"]));
    assert!(
        answers[0]["message"]["reply_parameters"]["message_id"].is_number(),
        "a group answer replies to its question: {}",
        answers[0]
    );
    // A case matter asked in the group gets the refusal there (it is about the question, not a
    // notice about the person), and so does an unknown language.
    for (text, expected) in [
        (
            "@KanavaTestBot Missä vaiheessa hakemukseni on?",
            kanava::i18n::Text::CaseSpecific,
        ),
        (
            "/language xx@KanavaTestBot",
            kanava::i18n::Text::LanguageUnknown,
        ),
    ] {
        let body = json!({
            "botToken": u.token, "chat": u.chat, "date": 1_700_000_000, "text": text,
            "from": {"id": u.user_id, "is_bot": false, "first_name": "T"},
            "entities": [{"type": "mention", "offset": 0, "length": 13}],
        });
        u.post("/sendMessage", body).await;
        let got = u.collect(PATIENCE).await;
        let texts: Vec<&str> = got
            .iter()
            .filter_map(|m| m["message"]["text"].as_str())
            .collect();
        assert!(
            texts.len() == 1
                && [Lang::Fi, Lang::Sv, Lang::En]
                    .iter()
                    .any(|l| texts[0].trim() == expected.get(*l).trim()),
            "{text}: {texts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_menu_is_published_in_three_languages() {
    let u = TelegramUser::start().await;
    let deadline = Instant::now() + PATIENCE;
    let menus = loop {
        let m = u.post("/_kanava/commands", json!({"token": u.token})).await["result"].clone();
        if m.as_object().is_some_and(|o| o.len() == 4) {
            break m;
        }
        assert!(Instant::now() < deadline, "menus: {m}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for (code, lang) in [
        ("", Lang::Fi),
        ("fi", Lang::Fi),
        ("sv", Lang::Sv),
        ("en", Lang::En),
    ] {
        let menu = menus[code].as_array().expect("a menu");
        let names: Vec<&str> = menu.iter().filter_map(|c| c["command"].as_str()).collect();
        assert_eq!(names, ["start", "help", "language", "appeal"], "{code}");
        assert_eq!(
            menu[2]["description"],
            kanava::i18n::Text::CommandLanguage.get(lang),
            "{code}"
        );
    }
}

/// Two bots, two instances (`[channels.NAME]`, here declared from the environment): each
/// answers its own users under its own name, and a block on one leaves the other alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_run_side_by_side_as_separate_instances() {
    let mut fi = TelegramUser::start().await;
    fi.server.take().expect("running").stop();
    let sv_dir = tempfile::tempdir().expect("tempdir");
    let mut sv = TelegramUser {
        _dir: sv_dir,
        data: fi.data.clone(),
        server: None,
        api: fi.api.clone(),
        token: crate::contract::telegram::new_token(),
        user_id: fi.user_id,
        chat: fi.chat.clone(),
        lang: "sv".into(),
        http: reqwest::Client::new(),
    };
    let mut env: Vec<(String, String)> = vec![("KANAVA_LOG".into(), "debug".into())];
    for (name, token) in [("TG_FI", &fi.token), ("TG_SV", &sv.token)] {
        for (key, value) in [
            ("KIND", "telegram"),
            ("TOKEN", token.as_str()),
            ("API_URL", fi.api.as_str()),
            ("POLL_TIMEOUT_SECONDS", "5"),
        ] {
            env.push((format!("KANAVA_CHANNELS_{name}_{key}"), value.to_string()));
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start(&fi.data, &env);

    let a = fi.say("Tallennetaanko tämä keskustelu?").await;
    assert_eq!(
        a.iter().filter_map(topic_of).collect::<Vec<_>>(),
        [("chat-privacy".to_string(), Lang::Fi)],
        "{a:?}"
    );
    let b = sv.say("Hur länge tar behandlingen av min ansökan?").await;
    assert_eq!(
        b.iter().filter_map(topic_of).collect::<Vec<_>>(),
        [("processing-time".to_string(), Lang::Sv)],
        "{b:?}"
    );
    let health: serde_json::Value = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = health["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter_map(|c| c["channel"].as_str())
        .collect();
    assert_eq!(names, ["tg_fi", "tg_sv", "webchat"], "{health}");

    // The same Telegram user on two bots is two identities.
    let user = fi.user();
    crate::support::kanava_data_ok(
        &[
            "block",
            "add",
            "--channel",
            "tg_fi",
            "--user",
            &user,
            "--reason",
            "test",
            "--hours",
            "1",
            "--moderator",
            "mod-test",
        ],
        &fi.data,
    );
    let notice = fi.say("Kauanko käsittely kestää?").await;
    assert!(notice.iter().all(|r| topic_of(r).is_none()), "{notice:?}");
    let c = sv.say("Lagras den här chatten?").await;
    assert_eq!(
        c.iter().filter_map(topic_of).collect::<Vec<_>>(),
        [("chat-privacy".to_string(), Lang::Sv)],
        "{c:?}"
    );
    server.stop();
}
