//! The prefilter: most chat messages carry no digit and no `@`, and nothing at all is done for
//! them. One pass over the bytes with a lookup table; non-ASCII characters are decoded only when
//! their lead byte could start a digit-like character.

/// Byte classes: 0 nothing to see, 1 a candidate (ASCII digit or `@`), 2 decode and look.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = 1;
        b += 1;
    }
    t[b'@' as usize] = 1;
    // Lead bytes of multi-byte characters, except 0xC3 (U+00C0..U+00FF: å, ä, ö, é… no digits).
    let mut lead = 0xC2;
    while lead <= 0xF4 {
        if lead != 0xC3 {
            t[lead] = 2;
        }
        lead += 1;
    }
    t
};

/// Whether the text may contain personal data the redactor looks for.
pub fn may_contain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match CLASS[bytes[i] as usize] {
            0 => i += 1,
            1 => return true,
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                if c.is_numeric() || matches!(c, '＠' | '﹫') {
                    return true;
                }
                i += c.len_utf8();
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_digits_at_signs_and_unicode_digits() {
        assert!(!may_contain(
            "Hyvää päivää, miten voin hakea oleskelulupaa?"
        ));
        assert!(may_contain("numero 5"));
        assert!(may_contain("a＠b"));
        assert!(may_contain("１"));
        assert!(may_contain("²"));
        assert!(may_contain("٣"));
        assert!(!may_contain("Hur länge tar det – ungefär?"));
    }
}
