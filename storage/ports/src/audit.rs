//! The audit log's records and hash chain: each entry carries the hash of the one before, so a
//! changed, inserted or deleted entry breaks the chain. Backends store entries; the chain is
//! computed and checked here, the same for all of them.
//!
//! The chain covers a hash of the subject, not the subject itself: erasing a person's data
//! blanks the subject of their entries and the chain still verifies.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Identity, Micros};

/// One audit record: who did what to whom, when and why.
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

/// A record as stored: the record, its subject's hash, and its links in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Hash of the subject (hex), kept when the subject itself is erased.
    pub subject_hash: Option<String>,
    /// Hash of the previous entry (hex); [`GENESIS`] for the first.
    pub prev: String,
    /// Hash of this entry (hex).
    pub hash: String,
}

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash by which entries name a subject.
pub fn subject_hash(subject: &Identity) -> String {
    let mut h = Sha256::new();
    h.update((subject.channel.len() as u32).to_be_bytes());
    h.update(subject.channel.as_bytes());
    h.update(subject.user.as_bytes());
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

impl AuditEntry {
    /// The entry that follows the one whose hash is `prev`.
    pub fn after(prev: &str, record: AuditRecord) -> Self {
        let subject_hash = record
            .subject
            .as_ref()
            .map(|(c, u)| subject_hash(&Identity::new(c, u)));
        let hash = record_hash(&record, subject_hash.as_deref(), prev);
        Self {
            record,
            subject_hash,
            prev: prev.to_string(),
            hash,
        }
    }

    /// Whether the entry concerns `subject` (by hash: it still does after erasure).
    pub fn concerns(&self, subject_hash: &str) -> bool {
        self.subject_hash.as_deref() == Some(subject_hash)
    }
}

/// What verifying the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Entries checked.
    pub records: u64,
    /// The first broken link, if any: the entry's time and what is wrong.
    pub broken: Option<(Micros, String)>,
}

/// Walks a chain from its first entry: every entry's hash must match its content and its `prev`
/// the hash before it. An entry a backend could not read counts as a break.
pub fn verify<I>(entries: I) -> Verification
where
    I: IntoIterator<Item = Result<AuditEntry, String>>,
{
    let mut prev = GENESIS.to_string();
    let mut records = 0;
    for entry in entries {
        let e = match entry {
            Ok(e) => e,
            Err(why) => {
                return Verification {
                    records,
                    broken: Some((0, format!("unreadable record: {why}"))),
                }
            }
        };
        records += 1;
        let at = e.record.at;
        let broken = |why: &str| Verification {
            records,
            broken: Some((at, why.to_string())),
        };
        if e.prev != prev {
            return broken(
                "the link to the previous record is broken (a record was removed or inserted)",
            );
        }
        let subject_matches = e
            .record
            .subject
            .as_ref()
            .map(|(c, u)| subject_hash(&Identity::new(c, u)))
            .is_none_or(|h| Some(h) == e.subject_hash);
        if !subject_matches {
            return broken("the subject does not match its hash");
        }
        if record_hash(&e.record, e.subject_hash.as_deref(), &e.prev) != e.hash {
            return broken("the record's content was changed");
        }
        prev = e.hash;
    }
    Verification {
        records,
        broken: None,
    }
}
