//! Redaction throughput. `cargo bench --bench redact`.
//! - "mix": realistic chat messages, most without personal data (the knowledge base's example
//!   questions in fi/sv/en), one in five carrying an identity code, number, date, e-mail, phone,
//!   IBAN or card, some with evasion characters.
//! - "no-candidates": long text with no digit and no `@` (the prefilter's path).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/mix.rs"]
mod mix;
use kanava::redact::{PiiRedactor, Redactor};

fn bench(c: &mut Criterion) {
    let mix = mix::messages();
    let bytes: usize = mix.iter().map(String::len).sum();
    let with_pii = mix
        .iter()
        .filter(|m| PiiRedactor.redact(m).counts.total() > 0)
        .count();
    println!(
        "mix: {} messages, {} with personal data, {bytes} bytes",
        mix.len(),
        with_pii
    );
    let mut g = c.benchmark_group("redact");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("mix", |b| {
        b.iter(|| {
            for m in &mix {
                black_box(PiiRedactor.redact(black_box(m)));
            }
        })
    });
    let clean: String = mix
        .iter()
        .flat_map(|m| m.chars())
        .filter(|c| !c.is_numeric() && *c != '@')
        .collect::<String>()
        .repeat(20);
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("no-candidates", |b| {
        b.iter(|| black_box(PiiRedactor.redact(black_box(&clean))))
    });
    g.finish();
    println!("per message: see 'mix' time divided by {}", mix.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
