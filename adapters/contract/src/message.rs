//! What travels between an adapter and the engine.

use serde::{Deserialize, Serialize};

use crate::identity::{ChatId, Lang, UserIdentity};
use crate::text::RichText;

/// One event from a user, as an adapter hands it to the engine.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Who wrote.
    pub identity: UserIdentity,
    /// In which chat of the channel.
    pub chat: ChatId,
    /// What happened.
    pub event: Event,
    /// Where the user's own device connected from, when the channel sees it (the web chat;
    /// platform channels see only the platform's servers): limits and blocks then also hold per
    /// address, so dropping a chat token does not start afresh.
    pub client: Option<ClientAddress>,
}

/// A client's network address. Personal data: the engine turns it into a keyed hash at once and
/// nothing stores, logs or shows it (`Debug` prints no digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

impl std::fmt::Debug for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientAddress(..)")
    }
}

/// What the user did.
#[derive(Debug, Clone)]
pub enum Event {
    /// Typed text, exactly as received. The engine redacts it before anything else sees it;
    /// adapters must not log or store it.
    Text(String),
    /// The user opened the conversation (`/start`, bot added, page opened): greet them.
    Start,
    /// The user asked how to use the service.
    Help,
    /// The user chose a language (button or command); it holds for the session.
    SetLanguage(Lang),
    /// The user picked a suggested topic.
    ChooseTopic(String),
    /// The user rated an answer.
    Feedback {
        /// The answer being rated, as given in [`Outbound::feedback`].
        reply: ReplyId,
        /// 👍 (`true`) or 👎 (`false`).
        helpful: bool,
    },
}

/// Identifies one bot answer so feedback can refer back to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplyId(pub String);

/// A topic the user may want next, shown as a button where the platform has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The knowledge-base topic id, sent back in [`Event::ChooseTopic`].
    pub topic: String,
    /// The topic's title in the reply's language.
    pub label: String,
}

/// Why the engine is saying something; adapters may style kinds differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundKind {
    /// A greeting that says what may be asked.
    Welcome,
    /// An answer from the knowledge base.
    Answer,
    /// The question was not understood well enough; suggestions follow.
    Fallback,
    /// A terms-of-use notice about one person: a warning, a block, please slow down. Adapters
    /// do not post these where others read (group chats).
    Notice,
    /// The question or command cannot be served (a case matter, an unknown language), with what
    /// can: shown in group chats too, since it concerns the question, not the person.
    Refusal,
    /// A confirmation (language changed, feedback received).
    Acknowledgement,
    /// Something failed on kanava's side; the user may try again.
    Error,
}

/// One message from the engine to the user.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Why this is sent.
    pub kind: OutboundKind,
    /// The language the text is in.
    pub lang: Lang,
    /// The text, with paragraphs, lists and links; render it with [`RichText`]'s methods.
    pub body: RichText,
    /// The knowledge-base topic answered, if any.
    pub topic: Option<String>,
    /// Topics to offer next. Adapters without buttons may list them as text.
    pub suggestions: Vec<Suggestion>,
    /// Present when the user may rate this message; send it back in [`Event::Feedback`].
    pub feedback: Option<ReplyId>,
}

impl Outbound {
    /// A message with no topic, suggestions or feedback.
    pub fn plain(kind: OutboundKind, lang: Lang, body: RichText) -> Self {
        Self {
            kind,
            lang,
            body,
            topic: None,
            suggestions: Vec::new(),
            feedback: None,
        }
    }
}
