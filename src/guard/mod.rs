//! The guard: the first step of the pipeline, deciding whether a message is processed at all
//! (blocked users, rate limits). The terms-of-use enforcement plugs in here by implementing
//! [`Guard`]; until then [`OpenGuard`] lets everything through.

use kanava_adapter::UserIdentity;

use crate::clock::Micros;

/// What the guard decided about one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardDecision {
    /// Process the message.
    Allow,
    /// Do not process or store it. `notice` is the one message the user gets (in their
    /// language), or `None` for silence.
    Deny {
        /// Why, for metrics (`blocked`, `rate_limited`).
        reason: &'static str,
        /// The notice to send, if any.
        notice: Option<crate::i18n::Text>,
    },
}

/// Decides whether a message may enter the pipeline.
pub trait Guard: Send + Sync + std::fmt::Debug {
    /// Checks one message from `who` arriving at `now`.
    fn check(&self, who: &UserIdentity, now: Micros) -> GuardDecision;
}

/// Lets every message through.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenGuard;

impl Guard for OpenGuard {
    fn check(&self, _who: &UserIdentity, _now: Micros) -> GuardDecision {
        GuardDecision::Allow
    }
}
