//! Redaction: the engine's entrance. Only the redactor's output is stored, logged, classified
//! or passed on. The full redactor (issue: PII redaction) plugs in by implementing [`Redactor`];
//! [`BaselineRedactor`] already keeps the register of processing's promise for the forms it
//! names (`123456-abcd`, `123456`, `01.01.1900`) and for e-mail addresses and phone numbers.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

/// Redacted text and how many items of each kind were removed (never the items themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redacted {
    /// The text with every personal item replaced by a typed placeholder such as `[NUMBER]`.
    pub text: String,
    /// Placeholder kind (`number`, `date`, …) → count.
    pub counts: BTreeMap<&'static str, u32>,
}

/// Removes personal data from a message.
pub trait Redactor: Send + Sync + std::fmt::Debug {
    /// Redacts one message.
    fn redact(&self, text: &str) -> Redacted;
}

/// A regular-expression redactor for the register's examples and common contact data.
#[derive(Debug, Default, Clone, Copy)]
pub struct BaselineRedactor;

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // Alternatives in priority order: at one position the first that matches wins.
        let src = [
            r"(?P<hetu>\b\d{6}[-+A-FUVWXYa-fuvwxy][0-9A-Za-z]{3,4}\b)",
            r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
            r"(?P<date>\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))\b)",
            r"(?P<phone>\+\d{1,3}(?:[ -]?\d){6,12}\b)",
            r"(?P<number>\b\d(?:[ .-]?\d){5,})",
        ]
        .join("|");
        Regex::new(&src).unwrap_or_else(|e| panic!("built-in redaction pattern is invalid: {e}"))
    })
}

impl Redactor for BaselineRedactor {
    fn redact(&self, text: &str) -> Redacted {
        let re = pattern();
        let mut out = Redacted::default();
        let mut last = 0;
        let mut result = String::with_capacity(text.len());
        for caps in re.captures_iter(text) {
            let Some((kind, m)) = ["hetu", "email", "date", "phone", "number"]
                .iter()
                .find_map(|k| caps.name(k).map(|m| (*k, m)))
            else {
                continue;
            };
            result.push_str(&text[last..m.start()]);
            result.push('[');
            result.push_str(&kind.to_ascii_uppercase());
            result.push(']');
            *out.counts.entry(kind).or_insert(0) += 1;
            last = m.end();
        }
        result.push_str(&text[last..]);
        out.text = result;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        BaselineRedactor.redact(s).text
    }

    #[test]
    fn removes_the_registers_examples() {
        assert_eq!(r("tunnus 123456-abcd ok"), "tunnus [HETU] ok");
        assert_eq!(r("numero 123456"), "numero [NUMBER]");
        assert_eq!(r("syntynyt 01.01.1900."), "syntynyt [DATE].");
        assert_eq!(r("mail a.b@example.fi"), "mail [EMAIL]");
        assert_eq!(r("soita +358 40 123 4567"), "soita [PHONE]");
        assert_eq!(r("dnr 123 456 789"), "dnr [NUMBER]");
    }

    #[test]
    fn leaves_general_numbers() {
        for s in [
            "2–4 tuntia",
            "klo 10.30",
            "vuonna 2024",
            "470 €",
            "art. 6.1 e",
            "2016/679",
            "00100 Helsinki",
            "versio 4.17.1",
        ] {
            assert_eq!(r(s), s);
        }
    }
}
