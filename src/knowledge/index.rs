//! Ranking topics for a question: BM25F over example questions and answers, with typo and
//! compound-word tolerance, and a confidence in 0..=1.

use std::collections::HashMap;

use kanava_adapter::Lang;

use super::analyze::{fold, tokens, Analyzer};
use super::format::Topic;
use super::grams::{gram_text, GramIndex};
use super::FastMap;

/// BM25 saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.6;
/// Field weights: example questions and the title say what a topic is about more sharply
/// than the answer, which also mentions neighbouring topics.
const W_QUESTIONS: f32 = 1.0;
const W_ANSWER: f32 = 0.35;
/// A term found by correcting a typo or splitting a compound counts a little less.
const W_CORRECTED: f32 = 0.8;
/// Share of whole-word BM25F in the ranking score; the rest is the character n-gram similarity.
const W_BM25: f32 = 0.1;
/// Share of the topic document in the n-gram similarity; the rest is the closest example.
const W_TOPIC_DOC: f32 = 0.7;
/// How many of the best topics by whole words and topic documents get their examples compared.
const RERANK: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    tf_q: f32,
    tf_a: f32,
}

/// The index of one language.
#[derive(Debug)]
pub struct LangIndex {
    lang: Lang,
    terms: FastMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    idf: Vec<f32>,
    /// Folded surface words seen in the content, with the word as written (lowercase).
    surface: FastMap<String, String>,
    /// One-character deletions of surface words, for typo lookup.
    deletes: FastMap<String, Vec<String>>,
    /// The longest surface word, in characters: a longer token cannot be a typo of a content
    /// word or its prefix, and no longer than twice this can be a compound of two.
    longest: usize,
    len_q: Vec<f32>,
    /// BM25 length normalisation per document, inverted once at build time (two divisions
    /// fewer per posting at query time).
    inv_norm_q: Vec<f32>,
    inv_norm_a: Vec<f32>,
    idf_unknown: f32,
    grams: GramIndex,
}

/// One ranked topic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the topic in the knowledge base.
    pub topic: usize,
    /// Ranking score: BM25F and n-gram similarity, weighted.
    pub score: f32,
}

/// The outcome of ranking one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Best topics first, at most four.
    pub hits: Vec<Hit>,
    /// How sure the best hit is the question's topic, 0..=1.
    pub confidence: f32,
}

#[derive(Debug, Clone, Copy)]
struct QueryTerm {
    term: Option<u32>,
    weight: f32,
}

