//! Every user-facing sentence the engine says itself, in Finnish, Swedish and English.
//! (Answers come from the knowledge base; these are the frame around them.)

use kanava_adapter::Lang;

/// A system text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Greeting: what may be asked, what not.
    Welcome,
    /// How to use the service.
    Help,
    /// Before suggestions when a question was not understood.
    Fallback,
    /// When there is nothing to suggest.
    FallbackNoSuggestions,
    /// The language was changed.
    LanguageSet,
    /// An unknown language was asked for.
    LanguageUnknown,
    /// Feedback received.
    FeedbackThanks,
    /// Feedback referred to an answer that is not in this conversation.
    FeedbackUnknown,
    /// Storage or another internal part failed: nothing was saved, try again.
    Unavailable,
    /// A case-specific question: general questions only; where to go instead.
    CaseSpecific,
    /// Advertising is not allowed.
    Advertising,
    /// Too many messages too fast.
    SlowDown,
    /// An unknown topic id was chosen.
    UnknownTopic,
    /// Command menu: `/start`.
    CommandStart,
    /// Command menu: `/help`.
    CommandHelp,
    /// Command menu: `/language`.
    CommandLanguage,
    /// Command menu: `/appeal`.
    CommandAppeal,
    /// `/appeal` from someone who is not blocked.
    NotBlocked,
    /// Sent to the user when a moderator accepts their appeal.
    AppealAccepted,
    /// Sent to the user when a moderator rejects their appeal.
    AppealRejected,
    /// After the answer to a question told through the asker's own case.
    CaseNote,
    /// Answer to a greeting.
    SmallTalkGreeting,
    /// Answer to thanks.
    SmallTalkThanks,
    /// Answer to a goodbye.
    SmallTalkGoodbye,
    /// Answer to "are you a bot?".
    SmallTalkBot,
}

impl Text {
    /// Every system text.
    pub const ALL: [Text; 25] = [
        Text::Welcome,
        Text::Help,
        Text::Fallback,
        Text::FallbackNoSuggestions,
        Text::LanguageSet,
        Text::LanguageUnknown,
        Text::FeedbackThanks,
        Text::FeedbackUnknown,
        Text::Unavailable,
        Text::CaseSpecific,
        Text::Advertising,
        Text::SlowDown,
        Text::UnknownTopic,
        Text::CommandStart,
        Text::CommandHelp,
        Text::CommandLanguage,
        Text::CommandAppeal,
        Text::NotBlocked,
        Text::AppealAccepted,
        Text::AppealRejected,
        Text::CaseNote,
        Text::SmallTalkGreeting,
        Text::SmallTalkThanks,
        Text::SmallTalkGoodbye,
        Text::SmallTalkBot,
    ];

