//! The knowledge base: topic files, their validation, and retrieval.

mod analyze;
mod detect;
pub mod format;
mod grams;
mod index;

use std::collections::HashMap;
use std::path::Path;

use kanava_adapter::Lang;

pub use format::{Problem, Topic, TopicKind, TopicText};
pub use index::{Hit, Ranking};

use index::LangIndex;

/// Maps keyed by the knowledge base's own terms and grams: fixed at build time, only looked up
/// with query text, so a fast non-keyed hash is safe (no inserts an attacker could steer).
type FastMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// Topics in every language, indexed for retrieval.
#[derive(Debug)]
pub struct KnowledgeBase {
    topics: Vec<Topic>,
    by_id: HashMap<String, usize>,
    indexes: [LangIndex; 3],
}

/// The best topic for a question, if confident enough, and alternatives.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The language the question was ranked in.
    pub lang: Lang,
    /// Topics, best first (at most four).
    pub hits: Vec<Hit>,
    /// Confidence of the first hit, 0..=1.
    pub confidence: f32,
}

impl KnowledgeBase {
    /// Loads and validates every topic file in `dir`.
    pub fn load(dir: &Path) -> Result<Self, Vec<Problem>> {
        format::load_dir(dir).map(Self::from_topics)
    }

    /// Builds the indexes over already validated topics.
    pub fn from_topics(topics: Vec<Topic>) -> Self {
        let by_id = topics
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        let indexes = Lang::ALL.map(|l| LangIndex::build(l, &topics));
        Self {
            topics,
            by_id,
            indexes,
        }
    }

    /// All topics.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// A topic by position.
    pub fn topic(&self, index: usize) -> &Topic {
        &self.topics[index]
    }

    /// A topic by id.
    pub fn by_id(&self, id: &str) -> Option<&Topic> {
        self.by_id.get(id).map(|&i| &self.topics[i])
    }

    /// The language a message is written in, if it is clear.
    pub fn detect_language(&self, text: &str) -> Option<Lang> {
        detect::detect(text, &self.indexes)
    }

    /// Ranks topics for a (redacted) question written in `lang`; with `None`, in the language
    /// that matches best.
    pub fn rank(&self, text: &str, lang: Option<Lang>) -> Match {
        match lang {
            Some(lang) => {
                let r = self.indexes[lang.index()].rank(text);
                Match {
                    lang,
                    hits: r.hits,
                    confidence: r.confidence,
                }
            }
            None => Lang::ALL
                .into_iter()
                .map(|l| self.rank(text, Some(l)))
                .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
                .unwrap_or(Match {
                    lang: Lang::Fi,
                    hits: Vec::new(),
                    confidence: 0.0,
                }),
        }
    }
}

/// Below this confidence kanava says it is unsure and offers related topics instead.
pub const DEFAULT_CONFIDENCE_THRESHOLD: f32 = 0.38;

/// What the knowledge base makes of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The language the question appears to be in (`None` if unclear).
    pub detected: Option<Lang>,
    /// The topic to answer with, when confident enough.
    pub topic: Option<String>,
    /// Confidence of the best topic, 0..=1.
    pub confidence: f32,
    /// Up to three other topics worth offering.
    pub alternatives: Vec<String>,
}

impl KnowledgeBase {
    /// Decides how to answer a (redacted) question: detect its language (falling back to
    /// `session_lang` when unclear), rank, and apply the confidence threshold.
    pub fn ask(&self, text: &str, session_lang: Option<Lang>) -> Decision {
        self.ask_with_threshold(text, session_lang, DEFAULT_CONFIDENCE_THRESHOLD)
    }

    /// [`KnowledgeBase::ask`] with a configured threshold.
    pub fn ask_with_threshold(
        &self,
        text: &str,
        session_lang: Option<Lang>,
        threshold: f32,
    ) -> Decision {
        self.decide(text, self.detect_language(text), session_lang, threshold)
    }

    /// [`KnowledgeBase::ask_with_threshold`] for a caller that has already detected the
    /// language (the engine does, to classify before it ranks).
    pub fn decide(
        &self,
        text: &str,
        detected: Option<Lang>,
        session_lang: Option<Lang>,
        threshold: f32,
    ) -> Decision {
        let m = match detected {
            Some(l) => self.rank(text, Some(l)),
            None => {
                // Unclear language: rank in each once, the session's language winning near ties.
                let bonus = |m: &Match| {
                    m.confidence
                        + if Some(m.lang) == session_lang {
                            0.05
                        } else {
                            0.0
                        }
                };
                Lang::ALL
                    .map(|l| self.rank(text, Some(l)))
                    .into_iter()
                    .max_by(|a, b| bonus(a).total_cmp(&bonus(b)))
                    .unwrap_or_else(|| self.rank(text, Some(Lang::Fi)))
            }
        };
        let ids: Vec<String> = m
            .hits
            .iter()
            .map(|h| self.topic(h.topic).id.clone())
            .collect();
        let confident = m.confidence >= threshold && !ids.is_empty();
        let (topic, alternatives) = if confident {
            (
                ids.first().cloned(),
                ids.iter().skip(1).take(3).cloned().collect(),
            )
        } else {
            (None, ids.into_iter().take(3).collect())
        };
        Decision {
            detected,
            topic,
            confidence: m.confidence,
            alternatives,
        }
    }
}
