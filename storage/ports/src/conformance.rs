//! The store conformance suite: what every backend must do, run by each backend's tests through
//! [`crate::store_conformance_tests!`] (after matrix-rust-sdk's `statestore_integration_tests!`).
//! Panics are the failures; each case starts from an empty [`Storage`].

use kanava_adapter::{ChannelId, Lang};

use crate::audit::{self, AuditEntry, AuditRecord, GENESIS};
use crate::{
    Block, BlockReason, BlockSource, ConversationKey, FeedbackRecord, Identity, RecordClass,
    Restriction, Role, SessionState, Storage, Strike, TranscriptRecord,
};

/// Runs every case on storages made by `$open` (an expression giving a fresh, empty [`Storage`]
/// each time it is evaluated).
#[macro_export]
macro_rules! store_conformance_tests {
    ($open:expr) => {
        $crate::store_conformance_tests!(@cases $open;
            turns_are_stored_in_order_with_their_session,
            a_saved_session_replaces_the_earlier_one,
            records_of_one_identity_and_no_other,
            erasure_removes_one_identity_and_leaves_the_rest,
            purge_removes_what_is_due_in_bounded_steps,
            purge_across_months_removes_exactly_what_is_due,
            moderation_state_round_trips,
            forgetting_removes_all_moderation_state_of_one_identity,
            strikes_and_expired_blocks_are_purged_by_time,
            the_audit_chain_is_kept_in_order_and_survives_blanking,
            channel_states_are_isolated
        );
    };
    (@cases $open:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let storage: $crate::Storage = $open;
                $crate::conformance::$case(storage).await;
            }
        )*
    };
}

fn conv(channel: &str, chat: &str) -> ConversationKey {
    ConversationKey {
        channel: channel.into(),
        chat: chat.into(),
    }
}

fn session(user: &str, at: u64) -> SessionState {
    SessionState {
        id: format!("s-{user}"),
        user: user.into(),
        started: at,
        last_active: at,
        lang: Lang::Fi,
        lang_chosen: false,
    }
}

fn line(
    channel: &str,
    user: &str,
    chat: &str,
    at: u64,
    role: Role,
    text: &str,
) -> TranscriptRecord {
    TranscriptRecord {
        at,
        channel: channel.into(),
        user: user.into(),
        chat: chat.into(),
        session: format!("s-{user}"),
        role,
        lang: Lang::Fi,
        text: text.into(),
        topic: None,
        outcome: None,
        confidence: None,
        redactions: Default::default(),
    }
}

fn feedback(channel: &str, user: &str, chat: &str, at: u64) -> FeedbackRecord {
    FeedbackRecord {
        at,
        channel: channel.into(),
        user: user.into(),
        chat: chat.into(),
        reply: "00".into(),
        helpful: true,
    }
}

async fn turn(s: &Storage, channel: &str, user: &str, chat: &str, at: u64) {
    s.conversations
        .append_turn(
            &conv(channel, chat),
            &session(user, at),
            vec![
                line(channel, user, chat, at, Role::User, "question"),
                line(channel, user, chat, at, Role::Bot, "answer"),
            ],
        )
        .await
        .expect("append_turn");
}

fn block(channel: &str, user: &str, expires: Option<u64>) -> Block {
    Block {
        channel: channel.into(),
        user: user.into(),
        reason: BlockReason::Moderator,
        detail: "spam".into(),
        source: BlockSource::Moderator("mod-1".into()),
        created: 10,
        expires,
        level: 0,
        notified: false,
        appeal: None,
    }
}

#[doc(hidden)]
pub async fn turns_are_stored_in_order_with_their_session(s: Storage) {
    let c = &s.conversations;
    let keys = c
        .append_turn(
            &conv("webchat", "chat-1"),
            &session("alice", 100),
            vec![
                line("webchat", "alice", "chat-1", 100, Role::User, "q"),
                line("webchat", "alice", "chat-1", 100, Role::Bot, "a"),
            ],
        )
        .await
        .expect("append");
    assert_eq!(keys.len(), 2);
    assert!(keys[0] < keys[1], "keys in order: {keys:?}");
    let second = c
        .transcript_record(keys[1])
        .await
        .expect("read")
        .expect("present");
    assert_eq!((second.role, second.text.as_str()), (Role::Bot, "a"));
    let loaded = c
        .load_session(&conv("webchat", "chat-1"))
        .await
        .expect("load");
    assert_eq!(loaded, Some(session("alice", 100)));
    assert_eq!(
        c.load_session(&conv("webchat", "other"))
            .await
            .expect("load"),
        None
    );
    turn(&s, "webchat", "alice", "chat-1", 200).await;
    let all = c.transcript_all().await.expect("all");
    assert_eq!(
        all.iter().map(|r| r.at).collect::<Vec<_>>(),
        [100, 100, 200, 200]
    );
    let stats = c.stats().await.expect("stats");
    assert_eq!(
        (stats.transcript, stats.feedback, stats.sessions),
        (4, 0, 1)
    );
}

