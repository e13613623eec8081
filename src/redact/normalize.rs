//! The view the patterns run on: NFKC, invisible characters removed, every Unicode digit and
//! dash made ASCII. Each byte of the view remembers the original span it came from, so matches
//! map back and the rest of the message stays exactly as written.

use std::borrow::Cow;

use unicode_normalization::char::decompose_compatible;
use unicode_normalization::UnicodeNormalization;

/// A normalized view of a text.
#[derive(Debug)]
pub struct View<'a> {
    /// The normalized text.
    pub text: Cow<'a, str>,
    /// For each byte of `text`: the original byte range of the character it came from; empty
    /// when the view is the original itself.
    spans: Vec<(u32, u32)>,
}

impl View<'_> {
    /// The original byte range of the view's range `start..end` (`end > start`).
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        if self.spans.is_empty() {
            return (start, end);
        }
        (self.spans[start].0 as usize, self.spans[end - 1].1 as usize)
    }
}

/// Characters that hide inside numbers without showing: zero-width spaces and joiners, the soft
/// hyphen, direction marks, the byte-order mark and other format characters.
pub(super) fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// Zeros of the decimal digit blocks NFKC leaves alone (Arabic-Indic, Devanagari, Thai, …).
const DIGIT_ZEROS: [u32; 21] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810, 0x1946, 0xFF10,
];

fn ascii_digit(c: char) -> Option<char> {
    let u = c as u32;
    DIGIT_ZEROS
        .iter()
        .find(|&&z| (z..z + 10).contains(&u))
        .and_then(|&z| char::from_digit(u - z, 10))
}

/// The normalized form of one character, pushed to `out`.
fn push_normalized(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    if let Some(d) = ascii_digit(c) {
        out.push(d);
        return;
    }
    match c {
        // Hyphens and dashes, including the non-breaking hyphen and the minus sign.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => {
            out.push('-')
        }
        // Line breaks stay what they are, so a match never crosses a line.
        '\n' | '\r' => out.push(c),
        c if c.is_ascii() => out.push(c),
        c => {
            // NFKC of one character: its compatibility decomposition, recomposed (so ä stays ä).
            let mut nfkd = String::new();
            decompose_compatible(c, |d| nfkd.push(d));
            for d in nfkd.nfc() {
                match d {
                    '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                    // Spaces of every width (NBSP, narrow NBSP, figure space) become a space.
                    d if d.is_whitespace() && d != '\n' && d != '\r' => out.push(' '),
                    d => out.push(ascii_digit(d).unwrap_or(d)),
                }
            }
        }
    }
}

