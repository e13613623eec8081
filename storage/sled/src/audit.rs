//! The audit log's entries on sled: one tree, time-ordered [`RecordKey`]s → JSON. A key never
//! sorts before its predecessor even if the clock steps back (its time is the maximum so far,
//! and the sequence number breaks ties), so key order is append order.

use std::sync::Mutex;

use kanava_store::audit::AuditEntry;
use kanava_store::{decode, encode, AuditStore, Micros, RecordKey, StoreError, StoreFuture};

use crate::{db_error, ready, Flusher};

pub(crate) const TREE: &str = "audit";

#[derive(Debug)]
pub(crate) struct SledAudit {
    db: sled::Db,
    tree: sled::Tree,
    /// Serialises appends, so two never read the same last key.
    append: Mutex<()>,
    flusher: Flusher,
}

impl SledAudit {
    pub(crate) fn open(db: &sled::Db, flusher: Flusher) -> Result<Self, StoreError> {
        Ok(Self {
            db: db.clone(),
            tree: db.open_tree(TREE).map_err(db_error)?,
            append: Mutex::new(()),
            flusher,
        })
    }

    fn append_now(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        // Encoded before anything is written: an entry that cannot be serialised must not
        // become an empty link in the chain.
        let bytes = encode(TREE, entry)?;
        let _one = self.append.lock().unwrap_or_else(|p| p.into_inner());
        let at = match self.tree.last().map_err(db_error)? {
            Some((k, _)) => {
                RecordKey::from_bytes(&k).map_or(entry.record.at, |k| k.at.max(entry.record.at))
            }
            None => entry.record.at,
        };
        let key = RecordKey {
            at,
            seq: self.db.generate_id().map_err(db_error)?,
        };
        self.tree.insert(key.to_bytes(), bytes).map_err(db_error)?;
        Ok(())
    }

    fn blank_now(&self, subject_hash: &str) -> Result<u64, StoreError> {
        let mut n = 0;
        for item in self.tree.iter() {
            let (k, v) = item.map_err(db_error)?;
            let mut e: AuditEntry = decode(TREE, &v)?;
            if e.concerns(subject_hash) && e.record.subject.is_some() {
                e.record.subject = None;
                self.tree.insert(k, encode(TREE, &e)?).map_err(db_error)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

impl AuditStore for SledAudit {
    fn append(&self, entry: AuditEntry) -> StoreFuture<()> {
        ready(self.append_now(&entry))
    }

    fn last(&self) -> StoreFuture<Option<AuditEntry>> {
        ready(
            self.tree
                .last()
                .map_err(db_error)
                .and_then(|l| l.map(|(_, v)| decode(TREE, &v)).transpose()),
        )
    }

    fn since(&self, since: Micros) -> StoreFuture<Vec<Result<AuditEntry, String>>> {
        let start = RecordKey { at: since, seq: 0 }.to_bytes();
        let result = self
            .tree
            .range(start..)
            .map(|item| {
                item.map_err(db_error)
                    .map(|(_, v)| serde_json::from_slice(&v).map_err(|e| e.to_string()))
            })
            .collect();
        ready(result)
    }

    fn blank_subject(&self, subject_hash: &str) -> StoreFuture<u64> {
        let result = self.blank_now(subject_hash);
        self.flusher.after(result)
    }

    fn flush(&self) -> StoreFuture<()> {
        self.flusher.durable()
    }
}
