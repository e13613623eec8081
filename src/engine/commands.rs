//! Text commands every channel understands (`/start`, `/help`, `/language sv`), so users of
//! channels without buttons can do what buttons do.

use kanava_adapter::{Event, Lang};

/// What a command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// An event the engine handles as if a button had been pressed.
    Event(Event),
    /// A language command with an unknown language.
    UnknownLanguage,
}

/// Parses a message that starts with `/`; `None` for ordinary text.
pub fn parse(text: &str) -> Option<Command> {
    let rest = text.trim().strip_prefix('/')?;
    let mut parts = rest.split_whitespace();
    // Telegram appends the bot's name in groups: /help@kanava_bot.
    let name = parts.next()?.split('@').next()?.to_lowercase();
    let arg = parts.next();
    match name.as_str() {
        "start" | "aloita" | "börja" => Some(Command::Event(Event::Start)),
        "help" | "apua" | "ohje" | "hjälp" => Some(Command::Event(Event::Help)),
        "language" | "lang" | "kieli" | "språk" | "sprak" => Some(
            arg.and_then(|a| a.parse::<Lang>().ok())
                .map_or(Command::UnknownLanguage, |l| {
                    Command::Event(Event::SetLanguage(l))
                }),
        ),
        _ => None,
    }
}

/// Whether the message is an appeal command (`/appeal`, `/valitus`, `/överklaga`), with or
/// without reasons.
pub fn is_appeal(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('/')
        .and_then(|r| r.split(char::is_whitespace).next())
        .and_then(|name| name.split('@').next())
        .is_some_and(|name| {
            matches!(
                name.to_lowercase().as_str(),
                "appeal" | "valitus" | "överklaga" | "overklaga"
            )
        })
}

/// The text of an appeal (`/appeal …`, `/valitus …`, `/överklaga …`), if the message is one.
pub fn appeal(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (name, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    matches!(
        name.to_lowercase().as_str(),
        "appeal" | "valitus" | "överklaga" | "overklaga"
    )
    .then_some(body.trim())
    .filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_in_three_languages() {
        assert!(matches!(
            parse("/kieli sv"),
            Some(Command::Event(Event::SetLanguage(Lang::Sv)))
        ));
        assert!(matches!(
            parse("/språk EN"),
            Some(Command::Event(Event::SetLanguage(Lang::En)))
        ));
        assert!(matches!(parse("/language"), Some(Command::UnknownLanguage)));
        assert!(matches!(
            parse("/help@kanava_bot"),
            Some(Command::Event(Event::Help))
        ));
        assert!(parse("hello /help").is_none());
        for a in [
            "/appeal",
            "/valitus miksi?",
            "/Överklaga",
            "/appeal@kanava_bot",
        ] {
            assert!(is_appeal(a), "{a}");
        }
        assert!(!is_appeal("appeal") && !is_appeal("/appealing"));
        assert!(parse("/unknown").is_none());
    }
}
