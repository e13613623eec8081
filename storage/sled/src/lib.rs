//! kanava's embedded storage backend: every port of `kanava-store` on one sled database.
//!
//! One process per directory (sled's lock). Writes that must be durable before a reply share
//! one `fsync` through a group-commit thread, so durability stays cheap under load. Tree names
//! and key layouts are this crate's alone; nothing outside it names sled.

mod audit;
mod channels;
mod commit;
mod conversations;
mod moderation;
mod partitions;

use std::path::Path;
use std::sync::Arc;

use kanava_store::{Storage, StoreError};

pub(crate) use commit::Flusher;

/// Opens (creating if needed) the database in `dir`.
pub fn open(dir: &Path) -> Result<Storage, StoreError> {
    let db = sled::Config::new()
        .path(dir)
        .open()
        .map_err(|e| lock_error(e, dir))?;
    from_db(db)
}

/// A database that lives only as long as the process.
pub fn temporary() -> Result<Storage, StoreError> {
    from_db(
        sled::Config::new()
            .temporary(true)
            .open()
            .map_err(db_error)?,
    )
}

fn from_db(db: sled::Db) -> Result<Storage, StoreError> {
    let flusher = Flusher::start(db.clone())?;
    Ok(Storage {
        conversations: Arc::new(conversations::SledConversations::open(
            &db,
            flusher.clone(),
        )?),
        moderation: Arc::new(moderation::SledModeration::open(&db, flusher.clone())?),
        audit: Arc::new(audit::SledAudit::open(&db, flusher)?),
        channels: Arc::new(channels::SledChannels::open(&db)?),
    })
}

pub(crate) fn db_error(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn lock_error(e: sled::Error, dir: &Path) -> StoreError {
    match &e {
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            StoreError::Locked {
                dir: dir.display().to_string(),
            }
        }
        _ => db_error(e),
    }
}

/// Runs a multi-tree transaction whose closure never aborts.
pub(crate) fn tx_error(e: sled::transaction::TransactionError<()>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(e) => db_error(e),
        sled::transaction::TransactionError::Abort(()) => StoreError::Closed,
    }
}

/// A ready future with `result`: sled works when called, so every port future is ready.
pub(crate) fn ready<T: Send + 'static>(
    result: Result<T, StoreError>,
) -> kanava_store::StoreFuture<T> {
    Box::pin(futures::future::ready(result))
}

#[cfg(test)]
mod tests;
