//! Names, street addresses and document numbers (#16), measured on written sets:
//! `tests/data/redaction-dev.tsv` (tuned on) and `tests/data/redaction-heldout.tsv` (written by
//! an independent helper and never inspected: only the aggregates printed here are looked at).
//! A case counts as found when every substring it lists is gone from the output; a general
//! line counts as altered when the output differs from it at all.

use std::collections::BTreeMap;

use kanava::redact::{PiiRedactor, Redactor};

#[derive(Default, Debug)]
struct Tally {
    n: usize,
    ok: usize,
}

/// `show`: print the misses (the dev set only; the held-out set is never looked into).
fn measure(src: &str, show: bool) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for line in src
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [kind, _lang, message, vanish] = cols[..] else {
            panic!("a line without four columns (kind, lang, message, must_vanish)")
        };
        let t = out.entry(kind.to_string()).or_default();
        t.n += 1;
        // A line break inside a message is written `\n` in the sets.
        let message = message.replace("\\n", "\n");
        let red = PiiRedactor.redact(&message);
        let ok = if kind == "general" {
            red.text == message.as_str()
        } else {
            vanish
                .split(" | ")
                .map(str::trim)
                .filter(|v| !v.is_empty() && *v != "-")
                .all(|v| !red.text.contains(v))
        };
        if ok {
            t.ok += 1;
        } else if show {
            println!("miss [{kind}] {message}\n     -> {}", red.text);
        }
    }
    out
}

fn report(name: &str, m: &BTreeMap<String, Tally>) {
    for (kind, t) in m {
        let what = if kind == "general" {
            "unchanged"
        } else {
            "recall"
        };
        println!(
            "{name} {kind}: n={} {what}={:.3}",
            t.n,
            t.ok as f64 / t.n.max(1) as f64
        );
    }
}

fn rate(m: &BTreeMap<String, Tally>, kind: &str) -> f64 {
    m.get(kind).map_or(0.0, |t| t.ok as f64 / t.n.max(1) as f64)
}

#[test]
fn addresses_and_documents_on_the_dev_set() {
    let show = std::env::var_os("KANAVA_SHOW_MISSES").is_some();
    let m = measure(include_str!("../data/redaction-dev.tsv"), show);
    report("redaction dev", &m);
    assert!(rate(&m, "address") >= DEV_ADDRESS, "dev address recall");
    assert!(rate(&m, "document") >= DEV_DOCUMENT, "dev document recall");
    assert!(rate(&m, "name") >= DEV_NAME, "dev name recall");
    assert!(
        rate(&m, "general") >= 0.98,
        "dev general lines altered > 2 %"
    );
}

#[test]
fn heldout_redaction_does_not_regress() {
    let m = measure(include_str!("../data/redaction-heldout.tsv"), false);
    report("redaction held-out", &m);
    assert!(m.values().map(|t| t.n).sum::<usize>() >= 200);
    assert!(
        rate(&m, "address") >= HELDOUT_ADDRESS,
        "held-out address recall"
    );
    assert!(
        rate(&m, "document") >= HELDOUT_DOCUMENT,
        "held-out document recall"
    );
    assert!(rate(&m, "name") >= HELDOUT_NAME, "held-out name recall");
    assert!(
        rate(&m, "general") >= HELDOUT_GENERAL,
        "held-out general lines altered"
    );
}

/// A second held-out set (`tests/data/redaction-heldout-2.tsv`), written on 2026-12-08 by an
/// independent helper after the first name finder and before any work on it since: for the next
/// round of name work, and never inspected (only these aggregates are looked at).
#[test]
fn second_heldout_set_is_measured() {
    let m = measure(include_str!("../data/redaction-heldout-2.tsv"), false);
    report("redaction held-out 2", &m);
    assert!(m.values().map(|t| t.n).sum::<usize>() >= 250);
    assert!(rate(&m, "name") >= HELDOUT2_NAME, "held-out 2 name recall");
    assert!(
        rate(&m, "address") >= HELDOUT2_ADDRESS,
        "held-out 2 address recall"
    );
    assert!(
        rate(&m, "general") >= HELDOUT2_GENERAL,
        "held-out 2 general lines altered"
    );
}

// Floors just under the measurements (README, "Personal data"). 2026-12-07, addresses and
// documents: dev 1.000 / 1.000, held-out 0.863 / 1.000, general unchanged 1.000. 2026-12-08, with
// names: dev names 0.976, addresses 1.000; held-out names 0.924, addresses 0.941, documents
// 1.000, general 102 of 102 unchanged.
const DEV_ADDRESS: f64 = 0.95;
const DEV_DOCUMENT: f64 = 0.95;
const DEV_NAME: f64 = 0.95;
const HELDOUT_ADDRESS: f64 = 0.95;
const HELDOUT_DOCUMENT: f64 = 0.95;
const HELDOUT_NAME: f64 = 0.90;
const HELDOUT_GENERAL: f64 = 0.98;
// Held-out 2, first measured 2026-12-08: names 0.899 (143 of 159), addresses 0.919 (57 of 62),
// general 0.979 (95 of 97 unchanged); names 0.912 after the gate learned capitalised first words;
// addresses 0.968 (and held-out 1: 0.961) with addresses abroad.
const HELDOUT2_NAME: f64 = 0.89;
const HELDOUT2_ADDRESS: f64 = 0.95;
const HELDOUT2_GENERAL: f64 = 0.97;

/// The knowledge base's example questions and answers are general text in fi/sv/en full of
/// authorities, places, services and months: the name and address finders must leave them
/// alone. The same
/// text was used to keep ordinary words out of the name lists, so this guards the finder's rules
/// (cues, capitals, the never-list), not the lists.
#[test]
fn knowledge_base_text_keeps_its_words() {
    use kanava::redact::Kind;
    use kanava_adapter::Lang;
    let kb = kanava::knowledge::KnowledgeBase::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )
    .expect("knowledge");
    let mut lines = Vec::new();
    for t in kb.topics() {
        for l in Lang::ALL {
            let text = t.text(l);
            lines.extend(text.questions.iter().cloned());
            lines.extend(text.answer_source.lines().map(str::to_string));
        }
    }
    let show = std::env::var_os("KANAVA_SHOW_MISSES").is_some();
    let mut altered = 0;
    for line in &lines {
        let red = PiiRedactor.redact(line);
        if red.counts.get(Kind::Name) + red.counts.get(Kind::Address) > 0 {
            altered += 1;
            if show {
                println!("name found in: {line}\n          -> {}", red.text);
            }
        }
    }
    let rate = altered as f64 / lines.len() as f64;
    println!(
        "knowledge base lines with a [NAME] or an [ADDRESS]: {altered} of {} ({rate:.4})",
        lines.len()
    );
    assert!(rate <= 0.002, "the name finder alters general text");
}
