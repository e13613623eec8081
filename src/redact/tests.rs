//! Per-kind tests: valid, invalid, evasion and must-not-redact cases in fi, sv and en.

use super::*;

fn r(s: &str) -> String {
    PiiRedactor.redact(s).text.into_owned()
}

#[track_caller]
fn same(s: &str) {
    assert_eq!(r(s), s, "must be left alone");
}

#[test]
fn registers_examples() {
    assert_eq!(r("Hakemukseni on 123456-abcd"), "Hakemukseni on [HETU]");
    assert_eq!(r("numero 123456"), "numero [NUMBER]");
    assert_eq!(r("syntynyt 01.01.1900."), "syntynyt [DATE].");
}

#[test]
fn finnish_identity_codes() {
    for s in [
        "131052-308T",
        "131052-308t",
        "010594Y9032",
        "010594y9032",
        "110200A123X",
        "131052+308T",
        "131052-308U",
        "311299-999x",
    ] {
        assert_eq!(r(&format!("hetu {s}.")), "hetu [HETU].", "{s}");
    }
    assert_eq!(
        r("min personbeteckning är 131052-308T"),
        "min personbeteckning är [HETU]"
    );
    assert_eq!(
        r("my id code 131052-308T please"),
        "my id code [HETU] please"
    );
}

#[test]
fn swedish_personnummer() {
    for s in [
        "811218-9876",
        "19811218-9876",
        "198112189876",
        "8112189876",
        "811218+9876",
    ] {
        assert_eq!(
            r(&format!("pnr {s} tack")),
            "pnr [PERSONNUMMER] tack",
            "{s}"
        );
    }
    // Samordningsnummer: day + 60.
    let d = b"7010632391";
    assert!(validate::personnummer_valid(d));
    assert_eq!(
        r("samordningsnummer 701063-2391"),
        "samordningsnummer [PERSONNUMMER]"
    );
    // Wrong check digit: still removed, as a number.
    assert_eq!(r("pnr 8112189875"), "pnr [NUMBER]");
}

#[test]
fn long_numbers_in_every_grouping() {
    for s in [
        "1234567",
        "123 456",
        "123.456.789",
        "12-34-56",
        "1 2 3 4 5 6",
        "2024/123456",
    ] {
        let out = r(&format!("hakemus {s} käsittely"));
        assert!(
            !out.chars().any(|c| c.is_ascii_digit()) || out.contains("2024/"),
            "{s}: {out}"
        );
        assert!(out.contains("[NUMBER]"), "{s}: {out}");
    }
    // Diary numbers (number / office / year) identify a case; a regulation number does not.
    assert_eq!(r("diarienummer 1234/567/2024"), "diarienummer [NUMBER]");
    assert_eq!(r("dnr 12/34/2024 ok"), "dnr [NUMBER] ok");
    same("asetus (EU) 2016/679");
}

#[test]
fn dates_with_a_year() {
    for s in [
        "01.01.1900",
        "1.1.1990",
        "1990-01-01",
        "01/01/1990",
        "01.01.90",
        "5. toukokuuta 1990",
        "5 toukokuuta 1990",
        "5 maj 1990",
        "May 5, 1990",
        "5 May 1990",
        "may 5th 1990",
        "24. kesäkuuta 1985",
    ] {
        assert_eq!(
            r(&format!("syntymäaika {s} ok")),
            "syntymäaika [DATE] ok",
            "{s}"
        );
    }
    same("Palvelu suljettiin toukokuussa 2024.");
    same("It was switched off in May 2024.");
    // Not a date, but eight digits: still removed, as a number.
    assert_eq!(r("32.13.1990 is no date"), "[NUMBER] is no date");
    same("1.13.90 is no date");
}

#[test]
fn emails_phones_ibans_cards_ips() {
    assert_eq!(
        r("mail matti.meikalainen@example.fi kiitos"),
        "mail [EMAIL] kiitos"
    );
    assert_eq!(
        r("skriv till anna+migri@posti.example.se"),
        "skriv till [EMAIL]"
    );
    for s in [
        "+358 40 123 4567",
        "040-1234567",
        "070-123 45 67",
        "+44 20 7946 0958",
        "+46 70 123 45 67",
        "09 1234 5678",
        "0401234567",
    ] {
        assert_eq!(
            r(&format!("soita {s} kiitos")),
            "soita [PHONE] kiitos",
            "{s}"
        );
    }
    for s in [
        "FI21 1234 5600 0007 85",
        "FI2112345600000785",
        "fi21 1234 5600 0007 85",
        "GB82 WEST 1234 5698 7654 32",
        "SE45 5000 0000 0583 9825 7466",
    ] {
        assert_eq!(r(&format!("tili {s} ok")), "tili [IBAN] ok", "{s}");
    }
    for s in [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5500000000000004",
    ] {
        assert_eq!(r(&format!("card {s} ok")), "card [CARD] ok", "{s}");
    }
    assert_eq!(r("card 4111 1111 1111 1112 ok"), "card [NUMBER] ok");
    for s in [
        "192.168.1.20",
        "10.0.0.1",
        "2001:db8::8a2e:370:7334",
        "fe80::1",
    ] {
        assert_eq!(r(&format!("ip {s} ok")), "ip [IP] ok", "{s}");
    }
}

