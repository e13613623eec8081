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

fn combined() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let day_first =
            format!(r"\b\d{{1,2}}\.? ?(?:{MONTHS_FI}|{MONTHS_SV}|{MONTHS_EN})\.? \d{{4}}\b");
        let month_first = format!(r"\b(?:{MONTHS_EN})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b");
        // Alternatives in priority order (leftmost-first): at one position the first wins.
        let src = [
            r"(?P<url>\b(?:https?://|www\.)[^\s<>]+)".to_string(),
            r"(?P<email>[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.\p{L}{2,})".to_string(),
            format!("(?P<mdate>(?i:{day_first}|{month_first}))"),
            r"(?P<iban>\b(?i:[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?)\b)"
                .to_string(),
            r"(?P<ipv6>\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b)".to_string(),
            // A digit chunk: digits with letters attached or after - and +, and single
            // separators (. - / : + or a space before another digit) between them.
            r"(?P<chunk>(?:\+|\b)\d(?:[0-9A-Za-z]|[.\-/:+][0-9A-Za-z]| \d)*)".to_string(),
        ]
        .join("|");
        Regex::new(&src).unwrap_or_else(|e| panic!("built-in redaction pattern is invalid: {e}"))
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
    year_range: Regex,
    time_range: Regex,
}

fn chunk_patterns() -> &'static ChunkPatterns {
    static P: OnceLock<ChunkPatterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"));
        ChunkPatterns {
            hetu: re(r"\d{6}[-+A-FU-Ya-fu-y][0-9A-Za-z]{4}"),
            pnr: re(r"(?:19|20)?\d{6}[-+]\d{4}|(?:19|20)\d{10}|\d{10}"),
            card: re(r"\d(?:[ \-]?\d){12,18}"),
            phone: re(r"\+\d(?:[ .\-]?\d){6,14}|0\d(?:[ .\-]?\d){6,10}"),
            date: re(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})"),
            ipv4: re(r"\d{1,3}(?:\.\d{1,3}){3}"),
            number: re(r"\d(?:[ .\-]?\d){5,}"),
            year_range: re(r"^(?:19|20)\d\d ?- ?(?:19|20)\d\d$"),
            time_range: re(r"^\d{1,2}[.:]\d\d ?- ?\d{1,2}[.:]\d\d$"),
        }
    })
}

/// Every finding in `view`, in order, not overlapping.
pub fn scan(view: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for caps in combined().captures_iter(view) {
        if caps.name("url").is_some() {
            // Public addresses stay as written.
            continue;
        }
        if let Some(m) = caps.name("email") {
            out.push(Finding {
                start: m.start(),
                end: m.end(),
                kind: Kind::Email,
            });
        } else if let Some(m) = caps.name("mdate") {
            out.push(Finding {
                start: m.start(),
                end: m.end(),
                kind: Kind::Date,
            });
        } else if let Some(m) = caps.name("iban") {
            // The pattern may take a following word as a last group ("… 7466 ok"): the longest
            // prefix, in whole groups, with a valid checksum is the IBAN.
            let text = m.as_str();
            let ends = text.match_indices(' ').map(|(i, _)| i).chain([text.len()]);
            let mut ends: Vec<usize> = ends.collect();
            ends.reverse();
            let valid = ends.into_iter().find(|&e| {
                let compact: Vec<u8> = text[..e].bytes().filter(|b| *b != b' ').collect();
                iban_valid(&compact)
            });
            match valid {
                Some(e) => {
                    out.push(Finding {
                        start: m.start(),
                        end: m.start() + e,
                        kind: Kind::Iban,
                    });
                    chunk(view, m.start() + e, m.end(), &mut out);
                }
                None => chunk(view, m.start(), m.end(), &mut out),
            }
        } else if let Some(m) = caps.name("ipv6") {
            if m.as_str().parse::<std::net::Ipv6Addr>().is_ok() {
                out.push(Finding {
                    start: m.start(),
                    end: m.end(),
                    kind: Kind::Ip,
                });
            } else {
                chunk(view, m.start(), m.end(), &mut out);
            }
        } else if let Some(m) = caps.name("chunk") {
            chunk(view, m.start(), m.end(), &mut out);
        }
    }
    out
}

/// Classifies the digit chunk `view[start..end]`: each kind in priority order claims the
/// matches its validator accepts, without overlapping an earlier claim.
fn chunk(view: &str, start: usize, end: usize, out: &mut Vec<Finding>) {
    let text = &view[start..end];
    let p = chunk_patterns();
    if p.year_range.is_match(text) || p.time_range.is_match(text) {
        return;
    }
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
    let digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).collect::<Vec<u8>>();

    claim(&p.hetu, &mut claimed, &|s| {
        // DDMMYY-NNNN is also the shape of a Swedish personnummer: a valid one of those, that
        // is not a valid identity code, is typed as such.
        if !hetu_valid(s)
            && matches!(s.as_bytes()[6], b'-' | b'+')
            && personnummer_valid(&digits(s))
        {
            Some(Kind::Personnummer)
        } else {
            Some(Kind::Hetu)
        }
    });
    claim(&p.pnr, &mut claimed, &|s| {
        let d = digits(s);
        let separated = s.len() != d.len();
        // A bare ten-digit number starting with 0 is far more often a phone number.
        if (separated || d.len() == 12 || s.as_bytes()[0] != b'0') && personnummer_valid(&d) {
            Some(Kind::Personnummer)
        } else {
            None
        }
    });
    claim(&p.card, &mut claimed, &|s| {
        luhn(&digits(s)).then_some(Kind::Card)
    });
    claim(&p.ipv4, &mut claimed, &|s| {
        s.split('.')
            .all(|o| o.parse::<u8>().is_ok())
            .then_some(Kind::Ip)
    });
    claim(&p.date, &mut claimed, &|s| {
        let parts: Vec<&str> = s.split(['.', '/', '-']).collect();
        let (day, month) = if parts[0].len() == 4 {
            (num(parts[2].as_bytes()), num(parts[1].as_bytes()))
        } else {
            (num(parts[0].as_bytes()), num(parts[1].as_bytes()))
        };
        date_ok(day, month).then_some(Kind::Date)
    });
    claim(&p.phone, &mut claimed, &|s| {
        let n = digits(s).len();
        let ok = if s.starts_with('+') {
            (7..=15).contains(&n)
        } else {
            (8..=12).contains(&n)
        };
        ok.then_some(Kind::Phone)
    });
    let amount = is_amount(view, start, end);
    claim(&p.number, &mut claimed, &|_| {
        (!amount).then_some(Kind::Number)
    });

    claimed.sort_by_key(|f| f.start);
    out.extend(claimed.into_iter().map(|f| Finding {
        start: f.start + start,
        end: f.end + start,
        kind: f.kind,
    }));
}

/// Whether the chunk is an amount of money (`1 200 000 €`, `€ 1 200 000`, `90 000 euroa`).
fn is_amount(view: &str, start: usize, end: usize) -> bool {
    let after = view[end..].trim_start_matches(' ').to_lowercase();
    let before = view[..start].trim_end_matches(' ');
    [
        "€", "$", "£", "eur", "euro", "kr", "sek", "kronor", "dollar", "e ",
    ]
    .iter()
    .any(|c| after.starts_with(c))
        || after == "e"
        || before.ends_with(['€', '$', '£'])
}
