//! The terms-of-use classifier in fi, sv and en, on redacted text, against paraphrases written
//! apart from the cue lists (`src/policy/rules.toml`).

use kanava::policy::{Classifier, RuleClassifier, Verdict};
use kanava::redact::{PiiRedactor, Redactor};
use kanava_adapter::Lang;

fn verdict(lang: Lang, raw: &str) -> Verdict {
    let redacted = PiiRedactor.redact(raw);
    RuleClassifier.classify(&redacted.text, lang).verdict
}

#[test]
fn case_specific_questions_in_three_languages() {
    use Lang::*;
    let cases = [
        (Fi, "Missä vaiheessa hakemukseni on?"),
        (Fi, "Mikä on hakemuksen 12345678 tilanne?"),
        (Fi, "Onko päätökseni jo tehty?"),
        (Fi, "Milloin saan päätöksen hakemukseeni?"),
        (Fi, "Haluan peruuttaa hakemukseni"),
        (
            Fi,
            "Onko lähettämäni liitteet saapuneet? Diaarinumero 1234/567/2024",
        ),
        (Fi, "Työntekijäni oleskelulupahakemus, missä se menee?"),
        (Fi, "1234567"),
        (Sv, "Vilken status har min ansökan?"),
        (Sv, "När kommer beslutet i mitt ärende?"),
        (Sv, "Har ni tagit emot mina dokument? Ansökan 7654321"),
        (Sv, "Jag vill återkalla min ansökan"),
        (Sv, "Var i kön ligger min ansökan?"),
        (En, "What is the status of my application?"),
        (En, "Where is my application 12345678 in the queue?"),
        (En, "When will my decision be ready?"),
        (En, "I want to withdraw my application"),
        (En, "Has my employee's permit application been processed?"),
        (En, "Did you receive my documents?"),
        (En, "check 87654321 please"),
    ];
    for (lang, q) in cases {
        assert_eq!(verdict(lang, q), Verdict::CaseSpecific, "{lang} {q:?}");
    }
}

#[test]
fn general_questions_stay_general_even_with_i() {
    use Lang::*;
    let cases = [
        (Fi, "Voinko matkustaa, kun hakemukseni on käsittelyssä?"),
        (Fi, "Kuinka kauan oleskelulupahakemuksen käsittely kestää?"),
        (Fi, "Mitä maksaa kansalaisuushakemus?"),
        (Fi, "Enter Finland ei toimi, mitä teen?"),
        (Fi, "Miten voin seurata hakemukseni käsittelyä?"),
        (Sv, "Kan jag resa medan min ansökan behandlas?"),
        (
            Sv,
            "Hur länge tar det att behandla en ansökan om uppehållstillstånd?",
        ),
        (Sv, "Vad kostar det att ansöka om medborgarskap?"),
        (Sv, "Hur följer jag min ansökan?"),
        (En, "Can I travel while my application is pending?"),
        (En, "How long does a residence permit application take?"),
        (En, "What are the fees for citizenship?"),
        (En, "How can I follow my application?"),
        (En, "Is this chat stored for 2 years?"),
        (En, "The outage lasted 2–4 hours, what should I do?"),
    ];
    for (lang, q) in cases {
        assert_eq!(verdict(lang, q), Verdict::General, "{lang} {q:?}");
    }
}

#[test]
fn advertising_in_three_languages() {
    use Lang::*;
    let cases = [
        (
            En,
            "Buy cheap residence permits, guaranteed! Visit www.example.com",
        ),
        (En, "Fast loans without credit check, DM me on telegram"),
        (En, "Get 10k followers today, best offer"),
        (En, "Invest in bitcoin now and earn 500% profit"),
        (
            Fi,
            "Osta halpa oleskelulupa takuulla, ota yhteyttä whatsapp",
        ),
        (Fi, "Lainaa heti ilman takaajia, katso www.laina.example"),
        (Sv, "Köp billigt uppehållstillstånd, garanterat snabbt"),
        (Sv, "Lån utan UC, skriv till mig på telegram"),
    ];
    for (lang, q) in cases {
        assert_eq!(verdict(lang, q), Verdict::Advertising, "{lang} {q:?}");
    }
    assert_eq!(
        verdict(En, "Where can I buy a bus ticket?"),
        Verdict::General
    );
}

#[test]
fn asking_why_a_service_works_as_it_does_is_general() {
    assert_eq!(
        verdict(Lang::En, "Why can't I see my queue position anymore?"),
        Verdict::General
    );
    assert_eq!(
        verdict(Lang::Fi, "Miksi en voi enää kysyä jonosijaani?"),
        Verdict::General
    );
    assert_eq!(
        verdict(Lang::Sv, "Varför kan jag inte se min köplats längre?"),
        Verdict::General
    );
    assert_eq!(
        verdict(Lang::En, "Why is my application not processed yet?"),
        Verdict::CaseSpecific
    );
}
