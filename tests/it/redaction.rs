//! Redaction at scale: generated personal data in random fi/sv/en text never survives, text
//! without digits or `@` passes unchanged, and arbitrary bytes never break `kanava redact`.

use kanava::redact::{redact_lines, PiiRedactor, Redactor};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "hakemus",
    "oleskelulupa",
    "päätös",
    "minun",
    "numeroni",
    "on",
    "ja",
    "kiitos",
    "hei",
    "missä",
    "ansökan",
    "mitt",
    "nummer",
    "är",
    "och",
    "tack",
    "beslut",
    "hej",
    "var",
    "personnummer",
    "application",
    "my",
    "number",
    "is",
    "and",
    "thanks",
    "decision",
    "hello",
    "where",
    "please",
    "–",
    ",",
    ".",
    "?",
    "(",
    ")",
    ":",
];

fn text() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(WORDS), 0..12)
}

const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

fn hetu() -> impl Strategy<Value = String> {
    (
        1u32..=28,
        1u32..=12,
        0u32..100,
        prop::sample::select(vec!['-', '+', 'A', 'B', 'Y', 'X', 'a']),
        2u32..900,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(d, m, y, sign, n, valid, lower)| {
            let base = d * 10000 + m * 100 + y;
            let check = HETU_CHECK[((base * 1000 + n) % 31) as usize] as char;
            let check = if valid { check } else { 'Z' };
            let s = format!("{d:02}{m:02}{y:02}{sign}{n:03}{check}");
            if lower {
                s.to_lowercase()
            } else {
                s
            }
        })
}

fn luhn_digit(digits: &str) -> u32 {
    // The check digit that makes digits + check pass Luhn.
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut v = c.to_digit(10).unwrap_or(0);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    (10 - sum % 10) % 10
}

fn personnummer() -> impl Strategy<Value = String> {
    (
        0u32..100,
        1u32..=12,
        1u32..=28,
        any::<bool>(),
        0u32..1000,
        0usize..4,
    )
        .prop_map(|(y, m, d, samordning, n, form)| {
            let d = if samordning { d + 60 } else { d };
            let nine = format!("{y:02}{m:02}{d:02}{n:03}");
            let check = luhn_digit(&nine);
            let (date, tail) = (&nine[..6], format!("{}{check}", &nine[6..]));
            match form {
                0 => format!("{date}-{tail}"),
                1 => format!("19{date}-{tail}"),
                2 => format!("19{date}{tail}"),
                _ => format!("{date}+{tail}"),
            }
        })
}

fn iban() -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, 14).prop_flat_map(|bban| {
        let bban: String = bban.iter().map(|d| char::from(b'0' + d)).collect();
        // FI + check digits: 98 - (bban + "FI00" as digits) mod 97.
        let numeric = format!("{bban}151800");
        let rem = numeric
            .bytes()
            .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
        let check = 98 - rem;
        let compact = format!("FI{check:02}{bban}");
        prop::bool::ANY.prop_map(move |spaced| {
            if spaced {
                compact
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                compact.clone()
            }
        })
    })
}

fn card() -> impl Strategy<Value = String> {
    (prop::collection::vec(0u8..10, 15), any::<bool>()).prop_map(|(d, spaced)| {
        let mut s: String = std::iter::once('4')
            .chain(d.iter().skip(1).map(|x| char::from(b'0' + x)))
            .collect();
        s.push(char::from_digit(luhn_digit(&s), 10).unwrap_or('0'));
        if spaced {
            s.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            s
        }
    })
}

fn phone() -> impl Strategy<Value = String> {
    (prop::collection::vec(0u8..10, 7), 0usize..4).prop_map(|(d, form)| {
        let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
        match form {
            0 => format!("+358 40 {} {}", &s[..3], &s[3..]),
            1 => format!("040-{s}"),
            2 => format!("070-{} {} {}", &s[..3], &s[3..5], &s[5..]),
            _ => format!("+44 20 {} {}", &s[..3], &s[3..]),
        }
    })
}

fn email() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9._]{2,12}",
        "[a-z][a-z0-9-]{1,10}",
        prop::sample::select(vec!["fi", "se", "com", "org"]),
    )
        .prop_map(|(user, host, tld)| format!("{user}@{host}.{tld}"))
}

fn pii() -> impl Strategy<Value = String> {
    prop_oneof![hetu(), personnummer(), iban(), card(), phone(), email()]
}

fn survives(item: &str, out: &str) -> Option<String> {
    let chars: Vec<char> = item.chars().collect();
    chars
        .windows(6)
        .map(|w| w.iter().collect::<String>())
        .find(|w| out.contains(w.as_str()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn generated_personal_data_never_survives(before in text(), item in pii(), after in text()) {
        let input = format!("{} {item} {}", before.join(" "), after.join(" "));
        let out = PiiRedactor.redact(&input).text.into_owned();
        prop_assert!(survives(&item, &out).is_none(), "{item:?} survived in {out:?}");
    }

    #[test]
    fn text_without_digits_at_signs_or_capitals_passes_unchanged(s in "\\PC*") {
        // Capitals (and letters of scripts without case) may start a name.
        let s: String = s
            .chars()
            .filter(|c| !c.is_numeric() && !matches!(c, '@' | '＠' | '﹫'))
            .filter(|c| {
                use unicode_normalization::UnicodeNormalization;
                std::iter::once(*c).nfkc().all(|d| !d.is_alphabetic() || d.is_lowercase())
            })
            .collect();
        let out = PiiRedactor.redact(&s);
        prop_assert_eq!(out.text.as_ref(), s.as_str());
        prop_assert_eq!(out.counts.total(), 0);
    }
}

proptest! {
    // The fuzz target: arbitrary bytes, many cases. No panic, valid UTF-8, one line out per line in.
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn redact_lines_survives_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut out = Vec::new();
        redact_lines(&bytes[..], &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let lines_in = bytes.split(|b| *b == b'\n').count() - usize::from(bytes.ends_with(b"\n") || bytes.is_empty());
        prop_assert_eq!(out.lines().count(), lines_in);
    }

    #[test]
    fn redaction_never_panics_on_unicode_soup(s in "[\\PC0-9@＠١２\u{200B}\u{00AD}\u{00A0}\u{2011} .:/+-]{0,200}") {
        let out = PiiRedactor.redact(&s);
        prop_assert!(!out.text.contains('\n') || s.contains('\n'));
    }
}
