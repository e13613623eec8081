//! The records of moderation: blocks and their appeals, escalation levels, strikes, and
//! restrictions of processing.

use serde::{Deserialize, Serialize};

use crate::{Identity, Micros};

/// Why a user was blocked, as the user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// Repeated breaches of the terms of use (strikes).
    Strikes,
    /// Systematic querying of case identifiers.
    Enumeration,
    /// A moderator's decision.
    Moderator,
}

/// Who set a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum BlockSource {
    /// The terms-of-use rules.
    Automatic,
    /// A moderator, by personal id.
    Moderator(String),
}

/// One block of one platform identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
    /// Why.
    pub reason: BlockReason,
    /// Details for staff (never message text).
    pub detail: String,
    /// Who set it.
    pub source: BlockSource,
    /// When.
    pub created: Micros,
    /// When it ends; `None` until a moderator's review.
    pub expires: Option<Micros>,
    /// The escalation level of automatic blocks (1: 24 h, 2: 7 days, 3+: indefinite).
    pub level: u32,
    /// Whether the user got the one notice.
    pub notified: bool,
    /// The user's appeal, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<String>,
}

impl Block {
    /// Whether the block holds at `now`.
    pub fn active(&self, now: Micros) -> bool {
        self.expires.is_none_or(|e| now < e)
    }

    /// Whom it blocks.
    pub fn identity(&self) -> Identity {
        Identity::new(&self.channel, &self.user)
    }
}

/// One breach of the terms of use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strike {
    /// Whose.
    pub identity: Identity,
    /// When.
    pub at: Micros,
    /// Why (a fixed phrase, never message text).
    pub why: String,
}

/// A restriction of processing (a data subject's request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// Since when.
    pub since: Micros,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub actor: String,
}

/// Everything a guard loads at start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationSnapshot {
    /// Every block, active or expired.
    pub blocks: Vec<Block>,
    /// The automatic escalation level reached per identity.
    pub levels: Vec<(Identity, u32)>,
    /// Every stored strike.
    pub strikes: Vec<Strike>,
    /// Identities whose processing is restricted.
    pub restrictions: Vec<(Identity, Restriction)>,
}

/// What forgetting one identity removed from moderation state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Blocks, escalation levels and restrictions.
    pub records: u64,
    /// Strikes.
    pub strikes: u64,
}
