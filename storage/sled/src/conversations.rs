//! Transcripts, feedback and sessions on sled.
//!
//! Transcripts and feedback live in month partitions (see [`crate::partitions`]): per class and
//! month a tree of time-ordered [`RecordKey`]s → JSON and a tree of subject-index entries
//! (`subject hash ‖ record key` → ()). Sessions are one record per conversation, rewritten on
//! every turn, so they are not partitioned: `sessions` (conversation → JSON) with
//! `sessions_by_time` (`last_active ‖ conversation`, for retention) and their entries in
//! `by_subject` (`subject hash ‖ 's' ‖ conversation` → ()).

use std::collections::BTreeSet;

use kanava_store::{
    decode, encode, ConversationKey, ConversationStore, Erased, FeedbackRecord, Identity, Micros,
    RecordClass, RecordKey, SessionState, Stats, StoreError, StoreFuture, SubjectRecords,
    TranscriptRecord,
};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

use crate::partitions::{month_of, month_start, Month, Months, Partitioned};
use crate::{db_error, ready, tx_error, Flusher};

const TRANSCRIPT: &str = "transcript";
const FEEDBACK: &str = "feedback";
const SESSIONS: &str = "sessions";
const SESSIONS_BY_TIME: &str = "sessions_by_time";
const BY_SUBJECT: &str = "by_subject";

/// Before month partitions, transcripts and feedback had one tree each, indexed in
/// `by_subject` under these tags; [`SledConversations::open`] moves them into partitions.
const LEGACY_TAG_TRANSCRIPT: u8 = b't';
const LEGACY_TAG_FEEDBACK: u8 = b'f';
/// Sessions in `by_subject`: followed by the conversation key.
const TAG_SESSION: u8 = b's';
/// Records moved per step of the migration.
const MIGRATION_STEP: usize = 10_000;

type TxResult = Result<(), ConflictableTransactionError<()>>;

/// (conversation key, its `by_subject` entry) of one identity's sessions.
type IndexedSessions = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Debug, Clone)]
pub(crate) struct SledConversations {
    db: sled::Db,
    transcript: Partitioned,
    feedback: Partitioned,
    sessions: sled::Tree,
    sessions_by_time: sled::Tree,
    by_subject: sled::Tree,
    flusher: Flusher,
}

/// `subject hash ‖ record key`: a record's entry in its month's index.
fn record_index_key(who: &Identity, key: &RecordKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(32);
    k.extend_from_slice(&who.subject_key());
    k.extend_from_slice(&key.to_bytes());
    k
}

/// `subject hash ‖ 's' ‖ conversation key`: a session's entry in `by_subject`.
fn session_index_key(who: &Identity, conversation: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(17 + conversation.len());
    k.extend_from_slice(&who.subject_key());
    k.push(TAG_SESSION);
    k.extend_from_slice(conversation);
    k
}

/// `last_active ‖ conversation key`.
fn session_time_key(last_active: Micros, conversation: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + conversation.len());
    k.extend_from_slice(&last_active.to_be_bytes());
    k.extend_from_slice(conversation);
    k
}

/// Writes a session and keeps its time and subject index entries in step.
fn put_session(
    sess: &TransactionalTree,
    by_time: &TransactionalTree,
    by_subject: &TransactionalTree,
    conversation: &ConversationKey,
    session: &SessionState,
    value: &[u8],
) -> TxResult {
    let key = conversation.to_bytes();
    if let Some(old) = sess.get(&key)? {
        if let Ok(old) = serde_json::from_slice::<SessionState>(&old) {
            by_time.remove(session_time_key(old.last_active, &key))?;
        }
    }
    sess.insert(key.as_slice(), value)?;
    by_time.insert(session_time_key(session.last_active, &key), &[][..])?;
    let who = Identity::new(&conversation.channel, &session.user);
    by_subject.insert(session_index_key(&who, &key), &[][..])?;
    Ok(())
}

