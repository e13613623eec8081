//! The audit log's hash chain: intact after ordinary use and erasure, broken by a modified or a
//! deleted record.

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

fn log_with_records() -> (sled::Db, AuditLog) {
    let db = sled::Config::new().temporary(true).open().expect("db");
    let log = AuditLog::open(&db).expect("log");
    for i in 0..10 {
        log.append(&record(
            1000 + i,
            "strike",
            Some(if i % 2 == 0 { "a" } else { "b" }),
        ))
        .expect("append");
    }
    (db, log)
}

#[test]
fn an_untouched_chain_verifies_and_survives_erasure() {
    let (db, log) = log_with_records();
    assert_eq!(log.verify().expect("verify").broken, None);
    assert_eq!(log.erase_subject("webchat", "a").expect("erase"), 5);
    let v = log.verify().expect("verify");
    assert_eq!((v.records, v.broken), (10, None));
    assert!(log
        .concerning("webchat", "a")
        .expect("concerning")
        .iter()
        .all(|r| r.subject.is_none()));
    // Reopening continues the same chain.
    drop(log);
    let log = AuditLog::open(&db).expect("reopen");
    log.append(&record(2000, "unblock", None)).expect("append");
    assert_eq!(log.verify().expect("verify").broken, None);
}

#[test]
fn a_modified_record_is_detected() {
    let (_db, log) = log_with_records();
    let (k, v) = log.tree().iter().nth(4).expect("record").expect("read");
    let text = String::from_utf8(v.to_vec())
        .expect("utf8")
        .replace("reason 1004", "reason changed");
    log.tree().insert(k, text.as_bytes()).expect("tamper");
    let broken = log.verify().expect("verify").broken.expect("detected");
    assert_eq!(broken.0, 1004);
    assert!(broken.1.contains("content was changed"), "{broken:?}");
}

#[test]
fn a_deleted_record_is_detected() {
    let (_db, log) = log_with_records();
    let (k, _) = log.tree().iter().nth(6).expect("record").expect("read");
    log.tree().remove(k).expect("delete");
    let broken = log.verify().expect("verify").broken.expect("detected");
    assert_eq!(broken.0, 1007);
    assert!(broken.1.contains("removed or inserted"), "{broken:?}");
}
