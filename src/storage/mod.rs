//! What kanava keeps, through the storage ports of `kanava-store`: this module opens the
//! configured backend and holds the write-behind queue through which the guard and the audit log
//! persist without waiting under their locks. No module outside the backends names a database.

mod write_behind;

use std::path::Path;

pub use kanava_store::{
    audit::{AuditEntry, AuditRecord, Verification},
    encode, memory, AuditStore, Block, BlockReason, BlockSource, ChannelStates, ConversationKey,
    ConversationStore, Erased, FeedbackRecord, Forgotten, Identity, ModerationStore, RecordClass,
    RecordKey, Restriction, Role, SessionState, Stats, Storage, StoreError, StoreFuture, Strike,
    SubjectRecords, TranscriptRecord,
};
pub use write_behind::{Pending, WriteBehind};

/// The embedded backend (sled) in `dir`, created if needed.
pub fn open_embedded(dir: &Path) -> Result<Storage, StoreError> {
    kanava_store_sled::open(dir)
}

/// A backend that lives as long as the process (`kanava ask`, tests).
pub fn temporary() -> Storage {
    kanava_store::memory::open()
}
