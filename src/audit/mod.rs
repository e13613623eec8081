//! The audit log: who did what to whom, when and why. Append-only and hash-chained (the chain
//! and its check are in `kanava_store::audit`, the same for every backend), so a changed,
//! inserted or deleted record breaks it (`kanava audit verify`).
//!
//! The chain covers a hash of the subject, not the subject itself: erasing a person's data
//! blanks the subject of their records and the chain still verifies.

use std::sync::{Arc, Mutex};

use kanava_store::audit::{self as chain, AuditEntry, GENESIS};

use crate::clock::Micros;
use crate::storage::{AuditStore, Identity, Pending, StoreError, WriteBehind};

pub use kanava_store::audit::{AuditRecord, Verification};

/// The audit log of one backend.
#[derive(Debug)]
pub struct AuditLog {
    store: Arc<dyn AuditStore>,
    /// The hash of the last record: appends are serialised so the chain stays linear.
    last: Mutex<String>,
    writes: WriteBehind,
}

impl AuditLog {
    /// The audit log in `store`, continuing its chain.
    pub async fn open(store: Arc<dyn AuditStore>) -> Result<Self, StoreError> {
        let last = store
            .last()
            .await?
            .map_or_else(|| GENESIS.to_string(), |e| e.hash);
        Ok(Self {
            store,
            last: Mutex::new(last),
            writes: WriteBehind::start(),
        })
    }

    /// Appends a record; durable when this returns.
    pub async fn append(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.append_unflushed(record).wait().await?;
        // Audit records are rare and must not be lost in a crash.
        self.flush().await
    }

    /// Makes every appended record durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.writes.settle().await?;
        self.store.flush().await
    }

    /// Appends a record, durable with the next flush (the turn's group commit, the backend's
    /// own, or [`AuditLog::flush`]). Never waits: for callers holding a lock others wait on.
    pub fn append_unflushed(&self, record: &AuditRecord) -> Pending {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let entry = AuditEntry::after(&last, record.clone());
        *last = entry.hash.clone();
        // Queued under the lock, so queue order is chain order.
        self.writes.push("audit record", self.store.append(entry))
    }

    /// Records since `since` (inclusive), optionally of one kind, oldest first.
    pub async fn list(
        &self,
        since: Micros,
        kind: Option<&str>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.writes.settle().await?;
        let mut out = Vec::new();
        for entry in self.store.since(since).await? {
            let e = entry.map_err(|reason| StoreError::Corrupt {
                what: "audit",
                reason,
            })?;
            if kind.is_none_or(|k| k == e.record.kind) {
                out.push(e.record);
            }
        }
        Ok(out)
    }

    /// Records concerning one identity, oldest first.
    pub async fn concerning(
        &self,
        channel: &str,
        user: &str,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.writes.settle().await?;
        let target = chain::subject_hash(&Identity::new(channel, user));
        let mut out = Vec::new();
        for entry in self.store.since(0).await?.into_iter().flatten() {
            if entry.concerns(&target) {
                out.push(entry.record);
            }
        }
        Ok(out)
    }

    /// Blanks the subject of every record concerning one identity (erasure); the chain, which
    /// covers only the subject's hash, still verifies. Returns how many were blanked.
    pub async fn erase_subject(&self, channel: &str, user: &str) -> Result<u64, StoreError> {
        self.writes.settle().await?;
        let target = chain::subject_hash(&Identity::new(channel, user));
        self.store.blank_subject(&target).await
    }

    /// Walks the chain from the first record.
    pub async fn verify(&self) -> Result<Verification, StoreError> {
        self.writes.settle().await?;
        Ok(chain::verify(self.store.since(0).await?))
    }
}