    /// The text in a language.
    pub fn get(self, lang: Lang) -> &'static str {
        use Lang::*;
        use Text::*;
        match (self, lang) {
            (Welcome, Fi) => "Hei! Olen chatbot ja vastaan yleisiin kysymyksiin maahanmuutosta ja asioinnista suomeksi, ruotsiksi ja englanniksi. En käsittele yksittäisiä hakemuksia: älä kirjoita henkilötunnusta, hakemusnumeroa tai muita henkilötietoja. Mitä haluaisit tietää?",
            (Welcome, Sv) => "Hej! Jag är en chattrobot och svarar på allmänna frågor om migration och ärenden på finska, svenska och engelska. Jag behandlar inte enskilda ansökningar: skriv inte personbeteckning, ansökningsnummer eller andra personuppgifter. Vad vill du veta?",
            (Welcome, En) => "Hello! I am a chatbot answering general questions about immigration and services in Finnish, Swedish and English. I do not handle individual applications: please do not write your personal identity code, application number or other personal data. What would you like to know?",
            (Help, Fi) => "Kirjoita kysymyksesi omin sanoin, esimerkiksi \"Kuinka kauan käsittely kestää?\". Voit valita ehdotetun aiheen painikkeella ja vaihtaa kieltä komennolla /kieli fi, /kieli sv tai /kieli en. Yleiset kysymykset vain: omasta hakemuksestasi näet tiedot Enter Finland -asioinnista.",
            (Help, Sv) => "Skriv din fråga med egna ord, till exempel \"Hur länge tar behandlingen?\". Du kan välja ett föreslaget ämne med en knapp och byta språk med kommandot /språk fi, /språk sv eller /språk en. Endast allmänna frågor: information om din egen ansökan finns i Enter Finland.",
            (Help, En) => "Write your question in your own words, for example \"How long does processing take?\". You can pick a suggested topic with a button and change the language with /language fi, /language sv or /language en. General questions only: information about your own application is in Enter Finland.",
            (Fallback, Fi) => "En ole varma, ymmärsinkö kysymyksesi oikein. Tarkoititko jotain näistä? Jos et, en osaa vastata tähän täällä: katso migri.fi tai soita neuvontapalveluun.",
            (Fallback, Sv) => "Jag är inte säker på att jag förstod din fråga rätt. Menade du något av dessa? Om inte kan jag inte svara på det här: se migri.fi eller ring rådgivningen.",
            (Fallback, En) => "I am not sure I understood your question. Did you mean one of these? If not, I can't answer that here: see migri.fi or call the advisory service.",
            (FallbackNoSuggestions, Fi) => "En osaa vastata tähän täällä. Voin auttaa yleisissä kysymyksissä oleskeluluvista, kansalaisuudesta, turvapaikasta, Enter Finland -palvelusta ja käsittelyajoista. Muista asioista kerrotaan Maahanmuuttoviraston sivuilla migri.fi, ja neuvontapalvelu auttaa puhelimitse.",
            (FallbackNoSuggestions, Sv) => "Det kan jag inte svara på här. Jag kan hjälpa med allmänna frågor om uppehållstillstånd, medborgarskap, asyl, Enter Finland och behandlingstider. Om annat berättar Migrationsverkets webbplats migri.fi, och rådgivningen hjälper per telefon.",
            (FallbackNoSuggestions, En) => "I can't answer that here. I can help with general questions about residence permits, citizenship, asylum, Enter Finland and processing times. For other matters see the Finnish Immigration Service's website migri.fi; the advisory service helps by phone.",
            (LanguageSet, Fi) => "Selvä, jatketaan suomeksi.",
            (LanguageSet, Sv) => "Okej, vi fortsätter på svenska.",
            (LanguageSet, En) => "OK, let's continue in English.",
            (LanguageUnknown, Fi) => "Voin vaihtaa kieleksi suomen (fi), ruotsin (sv) tai englannin (en). Esimerkiksi: /kieli sv",
            (LanguageUnknown, Sv) => "Jag kan byta språk till finska (fi), svenska (sv) eller engelska (en). Till exempel: /språk fi",
            (NotBlocked, Fi) => "Sinua ei ole estetty, joten valitettavaa ei ole. Kirjoita kysymyksesi tavalliseen tapaan.",
            (NotBlocked, Sv) => "Du är inte blockerad, så det finns inget att överklaga. Skriv din fråga som vanligt.",
            (NotBlocked, En) => "You are not blocked, so there is nothing to appeal. Just write your question.",
            (AppealAccepted, Fi) => "Valituksesi on käsitelty ja hyväksytty: esto on poistettu. Voit taas kysyä chatissa. Muistathan, että chatissa kysytään vain yleisiä kysymyksiä eikä siinä saa mainostaa.",
            (AppealAccepted, Sv) => "Din överklagan har behandlats och godkänts: blockeringen är hävd. Du kan ställa frågor i chatten igen. Kom ihåg att chatten bara är för allmänna frågor och att reklam inte är tillåten.",
            (AppealAccepted, En) => "Your appeal has been reviewed and accepted: the block has been lifted. You can ask questions in the chat again. Please remember that the chat is for general questions only and advertising is not allowed.",
            (AppealRejected, Fi) => "Valituksesi on käsitelty, mutta estoa ei poisteta. Esto päättyy aikanaan, jos sille on asetettu päättymisaika. Yleistä tietoa löydät osoitteesta migri.fi.",
            (AppealRejected, Sv) => "Din överklagan har behandlats, men blockeringen kvarstår. Blockeringen upphör när dess tid går ut, om en sådan har satts. Allmän information finns på migri.fi.",
            (AppealRejected, En) => "Your appeal has been reviewed, but the block stays. It ends when its time runs out, if an end was set. General information is available at migri.fi.",
            (CaseNote, Fi) => "Tämä on yleinen vastaus: chatissa en voi katsoa yksittäisiä hakemuksia. Oman hakemuksesi tiedot näet Enter Finlandista, ja neuvontapalvelu auttaa puhelimitse.",
            (CaseNote, Sv) => "Det här är ett allmänt svar: i chatten kan jag inte se enskilda ansökningar. Uppgifterna om din egen ansökan finns i Enter Finland, och rådgivningen hjälper per telefon.",
            (CaseNote, En) => "This is a general answer: in this chat I cannot look at individual applications. The details of your own application are in Enter Finland, and the advisory service helps by phone.",
            (SmallTalkGreeting, Fi) => "Hei! Kysy vapaasti yleisiä kysymyksiä esimerkiksi oleskeluluvista, kansalaisuudesta tai Enter Finland -palvelusta.",
            (SmallTalkGreeting, Sv) => "Hej! Fråga gärna allmänna frågor till exempel om uppehållstillstånd, medborgarskap eller Enter Finland.",
            (SmallTalkGreeting, En) => "Hello! Feel free to ask general questions, for example about residence permits, citizenship or Enter Finland.",
            (SmallTalkThanks, Fi) => "Ole hyvä! Kysy lisää, jos jokin jäi epäselväksi.",
            (SmallTalkThanks, Sv) => "Varsågod! Fråga gärna mer om något är oklart.",
            (SmallTalkThanks, En) => "You're welcome! Ask again if anything is unclear.",
            (SmallTalkGoodbye, Fi) => "Näkemiin! Tervetuloa kysymään uudelleen.",
            (SmallTalkGoodbye, Sv) => "Hej då! Välkommen att fråga igen.",
            (SmallTalkGoodbye, En) => "Goodbye! You are welcome to ask again.",
            (SmallTalkBot, Fi) => "Olen chatbot: vastaan automaattisesti yleisiin kysymyksiin. Ihmisen tavoitat Maahanmuuttoviraston neuvontapalvelusta; kysy \"miten tavoitan neuvojan\".",
            (SmallTalkBot, Sv) => "Jag är en chattrobot: jag svarar automatiskt på allmänna frågor. En människa når du via Migrationsverkets rådgivning; fråga \"hur når jag en rådgivare\".",
            (SmallTalkBot, En) => "I am a chatbot: I answer general questions automatically. You can reach a person through the Finnish Immigration Service's advisory service; ask \"how do I reach an advisor\".",
            (LanguageUnknown, En) => "I can switch to Finnish (fi), Swedish (sv) or English (en). For example: /language fi",
            (FeedbackThanks, Fi) => "Kiitos palautteestasi!",
            (FeedbackThanks, Sv) => "Tack för din respons!",
            (FeedbackThanks, En) => "Thank you for your feedback!",
            (FeedbackUnknown, Fi) => "Palautetta ei voitu tallentaa: vastausta ei löytynyt tästä keskustelusta.",
            (FeedbackUnknown, Sv) => "Responsen kunde inte sparas: svaret finns inte i det här samtalet.",
            (FeedbackUnknown, En) => "The feedback could not be saved: that answer is not part of this conversation.",
            (Unavailable, Fi) => "Palvelussa on tilapäinen häiriö, eikä viestiäsi voitu käsitellä. Yritä hetken kuluttua uudelleen.",
            (Unavailable, Sv) => "Tjänsten har en tillfällig störning och ditt meddelande kunde inte behandlas. Försök igen om en stund.",
            (Unavailable, En) => "The service has a temporary problem and your message could not be processed. Please try again in a moment.",
            (CaseSpecific, Fi) => "Tässä chatissa vastataan vain yleisiin kysymyksiin, joten en voi käsitellä yksittäistä hakemusta tai asiaa. Oman hakemuksesi vaiheen näet Enter Finland -asioinnista, ja saat automaattisia viestejä käsittelyn etenemisestä. Odotettavissa olevan käsittelyajan voit arvioida käsittelyaikatestillä, ja neuvontapalvelu auttaa puhelimitse.",
            (CaseSpecific, Sv) => "I den här chatten svarar vi bara på allmänna frågor, så jag kan inte behandla en enskild ansökan eller ett ärende. Vilket skede din ansökan är i ser du i Enter Finland, och du får automatiska meddelanden om hur behandlingen framskrider. Den förväntade behandlingstiden kan du beräkna med behandlingstidstestet, och rådgivningstjänsten hjälper per telefon.",
            (CaseSpecific, En) => "This chat answers general questions only, so I cannot handle an individual application or case. You can see the stage of your application in Enter Finland, and you get automatic notifications as it moves on. You can estimate the expected processing time with the processing time estimate, and the advisory service helps by phone.",
            (Advertising, Fi) => "Tätä kanavaa ei saa käyttää mainontaan. Käyttöehtojen rikkomisesta voi seurata esto.",
            (Advertising, Sv) => "Kanalen får inte användas för reklam. Brott mot användarvillkoren kan leda till blockering.",
            (Advertising, En) => "This channel must not be used for advertising. Breaking the terms of use can lead to a block.",
            (SlowDown, Fi) => "Lähetät viestejä liian nopeasti. Odota hetki ennen seuraavaa viestiä.",
            (SlowDown, Sv) => "Du skickar meddelanden för snabbt. Vänta en stund innan nästa meddelande.",
            (SlowDown, En) => "You are sending messages too fast. Please wait a moment before the next one.",
            (UnknownTopic, Fi) => "Aihetta ei löytynyt. Kirjoita kysymyksesi omin sanoin.",
            (UnknownTopic, Sv) => "Ämnet hittades inte. Skriv din fråga med egna ord.",
            (UnknownTopic, En) => "That topic was not found. Please write your question in your own words.",
            (CommandStart, Fi) => "Aloita alusta: mitä voin kysyä?",
            (CommandStart, Sv) => "Börja om: vad kan jag fråga?",
            (CommandStart, En) => "Start again: what can I ask?",
            (CommandHelp, Fi) => "Ohjeet chatin käyttöön",
            (CommandHelp, Sv) => "Hjälp med att använda chatten",
            (CommandHelp, En) => "How to use this chat",
            (CommandLanguage, Fi) => "Vaihda kieli: /language fi, sv tai en",
            (CommandLanguage, Sv) => "Byt språk: /language fi, sv eller en",
            (CommandLanguage, En) => "Change language: /language fi, sv or en",
            (CommandAppeal, Fi) => "Pyydä eston tarkistamista: /appeal ja perustelusi",
            (CommandAppeal, Sv) => "Begär omprövning av en blockering: /appeal och dina skäl",
            (CommandAppeal, En) => "Ask for a block to be reviewed: /appeal and your reasons",
        }
    }
}