impl LangIndex {
    /// Indexes every topic's text in `lang`.
    pub fn build(lang: Lang, topics: &[Topic]) -> Self {
        let an = Analyzer::get(lang);
        let mut terms: FastMap<String, u32> = FastMap::default();
        let mut postings: Vec<Vec<Posting>> = Vec::new();
        let mut surface: FastMap<String, String> = FastMap::default();
        let mut len_q = Vec::with_capacity(topics.len());
        let mut len_a = Vec::with_capacity(topics.len());
        let mut gram_docs = Vec::with_capacity(topics.len());

        for (doc, topic) in topics.iter().enumerate() {
            let text = topic.text(lang);
            let mut q_src = text.title.clone();
            for q in &text.questions {
                q_src.push('\n');
                q_src.push_str(q);
            }
            // The n-gram view keeps the title and each example question apart (see `grams`).
            gram_docs.push(
                std::iter::once(&text.title)
                    .chain(&text.questions)
                    .map(|q| gram_text(q))
                    .collect(),
            );
            let mut tf: HashMap<u32, (f32, f32)> = HashMap::new();
            for (field, src) in [(0, q_src.as_str()), (1, text.answer_source.as_str())] {
                let mut n = 0.0;
                for tok in tokens(src) {
                    let folded = fold(&tok);
                    if an.is_stopword(&folded) {
                        continue;
                    }
                    for (term, _) in an.terms(&tok) {
                        let next = terms.len() as u32;
                        let id = *terms.entry(term).or_insert(next);
                        if id as usize == postings.len() {
                            postings.push(Vec::new());
                        }
                        let e = tf.entry(id).or_insert((0.0, 0.0));
                        if field == 0 {
                            e.0 += 1.0;
                        } else {
                            e.1 += 1.0;
                        }
                    }
                    surface.entry(folded).or_insert(tok);
                    n += 1.0;
                }
                if field == 0 {
                    len_q.push(n);
                } else {
                    len_a.push(n);
                }
            }
            let mut entries: Vec<_> = tf.into_iter().collect();
            entries.sort_by_key(|(id, _)| *id);
            for (id, (q, a)) in entries {
                postings[id as usize].push(Posting {
                    doc: doc as u32,
                    tf_q: q,
                    tf_a: a,
                });
            }
        }

        let n = topics.len().max(1) as f32;
        let idf_of = |df: f32| ((n - df + 0.5) / (df + 0.5)).ln_1p();
        let idf = postings.iter().map(|p| idf_of(p.len() as f32)).collect();
        let mut deletes: FastMap<String, Vec<String>> = FastMap::default();
        for word in surface.keys() {
            for d in deletions(word) {
                deletes.entry(d).or_default().push(word.clone());
            }
        }
        let avg = |v: &[f32]| (v.iter().sum::<f32>() / v.len().max(1) as f32).max(1.0);
        let inverse = |lens: &[f32]| {
            let a = avg(lens);
            lens.iter()
                .map(|l| 1.0 / (1.0 - B + B * l / a))
                .collect::<Vec<f32>>()
        };
        let longest = surface.keys().map(|w| w.chars().count()).max().unwrap_or(0);
        Self {
            lang,
            longest,
            inv_norm_q: inverse(&len_q),
            inv_norm_a: inverse(&len_a),
            terms,
            postings,
            idf,
            surface,
            deletes,
            len_q,
            idf_unknown: idf_of(0.0),
            grams: GramIndex::build(&gram_docs),
        }
    }

    /// Whether a folded surface word occurs in this language's content.
    pub fn knows_word(&self, folded: &str) -> bool {
        self.surface.contains_key(folded)
    }

    /// Ranks the topics for a question (already redacted).
    pub fn rank(&self, question: &str) -> Ranking {
        SCRATCH.with_borrow_mut(|scratch| {
            let ndocs = self.len_q.len();
            for v in scratch.iter_mut() {
                v.clear();
                v.resize(ndocs, 0.0);
            }
            let [scores, matched, topic_cos] = scratch;
            self.rank_into(question, scores, matched, topic_cos)
        })
    }

    /// [`LangIndex::rank`] with zeroed per-topic arrays to accumulate into.
    fn rank_into(
        &self,
        question: &str,
        scores: &mut [f32],
        matched: &mut [f32],
        topic_cos: &mut [f32],
    ) -> Ranking {
        let query = self.analyze(question);
        let mut total = 0.0f32;
        for qt in &query {
            let Some(term) = qt.term else {
                // Words the content never uses weigh half: they are as often filler as topic.
                total += 0.75 * qt.weight * self.idf_unknown;
                continue;
            };
            let idf = self.idf[term as usize];
            total += qt.weight * idf;
            for p in &self.postings[term as usize] {
                let d = p.doc as usize;
                let tf = W_QUESTIONS * p.tf_q * self.inv_norm_q[d]
                    + W_ANSWER * p.tf_a * self.inv_norm_a[d];
                scores[d] += qt.weight * idf * tf * (K1 + 1.0) / (tf + K1);
                matched[d] += qt.weight * idf;
            }
        }
        let gq = self.grams.query(&gram_text(question));
        self.grams.topic_cosine(&gq, topic_cos);
        // Two views of relevance: whole-word BM25F (scaled by the query's idf mass so it is
        // comparable across questions) and the character n-gram similarity. A first pass ranks
        // every topic with the topic-document part of the latter; the best few then also
        // compare their examples one by one.
        let z = total.max(1e-6);
        let bm25 = |topic: usize| W_BM25 * scores[topic] / z;
        let first = top_hits(
            topic_cos
                .iter()
                .enumerate()
                .filter(|(t, c)| scores[*t] > 0.0 || **c > 0.05)
                .map(|(topic, &c)| Hit {
                    topic,
                    score: bm25(topic) + (1.0 - W_BM25) * W_TOPIC_DOC * c,
                }),
            RERANK,
        );
        let candidates: Vec<usize> = first.iter().map(|h| h.topic).collect();
        let unit_cos = self.grams.best_unit_cosines(&gq, &candidates);
        let hits = top_hits(
            first.iter().zip(&unit_cos).map(|(h, &u)| Hit {
                topic: h.topic,
                score: bm25(h.topic)
                    + (1.0 - W_BM25) * (W_TOPIC_DOC * topic_cos[h.topic] + (1.0 - W_TOPIC_DOC) * u),
            }),
            TOP,
        );
        let confidence = match hits.first() {
            None => 0.0,
            Some(top) => {
                let coverage = if total > 0.0 {
                    matched[top.topic] / total
                } else {
                    0.0
                };
                // How close the question is to something the topic was written for: its
                // closest example (calibrated with the threshold on that scale).
                let closest = candidates
                    .iter()
                    .position(|&t| t == top.topic)
                    .map_or(0.0, |i| unit_cos[i]);
                let similarity = (closest * 1.6).min(1.0);
                let second = hits.get(1).map_or(0.0, |h| h.score);
                let dominance = (top.score - second) / top.score;
                ((0.5 * coverage + 0.5 * similarity) * (0.75 + 0.25 * dominance)).clamp(0.0, 1.0)
            }
        };
        Ranking { hits, confidence }
    }

