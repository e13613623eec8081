//! Top-1 accuracy of the shipped knowledge base on a question file (language, topic, question
//! per tab-separated line), with the misses: the tool for content editors and ranker changes.
//! Topic `-` marks an off-topic question (it should get the fallback); for those and the rest,
//! a table shows what each confidence threshold would do.
//! `cargo run --release --example rank_eval -- tests/data/dev.tsv [--from LINE]`
//! Never run it on the held-out set: its misses must stay unseen.

use std::path::Path;

use kanava::knowledge::KnowledgeBase;
use kanava_adapter::Lang;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: rank_eval FILE.tsv [--from LINE]");
        std::process::exit(2);
    };
    if file.contains("heldout") {
        eprintln!("rank_eval: refusing the held-out set (its misses must stay unseen)");
        std::process::exit(2);
    }
    let from: usize = match args.iter().position(|a| a == "--from") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                eprintln!("rank_eval: --from needs a line number");
                std::process::exit(2)
            }),
        None => 1,
    };
    let src = std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("rank_eval: {file}: {e}");
        std::process::exit(2)
    });
    let kb = KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .unwrap_or_else(|problems| {
            for p in problems {
                eprintln!("{p}");
            }
            std::process::exit(1)
        });
    let mut right = [0usize; 3];
    let mut total = [0usize; 3];
    // Confidence of each right top-1 answer, and of each off-topic question.
    let mut right_conf: Vec<f32> = Vec::new();
    let mut off_conf: Vec<f32> = Vec::new();
    for (n, line) in src.lines().enumerate().skip(from.saturating_sub(1)) {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [lang, topic, question] = cols[..] else {
            eprintln!("{file}:{}: expected three tab-separated columns", n + 1);
            continue;
        };
        let Ok(lang) = lang.parse::<Lang>() else {
            eprintln!("{file}:{}: unknown language {lang:?}", n + 1);
            continue;
        };
        let top = kb.ask_with_threshold(question, None, 0.0);
        if topic == "-" {
            off_conf.push(top.confidence);
            if top.confidence >= kanava::knowledge::DEFAULT_CONFIDENCE_THRESHOLD {
                println!(
                    "{}: {lang} {question:?}: off-topic, answered {:?} ({:.2})",
                    n + 1,
                    top.topic,
                    top.confidence
                );
            }
            continue;
        }
        total[lang.index()] += 1;
        if top.topic.as_deref() == Some(topic) {
            right[lang.index()] += 1;
            right_conf.push(top.confidence);
        } else {
            println!(
                "{}: {lang} {question:?}: expected {topic}, ranked first {:?} ({:.2})",
                n + 1,
                top.topic,
                top.confidence
            );
        }
    }
    println!("threshold | right answers kept | off-topic answered");
    for t in (26..=46).step_by(2) {
        let t = t as f32 / 100.0;
        println!(
            "{t:.2} | {}/{} | {}/{}",
            right_conf.iter().filter(|c| **c >= t).count(),
            right_conf.len(),
            off_conf.iter().filter(|c| **c >= t).count(),
            off_conf.len()
        );
    }
    for lang in Lang::ALL {
        let i = lang.index();
        println!(
            "{lang}: {}/{} = {:.3}",
            right[i],
            total[i],
            right[i] as f64 / total[i].max(1) as f64
        );
    }
}
