//! What kanava keeps: redacted transcripts, sessions and feedback, behind the [`Store`] trait so
//! the engine can run on a temporary database in tests.
//!
//! Records are keyed by time (for retention purges) and indexed by subject, a hash of the user
//! identity (for export and erasure).

mod channel_state;
pub(crate) mod records;
pub(crate) mod sled_store;

use futures::future::BoxFuture;

pub use channel_state::SledChannelStore;
pub use records::{
    ConversationKey, FeedbackRecord, RecordKey, Role, SessionState, Stats, TranscriptRecord,
};
pub use sled_store::SledStore;

/// A storage failure. The engine answers with a "temporarily unavailable" notice and never with
/// an answer whose question was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    /// A stored record could not be read back.
    #[error("corrupt record in {tree}: {reason}")]
    Corrupt {
        /// The tree.
        tree: &'static str,
        /// Why.
        reason: String,
    },
    /// The background flusher is gone (shutting down).
    #[error("the store is shutting down")]
    Closed,
    /// Another process holds the data directory.
    #[error("the data directory {dir} is in use by another kanava process (sled allows one process per directory); stop it, or use its control socket")]
    Locked {
        /// The directory.
        dir: String,
    },
}

/// A record as JSON for `tree`; a failure is an error, never an empty record.
pub fn encode<T: serde::Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        tree,
        reason: format!("cannot serialise: {e}"),
    })
}

/// Durable storage of conversations.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Appends transcript records and saves the session state; resolves once both are durable
    /// on disk. Returns each record's key in order.
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> BoxFuture<'static, Result<Vec<RecordKey>, StoreError>>;

    /// Saves a session state (e.g. a language choice) durably.
    fn save_session(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
    ) -> BoxFuture<'static, Result<(), StoreError>>;

    /// Stores feedback durably.
    fn append_feedback(&self, record: FeedbackRecord)
        -> BoxFuture<'static, Result<(), StoreError>>;

    /// The last saved state of a conversation's session.
    fn load_session(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Option<SessionState>, StoreError>;

    /// One transcript record by key.
    fn transcript_record(&self, key: &RecordKey) -> Result<Option<TranscriptRecord>, StoreError>;

    /// Every transcript record of one platform identity, oldest first.
    fn transcript_of(&self, channel: &str, user: &str)
        -> Result<Vec<TranscriptRecord>, StoreError>;

    /// Every transcript record, oldest first (administration and tests).
    fn transcript_all(&self) -> Result<Vec<TranscriptRecord>, StoreError>;

    /// Counts of what is stored.
    fn stats(&self) -> Result<Stats, StoreError>;
}
