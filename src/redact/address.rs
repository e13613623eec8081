//! Street addresses: a street name and a house number, with the staircase, the flat and the
//! postal code and town when given (`Mannerheimintie 12 A 5, 00100 Helsinki`, `Storgatan 5 B`,
//! `12 Baker Street`). A town or a country alone is not personal and stays.
//!
//! Finnish and Swedish street names end in a street word (`-katu`, `-tie`, `-gatan`, `-vägen`…);
//! English ones are a capitalised name followed by `Street`, `Road`… Only with a house number
//! is it an address: "Hämeenkatu is closed" stays.

use std::sync::OnceLock;

use regex::Regex;

use super::kind::Kind;
use super::scan::Finding;

/// Street-name endings (fi, sv) long enough not to end ordinary words.
const ENDINGS: &str = "katu|kadu|tie|kuja|polku|väylä|raitti|kaari|rinne|aukio|puistikko|esplanadi|bulevardi|tori|gatan|vägen|gata|gränd|stigen|allén|backen|plan|esplanaden|esplanad|bulevarden|kajen|torget|stranden";

/// English street words.
const STREET_WORDS: &str = "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|crescent";

/// The patterns, each with a gate found by literal search (a street ending before a number; an
/// English street word): only a message that passes a gate meets its pattern, whose Unicode
/// classes need a slower engine.
struct Patterns {
    nordic: Regex,
    nordic_gate: Regex,
    english: Regex,
    english_gate: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // After the number: a staircase letter, a flat (with or without "as." / "lgh" / "A"),
        // then an optional postal code and town.
        let tail = r"(?:[ ]?[a-kA-K](?:[ ]?[0-9]{1,3})?\b)?(?:[ ]?(?:as\.?|asunto|lgh\.?|lägenhet|apt\.?|flat)[ ]?[0-9]{1,4}\b)?(?:,?[ ][0-9]{5}(?:[ ][\p{L}][\p{L}\-]+)?)?";
        let nordic = format!(
            r"(?i:\b[\p{{L}}][\p{{L}}\-]*(?:{ENDINGS}))[ ][0-9]{{1,4}}[a-z]?\b{tail}"
        );
        let english = format!(
            r"\b[0-9]{{1,4}}[a-z]?,?[ ](?:[\p{{Lu}}][\p{{L}}\-]+[ ]){{1,3}}(?i:{STREET_WORDS})\b\.?(?:,?[ ](?:apt\.?|flat)[ ]?[0-9]{{1,4}}\b)?"
        );
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"));
        Patterns {
            nordic: re(&nordic),
            nordic_gate: re(&format!("(?i:{ENDINGS}) [0-9]")),
            english: re(&english),
            english_gate: re(&format!("(?i:[a-z] (?:{STREET_WORDS}))(?-u:\\b)")),
        }
    })
}

/// Words that end like a street but are not one ("valtatie 4" is a highway).
fn not_a_street(word: &str) -> bool {
    let w = word.to_lowercase();
    matches!(
        w.as_str(),
        "tie" | "maantie" | "valtatie" | "moottoritie" | "kantatie" | "gata" | "väg" | "plan"
    )
}

/// Adds every street address in `view`.
pub fn find(view: &str, out: &mut Vec<Finding>) {
    let p = patterns();
    if p.nordic_gate.is_match(view) {
        for m in p.nordic.find_iter(view) {
            let street = m.as_str().split(' ').next().unwrap_or_default();
            if not_a_street(street) {
                continue;
            }
            out.push(Finding {
                start: m.start(),
                end: m.end(),
                kind: Kind::Address,
            });
        }
    }
    if !p.english_gate.is_match(view) {
        return;
    }
    for m in p.english.find_iter(view) {
        out.push(Finding {
            start: m.start(),
            end: m.end(),
            kind: Kind::Address,
        });
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
    fn addresses_in_three_languages() {
        assert_eq!(
            found("asun Mannerheimintie 12 A 5, 00100 Helsinki nyt"),
            ["Mannerheimintie 12 A 5, 00100 Helsinki"]
        );
        assert_eq!(found("min adress är Storgatan 5"), ["Storgatan 5"]);
        assert_eq!(found("Hämeenkatu 3 as. 4 Tampere"), ["Hämeenkatu 3 as. 4"]);
        assert_eq!(found("mannerheimintie 12 b 7"), ["mannerheimintie 12 b 7"]);
        assert_eq!(found("I live at 12 Baker Street"), ["12 Baker Street"]);
        assert_eq!(
            found("jag bor på kyrkoesplanaden 4 a 2, 10300 karis nu"),
            ["kyrkoesplanaden 4 a 2, 10300 karis"]
        );
        assert_eq!(
            found("Kungsvägen 14 B lgh 1102, 00200 Helsingfors"),
            ["Kungsvägen 14 B lgh 1102, 00200 Helsingfors"]
        );
    }

    #[test]
    fn streets_without_numbers_towns_and_highways_stay() {
        assert!(found("Hämeenkatu on suljettu").is_empty());
        assert!(found("palvelupiste on Helsingissä, 00100").is_empty());
        assert!(found("ajoin valtatie 4 pohjoiseen").is_empty());
        assert!(found("the first 2 weeks").is_empty());
        assert!(found("I waited 3 days").is_empty());
        assert!(found("Enter Finland 2 hours").is_empty());
    }
}
