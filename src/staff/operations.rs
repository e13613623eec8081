//! Every staff operation: what it needs, what it does, what it answers. One function runs them
//! all, so the permission check and the audit happen the same way whichever transport asked.

use serde::{Deserialize, Serialize};

use super::{Actor, Permission};
use crate::audit::{AuditRecord, Verification};
use crate::clock::Micros;
use crate::guard::{Block, GuardError};
use crate::retention::{PurgeReport, Stores};
use crate::services::Services;
use crate::storage::{Stats, StoreError};
use crate::subject::{Erasure, SubjectError, SubjectExport, Subjects};

/// The longest block a moderator can set, in hours (ten years): beyond it, use "until lifted".
pub const MAX_BLOCK_HOURS: u64 = 87_600;

/// A staff operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "snake_case")]
pub enum Operation {
    /// Counts of stored records (restricted identities' records left out).
    Stats,
    /// Block an identity, for `hours` or until lifted.
    BlockAdd {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Why (kept in the audit log).
        reason: String,
        /// Hours until it ends, 1 to [`MAX_BLOCK_HOURS`]; `None`: until lifted.
        hours: Option<u64>,
    },
    /// Lift a block.
    BlockRemove {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Why.
        reason: String,
    },
    /// Every block, newest first.
    BlockList,
    /// Decide a blocked user's appeal: accepted lifts the block, rejected keeps it.
    AppealDecide {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Accept (lift) or reject (keep).
        accept: bool,
        /// Why.
        reason: String,
    },
    /// Audit records since a time, optionally of one kind.
    AuditQuery {
        /// Microseconds since the epoch.
        since: Micros,
        /// Record kind.
        kind: Option<String>,
    },
    /// Check the audit log's hash chain.
    AuditVerify,
    /// Everything stored about one identity.
    SubjectExport {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Why (e.g. the request's reference).
        reason: String,
    },
    /// Erase one identity (refused under a legal hold).
    SubjectErase {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Why.
        reason: String,
    },
    /// Restrict (or lift the restriction of) processing for one identity.
    SubjectRestrict {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// Why.
        reason: String,
        /// End the restriction instead.
        lift: bool,
    },
    /// Purge what retention says is due.
    Purge {
        /// Count only, delete nothing.
        dry_run: bool,
    },
    /// Lift an identifier lockdown.
    LockdownLift,
}

impl Operation {
    /// The permission the operation needs.
    pub fn permission(&self) -> Permission {
        use Operation::*;
        match self {
            Stats => Permission::Statistics,
            BlockAdd { .. }
            | BlockRemove { .. }
            | BlockList
            | AppealDecide { .. }
            | LockdownLift => Permission::Moderate,
            AuditQuery { .. } | AuditVerify => Permission::ReadAudit,
            SubjectExport { .. } | SubjectErase { .. } | SubjectRestrict { .. } => {
                Permission::SubjectRights
            }
            Purge { .. } => Permission::Retention,
        }
    }

    /// The operation's name, as the audit log records a refusal.
    pub fn name(&self) -> &'static str {
        use Operation::*;
        match self {
            Stats => "stats",
            BlockAdd { .. } => "block_add",
            BlockRemove { .. } => "block_remove",
            BlockList => "block_list",
            AppealDecide { .. } => "appeal_decide",
            AuditQuery { .. } => "audit_query",
            AuditVerify => "audit_verify",
            SubjectExport { .. } => "subject_export",
            SubjectErase { .. } => "subject_erase",
            SubjectRestrict { .. } => "subject_restrict",
            Purge { .. } => "purge",
            LockdownLift => "lockdown_lift",
        }
    }
}

