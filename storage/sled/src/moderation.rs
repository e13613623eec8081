//! Moderation state on sled. Trees: `blocks` and `restricted` (identity → JSON),
//! `block_levels` (identity → u32), `strikes` (`at ‖ identity` → why). Identity keys are
//! length-prefixed ([`Identity::to_bytes`]).

use kanava_store::{
    decode, encode, Block, Forgotten, Identity, Micros, ModerationSnapshot, ModerationStore,
    Restriction, StoreError, StoreFuture, Strike,
};

use crate::{db_error, ready, Flusher};

#[derive(Debug)]
pub(crate) struct SledModeration {
    blocks: sled::Tree,
    levels: sled::Tree,
    strikes: sled::Tree,
    restricted: sled::Tree,
    flusher: Flusher,
}

fn strike_key(who: &Identity, at: Micros) -> Vec<u8> {
    let mut k = at.to_be_bytes().to_vec();
    k.extend_from_slice(&who.to_bytes());
    k
}

fn decode_strike(k: &[u8], v: &[u8]) -> Option<Strike> {
    Some(Strike {
        at: u64::from_be_bytes(k.get(..8)?.try_into().ok()?),
        identity: Identity::from_bytes(k.get(8..)?)?,
        why: String::from_utf8_lossy(v).into_owned(),
    })
}

impl SledModeration {
    pub(crate) fn open(db: &sled::Db, flusher: Flusher) -> Result<Self, StoreError> {
        let tree = |name| db.open_tree(name).map_err(db_error);
        Ok(Self {
            blocks: tree("blocks")?,
            levels: tree("block_levels")?,
            strikes: tree("strikes")?,
            restricted: tree("restricted")?,
            flusher,
        })
    }

    fn snapshot(&self) -> Result<ModerationSnapshot, StoreError> {
        let mut snap = ModerationSnapshot::default();
        for item in self.blocks.iter() {
            let (_, v) = item.map_err(db_error)?;
            snap.blocks.push(decode("blocks", &v)?);
        }
        for item in self.levels.iter() {
            let (k, v) = item.map_err(db_error)?;
            if let (Some(who), Ok(b)) = (Identity::from_bytes(&k), v.as_ref().try_into()) {
                snap.levels.push((who, u32::from_be_bytes(b)));
            }
        }
        for item in self.strikes.iter() {
            let (k, v) = item.map_err(db_error)?;
            snap.strikes.extend(decode_strike(&k, &v));
        }
        for item in self.restricted.iter() {
            let (k, v) = item.map_err(db_error)?;
            if let Some(who) = Identity::from_bytes(&k) {
                snap.restrictions.push((who, decode("restricted", &v)?));
            }
        }
        Ok(snap)
    }

    fn forget_now(&self, who: &Identity) -> Result<Forgotten, StoreError> {
        let key = who.to_bytes();
        let mut done = Forgotten::default();
        for tree in [&self.blocks, &self.levels, &self.restricted] {
            if tree.remove(&key).map_err(db_error)?.is_some() {
                done.records += 1;
            }
        }
        // Strike keys are `at ‖ identity`: few enough to scan.
        for item in self.strikes.iter() {
            let (k, _) = item.map_err(db_error)?;
            if k.get(8..) == Some(key.as_slice()) {
                self.strikes.remove(k).map_err(db_error)?;
                done.strikes += 1;
            }
        }
        Ok(done)
    }

    fn purge_strikes_now(&self, cutoff: Micros, limit: usize) -> Result<u64, StoreError> {
        let keys: Vec<sled::IVec> = self
            .strikes
            .range(..cutoff.to_be_bytes())
            .keys()
            .take(limit)
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        let mut batch = sled::Batch::default();
        keys.iter().for_each(|k| batch.remove(k.clone()));
        self.strikes.apply_batch(batch).map_err(db_error)?;
        Ok(keys.len() as u64)
    }

