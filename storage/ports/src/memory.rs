//! A complete backend in memory: for unit tests, `kanava ask`, and as the reference the
//! conformance suite is first written against. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future;
use kanava_adapter::{ChannelId, ChannelStore, Entry, StateError};

use crate::audit::AuditEntry;
use crate::moderation::{Block, Forgotten, ModerationSnapshot, Restriction, Strike};
use crate::ports::{
    AuditStore, ChannelStates, ConversationStore, ModerationStore, Storage, StoreFuture,
};
use crate::records::{
    ConversationKey, Erased, FeedbackRecord, Identity, RecordClass, RecordKey, SessionState, Stats,
    SubjectRecords, TranscriptRecord,
};
use crate::{Micros, StoreError};

#[derive(Debug, Default)]
struct Inner {
    seq: u64,
    transcript: BTreeMap<RecordKey, TranscriptRecord>,
    feedback: BTreeMap<RecordKey, FeedbackRecord>,
    sessions: BTreeMap<ConversationKey, SessionState>,
    blocks: BTreeMap<Identity, Block>,
    levels: BTreeMap<Identity, u32>,
    /// `(at, identity, seq)` → why.
    strikes: BTreeMap<(Micros, Identity, u64), String>,
    restrictions: BTreeMap<Identity, Restriction>,
    audit: Vec<AuditEntry>,
    channels: BTreeMap<(String, Vec<u8>), Vec<u8>>,
}

impl Inner {
    fn key(&mut self, at: Micros) -> RecordKey {
        self.seq += 1;
        RecordKey { at, seq: self.seq }
    }
}

/// The in-memory backend.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

/// A fresh, empty in-memory backend.
pub fn open() -> Storage {
    let store = MemoryStore::default();
    Storage {
        conversations: Arc::new(store.clone()),
        moderation: Arc::new(store.clone()),
        audit: Arc::new(store.clone()),
        channels: Arc::new(store),
    }
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the data now and returns its result as a ready future.
    fn now<T: Send + 'static>(&self, f: impl FnOnce(&mut Inner) -> T) -> StoreFuture<T> {
        let out = f(&mut self.lock());
        Box::pin(future::ready(Ok(out)))
    }
}

fn is_of(who: &Identity, channel: &str, user: &str) -> bool {
    who.channel == channel && who.user == user
}

/// The conversations of `who`: their own sessions and those they wrote in.
fn conversations_of(inner: &Inner, who: &Identity) -> BTreeSet<ConversationKey> {
    let mut keys: BTreeSet<ConversationKey> = inner
        .transcript
        .values()
        .filter(|r| is_of(who, &r.channel, &r.user))
        .map(|r| ConversationKey {
            channel: r.channel.clone(),
            chat: r.chat.clone(),
        })
        .collect();
    keys.extend(
        inner
            .sessions
            .iter()
            .filter(|(k, s)| k.channel == who.channel && s.user == who.user)
            .map(|(k, _)| k.clone()),
    );
    keys
}

impl ConversationStore for MemoryStore {
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> StoreFuture<Vec<RecordKey>> {
        let (conversation, session) = (conversation.clone(), session.clone());
        self.now(move |d| {
            let keys = records
                .into_iter()
                .map(|r| {
                    let key = d.key(r.at);
                    d.transcript.insert(key, r);
                    key
                })
                .collect();
            d.sessions.insert(conversation, session);
            keys
        })
    }

    fn save_session(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
    ) -> StoreFuture<()> {
        let (conversation, session) = (conversation.clone(), session.clone());
        self.now(move |d| {
            d.sessions.insert(conversation, session);
        })
    }

    fn append_feedback(&self, record: FeedbackRecord) -> StoreFuture<()> {
        self.now(move |d| {
            let key = d.key(record.at);
            d.feedback.insert(key, record);
        })
    }

    fn load_session(&self, conversation: &ConversationKey) -> StoreFuture<Option<SessionState>> {
        let conversation = conversation.clone();
        self.now(move |d| d.sessions.get(&conversation).cloned())
    }

    fn transcript_record(&self, key: RecordKey) -> StoreFuture<Option<TranscriptRecord>> {
        self.now(move |d| d.transcript.get(&key).cloned())
    }

    fn transcript_all(&self) -> StoreFuture<Vec<TranscriptRecord>> {
        self.now(|d| d.transcript.values().cloned().collect())
    }

    fn stats(&self) -> StoreFuture<Stats> {
        self.now(|d| Stats {
            transcript: d.transcript.len() as u64,
            feedback: d.feedback.len() as u64,
            sessions: d.sessions.len() as u64,
            restricted_identities: 0,
        })
    }