/// What an operation answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "data", rename_all = "snake_case")]
pub enum Outcome {
    /// Counts.
    Stats(Stats),
    /// One block (added or removed).
    Block(Block),
    /// An appeal decided: the block (lifted or kept), and whether the user was told.
    Appeal {
        /// The block.
        block: Block,
        /// Whether the decision reached the user.
        told: super::Told,
    },
    /// Blocks.
    Blocks(Vec<Block>),
    /// Audit records.
    Audit(Vec<AuditRecord>),
    /// An identity's data.
    Export(Box<SubjectExport>),
    /// What an erasure removed.
    Erased(Erasure),
    /// What a purge did.
    Purge(PurgeReport),
    /// The audit chain's state.
    Verification(Verification),
    /// Done.
    Done,
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The actor's role does not grant the permission (the refusal is audited).
    #[error("{actor} ({role:?}) may not {operation}: it needs the {permission:?} permission")]
    Denied {
        /// Who asked.
        actor: String,
        /// Their role.
        role: super::Role,
        /// What they asked for.
        operation: &'static str,
        /// What it needs.
        permission: Permission,
    },
    /// The request is not valid (which field, why).
    #[error("{0}")]
    Invalid(String),
    /// The guard refused (e.g. not blocked).
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// A subject right could not be exercised (e.g. a legal hold).
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs `operation` for `actor`, if their role allows it.
pub async fn execute(
    services: &Services,
    actor: &Actor,
    operation: Operation,
) -> Result<Outcome, OperationError> {
    let guard = services.guard.as_ref();
    let now = services.clock.now();
    let permission = operation.permission();
    if !actor.role().allows(permission) {
        guard
            .audit_log()
            .append(&AuditRecord {
                at: now,
                kind: "denied".into(),
                actor: actor.id().into(),
                subject: None,
                reason: format!("{} needs {permission:?}", operation.name()),
            })
            .await?;
        return Err(OperationError::Denied {
            actor: actor.id().into(),
            role: actor.role(),
            operation: operation.name(),
            permission,
        });
    }
    let subjects = || Subjects::new(services.storage.conversations.as_ref(), guard);
    let me = actor.id();
    Ok(match operation {
        Operation::Stats => {
            // Restricted identities' records are kept but left out of statistics.
            let (identities, transcripts, feedback) = subjects().restricted_counts().await?;
            let mut s = services.storage.conversations.stats().await?;
            s.transcript = s.transcript.saturating_sub(transcripts);
            s.feedback = s.feedback.saturating_sub(feedback);
            s.restricted_identities = identities;
            Outcome::Stats(s)
        }
        Operation::BlockAdd {
            channel,
            user,
            reason,
            hours,
        } => {
            if hours.is_some_and(|h| !(1..=MAX_BLOCK_HOURS).contains(&h)) {
                return Err(OperationError::Invalid(format!(
                    "hours must be 1 to {MAX_BLOCK_HOURS}"
                )));
            }
            let expires = hours.map(|h| now.saturating_add(h * 3_600_000_000));
            Outcome::Block(
                guard
                    .block_add(&channel, &user, me, &reason, expires, now)
                    .await?,
            )
        }
        Operation::BlockRemove {
            channel,
            user,
            reason,
        } => Outcome::Block(
            guard
                .block_remove(&channel, &user, me, &reason, now)
                .await?,
        ),
        Operation::BlockList => Outcome::Blocks(guard.block_list()),
        Operation::AppealDecide {
            channel,
            user,
            accept: true,
            reason,
        } => {
            let why = format!("appeal accepted: {reason}");
            let block = guard.block_remove(&channel, &user, me, &why, now).await?;
            let told =
                super::tell(services, &channel, &user, crate::i18n::Text::AppealAccepted).await;
            Outcome::Appeal { block, told }
        }
        Operation::AppealDecide {
            channel,
            user,
            accept: false,
            reason,
        } => {
            let block = guard
                .block_list()
                .into_iter()
                .find(|b| b.channel == channel && b.user == user && b.active(now))
                .ok_or_else(|| GuardError::NotBlocked {
                    channel: channel.clone(),
                    user: user.clone(),
                })?;
            guard
                .audit_log()
                .append(&AuditRecord {
                    at: now,
                    kind: "appeal_rejected".into(),
                    actor: me.into(),
                    subject: Some((channel.clone(), user.clone())),
                    reason,
                })
                .await?;
            let told =
                super::tell(services, &channel, &user, crate::i18n::Text::AppealRejected).await;
            Outcome::Appeal { block, told }
        }
        Operation::AuditQuery { since, kind } => {
            Outcome::Audit(guard.audit_log().list(since, kind.as_deref()).await?)
        }
        Operation::AuditVerify => Outcome::Verification(guard.audit_log().verify().await?),
        Operation::SubjectExport {
            channel,
            user,
            reason,
        } => Outcome::Export(Box::new(
            subjects().export(&channel, &user, me, &reason, now).await?,
        )),
        Operation::SubjectErase {
            channel,
            user,
            reason,
        } => {
            let done = subjects()
                .erase(&channel, &user, me, &reason, services.legal_hold, now)
                .await?;
            // The engine's live sessions go too (the guard forgot the identity as part of the
            // erasure).
            if let Some(engine) = &services.engine {
                engine.sessions().forget(&channel, &user);
            }
            Outcome::Erased(done)
        }
        Operation::SubjectRestrict {
            channel,
            user,
            reason,
            lift,
        } => {
            subjects()
                .restrict(&channel, &user, me, &reason, lift, now)
                .await?;
            Outcome::Done
        }
        Operation::Purge { dry_run } => Outcome::Purge(
            crate::retention::purge(
                Stores {
                    conversations: services.storage.conversations.as_ref(),
                    moderation: services.storage.moderation.as_ref(),
                    audit: guard.audit_log(),
                },
                &services.retention,
                now,
                dry_run,
                me,
                std::time::Duration::ZERO,
            )
            .await?,
        ),
        Operation::LockdownLift => {
            guard.lift_lockdown(me, now).await;
            Outcome::Done
        }
    })
}
