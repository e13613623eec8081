//! Blocks: who may not use the channels, why, until when, and their appeal. Persisted in sled and
//! cached in memory, so checking one costs a map lookup.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::BlockReason;
use crate::clock::Micros;
use crate::storage::StoreError;

/// Who set a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum BlockSource {
    /// The terms-of-use rules.
    Automatic,
    /// A moderator, by personal id.
    Moderator(String),
}

/// One block of one platform identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
    /// Why.
    pub reason: BlockReason,
    /// Details for staff (never message text).
    pub detail: String,
    /// Who set it.
    pub source: BlockSource,
    /// When.
    pub created: Micros,
    /// When it ends; `None` until a moderator's review.
    pub expires: Option<Micros>,
    /// The escalation level of automatic blocks (1: 24 h, 2: 7 days, 3+: indefinite).
    pub level: u32,
    /// Whether the user got the one notice.
    pub notified: bool,
    /// The user's appeal, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<String>,
}

impl Block {
    /// Whether the block holds at `now`.
    pub fn active(&self, now: Micros) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

fn key(channel: &str, user: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(channel.len() + user.len() + 4);
    k.extend_from_slice(&(channel.len() as u32).to_be_bytes());
    k.extend_from_slice(channel.as_bytes());
    k.extend_from_slice(user.as_bytes());
    k
}

/// The blocks tree and its cache.
#[derive(Debug)]
pub struct Blocks {
    tree: sled::Tree,
    /// Automatic blocks ever set per identity, for escalation.
    history: sled::Tree,
    cache: HashMap<(String, String), Block>,
}

impl Blocks {
    /// Loads every block.
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        let tree = db.open_tree("blocks")?;
        let history = db.open_tree("block_levels")?;
        let mut cache = HashMap::new();
        for item in tree.iter() {
            let (_, v) = item?;
            let b: Block = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                tree: "blocks",
                reason: e.to_string(),
            })?;
            cache.insert((b.channel.clone(), b.user.clone()), b);
        }
        Ok(Self {
            tree,
            history,
            cache,
        })
    }

    /// The block of an identity, if any (active or expired).
    pub fn get(&self, channel: &str, user: &str) -> Option<&Block> {
        self.cache.get(&(channel.to_string(), user.to_string()))
    }

    /// Stores a block (replacing any earlier one).
    pub fn put(&mut self, b: Block) -> Result<(), StoreError> {
        self.tree.insert(
            key(&b.channel, &b.user),
            crate::storage::encode("blocks", &b)?,
        )?;
        self.cache.insert((b.channel.clone(), b.user.clone()), b);
        Ok(())
    }

    /// Removes a block; returns it.
    pub fn remove(&mut self, channel: &str, user: &str) -> Result<Option<Block>, StoreError> {
        self.tree.remove(key(channel, user))?;
        self.tree.flush()?;
        Ok(self.cache.remove(&(channel.to_string(), user.to_string())))
    }

    /// The next automatic escalation level of an identity (and records it).
    pub fn next_level(&mut self, channel: &str, user: &str) -> Result<u32, StoreError> {
        let k = key(channel, user);
        let level = self
            .history
            .get(&k)?
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(0)
            + 1;
        self.history.insert(k, &level.to_be_bytes())?;
        Ok(level)
    }

    /// Every block, newest first.
    pub fn list(&self) -> Vec<Block> {
        let mut v: Vec<Block> = self.cache.values().cloned().collect();
        v.sort_by_key(|b| std::cmp::Reverse(b.created));
        v
    }
}