#[doc(hidden)]
pub async fn a_saved_session_replaces_the_earlier_one(s: Storage) {
    let c = &s.conversations;
    let k = conv("telegram", "42");
    c.save_session(&k, &session("u", 10)).await.expect("save");
    let mut later = session("u", 100);
    later.lang = Lang::Sv;
    later.lang_chosen = true;
    c.save_session(&k, &later).await.expect("save");
    assert_eq!(c.load_session(&k).await.expect("load"), Some(later));
    assert_eq!(c.stats().await.expect("stats").sessions, 1);
    // Retention sees the session's latest activity only.
    assert_eq!(c.due(RecordClass::Sessions, 50).await.expect("due"), 0);
    assert_eq!(
        c.purge(RecordClass::Sessions, 50, 10).await.expect("purge"),
        0
    );
    assert_eq!(
        c.oldest(RecordClass::Sessions).await.expect("oldest"),
        Some(100)
    );
    assert_eq!(
        c.purge(RecordClass::Sessions, 101, 10)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(c.load_session(&k).await.expect("load"), None);
}

#[doc(hidden)]
pub async fn records_of_one_identity_and_no_other(s: Storage) {
    // `a`+`bc` and `ab`+`c` must not be confused, whatever a backend's key layout.
    turn(&s, "a", "bc", "x", 10).await;
    turn(&s, "ab", "c", "x", 20).await;
    s.conversations
        .append_feedback(feedback("a", "bc", "x", 30))
        .await
        .expect("feedback");
    let r = s
        .conversations
        .records_of(&Identity::new("a", "bc"))
        .await
        .expect("records");
    assert_eq!(r.transcripts.len(), 2);
    assert!(r
        .transcripts
        .iter()
        .all(|t| t.channel == "a" && t.user == "bc"));
    assert_eq!(r.feedback.len(), 1);
    assert_eq!(r.sessions, vec![session("bc", 10)]);
    let none = s
        .conversations
        .records_of(&Identity::new("a", "b"))
        .await
        .expect("records");
    assert!(none.transcripts.is_empty() && none.feedback.is_empty() && none.sessions.is_empty());
}

#[doc(hidden)]
pub async fn erasure_removes_one_identity_and_leaves_the_rest(s: Storage) {
    turn(&s, "webchat", "alice", "c1", 10).await;
    turn(&s, "webchat", "alice", "c2", 20).await;
    turn(&s, "webchat", "bob", "c3", 30).await;
    // A session alice has without any transcript line (a language choice only).
    s.conversations
        .save_session(&conv("webchat", "c4"), &session("alice", 40))
        .await
        .expect("save");
    let c = &s.conversations;
    c.append_feedback(feedback("webchat", "alice", "c1", 11))
        .await
        .expect("fb");
    c.append_feedback(feedback("webchat", "bob", "c3", 31))
        .await
        .expect("fb");
    let alice = Identity::new("webchat", "alice");
    let erased = c.erase_of(&alice).await.expect("erase");
    assert_eq!(
        (erased.transcripts, erased.feedback, erased.sessions),
        (4, 1, 3)
    );
    let left = c.records_of(&alice).await.expect("records");
    assert!(left.transcripts.is_empty() && left.feedback.is_empty() && left.sessions.is_empty());
    let bob = c
        .records_of(&Identity::new("webchat", "bob"))
        .await
        .expect("bob");
    assert_eq!(
        (
            bob.transcripts.len(),
            bob.feedback.len(),
            bob.sessions.len()
        ),
        (2, 1, 1)
    );
    let stats = c.stats().await.expect("stats");
    assert_eq!(
        (stats.transcript, stats.feedback, stats.sessions),
        (2, 1, 1)
    );
    assert_eq!(c.erase_of(&alice).await.expect("again"), Default::default());
}

#[doc(hidden)]
pub async fn purge_removes_what_is_due_in_bounded_steps(s: Storage) {
    for at in 1..=5 {
        turn(&s, "webchat", "u", "c", at * 100).await;
        s.conversations
            .append_feedback(feedback("webchat", "u", "c", at * 100))
            .await
            .expect("fb");
    }
    let c = &s.conversations;
    // Records written at 100..=300 are older than 301; the one at exactly the cutoff stays.
    assert_eq!(c.due(RecordClass::Transcripts, 300).await.expect("due"), 4);
    assert_eq!(c.due(RecordClass::Transcripts, 301).await.expect("due"), 6);
    assert_eq!(
        c.purge(RecordClass::Transcripts, 301, 4)
            .await
            .expect("purge"),
        4
    );
    assert_eq!(
        c.purge(RecordClass::Transcripts, 301, 4)
            .await
            .expect("purge"),
        2
    );
    assert_eq!(
        c.purge(RecordClass::Transcripts, 301, 4)
            .await
            .expect("purge"),
        0
    );
    assert_eq!(
        c.oldest(RecordClass::Transcripts).await.expect("oldest"),
        Some(400)
    );
    assert_eq!(
        c.purge(RecordClass::Feedback, 201, 100)
            .await
            .expect("purge"),
        2
    );
    assert_eq!(
        c.oldest(RecordClass::Feedback).await.expect("oldest"),
        Some(300)
    );
    // What is purged is gone from the subject's records too.
    let r = c
        .records_of(&Identity::new("webchat", "u"))
        .await
        .expect("records");
    assert_eq!((r.transcripts.len(), r.feedback.len()), (4, 3));
    assert!(r.transcripts.iter().all(|t| t.at >= 400));
    assert_eq!(
        c.purge(RecordClass::Sessions, 1000, 10)
            .await
            .expect("sessions"),
        1
    );
    assert_eq!(c.oldest(RecordClass::Sessions).await.expect("oldest"), None);
    // The purge is durable once flushed.
    s.conversations.flush().await.expect("flush");
}

#[doc(hidden)]
pub async fn purge_across_months_removes_exactly_what_is_due(s: Storage) {
    // 2025-01-01, -02-01, -03-01 and -04-01, 00:00 UTC, in microseconds.
    const JAN: u64 = 1_735_689_600_000_000;
    const FEB: u64 = 1_738_368_000_000_000;
    const MAR: u64 = 1_740_787_200_000_000;
    const DAY: u64 = 86_400_000_000;
    let c = &s.conversations;
    // A turn across the turn of a month: the question in January, the answer in February.
    c.append_turn(
        &conv("webchat", "edge"),
        &session("eve", FEB),
        vec![
            line("webchat", "eve", "edge", FEB - 1, Role::User, "q"),
            line("webchat", "eve", "edge", FEB, Role::Bot, "a"),
        ],
    )
    .await
    .expect("turn across months");
    let mut keys = Vec::new();
    for (i, at) in [JAN, JAN + DAY, FEB + DAY, FEB + 20 * DAY, MAR + DAY]
        .into_iter()
        .enumerate()
    {
        let user = format!("u{i}");
        keys.extend(
            c.append_turn(
                &conv("webchat", &user),
                &session(&user, at),
                vec![line("webchat", &user, &user, at, Role::User, "q")],
            )
            .await
            .expect("turn"),
        );
        c.append_feedback(feedback("webchat", &user, &user, at))
            .await
            .expect("feedback");
    }
    let cutoff = FEB + 10 * DAY;
    // Due: January's two, eve's question, February's first; eve's answer (Feb 1 00:00) too.
    assert_eq!(
        c.due(RecordClass::Transcripts, cutoff).await.expect("due"),
        5
    );
    assert_eq!(c.due(RecordClass::Feedback, cutoff).await.expect("due"), 3);
    let mut purged = 0;
    loop {
        let n = c
            .purge(RecordClass::Transcripts, cutoff, 1)
            .await
            .expect("purge");
        if n == 0 {
            break;
        }
        purged += n;
    }
    assert_eq!(purged, 5);
    assert_eq!(
        c.due(RecordClass::Transcripts, cutoff).await.expect("due"),
        0
    );
    assert_eq!(
        c.oldest(RecordClass::Transcripts).await.expect("oldest"),
        Some(FEB + 20 * DAY)
    );
    assert_eq!(c.stats().await.expect("stats").transcript, 2);
    assert_eq!(c.transcript_record(keys[0]).await.expect("read"), None);
    assert!(c.transcript_record(keys[3]).await.expect("read").is_some());
    let all: Vec<u64> = c
        .transcript_all()
        .await
        .expect("all")
        .iter()
        .map(|r| r.at)
        .collect();
    assert_eq!(all, [FEB + 20 * DAY, MAR + DAY], "in time order");
    // Feedback has its own period: untouched by the transcripts' purge.
    assert_eq!(c.stats().await.expect("stats").feedback, 5);
    for (i, left) in [(0, 0), (2, 0), (3, 1), (4, 1)] {
        let r = c
            .records_of(&Identity::new("webchat", format!("u{i}")))
            .await
            .expect("records");
        assert_eq!(r.transcripts.len(), left, "u{i}");
    }
    // A later record in an emptied month is kept like any other.
    turn(&s, "webchat", "late", "late", JAN + 2 * DAY).await;
    let r = c
        .records_of(&Identity::new("webchat", "late"))
        .await
        .expect("records");
    assert_eq!(r.transcripts.len(), 2);
    assert_eq!(
        c.erase_of(&Identity::new("webchat", "late"))
            .await
            .expect("erase")
            .transcripts,
        2
    );
}

#[doc(hidden)]
pub async fn moderation_state_round_trips(s: Storage) {
    let m = &s.moderation;
    let alice = Identity::new("webchat", "alice");
    let mut b = block("webchat", "alice", Some(1000));
    m.put_block(&b).await.expect("put");
    b.appeal = Some("please".into());
    m.put_block(&b).await.expect("replace");
    assert_eq!(m.block_of(&alice).await.expect("get"), Some(b.clone()));
    m.set_level(&alice, 2).await.expect("level");
    m.add_strike(&Strike {
        identity: alice.clone(),
        at: 5,
        why: "advertising".into(),
    })
    .await
    .expect("strike");
    // Two strikes at the same moment are two strikes (a backend may move the second on by a
    // microsecond to keep its key unique).
    m.add_strike(&Strike {
        identity: alice.clone(),
        at: 5,
        why: "advertising".into(),
    })
    .await
    .expect("strike");
    let r = Restriction {
        since: 7,
        reason: "request".into(),
        actor: "dpo".into(),
    };
    m.put_restriction(&alice, &r).await.expect("restrict");
    m.flush().await.expect("flush");
    let snap = m.load().await.expect("load");
    assert_eq!(snap.blocks, vec![b]);
    assert_eq!(snap.levels, vec![(alice.clone(), 2)]);
    assert_eq!(snap.strikes.len(), 2);
    assert!(snap
        .strikes
        .iter()
        .all(|x| x.identity == alice && (5..=6).contains(&x.at) && x.why == "advertising"));
    assert_eq!(snap.restrictions, vec![(alice.clone(), r.clone())]);
    assert_eq!(m.restriction_of(&alice).await.expect("get"), Some(r));
    assert!(m.remove_restriction(&alice).await.expect("lift"));
    assert!(!m.remove_restriction(&alice).await.expect("lift again"));
    assert!(m.remove_block(&alice).await.expect("unblock"));
    assert!(!m.remove_block(&alice).await.expect("unblock again"));
    assert_eq!(m.block_of(&alice).await.expect("get"), None);
}

#[doc(hidden)]
pub async fn forgetting_removes_all_moderation_state_of_one_identity(s: Storage) {
    let m = &s.moderation;
    let (alice, bob) = (Identity::new("tg", "alice"), Identity::new("tg", "bob"));
    for who in [&alice, &bob] {
        m.put_block(&block(&who.channel, &who.user, None))
            .await
            .expect("block");
        m.set_level(who, 1).await.expect("level");
        m.add_strike(&Strike {
            identity: who.clone(),
            at: 3,
            why: "x".into(),
        })
        .await
        .expect("strike");
        m.put_restriction(
            who,
            &Restriction {
                since: 1,
                reason: "r".into(),
                actor: "a".into(),
            },
        )
        .await
        .expect("restrict");
    }
    let f = m.forget(&alice).await.expect("forget");
    assert_eq!((f.records, f.strikes), (3, 1));
    let snap = m.load().await.expect("load");
    assert_eq!(snap.blocks.len(), 1);
    assert!(snap.blocks.iter().all(|b| b.user == "bob"));
    assert_eq!(snap.levels, vec![(bob.clone(), 1)]);
    assert!(snap.strikes.iter().all(|x| x.identity == bob));
    assert_eq!(snap.restrictions.len(), 1);
}

#[doc(hidden)]
pub async fn strikes_and_expired_blocks_are_purged_by_time(s: Storage) {
    let m = &s.moderation;
    for at in [10, 20, 30] {
        m.add_strike(&Strike {
            identity: Identity::new("c", format!("u{at}")),
            at,
            why: "x".into(),
        })
        .await
        .expect("strike");
    }
    assert_eq!(m.strikes_due(21).await.expect("due"), 2);
    assert_eq!(m.purge_strikes(21, 1).await.expect("purge"), 1);
    assert_eq!(m.purge_strikes(21, 10).await.expect("purge"), 1);
    assert_eq!(m.oldest_strike().await.expect("oldest"), Some(30));
    m.put_block(&block("c", "old", Some(100)))
        .await
        .expect("block");
    m.put_block(&block("c", "recent", Some(500)))
        .await
        .expect("block");
    m.put_block(&block("c", "forever", None))
        .await
        .expect("block");
    assert_eq!(m.purge_expired_blocks(200, true).await.expect("dry"), 1);
    assert_eq!(m.load().await.expect("load").blocks.len(), 3);
    assert_eq!(m.purge_expired_blocks(200, false).await.expect("purge"), 1);
    let left: Vec<String> = m
        .load()
        .await
        .expect("load")
        .blocks
        .into_iter()
        .map(|b| b.user)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&"old".to_string()));
}

