//! The sled implementation of [`Store`], with group commit: concurrent writers share one
//! `fsync`, so durability before every reply stays cheap under load.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use futures::future::BoxFuture;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use tokio::sync::oneshot;

use super::records::{
    subject_key, ConversationKey, FeedbackRecord, RecordKey, SessionState, Stats, TranscriptRecord,
};
use super::{Store, StoreError};

pub(crate) const TRANSCRIPT: &str = "transcript";
pub(crate) const FEEDBACK: &str = "feedback";
pub(crate) const SESSIONS: &str = "sessions";
pub(crate) const BY_SUBJECT: &str = "by_subject";
pub(crate) const SESSIONS_BY_TIME: &str = "sessions_by_time";

/// Tags in the subject index, so one index serves every record kind.
const TAG_TRANSCRIPT: u8 = b't';
const TAG_FEEDBACK: u8 = b'f';

type FlushWaiter = oneshot::Sender<Result<(), String>>;

/// A record ready to insert: its key, its JSON, and its subject index key.
type Prepared = (RecordKey, Vec<u8>, Vec<u8>);

/// kanava's sled database.
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
    transcript: sled::Tree,
    feedback: sled::Tree,
    sessions: sled::Tree,
    /// `last_active ‖ conversation` → (): sessions in time order, for retention.
    sessions_by_time: sled::Tree,
    by_subject: sled::Tree,
    flush: mpsc::Sender<FlushWaiter>,
}

impl SledStore {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| lock_error(e, dir))?;
        Self::from_db(db)
    }

    /// A database that lives only as long as the process (tests, `kanava ask`).
    pub fn temporary() -> Result<Self, StoreError> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<FlushWaiter>();
        let flusher = db.clone();
        thread::Builder::new()
            .name("kanava-group-commit".into())
            .spawn(move || group_commit(flusher, rx))
            .map_err(|e| StoreError::Corrupt {
                tree: "-",
                reason: format!("cannot start the flusher thread: {e}"),
            })?;
        Ok(Self {
            transcript: db.open_tree(TRANSCRIPT)?,
            feedback: db.open_tree(FEEDBACK)?,
            sessions: db.open_tree(SESSIONS)?,
            sessions_by_time: db.open_tree(SESSIONS_BY_TIME)?,
            by_subject: db.open_tree(BY_SUBJECT)?,
            db,
            flush: tx,
        })
    }

    /// The database, for other parts that keep their own trees (guard, audit).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    fn durable(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        let (tx, rx) = oneshot::channel();
        let sent = self.flush.send(tx);
        Box::pin(async move {
            sent.map_err(|_| StoreError::Closed)?;
            match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(reason)) => Err(StoreError::Corrupt { tree: "-", reason }),
                Err(_) => Err(StoreError::Closed),
            }
        })
    }

    fn next_key(&self, at: u64) -> Result<RecordKey, StoreError> {
        Ok(RecordKey {
            at,
            seq: self.db.generate_id()?,
        })
    }
}

/// Waits for a flush request, takes every request queued meanwhile, flushes once, answers all.
fn group_commit(db: sled::Db, rx: mpsc::Receiver<FlushWaiter>) {
    while let Ok(first) = rx.recv() {
        let mut waiters = vec![first];
        waiters.extend(rx.try_iter());
        let result = db.flush().map(|_| ()).map_err(|e| e.to_string());
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

fn lock_error(e: sled::Error, dir: &Path) -> StoreError {
    match &e {
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            StoreError::Locked {
                dir: dir.display().to_string(),
            }
        }
        _ => StoreError::Db(e),
    }
}

/// Writes a session and keeps its time index in step (the old index entry goes).
fn put_session(
    sess: &sled::transaction::TransactionalTree,
    by_time: &sled::transaction::TransactionalTree,
    key: &[u8],
    last_active: u64,
    value: &[u8],
) -> Result<(), ConflictableTransactionError<()>> {
    if let Some(old) = sess.get(key)? {
        if let Ok(old) = serde_json::from_slice::<SessionState>(&old) {
            by_time.remove(session_time_key(old.last_active, key))?;
        }
    }
    sess.insert(key, value)?;
    by_time.insert(session_time_key(last_active, key), &[][..])?;
    Ok(())
}

/// `last_active ‖ conversation key`.
pub(crate) fn session_time_key(last_active: u64, conversation: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + conversation.len());
    k.extend_from_slice(&last_active.to_be_bytes());
    k.extend_from_slice(conversation);
    k
}

