//! Data-subject rights (GDPR, seeds 001 and 003): export everything stored about one platform
//! identity, erase it unless a legal hold (the archive rule) applies, or restrict it (kept, but
//! excluded from statistics and staff views). Every action is audited: who, what, when, why.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{AuditLog, AuditRecord};
use crate::clock::Micros;
use crate::guard::Block;
use crate::storage::records::subject_key;
use crate::storage::sled_store::{BY_SUBJECT, FEEDBACK, SESSIONS, SESSIONS_BY_TIME, TRANSCRIPT};
use crate::storage::{
    ConversationKey, FeedbackRecord, RecordKey, SessionState, StoreError, TranscriptRecord,
};

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

/// A restriction of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// Since when.
    pub since: Micros,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub actor: String,
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

impl From<sled::Error> for SubjectError {
    fn from(e: sled::Error) -> Self {
        SubjectError::Store(StoreError::Db(e))
    }
}

fn identity_key(channel: &str, user: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(channel.len() + user.len() + 4);
    k.extend_from_slice(&(channel.len() as u32).to_be_bytes());
    k.extend_from_slice(channel.as_bytes());
    k.extend_from_slice(user.as_bytes());
    k
}

fn corrupt(tree: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        tree,
        reason: e.to_string(),
    }
}

/// Subject operations on one database.
#[derive(Debug)]
pub struct Subjects<'a> {
    db: &'a sled::Db,
    audit: &'a AuditLog,
}

impl<'a> Subjects<'a> {
    /// Subject operations over `db`, auditing into `audit`.
    pub fn new(db: &'a sled::Db, audit: &'a AuditLog) -> Self {
        Self { db, audit }
    }

    fn record(
        &self,
        now: Micros,
        kind: &str,
        actor: &str,
        subject: Option<(String, String)>,
        reason: String,
    ) -> Result<(), StoreError> {
        self.audit.append(&AuditRecord {
            at: now,
            kind: kind.into(),
            actor: actor.into(),
            subject,
            reason,
        })
    }

    /// Index entries of one identity: (tag, record key).
    fn indexed(
        &self,
        channel: &str,
        user: &str,
    ) -> Result<Vec<(u8, RecordKey, sled::IVec)>, StoreError> {
        let by_subject = self.db.open_tree(BY_SUBJECT)?;
        let prefix = subject_key(channel, user);
        let mut out = Vec::new();
        for item in by_subject.scan_prefix(prefix) {
            let (k, _) = item?;
            if let (Some(&tag), Some(key)) = (k.get(16), RecordKey::from_bytes(&k[17..])) {
                out.push((tag, key, k));
            }
        }
        Ok(out)
    }

