//! Blocks and escalation levels: who may not use the channels, why, until when, and their
//! appeal. Held in memory, so checking one costs a map lookup; every change is queued to the
//! moderation store in the order it was made.

use std::collections::HashMap;
use std::sync::Arc;

use crate::storage::{Identity, ModerationStore, Pending, WriteBehind};

pub use crate::storage::{Block, BlockSource};

type Key = (String, String);

/// The blocks and levels of every identity, and where they are written.
#[derive(Debug)]
pub struct Blocks {
    store: Arc<dyn ModerationStore>,
    writes: WriteBehind,
    cache: HashMap<Key, Block>,
    /// Automatic blocks ever set per identity, for escalation.
    levels: HashMap<Key, u32>,
}

fn key(channel: &str, user: &str) -> Key {
    (channel.to_string(), user.to_string())
}

impl Blocks {
    /// The blocks and levels loaded from `store`.
    pub fn new(
        store: Arc<dyn ModerationStore>,
        writes: WriteBehind,
        blocks: Vec<Block>,
        levels: Vec<(Identity, u32)>,
    ) -> Self {
        Self {
            store,
            writes,
            cache: blocks
                .into_iter()
                .map(|b| ((b.channel.clone(), b.user.clone()), b))
                .collect(),
            levels: levels
                .into_iter()
                .map(|(who, level)| ((who.channel, who.user), level))
                .collect(),
        }
    }

    /// The block of an identity, if any (active or expired).
    pub fn get(&self, channel: &str, user: &str) -> Option<&Block> {
        self.cache.get(&key(channel, user))
    }

    /// Stores a block (replacing any earlier one).
    pub fn put(&mut self, b: Block) -> Pending {
        let pending = self.writes.push("block", self.store.put_block(&b));
        self.cache.insert((b.channel.clone(), b.user.clone()), b);
        pending
    }

    /// Removes a block; returns it.
    pub fn remove(&mut self, channel: &str, user: &str) -> (Option<Block>, Pending) {
        let who = Identity::new(channel, user);
        let pending = self.writes.push("unblock", self.store.remove_block(&who));
        (self.cache.remove(&key(channel, user)), pending)
    }

    /// Drops an identity's block and level from memory (its erasure removes them from storage).
    pub fn forget(&mut self, channel: &str, user: &str) {
        self.cache.remove(&key(channel, user));
        self.levels.remove(&key(channel, user));
    }

    /// The next automatic escalation level of an identity (and records it).
    pub fn next_level(&mut self, channel: &str, user: &str) -> u32 {
        let level = self.levels.entry(key(channel, user)).or_insert(0);
        *level += 1;
        let level = *level;
        let who = Identity::new(channel, user);
        // A failure is logged by the queue; the level in memory holds until restart.
        drop(
            self.writes
                .push("escalation level", self.store.set_level(&who, level)),
        );
        level
    }

    /// Every block, newest first.
    pub fn list(&self) -> Vec<Block> {
        let mut v: Vec<Block> = self.cache.values().cloned().collect();
        v.sort_by_key(|b| std::cmp::Reverse(b.created));
        v
    }
}