/// The text of a guard's notice in a language.
pub fn notice(n: &crate::guard::Notice, lang: Lang) -> String {
    use crate::guard::{BlockReason, Notice};
    match n {
        Notice::SlowDown => Text::SlowDown.get(lang).to_string(),
        Notice::GeneralOnly => Text::CaseSpecific.get(lang).to_string(),
        Notice::AppealReceived => match lang {
            Lang::Fi => "Valituksesi on vastaanotettu. Ylläpitäjä käsittelee sen.",
            Lang::Sv => "Din överklagan har tagits emot. En moderator granskar den.",
            Lang::En => "Your appeal has been received. A moderator will review it.",
        }
        .to_string(),
        Notice::Restricted => match lang {
            Lang::Fi => "Tietojesi käsittelyä on pyynnöstäsi rajoitettu: viestejäsi ei käsitellä eikä tallenneta. Rajoituksen voi purkaa ottamalla yhteyttä tietosuojavastaavaan.",
            Lang::Sv => "Behandlingen av dina uppgifter har begränsats på din begäran: dina meddelanden behandlas inte och sparas inte. Kontakta dataskyddsombudet för att häva begränsningen.",
            Lang::En => "Processing of your data has been restricted at your request: your messages are not processed or stored. Contact the data protection officer to lift the restriction.",
        }
        .to_string(),
        Notice::Blocked { reason, until } => {
            let why = match (reason, lang) {
                (BlockReason::Strikes, Lang::Fi) => "käyttöehtoja on rikottu toistuvasti",
                (BlockReason::Strikes, Lang::Sv) => {
                    "användarvillkoren har brutits upprepade gånger"
                }
                (BlockReason::Strikes, Lang::En) => "the terms of use were broken repeatedly",
                (BlockReason::Enumeration, Lang::Fi) => {
                    "palvelusta on kyselty järjestelmällisesti hakemusten tunnisteita"
                }
                (BlockReason::Enumeration, Lang::Sv) => {
                    "tjänsten har använts för att systematiskt fråga efter ärendenummer"
                }
                (BlockReason::Enumeration, Lang::En) => {
                    "the service was used to systematically query case identifiers"
                }
                (BlockReason::Moderator, Lang::Fi) => {
                    "ylläpitäjä on estänyt käyttäjän käyttöehtojen vastaisen toiminnan vuoksi"
                }
                (BlockReason::Moderator, Lang::Sv) => {
                    "en moderator har blockerat användaren för brott mot användarvillkoren"
                }
                (BlockReason::Moderator, Lang::En) => {
                    "a moderator blocked the user for breaking the terms of use"
                }
            };
            let when = match until {
                Some(t) => match lang {
                    Lang::Fi => format!("Esto on voimassa {} asti.", format_time(*t, lang)),
                    Lang::Sv => format!("Blockeringen gäller till {}.", format_time(*t, lang)),
                    Lang::En => format!("The block lasts until {}.", format_time(*t, lang)),
                },
                None => match lang {
                    Lang::Fi => {
                        "Esto on voimassa, kunnes ylläpitäjä on käsitellyt sen.".to_string()
                    }
                    Lang::Sv => {
                        "Blockeringen gäller tills en moderator har granskat den.".to_string()
                    }
                    Lang::En => "The block lasts until a moderator has reviewed it.".to_string(),
                },
            };
            match lang {
                Lang::Fi => format!("Sinut on estetty käyttämästä tätä palvelua, koska {why}. {when} Voit pyytää eston tarkistamista lähettämällä viestin, joka alkaa sanalla /valitus, ja kirjoittamalla perustelusi sen perään."),
                Lang::Sv => format!("Du har blockerats från tjänsten eftersom {why}. {when} Du kan begära omprövning genom att skicka ett meddelande som börjar med /överklaga följt av din motivering."),
                Lang::En => format!("You have been blocked from this service because {why}. {when} To ask for a review, send a message starting with /appeal followed by your reasons."),
            }
        }
    }
}

