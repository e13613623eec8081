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

fn measure(src: &str) -> BTreeMap<String, Tally> {
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
        let red = PiiRedactor.redact(message);
        let ok = if kind == "general" {
            red.text == message
        } else {
            vanish
                .split(" | ")
                .map(str::trim)
                .filter(|v| !v.is_empty() && *v != "-")
                .all(|v| !red.text.contains(v))
        };
        if ok {
            t.ok += 1;
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
    let m = measure(include_str!("../data/redaction-dev.tsv"));
    report("redaction dev", &m);
    assert!(rate(&m, "address") >= DEV_ADDRESS, "dev address recall");
    assert!(rate(&m, "document") >= DEV_DOCUMENT, "dev document recall");
    assert!(
        rate(&m, "general") >= 0.98,
        "dev general lines altered > 2 %"
    );
}

#[test]
fn heldout_redaction_does_not_regress() {
    let m = measure(include_str!("../data/redaction-heldout.tsv"));
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
    assert!(
        rate(&m, "general") >= HELDOUT_GENERAL,
        "held-out general lines altered"
    );
}

// Floors just under the first measurements (2026-12-07; README, "Personal data"): dev address
// 1.000, document 1.000, general unchanged 1.000; held-out address 0.863, document 1.000, general
// unchanged 1.000 (102 lines). Names have no finder yet (recall 0), so they are reported only.
const DEV_ADDRESS: f64 = 0.95;
const DEV_DOCUMENT: f64 = 0.95;
const HELDOUT_ADDRESS: f64 = 0.84;
const HELDOUT_DOCUMENT: f64 = 0.95;
const HELDOUT_GENERAL: f64 = 0.98;
