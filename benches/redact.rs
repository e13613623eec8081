//! Redaction throughput. `cargo bench --bench redact`.
//! - "mix": realistic chat messages, most without personal data (the knowledge base's example
//!   questions in fi/sv/en), one in five carrying an identity code, number, date, e-mail, phone,
//!   IBAN or card, some with evasion characters.
//! - "no-candidates": long text with no digit and no `@` (the prefilter's path).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kanava::knowledge::KnowledgeBase;
use kanava::redact::{PiiRedactor, Redactor};
use kanava_adapter::Lang;

fn messages() -> Vec<String> {
    let kb = KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("knowledge");
    let general: Vec<String> = kb
        .topics()
        .iter()
        .flat_map(|t| Lang::ALL.map(|l| t.text(l).questions.clone()))
        .flatten()
        .collect();
    let personal = [
        "Henkilötunnukseni on 131052-308T, missä hakemukseni on?",
        "Min ansökan har nummer 1234567, när kommer beslutet?",
        "I was born 01.01.1990, application 12 345 678.",
        "Kirjoita minulle matti.meikalainen@example.fi",
        "Ring mig på 070-123 45 67 tack",
        "Call me at +44 20 7946 0958 please",
        "Tilinumero FI21 1234 5600 0007 85",
        "Card 4111 1111 1111 1111 was charged",
        "Mitt personnummer är 811218-9876",
        "Hakemus １２３\u{200B}４５６７ ei etene",
        "Syntynyt 5. toukokuuta 1990, kiitos",
        "Maksu oli 470 € ja käsittely kesti 2–4 tuntia klo 9–16",
    ];
    let mut out = Vec::new();
    for (i, g) in general.iter().enumerate() {
        out.push(g.clone());
        if i % 4 == 3 {
            out.push(personal[(i / 4) % personal.len()].to_string());
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let mix = messages();
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