/// A UTC time as each language writes it.
pub fn format_time(micros: crate::clock::Micros, lang: Lang) -> String {
    let secs = micros / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m) = (rem / 3600, (rem % 3600) / 60);
    let (y, mo, d) = kanava_store::calendar::civil_from_days(days as i64);
    match lang {
        Lang::Fi => format!("{d}.{mo}.{y} klo {h:02}.{m:02} UTC"),
        Lang::Sv => format!("{y}-{mo:02}-{d:02} kl. {h:02}:{m:02} UTC"),
        Lang::En => format!("{y}-{mo:02}-{d:02} {h:02}:{m:02} UTC"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_and_block_notices_in_three_languages() {
        use crate::guard::{BlockReason, Notice};
        // 2026-11-24 20:40 UTC
        let t = 1_795_552_800_000_000;
        assert_eq!(super::format_time(t, Lang::Fi), "24.11.2026 klo 20.40 UTC");
        assert_eq!(super::format_time(t, Lang::Sv), "2026-11-24 kl. 20:40 UTC");
        let n = Notice::Blocked {
            reason: BlockReason::Enumeration,
            until: Some(t),
        };
        let [fi, sv, en] = Lang::ALL.map(|l| super::notice(&n, l));
        assert!(fi.contains("/valitus") && fi.contains("24.11.2026"));
        assert!(sv.contains("/överklaga") && sv.contains("2026-11-24"));
        assert!(en.contains("/appeal") && en.contains("2026-11-24"));
    }

    use super::*;

    #[test]
    fn every_text_exists_in_every_language_and_differs() {
        for t in Text::ALL {
            let [fi, sv, en] = Lang::ALL.map(|l| t.get(l));
            assert!(!fi.is_empty() && !sv.is_empty() && !en.is_empty());
            assert!(fi != sv && sv != en && fi != en, "{t:?} is not translated");
        }
    }
}
