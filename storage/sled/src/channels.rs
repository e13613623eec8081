//! [`ChannelStore`] on sled: one tree for every channel's progress, keys prefixed by the channel
//! instance so adapters cannot see or clobber each other's state.

use std::sync::Arc;

use kanava_adapter::{ChannelId, ChannelStore, Entry, StateError};
use kanava_store::{ChannelStates, StoreError};

use crate::db_error;

const TREE: &str = "channel_state";

/// Opens channel slices of the `channel_state` tree.
#[derive(Debug)]
pub(crate) struct SledChannels {
    tree: sled::Tree,
}

impl SledChannels {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(TREE).map_err(db_error)?,
        })
    }
}

impl ChannelStates for SledChannels {
    fn open(&self, channel: &ChannelId) -> Result<Arc<dyn ChannelStore>, StoreError> {
        let mut prefix = channel.as_str().as_bytes().to_vec();
        // Channel names never contain NUL, so `a` and `ab` cannot share keys.
        prefix.push(0);
        Ok(Arc::new(SledChannel {
            tree: self.tree.clone(),
            prefix,
        }))
    }
}

/// One channel's slice.
#[derive(Debug, Clone)]
struct SledChannel {
    tree: sled::Tree,
    prefix: Vec<u8>,
}

impl SledChannel {
    fn key(&self, key: &[u8]) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        k
    }

    fn durable(&self) -> Result<(), StateError> {
        self.tree.flush().map(|_| ()).map_err(err)
    }
}

fn err(e: sled::Error) -> StateError {
    StateError(e.to_string())
}

impl ChannelStore for SledChannel {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .tree
            .get(self.key(key))
            .map_err(err)?
            .map(|v| v.to_vec()))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        self.tree.insert(self.key(key), value).map_err(err)?;
        self.durable()
    }

    fn remove(&self, key: &[u8]) -> Result<(), StateError> {
        self.tree.remove(self.key(key)).map_err(err)?;
        self.durable()
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StateError> {
        self.tree
            .scan_prefix(self.key(prefix))
            .map(|kv| {
                let (k, v) = kv.map_err(err)?;
                Ok((k[self.prefix.len()..].to_vec(), v.to_vec()))
            })
            .collect()
    }
}