#[doc(hidden)]
pub async fn the_audit_chain_is_kept_in_order_and_survives_blanking(s: Storage) {
    let a = &s.audit;
    assert_eq!(a.last().await.expect("last"), None);
    let mut prev = GENESIS.to_string();
    // The clock steps back at the fourth record: order is append order all the same.
    for (i, at) in [100u64, 200, 300, 250, 400].into_iter().enumerate() {
        let e = AuditEntry::after(
            &prev,
            AuditRecord {
                at,
                kind: "strike".into(),
                actor: "system".into(),
                subject: Some(("webchat".into(), if i % 2 == 0 { "a" } else { "b" }.into())),
                reason: format!("r{i}"),
            },
        );
        prev = e.hash.clone();
        a.append(e).await.expect("append");
    }
    a.flush().await.expect("flush");
    assert_eq!(a.last().await.expect("last").map(|e| e.hash), Some(prev));
    let all = a.since(0).await.expect("all");
    let reasons: Vec<String> = all
        .iter()
        .flatten()
        .map(|e| e.record.reason.clone())
        .collect();
    assert_eq!(reasons, ["r0", "r1", "r2", "r3", "r4"]);
    assert_eq!(audit::verify(all).broken, None);
    let recent = a.since(300).await.expect("since");
    assert_eq!(recent.len(), 3, "{recent:?}");
    let target = audit::subject_hash(&Identity::new("webchat", "a"));
    assert_eq!(a.blank_subject(&target).await.expect("blank"), 3);
    assert_eq!(a.blank_subject(&target).await.expect("again"), 0);
    let after = a.since(0).await.expect("all");
    assert!(after
        .iter()
        .flatten()
        .filter(|e| e.concerns(&target))
        .all(|e| e.record.subject.is_none()));
    assert_eq!(
        audit::verify(after),
        audit::Verification {
            records: 5,
            broken: None
        }
    );
}

#[doc(hidden)]
pub async fn channel_states_are_isolated(s: Storage) {
    let a = s.channels.open(&ChannelId::new("tg")).expect("open");
    let b = s.channels.open(&ChannelId::new("tg2")).expect("open");
    a.put(b"offset", b"7").expect("put");
    a.put(b"u/2", b"y").expect("put");
    a.put(b"u/1", b"x").expect("put");
    b.put(b"u/3", b"z").expect("put");
    assert_eq!(
        a.scan(b"u/").expect("scan"),
        vec![
            (b"u/1".to_vec(), b"x".to_vec()),
            (b"u/2".to_vec(), b"y".to_vec())
        ]
    );
    assert_eq!(b.get(b"offset").expect("get"), None);
    a.remove(b"u/1").expect("remove");
    a.remove(b"missing").expect("remove absent");
    assert_eq!(a.scan(b"u/").expect("scan").len(), 1);
    assert_eq!(a.get(b"offset").expect("get").as_deref(), Some(&b"7"[..]));
}
