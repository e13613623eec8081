//! kanava's storage ports.
//!
//! Everything kanava keeps goes through the traits in [`ports`]: one per concern
//! (conversations, moderation, audit, channel progress), with records defined here and errors
//! in one backend-neutral [`StoreError`]. Backends live in their own crates (the embedded sled
//! one in `storage/sled`); [`memory`] is a complete backend for unit tests. Each backend runs
//! the same [`store_conformance_tests!`] suite.
//!
//! Conversation records are keyed by time (retention purges by time) and indexed by subject, a
//! hash of the user identity (access and erasure requests).

pub mod audit;
pub mod calendar;
mod error;
pub mod memory;
pub mod moderation;
pub mod ports;
mod records;

#[cfg(any(test, feature = "conformance"))]
#[doc(hidden)]
pub mod conformance;

pub use error::{decode, encode, StoreError};
pub use moderation::{
    Block, BlockReason, BlockSource, Forgotten, ModerationSnapshot, Restriction, Strike,
};
pub use ports::{
    AuditStore, ChannelStates, ConversationStore, ModerationStore, Storage, StoreFuture,
};
pub use records::{
    subject_key, ConversationKey, Erased, FeedbackRecord, Identity, RecordClass, RecordKey, Role,
    SessionState, Stats, SubjectRecords, TranscriptRecord,
};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = u64;

#[cfg(test)]
mod tests {
    crate::store_conformance_tests!(crate::memory::open());
}
