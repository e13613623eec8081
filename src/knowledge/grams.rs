//! The character 3-gram view of the content: robust to inflection, compounds and typos where
//! whole-word terms are brittle.
//!
//! Two granularities of one vector space (TF-IDF over grams, cosine similarity):
//! - a topic's *document* is its title and all its example questions together: a paraphrase
//!   that borrows words from several examples still meets it;
//! - a *unit* is the title or one example question: a question worded almost like one example
//!   meets that example sharply, however many other examples the topic has.
//!
//! Topic documents are scored for every topic through postings; units only for the few best
//! topics, which keeps a 1,000-topic base fast.

use super::analyze::{fold, tokens};
use super::FastMap;

/// A gram found in more than this share of the topic documents is a "stop gram"…
const STOP_GRAM_SHARE: f32 = 0.2;
/// …once the knowledge base has at least this many topics (small bases keep every gram).
const STOP_GRAM_MIN_DOCS: usize = 64;

/// The gram index of one language.
#[derive(Debug, Default)]
pub(super) struct GramIndex {
    ids: FastMap<u64, u32>,
    idf: Vec<f32>,
    idf_unknown: f32,
    /// Per gram: (topic, weight in the topic document's unit-length vector).
    postings: Vec<Vec<(u32, f32)>>,
    /// Grams in more topic documents than this add a near-uniform amount to every topic: they
    /// stay in the query's norm but their postings are not walked (like stopwords, at scale).
    stop_df: usize,
    /// Unit-length vector of every unit.
    units: Vec<Box<[(u32, f32)]>>,
    /// Units are numbered topic by topic: topic `t` owns units `starts[t]..starts[t + 1]`.
    starts: Vec<usize>,
}

/// A question in the gram space: its unit-length vector, sorted by gram id.
#[derive(Debug)]
pub(super) struct GramQuery {
    weights: Vec<(u32, f32)>,
}

thread_local! {
    /// The query's weight per gram id, zero elsewhere: comparing a unit to the query is then
    /// one load per gram of the unit, without the unpredictable branches of merging two sorted
    /// lists. Kept per thread and zeroed again after each use, never reallocated per question.
    static DENSE_QUERY: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl GramIndex {
    /// `topics[t]` are the texts (title, example questions) of topic `t`, as [`gram_text`].
    pub(super) fn build(topics: &[Vec<String>]) -> Self {
        let mut ids: FastMap<u64, u32> = FastMap::default();
        let mut id_of = |g: u64| {
            let next = ids.len() as u32;
            *ids.entry(g).or_insert(next)
        };
        // Gram counts per unit, and per topic document (the sum of its units).
        let mut unit_counts: Vec<FastMap<u32, f32>> = Vec::new();
        let mut doc_counts: Vec<FastMap<u32, f32>> = Vec::with_capacity(topics.len());
        let mut starts = Vec::with_capacity(topics.len() + 1);
        starts.push(0);
        for texts in topics {
            let mut doc: FastMap<u32, f32> = FastMap::default();
            for text in texts {
                let mut unit: FastMap<u32, f32> = FastMap::default();
                for g in char_grams(text) {
                    let id = id_of(g);
                    *unit.entry(id).or_insert(0.0) += 1.0;
                    *doc.entry(id).or_insert(0.0) += 1.0;
                }
                unit_counts.push(unit);
            }
            doc_counts.push(doc);
            starts.push(unit_counts.len());
        }
        let mut df = vec![0.0f32; ids.len()];
        for doc in &doc_counts {
            for id in doc.keys() {
                df[*id as usize] += 1.0;
            }
        }
        let n = topics.len().max(1) as f32;
        let idf: Vec<f32> = df.iter().map(|d| (n / d).ln() + 1.0).collect();
        let mut postings = vec![Vec::new(); ids.len()];
        for (topic, doc) in doc_counts.into_iter().enumerate() {
            for (id, w) in unit_vector(doc, &idf) {
                postings[id as usize].push((topic as u32, w));
            }
        }
        let units = unit_counts
            .into_iter()
            .map(|c| unit_vector(c, &idf).into_boxed_slice())
            .collect();
        Self {
            ids,
            idf,
            idf_unknown: n.ln() + 1.0,
            postings,
            stop_df: if topics.len() >= STOP_GRAM_MIN_DOCS {
                (STOP_GRAM_SHARE * n) as usize
            } else {
                usize::MAX
            },
            units,
            starts,
        }
    }

    /// The question's vector. Grams the content never uses count in its norm, so a question
    /// mostly about something else scores low everywhere.
    pub(super) fn query(&self, text: &str) -> GramQuery {
        let mut ids: Vec<u32> = Vec::with_capacity(text.len() + 2);
        let mut unknown = 0.0f32;
        for g in char_grams(text) {
            match self.ids.get(&g) {
                Some(&id) => ids.push(id),
                None => unknown += 1.0,
            }
        }
        ids.sort_unstable();
        let mut weights: Vec<(u32, f32)> = Vec::with_capacity(ids.len());
        let mut norm = 0.0f32;
        for run in ids.chunk_by(|a, b| a == b) {
            let id = run[0];
            let w = self.idf[id as usize] * (1.0 + (run.len() as f32).ln());
            norm += w * w;
            weights.push((id, w));
        }
        if unknown > 0.0 {
            norm += (self.idf_unknown * (1.0 + unknown.ln())).powi(2);
        }
        let norm = norm.sqrt().max(1e-9);
        for (_, w) in &mut weights {
            *w /= norm;
        }
        GramQuery { weights }
    }

    /// Cosine similarity of the query to every topic document, added into `out` (per topic).
    pub(super) fn topic_cosine(&self, query: &GramQuery, out: &mut [f32]) {
        for &(id, w) in &query.weights {
            let postings = &self.postings[id as usize];
            if postings.len() > self.stop_df {
                continue;
            }
            for &(topic, tw) in postings {
                out[topic as usize] += w * tw;
            }
        }
    }

    /// Cosine similarity of the query to the closest unit of each topic in `topics`.
    pub(super) fn best_unit_cosines(&self, query: &GramQuery, topics: &[usize]) -> Vec<f32> {
        DENSE_QUERY.with_borrow_mut(|dense| {
            if dense.len() < self.idf.len() {
                dense.resize(self.idf.len(), 0.0);
            }
            for &(id, w) in &query.weights {
                dense[id as usize] = w;
            }
            let best = topics
                .iter()
                .map(|&topic| {
                    self.units[self.starts[topic]..self.starts[topic + 1]]
                        .iter()
                        .map(|unit| unit.iter().map(|&(id, w)| dense[id as usize] * w).sum())
                        .fold(0.0, f32::max)
                })
                .collect();
            for &(id, _) in &query.weights {
                dense[id as usize] = 0.0;
            }
            best
        })
    }
}

/// TF-IDF weights of gram counts, scaled to unit length and sorted by gram id.
fn unit_vector(counts: FastMap<u32, f32>, idf: &[f32]) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = counts
        .into_iter()
        .map(|(id, tf)| (id, idf[id as usize] * (1.0 + tf.ln())))
        .collect();
    v.sort_unstable_by_key(|(id, _)| *id);
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
    for (_, w) in &mut v {
        *w /= norm;
    }
    v
}

