//! Retention on a manual clock: a conversation 731 days old is purged with its index entries and
//! session, one 729 days old stays; a dry run deletes nothing; every run is audited.

use std::sync::Arc;
use std::time::Duration;

use kanava::audit::AuditLog;
use kanava::clock::{ManualClock, MINUTE};
use kanava::guard::OpenGuard;
use kanava::retention::Stores;
use kanava::retention::{purge, RetentionConfig};
use kanava::storage::Identity;
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};

const DAY: u64 = 24 * 60 * MINUTE;
const T0: u64 = 1_700_000_000_000_000;

#[tokio::test]
async fn records_at_731_days_go_and_at_729_days_stay() {
    let storage = kanava::storage::temporary();
    let store = storage.conversations.clone();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = crate::support::engine(store.clone(), Arc::new(OpenGuard), clock.clone());
    let ask = |user: &str| Inbound {
        identity: UserIdentity::new(ChannelId::new("webchat"), user),
        chat: ChatId::new(user),
        event: Event::Text("Kuinka kauan käsittely kestää?".into()),
        client: None,
    };
    let old = engine.turn(ask("old")).await;
    let id = old.replies[0].feedback.clone().expect("rateable");
    engine
        .turn(Inbound {
            event: Event::Feedback {
                reply: id,
                helpful: true,
            },
            ..ask("old")
        })
        .await;
    clock.advance(2 * DAY);
    engine.turn(ask("recent")).await;

    let audit = AuditLog::open(storage.audit.clone()).await.expect("audit");
    let stores = Stores {
        conversations: storage.conversations.as_ref(),
        moderation: storage.moderation.as_ref(),
        audit: &audit,
    };
    let now = T0 + 731 * DAY + MINUTE; // "old" is 731 days old, "recent" 729.
    let dry = purge(
        stores,
        &RetentionConfig::default(),
        now,
        true,
        "test",
        Duration::ZERO,
    )
    .await
    .expect("dry run");
    let due = |r: &kanava::retention::PurgeReport, class: &str| {
        r.classes
            .iter()
            .find(|c| c.class == class)
            .map_or(0, |c| c.purged)
    };
    assert_eq!(
        (
            due(&dry, "transcripts"),
            due(&dry, "feedback"),
            due(&dry, "sessions")
        ),
        (2, 1, 1)
    );
    assert_eq!(
        store.stats().await.expect("stats").transcript,
        4,
        "a dry run deletes nothing"
    );
    assert!(audit
        .list(0, Some("purge"))
        .await
        .expect("audit")
        .is_empty());

    let report = purge(
        stores,
        &RetentionConfig::default(),
        now,
        false,
        "test",
        Duration::from_millis(1),
    )
    .await
    .expect("purge");
    assert_eq!(
        (
            due(&report, "transcripts"),
            due(&report, "feedback"),
            due(&report, "sessions")
        ),
        (2, 1, 1)
    );
    let old = store
        .records_of(&Identity::new("webchat", "old"))
        .await
        .expect("export");
    assert!(old.transcripts.is_empty() && old.feedback.is_empty() && old.sessions.is_empty());
    let recent = store
        .records_of(&Identity::new("webchat", "recent"))
        .await
        .expect("export");
    assert_eq!(recent.transcripts.len(), 2);
    let oldest = report
        .classes
        .iter()
        .find(|c| c.class == "transcripts")
        .and_then(|c| c.oldest_remaining)
        .expect("oldest");
    assert_eq!(oldest, T0 + 2 * DAY);
    let runs = audit.list(0, Some("purge")).await.expect("audit");
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0].reason.contains("transcripts 2"),
        "{}",
        runs[0].reason
    );
    assert_eq!(audit.verify().await.expect("verify").broken, None);
}
