//! The adapter contract suite: the same conversation checks, run against every channel through
//! its real protocol (the web chat's WebSocket, Telegram's Bot API emulator, …).
//!
//! A channel joins by implementing [`Channel`] for a harness that starts kanava with that
//! channel and plays one user; `contract_suite!` then generates one test per case.

pub mod botframework;
pub mod matrix;
pub mod telegram;
pub mod webchat;

use std::path::Path;
use std::time::Duration;

use kanava_adapter::Lang;

/// One message from the bot as the user saw it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The visible text.
    pub text: String,
    /// Buttons under it (suggested topics, 👍/👎).
    pub buttons: Vec<Button>,
}

/// A button the user can press; `action` is the harness's own encoding.
#[derive(Debug, Clone)]
pub struct Button {
    pub label: String,
    pub action: String,
}

/// One user on one channel of a running kanava.
pub trait Channel: Sized {
    /// Starts kanava with this channel and a fresh user.
    async fn start() -> Self;
    /// The user opens the chat (the platform's start action) with their app in `lang`.
    async fn open(&mut self, lang: &str) -> Vec<Reply>;
    /// The user types `text`; returns what the bot answered (waits for at least one message).
    async fn say(&mut self, text: &str) -> Vec<Reply>;
    /// The user presses a button; returns the answer.
    async fn press(&mut self, button: &Button) -> Vec<Reply>;
    /// The user types `text` and the bot stays silent for a while.
    async fn say_expecting_silence(&mut self, text: &str);
    /// The user does nothing and waits for the bot to write (a message sent outside a reply).
    async fn wait(&mut self) -> Vec<Reply>;
    /// The channel instance name, as the CLI's `--channel` takes it.
    fn channel(&self) -> &str;
    /// The platform user id, as the CLI's `--user` takes it.
    fn user(&self) -> String;
    /// kanava's data directory.
    fn data(&self) -> &Path;
    /// kanava's log so far.
    fn log(&self) -> String;
    /// Whether the platform tells kanava the user's app language (Matrix does not: there the
    /// greeting is in the default language and detection or `/language` takes over).
    fn tells_language(&self) -> bool {
        true
    }
    /// Secrets the channel was configured with, which must never reach the log.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How long a harness waits for more messages after the first one.
pub const QUIET: Duration = Duration::from_millis(400);
/// How long a harness waits for the first message.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn kb() -> &'static kanava::knowledge::KnowledgeBase {
    static KB: std::sync::OnceLock<kanava::knowledge::KnowledgeBase> = std::sync::OnceLock::new();
    KB.get_or_init(crate::retrieval::kb)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The topic and language whose answer this reply is: the answer's opening words, which every
/// channel shows whatever its markup.
pub fn topic_of(reply: &Reply) -> Option<(String, Lang)> {
    use kanava_adapter::{Block, Inline};
    let text = squash(&reply.text);
    for t in kb().topics() {
        for lang in [Lang::Fi, Lang::Sv, Lang::En] {
            let Some(Block::Paragraph(inl)) = t.text(lang).answer.blocks.first() else {
                continue;
            };
            let opening = match inl.first() {
                Some(Inline::Text(s)) => s.clone(),
                Some(Inline::Link { text, .. }) => text.clone(),
                None => continue,
            };
            let opening: String = squash(&opening).chars().take(30).collect();
            if opening.chars().count() >= 12 && text.starts_with(&opening) {
                return Some((t.id.clone(), lang));
            }
        }
    }
    None
}

fn language_of(text: &str) -> Option<Lang> {
    kb().detect_language(text)
}

fn only(replies: Vec<Reply>) -> Reply {
    assert!(!replies.is_empty(), "no reply");
    replies.into_iter().next_back().expect("a reply")
}

fn answered(replies: &[Reply]) -> Vec<(String, Lang)> {
    replies.iter().filter_map(topic_of).collect()
}

pub mod cases {
    use super::*;

    pub async fn welcomes_in_the_users_language<C: Channel>(mut c: C) {
        let r = c.open("sv").await;
        let text: String = r.iter().map(|m| m.text.as_str()).collect();
        let expected = if c.tells_language() {
            Lang::Sv
        } else {
            Lang::Fi
        };
        assert_eq!(language_of(&text), Some(expected), "{text}");
        assert!(
            r.iter().any(|m| !m.buttons.is_empty()),
            "the welcome offers topics: {r:?}"
        );
    }

