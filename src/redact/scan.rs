//! Finding personal data in a normalized view: one pass of one combined pattern finds candidate
//! spans (URLs, e-mails, month-name dates, IBANs, IPv6 addresses, digit chunks); each digit chunk
//! is then classified on its own few bytes by validators.

use std::sync::OnceLock;

use regex::Regex;

use super::kind::Kind;
use super::validate::{date_ok, hetu_valid, iban_valid, luhn, num, personnummer_valid};

/// One finding: a byte range of the view and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Start in the view.
    pub start: usize,
    /// End in the view.
    pub end: usize,
    /// What it is.
    pub kind: Kind,
}

const MONTHS_FI: &str = "tammikuu(?:ta)?|helmikuu(?:ta)?|maaliskuu(?:ta)?|huhtikuu(?:ta)?|toukokuu(?:ta)?|kesäkuu(?:ta)?|heinäkuu(?:ta)?|elokuu(?:ta)?|syyskuu(?:ta)?|lokakuu(?:ta)?|marraskuu(?:ta)?|joulukuu(?:ta)?";
const MONTHS_SV: &str =
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december";
const MONTHS_EN: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec";

/// The candidate patterns, in priority order (at one position the earlier wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    Url,
    Email,
    MonthDate,
    Iban,
    Ipv6,
    Chunk,
}

const CANDIDATES: [Candidate; 6] = [
    Candidate::Url,
    Candidate::Email,
    Candidate::MonthDate,
    Candidate::Iban,
    Candidate::Ipv6,
    Candidate::Chunk,
];

/// One multi-pattern automaton: a single pass reports each candidate and which pattern it is,
/// without capture groups (which would need a slower engine). Word boundaries are ASCII so the
/// lazy DFA runs on Finnish and Swedish text too.
fn combined() -> &'static regex_automata::meta::Regex {
    static RE: OnceLock<regex_automata::meta::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let b = r"(?-u:\b)";
        let day_first = format!(
            r"{b}[0-9]{{1,2}}\.? ?(?:{MONTHS_FI}|{MONTHS_SV}|{MONTHS_EN})\.? [0-9]{{4}}{b}"
        );
        let month_first =
            format!(r"{b}(?:{MONTHS_EN})\.? [0-9]{{1,2}}(?:st|nd|rd|th)?,? [0-9]{{4}}{b}");
        let patterns = CANDIDATES.map(|c| match c {
            Candidate::Url => format!(r"{b}(?:https?://|www\.)[^\s<>]+"),
            Candidate::Email => r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.\p{L}{2,}".to_string(),
            Candidate::MonthDate => format!("(?i:{day_first}|{month_first})"),
            Candidate::Iban => format!(
                r"{b}(?i:[a-z]{{2}}[0-9]{{2}}(?: ?[a-z0-9]{{4}}){{2,7}}(?: ?[a-z0-9]{{1,4}})?){b}"
            ),
            Candidate::Ipv6 => format!(r"{b}[0-9A-Fa-f]{{0,4}}(?::[0-9A-Fa-f]{{0,4}}){{2,7}}{b}"),
            // A digit chunk: digits with letters attached or after - and +, and single
            // separators (. - / : + or a space before another digit) between them.
            Candidate::Chunk => {
                format!(r"(?:\+|{b})[0-9](?:[0-9A-Za-z]|[.\-/:+][0-9A-Za-z]| [0-9])*")
            }
        });
        regex_automata::meta::Regex::new_many(&patterns)
            .unwrap_or_else(|e| panic!("built-in redaction pattern is invalid: {e}"))
    })
}

struct ChunkPatterns {
    hetu: Regex,
    pnr: Regex,
    card: Regex,
    phone: Regex,
    date: Regex,
    ipv4: Regex,
    number: Regex,
    /// Diary numbers: number / office / year (`1234/567/2024`).
    diary: Regex,
    year_range: Regex,
    time_range: Regex,
}

