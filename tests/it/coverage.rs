//! Coverage of the 47 topics, measured as the engine decides: the classifier first (a refused
//! question is not ranked), then retrieval with the default threshold; a `kind: elsewhere`
//! topic counts as a fallback, as the engine answers it.
//!
//! - `tests/data/dev-topics.tsv` and `tests/data/outofscope-dev.tsv`: development sets, tuned on.
//! - `tests/data/heldout-topics.tsv` and `tests/data/outofscope-heldout.tsv`: written before the
//!   content and never inspected: only the aggregate numbers printed here are looked at. Their
//!   floors are regression guards set below the first measurement; the targets are in
//!   the README beside the measured figures.

use std::collections::BTreeMap;

use kanava::knowledge::{KnowledgeBase, TopicKind};
use kanava::policy::{Classifier, RuleClassifier, Verdict};
use kanava::redact::{PiiRedactor, Redactor};
use kanava_adapter::Lang;

use crate::retrieval::kb;

/// What kanava did with one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Did {
    /// Answered with this topic (of kind `answer`).
    Topic,
    /// Fell back: no topic confident enough, an `elsewhere` topic, or refused by the classifier.
    FellBack,
}

/// What kanava did, and (for a fallback) why: the classifier's verdict, an `elsewhere` topic,
/// or the best topic and its confidence.
fn did(kb: &KnowledgeBase, q: &str) -> (Did, Option<String>) {
    let lang = kb.detect_language(q).unwrap_or(Lang::Fi);
    let redacted = PiiRedactor.redact(q);
    let verdict = RuleClassifier.classify(&redacted.text, lang).verdict;
    if !matches!(verdict, Verdict::General | Verdict::OwnSituation) {
        return (
            Did::FellBack,
            Some(format!("refused: {}", verdict.as_str())),
        );
    }
    let d = kb.ask(&redacted.text, None);
    match d.topic {
        Some(id) => match kb.by_id(&id).map(|t| t.kind) {
            Some(TopicKind::Answer) => (Did::Topic, Some(id)),
            _ => (Did::FellBack, Some(id)),
        },
        None => (
            Did::FellBack,
            Some(format!(
                "unsure {:.2} {}",
                d.confidence,
                d.alternatives.first().map_or("", String::as_str)
            )),
        ),
    }
}

/// Development sets only: `KANAVA_SHOW_MISSES=1` lists what went wrong.
fn show(set: &str, lang: &str, topic: &str, q: &str, got: &Option<String>) {
    if set == "dev" && std::env::var_os("KANAVA_SHOW_MISSES").is_some() {
        println!(
            "  miss {lang} {topic}: {q:?} -> {}",
            got.as_deref().unwrap_or("-")
        );
    }
}

#[derive(Default, Debug)]
struct Tally {
    n: usize,
    right: usize,
    wrong: usize,
    fell_back: usize,
}

impl Tally {
    fn rate(&self, k: usize) -> f64 {
        k as f64 / self.n.max(1) as f64
    }
}

fn rows(src: &str) -> Vec<Vec<&str>> {
    src.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect()
}

/// In-scope questions (`lang, topic, question`) per language.
fn in_scope(kb: &KnowledgeBase, set: &str, src: &str) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows(src) {
        let [lang, topic, q] = r[..] else {
            panic!("bad line: {r:?}")
        };
        let t = out.entry(lang.to_string()).or_default();
        t.n += 1;
        match did(kb, q) {
            (Did::Topic, Some(id)) if id == topic => t.right += 1,
            (Did::Topic, got) => {
                t.wrong += 1;
                show(set, lang, topic, q, &got);
            }
            (Did::FellBack, got) => {
                t.fell_back += 1;
                show(set, lang, topic, q, &got);
            }
        }
    }
    out
}

/// Out-of-scope probes (`lang, question`) per language: the share that fell back.
fn out_of_scope(kb: &KnowledgeBase, set: &str, src: &str) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows(src) {
        let [lang, q] = r[..] else {
            panic!("bad line: {r:?}")
        };
        let t = out.entry(lang.to_string()).or_default();
        t.n += 1;
        match did(kb, q) {
            (Did::FellBack, _) => t.fell_back += 1,
            (Did::Topic, got) => {
                t.wrong += 1;
                show(set, lang, "-", q, &got);
            }
        }
    }
    out
}

fn print(name: &str, m: &BTreeMap<String, Tally>) {
    for (lang, t) in m {
        println!(
            "{name} {lang}: n={} right={:.3} wrong={:.3} fell_back={:.3}",
            t.n,
            t.rate(t.right),
            t.rate(t.wrong),
            t.rate(t.fell_back)
        );
    }
}

#[test]
fn dev_questions_find_their_topics_and_out_of_scope_ones_fall_back() {
    let kb = kb();
    let ins = in_scope(&kb, "dev", include_str!("../data/dev-topics.tsv"));
    let oos = out_of_scope(&kb, "dev", include_str!("../data/outofscope-dev.tsv"));
    print("dev in-scope", &ins);
    print("dev out-of-scope", &oos);
    for (lang, t) in &ins {
        assert!(t.n >= 99, "{lang}: dev questions missing");
        assert!(t.rate(t.right) >= 0.85, "{lang}: dev right {:?}", t);
        assert!(t.rate(t.wrong) <= 0.06, "{lang}: dev wrong {:?}", t);
    }
    for (lang, t) in &oos {
        assert!(t.rate(t.fell_back) >= 0.9, "{lang}: dev fell back {:?}", t);
    }
}

#[test]
fn heldout_coverage_does_not_regress() {
    let kb = kb();
    let ins = in_scope(&kb, "heldout", include_str!("../data/heldout-topics.tsv"));
    let oos = out_of_scope(
        &kb,
        "heldout",
        include_str!("../data/outofscope-heldout.tsv"),
    );
    print("held-out in-scope", &ins);
    print("held-out out-of-scope", &oos);
    assert_eq!(ins.values().map(|t| t.n).sum::<usize>(), 396);
    assert!(oos.values().map(|t| t.n).sum::<usize>() >= 60);
    let all = |m: &BTreeMap<String, Tally>, f: fn(&Tally) -> usize| {
        m.values().map(f).sum::<usize>() as f64 / m.values().map(|t| t.n).sum::<usize>() as f64
    };
    let (right, wrong) = (all(&ins, |t| t.right), all(&ins, |t| t.wrong));
    let fell_back = all(&oos, |t| t.fell_back);
    println!("held-out overall: right={right:.3} wrong={wrong:.3} oos fell_back={fell_back:.3}");
    assert!(right >= FLOOR_RIGHT, "held-out right {right:.3}");
    assert!(wrong <= CEILING_WRONG, "held-out wrong {wrong:.3}");
    assert!(
        fell_back >= FLOOR_OOS,
        "held-out oos fell back {fell_back:.3}"
    );
}

// Set from the first measurement on the held-out sets (README, "Answer quality"), a little
// below it, so that a regression fails the suite.
// First measured (2026-12-07, 57 topic files): right 0.891, wrong 0.061, out-of-scope fell
// back 0.922. Targets (#15): right ≥ 0.95, wrong ≤ 0.02, fell back ≥ 0.90.
const FLOOR_RIGHT: f64 = 0.87;
const CEILING_WRONG: f64 = 0.075;
const FLOOR_OOS: f64 = 0.90;
