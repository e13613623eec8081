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
fn invisible(c: char) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
