//! A deterministic synthetic knowledge base for speed measurements (shared by the `ask` bench
//! and the `ask_cost` example).

use kanava::knowledge::{KnowledgeBase, Topic, TopicKind, TopicText};
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
pub fn knowledge_base(n: usize) -> (KnowledgeBase, Vec<(String, String)>) {
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
                kind: TopicKind::Answer,
                related: Vec::new(),
                sources: Vec::new(),
                reviewed: None,
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