/// The normalized view of `text`. Text whose only non-ASCII characters are Latin-1 letters
/// (U+00C0..U+00FF: å, ä, ö, é, which NFKC leaves as they are) is its own view: most Finnish
/// and Swedish messages need no copy.
pub fn view(text: &str) -> View<'_> {
    let plain = text
        .bytes()
        .all(|b| b < 0x80 || b == 0xC3 || (0x80..0xC0).contains(&b));
    if plain {
        return View {
            text: Cow::Borrowed(text),
            spans: Vec::new(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        if invisible(c) {
            continue;
        }
        let before = out.len();
        push_normalized(c, &mut out);
        let end = (start + c.len_utf8()) as u32;
        spans.resize(out.len(), (start as u32, end));
        debug_assert!(out.len() >= before);
    }
    View {
        text: Cow::Owned(out),
        spans,
    }
}

/// Closes up identifiers typed spaced out, so the patterns see them whole: runs of six or more
/// single characters separated by single spaces, at least five of them digits
/// (`8 1 0 5 0 3 - 2 6 5 3`, `1 0 1 2 0 0 A 6 0 8 R`), lose their spaces, and parentheses around
/// an area code between digit groups (`+1 (555) 619-6876`, `(09) 1234 5678`) are dropped. Only
/// ASCII spaces and parentheses are removed; every other byte keeps its original span.
pub fn squeeze(view: View<'_>) -> View<'_> {
    let b = view.text.as_bytes();
    let mut drop = vec![false; b.len()];
    let mut any = false;

    // Spaced-out runs. A token is one ASCII letter, digit or dash between spaces (or the text's
    // ends); the last may carry closing punctuation.
    let single = |i: usize| {
        (b[i].is_ascii_alphanumeric() || b[i] == b'-')
            && (i == 0 || b[i - 1] == b' ')
            && (i + 1 == b.len()
                || b[i + 1] == b' '
                || matches!(b[i + 1], b'.' | b',' | b';' | b':' | b'!' | b'?' | b')'))
    };
    let mut i = 0;
    while i < b.len() {
        if !single(i) {
            i += 1;
            continue;
        }
        let mut tokens = vec![i];
        let mut j = i;
        while j + 2 < b.len() && b[j + 1] == b' ' && single(j + 2) {
            j += 2;
            tokens.push(j);
        }
        let digits = tokens.iter().filter(|&&t| b[t].is_ascii_digit()).count();
        if tokens.len() >= 6 && digits >= 5 {
            for t in &tokens[1..] {
                drop[t - 1] = true;
            }
            any = true;
        }
        i = j + 1;
    }

    // `(ddd)` between digit groups: `+1 (555) 619`, or at the start of a number: `(09) 1234`.
    for open in (0..b.len()).filter(|&k| b[k] == b'(') {
        let digits_end = (open + 1..b.len())
            .find(|&k| !b[k].is_ascii_digit())
            .unwrap_or(b.len());
        let n = digits_end - open - 1;
        let closed = b.get(digits_end) == Some(&b')');
        // A group of at least three digits follows, as in a phone number ("kohta (2) 3 kpl"
        // stays as it is).
        let digit_after = b.get(digits_end + 1) == Some(&b' ')
            && (digits_end + 2..digits_end + 5).all(|k| b.get(k).is_some_and(u8::is_ascii_digit));
        let before_ok = open == 0 || b[open - 1] == b' ';
        if (1..=4).contains(&n) && closed && digit_after && before_ok {
            drop[open] = true;
            drop[digits_end] = true;
            any = true;
        }
    }

    if !any {
        return view;
    }
    let mut text = String::with_capacity(b.len());
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(b.len());
    let mut kept = Vec::with_capacity(b.len());
    let span = |k: usize| {
        if view.spans.is_empty() {
            (k as u32, k as u32 + 1)
        } else {
            view.spans[k]
        }
    };
    // A dropped parenthesis belongs to the digits it encloses, so an item found there takes
    // its parentheses with it when it is replaced.
    let mut open_from: Option<u32> = None;
    for (k, &byte) in b.iter().enumerate() {
        if drop[k] {
            match byte {
                b'(' => open_from = Some(span(k).0),
                b')' => {
                    if let Some(last) = spans.last_mut() {
                        last.1 = span(k).1;
                    }
                }
                _ => {}
            }
            continue;
        }
        kept.push(byte);
        let (start, end) = span(k);
        spans.push((open_from.take().unwrap_or(start), end));
    }
    // Only ASCII bytes were dropped, so the rest is still UTF-8.
    text.push_str(&String::from_utf8_lossy(&kept));
    View {
        text: Cow::Owned(text),
        spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_out_identifiers_are_closed_up() {
        for (t, closed) in [
            ("hetu 8 1 0 5 0 3 - 2 6 5 3 ok", "hetu 810503-2653 ok"),
            ("1 0 1 2 0 0 A 6 0 8 R.", "101200A608R."),
            ("soita 0 4 6 - 5 1 6 2 3 9 9", "soita 046-5162399"),
            ("call +1 (555) 619-6876", "call +1 555 619-6876"),
            ("(09) 1234 5678", "09 1234 5678"),
            // Not identifiers: too few, or words.
            ("a b c 1 2", "a b c 1 2"),
            ("valitse 1 tai 2", "valitse 1 tai 2"),
            ("luku (3) ja 4", "luku (3) ja 4"),
            ("kohta (2) 3 kpl", "kohta (2) 3 kpl"),
            ("soita (09) 1234 5678", "soita 09 1234 5678"),
        ] {
            let v = squeeze(view(t));
            assert_eq!(v.text, closed, "{t}");
            let (a, z) = v.original(0, v.text.len());
            assert_eq!((a, z), (0, t.len()), "{t}");
        }
    }

    #[test]
    fn maps_evasions_back_to_the_original() {
        let t = "id １２３\u{200B}４５６ ok";
        let v = view(t);
        assert_eq!(v.text, "id 123456 ok");
        let s = v.text.find("123456").unwrap_or(0);
        let (a, b) = v.original(s, s + 6);
        assert_eq!(&t[a..b], "１２３\u{200B}４５６");
        let v = view("040\u{2011}123\u{00A0}4567 ٣ kesäkuuta ｆｉ");
        assert_eq!(v.text, "040-123 4567 3 kesäkuuta fi");
    }
}
