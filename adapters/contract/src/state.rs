//! Durable state a channel keeps between runs: update offsets, sync positions, delivery progress.
//!
//! Adapters must not lose a user's message or answer it twice across a restart, but they know no
//! database. kanava hands each adapter a [`ChannelStore`] already scoped to its channel instance.

/// Why channel state could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("channel state: {0}")]
pub struct StateError(pub String);

/// A key and its value, as [`ChannelStore::scan`] returns them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A small durable key-value store scoped to one channel instance.
///
/// Calls block briefly (a write returns only once it is on disk), so async adapters call them
/// from `tokio::task::spawn_blocking`. Keys are the adapter's own; values are opaque bytes.
pub trait ChannelStore: Send + Sync + 'static {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;

    /// Stores `value` under `key`; durable when this returns.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StateError>;

    /// Removes `key` (no error if absent); durable when this returns.
    fn remove(&self, key: &[u8]) -> Result<(), StateError>;

    /// Every key starting with `prefix`, in key order, with its value.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StateError>;
}

/// A [`ChannelStore`] for async code: each call runs on tokio's blocking pool, so a disk flush
/// never stalls the runtime's workers.
#[derive(Clone)]
pub struct AsyncState(std::sync::Arc<dyn ChannelStore>);

impl std::fmt::Debug for AsyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsyncState")
    }
}

impl AsyncState {
    /// Wraps a store.
    pub fn new(store: std::sync::Arc<dyn ChannelStore>) -> Self {
        Self(store)
    }

    /// Runs `f` against the store on the blocking pool.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn ChannelStore) -> Result<T, StateError> + Send + 'static,
    ) -> Result<T, StateError> {
        let s = self.0.clone();
        tokio::task::spawn_blocking(move || f(s.as_ref()))
            .await
            .map_err(|e| StateError(format!("state task failed: {e}")))?
    }

    /// [`ChannelStore::get`].
    pub async fn get(&self, key: impl Into<Vec<u8>>) -> Result<Option<Vec<u8>>, StateError> {
        let key = key.into();
        self.with(move |s| s.get(&key)).await
    }

    /// [`ChannelStore::put`]: durable when it returns.
    pub async fn put(
        &self,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> Result<(), StateError> {
        let (key, value) = (key.into(), value.into());
        self.with(move |s| s.put(&key, &value)).await
    }
}