/// The character 3-grams of `  text  `, each packed into a u64 (three 21-bit code points), so
/// no gram is ever allocated.
fn char_grams(text: &str) -> impl Iterator<Item = u64> + '_ {
    let padded = [' ', ' '].into_iter().chain(text.chars()).chain([' ', ' ']);
    padded
        .scan((0u64, 0usize), |(acc, n), c| {
            *acc = ((*acc << 21) | u64::from(c)) & ((1u64 << 63) - 1);
            *n += 1;
            Some((*n >= 3).then_some(*acc))
        })
        .flatten()
}

/// The folded words of a text, space-joined: the input of the n-gram view. Function words stay:
/// "who can", "when will", "how do I" carry the kind of question being asked.
pub(super) fn gram_text(text: &str) -> String {
    tokens(text)
        .into_iter()
        .map(|t| fold(&t))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(topics: &[&[&str]]) -> GramIndex {
        let texts: Vec<Vec<String>> = topics
            .iter()
            .map(|t| t.iter().map(|s| gram_text(s)).collect())
            .collect();
        GramIndex::build(&texts)
    }

    #[test]
    fn identical_text_has_cosine_one() {
        let idx = index(&[&["processing time", "how long"], &["queue position"]]);
        let q = idx.query(&gram_text("How long?"));
        let units = idx.best_unit_cosines(&q, &[0, 1]);
        assert!((units[0] - 1.0).abs() < 1e-5, "{units:?}");
        assert!(units[1] < 0.2, "{units:?}");
        let mut topics = [0.0f32; 2];
        idx.topic_cosine(&q, &mut topics);
        assert!(topics[0] > 0.3 && topics[0] < 1.0, "{topics:?}");
        assert!(topics[1] < topics[0]);
    }

    #[test]
    fn a_paraphrase_mixing_two_examples_meets_the_topic_document() {
        let idx = index(&[
            &["enter finland is down", "cannot log in"],
            &["log in to the chat", "what is the chat"],
        ]);
        let q = idx.query(&gram_text("enter finland down, cannot log in"));
        let mut topics = [0.0f32; 2];
        idx.topic_cosine(&q, &mut topics);
        assert!(topics[0] > topics[1], "{topics:?}");
        assert!(topics[0] > idx.best_unit_cosines(&q, &[0])[0], "{topics:?}");
    }
}
