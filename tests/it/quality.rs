//! Answer quality on the held-out set (`tests/data/heldout.tsv`), beside a character n-gram
//! TF-IDF baseline on the same questions. Run with `--nocapture` to see the table the README
//! quotes.

use std::collections::HashMap;
use std::path::Path;

use kanava::knowledge::KnowledgeBase;
use kanava_adapter::Lang;

struct Case {
    lang: Lang,
    topic: String,
    question: String,
}

fn cases(src: &str) -> Vec<Case> {
    src.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let (Some(lang), Some(topic), Some(question)) = (cols.next(), cols.next(), cols.next())
            else {
                panic!("malformed held-out line: {l:?}");
            };
            Case {
                lang: lang.parse().expect("language column"),
                topic: topic.to_string(),
                question: question.to_string(),
            }
        })
        .collect()
}

/// The baseline: TF-IDF over character 3-grams of each topic's title and example questions
/// (all languages in one space), cosine similarity, best topic wins.
struct NgramBaseline {
    docs: Vec<(String, HashMap<String, f32>)>,
    idf: HashMap<String, f32>,
}

fn grams(s: &str) -> HashMap<String, f32> {
    let lower: Vec<char> = format!("  {}  ", s.to_lowercase()).chars().collect();
    let mut m = HashMap::new();
    for w in lower.windows(3) {
        *m.entry(w.iter().collect()).or_insert(0.0) += 1.0;
    }
    m
}

impl NgramBaseline {
    fn new(kb: &KnowledgeBase) -> Self {
        let raw: Vec<(String, HashMap<String, f32>)> = kb
            .topics()
            .iter()
            .map(|t| {
                let mut text = String::new();
                for l in Lang::ALL {
                    let tt = t.text(l);
                    text.push_str(&tt.title);
                    text.push(' ');
                    text.push_str(&tt.questions.join(" "));
                    text.push(' ');
                }
                (t.id.clone(), grams(&text))
            })
            .collect();
        let mut df: HashMap<String, f32> = HashMap::new();
        for (_, g) in &raw {
            for k in g.keys() {
                *df.entry(k.clone()).or_insert(0.0) += 1.0;
            }
        }
        let n = raw.len() as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(k, d)| (k, (n / d).ln() + 1.0))
            .collect();
        let docs = raw
            .into_iter()
            .map(|(id, g)| (id, weigh(g, &idf)))
            .collect();
        Self { docs, idf }
    }

    fn best(&self, q: &str) -> &str {
        let qv = weigh(grams(q), &self.idf);
        self.docs
            .iter()
            .map(|(id, d)| (id, cosine(&qv, d)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id.as_str())
            .unwrap_or("")
    }
}

fn weigh(g: HashMap<String, f32>, idf: &HashMap<String, f32>) -> HashMap<String, f32> {
    let mut v: HashMap<String, f32> = g
        .into_iter()
        .map(|(k, tf)| {
            let w = idf.get(&k).copied().unwrap_or(0.0) * (1.0 + tf.ln());
            (k, w)
        })
        .collect();
    let norm = v.values().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.values_mut().for_each(|x| *x /= norm);
    v
}

fn cosine(a: &HashMap<String, f32>, b: &HashMap<String, f32>) -> f32 {
    a.iter()
        .map(|(k, x)| x * b.get(k).copied().unwrap_or(0.0))
        .sum()
}

/// One language's results on a question set.
struct Row {
    lang: Lang,
    questions: usize,
    /// The top-ranked topic is right (no threshold: comparable to the baseline).
    ranked: f64,
    /// kanava answered, and with the right topic (after the confidence threshold).
    answered: f64,
    /// The baseline's top topic is right.
    baseline: f64,
}

/// Accuracy per language on a question set; misses listed when `show_misses`.
fn measure(src: &str, show_misses: bool) -> Vec<Row> {
    let kb = KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("shipped knowledge is valid");
    let baseline = NgramBaseline::new(&kb);
    let cases = cases(src);
    let mut rows = Vec::new();
    for lang in Lang::ALL {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.lang == lang).collect();
        let (mut ranked, mut answered, mut base) = (0, 0, 0);
        for c in &mine {
            let expected = Some(c.topic.as_str());
            let decision = kb.ask(&c.question, None);
            if decision.topic.as_deref() == expected {
                answered += 1;
            }
            let top = kb.ask_with_threshold(&c.question, None, 0.0);
            if top.topic.as_deref() == expected {
                ranked += 1;
            }
            if show_misses && decision.topic.as_deref() != expected {
                println!(
                    "miss: {lang} {:?}: expected {}, answered {:?}, ranked first {:?} ({:.2})",
                    c.question, c.topic, decision.topic, top.topic, decision.confidence
                );
            }
            if baseline.best(&c.question) == c.topic {
                base += 1;
            }
        }
        let n = mine.len() as f64;
        rows.push(Row {
            lang,
            questions: mine.len(),
            ranked: ranked as f64 / n,
            answered: answered as f64 / n,
            baseline: base as f64 / n,
        });
    }
    rows
}

fn print_table(name: &str, rows: &[Row]) {
    println!("{name}:");
    println!("| language | questions | kanava ranking top-1 | kanava answered correctly (threshold {}) | char 3-gram TF-IDF top-1 |", kanava::knowledge::DEFAULT_CONFIDENCE_THRESHOLD);
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} |",
            r.lang, r.questions, r.ranked, r.answered, r.baseline
        );
    }
}

#[test]
fn heldout_top1_accuracy_per_language() {
    // Misses of the held-out set are never printed: looking at them would turn it into a
    // tuning set.
    let rows = measure(include_str!("../data/heldout.tsv"), false);
    print_table("held-out set", &rows);
    // The target is top-1 ≥ 0.95 in every language (28 questions a language: one miss is
    // 0.964, two are 0.929). It held with the 14 topics these questions were written for; with
    // the 33 topics of #15 beside them Swedish measured 0.929 (two misses, not looked at), so
    // the guard is now "no third miss" and the README reports the target as not met.
    for r in &rows {
        assert!(
            r.ranked >= 0.92,
            "{}: held-out ranking top-1 {:.3} regressed (target 0.95)",
            r.lang,
            r.ranked
        );
        assert!(
            r.answered >= 0.9,
            "{}: held-out answered top-1 {:.3} regressed",
            r.lang,
            r.answered
        );
    }
}

#[test]
fn dev_top1_accuracy_per_language() {
    let rows = measure(include_str!("../data/dev.tsv"), true);
    print_table("dev set", &rows);
    for r in &rows {
        assert!(
            r.answered >= 0.9,
            "{}: dev top-1 accuracy {:.3} fell below 0.9",
            r.lang,
            r.answered
        );
    }
}
