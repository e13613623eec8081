//! Retention: every stored record has a class with a period, and what is due is purged. Purge
//! walks time-ordered keys only (it never reads what is not due), deletes in bounded batches with
//! a pause between them so live traffic is never stalled, and audits every run.

use serde::{Deserialize, Serialize};

use crate::audit::{AuditLog, AuditRecord};
use crate::clock::{Micros, MINUTE};
use crate::storage::sled_store::{BY_SUBJECT, FEEDBACK, SESSIONS, SESSIONS_BY_TIME, TRANSCRIPT};
use crate::storage::{RecordKey, StoreError};

const DAY: Micros = 24 * 60 * MINUTE;

/// Retention periods per class.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// Redacted transcripts (the register of processing promises at most two years).
    pub transcripts: Micros,
    /// Feedback on answers.
    pub feedback: Micros,
    /// Session state (language, last activity), counted from the last message.
    pub sessions: Micros,
    /// Strikes (they only matter within the strike window).
    pub strikes: Micros,
    /// Blocks, counted from when they expired.
    pub expired_blocks: Micros,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            transcripts: 730 * DAY,
            feedback: 730 * DAY,
            sessions: 730 * DAY,
            strikes: 90 * DAY,
            expired_blocks: 90 * DAY,
        }
    }
}

/// What one class's purge did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassReport {
    /// The class.
    pub class: String,
    /// Records removed (or due, in a dry run).
    pub purged: u64,
    /// The time of the oldest record left, if any.
    pub oldest_remaining: Option<Micros>,
}

/// What a purge run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Nothing was deleted.
    pub dry_run: bool,
    /// Per class.
    pub classes: Vec<ClassReport>,
}

/// Deletes in batches of this many records.
pub const BATCH: usize = 1000;

fn at_of(key: &[u8]) -> Option<Micros> {
    RecordKey::from_bytes(key)
        .map(|k| k.at)
        .or_else(|| Some(u64::from_be_bytes(key.get(..8)?.try_into().ok()?)))
}

