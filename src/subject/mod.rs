//! Data-subject rights (GDPR, seeds 001 and 003): export everything stored about one platform
//! identity, erase it unless a legal hold (the archive rule) applies, or restrict it (kept, but
//! excluded from statistics and staff views). Every action is audited: who, what, when, why.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::AuditRecord;
use crate::clock::Micros;
use crate::guard::{Block, TermsGuard};
use crate::storage::{
    ConversationStore, FeedbackRecord, Identity, SessionState, StoreError, TranscriptRecord,
};

pub use crate::storage::Restriction;

/// Everything stored about one identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectExport {
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
    /// Redacted transcript lines, oldest first.
    pub transcripts: Vec<TranscriptRecord>,
    /// Ratings given.
    pub feedback: Vec<FeedbackRecord>,
    /// Session state of their conversations.
    pub sessions: Vec<SessionState>,
    /// Their block, if any.
    pub block: Option<Block>,
    /// Whether processing is restricted, and why.
    pub restricted: Option<Restriction>,
    /// Audit records concerning them.
    pub audit: Vec<AuditRecord>,
}

/// What an erasure removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// Transcript lines.
    pub transcripts: u64,
    /// Ratings.
    pub feedback: u64,
    /// Sessions.
    pub sessions: u64,
    /// Blocks, strikes and flags.
    pub other: u64,
    /// Audit records whose subject was blanked (the records stay: they account for staff work).
    pub audit_blanked: u64,
}

/// Why a subject action failed.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A legal hold applies.
    #[error("erasure refused: a legal hold applies (archive rules require authorities to keep this data); the refusal is audited")]
    LegalHold,
}

/// Subject operations over the conversation records and the guard (which holds moderation
/// state and the audit log, and must forget an erased identity too).
#[derive(Debug)]
pub struct Subjects<'a> {
    conversations: &'a dyn ConversationStore,
    guard: &'a TermsGuard,
}

impl<'a> Subjects<'a> {
    /// Subject operations over `conversations` and `guard`.
    pub fn new(conversations: &'a dyn ConversationStore, guard: &'a TermsGuard) -> Self {
        Self {
            conversations,
            guard,
        }
    }

    async fn record(
        &self,
        now: Micros,
        kind: &str,
        actor: &str,
        subject: Option<(String, String)>,
        reason: String,
    ) -> Result<(), StoreError> {
        self.guard
            .audit_log()
            .append(&AuditRecord {
                at: now,
                kind: kind.into(),
                actor: actor.into(),
                subject,
                reason,
            })
            .await
    }

    /// Everything stored about one identity, as for an access request; the export is audited.
    pub async fn export(
        &self,
        channel: &str,
        user: &str,
        actor: &str,
        reason: &str,
        now: Micros,
    ) -> Result<SubjectExport, StoreError> {
        let who = Identity::new(channel, user);
        let records = self.conversations.records_of(&who).await?;
        let moderation = self.guard.moderation();
        let out = SubjectExport {
            channel: channel.into(),
            user: user.into(),
            transcripts: records.transcripts,
            feedback: records.feedback,
            sessions: records.sessions,
            block: moderation.block_of(&who).await?,
            restricted: moderation.restriction_of(&who).await?,
            audit: self.guard.audit_log().concerning(channel, user).await?,
        };
        self.record(
            now,
            "export",
            actor,
            Some((channel.into(), user.into())),
            reason.into(),
        )
        .await?;
        Ok(out)
    }

    /// Erases everything about one identity, unless `legal_hold` (then refused and audited).
    pub async fn erase(
        &self,
        channel: &str,
        user: &str,
        actor: &str,
        reason: &str,
        legal_hold: bool,
        now: Micros,
    ) -> Result<Erasure, SubjectError> {
        if legal_hold {
            self.record(
                now,
                "erase_refused",
                actor,
                Some((channel.into(), user.into())),
                format!("legal hold; request: {reason}"),
            )
            .await?;
            return Err(SubjectError::LegalHold);
        }
        let who = Identity::new(channel, user);
        let erased = self.conversations.erase_of(&who).await?;
        let forgotten = self.guard.forget(channel, user).await?;
        let done = Erasure {
            transcripts: erased.transcripts,
            feedback: erased.feedback,
            sessions: erased.sessions,
            other: forgotten.records + forgotten.strikes,
            audit_blanked: self.guard.audit_log().erase_subject(channel, user).await?,
        };
        // The erasure itself is accounted for without naming the person again.
        let mut h = Sha256::new();
        h.update(who.to_bytes());
        let tag = hex::encode(&h.finalize()[..6]);
        self.record(now, "erase", actor, None, format!("erased one identity (ref {tag}): {} transcript lines, {} ratings, {} sessions; request: {reason}", done.transcripts, done.feedback, done.sessions)).await?;
        Ok(done)
    }

    /// Restricts (or, with `lift`, ends the restriction of) processing for one identity.
    pub async fn restrict(
        &self,
        channel: &str,
        user: &str,
        actor: &str,
        reason: &str,
        lift: bool,
        now: Micros,
    ) -> Result<(), StoreError> {
        let restriction = (!lift).then(|| Restriction {
            since: now,
            reason: reason.into(),
            actor: actor.into(),
        });
        self.guard
            .restrict(&Identity::new(channel, user), restriction)
            .await?;
        self.record(
            now,
            if lift {
                "restriction_lifted"
            } else {
                "restrict"
            },
            actor,
            Some((channel.into(), user.into())),
            reason.into(),
        )
        .await
    }

    /// How many identities are restricted, and their transcript and feedback records (kept,
    /// but left out of statistics).
    pub async fn restricted_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let restricted = self.guard.restricted();
        let (mut transcripts, mut feedback) = (0, 0);
        for who in &restricted {
            let r = self.conversations.records_of(who).await?;
            transcripts += r.transcripts.len() as u64;
            feedback += r.feedback.len() as u64;
        }
        Ok((restricted.len() as u64, transcripts, feedback))
    }
}
