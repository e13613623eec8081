//! The terms-of-use guard: block lifecycle with escalation, restarts, bounded limiters,
//! enumeration and lockdown, appeals and moderator actions, on a manual clock.

use std::sync::Arc;

use kanava::clock::{ManualClock, MINUTE};
use kanava::guard::{
    BlockReason, Finding, Guard, GuardDecision, IdentifierKey, Notice, TermsConfig, TermsGuard,
    Violation,
};
use kanava::storage::Storage;
use kanava_adapter::{ChannelId, UserIdentity};

const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const T0: u64 = 1_800_000_000_000_000;

fn user(name: &str) -> UserIdentity {
    UserIdentity::new(ChannelId::new("webchat"), name)
}

async fn guard(storage: &Storage, clock: Arc<ManualClock>) -> TermsGuard {
    TermsGuard::open(
        storage,
        TermsConfig::default(),
        IdentifierKey::new([7; 32]),
        clock,
    )
    .await
    .expect("guard")
}

fn blocked(d: &GuardDecision) -> bool {
    matches!(
        d,
        GuardDecision::Deny {
            reason: "blocked",
            ..
        }
    )
}

#[tokio::test]
async fn strikes_block_with_one_notice_then_silence_and_escalate() {
    let db = kanava::storage::temporary();
    let clock = Arc::new(ManualClock::new(T0));
    let g = guard(&db, clock.clone()).await;
    let u = user("spammer");
    let mut now = T0;
    let mut durations = Vec::new();
    for round in 0..3 {
        assert_eq!(
            g.record(&u, now, Finding::Violation(Violation::Advertising))
                .notice(),
            None,
            "round {round}: first strike"
        );
        assert_eq!(
            g.record(&u, now + 1, Finding::Violation(Violation::Advertising))
                .notice(),
            None
        );
        let notice = g
            .record(&u, now + 2, Finding::Violation(Violation::Advertising))
            .notice()
            .expect("third strike blocks");
        let Notice::Blocked { reason, until } = notice else {
            panic!("{notice:?}")
        };
        assert_eq!(reason, BlockReason::Strikes);
        durations.push(until.map(|u| (u - (now + 2)) / HOUR));
        // The block notice went out with the warning: from now on, silence.
        assert_eq!(
            g.admit(&u, now + 3, None),
            GuardDecision::Deny {
                reason: "blocked",
                notice: None
            }
        );
        match until {
            Some(until) => {
                assert!(blocked(&g.admit(&u, until - 1, None)));
                now = until + 1;
                clock.advance(now - clock_now(&clock));
                assert_eq!(g.admit(&u, now, None), GuardDecision::Allow, "expired");
            }
            None => assert!(blocked(&g.admit(&u, now + 365 * DAY, None)), "indefinite"),
        }
    }
    assert_eq!(durations, [Some(24), Some(7 * 24), None]);
    let audit = g.audit_log().list(0, Some("block")).await.expect("audit");
    assert_eq!(audit.len(), 3);
    assert!(audit
        .iter()
        .all(|r| r.actor == "system" && r.subject == Some(("webchat".into(), "spammer".into()))));
}

fn clock_now(c: &ManualClock) -> u64 {
    use kanava::clock::Clock;
    c.now()
}