fn chunk_patterns() -> &'static ChunkPatterns {
    static P: OnceLock<ChunkPatterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"));
        ChunkPatterns {
            hetu: re(r"[0-9]{6}[-+A-FU-Ya-fu-y][0-9A-Za-z]{4}"),
            pnr: re(r"(?:19|20)?[0-9]{6}[-+][0-9]{4}|(?:19|20)[0-9]{10}|[0-9]{10}"),
            card: re(r"[0-9](?:[ \-]?[0-9]){12,18}"),
            phone: re(r"\+[0-9](?:[ .\-]?[0-9]){6,14}|0[0-9](?:[ .\-]?[0-9]){6,10}"),
            date: re(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[./\-][0-9]{1,2}[./\-](?:[0-9]{4}|[0-9]{2})"),
            ipv4: re(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"),
            number: re(r"[0-9](?:[ .\-]?[0-9]){5,}"),
            diary: re(r"[0-9]{1,6}/[0-9]{1,4}/(?:19|20)[0-9]{2}"),
            year_range: re(r"^(?:19|20)[0-9][0-9] ?- ?(?:19|20)[0-9][0-9]$"),
            time_range: re(r"^[0-9]{1,2}[.:][0-9][0-9] ?- ?[0-9]{1,2}[.:][0-9][0-9]$"),
        }
    })
}

