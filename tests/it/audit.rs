//! The audit log's hash chain through `AuditLog`: intact after ordinary use and erasure, and
//! continued after reopening. (Tampering with stored records is shown on the embedded backend
//! itself, in `storage/sled`, where raw records can be changed.)

use kanava::audit::{AuditLog, AuditRecord};

fn record(at: u64, kind: &str, user: Option<&str>) -> AuditRecord {
    AuditRecord {
        at,
        kind: kind.into(),
        actor: "system".into(),
        subject: user.map(|u| ("webchat".to_string(), u.to_string())),
        reason: format!("reason {at}"),
    }
}

#[tokio::test]
async fn an_untouched_chain_verifies_survives_erasure_and_continues_after_reopening() {
    let storage = kanava::storage::temporary();
    let log = AuditLog::open(storage.audit.clone()).await.expect("log");
    for i in 0..10 {
        let user = if i % 2 == 0 { "a" } else { "b" };
        // Most records are queued without waiting, as the guard writes them.
        drop(log.append_unflushed(&record(1000 + i, "strike", Some(user))));
    }
    log.flush().await.expect("flush");
    assert_eq!(log.verify().await.expect("verify").broken, None);
    assert_eq!(log.erase_subject("webchat", "a").await.expect("erase"), 5);
    let v = log.verify().await.expect("verify");
    assert_eq!((v.records, v.broken), (10, None));
    let of_a = log.concerning("webchat", "a").await.expect("concerning");
    assert_eq!(
        of_a.len(),
        5,
        "records still concern the erased subject by hash"
    );
    assert!(of_a.iter().all(|r| r.subject.is_none()));
    assert_eq!(log.list(1005, Some("strike")).await.expect("list").len(), 5);
    // Reopening continues the same chain.
    drop(log);
    let log = AuditLog::open(storage.audit.clone()).await.expect("reopen");
    log.append(&record(2000, "unblock", None))
        .await
        .expect("append");
    let v = log.verify().await.expect("verify");
    assert_eq!((v.records, v.broken), (11, None));
}