    fn analyze(&self, question: &str) -> Vec<QueryTerm> {
        let an = Analyzer::get(self.lang);
        let mut out: Vec<QueryTerm> = Vec::new();
        for tok in tokens(question) {
            let folded = fold(&tok);
            if an.is_stopword(&folded) || folded.chars().count() < 2 {
                continue;
            }
            // The words to match this token as: itself when the content knows it, else a
            // typo-corrected word, the parts of a compound, or a known prefix.
            let stem = an.stem(&tok);
            let known = self.terms.contains_key(&stem) || self.surface.contains_key(&folded);
            let corrected: Option<Vec<&str>> = if known {
                None
            } else if let Some(w) = self.correct_typo(&folded) {
                Some(vec![w])
            } else if let Some((a, b)) = self.split_compound(&folded) {
                Some(vec![a, b])
            } else {
                self.known_prefix(&folded).map(|w| vec![w])
            };
            let (terms, factor) = match corrected {
                // The stem is already at hand: Snowball runs once per word.
                None => (an.terms_of_stem(stem), 1.0),
                Some(words) => (
                    words.into_iter().flat_map(|w| an.terms(w)).collect(),
                    W_CORRECTED,
                ),
            };
            for (term, weight) in terms {
                let term = self.terms.get(&term).copied();
                let weight = weight * factor;
                match out.iter_mut().find(|q| term.is_some() && q.term == term) {
                    Some(q) => q.weight = q.weight.max(weight),
                    None => out.push(QueryTerm { term, weight }),
                }
            }
        }
        out
    }

