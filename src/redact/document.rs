//! Document numbers: passports, residence permit cards, driving licences, vehicle registration
//! plates (`[DOCUMENT]`).
//!
//! A Finnish passport number has a fixed shape (two letters and seven digits, `FP1234567`), as
//! do Finnish and Swedish plates (`ABC-123`, `ABC 123`). Other countries' numbers vary, so a
//! letters-and-digits code counts only with a cue word before it ("passport no. C01X00T47").
//! Numbers of digits alone are removed by the numeric scan already.

use std::sync::OnceLock;

use regex::Regex;

use super::kind::Kind;
use super::scan::Finding;

/// Words that announce a document number (fi, sv, en), matched as word starts.
const CUES: &str = "passi|passin|passport|pass|passnummer|oleskelulupakort|uppehållstillståndskort|residence permit card|residence card|permit card|kortin numero|card number|kortnummer|ajokort|körkort|driving licen[cs]e|driver'?s licen[cs]e|licen[cs]e number|rekisterinumero|registreringsnummer|registration number|dokument|document";

/// The shapes (ASCII word boundaries, so the fast engine runs on any text), the cued pattern,
/// a digit, and the cue gate (a literal search: the cued pattern's Unicode boundaries need a
/// slower engine, so only a message with a cue meets it).
fn patterns() -> &'static (Regex, Regex, Regex, Regex) {
    static P: OnceLock<(Regex, Regex, Regex, Regex)> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"));
        (
            // Finnish passports, and plates: ABC-123 (fi), ABC 123 / ABC 12A (sv).
            re(r"(?-u:\b)(?:[A-Za-z]{2}[0-9]{7}|[A-Z]{2,3}-[0-9]{1,3}|[A-Z]{3} [0-9]{2}[0-9A-Z])(?-u:\b)"),
            // A cue, then within a few words a code of letters and digits.
            re(&format!(
                r"(?i:(?-u:\b)(?:{CUES})\p{{L}}*)(?:[ ]+(?:no\.?|nr\.?|nro\.?|number|numero|nummer|on|is|är|oli|was|var|har|has|:|#)){{0,3}}[ :#]*([A-Za-z0-9]{{6,12}})(?-u:\b)"
            )),
            re(r"[0-9]"),
            re(&format!("(?i:{CUES})")),
        )
    })
}

/// Uppercase words before a dash and digits that are not plates.
fn not_a_plate(s: &str) -> bool {
    let letters = s.split(['-', ' ']).next().unwrap_or_default();
    matches!(
        letters,
        "EU" | "ETA" | "EEA" | "EES" | "COVID" | "GDPR" | "ISO" | "IPV"
    )
}

/// Adds every document number in `view`.
pub fn find(view: &str, out: &mut Vec<Finding>) {
    let (shape, cued, digit, gate) = patterns();
    let first = out.len();
    for m in shape.find_iter(view) {
        if not_a_plate(m.as_str()) {
            continue;
        }
        out.push(Finding {
            start: m.start(),
            end: m.end(),
            kind: Kind::Document,
        });
    }
    if !gate.is_match(view) {
        return;
    }
    for c in cued.captures_iter(view) {
        let Some(code) = c.get(1) else { continue };
        let s = code.as_str();
        // Letters and digits both: a pure word is a word, pure digits the numeric scan's.
        let seen = out[first..].iter().any(|f| f.start == code.start());
        if !seen && digit.is_match(s) && s.bytes().any(|b| b.is_ascii_alphabetic()) {
            out.push(Finding {
                start: code.start(),
                end: code.end(),
                kind: Kind::Document,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(s, &mut out);
        out.iter().map(|f| &s[f.start..f.end]).collect()
    }

    #[test]
    fn passports_plates_and_cued_codes() {
        assert_eq!(found("Passport number FP1234567"), ["FP1234567"]);
        assert_eq!(found("passi fp1234567 hukassa"), ["fp1234567"]);
        assert_eq!(found("autoni ABC-123 on"), ["ABC-123"]);
        assert_eq!(found("bilen ABC 123 står"), ["ABC 123"]);
        assert_eq!(found("passport no. C01X00T47 expired"), ["C01X00T47"]);
        assert_eq!(found("mitt pass har nummer P00482917"), ["P00482917"]);
        assert_eq!(
            found("my residence card number is RP12AB345"),
            ["RP12AB345"]
        );
    }

    #[test]
    fn ordinary_codes_stay() {
        assert!(found("EU-27 maat").is_empty());
        assert!(found("COVID-19 aikana").is_empty());
        assert!(found("passport photo requirements").is_empty());
        assert!(found("my passport expires in 2027").is_empty());
        assert!(found("Enter Finland").is_empty());
    }
}
