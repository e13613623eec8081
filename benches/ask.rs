//! Retrieval speed on a synthetic 1,000-topic knowledge base in three languages.
//! `cargo bench --bench ask`; prints criterion's mean and a p50/p99 over single calls.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/synthetic.rs"]
mod synthetic;

fn bench(c: &mut Criterion) {
    let (kb, questions) = synthetic::knowledge_base(1000);
    let mut i = 0;
    c.bench_function("ask/1000-topics-3-langs", |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            black_box(kb.ask(black_box(&questions[i].0), None))
        })
    });
    // The worst shapes of message within the web chat's 4,096-character limit: one long
    // unknown word (typo correction, compound splitting and prefix lookup are bounded by the
    // longest content word; unbounded, 2,100 letters cost ~100 s).
    let long_word = "oleskelulupahakemuksenkäsittelyaika"
        .repeat(120)
        .chars()
        .take(4096)
        .collect::<String>();
    c.bench_function("ask/one-4096-letter-word", |b| {
        b.iter(|| black_box(kb.ask(black_box(&long_word), None)))
    });
    let many_words = "hakemus ".repeat(512);
    c.bench_function("ask/512-words", |b| {
        b.iter(|| black_box(kb.ask(black_box(&many_words), None)))
    });
    let mut samples: Vec<u128> = Vec::with_capacity(20_000);
    for k in 0..20_000 {
        let q = &questions[k % questions.len()].0;
        let t = Instant::now();
        black_box(kb.ask(q, None));
        samples.push(t.elapsed().as_nanos());
    }
    samples.sort_unstable();
    let pct = |p: f64| {
        samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)] as f64 / 1000.0
    };
    // Speed is only worth quoting while the answers stay right.
    let right = questions
        .iter()
        .filter(|(q, t)| kb.ask(q, None).topic.as_deref() == Some(t.as_str()))
        .count();
    println!("synthetic top-1: {right} of {} queries", questions.len());
    println!(
        "ask latency over {} single calls: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        samples.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