#[tokio::test]
async fn a_moderators_block_gets_one_notice_an_appeal_and_is_audited() {
    let db = kanava::storage::temporary();
    let g = guard(&db, Arc::new(ManualClock::new(T0))).await;
    let u = user("u1");
    g.block_add(
        "webchat",
        "u1",
        "mod-anna",
        "abusive language",
        Some(T0 + DAY),
        T0,
    )
    .await
    .expect("block");
    let first = g.admit(&u, T0 + 1, None);
    assert!(
        matches!(
            first,
            GuardDecision::Deny {
                notice: Some(Notice::Blocked {
                    reason: BlockReason::Moderator,
                    until: Some(_)
                }),
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(
        g.admit(&u, T0 + 2, None),
        GuardDecision::Deny {
            reason: "blocked",
            notice: None
        }
    );
    let appeal = g.admit(&u, T0 + 3, Some("I did not mean it, [NUMBER]"));
    assert_eq!(
        appeal,
        GuardDecision::Deny {
            reason: "blocked",
            notice: Some(Notice::AppealReceived)
        }
    );
    assert_eq!(
        g.block_list()[0].appeal.as_deref(),
        Some("I did not mean it, [NUMBER]")
    );
    g.block_remove("webchat", "u1", "mod-ben", "appeal accepted", T0 + 4)
        .await
        .expect("unblock");
    assert_eq!(g.admit(&u, T0 + 5, None), GuardDecision::Allow);
    let kinds: Vec<(String, String)> = g
        .audit_log()
        .list(0, None)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| (r.kind, r.actor))
        .collect();
    assert_eq!(
        kinds,
        [
            ("block".into(), "mod-anna".into()),
            ("appeal".into(), "user".into()),
            ("unblock".into(), "mod-ben".into())
        ]
    );
}

#[tokio::test]
async fn blocks_and_strikes_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(T0));
    let u = user("u2");
    {
        let db = kanava::storage::open_embedded(dir.path()).expect("storage");
        let g = guard(&db, clock.clone()).await;
        g.record(&u, T0, Finding::Violation(Violation::Advertising))
            .notice();
        g.record(&u, T0 + 1, Finding::Violation(Violation::Advertising))
            .notice();
        g.block_add("webchat", "other", "mod-anna", "test", None, T0)
            .await
            .expect("block");
        g.flush().await.expect("flush");
    }
    let db = kanava::storage::open_embedded(dir.path()).expect("storage");
    let g = guard(&db, clock).await;
    assert!(
        g.record(&u, T0 + 2, Finding::Violation(Violation::Advertising))
            .notice()
            .is_some(),
        "two strikes from before plus one block"
    );
    assert!(blocked(&g.admit(&user("other"), T0 + 3, None)));
    assert_eq!(
        g.audit_log()
            .list(0, Some("strike"))
            .await
            .expect("audit")
            .len(),
        3
    );
}

#[tokio::test]
async fn flooding_is_slowed_then_a_strike() {
    let db = kanava::storage::temporary();
    let clock = Arc::new(ManualClock::new(T0));
    let g = guard(&db, clock).await;
    let u = user("flooder");
    let decisions: Vec<GuardDecision> = (0..40).map(|i| g.admit(&u, T0 + i, None)).collect();
    let allowed = decisions
        .iter()
        .filter(|d| **d == GuardDecision::Allow)
        .count();
    assert_eq!(allowed, 10, "the burst");
    let slow = decisions
        .iter()
        .filter(|d| {
            matches!(
                d,
                GuardDecision::Deny {
                    notice: Some(Notice::SlowDown),
                    ..
                }
            )
        })
        .count();
    assert_eq!(slow, 1, "one 'please slow down', then drop");
    assert_eq!(
        g.audit_log()
            .list(0, Some("strike"))
            .await
            .expect("audit")
            .len(),
        1,
        "sustained flooding is a strike"
    );
}

