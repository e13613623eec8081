//! Retrieval behaviour: inflected Finnish, Swedish, English, typos and the fallback.

use std::path::Path;

use kanava::knowledge::KnowledgeBase;
use kanava_adapter::Lang;

pub fn kb() -> KnowledgeBase {
    KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("valid knowledge")
}

/// Off-topic messages: kanava must say it is unsure rather than answer with a wrong topic.
pub const OFF_TOPIC: &[&str] = &[
    "mikä on huomenna sää helsingissä",
    "kerro vitsi",
    "paljonko kello on",
    "vem vann hockeymatchen igår",
    "vad kostar en pizza",
    "what is the capital of australia",
    "recommend me a good movie",
    "asdf qwerty zxcv",
    "who won the football game",
    "hur mår du idag",
    // Written after the first calibration, before their scores were seen.
    "missä on lähin ruokakauppa",
    "suosittele hyvää kirjaa",
    "mitä kuuluu",
    "kuka voitti euroviisut",
    "laske kaksi plus kaksi",
    "var ligger närmaste apotek",
    "vilken tid går tåget till åbo",
    "ge mig ett recept på köttbullar",
    "vad heter sveriges kung",
    "berätta om vädret",
    "how do i bake bread",
    "what time is the train to turku",
    "sing me a song",
    "which phone should i buy",
    "how tall is the eiffel tower",
];

#[test]
fn off_topic_questions_fall_back() {
    let kb = kb();
    let mut answered = Vec::new();
    for q in OFF_TOPIC {
        let d = kb.ask(q, None);
        assert!(d.alternatives.len() <= 3);
        if let Some(t) = d.topic {
            answered.push(format!("{q:?} -> {t} ({:.2})", d.confidence));
        }
    }
    // The threshold (0.34) was calibrated on the dev set and these probes; one probe that shares
    // a content word with a topic ("phone") still passes. More would be a regression.
    assert!(
        answered.len() <= 1,
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

#[test]
#[ignore = "calibration aid: prints confidence distributions"]
fn print_calibration() {
    let kb = kb();
    let mut off: Vec<(f32, &str)> = OFF_TOPIC
        .iter()
        .map(|q| (kb.ask(q, None).confidence, *q))
        .collect();
    off.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("off-topic confidences: {off:?}");
    let mut right = Vec::new();
    for line in include_str!("../data/dev.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let r = kb.rank(cols[2], None);
        if r.hits.first().map(|h| kb.topic(h.topic).id.as_str()) == Some(cols[1]) {
            right.push(r.confidence);
        }
    }
    right.sort_by(f32::total_cmp);
    println!(
        "dev correct-top confidences (lowest 15): {:?}",
        &right[..15.min(right.len())]
    );
}
