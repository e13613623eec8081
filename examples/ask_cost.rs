//! Deterministic cost of retrieval, for comparing changes under `valgrind --tool=callgrind`
//! (instruction counts do not depend on machine load): runs every synthetic query once.
//! `cargo build --release --example ask_cost && valgrind --tool=callgrind target/release/examples/ask_cost`

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() {
    let (kb, questions) = synthetic::knowledge_base(1000);
    let right = questions
        .iter()
        .filter(|(q, t)| kb.ask(q, None).topic.as_deref() == Some(t.as_str()))
        .count();
    println!("{right} of {} right", questions.len());
}
