//! Transcripts, feedback and sessions on sled.
//!
//! Trees: `transcript` and `feedback` (time-ordered [`RecordKey`]s → JSON), `sessions`
//! (conversation → JSON) with `sessions_by_time` (`last_active ‖ conversation`, for retention),
//! and `by_subject` (`subject hash ‖ tag ‖ key` → (), for access and erasure requests).

use std::collections::BTreeSet;

use kanava_store::{
    decode, encode, ConversationKey, ConversationStore, Erased, FeedbackRecord, Identity, Micros,
    RecordClass, RecordKey, SessionState, Stats, StoreError, StoreFuture, SubjectRecords,
    TranscriptRecord,
};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

use crate::{db_error, ready, tx_error, Flusher};

const TRANSCRIPT: &str = "transcript";
const FEEDBACK: &str = "feedback";
const SESSIONS: &str = "sessions";
const SESSIONS_BY_TIME: &str = "sessions_by_time";
const BY_SUBJECT: &str = "by_subject";

/// Tags in the subject index, so one index serves every record kind.
const TAG_TRANSCRIPT: u8 = b't';
const TAG_FEEDBACK: u8 = b'f';
/// Followed by the conversation key instead of a record key.
const TAG_SESSION: u8 = b's';

type TxResult = Result<(), ConflictableTransactionError<()>>;

/// A record ready to insert: its key, its JSON, and its subject index key.
type Prepared = (RecordKey, Vec<u8>, Vec<u8>);

#[derive(Debug, Clone)]
pub(crate) struct SledConversations {
    db: sled::Db,
    transcript: sled::Tree,
    feedback: sled::Tree,
    sessions: sled::Tree,
    sessions_by_time: sled::Tree,
    by_subject: sled::Tree,
    flusher: Flusher,
}

