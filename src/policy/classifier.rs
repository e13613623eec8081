//! The rule-based terms-of-use classifier. The cues live in `rules.toml` (data, not code);
//! this file only weighs them.

use std::sync::OnceLock;

use kanava_adapter::Lang;
use serde::Deserialize;

use super::{Classification, Classifier, Verdict};

#[derive(Debug, Deserialize)]
struct Rules {
    placeholders: Placeholders,
    fi: LangRules,
    sv: LangRules,
    en: LangRules,
    advertising: Advertising,
}

#[derive(Debug, Deserialize)]
struct Placeholders {
    case: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LangRules {
    own: Vec<String>,
    case: Vec<String>,
    status: Vec<String>,
    general: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Advertising {
    promo: Vec<String>,
    contact: Vec<String>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        toml::from_str(include_str!("rules.toml"))
            .unwrap_or_else(|e| panic!("built-in policy/rules.toml is invalid: {e}"))
    })
}

/// kanava's terms-of-use classifier (general / case-specific / advertising).
#[derive(Debug, Default, Clone, Copy)]
pub struct RuleClassifier;

/// Words of a lowercased text, with the text itself for phrase cues.
struct Words<'a> {
    text: &'a str,
    words: Vec<&'a str>,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        let words = text
            .split(|c: char| !(c.is_alphanumeric() || c == '[' || c == ']' || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        Self { text, words }
    }

    /// The first cue that matches: a phrase (with a space) anywhere on word bounds, or a word
    /// starting with the cue.
    fn find<'r>(&self, cues: &'r [String]) -> Option<&'r str> {
        cues.iter().map(String::as_str).find(|cue| {
            if cue.contains(' ') {
                self.text
                    .split(|c: char| !c.is_alphanumeric() && c != '\'')
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(cue)
            } else {
                self.words.iter().any(|w| w.starts_with(cue))
            }
        })
    }

    /// How many cues match: each phrase found, and each word of the message that starts with
    /// a single-word cue (counted once, so "selling" is not two cues, "sell" and "selling").
    fn count(&self, cues: &[String]) -> usize {
        let phrases = cues
            .iter()
            .filter(|cue| cue.contains(' ') && self.text.contains(cue.as_str()))
            .count();
        let words = self
            .words
            .iter()
            .filter(|w| {
                cues.iter()
                    .any(|cue| !cue.contains(' ') && w.starts_with(cue.as_str()))
            })
            .count();
        phrases + words
    }
}

impl Classifier for RuleClassifier {
    fn classify(&self, redacted: &str, lang: Lang) -> Classification {
        let r = rules();
        let lower = redacted.to_lowercase();
        let w = Words::new(&lower);
        let verdict = |verdict, reason: String| Classification { verdict, reason };

        let promos = w.count(&r.advertising.promo);
        let contact = w.find(&r.advertising.contact);
        if promos >= 2 || (promos >= 1 && contact.is_some()) {
            let first = w.find(&r.advertising.promo).unwrap_or_default();
            let why = match contact {
                Some(c) => format!("promotion ({first}) with a link or contact ({c})"),
                None => format!("{promos} promotional words ({first}, …)"),
            };
            return verdict(Verdict::Advertising, why);
        }

        // Only the message's own language: short cues of one language are prefixes of
        // ordinary words in another (Swedish "min" and English "minutes").
        let l = match lang {
            Lang::Fi => &r.fi,
            Lang::Sv => &r.sv,
            Lang::En => &r.en,
        };
        let placeholder = r
            .placeholders
            .case
            .iter()
            .find(|p| lower.contains(&p.to_lowercase()));
        let own = w.find(&l.own);
        let case = w.find(&l.case);
        let status = w.find(&l.status);
        let general = w.find(&l.general);

        if let Some(p) = placeholder {
            if let Some(c) = case.or(status).or(own) {
                return verdict(
                    Verdict::CaseSpecific,
                    format!("an identifier ({p}) with a case word ({c})"),
                );
            }
            let rest = w.words.iter().filter(|x| !x.starts_with('[')).count();
            if rest <= 1 {
                return verdict(
                    Verdict::CaseSpecific,
                    format!("an identifier ({p}) on its own"),
                );
            }
        }
        // "Can I travel while my application is pending?" is general: a general phrasing
        // wins over the possessive.
        if general.is_none() {
            if let (Some(o), Some(s)) = (own, status) {
                return verdict(
                    Verdict::CaseSpecific,
                    format!("own case ({o}) asked about ({s})"),
                );
            }
            // A possessive and a case word but no request about the case's state: the asker
            // describes their situation, and the general answer serves them.
            if let (Some(o), Some(c)) = (own, case) {
                return verdict(
                    Verdict::OwnSituation,
                    format!("own situation ({o}) with a case word ({c})"),
                );
            }
        }
        verdict(Verdict::General, "no case or advertising cues".into())
    }
}
