//! Turning text into matching terms: tokens, language-specific stems, accent folding.

use std::collections::HashSet;
use std::sync::OnceLock;

use kanava_adapter::Lang;
use rust_stemmers::{Algorithm, Stemmer};

/// The analyzer of one language: stopwords and a Snowball stemmer.
pub struct Analyzer {
    lang: Lang,
    stemmer: Stemmer,
    stopwords: HashSet<String>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("lang", &self.lang)
            .finish()
    }
}

fn stopword_source(lang: Lang) -> &'static str {
    match lang {
        Lang::Fi => include_str!("lang/stopwords-fi.txt"),
        Lang::Sv => include_str!("lang/stopwords-sv.txt"),
        Lang::En => include_str!("lang/stopwords-en.txt"),
    }
}

impl Analyzer {
    /// The shared analyzer for a language.
    pub fn get(lang: Lang) -> &'static Analyzer {
        static ALL: OnceLock<[Analyzer; 3]> = OnceLock::new();
        &ALL.get_or_init(|| Lang::ALL.map(Analyzer::new))[lang.index()]
    }

    fn new(lang: Lang) -> Self {
        let algorithm = match lang {
            Lang::Fi => Algorithm::Finnish,
            Lang::Sv => Algorithm::Swedish,
            Lang::En => Algorithm::English,
        };
        let stopwords = stopword_source(lang)
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(fold)
            .collect();
        Self {
            lang,
            stemmer: Stemmer::create(algorithm),
            stopwords,
        }
    }

    /// Whether a folded token is a function word of this language.
    pub fn is_stopword(&self, folded: &str) -> bool {
        self.stopwords.contains(folded)
    }

    /// The main matching term of one lowercase token: its stem, accent-folded.
    pub fn stem(&self, lower: &str) -> String {
        match self.lang {
            Lang::Fi => {
                // Question clitics (-ko/-kö, -kin, -han/-hän) hide the stem from Snowball, and
                // the -us/-uksen noun class leaves two stems (hakemus, hakemuks): join them.
                let mut s = fold(&self.stemmer.stem(strip_fi_clitic(lower)));
                if s.ends_with("ks") && s.len() > 4 {
                    s.truncate(s.len() - 2);
                    s.push('s');
                }
                s
            }
            _ => fold(&self.stemmer.stem(lower)),
        }
    }

    /// Every term of one lowercase token with its weight. Finnish adds a five-letter prefix
    /// term: case endings that Snowball misreads (hakemu-sta) still meet their base form.
    pub fn terms(&self, lower: &str) -> Vec<(String, f32)> {
        self.terms_of_stem(self.stem(lower))
    }

    /// [`Analyzer::terms`] of a token whose [`Analyzer::stem`] is already known.
    pub fn terms_of_stem(&self, stem: String) -> Vec<(String, f32)> {
        let mut out = Vec::with_capacity(2);
        if self.lang == Lang::Fi && stem.chars().count() > PREFIX_LEN {
            let prefix: String = stem.chars().take(PREFIX_LEN).collect();
            out.push((format!("~{prefix}"), PREFIX_WEIGHT));
        }
        out.push((stem, 1.0));
        out
    }
}

const PREFIX_LEN: usize = 5;
const PREFIX_WEIGHT: f32 = 0.5;

fn strip_fi_clitic(w: &str) -> &str {
    for suffix in ["kään", "kaan", "kin", "han", "hän", "ko", "kö", "pa", "pä"] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.chars().count() >= 4 {
                return base;
            }
        }
    }
    w
}

/// Removes diacritics that users often leave out (ä→a, ö→o, å→a, é→e, ü→u).
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ó' | 'ø' | 'ô' => 'o',
            'é' | 'è' | 'ê' => 'e',
            'ü' | 'ú' => 'u',
            'í' => 'i',
            c => c,
        })
        .collect()
}

/// Lowercase word tokens of a text. Placeholders the redactor leaves (`[NUMBER]`) are skipped:
/// they say nothing about the topic.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_placeholder = false;
    for c in text.chars() {
        if c == '[' {
            in_placeholder = true;
        } else if c == ']' {
            in_placeholder = false;
            cur.clear();
            continue;
        }
        if in_placeholder {
            continue;
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finnish_inflections_share_a_stem() {
        let fi = Analyzer::get(Lang::Fi);
        let forms = [
            "hakemus",
            "hakemuksen",
            "hakemukseni",
            "hakemusta",
            "hakemuksesta",
        ];
        let prefixes: HashSet<String> = forms.iter().map(|w| fi.terms(w)[0].0.clone()).collect();
        assert_eq!(prefixes.len(), 1, "{prefixes:?}");
        assert_eq!(fi.stem("hakemuksen"), fi.stem("hakemus"));
        assert_eq!(fi.stem("päätöksen"), fi.stem("päätös"));
        assert_eq!(fi.stem("onkohan"), fi.stem("on"));
    }

    #[test]
    fn tokens_skip_placeholders() {
        assert_eq!(tokens("Hakemus [NUMBER], tila?"), ["hakemus", "tila"]);
    }
}