    fn purge_blocks_now(&self, expired_before: Micros, dry_run: bool) -> Result<u64, StoreError> {
        // Blocks are few and keyed by identity: the only moderation class read whole.
        let mut n = 0;
        for item in self.blocks.iter() {
            let (k, v) = item.map_err(db_error)?;
            let expired = decode::<Block>("blocks", &v)
                .ok()
                .and_then(|b| b.expires)
                .is_some_and(|e| e < expired_before);
            if expired {
                n += 1;
                if !dry_run {
                    self.blocks.remove(k).map_err(db_error)?;
                }
            }
        }
        Ok(n)
    }
}

impl ModerationStore for SledModeration {
    fn load(&self) -> StoreFuture<ModerationSnapshot> {
        ready(self.snapshot())
    }

    fn put_block(&self, block: &Block) -> StoreFuture<()> {
        ready(encode("blocks", block).and_then(|v| {
            self.blocks
                .insert(block.identity().to_bytes(), v)
                .map(|_| ())
                .map_err(db_error)
        }))
    }

    fn remove_block(&self, who: &Identity) -> StoreFuture<bool> {
        ready(
            self.blocks
                .remove(who.to_bytes())
                .map(|old| old.is_some())
                .map_err(db_error),
        )
    }

    fn block_of(&self, who: &Identity) -> StoreFuture<Option<Block>> {
        ready(
            self.blocks
                .get(who.to_bytes())
                .map_err(db_error)
                .and_then(|v| v.map(|v| decode("blocks", &v)).transpose()),
        )
    }

    fn set_level(&self, who: &Identity, level: u32) -> StoreFuture<()> {
        ready(
            self.levels
                .insert(who.to_bytes(), &level.to_be_bytes())
                .map(|_| ())
                .map_err(db_error),
        )
    }

    fn add_strike(&self, strike: &Strike) -> StoreFuture<()> {
        // Two strikes of one identity in the same microsecond would share a key: the second
        // moves on by a microsecond, which changes no window.
        let result = (|| {
            let mut at = strike.at;
            while self
                .strikes
                .contains_key(strike_key(&strike.identity, at))
                .map_err(db_error)?
            {
                at += 1;
            }
            self.strikes
                .insert(strike_key(&strike.identity, at), strike.why.as_bytes())
                .map_err(db_error)?;
            Ok(())
        })();
        ready(result)
    }

    fn put_restriction(&self, who: &Identity, restriction: &Restriction) -> StoreFuture<()> {
        ready(encode("restricted", restriction).and_then(|v| {
            self.restricted
                .insert(who.to_bytes(), v)
                .map(|_| ())
                .map_err(db_error)
        }))
    }

    fn remove_restriction(&self, who: &Identity) -> StoreFuture<bool> {
        ready(
            self.restricted
                .remove(who.to_bytes())
                .map(|old| old.is_some())
                .map_err(db_error),
        )
    }

    fn restriction_of(&self, who: &Identity) -> StoreFuture<Option<Restriction>> {
        ready(
            self.restricted
                .get(who.to_bytes())
                .map_err(db_error)
                .and_then(|v| v.map(|v| decode("restricted", &v)).transpose()),
        )
    }

    fn forget(&self, who: &Identity) -> StoreFuture<Forgotten> {
        let result = self.forget_now(who);
        self.flusher.after(result)
    }

    fn purge_strikes(&self, cutoff: Micros, limit: usize) -> StoreFuture<u64> {
        ready(self.purge_strikes_now(cutoff, limit))
    }

    fn strikes_due(&self, cutoff: Micros) -> StoreFuture<u64> {
        ready(Ok(self.strikes.range(..cutoff.to_be_bytes()).count() as u64))
    }

    fn oldest_strike(&self) -> StoreFuture<Option<Micros>> {
        ready(
            self.strikes.first().map_err(db_error).map(|f| {
                f.and_then(|(k, _)| Some(u64::from_be_bytes(k.get(..8)?.try_into().ok()?)))
            }),
        )
    }

    fn purge_expired_blocks(&self, expired_before: Micros, dry_run: bool) -> StoreFuture<u64> {
        ready(self.purge_blocks_now(expired_before, dry_run))
    }

    fn flush(&self) -> StoreFuture<()> {
        self.flusher.durable()
    }
}
