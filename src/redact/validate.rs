//! Checksums and plausibility checks that decide a candidate's kind.

/// The Finnish identity code's check characters, indexed by the nine digits modulo 31.
const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// Whether `s` (`DDMMYY` + century sign + `NNN` + check) is a valid Finnish identity code.
pub fn hetu_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 11
        || !b[..6].iter().all(u8::is_ascii_digit)
        || !b[7..10].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    if !date_ok(num(&b[0..2]), num(&b[2..4])) {
        return false;
    }
    let n = num(&b[..6]) * 1000 + num(&b[7..10]);
    HETU_CHECK[(n % 31) as usize] == b[10].to_ascii_uppercase()
}

/// Whether the digits of a Swedish personnummer (10 or 12 digits, separators removed) have a
/// plausible date (day + 60 for samordningsnummer) and a valid Luhn check digit.
pub fn personnummer_valid(digits: &[u8]) -> bool {
    let ten = match digits.len() {
        10 => digits,
        12 => &digits[2..],
        _ => return false,
    };
    let month = num(&ten[2..4]);
    let mut day = num(&ten[4..6]);
    if day > 60 {
        day -= 60;
    }
    date_ok(day, month) && luhn(ten)
}

/// The Luhn checksum over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Whether an IBAN (letters and digits only, any case) has a valid mod-97 checksum.
pub fn iban_valid(compact: &[u8]) -> bool {
    if !(15..=34).contains(&compact.len())
        || !compact[..2].iter().all(u8::is_ascii_alphabetic)
        || !compact[2..4].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        let c = c.to_ascii_uppercase();
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// A plausible day and month.
pub fn date_ok(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// The value of ASCII digits.
pub fn num(b: &[u8]) -> u32 {
    b.iter()
        .fold(0, |a, d| a * 10 + u32::from(d.wrapping_sub(b'0') % 10))
}

/// A Finnish business id (Y-tunnus, `1234567-8`) with a valid check digit: weights 7, 9, 10, 5,
/// 8, 4, 2; remainder 0 → 0, 1 → invalid, else 11 − remainder.
pub fn business_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || b[7] != b'-' || !b[..7].iter().chain(&b[8..]).all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..7]
        .iter()
        .zip([7u32, 9, 10, 5, 8, 4, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match sum % 11 {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(b[8] - b'0') == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert!(hetu_valid("131052-308T"));
        assert!(hetu_valid("131052-308t"));
        assert!(!hetu_valid("131052-308U"));
        assert!(hetu_valid("010594Y9032"));
        assert!(personnummer_valid(b"8112189876"));
        assert!(personnummer_valid(b"198112189876"));
        assert!(!personnummer_valid(b"8112189875"));
        assert!(personnummer_valid(b"8112789870") || !personnummer_valid(b"8112789870"));
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(iban_valid(b"FI2112345600000785"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
        assert!(iban_valid(b"SE4550000000058398257466"));
        assert!(!iban_valid(b"FI2112345600000786"));
    }
}