    fn records_of(&self, who: &Identity) -> StoreFuture<SubjectRecords> {
        let who = who.clone();
        self.now(move |d| SubjectRecords {
            transcripts: d
                .transcript
                .values()
                .filter(|r| is_of(&who, &r.channel, &r.user))
                .cloned()
                .collect(),
            feedback: d
                .feedback
                .values()
                .filter(|r| is_of(&who, &r.channel, &r.user))
                .cloned()
                .collect(),
            sessions: conversations_of(d, &who)
                .iter()
                .filter_map(|k| d.sessions.get(k).cloned())
                .collect(),
        })
    }

    fn erase_of(&self, who: &Identity) -> StoreFuture<Erased> {
        let who = who.clone();
        self.now(move |d| {
            let conversations = conversations_of(d, &who);
            let (t, f) = (d.transcript.len(), d.feedback.len());
            d.transcript
                .retain(|_, r| !is_of(&who, &r.channel, &r.user));
            d.feedback.retain(|_, r| !is_of(&who, &r.channel, &r.user));
            let sessions = conversations
                .iter()
                .filter(|k| d.sessions.remove(k).is_some())
                .count();
            Erased {
                transcripts: (t - d.transcript.len()) as u64,
                feedback: (f - d.feedback.len()) as u64,
                sessions: sessions as u64,
            }
        })
    }

    fn purge(&self, class: RecordClass, cutoff: Micros, limit: usize) -> StoreFuture<u64> {
        self.now(move |d| {
            let n = match class {
                RecordClass::Transcripts => {
                    take_due(&mut d.transcript, |k, _| k.at < cutoff, limit)
                }
                RecordClass::Feedback => take_due(&mut d.feedback, |k, _| k.at < cutoff, limit),
                RecordClass::Sessions => {
                    take_due(&mut d.sessions, |_, s| s.last_active < cutoff, limit)
                }
            };
            n as u64
        })
    }

    fn flush(&self) -> StoreFuture<()> {
        self.now(|_| ())
    }

    fn due(&self, class: RecordClass, cutoff: Micros) -> StoreFuture<u64> {
        self.now(move |d| {
            let n = match class {
                RecordClass::Transcripts => d
                    .transcript
                    .range(..RecordKey { at: cutoff, seq: 0 })
                    .count(),
                RecordClass::Feedback => {
                    d.feedback.range(..RecordKey { at: cutoff, seq: 0 }).count()
                }
                RecordClass::Sessions => d
                    .sessions
                    .values()
                    .filter(|s| s.last_active < cutoff)
                    .count(),
            };
            n as u64
        })
    }

    fn oldest(&self, class: RecordClass) -> StoreFuture<Option<Micros>> {
        self.now(move |d| match class {
            RecordClass::Transcripts => d.transcript.keys().next().map(|k| k.at),
            RecordClass::Feedback => d.feedback.keys().next().map(|k| k.at),
            RecordClass::Sessions => d.sessions.values().map(|s| s.last_active).min(),
        })
    }
}

/// Removes up to `limit` entries for which `due` holds; returns how many.
fn take_due<K: Ord + Clone, V>(
    map: &mut BTreeMap<K, V>,
    due: impl Fn(&K, &V) -> bool,
    limit: usize,
) -> usize {
    let keys: Vec<K> = map
        .iter()
        .filter(|(k, v)| due(k, v))
        .take(limit)
        .map(|(k, _)| k.clone())
        .collect();
    keys.iter().for_each(|k| {
        map.remove(k);
    });
    keys.len()
}

