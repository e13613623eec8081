//! The one error every backend reports: no backend's own error type crosses a port.

/// A storage failure. The engine answers with a "temporarily unavailable" notice and never with
/// an answer whose question was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, connection, transaction); the message is the backend's.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored record could not be read back, or a record could not be encoded.
    #[error("corrupt record in {what}: {reason}")]
    Corrupt {
        /// The kind of record (`transcript`, `blocks`, `audit`, …).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The backend is shutting down.
    #[error("the store is shutting down")]
    Closed,
    /// Another process holds the data directory.
    #[error("the data directory {dir} is in use by another kanava process (the embedded database allows one process per directory); stop it, or use its control socket")]
    Locked {
        /// The directory.
        dir: String,
    },
}

impl StoreError {
    /// A backend failure from anything that displays.
    pub fn backend(e: impl std::fmt::Display) -> Self {
        Self::Backend(e.to_string())
    }
}

/// A record as JSON; a failure is an error, never an empty record.
pub fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        what,
        reason: format!("cannot serialise: {e}"),
    })
}

/// A record from JSON.
pub fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}
