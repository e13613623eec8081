//! Classification against the terms of use: general questions only, never case matters, no
//! advertising. The rule-based classifier plugs in here by implementing [`Classifier`]; until
//! then [`AllGeneral`] treats every question as general.

mod classifier;

use kanava_adapter::Lang;
use serde::{Deserialize, Serialize};

pub use classifier::RuleClassifier;

/// What kind of message, by the terms of use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A general question: answer it.
    General,
    /// A general question told through the asker's own situation ("my wife's card was
    /// stolen, what should she do?"): answer it, and say once that the chat cannot look at
    /// individual cases.
    OwnSituation,
    /// A request to look at or act on one person's case: refuse politely and say where to go
    /// instead.
    CaseSpecific,
    /// Promotion or selling: warn.
    Advertising,
}

impl Verdict {
    /// The verdict's name in output and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::General => "general",
            Verdict::OwnSituation => "own_situation",
            Verdict::CaseSpecific => "case_specific",
            Verdict::Advertising => "advertising",
        }
    }
}

/// A verdict with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in words for staff (never the user's text).
    pub reason: String,
}

/// Classifies a redacted message.
pub trait Classifier: Send + Sync + std::fmt::Debug {
    /// Classifies `redacted` (never raw user text) written in `lang`.
    fn classify(&self, redacted: &str, lang: Lang) -> Classification;
}

/// Treats everything as a general question.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllGeneral;

impl Classifier for AllGeneral {
    fn classify(&self, _redacted: &str, _lang: Lang) -> Classification {
        Classification {
            verdict: Verdict::General,
            reason: "no terms-of-use rules configured".into(),
        }
    }
}