fn subject_index_key(who: &Identity, tag: u8, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(17 + key.len());
    k.extend_from_slice(&who.subject_key());
    k.push(tag);
    k.extend_from_slice(key);
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
    by_subject.insert(subject_index_key(&who, TAG_SESSION, &key), &[][..])?;
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
        by_subject.remove(subject_index_key(&who, TAG_SESSION, key))?;
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

/// What the subject index holds for one identity.
#[derive(Default)]
struct Indexed {
    transcripts: Vec<(RecordKey, Vec<u8>)>,
    feedback: Vec<(RecordKey, Vec<u8>)>,
    sessions: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SledConversations {
    pub(crate) fn open(db: &sled::Db, flusher: Flusher) -> Result<Self, StoreError> {
        let tree = |name| db.open_tree(name).map_err(db_error);
        Ok(Self {
            transcript: tree(TRANSCRIPT)?,
            feedback: tree(FEEDBACK)?,
            sessions: tree(SESSIONS)?,
            sessions_by_time: tree(SESSIONS_BY_TIME)?,
            by_subject: tree(BY_SUBJECT)?,
            db: db.clone(),
            flusher,
        })
    }

    fn next_key(&self, at: Micros) -> Result<RecordKey, StoreError> {
        Ok(RecordKey {
            at,
            seq: self.db.generate_id().map_err(db_error)?,
        })
    }

    /// Index entries of one identity: (record key or conversation, the index key).
    fn indexed(&self, who: &Identity) -> Result<Indexed, StoreError> {
        let mut out = Indexed::default();
        for item in self.by_subject.scan_prefix(who.subject_key()) {
            let (k, _) = item.map_err(db_error)?;
            let (Some(&tag), Some(rest)) = (k.get(16), k.get(17..)) else {
                continue;
            };
            match (tag, RecordKey::from_bytes(rest)) {
                (TAG_TRANSCRIPT, Some(key)) => out.transcripts.push((key, k.to_vec())),
                (TAG_FEEDBACK, Some(key)) => out.feedback.push((key, k.to_vec())),
                (TAG_SESSION, _) => out.sessions.push((rest.to_vec(), k.to_vec())),
                _ => {}
            }
        }
        Ok(out)
    }

    fn records(&self, who: &Identity) -> Result<SubjectRecords, StoreError> {
        let indexed = self.indexed(who)?;
        let mut out = SubjectRecords::default();
        for (key, _) in &indexed.transcripts {
            if let Some(v) = self.transcript.get(key.to_bytes()).map_err(db_error)? {
                let r: TranscriptRecord = decode(TRANSCRIPT, &v)?;
                // The subject hash is 128 bits: a collision is not a realistic concern, but a
                // cheap equality check keeps the export exact regardless.
                if r.channel == who.channel && r.user == who.user {
                    out.transcripts.push(r);
                }
            }
        }
        for (key, _) in &indexed.feedback {
            if let Some(v) = self.feedback.get(key.to_bytes()).map_err(db_error)? {
                let r: FeedbackRecord = decode(FEEDBACK, &v)?;
                if r.channel == who.channel && r.user == who.user {
                    out.feedback.push(r);
                }
            }
        }
        for key in self.conversations_of(who, &indexed, &out.transcripts) {
            if let Some(v) = self.sessions.get(&key).map_err(db_error)? {
                out.sessions.push(decode(SESSIONS, &v)?);
            }
        }
        Ok(out)
    }

    /// The identity's own sessions and those of the conversations it wrote in (sessions saved
    /// before the subject index had session entries are found this way too).
    fn conversations_of(
        &self,
        who: &Identity,
        indexed: &Indexed,
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
            indexed
                .sessions
                .iter()
                .filter(|(conv, _)| channel_of(conv).as_deref() == Some(who.channel.as_str()))
                .map(|(conv, _)| conv.clone()),
        );
        keys
    }

    fn erase(&self, who: &Identity) -> Result<Erased, StoreError> {
        let indexed = self.indexed(who)?;
        let mut done = Erased::default();
        let mut transcripts = Vec::new();
        for (key, index_key) in &indexed.transcripts {
            if let Some(v) = self.transcript.remove(key.to_bytes()).map_err(db_error)? {
                done.transcripts += 1;
                if let Ok(r) = serde_json::from_slice::<TranscriptRecord>(&v) {
                    transcripts.push(r);
                }
            }
            self.by_subject.remove(index_key).map_err(db_error)?;
        }
        for (key, index_key) in &indexed.feedback {
            if self
                .feedback
                .remove(key.to_bytes())
                .map_err(db_error)?
                .is_some()
            {
                done.feedback += 1;
            }
            self.by_subject.remove(index_key).map_err(db_error)?;
        }
        for key in self.conversations_of(who, &indexed, &transcripts) {
            let removed = (&self.sessions, &self.sessions_by_time, &self.by_subject)
                .transaction(|(s, t, i)| remove_session(s, t, i, &who.channel, &key))
                .map_err(tx_error)?;
            done.sessions += u64::from(removed);
        }
        for (_, index_key) in &indexed.sessions {
            self.by_subject.remove(index_key).map_err(db_error)?;
        }
        Ok(done)
    }

    /// Removes up to `limit` time-keyed records (transcripts or feedback) before `cutoff`, with
    /// their index entries in the same transaction.
    fn purge_records(
        &self,
        tree: &sled::Tree,
        tag: u8,
        cutoff: Micros,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let end = RecordKey { at: cutoff, seq: 0 }.to_bytes();
        let due: Vec<(sled::IVec, sled::IVec)> = tree
            .range(..end)
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
            if let Ok(r) = serde_json::from_slice::<Subject>(v) {
                index.remove(subject_index_key(&Identity::new(r.channel, r.user), tag, k));
            }
        }
        (tree, &self.by_subject)
            .transaction(|(t, i)| {
                t.apply_batch(&records)?;
                i.apply_batch(&index)?;
                Ok(())
            })
            .map_err(tx_error)?;
        Ok(due.len() as u64)
    }

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
        (&self.sessions, &self.sessions_by_time, &self.by_subject)
            .transaction(|(s, t, i)| {
                for k in &due {
                    let conv = &k[8..];
                    let channel = channel_of(conv).unwrap_or_default();
                    if !remove_session(s, t, i, &channel, conv)? {
                        // A time entry without its session: drop it all the same.
                        t.remove(k)?;
                    }
                }
                Ok(())
            })
            .map_err(tx_error)?;
        Ok(due.len() as u64)
    }

    fn time_tree(&self, class: RecordClass) -> &sled::Tree {
        match class {
            RecordClass::Transcripts => &self.transcript,
            RecordClass::Feedback => &self.feedback,
            RecordClass::Sessions => &self.sessions_by_time,
        }
    }
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