#[tokio::test]
async fn limiter_memory_stays_bounded_under_100k_identities() {
    let db = kanava::storage::temporary();
    let clock = Arc::new(ManualClock::new(T0));
    // Generous shared limits: this is about the per-user limiter's memory.
    let config = TermsConfig {
        channel_rate: kanava::guard::Rate {
            per_minute: 10_000_000,
            burst: 1_000_000,
        },
        global_rate: kanava::guard::Rate {
            per_minute: 10_000_000,
            burst: 1_000_000,
        },
        ..TermsConfig::default()
    };
    let g = TermsGuard::open(&db, config, IdentifierKey::new([7; 32]), clock.clone())
        .await
        .expect("guard");
    for i in 0..100_000u64 {
        assert_eq!(
            g.admit(&user(&format!("u{i}")), T0, None),
            GuardDecision::Allow
        );
    }
    assert!(g.limiter_keys() > 90_000);
    clock.advance(10 * MINUTE);
    g.evict(T0 + 10 * MINUTE);
    assert!(
        g.limiter_keys() < 100,
        "idle keys are evicted: {}",
        g.limiter_keys()
    );
    // Strikes and identifier histories of users who never come back are trimmed too.
    let t1 = T0 + 10 * MINUTE;
    let key = IdentifierKey::new([7; 32]);
    for i in 0..1000u64 {
        let who = user(&format!("s{i}"));
        let _ = g
            .record(&who, t1, Finding::Violation(Violation::Advertising))
            .notice();
        let ids: Vec<_> = key
            .hash(&format!("{:06}", 100_000 + i * 97))
            .into_iter()
            .collect();
        let _ = g.record(&who, t1, Finding::Identifiers(&ids));
    }
    assert!(g.tracked() >= 2000, "{}", g.tracked());
    g.evict(t1 + 2 * DAY);
    assert_eq!(g.tracked(), 0);
}

#[tokio::test]
async fn enumeration_blocks_within_a_handful_and_a_spike_locks_identifiers_down() {
    let db = kanava::storage::temporary();
    let clock = Arc::new(ManualClock::new(T0));
    let g = guard(&db, clock).await;
    let key = g.identifier_key().expect("key").clone();
    let ids = |n: u64| vec![key.hash(&n.to_string()).expect("hash")];

    // Sequential numbers: the second already gives it away.
    let seq = user("seq");
    assert_eq!(
        g.record(&seq, T0, Finding::Identifiers(&ids(20_240_001))),
        GuardDecision::Allow
    );
    let d = g.record(&seq, T0 + 1, Finding::Identifiers(&ids(20_240_002)));
    assert!(
        matches!(
            d,
            GuardDecision::Deny {
                reason: "enumeration",
                notice: Some(Notice::Blocked {
                    reason: BlockReason::Enumeration,
                    ..
                })
            }
        ),
        "{d:?}"
    );

    // Random numbers: more than three distinct ones.
    let rnd = user("rnd");
    for (i, n) in [11_111_111u64, 52_345_678, 93_456_789]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            g.record(&rnd, T0 + i as u64, Finding::Identifiers(&ids(n))),
            GuardDecision::Allow
        );
    }
    assert!(matches!(
        g.record(&rnd, T0 + 5, Finding::Identifiers(&ids(74_567_890))),
        GuardDecision::Deny {
            reason: "enumeration",
            ..
        }
    ));

    // The same own number repeated is fine.
    let own = user("own");
    for i in 0..10 {
        assert_eq!(
            g.record(&own, T0 + i, Finding::Identifiers(&ids(31_415_926))),
            GuardDecision::Allow
        );
    }

    // A spike across many users: lockdown, identifiers get the general refusal.
    for i in 0..60u64 {
        let _ = g.record(
            &user(&format!("crowd{i}")),
            T0 + 10 + i,
            Finding::Identifiers(&ids(40_000_000 + i * 1000)),
        );
    }
    assert!(g.lockdown_active());
    let d = g.record(
        &user("newcomer"),
        T0 + 100,
        Finding::Identifiers(&ids(55_555_555)),
    );
    assert_eq!(
        d,
        GuardDecision::Deny {
            reason: "lockdown",
            notice: Some(Notice::GeneralOnly)
        }
    );
    assert_eq!(
        g.record(&user("newcomer"), T0 + 101, Finding::Identifiers(&[])),
        GuardDecision::Allow,
        "general questions still pass"
    );
    let alerts = g
        .audit_log()
        .list(0, Some("enumeration_alert"))
        .await
        .expect("audit");
    assert!(alerts.iter().any(|a| a.subject.is_none()), "a global alert");
    g.lift_lockdown("mod-anna", T0 + 200).await;
    assert!(!g.lockdown_active());
}