    pub async fn answers_questions_in_finnish_and_swedish<C: Channel>(mut c: C) {
        c.open("fi").await;
        let fi = c
            .say("En pääse kirjautumaan Enter Finlandiin, mitä teen?")
            .await;
        assert_eq!(
            answered(&fi),
            [("enter-finland-outage".to_string(), Lang::Fi)],
            "{fi:?}"
        );
        let sv = c.say("Hur länge tar behandlingen av min ansökan?").await;
        assert_eq!(
            answered(&sv),
            [("processing-time".to_string(), Lang::Sv)],
            "{sv:?}"
        );
    }

    pub async fn language_command_holds_for_the_session<C: Channel>(mut c: C) {
        c.open("fi").await;
        let ack = only(c.say("/language en").await);
        assert_eq!(language_of(&ack.text), Some(Lang::En), "{ack:?}");
        let r = c.say("Tallennetaanko tämä keskustelu?").await;
        assert_eq!(
            answered(&r),
            [("chat-privacy".to_string(), Lang::En)],
            "{r:?}"
        );
    }

    pub async fn suggestions_and_feedback_work_as_buttons<C: Channel>(mut c: C) {
        c.open("en").await;
        let r = only(c.say("Can I rely on the Enter Finland account?").await);
        let topic_button = r
            .buttons
            .iter()
            .find(|b| !b.label.contains('👍') && !b.label.contains('👎'))
            .unwrap_or_else(|| panic!("a suggested topic button: {r:?}"))
            .clone();
        let chosen = c.press(&topic_button).await;
        let (topic, lang) = answered(&chosen)
            .pop()
            .unwrap_or_else(|| panic!("pressing a topic answers it: {chosen:?}"));
        assert_eq!(lang, Lang::En);
        let title = &kb()
            .by_id(&topic)
            .expect("known topic")
            .text(Lang::En)
            .title;
        assert_eq!(
            &topic_button.label, title,
            "the button named the topic it answers"
        );
        let last = chosen.last().expect("answer");
        let up = last
            .buttons
            .iter()
            .find(|b| b.label.contains('👍'))
            .unwrap_or_else(|| panic!("answers can be rated: {last:?}"))
            .clone();
        let thanks = only(c.press(&up).await);
        assert_eq!(language_of(&thanks.text), Some(Lang::En), "{thanks:?}");
        let export = export(&c);
        let feedback = export["feedback"].as_array().expect("feedback list");
        assert_eq!(feedback.len(), 1, "{export}");
        assert_eq!(feedback[0]["helpful"], true, "{export}");
    }

    pub async fn personal_data_is_removed_before_storage_and_logs<C: Channel>(mut c: C) {
        c.open("fi").await;
        let hetu = "131052-308T";
        let r = c
            .say(&format!(
                "Hakemukseni on jonossa, hetu {hetu}, soita 040 1234567. \
                 Terveisin Aino Virtanen, Mannerheimintie 12 A 5"
            ))
            .await;
        assert!(!r.is_empty());
        let export = export(&c).to_string();
        assert!(
            !export.contains(hetu) && !export.contains("1234567"),
            "{export}"
        );
        assert!(
            !export.contains("Virtanen") && !export.contains("Mannerheimintie"),
            "a name and an address reached storage: {export}"
        );
        assert!(
            export.contains("[NAME]") && export.contains("[ADDRESS]"),
            "{export}"
        );
        assert!(
            export.contains("Hakemukseni"),
            "the question itself is kept: {export}"
        );
        let log = c.log();
        assert!(!log.is_empty());
        assert!(
            !log.contains(hetu) && !log.contains("Hakemukseni") && !log.contains("Virtanen"),
            "message text in the log"
        );
        for secret in c.secrets() {
            assert!(!log.contains(&secret), "a channel secret in the log");
        }
    }

    pub async fn blocked_users_get_one_notice_then_silence<C: Channel>(mut c: C) {
        c.open("fi").await;
        let user = c.user();
        crate::support::kanava_data_ok(
            &[
                "block",
                "add",
                "--channel",
                c.channel(),
                "--user",
                &user,
                "--reason",
                "contract test",
                "--hours",
                "24",
                "--moderator",
                "mod-test",
            ],
            c.data(),
        );
        let notice = only(c.say("Kauanko käsittely kestää?").await);
        assert!(
            answered(std::slice::from_ref(&notice)).is_empty(),
            "{notice:?}"
        );
        assert!(
            notice.text.contains("/valitus") || notice.text.contains("/appeal"),
            "{notice:?}"
        );
        c.say_expecting_silence("Kauanko käsittely kestää nyt?")
            .await;
    }

