//! The conformance suite on sled, and what only an embedded database can show: data survives
//! reopening, erasure leaves no byte of the person in any tree, tampering breaks the chain.

use kanava_adapter::{ChannelId, Lang};
use kanava_store::audit as chain_audit;
use kanava_store::audit::{AuditEntry, AuditRecord, GENESIS};
use kanava_store::{
    ConversationKey, Identity, RecordClass, Role, SessionState, Storage, TranscriptRecord,
};

use super::*;

kanava_store::store_conformance_tests!(temporary().expect("temporary sled"));

fn raw(dir: &Path) -> (sled::Db, Storage) {
    let db = sled::Config::new().path(dir).open().expect("sled");
    let storage = from_db(db.clone()).expect("storage");
    (db, storage)
}

fn line(user: &str, at: u64) -> TranscriptRecord {
    TranscriptRecord {
        at,
        channel: "webchat".into(),
        user: user.into(),
        chat: format!("chat-{user}"),
        session: "s".into(),
        role: Role::User,
        lang: Lang::En,
        text: "hello".into(),
        topic: None,
        outcome: None,
        confidence: None,
        redactions: Default::default(),
    }
}

async fn turn(s: &Storage, user: &str, at: u64) {
    let conv = ConversationKey {
        channel: "webchat".into(),
        chat: format!("chat-{user}"),
    };
    let session = SessionState {
        id: "s".into(),
        user: user.into(),
        started: at,
        last_active: at,
        lang: Lang::En,
        lang_chosen: false,
    };
    s.conversations
        .append_turn(&conv, &session, vec![line(user, at)])
        .await
        .expect("turn");
}

fn audit_record(at: u64, user: &str) -> AuditRecord {
    AuditRecord {
        at,
        kind: "strike".into(),
        actor: "system".into(),
        subject: Some(("webchat".into(), user.into())),
        reason: format!("reason {at}"),
    }
}

async fn chain(s: &Storage, n: u64) {
    let mut prev = GENESIS.to_string();
    for i in 0..n {
        let e = AuditEntry::after(
            &prev,
            audit_record(1000 + i, if i % 2 == 0 { "a" } else { "b" }),
        );
        prev = e.hash.clone();
        s.audit.append(e).await.expect("append");
    }
    s.audit.flush().await.expect("flush");
}

#[tokio::test]
async fn everything_survives_reopening() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let s = open(dir.path()).expect("open");
        turn(&s, "alice", 10).await;
        chain(&s, 3).await;
        s.channels
            .open(&ChannelId::new("tg"))
            .expect("channel")
            .put(b"offset", b"7")
            .expect("put");
        s.moderation
            .set_level(&Identity::new("webchat", "alice"), 2)
            .await
            .expect("level");
        s.moderation.flush().await.expect("flush");
    }
    let s = open(dir.path()).expect("reopen");
    assert_eq!(
        s.conversations.transcript_all().await.expect("all").len(),
        1
    );
    assert_eq!(
        chain_audit::verify(s.audit.since(0).await.expect("audit")).records,
        3
    );
    let tg = s.channels.open(&ChannelId::new("tg")).expect("channel");
    assert_eq!(tg.get(b"offset").expect("get").as_deref(), Some(&b"7"[..]));
    let levels = s.moderation.load().await.expect("load").levels;
    assert_eq!(levels, vec![(Identity::new("webchat", "alice"), 2)]);
}

#[tokio::test]
async fn a_second_process_is_told_the_directory_is_in_use() {
    let dir = tempfile::tempdir().expect("dir");
    let _first = open(dir.path()).expect("open");
    // sled's lock is per process: a second open in this process is allowed, so the error is
    // checked on the mapping itself.
    let io = std::io::Error::new(std::io::ErrorKind::WouldBlock, "could not acquire lock");
    assert!(matches!(
        lock_error(sled::Error::Io(io), dir.path()),
        StoreError::Locked { .. }
    ));
}

