//! Retention: every stored record has a class with a period, and what is due is purged. The
//! backend removes what is due in bounded batches (it never reads what is not due); between
//! them the purge pauses so live traffic is never stalled, and every run is audited.

use serde::{Deserialize, Serialize};

use std::time::Duration;

use crate::audit::{AuditLog, AuditRecord};
use crate::clock::{Micros, MINUTE};
use crate::storage::{ConversationStore, ModerationStore, RecordClass, StoreError};

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

/// Where a purge works.
#[derive(Debug, Clone, Copy)]
pub struct Stores<'a> {
    /// Transcripts, feedback, sessions.
    pub conversations: &'a dyn ConversationStore,
    /// Strikes and blocks.
    pub moderation: &'a dyn ModerationStore,
    /// Where the run is recorded.
    pub audit: &'a AuditLog,
}

/// Purges everything due at `now`, sleeping `pause` between batches (so live traffic goes
/// first).
pub async fn purge(
    stores: Stores<'_>,
    config: &RetentionConfig,
    now: Micros,
    dry_run: bool,
    actor: &str,
    pause: Duration,
) -> Result<PurgeReport, StoreError> {
    let mut classes = Vec::new();
    let breathe = || async {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    };

    for class in RecordClass::ALL {
        let period = match class {
            RecordClass::Transcripts => config.transcripts,
            RecordClass::Feedback => config.feedback,
            RecordClass::Sessions => config.sessions,
        };
        let cutoff = now.saturating_sub(period);
        let purged = if dry_run {
            stores.conversations.due(class, cutoff).await?
        } else {
            let mut purged = 0;
            loop {
                let n = stores.conversations.purge(class, cutoff, BATCH).await?;
                purged += n;
                if n == 0 {
                    break;
                }
                breathe().await;
            }
            purged
        };
        classes.push(ClassReport {
            class: class.name().into(),
            purged,
            oldest_remaining: stores.conversations.oldest(class).await?,
        });
    }

    let cutoff = now.saturating_sub(config.strikes);
    let purged = if dry_run {
        stores.moderation.strikes_due(cutoff).await?
    } else {
        let mut purged = 0;
        loop {
            let n = stores.moderation.purge_strikes(cutoff, BATCH).await?;
            purged += n;
            if n == 0 {
                break;
            }
            breathe().await;
        }
        purged
    };
    classes.push(ClassReport {
        class: "strikes".into(),
        purged,
        oldest_remaining: stores.moderation.oldest_strike().await?,
    });

    classes.push(ClassReport {
        class: "expired_blocks".into(),
        purged: stores
            .moderation
            .purge_expired_blocks(now.saturating_sub(config.expired_blocks), dry_run)
            .await?,
        oldest_remaining: None,
    });

    let report = PurgeReport { dry_run, classes };
    if !dry_run {
        stores.conversations.flush().await?;
        stores.moderation.flush().await?;
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
        stores
            .audit
            .append(&AuditRecord {
                at: now,
                kind: "purge".into(),
                actor: actor.into(),
                subject: None,
                reason: summary.join(", "),
            })
            .await?;
    }
    Ok(report)
}