impl ConversationStore for SledConversations {
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> StoreFuture<Vec<RecordKey>> {
        let prepared: Result<Vec<Prepared>, StoreError> = records
            .iter()
            .map(|r| {
                let key = self.next_key(r.at)?;
                let who = Identity::new(&r.channel, &r.user);
                Ok((
                    key,
                    encode(TRANSCRIPT, r)?,
                    subject_index_key(&who, TAG_TRANSCRIPT, &key.to_bytes()),
                ))
            })
            .collect();
        let result = prepared.and_then(|prepared| {
            let value = encode(SESSIONS, session)?;
            (
                &self.transcript,
                &self.by_subject,
                &self.sessions,
                &self.sessions_by_time,
            )
                .transaction(|(t, s, sess, by_time)| {
                    for (key, value, index) in &prepared {
                        t.insert(&key.to_bytes(), value.as_slice())?;
                        s.insert(index.as_slice(), &[][..])?;
                    }
                    put_session(sess, by_time, s, conversation, session, &value)
                })
                .map_err(tx_error)?;
            Ok(prepared.into_iter().map(|(k, _, _)| k).collect())
        });
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
            let index = subject_index_key(&who, TAG_FEEDBACK, &key.to_bytes());
            let value = encode(FEEDBACK, &record)?;
            (&self.feedback, &self.by_subject)
                .transaction(|(f, s)| {
                    f.insert(&key.to_bytes(), value.as_slice())?;
                    s.insert(index.as_slice(), &[][..])?;
                    Ok(())
                })
                .map_err(tx_error)
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
        ready(
            self.transcript
                .get(key.to_bytes())
                .map_err(db_error)
                .and_then(|v| v.map(|v| decode(TRANSCRIPT, &v)).transpose()),
        )
    }

    fn transcript_all(&self) -> StoreFuture<Vec<TranscriptRecord>> {
        ready(
            self.transcript
                .iter()
                .map(|item| {
                    let (_, v) = item.map_err(db_error)?;
                    decode(TRANSCRIPT, &v)
                })
                .collect(),
        )
    }

    fn stats(&self) -> StoreFuture<Stats> {
        ready(Ok(Stats {
            transcript: self.transcript.len() as u64,
            feedback: self.feedback.len() as u64,
            sessions: self.sessions.len() as u64,
            restricted_identities: 0,
        }))
    }

    fn records_of(&self, who: &Identity) -> StoreFuture<SubjectRecords> {
        ready(self.records(who))
    }

    fn erase_of(&self, who: &Identity) -> StoreFuture<Erased> {
        let result = self.erase(who);
        self.flusher.after(result)
    }

    fn purge(&self, class: RecordClass, cutoff: Micros, limit: usize) -> StoreFuture<u64> {
        let result = match class {
            RecordClass::Transcripts => {
                self.purge_records(&self.transcript, TAG_TRANSCRIPT, cutoff, limit)
            }
            RecordClass::Feedback => {
                self.purge_records(&self.feedback, TAG_FEEDBACK, cutoff, limit)
            }
            RecordClass::Sessions => self.purge_sessions(cutoff, limit),
        };
        self.flusher.after(result)
    }

    fn due(&self, class: RecordClass, cutoff: Micros) -> StoreFuture<u64> {
        // Both key layouts start with the big-endian time.
        let end = cutoff.to_be_bytes();
        ready(Ok(self.time_tree(class).range(..end).count() as u64))
    }

    fn oldest(&self, class: RecordClass) -> StoreFuture<Option<Micros>> {
        ready(
            self.time_tree(class)
                .first()
                .map_err(db_error)
                .map(|first| first.and_then(|(k, _)| at_of(&k))),
        )
    }
}