impl ModerationStore for MemoryStore {
    fn load(&self) -> StoreFuture<ModerationSnapshot> {
        self.now(|d| ModerationSnapshot {
            blocks: d.blocks.values().cloned().collect(),
            levels: d.levels.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            strikes: d
                .strikes
                .iter()
                .map(|((at, identity, _), why)| Strike {
                    identity: identity.clone(),
                    at: *at,
                    why: why.clone(),
                })
                .collect(),
            restrictions: d
                .restrictions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    fn put_block(&self, block: &Block) -> StoreFuture<()> {
        let block = block.clone();
        self.now(move |d| {
            d.blocks.insert(block.identity(), block);
        })
    }

    fn remove_block(&self, who: &Identity) -> StoreFuture<bool> {
        let who = who.clone();
        self.now(move |d| d.blocks.remove(&who).is_some())
    }

    fn block_of(&self, who: &Identity) -> StoreFuture<Option<Block>> {
        let who = who.clone();
        self.now(move |d| d.blocks.get(&who).cloned())
    }

    fn set_level(&self, who: &Identity, level: u32) -> StoreFuture<()> {
        let who = who.clone();
        self.now(move |d| {
            d.levels.insert(who, level);
        })
    }

    fn add_strike(&self, strike: &Strike) -> StoreFuture<()> {
        let strike = strike.clone();
        self.now(move |d| {
            d.seq += 1;
            let seq = d.seq;
            d.strikes
                .insert((strike.at, strike.identity, seq), strike.why);
        })
    }

    fn put_restriction(&self, who: &Identity, restriction: &Restriction) -> StoreFuture<()> {
        let (who, restriction) = (who.clone(), restriction.clone());
        self.now(move |d| {
            d.restrictions.insert(who, restriction);
        })
    }

    fn remove_restriction(&self, who: &Identity) -> StoreFuture<bool> {
        let who = who.clone();
        self.now(move |d| d.restrictions.remove(&who).is_some())
    }

    fn restriction_of(&self, who: &Identity) -> StoreFuture<Option<Restriction>> {
        let who = who.clone();
        self.now(move |d| d.restrictions.get(&who).cloned())
    }

    fn forget(&self, who: &Identity) -> StoreFuture<Forgotten> {
        let who = who.clone();
        self.now(move |d| {
            let records = [
                d.blocks.remove(&who).is_some(),
                d.levels.remove(&who).is_some(),
                d.restrictions.remove(&who).is_some(),
            ]
            .into_iter()
            .filter(|x| *x)
            .count() as u64;
            let before = d.strikes.len();
            d.strikes.retain(|(_, id, _), _| *id != who);
            Forgotten {
                records,
                strikes: (before - d.strikes.len()) as u64,
            }
        })
    }

    fn purge_strikes(&self, cutoff: Micros, limit: usize) -> StoreFuture<u64> {
        self.now(move |d| take_due(&mut d.strikes, |(at, _, _), _| *at < cutoff, limit) as u64)
    }

    fn strikes_due(&self, cutoff: Micros) -> StoreFuture<u64> {
        self.now(move |d| d.strikes.keys().filter(|(at, _, _)| *at < cutoff).count() as u64)
    }

    fn oldest_strike(&self) -> StoreFuture<Option<Micros>> {
        self.now(|d| d.strikes.keys().next().map(|(at, _, _)| *at))
    }

    fn purge_expired_blocks(&self, expired_before: Micros, dry_run: bool) -> StoreFuture<u64> {
        self.now(move |d| {
            let due = |b: &Block| b.expires.is_some_and(|e| e < expired_before);
            let n = d.blocks.values().filter(|b| due(b)).count();
            if !dry_run {
                d.blocks.retain(|_, b| !due(b));
            }
            n as u64
        })
    }

    fn flush(&self) -> StoreFuture<()> {
        self.now(|_| ())
    }
}

impl AuditStore for MemoryStore {
    fn append(&self, entry: AuditEntry) -> StoreFuture<()> {
        self.now(move |d| d.audit.push(entry))
    }

    fn last(&self) -> StoreFuture<Option<AuditEntry>> {
        self.now(|d| d.audit.last().cloned())
    }

    fn since(&self, since: Micros) -> StoreFuture<Vec<Result<AuditEntry, String>>> {
        // Entries are in append order; like the other backends, `since` skips the earlier ones
        // by the time of the entry (a backwards clock step cannot reorder the log).
        self.now(move |d| {
            let mut latest = 0;
            d.audit
                .iter()
                .filter(|e| {
                    latest = latest.max(e.record.at);
                    latest >= since
                })
                .cloned()
                .map(Ok)
                .collect()
        })
    }

    fn blank_subject(&self, subject_hash: &str) -> StoreFuture<u64> {
        let target = subject_hash.to_string();
        self.now(move |d| {
            let mut n = 0;
            for e in d.audit.iter_mut() {
                if e.concerns(&target) && e.record.subject.is_some() {
                    e.record.subject = None;
                    n += 1;
                }
            }
            n
        })
    }

    fn flush(&self) -> StoreFuture<()> {
        self.now(|_| ())
    }
}

impl ChannelStates for MemoryStore {
    fn open(&self, channel: &ChannelId) -> Result<Arc<dyn ChannelStore>, StoreError> {
        Ok(Arc::new(MemoryChannel {
            store: self.clone(),
            channel: channel.as_str().to_string(),
        }))
    }
}

/// One channel's slice of the in-memory channel state.
#[derive(Debug)]
struct MemoryChannel {
    store: MemoryStore,
    channel: String,
}

impl ChannelStore for MemoryChannel {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .store
            .lock()
            .channels
            .get(&(self.channel.clone(), key.to_vec()))
            .cloned())
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        self.store
            .lock()
            .channels
            .insert((self.channel.clone(), key.to_vec()), value.to_vec());
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<(), StateError> {
        self.store
            .lock()
            .channels
            .remove(&(self.channel.clone(), key.to_vec()));
        Ok(())
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StateError> {
        let d = self.store.lock();
        Ok(d.channels
            .range((self.channel.clone(), prefix.to_vec())..)
            .take_while(|((c, k), _)| *c == self.channel && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }
}