#[tokio::test]
async fn erasure_leaves_nothing_of_the_person_in_any_tree() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, s) = raw(dir.path());
    turn(&s, "alice", 10).await;
    turn(&s, "alice", 20).await;
    turn(&s, "bob", 30).await;
    let alice = Identity::new("webchat", "alice");
    s.moderation
        .add_strike(&kanava_store::Strike {
            identity: alice.clone(),
            at: 5,
            why: "advertising".into(),
        })
        .await
        .expect("strike");
    s.moderation.set_level(&alice, 1).await.expect("level");
    chain(&s, 4).await;
    s.conversations.erase_of(&alice).await.expect("erase");
    s.moderation.forget(&alice).await.expect("forget");
    s.audit
        .blank_subject(&chain_audit::subject_hash(&Identity::new("webchat", "a")))
        .await
        .expect("blank");
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for item in tree.iter() {
            let (k, v) = item.expect("read");
            let hit = |b: &[u8]| b.windows(5).any(|w| w == b"alice");
            assert!(
                !hit(&k) && !hit(&v),
                "alice remains in {:?}",
                String::from_utf8_lossy(&name)
            );
            // The subject index holds hashes only; none of alice's is left.
            if String::from_utf8_lossy(&name).contains("by_subject") {
                assert!(!k.starts_with(&alice.subject_key()));
            }
        }
    }
    let bob = s
        .conversations
        .records_of(&Identity::new("webchat", "bob"))
        .await
        .expect("bob");
    assert_eq!((bob.transcripts.len(), bob.sessions.len()), (1, 1));
    assert_eq!(
        chain_audit::verify(s.audit.since(0).await.expect("audit")).broken,
        None
    );
}

#[tokio::test]
async fn a_modified_audit_record_is_detected() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, s) = raw(dir.path());
    chain(&s, 10).await;
    let tree = db.open_tree(crate::audit::TREE).expect("tree");
    let (k, v) = tree.iter().nth(4).expect("record").expect("read");
    let text = String::from_utf8(v.to_vec())
        .expect("utf8")
        .replace("reason 1004", "reason changed");
    tree.insert(k, text.as_bytes()).expect("tamper");
    let broken = chain_audit::verify(s.audit.since(0).await.expect("audit"))
        .broken
        .expect("detected");
    assert_eq!(broken.0, 1004);
    assert!(broken.1.contains("content was changed"), "{broken:?}");
}

#[tokio::test]
async fn a_deleted_or_unreadable_audit_record_is_detected() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, s) = raw(dir.path());
    chain(&s, 10).await;
    let tree = db.open_tree(crate::audit::TREE).expect("tree");
    let (k, _) = tree.iter().nth(6).expect("record").expect("read");
    tree.remove(k).expect("delete");
    let broken = chain_audit::verify(s.audit.since(0).await.expect("audit"))
        .broken
        .expect("detected");
    assert_eq!(broken.0, 1007);
    assert!(broken.1.contains("removed or inserted"), "{broken:?}");
    let (k, _) = tree.iter().nth(2).expect("record").expect("read");
    tree.insert(k, &b"{not json"[..]).expect("garble");
    let broken = chain_audit::verify(s.audit.since(0).await.expect("audit"))
        .broken
        .expect("detected");
    assert!(broken.1.contains("unreadable"), "{broken:?}");
}

#[tokio::test]
async fn records_of_the_layout_before_partitions_are_moved_into_months() {
    // 2025-01-15 and 2025-03-15 UTC.
    let (jan, mar) = (1_736_899_200_000_000u64, 1_741_996_800_000_000u64);
    let dir = tempfile::tempdir().expect("tempdir");
    {
        // The old layout: one `transcript` tree, its entries in `by_subject` tagged 't'.
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        let old = db.open_tree("transcript").expect("tree");
        let index = db.open_tree("by_subject").expect("tree");
        for (seq, (user, at)) in [("alice", jan), ("alice", mar), ("bob", mar)]
            .into_iter()
            .enumerate()
        {
            let key = kanava_store::RecordKey {
                at,
                seq: seq as u64,
            }
            .to_bytes();
            old.insert(key, serde_json::to_vec(&line(user, at)).expect("json"))
                .expect("insert");
            let mut k = Identity::new("webchat", user).subject_key().to_vec();
            k.push(b't');
            k.extend_from_slice(&key);
            index.insert(k, &[][..]).expect("index");
        }
        db.flush().expect("flush");
    }
    let s = open(dir.path()).expect("open migrates");
    let alice = Identity::new("webchat", "alice");
    let r = s.conversations.records_of(&alice).await.expect("records");
    assert_eq!(r.transcripts.len(), 2);
    assert_eq!(s.conversations.stats().await.expect("stats").transcript, 3);
    // A cutoff in February: January goes whole, March stays.
    let cutoff = 1_739_000_000_000_000;
    assert_eq!(
        s.conversations
            .purge(RecordClass::Transcripts, cutoff, 10)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        s.conversations
            .records_of(&alice)
            .await
            .expect("records")
            .transcripts
            .len(),
        1
    );
    drop(s);
    let db = sled::Config::new().path(dir.path()).open().expect("reopen");
    let names: Vec<String> = db
        .tree_names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "transcript"), "{names:?}");
    assert!(names.iter().any(|n| n == "transcript@2025-03"), "{names:?}");
    assert!(
        !names.iter().any(|n| n == "transcript@2025-01"),
        "{names:?}"
    );
    let index = db.open_tree("by_subject").expect("tree");
    assert_eq!(index.iter().count(), 0, "old index entries removed");
}
