//! One async trait per concern. Every method returns a `'static` future, so a caller can queue
//! a write while holding a lock and await it later, in order (the guard's write-behind); a
//! backend may do its work when called (the embedded one does) or when polled (a network
//! database).

use std::sync::Arc;

use futures::future::BoxFuture;
use kanava_adapter::{ChannelId, ChannelStore};

use crate::audit::AuditEntry;
use crate::moderation::{Block, Forgotten, ModerationSnapshot, Restriction, Strike};
use crate::records::{
    ConversationKey, Erased, FeedbackRecord, Identity, RecordClass, RecordKey, SessionState, Stats,
    SubjectRecords, TranscriptRecord,
};
use crate::{Micros, StoreError};

/// What every port method returns.
pub type StoreFuture<T> = BoxFuture<'static, Result<T, StoreError>>;

/// Transcripts, feedback and sessions: what the conversations leave behind.
pub trait ConversationStore: Send + Sync + std::fmt::Debug {
    /// Appends transcript records and saves the session state in one transaction; resolves once
    /// both are durable. Returns each record's key in order.
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> StoreFuture<Vec<RecordKey>>;

    /// Saves a session state (e.g. a language choice) durably.
    fn save_session(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
    ) -> StoreFuture<()>;

    /// Stores feedback durably.
    fn append_feedback(&self, record: FeedbackRecord) -> StoreFuture<()>;

    /// The last saved state of a conversation's session.
    fn load_session(&self, conversation: &ConversationKey) -> StoreFuture<Option<SessionState>>;

    /// One transcript record by key.
    fn transcript_record(&self, key: RecordKey) -> StoreFuture<Option<TranscriptRecord>>;

    /// Every transcript record, oldest first (administration and tests).
    fn transcript_all(&self) -> StoreFuture<Vec<TranscriptRecord>>;

    /// Counts of what is stored.
    fn stats(&self) -> StoreFuture<Stats>;

    /// Everything of one identity, oldest first (an access request, a resumed chat's history).
    fn records_of(&self, who: &Identity) -> StoreFuture<SubjectRecords>;

    /// Removes everything of one identity, with its index entries, and durably.
    fn erase_of(&self, who: &Identity) -> StoreFuture<Erased>;

    /// Removes up to `limit` records of `class` older than `cutoff` (with their index entries,
    /// atomically); returns how many went. Zero means none is due. A backend that keeps records
    /// in time partitions may remove a whole due partition in one call, more than `limit`:
    /// dropping a partition costs the same whatever it holds. Durable after
    /// [`ConversationStore::flush`] (a purge waits once at its end, not once a batch: what a
    /// crash loses is still due, and the next purge takes it).
    fn purge(&self, class: RecordClass, cutoff: Micros, limit: usize) -> StoreFuture<u64>;

    /// Makes every write so far durable.
    fn flush(&self) -> StoreFuture<()>;

    /// How many records of `class` are older than `cutoff` (a dry run).
    fn due(&self, class: RecordClass, cutoff: Micros) -> StoreFuture<u64>;

    /// The time of the oldest record of `class`, if any.
    fn oldest(&self, class: RecordClass) -> StoreFuture<Option<Micros>>;
}

/// Blocks, escalation levels, strikes and restrictions. The guard keeps all of it in memory and
/// writes through this port; writes are durable after [`ModerationStore::flush`].
pub trait ModerationStore: Send + Sync + std::fmt::Debug {
    /// Everything, as the guard loads it at start.
    fn load(&self) -> StoreFuture<ModerationSnapshot>;

    /// Stores a block, replacing the identity's earlier one.
    fn put_block(&self, block: &Block) -> StoreFuture<()>;

    /// Removes an identity's block; whether there was one.
    fn remove_block(&self, who: &Identity) -> StoreFuture<bool>;

    /// An identity's block, active or expired.
    fn block_of(&self, who: &Identity) -> StoreFuture<Option<Block>>;

    /// Records the automatic escalation level an identity has reached.
    fn set_level(&self, who: &Identity, level: u32) -> StoreFuture<()>;

    /// Stores a strike.
    fn add_strike(&self, strike: &Strike) -> StoreFuture<()>;

    /// Restricts processing of an identity (replacing an earlier restriction).
    fn put_restriction(&self, who: &Identity, restriction: &Restriction) -> StoreFuture<()>;

    /// Ends a restriction; whether there was one.
    fn remove_restriction(&self, who: &Identity) -> StoreFuture<bool>;

    /// An identity's restriction, if any.
    fn restriction_of(&self, who: &Identity) -> StoreFuture<Option<Restriction>>;

    /// Removes every block, level, restriction and strike of one identity (erasure).
    fn forget(&self, who: &Identity) -> StoreFuture<Forgotten>;

    /// Removes up to `limit` strikes older than `cutoff`; returns how many went.
    fn purge_strikes(&self, cutoff: Micros, limit: usize) -> StoreFuture<u64>;

    /// How many strikes are older than `cutoff`.
    fn strikes_due(&self, cutoff: Micros) -> StoreFuture<u64>;

    /// The time of the oldest strike, if any.
    fn oldest_strike(&self) -> StoreFuture<Option<Micros>>;

    /// Removes (or with `dry_run` counts) blocks that expired before `expired_before`.
    fn purge_expired_blocks(&self, expired_before: Micros, dry_run: bool) -> StoreFuture<u64>;

    /// Makes every write so far durable.
    fn flush(&self) -> StoreFuture<()>;
}

/// The audit log's entries, in append order. The chain itself is computed by the caller
/// ([`crate::audit`]); a backend only keeps the order.
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Appends an entry after every earlier one, durable after [`AuditStore::flush`].
    fn append(&self, entry: AuditEntry) -> StoreFuture<()>;

    /// The last entry, if any (the chain continues from its hash).
    fn last(&self) -> StoreFuture<Option<AuditEntry>>;

    /// Entries whose time is `since` or later, in append order. An entry that cannot be read is
    /// an `Err` item, so verification can report where the chain breaks.
    fn since(&self, since: Micros) -> StoreFuture<Vec<Result<AuditEntry, String>>>;

    /// Blanks the subject of every entry concerning the subject with this hash (erasure);
    /// returns how many changed. Durable when it resolves.
    fn blank_subject(&self, subject_hash: &str) -> StoreFuture<u64>;

    /// Makes every append so far durable.
    fn flush(&self) -> StoreFuture<()>;
}

/// Where the channel adapters keep their progress (offsets, outboxes, sessions).
pub trait ChannelStates: Send + Sync + std::fmt::Debug {
    /// The state of one channel instance, isolated from every other's.
    fn open(&self, channel: &ChannelId) -> Result<Arc<dyn ChannelStore>, StoreError>;
}

/// One backend's stores, as the composition root hands them out.
#[derive(Debug, Clone)]
pub struct Storage {
    /// Transcripts, feedback, sessions.
    pub conversations: Arc<dyn ConversationStore>,
    /// Blocks, levels, strikes, restrictions.
    pub moderation: Arc<dyn ModerationStore>,
    /// The audit log's entries.
    pub audit: Arc<dyn AuditStore>,
    /// The channels' progress.
    pub channels: Arc<dyn ChannelStates>,
}