/// Purges everything due at `now`. `pause` runs between batches (the server sleeps briefly
/// there so live traffic goes first).
pub fn purge(
    db: &sled::Db,
    audit: &AuditLog,
    config: &RetentionConfig,
    now: Micros,
    dry_run: bool,
    actor: &str,
    mut pause: impl FnMut(),
) -> Result<PurgeReport, StoreError> {
    let by_subject = db.open_tree(BY_SUBJECT)?;
    let mut classes = Vec::new();

    // Transcripts and feedback: time-keyed, with subject index entries to remove as well.
    for (class, tree_name, tag, period) in [
        ("transcripts", TRANSCRIPT, b't', config.transcripts),
        ("feedback", FEEDBACK, b'f', config.feedback),
    ] {
        let tree = db.open_tree(tree_name)?;
        let cutoff = RecordKey {
            at: now.saturating_sub(period),
            seq: 0,
        }
        .to_bytes();
        let mut purged = 0u64;
        loop {
            let due: Vec<(sled::IVec, sled::IVec)> =
                tree.range(..cutoff).take(BATCH).collect::<Result<_, _>>()?;
            if due.is_empty() || dry_run {
                purged += due.len() as u64;
                if dry_run {
                    purged = tree.range(..cutoff).count() as u64;
                }
                break;
            }
            // Records and their index entries in one transaction: a crash leaves both or
            // neither.
            let mut records = sled::Batch::default();
            let mut index = sled::Batch::default();
            for (k, v) in &due {
                records.remove(k.clone());
                if let Ok(r) = serde_json::from_slice::<Subject>(v) {
                    let mut ik = crate::storage::records::subject_key(&r.channel, &r.user).to_vec();
                    ik.push(tag);
                    ik.extend_from_slice(k);
                    index.remove(ik);
                }
            }
            apply_both(&tree, records, &by_subject, index)?;
            purged += due.len() as u64;
            pause();
        }
        let oldest_remaining = tree.first()?.and_then(|(k, _)| at_of(&k));
        classes.push(ClassReport {
            class: class.into(),
            purged,
            oldest_remaining,
        });
    }

    // Sessions: through their time index.
    {
        let sessions = db.open_tree(SESSIONS)?;
        let by_time = db.open_tree(SESSIONS_BY_TIME)?;
        let cutoff = now.saturating_sub(config.sessions).to_be_bytes();
        let mut purged = 0u64;
        loop {
            let due: Vec<sled::IVec> = by_time
                .range(..cutoff)
                .keys()
                .take(BATCH)
                .collect::<Result<_, _>>()?;
            if due.is_empty() || dry_run {
                purged = if dry_run {
                    by_time.range(..cutoff).count() as u64
                } else {
                    purged
                };
                break;
            }
            let mut s = sled::Batch::default();
            let mut t = sled::Batch::default();
            for k in &due {
                s.remove(&k[8..]);
                t.remove(k.clone());
            }
            apply_both(&sessions, s, &by_time, t)?;
            purged += due.len() as u64;
            pause();
        }
        let oldest_remaining = by_time.first()?.and_then(|(k, _)| at_of(&k));
        classes.push(ClassReport {
            class: "sessions".into(),
            purged,
            oldest_remaining,
        });
    }

    // Strikes: time-first keys.
    {
        let tree = db.open_tree("strikes")?;
        let cutoff = now.saturating_sub(config.strikes).to_be_bytes();
        let due = tree.range(..cutoff).count() as u64;
        if !dry_run {
            loop {
                let keys: Vec<sled::IVec> = tree
                    .range(..cutoff)
                    .keys()
                    .take(BATCH)
                    .collect::<Result<_, _>>()?;
                if keys.is_empty() {
                    break;
                }
                let mut b = sled::Batch::default();
                keys.iter().for_each(|k| b.remove(k.clone()));
                tree.apply_batch(b)?;
                pause();
            }
        }
        let oldest_remaining = tree.first()?.and_then(|(k, _)| at_of(&k));
        classes.push(ClassReport {
            class: "strikes".into(),
            purged: due,
            oldest_remaining,
        });
    }

    // Expired blocks: few, keyed by identity; the only class read whole.
    {
        let tree = db.open_tree("blocks")?;
        let mut purged = 0;
        for item in tree.iter() {
            let (k, v) = item?;
            let expired_long_ago = serde_json::from_slice::<crate::guard::Block>(&v)
                .ok()
                .and_then(|b| b.expires)
                .is_some_and(|e| e.saturating_add(config.expired_blocks) < now);
            if expired_long_ago {
                purged += 1;
                if !dry_run {
                    tree.remove(k)?;
                }
            }
        }
        classes.push(ClassReport {
            class: "expired_blocks".into(),
            purged,
            oldest_remaining: None,
        });
    }

    let report = PurgeReport { dry_run, classes };
    if !dry_run {
        db.flush()?;
        let summary: Vec<String> = report
            .classes
            .iter()
            .map(|c| {
                format!(
                    "{} {}{}",
                    c.class,
                    c.purged,
                    c.oldest_remaining
                        .map(|o| format!(
                            " (oldest left {})",
                            crate::i18n::format_time(o, kanava_adapter::Lang::En)
                        ))
                        .unwrap_or_default()
                )
            })
            .collect();
        audit.append(&AuditRecord {
            at: now,
            kind: "purge".into(),
            actor: actor.into(),
            subject: None,
            reason: summary.join(", "),
        })?;
    }
    Ok(report)
}

/// Applies two batches to two trees atomically.
fn apply_both(
    a: &sled::Tree,
    batch_a: sled::Batch,
    b: &sled::Tree,
    batch_b: sled::Batch,
) -> Result<(), StoreError> {
    use sled::Transactional;
    (a, b)
        .transaction(|(ta, tb)| {
            ta.apply_batch(&batch_a)?;
            tb.apply_batch(&batch_b)?;
            Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
        })
        .map_err(|e| match e {
            sled::transaction::TransactionError::Storage(e) => StoreError::Db(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt {
                tree: "retention",
                reason: "purge transaction aborted".into(),
            },
        })
}

/// The identity fields of a transcript or feedback record.
#[derive(Deserialize)]
struct Subject {
    channel: String,
    user: String,
}
