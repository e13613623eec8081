//! The guard: the first step of the pipeline, deciding whether a message is processed at all.
//! [`TermsGuard`] enforces the terms of use (blocks, strikes, rate limits, enumeration defense);
//! [`OpenGuard`] lets everything through (tools and tests).

mod blocks;
mod enumeration;
mod limits;
mod terms;

use kanava_adapter::UserIdentity;

use crate::clock::Micros;

pub use crate::storage::BlockReason;
pub use blocks::{Block, BlockSource};
pub use enumeration::{IdentifierHash, IdentifierKey, ADDRESS_PREFIX};
pub use limits::Rate;
pub use terms::{GuardError, TermsConfig, TermsGuard};

/// A notice the guard wants the user to get, rendered by the engine in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Too many messages: please slow down.
    SlowDown,
    /// Blocked: why, until when (`None`: until a moderator's review), how to appeal.
    Blocked {
        /// Why, in words for the user (a fixed reason code, never message text).
        reason: BlockReason,
        /// When the block ends.
        until: Option<Micros>,
    },
    /// During an identifier lockdown: general questions only.
    GeneralOnly,
    /// An appeal was recorded.
    AppealReceived,
    /// Processing of this identity is restricted (a data subject's request): nothing is
    /// processed or stored.
    Restricted,
}

/// What the guard decided about one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardDecision {
    /// Process the message.
    Allow,
    /// Do not process or store it. `notice` is the one message the user gets, or `None` for
    /// silence.
    Deny {
        /// Why, for metrics (`blocked`, `rate_limited`, `enumeration`, `lockdown`).
        reason: &'static str,
        /// The notice to send, if any.
        notice: Option<Notice>,
    },
}

/// A breach of the terms of use found after classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// Promotion or selling.
    Advertising,
}

/// What reading a message found out about it, recorded in the guard's second phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding<'a> {
    /// The case identifiers it carried (keyed hashes, never values), possibly none.
    Identifiers(&'a [IdentifierHash]),
    /// A breach of the terms found by the classifier.
    Violation(Violation),
}

impl GuardDecision {
    /// The notice for the user, if any.
    pub fn notice(self) -> Option<Notice> {
        match self {
            GuardDecision::Allow => None,
            GuardDecision::Deny { notice, .. } => notice,
        }
    }
}

/// Decides whether a message may enter the pipeline and keeps the user's record, in two phases:
/// [`Guard::admit`] before anything else looks at the message (blocks, restrictions, rates),
/// [`Guard::record`] with what redaction and classification found (identifiers, breaches).
pub trait Guard: Send + Sync + std::fmt::Debug {
    /// Phase one: may a message from `who` arriving at `now` be read at all? `appeal` is the
    /// redacted text of an `/appeal` command, which blocked users may send.
    fn admit(&self, who: &UserIdentity, now: Micros, appeal: Option<&str>) -> GuardDecision;

    /// Phase two: records what was found in the message; `Deny` stops an identifier probe
    /// (enumeration, lockdown) or reports that a breach now blocks (the notice to add).
    fn record(&self, who: &UserIdentity, now: Micros, finding: Finding<'_>) -> GuardDecision {
        let _ = (who, now, finding);
        GuardDecision::Allow
    }

    /// The key that turns case identifiers into hashes, if this guard tracks them.
    fn identifier_key(&self) -> Option<&IdentifierKey> {
        None
    }
}

/// Lets every message through.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenGuard;

impl Guard for OpenGuard {
    fn admit(&self, _who: &UserIdentity, _now: Micros, _appeal: Option<&str>) -> GuardDecision {
        GuardDecision::Allow
    }
}
