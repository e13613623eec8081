//! The records of conversations: transcript lines, feedback, session state, and their keys.

use std::collections::BTreeMap;
use std::fmt;

use kanava_adapter::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Micros;

/// The key of one conversation: channel instance and chat.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationKey {
    /// Channel instance.
    pub channel: String,
    /// Chat within the channel.
    pub chat: String,
}

impl ConversationKey {
    /// Bytes for the sessions tree: length-prefixed so no chat id can forge another's key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.channel.len() + self.chat.len() + 4);
        v.extend_from_slice(&(self.channel.len() as u32).to_be_bytes());
        v.extend_from_slice(self.channel.as_bytes());
        v.extend_from_slice(self.chat.as_bytes());
        v
    }
}

/// A time-ordered record key: 8 bytes of microseconds and 8 bytes of a unique sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    /// When the record was written.
    pub at: Micros,
    /// Unique within the database.
    pub seq: u64,
}

impl RecordKey {
    /// Big-endian bytes, so sled's byte order is time order.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.at.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// Parses [`RecordKey::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let at = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
        let seq = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
        Some(Self { at, seq })
    }

    /// Parses the hex form used as a reply id.
    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = hex::decode(s).ok()?;
        if bytes.len() != 16 {
            return None;
        }
        Self::from_bytes(&bytes)
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.to_bytes()))
    }
}

/// The subject index prefix of a platform identity: a hash, so the index keys themselves do
/// not spell out platform ids.
pub fn subject_key(channel: &str, user: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update((channel.len() as u32).to_be_bytes());
    h.update(channel.as_bytes());
    h.update(user.as_bytes());
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The customer (text already redacted).
    User,
    /// kanava.
    Bot,
}

/// One line of a conversation. User text is always the redactor's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptRecord {
    /// When.
    pub at: Micros,
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
    /// Chat.
    pub chat: String,
    /// Session id within the conversation.
    pub session: String,
    /// Who.
    pub role: Role,
    /// Language of the text.
    pub lang: Lang,
    /// Redacted text (user) or the reply as plain text (bot).
    pub text: String,
    /// Topic answered or chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Outcome: `answered`, `fallback`, `case_specific`, … (bot records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Retrieval confidence (bot records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    /// Redactions by kind (user records): counts only, never values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redactions: BTreeMap<String, u32>,
}

/// A 👍/👎 on one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    /// When.
    pub at: Micros,
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
    /// Chat.
    pub chat: String,
    /// The rated answer's record key (hex).
    pub reply: String,
    /// 👍 = true.
    pub helpful: bool,
}

/// The state of a conversation's current session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// Random id of the session.
    pub id: String,
    /// Platform user id of the conversation's user (for erasure later).
    pub user: String,
    /// When it started.
    pub started: Micros,
    /// Last message.
    pub last_active: Micros,
    /// Current language.
    pub lang: Lang,
    /// Whether the user chose the language (then detection does not change it).
    pub lang_chosen: bool,
}

/// One platform identity: a user of one channel instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    /// Channel instance.
    pub channel: String,
    /// Platform user id.
    pub user: String,
}

impl Identity {
    /// The identity of `user` on `channel`.
    pub fn new(channel: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            user: user.into(),
        }
    }

    /// Length-prefixed bytes, so no user id can forge another channel's key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.channel.len() + self.user.len() + 4);
        k.extend_from_slice(&(self.channel.len() as u32).to_be_bytes());
        k.extend_from_slice(self.channel.as_bytes());
        k.extend_from_slice(self.user.as_bytes());
        k
    }

    /// Parses [`Identity::to_bytes`].
    pub fn from_bytes(k: &[u8]) -> Option<Self> {
        let len = u32::from_be_bytes(k.get(..4)?.try_into().ok()?) as usize;
        let channel = std::str::from_utf8(k.get(4..4 + len)?).ok()?;
        let user = std::str::from_utf8(k.get(4 + len..)?).ok()?;
        Some(Self::new(channel, user))
    }

    /// The subject index prefix of this identity.
    pub fn subject_key(&self) -> [u8; 16] {
        subject_key(&self.channel, &self.user)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.user)
    }
}

/// Everything of one identity in the conversation records, for an access request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubjectRecords {
    /// Transcript lines, oldest first.
    pub transcripts: Vec<TranscriptRecord>,
    /// Ratings given, oldest first.
    pub feedback: Vec<FeedbackRecord>,
    /// The session state of the conversations their transcript lines belong to.
    pub sessions: Vec<SessionState>,
}

/// How many conversation records an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    /// Transcript lines.
    pub transcripts: u64,
    /// Ratings.
    pub feedback: u64,
    /// Sessions.
    pub sessions: u64,
}

/// The classes of conversation records a retention purge works through, by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordClass {
    /// Transcript lines, by when they were written.
    Transcripts,
    /// Feedback, by when it was given.
    Feedback,
    /// Session state, by the session's last message.
    Sessions,
}

impl RecordClass {
    /// Every class, in purge order.
    pub const ALL: [RecordClass; 3] = [Self::Transcripts, Self::Feedback, Self::Sessions];

    /// The class's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Transcripts => "transcripts",
            Self::Feedback => "feedback",
            Self::Sessions => "sessions",
        }
    }
}

/// Counts of stored records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Transcript records.
    pub transcript: u64,
    /// Feedback records.
    pub feedback: u64,
    /// Conversations with a session.
    pub sessions: u64,
    /// Identities whose processing is restricted (their records are not counted above).
    #[serde(default)]
    pub restricted_identities: u64,
}
