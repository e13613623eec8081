//! Deterministic cost of redaction, for comparing changes under `valgrind --tool=callgrind`:
//! redacts the benchmark's message mix ten times.
//! `cargo build --release --example redact_cost && valgrind --tool=callgrind --toggle-collect='*PiiRedactor*redact*' target/release/examples/redact_cost`

#[path = "../benches/support/mix.rs"]
mod mix;

use kanava::redact::{PiiRedactor, Redactor};

fn main() {
    let messages = mix::messages();
    let mut found = 0;
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    for _ in 0..rounds {
        for m in &messages {
            found += PiiRedactor.redact(m).counts.total();
        }
    }
    println!(
        "{} messages, {found} items found over {rounds} rounds",
        messages.len()
    );
}