    /// Everything stored about one identity, as for an access request; the export is audited.
    pub fn export(
        &self,
        channel: &str,
        user: &str,
        actor: &str,
        reason: &str,
        now: Micros,
    ) -> Result<SubjectExport, StoreError> {
        let transcript = self.db.open_tree(TRANSCRIPT)?;
        let feedback = self.db.open_tree(FEEDBACK)?;
        let sessions = self.db.open_tree(SESSIONS)?;
        let mut out = SubjectExport {
            channel: channel.into(),
            user: user.into(),
            transcripts: Vec::new(),
            feedback: Vec::new(),
            sessions: Vec::new(),
            block: None,
            restricted: None,
            audit: Vec::new(),
        };
        for (tag, key, _) in self.indexed(channel, user)? {
            match tag {
                b't' => {
                    if let Some(v) = transcript.get(key.to_bytes())? {
                        let r: TranscriptRecord =
                            serde_json::from_slice(&v).map_err(corrupt(TRANSCRIPT))?;
                        if r.channel == channel && r.user == user {
                            out.transcripts.push(r);
                        }
                    }
                }
                b'f' => {
                    if let Some(v) = feedback.get(key.to_bytes())? {
                        let r: FeedbackRecord =
                            serde_json::from_slice(&v).map_err(corrupt(FEEDBACK))?;
                        if r.channel == channel && r.user == user {
                            out.feedback.push(r);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut chats: Vec<String> = out.transcripts.iter().map(|r| r.chat.clone()).collect();
        chats.sort();
        chats.dedup();
        for chat in chats {
            let key = ConversationKey {
                channel: channel.into(),
                chat,
            };
            if let Some(v) = sessions.get(key.to_bytes())? {
                out.sessions
                    .push(serde_json::from_slice(&v).map_err(corrupt(SESSIONS))?);
            }
        }
        if let Some(v) = self
            .db
            .open_tree("blocks")?
            .get(identity_key(channel, user))?
        {
            out.block = Some(serde_json::from_slice(&v).map_err(corrupt("blocks"))?);
        }
        if let Some(v) = self
            .db
            .open_tree("restricted")?
            .get(identity_key(channel, user))?
        {
            out.restricted = Some(serde_json::from_slice(&v).map_err(corrupt("restricted"))?);
        }
        out.audit = self.audit.concerning(channel, user)?;
        self.record(
            now,
            "export",
            actor,
            Some((channel.into(), user.into())),
            reason.into(),
        )?;
        Ok(out)
    }

    /// Erases everything about one identity, unless `legal_hold` (then refused and audited).
    pub fn erase(
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
            )?;
            return Err(SubjectError::LegalHold);
        }
        let transcript = self.db.open_tree(TRANSCRIPT)?;
        let feedback = self.db.open_tree(FEEDBACK)?;
        let sessions = self.db.open_tree(SESSIONS)?;
        let by_time = self.db.open_tree(SESSIONS_BY_TIME)?;
        let by_subject = self.db.open_tree(BY_SUBJECT)?;
        let mut done = Erasure {
            transcripts: 0,
            feedback: 0,
            sessions: 0,
            other: 0,
            audit_blanked: 0,
        };
        let mut chats = Vec::new();
        for (tag, key, index_key) in self.indexed(channel, user)? {
            let tree = if tag == b't' { &transcript } else { &feedback };
            if let Some(v) = tree.remove(key.to_bytes())? {
                if tag == b't' {
                    done.transcripts += 1;
                    if let Ok(r) = serde_json::from_slice::<TranscriptRecord>(&v) {
                        chats.push(r.chat);
                    }
                } else {
                    done.feedback += 1;
                }
            }
            by_subject.remove(index_key)?;
        }
        chats.sort();
        chats.dedup();
        for chat in chats {
            let key = ConversationKey {
                channel: channel.into(),
                chat,
            }
            .to_bytes();
            if let Some(v) = sessions.remove(&key)? {
                if let Ok(s) = serde_json::from_slice::<SessionState>(&v) {
                    by_time.remove(crate::storage::sled_store::session_time_key(
                        s.last_active,
                        &key,
                    ))?;
                }
                done.sessions += 1;
            }
        }
        for tree in ["blocks", "block_levels", "restricted"] {
            if self
                .db
                .open_tree(tree)?
                .remove(identity_key(channel, user))?
                .is_some()
            {
                done.other += 1;
            }
        }
        let strikes = self.db.open_tree("strikes")?;
        // Strike keys are `at ‖ identity key`.
        let tail = identity_key(channel, user);
        for item in strikes.iter() {
            let (k, _) = item?;
            if k.len() > 8 && k[8..] == tail[..] {
                strikes.remove(k)?;
                done.other += 1;
            }
        }
        done.audit_blanked = self.audit.erase_subject(channel, user)?;
        self.db.flush()?;
        // The erasure itself is accounted for without naming the person again.
        let mut h = Sha256::new();
        h.update(identity_key(channel, user));
        let tag = hex::encode(&h.finalize()[..6]);
        self.record(now, "erase", actor, None, format!("erased one identity (ref {tag}): {} transcript lines, {} ratings, {} sessions; request: {reason}", done.transcripts, done.feedback, done.sessions))?;
        Ok(done)
    }

    /// Restricts (or, with `lift`, ends the restriction of) processing for one identity.
    pub fn restrict(
        &self,
        channel: &str,
        user: &str,
        actor: &str,
        reason: &str,
        lift: bool,
        now: Micros,
    ) -> Result<(), StoreError> {
        let tree = self.db.open_tree("restricted")?;
        let key = identity_key(channel, user);
        if lift {
            tree.remove(key)?;
        } else {
            let r = Restriction {
                since: now,
                reason: reason.into(),
                actor: actor.into(),
            };
            tree.insert(key, crate::storage::encode("restricted", &r)?)?;
        }
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
    }

    /// Transcript and feedback records of restricted identities (kept, but left out of
    /// statistics), and how many identities are restricted.
    pub fn restricted_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let mut identities = 0;
        let (mut transcripts, mut feedback) = (0, 0);
        for item in self.db.open_tree("restricted")?.iter() {
            let (k, _) = item?;
            let Some(len) = k
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
            else {
                continue;
            };
            let (Some(channel), Some(user)) =
                (k.get(4..4 + len as usize), k.get(4 + len as usize..))
            else {
                continue;
            };
            identities += 1;
            let (channel, user) = (
                String::from_utf8_lossy(channel),
                String::from_utf8_lossy(user),
            );
            for (tag, _, _) in self.indexed(&channel, &user)? {
                if tag == b't' {
                    transcripts += 1;
                } else {
                    feedback += 1;
                }
            }
        }
        Ok((identities, transcripts, feedback))
    }

    /// Whether processing of an identity is restricted.
    pub fn is_restricted(&self, channel: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self
            .db
            .open_tree("restricted")?
            .contains_key(identity_key(channel, user))?)
    }
}