fn subject_index_key(channel: &str, user: &str, tag: u8, key: RecordKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.extend_from_slice(&subject_key(channel, user));
    k.push(tag);
    k.extend_from_slice(&key.to_bytes());
    k
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Serialising our own plain structs to JSON cannot fail (no maps with non-string keys).
    serde_json::to_vec(v).unwrap_or_default()
}

fn decode<T: serde::de::DeserializeOwned>(tree: &'static str, b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt {
        tree,
        reason: e.to_string(),
    })
}

fn tx_error(e: TransactionError<()>) -> StoreError {
    match e {
        TransactionError::Storage(e) => StoreError::Db(e),
        TransactionError::Abort(()) => StoreError::Closed,
    }
}

impl Store for SledStore {
    fn append_turn(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
        records: Vec<TranscriptRecord>,
    ) -> BoxFuture<'static, Result<Vec<RecordKey>, StoreError>> {
        let prepared: Result<Vec<Prepared>, StoreError> = records
            .iter()
            .map(|r| {
                let key = self.next_key(r.at)?;
                Ok((
                    key,
                    encode(r),
                    subject_index_key(&r.channel, &r.user, TAG_TRANSCRIPT, key),
                ))
            })
            .collect();
        let session_key = conversation.to_bytes();
        let session_val = encode(session);
        let result = prepared.and_then(|prepared| {
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
                    put_session(
                        sess,
                        by_time,
                        &session_key,
                        session.last_active,
                        &session_val,
                    )?;
                    Ok::<_, ConflictableTransactionError<()>>(())
                })
                .map_err(tx_error)?;
            Ok(prepared.into_iter().map(|(k, _, _)| k).collect::<Vec<_>>())
        });
        let durable = self.durable();
        Box::pin(async move {
            let keys = result?;
            durable.await?;
            Ok(keys)
        })
    }

    fn save_session(
        &self,
        conversation: &ConversationKey,
        session: &SessionState,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let key = conversation.to_bytes();
        let value = encode(session);
        let r = (&self.sessions, &self.sessions_by_time)
            .transaction(|(sess, by_time)| {
                put_session(sess, by_time, &key, session.last_active, &value)?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(tx_error);
        let durable = self.durable();
        Box::pin(async move {
            r?;
            durable.await
        })
    }

    fn append_feedback(
        &self,
        record: FeedbackRecord,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let result = self.next_key(record.at).and_then(|key| {
            let index = subject_index_key(&record.channel, &record.user, TAG_FEEDBACK, key);
            let value = encode(&record);
            (&self.feedback, &self.by_subject)
                .transaction(|(f, s)| {
                    f.insert(&key.to_bytes(), value.as_slice())?;
                    s.insert(index.as_slice(), &[][..])?;
                    Ok::<_, ConflictableTransactionError<()>>(())
                })
                .map_err(tx_error)
        });
        let durable = self.durable();
        Box::pin(async move {
            result?;
            durable.await
        })
    }

    fn load_session(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Option<SessionState>, StoreError> {
        self.sessions
            .get(conversation.to_bytes())?
            .map(|v| decode(SESSIONS, &v))
            .transpose()
    }

    fn transcript_record(&self, key: &RecordKey) -> Result<Option<TranscriptRecord>, StoreError> {
        self.transcript
            .get(key.to_bytes())?
            .map(|v| decode(TRANSCRIPT, &v))
            .transpose()
    }

    fn transcript_of(
        &self,
        channel: &str,
        user: &str,
    ) -> Result<Vec<TranscriptRecord>, StoreError> {
        let mut prefix = subject_key(channel, user).to_vec();
        prefix.push(TAG_TRANSCRIPT);
        let mut out = Vec::new();
        for item in self.by_subject.scan_prefix(&prefix) {
            let (k, _) = item?;
            let Some(key) = RecordKey::from_bytes(&k[prefix.len()..]) else {
                return Err(StoreError::Corrupt {
                    tree: BY_SUBJECT,
                    reason: "short key".into(),
                });
            };
            if let Some(r) = self.transcript_record(&key)? {
                // The subject hash is 128 bits: a collision is not a realistic concern, but a
                // cheap equality check keeps the export exact regardless.
                if r.channel == channel && r.user == user {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    fn transcript_all(&self) -> Result<Vec<TranscriptRecord>, StoreError> {
        self.transcript
            .iter()
            .map(|item| {
                let (_, v) = item?;
                decode(TRANSCRIPT, &v)
            })
            .collect()
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        Ok(Stats {
            transcript: self.transcript.len() as u64,
            feedback: self.feedback.len() as u64,
            sessions: self.sessions.len() as u64,
            restricted_identities: 0,
        })
    }
}
