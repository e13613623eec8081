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
const ENDINGS: &str = "katu|kadu|tie|kuja|kujanne|polku|väylä|raitti|kaari|kaarre|rinne|aukio|puistikko|puisto|esplanadi|bulevardi|tori|ranta|silta|piha|penger|portti|terassi|laituri|gatan|vägen|väg|gata|gränd|stigen|stig|allén|allé|backen|backe|plan|esplanaden|esplanad|bulevarden|kajen|kaj|torget|torg|stranden|strand|leden|gången|slingan|platsen|svängen|kadulla|tiellä|kujalla|polulla|väylällä|rinteellä|aukiolla|torilla|rannalla|raitilla|kaarella|straße|strasse|weg|platz|gasse|allee|vej|veien";

/// Street words that come before the name abroad (fr, es, it, pl, uk, ru).
const FOREIGN_BEFORE: &str = r"rue|avenue|boulevard|calle|avenida|viale|corso|piazza|ulica|ul\.|vulytsia|vul\.|ulitsa|aleja|al\.";

/// Street words that come after the name abroad (tr, ru).
const FOREIGN_AFTER: &str = r"caddesi|cad\.|sokak|sokağı|sok\.|prospekt|prospect|bulvarı";

/// Street names that are a street word alone ("Esplanaden 5", "Bulevardi 3").
const WHOLE: &str = "esplanadi|esplanaden|esplanad|bulevardi|bulevarden|esplanadin";

/// First words of street names written in two words ("Vanha Porvoontie", "Norra Esplanaden").
const PREFIXES: &str = "s:t|st\\.|sankt|vanha|iso|pieni|pitkä|itäinen|läntinen|pohjoinen|eteläinen|uusi|ylä|ala|norra|södra|östra|västra|stora|lilla|gamla|nya|övre|nedre|inre|yttre";

/// English street words; the first ones also follow a lowercase name ("7 oak road").
const STREET_WORDS_ANY_CASE: &str = "street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd";
const STREET_WORDS: &str = "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|crescent|close|court|ct|place|square|sq|terrace|gardens|grove|way|walk|row|mews";

/// The patterns, each with a gate found by literal search (a street ending before a number; an
/// English street word): only a message that passes a gate meets its pattern, whose Unicode
/// classes need a slower engine.
struct Patterns {
    po_box: Regex,
    po_box_gate: Regex,
    foreign: Regex,
    foreign_gate: Regex,
    nordic: Regex,
    nordic_gate: Regex,
    english: Regex,
    english_reversed: Regex,
    english_gate: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The house number (or a range: 12-14), then a staircase letter with or without a flat
        // (12 A 5, 12a5), a flat with "as." / "lgh" / "apt", then an optional postal code
        // (00100, 114 55, FI-00100) and town.
        let number = r"[0-9]{1,4}(?:-[0-9]{1,4})?(?:[ ]?[a-kA-K](?:[ ]?[0-9]{1,3})?)?\b";
        let tail = r"(?:,?[ ]?(?:as\.?|asunto|lgh\.?|lägenhet|apt\.?|flat|apartment|unit)[ ]?[0-9]{1,4}\b)?(?:,?[ ](?:(?:FI|SE)-)?(?:[0-9]{5}|[0-9]{3}[ ][0-9]{2})(?:[ ][\p{L}][\p{L}\-]+)?)?";
        let nordic = format!(
            r"(?i:\b(?:(?-i:\p{{Lu}})\p{{Ll}}+[ns][ ])?(?:(?:{PREFIXES})[ ])?(?:[\p{{L}}][\p{{L}}\-]*(?:{ENDINGS})|(?:{WHOLE})|(?:{ENDINGS})))[ ]{number}{tail}"
        );
        let english = format!(
            r"\b(?:(?i:flat|apt\.?|apartment|unit)[ ]?[0-9]{{1,4}}[a-zA-Z]?,?[ ])?[0-9]{{1,4}}[a-zA-Z]?,?[ ](?:(?:[\p{{Lu}}][\p{{L}}\-]+[ ]){{1,3}}(?i:{STREET_WORDS})|(?:[\p{{Ll}}][\p{{L}}\-]+[ ]){{1,2}}(?:{STREET_WORDS_ANY_CASE}))\b\.?(?:,?[ ](?:apt\.?|flat)[ ]?[0-9]{{1,4}}\b)?(?:,?[ ](?:[\p{{Lu}}][\p{{L}}]+,?[ ])?[A-Z]{{1,2}}[0-9][A-Z0-9]?[ ][0-9][A-Z]{{2}}\b)?"
        );
        // The Nordic order with an English street word: "Baker Street 221B".
        let english_reversed = r"\b(?:[\p{Lu}][\p{L}\-]+[ ]){1,2}(?:Street|Road|Avenue|Lane|street|road|avenue|lane)[ ][0-9]{1,4}[a-zA-Z]?\b";
        // Addresses abroad, which customers give as their former or family's address: the
        // street word first ("Rue de Rivoli 5", "ul. Marszałkowska 10/12", "5 rue de Rivoli")
        // or after the name ("Atatürk Caddesi No: 5", "Nevsky prospekt 28").
        let words = r"(?:[\p{L}'\-]+[ ]){1,3}";
        let foreign = format!(
            r"\b(?i:{FOREIGN_BEFORE})[ ]?{words}[0-9]{{1,4}}[a-zA-Z]?(?:/[0-9]{{1,4}})?\b|\b[0-9]{{1,4}},?[ ](?i:rue|avenue|boulevard|allée|chemin)[ ](?:[\p{{L}}'\-]+[ ]?){{1,3}}|\b(?:[\p{{Lu}}][\p{{L}}\-]+[ ]){{1,2}}(?i:{FOREIGN_AFTER})[ ](?:No:?[ ]?)?[0-9]{{1,4}}\b"
        );
        // A post office box is a home address as much as a street.
        let po_box = r"\b(?:(?:PL|PB|P\.?O\.?[ ]?Box|PO BOX|[Pp]ostilokero)[ ][0-9]{1,5}|Box[ ][0-9]{2,5})\b(?:,?[ ](?:FI-)?[0-9]{5}(?:[ ][\p{L}][\p{L}\-]+)?)?";
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"));
        Patterns {
            po_box: re(po_box),
            foreign: re(&foreign),
            // ASCII-only case folding keeps the gate on the literal search.
            foreign_gate: re(r"(?i-u:rue |avenue |boulevard |calle |avenida |viale |corso |piazza |ulica |ul\. ?|vulytsia |vul\. ?|ulitsa |aleja |al\. ?|caddesi |cad\. |sok|prospekt |prospect |bulvar)"),
            po_box_gate: re(r"(?:PL|PB|Box|BOX|ostilokero) [0-9]"),
            nordic: re(&nordic),
            nordic_gate: re(&format!("(?i:{ENDINGS}) [0-9]")),
            english: re(&english),
            english_reversed: re(english_reversed),
            english_gate: re(&format!("(?i:[a-z] (?:{STREET_WORDS}))(?-u:\\b)")),
        }
    })
}