    /// The closest content word within one edit (two for long words).
    fn correct_typo<'a>(&'a self, word: &str) -> Option<&'a str> {
        let chars: Vec<char> = word.chars().collect();
        // Four-letter words are one edit away from too many others ("song" / "long").
        if chars.len() < 5 {
            return None;
        }
        let max = if chars.len() >= 8 { 2 } else { 1 };
        // Beyond the longest content word plus the edits allowed, nothing can match; without
        // this bound a 2,000-letter word cost minutes (every pair of deletions, each hashed).
        if chars.len() > self.longest + max {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        let consider = |probe: &str, best: &mut Option<(usize, &'a str)>| {
            self.consider(word, probe, max, best)
        };
        // One reused buffer for every probe: this runs for each unknown word of a question.
        let mut probe = String::with_capacity(word.len());
        let without = |skip: &[usize], probe: &mut String| {
            probe.clear();
            probe.extend(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !skip.contains(i))
                    .map(|(_, c)| c),
            );
        };
        consider(word, &mut best);
        for i in 0..chars.len() {
            without(&[i], &mut probe);
            consider(&probe, &mut best);
        }
        // Deletions of deletions only when one edit found nothing closer than two: this is
        // what made long unknown words the slowest questions.
        if max == 2 && best.is_none_or(|(d, _)| d >= 2) {
            for i in 0..chars.len() {
                for j in i + 1..chars.len() {
                    without(&[i, j], &mut probe);
                    consider(&probe, &mut best);
                }
            }
        }
        best.and_then(|(_, w)| self.surface.get(w).map(String::as_str))
    }

    /// Updates `best` with the content words that share the deletion `probe` with `word`.
    fn consider<'a>(
        &'a self,
        word: &str,
        probe: &str,
        max: usize,
        best: &mut Option<(usize, &'a str)>,
    ) {
        let indexed = self
            .deletes
            .get(probe)
            .into_iter()
            .flatten()
            .map(String::as_str);
        let exact = self.surface.get_key_value(probe).map(|(k, _)| k.as_str());
        for cand in indexed.chain(exact) {
            let d = edit_distance(word, cand);
            if d <= max && best.is_none_or(|(bd, bw)| (d, cand) < (bd, bw)) {
                *best = Some((d, cand));
            }
        }
    }

    /// Finnish and Swedish glue words together (`oleskelulupahakemus`, `behandlingstid`).
    fn split_compound(&self, word: &str) -> Option<(&str, &str)> {
        let chars: Vec<char> = word.chars().collect();
        // Both parts are content words (the tail perhaps after a linking `s`).
        if chars.len() < 8 || chars.len() > 2 * self.longest + 1 {
            return None;
        }
        for cut in (4..=(chars.len() - 3).min(self.longest)).rev() {
            let head: String = chars[..cut].iter().collect();
            let Some(a) = self.surface.get(&head) else {
                continue;
            };
            let tail: String = chars[cut..].iter().collect();
            let tail_trim = tail.strip_prefix('s').unwrap_or(&tail);
            for t in [tail.as_str(), tail_trim] {
                if t.chars().count() < 3 {
                    continue;
                }
                if let Some(b) = self.surface.get(t) {
                    return Some((a, b));
                }
            }
        }
        None
    }

    /// The longest content word (at least five letters) the token starts with.
    fn known_prefix(&self, word: &str) -> Option<&str> {
        let chars: Vec<char> = word.chars().collect();
        (5..chars.len().min(self.longest + 1)).rev().find_map(|n| {
            self.surface
                .get(&chars[..n].iter().collect::<String>())
                .map(String::as_str)
        })
    }
}

thread_local! {
    /// Per-topic BM25F scores, matched idf mass and topic-document cosines, reused from
    /// question to question: three fresh arrays per question were large allocations that made
    /// the allocator consolidate its free lists every time.
    static SCRATCH: std::cell::RefCell<[Vec<f32>; 3]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new()])
    };
}

/// How many hits a ranking keeps: the answer and up to three alternatives.
const TOP: usize = 4;

/// The best `n` hits, best first (ties: lower topic index first), in one pass without sorting
/// every candidate: with 1,000 topics most of them match some n-gram.
fn top_hits(candidates: impl Iterator<Item = Hit>, n: usize) -> Vec<Hit> {
    let better = |a: &Hit, b: &Hit| a.score > b.score || (a.score == b.score && a.topic < b.topic);
    let mut top: Vec<Hit> = Vec::with_capacity(n + 1);
    for h in candidates {
        if top.len() == n && !top.last().is_some_and(|last| better(&h, last)) {
            continue;
        }
        let at = top.iter().position(|t| better(&h, t)).unwrap_or(top.len());
        top.insert(at, h);
        top.truncate(n);
    }
    top
}

fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|i| chars[..i].iter().chain(&chars[i + 1..]).collect())
        .collect()
}

/// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_hits_keeps_the_best_four_in_order() {
        let hits = [3.0, 1.0, 5.0, 5.0, 0.5, 4.0, 2.0]
            .iter()
            .enumerate()
            .map(|(topic, &score)| Hit { topic, score });
        let top: Vec<usize> = top_hits(hits, TOP).iter().map(|h| h.topic).collect();
        assert_eq!(top, [2, 3, 5, 0]);
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("hakemus", "hakemsu"), 1);
        assert_eq!(edit_distance("kasittely", "käsittely"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
