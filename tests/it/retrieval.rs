//! Retrieval behaviour: inflected Finnish, Swedish, English, typos and the fallback.

use std::path::Path;

use kanava::knowledge::KnowledgeBase;
use kanava_adapter::Lang;

pub fn kb() -> KnowledgeBase {
    KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("valid knowledge")
}

/// Off-topic messages (`tests/data/offtopic.tsv`): kanava must say it is unsure rather than
/// answer with a wrong topic.
fn off_topic() -> Vec<&'static str> {
    include_str!("../data/offtopic.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').nth(2))
        .collect()
}

#[test]
fn off_topic_questions_fall_back() {
    let kb = kb();
    let mut answered = Vec::new();
    let probes = off_topic();
    assert!(probes.len() >= 40, "off-topic probes missing");
    for q in probes {
        let d = kb.ask(q, None);
        assert!(d.alternatives.len() <= 3);
        // An `elsewhere` topic only says who handles the matter: a fallback, as the engine
        // counts it.
        let elsewhere = |t: &str| {
            kb.by_id(t)
                .is_some_and(|t| t.kind == kanava::knowledge::TopicKind::Elsewhere)
        };
        if let Some(t) = d.topic.filter(|t| !elsewhere(t)) {
            answered.push(format!("{q:?} -> {t} ({:.2})", d.confidence));
        }
    }
    // The threshold (0.36) was calibrated on the dev set and these probes; the two probes that
    // share a content word with a topic ("phone", "telefon") still pass. More would be a
    // regression.
    assert!(
        answered.len() <= 2,
        "off-topic questions answered: {answered:#?}"
    );
}

#[test]
fn inflected_finnish_and_typos_find_their_topic() {
    let kb = kb();
    for (q, topic) in [
        ("hakemukseni jonosija", "queue-position"),
        ("hakemukseni tilan seuraaminen", "follow-application"),
        (
            "kuinka kauan hakemusten käsittelyssä kestää",
            "processing-time",
        ),
        (
            "enter finlandiin ei pääse kirjautumaan",
            "enter-finland-outage",
        ),
        ("käsittelyajta", "processing-time"),
        (
            "hur länge tar behandlingen av ansökningar",
            "processing-time",
        ),
        (
            "jag kan inte logga in på enter finland",
            "enter-finland-outage",
        ),
        ("how long does procesing take", "processing-time"),
        ("enter finlnad is down", "enter-finland-outage"),
        ("queue positon", "queue-position"),
    ] {
        let d = kb.ask(q, None);
        assert_eq!(
            d.topic.as_deref(),
            Some(topic),
            "{q:?} ({:.2})",
            d.confidence
        );
    }
}

#[test]
fn language_is_detected_per_message() {
    let kb = kb();
    assert_eq!(
        kb.detect_language("Miten voin seurata hakemukseni käsittelyä?"),
        Some(Lang::Fi)
    );
    assert_eq!(
        kb.detect_language("Hur kan jag följa min ansökan?"),
        Some(Lang::Sv)
    );
    assert_eq!(
        kb.detect_language("How can I follow my application?"),
        Some(Lang::En)
    );
    assert_eq!(kb.detect_language("Enter Finland"), None);
}

#[test]
fn every_example_question_finds_its_own_topic() {
    let kb = kb();
    let mut wrong = Vec::new();
    let mut total = 0;
    for t in kb.topics() {
        for l in Lang::ALL {
            for q in &t.text(l).questions {
                total += 1;
                let d = kb.ask(q, Some(l));
                if d.topic.as_deref() != Some(t.id.as_str()) {
                    wrong.push(format!("{l} {q:?} -> {:?} {:.2}", d.topic, d.confidence));
                }
            }
        }
    }
    // Example questions are the training data: nearly all must come back to their topic.
    assert!(
        wrong.len() * 50 <= total,
        "{} of {total}: {wrong:#?}",
        wrong.len()
    );
}