/// Every finding in `view`, in order, not overlapping.
pub fn scan(view: &str) -> Vec<Finding> {
    let re = combined();
    let b = view.as_bytes();
    let emails = email_starts(b);
    let mut next_email = emails.iter().copied().peekable();
    let mut out = Vec::new();
    let mut i = 0;
    // One pass over the bytes finds the few positions where a candidate can start; only there
    // the automaton runs, anchored, so it never scans backwards for a start.
    while i < b.len() {
        while next_email.next_if(|&e| e < i).is_some() {}
        let word_start = i == 0 || !is_word(b[i - 1]);
        let c = b[i];
        let here = next_email.peek() == Some(&i)
            || (word_start
                && (c.is_ascii_digit() || (c.is_ascii_alphabetic() && letter_candidate(b, i))))
            || (c == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if here {
            let input = regex_automata::Input::new(view)
                .span(i..b.len())
                .anchored(regex_automata::Anchored::Yes);
            if let Some(m) = re.search(&input) {
                classify(
                    view,
                    CANDIDATES[m.pattern().as_usize()],
                    m.start(),
                    m.end(),
                    &mut out,
                );
                i = m.end().max(i + 1);
                continue;
            }
        }
        // Skip the rest of an ASCII word: no candidate starts inside one.
        if is_word(c) {
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn classify(view: &str, candidate: Candidate, start: usize, end: usize, out: &mut Vec<Finding>) {
    let found = |kind| Finding { start, end, kind };
    match candidate {
        // Public addresses stay as written.
        Candidate::Url => {}
        Candidate::Email => out.push(found(Kind::Email)),
        Candidate::MonthDate => out.push(found(Kind::Date)),
        Candidate::Iban => iban(view, start, end, out),
        Candidate::Ipv6 => {
            if view[start..end].parse::<std::net::Ipv6Addr>().is_ok() {
                out.push(found(Kind::Ip));
            } else {
                chunk(view, start, end, out);
            }
        }
        Candidate::Chunk => chunk(view, start, end, out),
    }
}

/// A business id's shape (`1234567-8`) right after the words that name one ("Y-tunnus",
/// "FO-nummer", "business id"): it stays even when its check digit is wrong.
fn business_id_cue(before: &str, text: &str) -> bool {
    let b = text.as_bytes();
    let shaped = b.len() == 9
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 7 || c.is_ascii_digit());
    if !shaped {
        return false;
    }
    let before = before.trim_end_matches([' ', ':']).to_lowercase();
    ["y-tunnus", "fo-nummer", "business id", "company id"]
        .iter()
        .any(|cue| before.ends_with(cue))
}

/// ASCII word characters, as the patterns' `(?-u:\b)` sees them.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where the local part of each `a@b` begins: scanning back from every `@`.
fn email_starts(b: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    for (at, _) in b.iter().enumerate().filter(|(_, c)| **c == b'@') {
        let mut s = at;
        while s > 0
            && (is_word(b[s - 1])
                || matches!(b[s - 1], b'.' | b'%' | b'+' | b'-')
                || b[s - 1] >= 0x80)
        {
            s -= 1;
        }
        // Land on a character boundary (a UTF-8 lead byte, never a continuation byte).
        while s < at && (0x80..0xC0).contains(&b[s]) {
            s += 1;
        }
        if s < at {
            starts.push(s);
        }
    }
    starts
}

/// Whether a word of letters at `i` could begin a candidate: a URL, an IBAN (two letters, two
/// digits), an IPv6 address (hex then `:`), or an English month name before a day.
fn letter_candidate(b: &[u8], i: usize) -> bool {
    let word_end = (i..b.len()).find(|&j| !is_word(b[j])).unwrap_or(b.len());
    let word = &b[i..word_end];
    let lower = |k: usize| word.get(k).map(u8::to_ascii_lowercase);
    let starts_with = |p: &[u8]| {
        word.len() >= p.len()
            && word
                .iter()
                .zip(p)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    };
    if starts_with(b"http") || (starts_with(b"www") && b.get(word_end) == Some(&b'.')) {
        return true;
    }
    if word.len() >= 4
        && word[..2].iter().all(u8::is_ascii_alphabetic)
        && word[2..4].iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    if b.get(word_end) == Some(&b':') && word.iter().all(u8::is_ascii_hexdigit) {
        return true;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    match (lower(0), lower(1), lower(2)) {
        (Some(x), Some(y), Some(z)) => MONTHS.contains(&&[x, y, z]),
        _ => false,
    }
}

/// The pattern may take a following word as a last group ("… 7466 ok"): the longest prefix,
/// in whole groups, with a valid checksum is the IBAN; anything else is an ordinary chunk.
fn iban(view: &str, start: usize, end: usize, out: &mut Vec<Finding>) {
    let text = &view[start..end];
    let mut ends: Vec<usize> = text
        .match_indices(' ')
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    ends.reverse();
    let valid = ends.into_iter().find(|&e| {
        let compact: Vec<u8> = text[..e].bytes().filter(|b| *b != b' ').collect();
        iban_valid(&compact)
    });
    match valid {
        Some(e) => {
            out.push(Finding {
                start,
                end: start + e,
                kind: Kind::Iban,
            });
            chunk(view, start + e, end, out);
        }
        None => chunk(view, start, end, out),
    }
}

/// Classifies the digit chunk `view[start..end]`: each kind in priority order claims the
/// matches its validator accepts, without overlapping an earlier claim.
fn chunk(view: &str, start: usize, end: usize, out: &mut Vec<Finding>) {
    let text = &view[start..end];
    // A business id (Y-tunnus) names a company, not a person: it stays.
    if super::validate::business_id(text) || business_id_cue(&view[..start], text) {
        return;
    }
    let digit_count = text.bytes().filter(u8::is_ascii_digit).count();
    let separators = text
        .bytes()
        .filter(|b| matches!(b, b'.' | b'/' | b'-'))
        .count();
    // Every kind needs six digits, except dates and IPv4 addresses (three or more digits and at
    // least two separators): most numbers in general questions end here.
    let short = digit_count < 6;
    if short && (digit_count < 3 || separators < 2) {
        return;
    }
    let p = chunk_patterns();
    if p.year_range.is_match(text) || p.time_range.is_match(text) {
        return;
    }
    // Cheap necessary conditions, so most chunks try only the patterns that could match.
    let b = text.as_bytes();
    let dots = b.iter().filter(|c| **c == b'.').count();
    let may_hetu = b.windows(7).any(|w| {
        w[..6].iter().all(u8::is_ascii_digit)
            && matches!(w[6], b'-' | b'+' | b'A'..=b'Z' | b'a'..=b'z')
    });
    let may_phone = b[0] == b'+'
        || b.iter()
            .enumerate()
            .any(|(i, c)| *c == b'0' && (i == 0 || !b[i - 1].is_ascii_digit()));
    let mut claimed: Vec<Finding> = Vec::new();
    let bytes = text.as_bytes();
    let free = |claimed: &[Finding], s: usize, e: usize| {
        claimed.iter().all(|c| e <= c.start || s >= c.end)
    };
    // A match must not cut through a longer run of letters and digits.
    let whole = |s: usize, e: usize| {
        (s == 0 || !bytes[s - 1].is_ascii_alphanumeric())
            && (e == bytes.len() || !bytes[e].is_ascii_alphanumeric())
    };
    let claim = |re: &Regex, claimed: &mut Vec<Finding>, decide: &dyn Fn(&str) -> Option<Kind>| {
        for m in re.find_iter(text) {
            if whole(m.start(), m.end()) && free(claimed, m.start(), m.end()) {
                if let Some(kind) = decide(m.as_str()) {
                    claimed.push(Finding {
                        start: m.start(),
                        end: m.end(),
                        kind,
                    });
                }
            }
        }
    };
    let digits = Digits::of;

    if !short {
        if may_hetu {
            claim(&p.hetu, &mut claimed, &|s| {
                // DDMMYY-NNNN is also the shape of a Swedish personnummer: a valid one of those, that
                // is not a valid identity code, is typed as such.
                if !hetu_valid(s)
                    && matches!(s.as_bytes()[6], b'-' | b'+')
                    && personnummer_valid(digits(s).as_slice())
                {
                    Some(Kind::Personnummer)
                } else {
                    Some(Kind::Hetu)
                }
            });
        }
        if digit_count >= 10 {
            claim(&p.pnr, &mut claimed, &|s| {
                let d = digits(s);
                let d = d.as_slice();
                let separated = s.len() != d.len();
                // A bare ten-digit number starting with 0 is far more often a phone number.
                if (separated || d.len() == 12 || s.as_bytes()[0] != b'0') && personnummer_valid(d)
                {
                    Some(Kind::Personnummer)
                } else {
                    None
                }
            });
        }
        if digit_count >= 13 {
            claim(&p.card, &mut claimed, &|s| {
                luhn(digits(s).as_slice()).then_some(Kind::Card)
            });
        }
    }
    if dots >= 3 {
        claim(&p.ipv4, &mut claimed, &|s| {
            s.split('.')
                .all(|o| o.parse::<u8>().is_ok())
                .then_some(Kind::Ip)
        });
    }
    if separators >= 2 {
        claim(&p.date, &mut claimed, &|s| {
            let mut parts = s.split(['.', '/', '-']).map(str::as_bytes);
            let (first, second, third) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let (day, month) = if first.len() == 4 {
                (num(third), num(second))
            } else {
                (num(first), num(second))
            };
            date_ok(day, month).then_some(Kind::Date)
        });
    }
    if !short {
        if may_phone {
            claim(&p.phone, &mut claimed, &|s| {
                let n = digits(s).as_slice().len();
                let ok = if s.starts_with('+') {
                    (7..=15).contains(&n)
                } else {
                    (8..=12).contains(&n)
                };
                ok.then_some(Kind::Phone)
            });
        }
        let amount = is_amount(view, start, end);
        claim(&p.diary, &mut claimed, &|_| Some(Kind::Number));
        claim(&p.number, &mut claimed, &|_| {
            (!amount).then_some(Kind::Number)
        });
    }
    claimed.sort_by_key(|f| f.start);
    out.extend(claimed.into_iter().map(|f| Finding {
        start: f.start + start,
        end: f.end + start,
        kind: f.kind,
    }));
}

/// Whether the chunk is an amount of money (`1 200 000 €`, `€ 1 200 000`, `90 000 euroa`).
fn is_amount(view: &str, start: usize, end: usize) -> bool {
    let after = view[end..].trim_start_matches(' ').as_bytes();
    let before = view[..start].trim_end_matches(' ');
    let starts = |w: &[u8]| after.len() >= w.len() && after[..w.len()].eq_ignore_ascii_case(w);
    [
        &b"\xE2\x82\xAC"[..],
        b"$",
        b"\xC2\xA3",
        b"eur",
        b"kr",
        b"sek",
        b"dollar",
        b"e ",
    ]
    .iter()
    .any(|w| starts(w))
        || after.eq_ignore_ascii_case(b"e")
        || before.ends_with(['€', '$', '£'])
}

/// The digits of a short match, on the stack (matches are at most a few dozen bytes).
struct Digits {
    buf: [u8; 40],
    len: usize,
}

impl Digits {
    fn of(s: &str) -> Self {
        let mut d = Digits {
            buf: [0; 40],
            len: 0,
        };
        for b in s.bytes().filter(u8::is_ascii_digit) {
            if d.len < d.buf.len() {
                d.buf[d.len] = b;
                d.len += 1;
            }
        }
        d
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