#[test]
fn evasion_is_seen_through_and_the_rest_kept() {
    // Fullwidth digits, zero-width space, soft hyphen, NBSP, non-breaking hyphen, Arabic-Indic.
    assert_eq!(r("nro １２３４５６７ ok"), "nro [NUMBER] ok");
    assert_eq!(r("nro 123\u{200B}4567 ok"), "nro [NUMBER] ok");
    assert_eq!(r("nro 12\u{00AD}34\u{00AD}567 ok"), "nro [NUMBER] ok");
    assert_eq!(r("puh 040\u{00A0}123\u{00A0}4567 ok"), "puh [PHONE] ok");
    assert_eq!(r("hetu 131052\u{2011}308T ok"), "hetu [HETU] ok");
    assert_eq!(r("nro ١٢٣٤٥٦٧ ok"), "nro [NUMBER] ok");
    assert_eq!(r("mail a.b＠example.fi"), "mail [EMAIL]");
    assert_eq!(
        r("Hyvää päivää – nro 1 2 3 4 5 6 7, kiitos"),
        "Hyvää päivää – nro [NUMBER], kiitos"
    );
}

#[test]
fn spaced_out_items_go_whole() {
    // Each of these used to leave a tail behind (`[NUMBER] - 2 6 5 3`).
    for t in [
        "hetu 8 1 0 5 0 3 - 2 6 5 3 kiitos",
        "tunnus 1 0 1 2 0 0 A 6 0 8 R kiitos",
        "puh 0 4 6 - 5 1 6 2 3 9 9 kiitos",
        "call +1 (555) 619\u{2011}6876 kiitos",
        "soita (09) 1234 5678 kiitos",
    ] {
        let out = r(t);
        let rest = out.split_whitespace().collect::<Vec<_>>();
        assert_eq!(rest.len(), 3, "{t} -> {out}");
        assert!(
            rest[1].starts_with('[') && rest[1].ends_with(']') && rest[2] == "kiitos",
            "{t} -> {out}"
        );
        assert!(!out.chars().any(|c| c.is_ascii_digit()), "{t} -> {out}");
    }
    same("Vastaa 1 tai 2, kiitos");
    same("Luku (3) ja kohta (2) 3 kpl");
}

#[test]
fn general_questions_pass_unchanged() {
    for s in [
        "Katkot kestävät tavallisesti 2–4 tuntia.",
        "Avbrott pågår vanligtvis 2–4 timmar.",
        "Outages usually last 2–4 hours, at most 14 days.",
        "Neuvonta palvelee klo 9–16 ja 10.30-12.00.",
        "Vuonna 2024 ja vuosina 2023-2024.",
        "Maksu on 470 € tai 90 000 euroa; 1 200 000 € budjetti.",
        "Enligt 3.1 och art. 6.1 e GDPR (EU) 2016/679.",
        "Lomake OLE_PP1, kielitaso B1, postinumero 00100.",
        "Call 112, room 205, version 4.17.1.",
        "See https://migri.fi/en/processing-times?id=123456789 and www.example.fi/a/1234567.",
        "Miten voin hakea oleskelulupaa?",
    ] {
        same(s);
    }
}

#[test]
fn nothing_to_find_borrows() {
    let out = PiiRedactor.redact("Miten voin hakea oleskelulupaa?");
    assert!(matches!(out.text, std::borrow::Cow::Borrowed(_)));
    assert_eq!(out.counts.total(), 0);
}

#[test]
fn counts_per_kind() {
    let out = PiiRedactor.redact("131052-308T, 1234567 ja 7654321, a@b.fi");
    assert_eq!(out.counts.get(Kind::Hetu), 1);
    assert_eq!(out.counts.get(Kind::Number), 2);
    assert_eq!(out.counts.get(Kind::Email), 1);
    assert_eq!(out.counts.total(), 4);
}

#[test]
fn addresses_documents_and_business_ids() {
    assert_eq!(
        r("asun Mannerheimintie 12 A 5, 00100 Helsinki"),
        "asun [ADDRESS]"
    );
    assert_eq!(r("Passport number FP1234567"), "Passport number [DOCUMENT]");
    assert_eq!(r("autoni ABC-123"), "autoni [DOCUMENT]");
    // A business id names a company: valid check digit, or named as one.
    same("Y-tunnus 0112038-9 kuuluu yritykselle");
    same("Yrityksemme Y-tunnus 1234567-8, voiko yritys toimia työnantajana?");
    // Not a business id: a number in its shape without the words is still removed.
    assert_eq!(r("numero 1234567-8"), "numero [NUMBER]");
    same("Hämeenkatu on suljettu");
    same("ajoin valtatie 4 pohjoiseen");
}
