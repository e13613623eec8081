//! Retrieval speed on a synthetic 1,000-topic knowledge base in three languages.
//! `cargo bench --bench ask`; prints criterion's mean and a p50/p99 over single calls.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use kanava::knowledge::{KnowledgeBase, Topic, TopicText};
use kanava_adapter::{Lang, RichText};

/// A deterministic pseudo-random word generator (xorshift), so every run sees the same base.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn word(&mut self, lang: Lang) -> String {
        let syll: &[&str] = match lang {
            Lang::Fi => &[
                "ka", "sit", "te", "ly", "ha", "ke", "mus", "lu", "pa", "ai", "ko", "ti", "nen",
                "ää",
            ],
            Lang::Sv => &[
                "an", "sö", "kan", "be", "hand", "ling", "tid", "till", "stånd", "ar", "en", "ål",
            ],
            Lang::En => &[
                "pro", "cess", "ing", "ap", "pli", "ca", "tion", "per", "mit", "re", "side", "ence",
            ],
        };
        let n = 2 + self.next() % 3;
        (0..n)
            .map(|_| syll[(self.next() % syll.len() as u64) as usize])
            .collect()
    }

    fn sentence(&mut self, lang: Lang, n: usize) -> String {
        (0..n)
            .map(|_| self.word(lang))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A synthetic base and its queries, each with the topic it was derived from.
fn synthetic(n: usize) -> (KnowledgeBase, Vec<(String, String)>) {
    let mut w = Words(0x9e37_79b9_7f4a_7c15);
    let mut questions = Vec::new();
    let topics: Vec<Topic> = (0..n)
        .map(|i| {
            let texts = Lang::ALL.map(|lang| {
                let qs: Vec<String> = (0..6).map(|_| w.sentence(lang, 6)).collect();
                if i % 10 == 0 {
                    questions.push((qs[0].clone(), format!("topic-{i}")));
                }
                let answer_source = w.sentence(lang, 60);
                TopicText {
                    title: w.sentence(lang, 3),
                    questions: qs,
                    answer: RichText::text(answer_source.clone()),
                    answer_source,
                }
            });
            Topic {
                id: format!("topic-{i}"),
                related: Vec::new(),
                texts,
            }
        })
        .collect();
    // Queries with a typo and an unknown word, like real users write.
    let questions = questions
        .into_iter()
        .map(|(q, topic)| (format!("{} zzqx", q.replacen('a', "e", 1)), topic))
        .collect();
    (KnowledgeBase::from_topics(topics), questions)
}

fn bench(c: &mut Criterion) {
    let (kb, questions) = synthetic(1000);
    let mut i = 0;
    c.bench_function("ask/1000-topics-3-langs", |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            black_box(kb.ask(black_box(&questions[i].0), None))
        })
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
