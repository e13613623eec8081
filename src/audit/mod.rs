//! The audit log: who did what to whom, when and why. Append-only, time-ordered in sled, and
//! hash-chained: each record carries the hash of the one before, so a changed, inserted or
//! deleted record breaks the chain (`kanava audit verify`).
//!
//! The chain covers a hash of the subject, not the subject itself: erasing a person's data
//! blanks the subject of their records and the chain still verifies.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Micros;
use crate::storage::{RecordKey, StoreError};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When.
    pub at: Micros,
    /// What happened: `block`, `unblock`, `strike`, `enumeration_alert`, `lockdown`,
    /// `lockdown_lifted`, `appeal`, `purge`, `export`, `erase`, `erase_refused`, `restrict`.
    pub kind: String,
    /// Who did it: `system`, `user`, or a staff member's personal id.
    pub actor: String,
    /// The channel and platform user concerned, if any (blanked by erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<(String, String)>,
    /// Why (never message text).
    pub reason: String,
}

/// A record as stored: the record, its subject's hash, and the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    record: AuditRecord,
    /// Hash of the subject (hex), kept when the subject itself is erased.
    subject_hash: Option<String>,
    /// Hash of the previous record (hex); all zeros for the first.
    prev: String,
    /// Hash of this record (hex).
    hash: String,
}

fn subject_hash(subject: &(String, String)) -> String {
    let mut h = Sha256::new();
    h.update((subject.0.len() as u32).to_be_bytes());
    h.update(subject.0.as_bytes());
    h.update(subject.1.as_bytes());
    hex::encode(h.finalize())
}

fn record_hash(r: &AuditRecord, subject_hash: Option<&str>, prev: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &r.at.to_string(),
        &r.kind,
        &r.actor,
        subject_hash.unwrap_or("-"),
        &r.reason,
    ] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Records checked.
    pub records: u64,
    /// The first broken link, if any: the record's time and what is wrong.
    pub broken: Option<(Micros, String)>,
}

/// The audit tree.
#[derive(Debug)]
pub struct AuditLog {
    db: sled::Db,
    tree: sled::Tree,
    /// The hash of the last record: appends are serialized so the chain stays linear.
    last: Mutex<String>,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn corrupt(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        tree: "audit",
        reason: reason.to_string(),
    }
}

impl AuditLog {
    /// The audit log in a database.
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        let tree = db.open_tree("audit")?;
        let last = match tree.last()? {
            Some((_, v)) => serde_json::from_slice::<Stored>(&v).map_err(corrupt)?.hash,
            None => GENESIS.to_string(),
        };
        Ok(Self {
            db: db.clone(),
            tree,
            last: Mutex::new(last),
        })
    }

    /// Appends a record; durable when this returns.
    pub fn append(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.append_unflushed(record)?;
        // Audit records are rare and must not be lost in a crash.
        self.flush()
    }

    /// Makes every appended record durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Appends a record, durable with the next flush: the turn's group commit, sled's own
    /// flush within half a second, or [`AuditLog::flush`]. For callers holding a lock others
    /// wait on, so no one queues behind the disk.
    pub fn append_unflushed(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let subject_hash = record.subject.as_ref().map(subject_hash);
        let hash = record_hash(record, subject_hash.as_deref(), &last);
        let stored = Stored {
            record: record.clone(),
            subject_hash,
            prev: last.clone(),
            hash: hash.clone(),
        };
        // Keys are time-ordered; a record never sorts before its predecessor even if the clock
        // stepped back, because the sequence number breaks ties and `at` is taken as max.
        let at = match self.tree.last()? {
            Some((k, _)) => RecordKey::from_bytes(&k).map_or(record.at, |k| k.at.max(record.at)),
            None => record.at,
        };
        let key = RecordKey {
            at,
            seq: self.db.generate_id()?,
        };
        // Encoded before anything is written: a record that cannot be serialised must not
        // become an empty link in the chain.
        let bytes = crate::storage::encode("audit", &stored)?;
        self.tree.insert(key.to_bytes(), bytes)?;
        *last = hash;
        Ok(())
    }

    /// Records since `since` (inclusive), optionally of one kind, oldest first.
    pub fn list(&self, since: Micros, kind: Option<&str>) -> Result<Vec<AuditRecord>, StoreError> {
        let start = RecordKey { at: since, seq: 0 }.to_bytes();
        let mut out = Vec::new();
        for item in self.tree.range(start..) {
            let (_, v) = item?;
            let s: Stored = serde_json::from_slice(&v).map_err(corrupt)?;
            if kind.is_none_or(|k| k == s.record.kind) {
                out.push(s.record);
            }
        }
        Ok(out)
    }

    /// Records concerning one identity, oldest first.
    pub fn concerning(&self, channel: &str, user: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let target = subject_hash(&(channel.to_string(), user.to_string()));
        let mut out = Vec::new();
        for item in self.tree.iter() {
            let (_, v) = item?;
            let s: Stored = serde_json::from_slice(&v).map_err(corrupt)?;
            if s.subject_hash.as_deref() == Some(target.as_str()) {
                out.push(s.record);
            }
        }
        Ok(out)
    }

    /// Blanks the subject of every record concerning one identity (erasure); the chain, which
    /// covers only the subject's hash, still verifies. Returns how many were blanked.
    pub fn erase_subject(&self, channel: &str, user: &str) -> Result<u64, StoreError> {
        let target = subject_hash(&(channel.to_string(), user.to_string()));
        let mut n = 0;
        for item in self.tree.iter() {
            let (k, v) = item?;
            let mut s: Stored = serde_json::from_slice(&v).map_err(corrupt)?;
            if s.subject_hash.as_deref() == Some(target.as_str()) && s.record.subject.is_some() {
                s.record.subject = None;
                self.tree.insert(k, crate::storage::encode("audit", &s)?)?;
                n += 1;
            }
        }
        self.db.flush()?;
        Ok(n)
    }

    /// Walks the chain from the first record: every record's hash must match its content and
    /// its `prev` the hash before it.
    pub fn verify(&self) -> Result<Verification, StoreError> {
        let mut prev = GENESIS.to_string();
        let mut records = 0;
        for item in self.tree.iter() {
            let (_, v) = item?;
            let s: Stored = match serde_json::from_slice(&v) {
                Ok(s) => s,
                Err(e) => {
                    return Ok(Verification {
                        records,
                        broken: Some((0, format!("unreadable record: {e}"))),
                    })
                }
            };
            records += 1;
            let at = s.record.at;
            if s.prev != prev {
                return Ok(Verification { records, broken: Some((at, "the link to the previous record is broken (a record was removed or inserted)".into())) });
            }
            if s.record
                .subject
                .as_ref()
                .map(subject_hash)
                .is_some_and(|h| Some(h) != s.subject_hash)
            {
                return Ok(Verification {
                    records,
                    broken: Some((at, "the subject does not match its hash".into())),
                });
            }
            if record_hash(&s.record, s.subject_hash.as_deref(), &s.prev) != s.hash {
                return Ok(Verification {
                    records,
                    broken: Some((at, "the record's content was changed".into())),
                });
            }
            prev = s.hash;
        }
        Ok(Verification {
            records,
            broken: None,
        })
    }

    /// The raw tree (tests of tamper detection).
    #[doc(hidden)]
    pub fn tree(&self) -> &sled::Tree {
        &self.tree
    }
}
