//! Small talk: greetings, thanks, goodbyes and "are you a bot?".
//!
//! These get a short friendly answer instead of a fallback. Only a message that is *nothing
//! but* small talk counts: "hei, miten haen oleskelulupaa?" is a question and goes to retrieval.
//! The phrases are matched on a folded form (lowercase, punctuation and emoji dropped, spaces
//! collapsed), so the check is one pass over a short message and a set lookup.

use kanava_adapter::Lang;

use crate::i18n::Text;

/// What kind of small talk a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Goodbye,
    AreYouABot,
}

impl SmallTalk {
    /// The answer.
    pub fn text(self) -> Text {
        match self {
            SmallTalk::Greeting => Text::SmallTalkGreeting,
            SmallTalk::Thanks => Text::SmallTalkThanks,
            SmallTalk::Goodbye => Text::SmallTalkGoodbye,
            SmallTalk::AreYouABot => Text::SmallTalkBot,
        }
    }
}

/// Longer messages are never small talk; this also bounds the work done here.
const MAX_CHARS: usize = 60;

// (folded phrase, kind, language). Words shared by languages ("hei", "moi", "ok") carry the
// language most users who write them use; the engine prefers a language the user chose.
const PHRASES: &[(&str, SmallTalk, Lang)] = {
    use Lang::{En, Fi, Sv};
    use SmallTalk::{AreYouABot, Goodbye, Greeting, Thanks};
    &[
        ("hei", Greeting, Fi),
        ("hei hei", Goodbye, Fi),
        ("moi", Greeting, Fi),
        ("moikka", Greeting, Fi),
        ("moro", Greeting, Fi),
        ("terve", Greeting, Fi),
        ("hyvää päivää", Greeting, Fi),
        ("hyvää huomenta", Greeting, Fi),
        ("hyvää iltaa", Greeting, Fi),
        ("päivää", Greeting, Fi),
        ("kiitos", Thanks, Fi),
        ("kiitos paljon", Thanks, Fi),
        ("kiitoksia", Thanks, Fi),
        ("kiitti", Thanks, Fi),
        ("kiitos avusta", Thanks, Fi),
        ("kiitos vastauksesta", Thanks, Fi),
        ("kiitos tiedosta", Thanks, Fi),
        ("kiitos hei", Thanks, Fi),
        ("näkemiin", Goodbye, Fi),
        ("moi moi", Goodbye, Fi),
        ("heippa", Goodbye, Fi),
        ("oletko botti", AreYouABot, Fi),
        ("oletko robotti", AreYouABot, Fi),
        ("oletko ihminen", AreYouABot, Fi),
        ("oletko oikea ihminen", AreYouABot, Fi),
        ("oletko chatbot", AreYouABot, Fi),
        ("puhunko robotin kanssa", AreYouABot, Fi),
        ("puhunko ihmisen kanssa", AreYouABot, Fi),
        ("hej", Greeting, Sv),
        ("hejsan", Greeting, Sv),
        ("hallå", Greeting, Sv),
        ("god dag", Greeting, Sv),
        ("god morgon", Greeting, Sv),
        ("god kväll", Greeting, Sv),
        ("tack", Thanks, Sv),
        ("tack så mycket", Thanks, Sv),
        ("tusen tack", Thanks, Sv),
        ("tack för hjälpen", Thanks, Sv),
        ("tack för svaret", Thanks, Sv),
        ("hej då", Goodbye, Sv),
        ("hejdå", Goodbye, Sv),
        ("adjö", Goodbye, Sv),
        ("vi hörs", Goodbye, Sv),
        ("är du en robot", AreYouABot, Sv),
        ("är du en bot", AreYouABot, Sv),
        ("är du en chattbot", AreYouABot, Sv),
        ("är du en människa", AreYouABot, Sv),
        ("är du en riktig människa", AreYouABot, Sv),
        ("pratar jag med en robot", AreYouABot, Sv),
        ("pratar jag med en människa", AreYouABot, Sv),
        ("hi", Greeting, En),
        ("hello", Greeting, En),
        ("hello there", Greeting, En),
        ("hey", Greeting, En),
        ("good morning", Greeting, En),
        ("good afternoon", Greeting, En),
        ("good evening", Greeting, En),
        ("thanks", Thanks, En),
        ("thank you", Thanks, En),
        ("thank you very much", Thanks, En),
        ("thanks a lot", Thanks, En),
        ("thank you so much", Thanks, En),
        ("thanks for your help", Thanks, En),
        ("thank you for your help", Thanks, En),
        ("thx", Thanks, En),
        ("bye", Goodbye, En),
        ("goodbye", Goodbye, En),
        ("bye bye", Goodbye, En),
        ("see you", Goodbye, En),
        ("are you a bot", AreYouABot, En),
        ("are you a robot", AreYouABot, En),
        ("are you a chatbot", AreYouABot, En),
        ("are you human", AreYouABot, En),
        ("are you a human", AreYouABot, En),
        ("are you a real person", AreYouABot, En),
        ("am i talking to a bot", AreYouABot, En),
        ("am i talking to a human", AreYouABot, En),
        ("is this a bot", AreYouABot, En),
    ]
};

/// The small talk `text` is, with the language its phrase belongs to, or `None` for anything
/// else (questions included).
pub fn recognise(text: &str) -> Option<(SmallTalk, Lang)> {
    if text.chars().count() > MAX_CHARS {
        return None;
    }
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    PHRASES
        .iter()
        .find(|(p, _, _)| *p == folded)
        .map(|&(_, kind, lang)| (kind, lang))
}

/// Lowercase words joined by single spaces; punctuation, symbols and emoji dropped.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_of_small_talk_are_recognised() {
        assert_eq!(recognise("Hei!"), Some((SmallTalk::Greeting, Lang::Fi)));
        assert_eq!(
            recognise("Kiitos paljon :)"),
            Some((SmallTalk::Thanks, Lang::Fi))
        );
        assert_eq!(
            recognise("Tack så mycket!"),
            Some((SmallTalk::Thanks, Lang::Sv))
        );
        assert_eq!(
            recognise("Are you a bot?"),
            Some((SmallTalk::AreYouABot, Lang::En))
        );
        assert_eq!(
            recognise("  hej   då "),
            Some((SmallTalk::Goodbye, Lang::Sv))
        );
        assert_eq!(recognise("👋 hello"), Some((SmallTalk::Greeting, Lang::En)));
    }

    #[test]
    fn questions_with_a_greeting_are_not_small_talk() {
        assert_eq!(recognise("Hei, miten haen oleskelulupaa?"), None);
        assert_eq!(recognise("thanks, but how long does it take"), None);
        assert_eq!(recognise("hej, vad kostar ansökan"), None);
        assert_eq!(recognise(""), None);
        assert_eq!(recognise("!!!"), None);
        assert_eq!(recognise(&"hei ".repeat(40)), None);
    }

    #[test]
    fn every_phrase_is_already_folded_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (p, _, _) in PHRASES {
            assert_eq!(fold(p), *p, "phrase {p:?} is not in folded form");
            assert!(seen.insert(*p), "phrase {p:?} twice");
        }
    }
}
