//! The audit log: who did what to whom, when and why. Append-only and time-ordered in sled;
//! automatic blocks, strikes, enumeration alerts, lockdowns and every moderator action land here.

use serde::{Deserialize, Serialize};

use crate::clock::Micros;
use crate::storage::{RecordKey, StoreError};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When.
    pub at: Micros,
    /// What happened: `block`, `unblock`, `strike`, `enumeration_alert`, `lockdown`,
    /// `lockdown_lifted`, `appeal`.
    pub kind: String,
    /// Who did it: `system` or a moderator's personal id.
    pub actor: String,
    /// The channel and platform user concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<(String, String)>,
    /// Why (never message text).
    pub reason: String,
}

/// The audit tree.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: sled::Db,
    tree: sled::Tree,
}

impl AuditLog {
    /// The audit log in a database.
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            db: db.clone(),
            tree: db.open_tree("audit")?,
        })
    }

    /// Appends a record; durable when this returns.
    pub fn append(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let key = RecordKey {
            at: record.at,
            seq: self.db.generate_id()?,
        };
        let value = serde_json::to_vec(record).unwrap_or_default();
        self.tree.insert(key.to_bytes(), value)?;
        // Audit records are rare and must not be lost in a crash: each is flushed at once.
        self.db.flush()?;
        Ok(())
    }

    /// Records since `since` (inclusive), optionally of one kind, oldest first.
    pub fn list(&self, since: Micros, kind: Option<&str>) -> Result<Vec<AuditRecord>, StoreError> {
        let start = RecordKey { at: since, seq: 0 }.to_bytes();
        let mut out = Vec::new();
        for item in self.tree.range(start..) {
            let (_, v) = item?;
            let r: AuditRecord = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                tree: "audit",
                reason: e.to_string(),
            })?;
            if kind.is_none_or(|k| k == r.kind) {
                out.push(r);
            }
        }
        Ok(out)
    }
}
