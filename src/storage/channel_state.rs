//! [`ChannelStore`] on sled: one tree for every channel's progress, keys prefixed by the channel
//! instance so adapters cannot see or clobber each other's state.

use kanava_adapter::{ChannelId, ChannelStore, Entry, StateError};

const TREE: &str = "channel_state";

/// One channel's slice of the `channel_state` tree.
#[derive(Debug, Clone)]
pub struct SledChannelStore {
    tree: sled::Tree,
    prefix: Vec<u8>,
}

impl SledChannelStore {
    /// The state of `channel` in `db`.
    pub fn open(db: &sled::Db, channel: &ChannelId) -> Result<Self, sled::Error> {
        let mut prefix = channel.as_str().as_bytes().to_vec();
        // Channel names never contain NUL, so `a` and `ab` cannot share keys.
        prefix.push(0);
        Ok(Self {
            tree: db.open_tree(TREE)?,
            prefix,
        })
    }

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

impl ChannelStore for SledChannelStore {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_isolated_and_writes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            let a = SledChannelStore::open(&db, &ChannelId::new("tg")).unwrap();
            let b = SledChannelStore::open(&db, &ChannelId::new("tg2")).unwrap();
            a.put(b"offset", b"7").unwrap();
            a.put(b"u/1", b"x").unwrap();
            b.put(b"u/2", b"y").unwrap();
            assert_eq!(
                a.scan(b"u/").unwrap(),
                vec![(b"u/1".to_vec(), b"x".to_vec())]
            );
            assert_eq!(b.get(b"offset").unwrap(), None);
            a.remove(b"u/1").unwrap();
        }
        let db = sled::open(dir.path()).unwrap();
        let a = SledChannelStore::open(&db, &ChannelId::new("tg")).unwrap();
        assert_eq!(a.get(b"offset").unwrap().as_deref(), Some(&b"7"[..]));
        assert!(a.scan(b"u/").unwrap().is_empty());
    }
}
