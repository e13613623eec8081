//! The web chat's JSON frames.

use kanava_adapter::{Lang, Outbound, OutboundKind, Suggestion};
use serde::{Deserialize, Serialize};

/// A frame from the browser.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame: resume `chat` (a token from an earlier `ready`) or start a new one.
    Hello {
        /// Token of an earlier chat to continue.
        #[serde(default)]
        chat: Option<String>,
        /// The page's language.
        #[serde(default)]
        lang: Option<Lang>,
    },
    /// A question.
    Message {
        /// The text typed.
        text: String,
    },
    /// Switch language.
    Language {
        /// fi, sv or en.
        lang: Lang,
    },
    /// A suggested topic was clicked.
    Topic {
        /// Its id.
        id: String,
    },
    /// 👍/👎 on an answer.
    Feedback {
        /// The answer's `feedback` id.
        reply: String,
        /// 👍 = true.
        helpful: bool,
    },
}

/// A frame to the browser.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The chat is ready; keep `chat` to resume later.
    Ready {
        /// The chat token.
        chat: String,
    },
    /// The conversation so far (after `ready` when a chat is resumed), oldest first: the
    /// current session as stored, the user's messages redacted.
    History {
        /// The messages.
        messages: Vec<HistoryMessage>,
    },
    /// A message from kanava.
    Reply {
        /// Why it is sent.
        kind: OutboundKind,
        /// Language of the text.
        lang: Lang,
        /// Safe HTML.
        html: String,
        /// Plain text.
        text: String,
        /// Topic answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        /// Topics to offer as buttons.
        suggestions: Vec<Suggestion>,
        /// Id for 👍/👎, when the answer can be rated.
        #[serde(skip_serializing_if = "Option::is_none")]
        feedback: Option<String>,
    },
    /// A frame was refused; the connection stays open unless stated.
    Error {
        /// Machine-readable: `empty`, `too_large`, `malformed`, `binary`, `rate_limited`.
        code: &'static str,
        /// For developers.
        message: String,
    },
}

impl From<Outbound> for ServerFrame {
    fn from(o: Outbound) -> Self {
        ServerFrame::Reply {
            kind: o.kind,
            lang: o.lang,
            html: o.body.to_html(),
            text: o.body.to_plain(),
            topic: o.topic,
            suggestions: o.suggestions,
            feedback: o.feedback.map(|r| r.0),
        }
    }
}

/// One message of a replayed conversation.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryMessage {
    /// `user` or `bot`.
    pub role: &'static str,
    /// Language of the text.
    pub lang: Lang,
    /// Plain text (the user's as stored: redacted).
    pub text: String,
}
