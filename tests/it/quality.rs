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

/// Accuracy per language on a question set, kanava and baseline; misses listed when `show`.
fn measure(src: &str, show_misses: bool) -> Vec<(Lang, usize, f64, f64)> {
    let kb = KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("shipped knowledge is valid");
    let baseline = NgramBaseline::new(&kb);
    let cases = cases(src);
    let mut table = Vec::new();
    let mut misses = Vec::new();
    for lang in Lang::ALL {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.lang == lang).collect();
        let mut ours = 0;
        let mut base = 0;
        let mut fallbacks = 0;
        for c in &mine {
            let decision = kb.ask(&c.question, None);
            if decision.topic.as_deref() == Some(c.topic.as_str()) {
                ours += 1;
            } else {
                if decision.topic.is_none() {
                    fallbacks += 1;
                }
                misses.push(format!(
                    "{lang} {:?}: expected {}, got {:?} ({:.2})",
                    c.question, c.topic, decision.topic, decision.confidence
                ));
            }
            if baseline.best(&c.question) == c.topic {
                base += 1;
            }
        }
        let n = mine.len() as f64;
        println!(
            "{lang}: {fallbacks} of the misses are fallbacks (below the confidence threshold)"
        );
        table.push((lang, mine.len(), ours as f64 / n, base as f64 / n));
    }
    if show_misses {
        for m in &misses {
            println!("miss: {m}");
        }
    }
    table
}

fn print_table(name: &str, table: &[(Lang, usize, f64, f64)]) {
    println!("{name}:");
    println!("| language | questions | kanava top-1 | char 3-gram TF-IDF top-1 |");
    println!("|---|---|---|---|");
    for (lang, n, ours, base) in table {
        println!("| {lang} | {n} | {ours:.3} | {base:.3} |");
    }
}

#[test]
fn heldout_top1_accuracy_per_language() {
    // Misses of the held-out set are never printed: looking at them would turn it into a
    // tuning set.
    let table = measure(include_str!("../data/heldout.tsv"), false);
    print_table("held-out set", &table);
    // The target is 0.95 in every language; it is not met yet (see README). This floor guards
    // against regressions from the measured level.
    for (lang, _, ours, _) in &table {
        assert!(
            *ours >= 0.75,
            "{lang}: held-out top-1 accuracy {ours:.3} regressed below 0.75"
        );
    }
}

#[test]
fn dev_top1_accuracy_per_language() {
    let table = measure(include_str!("../data/dev.tsv"), true);
    print_table("dev set", &table);
    for (lang, _, ours, _) in &table {
        assert!(
            *ours >= 0.9,
            "{lang}: dev top-1 accuracy {ours:.3} fell below 0.9"
        );
    }
}