/// Removes a session with its index entries.
fn remove_session(
    sess: &TransactionalTree,
    by_time: &TransactionalTree,
    by_subject: &TransactionalTree,
    channel: &str,
    key: &[u8],
) -> Result<bool, ConflictableTransactionError<()>> {
    let Some(old) = sess.remove(key)? else {
        return Ok(false);
    };
    if let Ok(old) = serde_json::from_slice::<SessionState>(&old) {
        by_time.remove(session_time_key(old.last_active, key))?;
        let who = Identity::new(channel, &old.user);
        by_subject.remove(session_index_key(&who, key))?;
    }
    Ok(true)
}

/// The channel of a conversation key (`len ‖ channel ‖ chat`).
fn channel_of(conversation: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(conversation.get(..4)?.try_into().ok()?) as usize;
    Some(
        std::str::from_utf8(conversation.get(4..4 + len)?)
            .ok()?
            .to_string(),
    )
}

/// The identity fields of a transcript or feedback record.
#[derive(serde::Deserialize)]
struct Subject {
    channel: String,
    user: String,
}

fn at_of(key: &[u8]) -> Option<Micros> {
    Some(u64::from_be_bytes(key.get(..8)?.try_into().ok()?))
}

/// The records of one identity in one class, across its months (JSON values).
fn values_of(months: &Months, who: &Identity) -> Result<Vec<sled::IVec>, StoreError> {
    let mut out = Vec::new();
    for p in months.values() {
        for item in p.index.scan_prefix(who.subject_key()) {
            let (k, _) = item.map_err(db_error)?;
            if let Some(v) = p.records.get(&k[16..]).map_err(db_error)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Removes one identity's records of one class, month by month; returns the removed values.
fn erase_in(months: &Months, who: &Identity) -> Result<Vec<sled::IVec>, StoreError> {
    let mut removed = Vec::new();
    for p in months.values() {
        let keys: Vec<sled::IVec> = p
            .index
            .scan_prefix(who.subject_key())
            .keys()
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        for k in keys {
            let value = (&p.records, &p.index)
                .transaction(|(r, i)| {
                    i.remove(&k)?;
                    Ok(r.remove(&k[16..])?)
                })
                .map_err(tx_error)?;
            removed.extend(value);
        }
    }
    Ok(removed)
}

/// How many records of one class are older than `cutoff`.
fn due_in(months: &Months, cutoff: Micros) -> u64 {
    let boundary = month_of(cutoff);
    let end = RecordKey { at: cutoff, seq: 0 }.to_bytes();
    months
        .range(..=boundary)
        .map(|(&m, p)| {
            if m < boundary {
                p.records.len() as u64
            } else {
                p.records.range(..end.as_slice()).count() as u64
            }
        })
        .sum()
}

fn oldest_in(months: &Months) -> Result<Option<Micros>, StoreError> {
    for p in months.values() {
        if let Some((k, _)) = p.records.first().map_err(db_error)? {
            return Ok(at_of(&k));
        }
    }
    Ok(None)
}

/// Removes up to `limit` records older than `cutoff` from `month` with their index entries,
/// in one transaction.
fn trim_month(
    months: &Months,
    month: Month,
    cutoff: Micros,
    limit: usize,
) -> Result<u64, StoreError> {
    let Some(p) = months.get(&month) else {
        return Ok(0);
    };
    let end = RecordKey { at: cutoff, seq: 0 }.to_bytes();
    let due: Vec<(sled::IVec, sled::IVec)> = p
        .records
        .range(..end.as_slice())
        .take(limit)
        .collect::<Result<_, _>>()
        .map_err(db_error)?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut records = sled::Batch::default();
    let mut index = sled::Batch::default();
    for (k, v) in &due {
        records.remove(k.clone());
        if let (Ok(r), Some(key)) = (
            serde_json::from_slice::<Subject>(v),
            RecordKey::from_bytes(k),
        ) {
            index.remove(record_index_key(&Identity::new(r.channel, r.user), &key));
        }
    }
    (&p.records, &p.index)
        .transaction(|(r, i)| {
            r.apply_batch(&records)?;
            i.apply_batch(&index)?;
            Ok(())
        })
        .map_err(tx_error)?;
    Ok(due.len() as u64)
}

impl SledConversations {
    pub(crate) fn open(db: &sled::Db, flusher: Flusher) -> Result<Self, StoreError> {
        let tree = |name| db.open_tree(name).map_err(db_error);
        let store = Self {
            transcript: Partitioned::open(db, TRANSCRIPT)?,
            feedback: Partitioned::open(db, FEEDBACK)?,
            sessions: tree(SESSIONS)?,
            sessions_by_time: tree(SESSIONS_BY_TIME)?,
            by_subject: tree(BY_SUBJECT)?,
            db: db.clone(),
            flusher,
        };
        store.migrate_unpartitioned()?;
        Ok(store)
    }

    /// Moves records of the layout before month partitions into them: copy a step of records
    /// (and their index entries) into their months, then remove them from the old tree; then the
    /// old index entries; then the old trees. Every step can be repeated, so a crash midway only
    /// means the next start finishes the move.
    fn migrate_unpartitioned(&self) -> Result<(), StoreError> {
        let names = self.db.tree_names();
        let present = |n: &str| names.iter().any(|t| &**t == n.as_bytes());
        let legacy = [(TRANSCRIPT, &self.transcript), (FEEDBACK, &self.feedback)];
        if !legacy.iter().any(|(name, _)| present(name)) {
            return Ok(());
        }
        for (name, partitioned) in legacy {
            if !present(name) {
                continue;
            }
            let old = self.db.open_tree(name).map_err(db_error)?;
            loop {
                let step: Vec<(sled::IVec, sled::IVec)> = old
                    .iter()
                    .take(MIGRATION_STEP)
                    .collect::<Result<_, _>>()
                    .map_err(db_error)?;
                if step.is_empty() {
                    break;
                }
                let mut by_month: std::collections::BTreeMap<Month, Vec<_>> = Default::default();
                for (k, v) in &step {
                    if let Some(key) = RecordKey::from_bytes(k) {
                        by_month.entry(month_of(key.at)).or_default().push((key, v));
                    }
                }
                let needed: Vec<Month> = by_month.keys().copied().collect();
                partitioned.with(&needed, |months| {
                    for (m, entries) in &by_month {
                        let Some(p) = months.get(m) else { continue };
                        let mut records = sled::Batch::default();
                        let mut index = sled::Batch::default();
                        for (key, v) in entries {
                            records.insert(key.to_bytes().to_vec(), (*v).clone());
                            if let Ok(r) = serde_json::from_slice::<Subject>(v) {
                                let who = Identity::new(r.channel, r.user);
                                index.insert(record_index_key(&who, key), &[][..]);
                            }
                        }
                        p.records.apply_batch(records).map_err(db_error)?;
                        p.index.apply_batch(index).map_err(db_error)?;
                    }
                    Ok(())
                })?;
                let mut done = sled::Batch::default();
                for (k, _) in &step {
                    done.remove(k.clone());
                }
                old.apply_batch(done).map_err(db_error)?;
                self.db.flush().map_err(db_error)?;
            }
        }
        let mut old_index = sled::Batch::default();
        for item in self.by_subject.iter().keys() {
            let k = item.map_err(db_error)?;
            if matches!(
                k.get(16),
                Some(&LEGACY_TAG_TRANSCRIPT | &LEGACY_TAG_FEEDBACK)
            ) {
                old_index.remove(k);
            }
        }
        self.by_subject.apply_batch(old_index).map_err(db_error)?;
        self.db.flush().map_err(db_error)?;
        for (name, _) in legacy {
            self.db.drop_tree(name).map_err(db_error)?;
        }
        self.db.flush().map_err(db_error)?;
        Ok(())
    }

    fn next_key(&self, at: Micros) -> Result<RecordKey, StoreError> {
        Ok(RecordKey {
            at,
            seq: self.db.generate_id().map_err(db_error)?,
        })
    }

    /// The conversations `by_subject` lists for one identity.
    fn indexed_sessions(&self, who: &Identity) -> Result<IndexedSessions, StoreError> {
        let mut out = Vec::new();
        for item in self.by_subject.scan_prefix(who.subject_key()) {
            let (k, _) = item.map_err(db_error)?;
            if let (Some(&TAG_SESSION), Some(rest)) = (k.get(16), k.get(17..)) {
                out.push((rest.to_vec(), k.to_vec()));
            }
        }
        Ok(out)
    }

    fn records(&self, who: &Identity) -> Result<SubjectRecords, StoreError> {
        let mut out = SubjectRecords::default();
        // The subject hash is 128 bits: a collision is not a realistic concern, but a cheap
        // equality check keeps the export exact regardless.
        for v in self.transcript.with(&[], |m| values_of(m, who))? {
            let r: TranscriptRecord = decode(TRANSCRIPT, &v)?;
            if r.channel == who.channel && r.user == who.user {
                out.transcripts.push(r);
            }
        }
        for v in self.feedback.with(&[], |m| values_of(m, who))? {
            let r: FeedbackRecord = decode(FEEDBACK, &v)?;
            if r.channel == who.channel && r.user == who.user {
                out.feedback.push(r);
            }
        }
        let sessions = self.indexed_sessions(who)?;
        for key in conversations_of(who, &sessions, &out.transcripts) {
            if let Some(v) = self.sessions.get(&key).map_err(db_error)? {
                out.sessions.push(decode(SESSIONS, &v)?);
            }
        }
        Ok(out)
    }

    fn erase(&self, who: &Identity) -> Result<Erased, StoreError> {
        let sessions = self.indexed_sessions(who)?;
        let transcripts: Vec<TranscriptRecord> = self
            .transcript
            .with(&[], |m| erase_in(m, who))?
            .iter()
            .filter_map(|v| serde_json::from_slice(v).ok())
            .collect();
        let feedback = self.feedback.with(&[], |m| erase_in(m, who))?;
        let mut done = Erased {
            transcripts: transcripts.len() as u64,
            feedback: feedback.len() as u64,
            ..Erased::default()
        };
        for key in conversations_of(who, &sessions, &transcripts) {
            let removed = (&self.sessions, &self.sessions_by_time, &self.by_subject)
                .transaction(|(s, t, i)| remove_session(s, t, i, &who.channel, &key))
                .map_err(tx_error)?;
            done.sessions += u64::from(removed);
        }
        for (_, index_key) in &sessions {
            self.by_subject.remove(index_key).map_err(db_error)?;
        }
        Ok(done)
    }

    /// One step of a purge of transcripts or feedback: the oldest month if it is wholly due
    /// (dropped whole), else up to `limit` records of the month the cutoff falls in.
    fn purge_records(
        &self,
        class: &Partitioned,
        cutoff: Micros,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let boundary = month_of(cutoff);
        loop {
            let oldest = class.with(&[], |m| Ok(m.keys().next().copied()))?;
            match oldest {
                Some(m) if month_start(m + 1) <= cutoff => {
                    let held = class.drop_month(m)?;
                    if held > 0 {
                        return Ok(held);
                    }
                }
                Some(m) if m == boundary => {
                    return class.with(&[], |months| trim_month(months, m, cutoff, limit))
                }
                _ => return Ok(0),
            }
        }
    }

    /// One batch of due sessions. Not one transaction over three trees (that cost ~36 µs a
    /// session, most of a purge): each session goes by compare-and-swap, so one refreshed
    /// meanwhile stays, then its subject entries and the due time entries go in one batch per
    /// tree. A crash in between leaves only time entries without sessions, which the next
    /// purge drops — never a due session without its time entry.
    fn purge_sessions(&self, cutoff: Micros, limit: usize) -> Result<u64, StoreError> {
        let due: Vec<sled::IVec> = self
            .sessions_by_time
            .range(..cutoff.to_be_bytes())
            .keys()
            .take(limit)
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut times = sled::Batch::default();
        let mut subjects = sled::Batch::default();
        for k in &due {
            // The due time entry goes in every case: a session refreshed since has a newer one.
            times.remove(k.clone());
            let conv = &k[8..];
            let Some(old) = self.sessions.get(conv).map_err(db_error)? else {
                continue;
            };
            let state = serde_json::from_slice::<SessionState>(&old).ok();
            if let Some(st) = &state {
                if session_time_key(st.last_active, conv) != k.as_ref() {
                    continue;
                }
            }
            let swapped = self
                .sessions
                .compare_and_swap(conv, Some(&old), None::<&[u8]>)
                .map_err(db_error)?;
            if let (Ok(()), Some(st)) = (swapped, state) {
                let channel = channel_of(conv).unwrap_or_default();
                subjects.remove(session_index_key(&Identity::new(&channel, &st.user), conv));
            }
        }
        self.by_subject.apply_batch(subjects).map_err(db_error)?;
        self.sessions_by_time.apply_batch(times).map_err(db_error)?;
        Ok(due.len() as u64)
    }

    fn partitioned(&self, class: RecordClass) -> Option<&Partitioned> {
        match class {
            RecordClass::Transcripts => Some(&self.transcript),
            RecordClass::Feedback => Some(&self.feedback),
            RecordClass::Sessions => None,
        }
    }
}

/// The identity's own sessions and those of the conversations it wrote in (sessions saved
/// before the subject index had session entries are found this way too).
fn conversations_of(
    who: &Identity,
    sessions: &[(Vec<u8>, Vec<u8>)],
    transcripts: &[TranscriptRecord],
) -> BTreeSet<Vec<u8>> {
    let mut keys: BTreeSet<Vec<u8>> = transcripts
        .iter()
        .map(|r| {
            ConversationKey {
                channel: r.channel.clone(),
                chat: r.chat.clone(),
            }
            .to_bytes()
        })
        .collect();
    keys.extend(
        sessions
            .iter()
            .filter(|(conv, _)| channel_of(conv).as_deref() == Some(who.channel.as_str()))
            .map(|(conv, _)| conv.clone()),
    );
    keys
}

impl ConversationStore for SledConversations {
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> StoreFuture<Vec<RecordKey>> {
        let result = self.append_turn_now(conversation, session, &records);
        self.flusher.after(result)
    }

    fn save_session(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
    ) -> StoreFuture<()> {
        let result = encode(SESSIONS, session).and_then(|value| {
            (&self.sessions, &self.sessions_by_time, &self.by_subject)
                .transaction(|(sess, by_time, s)| {
                    put_session(sess, by_time, s, conversation, session, &value)
                })
                .map_err(tx_error)
        });
        self.flusher.after(result)
    }

    fn append_feedback(&self, record: FeedbackRecord) -> StoreFuture<()> {
        let result = self.next_key(record.at).and_then(|key| {
            let who = Identity::new(&record.channel, &record.user);
            let index = record_index_key(&who, &key);
            let value = encode(FEEDBACK, &record)?;
            let month = month_of(key.at);
            self.feedback.with(&[month], |months| {
                let Some(p) = months.get(&month) else {
                    return Err(StoreError::Closed);
                };
                (&p.records, &p.index)
                    .transaction(|(f, s)| {
                        f.insert(&key.to_bytes(), value.as_slice())?;
                        s.insert(index.as_slice(), &[][..])?;
                        Ok(())
                    })
                    .map_err(tx_error)
            })
        });
        self.flusher.after(result)
    }

    fn load_session(&self, conversation: &ConversationKey) -> StoreFuture<Option<SessionState>> {
        ready(
            self.sessions
                .get(conversation.to_bytes())
                .map_err(db_error)
                .and_then(|v| v.map(|v| decode(SESSIONS, &v)).transpose()),
        )
    }

    fn transcript_record(&self, key: RecordKey) -> StoreFuture<Option<TranscriptRecord>> {
        ready(self.transcript.with(&[], |months| {
            let Some(p) = months.get(&month_of(key.at)) else {
                return Ok(None);
            };
            p.records
                .get(key.to_bytes())
                .map_err(db_error)
                .and_then(|v| v.map(|v| decode(TRANSCRIPT, &v)).transpose())
        }))
    }

    fn transcript_all(&self) -> StoreFuture<Vec<TranscriptRecord>> {
        ready(self.transcript.with(&[], |months| {
            let mut out = Vec::new();
            for p in months.values() {
                for item in p.records.iter() {
                    let (_, v) = item.map_err(db_error)?;
                    out.push(decode(TRANSCRIPT, &v)?);
                }
            }
            Ok(out)
        }))
    }

    fn stats(&self) -> StoreFuture<Stats> {
        let count = |p: &Partitioned| {
            p.with(&[], |months| {
                Ok(months.values().map(|p| p.records.len() as u64).sum())
            })
        };
        ready((|| {
            Ok(Stats {
                transcript: count(&self.transcript)?,
                feedback: count(&self.feedback)?,
                sessions: self.sessions.len() as u64,
                restricted_identities: 0,
            })
        })())
    }

    fn records_of(&self, who: &Identity) -> StoreFuture<SubjectRecords> {
        ready(self.records(who))
    }

    fn erase_of(&self, who: &Identity) -> StoreFuture<Erased> {
        let result = self.erase(who);
        self.flusher.after(result)
    }

    fn purge(&self, class: RecordClass, cutoff: Micros, limit: usize) -> StoreFuture<u64> {
        ready(match self.partitioned(class) {
            Some(p) => self.purge_records(p, cutoff, limit),
            None => self.purge_sessions(cutoff, limit),
        })
    }

    fn flush(&self) -> StoreFuture<()> {
        self.flusher.durable()
    }

    fn due(&self, class: RecordClass, cutoff: Micros) -> StoreFuture<u64> {
        ready(match self.partitioned(class) {
            Some(p) => p.with(&[], |months| Ok(due_in(months, cutoff))),
            None => Ok(self.sessions_by_time.range(..cutoff.to_be_bytes()).count() as u64),
        })
    }

    fn oldest(&self, class: RecordClass) -> StoreFuture<Option<Micros>> {
        ready(match self.partitioned(class) {
            Some(p) => p.with(&[], oldest_in),
            None => self
                .sessions_by_time
                .first()
                .map_err(db_error)
                .map(|first| first.and_then(|(k, _)| at_of(&k))),
        })
    }
}

impl SledConversations {
    /// A turn's records in their months (a turn can straddle two), its session, and every
    /// index entry, in one transaction.
    fn append_turn_now(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: &[TranscriptRecord],
    ) -> Result<Vec<RecordKey>, StoreError> {
        let mut prepared = Vec::with_capacity(records.len());
        for r in records {
            let key = self.next_key(r.at)?;
            let who = Identity::new(&r.channel, &r.user);
            prepared.push((key, encode(TRANSCRIPT, r)?, record_index_key(&who, &key)));
        }
        let session_value = encode(SESSIONS, session)?;
        let mut needed: Vec<Month> = prepared.iter().map(|(k, _, _)| month_of(k.at)).collect();
        needed.sort_unstable();
        needed.dedup();
        self.transcript.with(&needed, |months| {
            // Trees: sessions, their time index, by_subject, then (records, index) per month.
            let mut trees = vec![
                self.sessions.clone(),
                self.sessions_by_time.clone(),
                self.by_subject.clone(),
            ];
            for m in &needed {
                let p = months.get(m).ok_or(StoreError::Closed)?;
                trees.push(p.records.clone());
                trees.push(p.index.clone());
            }
            trees
                .as_slice()
                .transaction(|t| {
                    for (key, value, index) in &prepared {
                        let slot = 3 + 2 * needed
                            .iter()
                            .position(|m| *m == month_of(key.at))
                            .unwrap_or(0);
                        t[slot].insert(&key.to_bytes(), value.as_slice())?;
                        t[slot + 1].insert(index.as_slice(), &[][..])?;
                    }
                    put_session(&t[0], &t[1], &t[2], conversation, session, &session_value)
                })
                .map_err(tx_error)
        })?;
        Ok(prepared.into_iter().map(|(k, _, _)| k).collect())
    }
}