    pub async fn advertising_is_warned_and_strikes_lead_to_a_block<C: Channel>(mut c: C) {
        c.open("en").await;
        let warning = kanava::i18n::Text::Advertising.get(Lang::En);
        let ads = [
            "Buy cheap residence permits, guaranteed! Visit www.example.com",
            "Fast loans without credit check, DM me on telegram",
        ];
        for ad in ads {
            let r = only(c.say(ad).await);
            assert!(squash(&r.text).starts_with(&squash(warning)), "{r:?}");
        }
        // The third strike within 24 h blocks: the warning comes with the block notice.
        let r = only(c.say("Invest in bitcoin now and earn 500% profit").await);
        assert!(
            squash(&r.text).starts_with(&squash(warning)) && r.text.contains("/appeal"),
            "{r:?}"
        );
        c.say_expecting_silence("Why can't I see my queue position anymore?")
            .await;
    }

    /// Push delivery: a moderator decides a blocked user's appeal while kanava serves, and the
    /// decision reaches the user's chat, in their language, without them writing first.
    pub async fn appeal_decisions_reach_the_user_unprompted<C: Channel>(mut c: C) {
        c.open("en").await;
        let first = c
            .say("How long does the processing of an application take?")
            .await;
        assert!(!answered(&first).is_empty(), "{first:?}");
        let (user, channel, data) = (c.user(), c.channel().to_string(), c.data().to_path_buf());
        let staff = |args: &[&str]| {
            let mut v: Vec<&str> = args.to_vec();
            v.extend([
                "--channel",
                &channel,
                "--user",
                &user,
                "--moderator",
                "mod-push",
            ]);
            crate::support::kanava_data_ok(&v, &data)
        };
        staff(&["block", "add", "--reason", "contract test", "--hours", "24"]);
        let received = only(c.say("/appeal I only asked about processing times").await);
        assert_eq!(language_of(&received.text), Some(Lang::En), "{received:?}");
        let decided = staff(&["block", "appeal", "--accept", "--reason", "a mistake"]);
        assert!(decided.contains("\"told\":\"queued\""), "{decided}");
        let pushed = c.wait().await;
        let text: String = pushed.iter().map(|r| squash(&r.text)).collect();
        assert!(
            text.contains(&squash(kanava::i18n::Text::AppealAccepted.get(Lang::En))),
            "the decision, in English: {pushed:?}"
        );
        // The block is gone: the next question is answered.
        let r = c.say("Is this conversation stored?").await;
        assert_eq!(
            answered(&r),
            [("chat-privacy".to_string(), Lang::En)],
            "{r:?}"
        );
    }

    fn export<C: Channel>(c: &C) -> serde_json::Value {
        let user = c.user();
        let out = crate::support::kanava_data_ok(
            &[
                "subject",
                "export",
                "--channel",
                c.channel(),
                "--user",
                &user,
                "--reason",
                "contract test",
                "--staff",
                "dpo-test",
            ],
            c.data(),
        );
        serde_json::from_str(&out).expect("export JSON")
    }
}

/// One test per contract case for a harness type.
macro_rules! contract_suite {
    ($name:ident, $harness:ty) => {
        mod $name {
            use crate::contract::{cases, Channel};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn welcomes_in_the_users_language() {
                cases::welcomes_in_the_users_language(<$harness>::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn answers_questions_in_finnish_and_swedish() {
                cases::answers_questions_in_finnish_and_swedish(<$harness>::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn language_command_holds_for_the_session() {
                cases::language_command_holds_for_the_session(<$harness>::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn suggestions_and_feedback_work_as_buttons() {
                cases::suggestions_and_feedback_work_as_buttons(<$harness>::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn personal_data_is_removed_before_storage_and_logs() {
                cases::personal_data_is_removed_before_storage_and_logs(<$harness>::start().await)
                    .await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn advertising_is_warned_and_strikes_lead_to_a_block() {
                cases::advertising_is_warned_and_strikes_lead_to_a_block(<$harness>::start().await)
                    .await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn appeal_decisions_reach_the_user_unprompted() {
                cases::appeal_decisions_reach_the_user_unprompted(<$harness>::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn blocked_users_get_one_notice_then_silence() {
                cases::blocked_users_get_one_notice_then_silence(<$harness>::start().await).await
            }
        }
    };
}

contract_suite!(webchat_contract, super::webchat::WebChatUser);
contract_suite!(telegram_contract, super::telegram::TelegramUser);
contract_suite!(botframework_contract, super::botframework::DirectLineUser);
contract_suite!(matrix_contract, super::matrix::MatrixUser);
