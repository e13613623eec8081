//! The realistic chat message mix of the redaction benchmark (shared with the `redact_cost`
//! example): the knowledge base's example questions in fi/sv/en, one in four followed by a message
//! carrying personal data, some with evasion characters.

use std::path::Path;

use kanava::knowledge::KnowledgeBase;
use kanava_adapter::Lang;

pub fn messages() -> Vec<String> {
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
