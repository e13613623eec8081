//! Data-subject rights: export, erase (nothing of the identity remains anywhere, the audit says
//! so and still verifies), the legal-hold refusal, and restriction.

use std::sync::Arc;

use kanava::clock::ManualClock;
use kanava::guard::{IdentifierKey, TermsConfig, TermsGuard};
use kanava::storage::Identity;
use kanava::subject::{SubjectError, Subjects};
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};

const T0: u64 = 1_800_000_000_000_000;

#[tokio::test]
async fn export_then_erase_leaves_nothing_of_the_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = kanava::storage::open_embedded(dir.path()).expect("storage");
    let store = storage.conversations.clone();
    let clock = Arc::new(ManualClock::new(T0));
    let guard = Arc::new(
        TermsGuard::open(
            &storage,
            TermsConfig::default(),
            IdentifierKey::new([9; 32]),
            clock.clone(),
        )
        .await
        .expect("guard"),
    );
    let engine = crate::support::engine(store.clone(), guard.clone(), clock.clone());
    let msg = |user: &str, event: Event| Inbound {
        identity: UserIdentity::new(ChannelId::new("webchat"), user),
        chat: ChatId::new(format!("chat-of-{user}")),
        event,
        client: None,
    };
    for user in ["alice", "bob"] {
        let t = engine
            .turn(msg(
                user,
                Event::Text("Kuinka kauan käsittely kestää?".into()),
            ))
            .await;
        let id = t.replies[0].feedback.clone().expect("rateable");
        engine
            .turn(msg(
                user,
                Event::Feedback {
                    reply: id,
                    helpful: true,
                },
            ))
            .await;
        clock.advance(1_000_000);
    }
    engine
        .turn(msg(
            "alice",
            Event::Text("Buy cheap permits, guaranteed, www.example.com".into()),
        ))
        .await;
    guard
        .block_add("webchat", "alice", "mod-anna", "test", None, T0)
        .await
        .expect("block");

    let subjects = Subjects::new(store.as_ref(), &guard);
    let export = subjects
        .export("webchat", "alice", "dpo-eva", "access request 1", T0)
        .await
        .expect("export");
    assert_eq!(export.transcripts.len(), 4);
    assert_eq!(export.feedback.len(), 1);
    assert_eq!(export.sessions.len(), 1);
    assert!(export.block.is_some());
    assert!(
        export.audit.iter().any(|r| r.kind == "strike"),
        "audit entries that concern them"
    );
    let json = serde_json::to_string(&export).expect("json");
    assert!(json.contains("Kuinka kauan") && !json.contains("bob"));

    // With a legal hold, erasure is refused and the refusal audited.
    assert!(matches!(
        subjects
            .erase("webchat", "alice", "dpo-eva", "erasure request 2", true, T0)
            .await,
        Err(SubjectError::LegalHold)
    ));
    assert_eq!(
        guard
            .audit_log()
            .list(0, Some("erase_refused"))
            .await
            .expect("audit")
            .len(),
        1
    );

    let done = subjects
        .erase(
            "webchat",
            "alice",
            "dpo-eva",
            "erasure request 2",
            false,
            T0 + 1,
        )
        .await
        .expect("erase");
    assert_eq!((done.transcripts, done.feedback, done.sessions), (4, 1, 1));
    assert!(done.audit_blanked >= 3);
    // Nothing of alice remains that any port can reach, in the running guard either (the
    // embedded backend's own test checks every raw tree); bob is untouched.
    let alice = Identity::new("webchat", "alice");
    let left = store.records_of(&alice).await.expect("records");
    assert!(left.transcripts.is_empty() && left.feedback.is_empty() && left.sessions.is_empty());
    let moderation = storage.moderation.load().await.expect("moderation");
    assert!(moderation.blocks.iter().all(|b| b.user != "alice"));
    assert!(moderation.strikes.iter().all(|x| x.identity != alice));
    assert!(moderation.levels.iter().all(|(who, _)| *who != alice));
    assert!(guard.block_list().iter().all(|b| b.user != "alice"));
    let audit = guard.audit_log().list(0, None).await.expect("audit");
    assert!(audit
        .iter()
        .all(|r| r.subject.as_ref().is_none_or(|(_, u)| u != "alice")));
    let bob = store
        .records_of(&Identity::new("webchat", "bob"))
        .await
        .expect("bob");
    assert_eq!(bob.transcripts.len(), 2);
    let erase = guard
        .audit_log()
        .list(0, Some("erase"))
        .await
        .expect("audit");
    assert!(erase[0].reason.contains("4 transcript lines") && erase[0].actor == "dpo-eva");
    assert_eq!(
        guard.audit_log().verify().await.expect("verify").broken,
        None
    );

    subjects
        .restrict(
            "webchat",
            "bob",
            "dpo-eva",
            "disputes accuracy",
            false,
            T0 + 2,
        )
        .await
        .expect("restrict");
    assert_eq!(guard.restricted(), vec![Identity::new("webchat", "bob")]);
    assert_eq!(
        subjects.restricted_counts().await.expect("counts"),
        (1, 2, 1),
        "bob's records are left out of statistics"
    );
    assert!(subjects
        .export("webchat", "bob", "dpo-eva", "check", T0 + 3)
        .await
        .expect("export")
        .restricted
        .is_some());
}