/// Words that end like a street but are not one ("valtatie 4" is a highway).
fn not_a_street(word: &str) -> bool {
    let w = word.to_lowercase();
    matches!(
        w.as_str(),
        "maantie" | "valtatie" | "moottoritie" | "kantatie" | "valtatien" | "maantien"
    )
}

/// A street word alone, without a name: "tie 5", "väg 3".
fn bare(word: &str) -> bool {
    let w = word.to_lowercase();
    ENDINGS.split('|').any(|e| e == w) && !WHOLE.split('|').any(|e| e == w)
}

/// Adds every street address in `view`.
pub fn find(view: &str, out: &mut Vec<Finding>) {
    let p = patterns();
    push_gated(&p.foreign_gate, &[&p.foreign], view, out);
    push_gated(&p.po_box_gate, &[&p.po_box], view, out);
    if p.nordic_gate.is_match(view) {
        for m in p.nordic.find_iter(view) {
            // The words before the house number; the last holds the street ending.
            let words: Vec<&str> = m
                .as_str()
                .split(' ')
                .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
                .collect();
            let Some(street) = words.last() else { continue };
            if not_a_street(street) || (words.len() == 1 && bare(street)) {
                continue;
            }
            // A capitalised word in the genitive belongs to a street written in two words
            // ("Sörnäisten rantatie"), not to one that is capitalised itself ("Asun Kotikatu").
            let mut start = m.start();
            let prefix = PREFIXES.split('|').any(|p| p == words[0].to_lowercase());
            if words.len() == 2 && !prefix && street.starts_with(char::is_uppercase) {
                start += words[0].len() + 1;
            }
            out.push(Finding {
                start,
                end: m.end(),
                kind: Kind::Address,
            });
        }
    }
    push_gated(
        &p.english_gate,
        &[&p.english, &p.english_reversed],
        view,
        out,
    );
}

/// Adds every match of `patterns` as an address, when `gate` finds its literal in `view`.
fn push_gated(gate: &Regex, patterns: &[&Regex], view: &str, out: &mut Vec<Finding>) {
    if !gate.is_match(view) {
        return;
    }
    for m in patterns.iter().flat_map(|p| p.find_iter(view)) {
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
