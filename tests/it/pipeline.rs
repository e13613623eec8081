//! The engine's pipeline on the in-memory backend and a manual clock.

use std::sync::Arc;

use kanava::clock::{ManualClock, MINUTE};
use kanava::engine::{Engine, EngineConfig, Parts};
use kanava::guard::OpenGuard;
use kanava::metrics::Metrics;
use kanava::policy::AllGeneral;
use kanava::redact::PiiRedactor;
use kanava::storage::{
    ConversationKey, ConversationStore, Erased, FeedbackRecord, Identity, RecordClass, RecordKey,
    SessionState, Stats, StoreError, StoreFuture, SubjectRecords, TranscriptRecord,
};
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, OutboundKind, UserIdentity};

fn engine_with(store: Arc<dyn ConversationStore>, clock: Arc<ManualClock>) -> Engine {
    engine_judging(store, clock, Arc::new(AllGeneral))
}

fn engine_judging(
    store: Arc<dyn ConversationStore>,
    clock: Arc<ManualClock>,
    classifier: Arc<dyn kanava::policy::Classifier>,
) -> Engine {
    Engine::new(
        Parts {
            knowledge: Arc::new(crate::retrieval::kb()),
            store,
            guard: Arc::new(OpenGuard),
            redactor: Arc::new(PiiRedactor),
            classifier,
            clock,
            metrics: Metrics::new(),
        },
        EngineConfig::default(),
    )
}

fn msg(chat: &str, event: Event) -> Inbound {
    Inbound {
        identity: UserIdentity::new(ChannelId::new("test"), chat),
        chat: ChatId::new(chat),
        event,
        client: None,
    }
}

fn text(chat: &str, t: &str) -> Inbound {
    msg(chat, Event::Text(t.into()))
}

#[tokio::test]
async fn language_choice_holds_for_the_session_and_a_new_session_starts_after_idle() {
    let store = kanava::storage::temporary().conversations;
    let clock = Arc::new(ManualClock::new(1_700_000_000_000_000));
    let e = engine_with(store.clone(), clock.clone());

    let t = e
        .turn(text("c1", "Miten voin seurata hakemukseni käsittelyä?"))
        .await;
    assert_eq!(t.replies[0].lang, Lang::Fi);
    let t = e.turn(text("c1", "How can I follow my application?")).await;
    assert_eq!(
        t.replies[0].lang,
        Lang::En,
        "detected per message when not chosen"
    );

    let t = e.turn(text("c1", "/språk sv")).await;
    assert_eq!(
        (t.replies[0].kind, t.replies[0].lang),
        (OutboundKind::Acknowledgement, Lang::Sv)
    );
    let t = e.turn(text("c1", "How can I follow my application?")).await;
    assert_eq!(t.replies[0].lang, Lang::Sv, "a chosen language holds");
    assert_eq!(t.replies[0].topic.as_deref(), Some("follow-application"));

    let all = store.transcript_all().await.expect("records");
    let first_session = all[0].session.clone();
    assert!(all.iter().all(|r| r.session == first_session));

    clock.advance(31 * MINUTE);
    e.turn(text("c1", "Kuinka kauan käsittely kestää?")).await;
    let all = store.transcript_all().await.expect("records");
    assert_ne!(
        all.last().expect("record").session,
        first_session,
        "idle timeout starts a new session"
    );
}

#[tokio::test]
async fn sessions_survive_a_restart_of_the_engine() {
    let store = kanava::storage::temporary().conversations;
    let clock = Arc::new(ManualClock::new(1_700_000_000_000_000));
    let e = engine_with(store.clone(), clock.clone());
    e.turn(text("c2", "/language en")).await;
    drop(e);
    let e = engine_with(store.clone(), clock.clone());
    let t = e.turn(text("c2", "Kuinka kauan käsittely kestää?")).await;
    assert_eq!(t.replies[0].lang, Lang::En);
}

#[tokio::test]
async fn fallback_offers_at_most_three_topics() {
    let store = kanava::storage::temporary().conversations;
    let e = engine_with(store, Arc::new(ManualClock::new(1)));
    let t = e.turn(text("c3", "what is the capital of australia")).await;
    assert_eq!(t.outcome, "fallback");
    assert_eq!(t.replies[0].kind, OutboundKind::Fallback);
    assert!(t.replies[0].suggestions.len() <= 3);
    assert!(t.replies[0].feedback.is_none());
}

#[tokio::test]
async fn chosen_topics_and_feedback_are_stored() {
    let store = kanava::storage::temporary().conversations;
    let e = engine_with(store.clone(), Arc::new(ManualClock::new(1)));
    let t = e
        .turn(msg("c4", Event::ChooseTopic("data-rights".into())))
        .await;
    let id = t.replies[0].feedback.clone().expect("answers can be rated");
    let other = e
        .turn(msg(
            "someone-else",
            Event::Feedback {
                reply: id.clone(),
                helpful: false,
            },
        ))
        .await;
    assert_eq!(
        other.outcome, "feedback_rejected",
        "cannot rate another conversation's answer"
    );
    let ok = e
        .turn(msg(
            "c4",
            Event::Feedback {
                reply: id,
                helpful: true,
            },
        ))
        .await;
    assert_eq!(ok.outcome, "feedback");
    assert_eq!(store.stats().await.expect("stats").feedback, 1);
    assert_eq!(
        store
            .records_of(&Identity::new("test", "c4"))
            .await
            .expect("export")
            .transcripts
            .len(),
        2
    );
}

/// A store whose disk is gone: every write fails.
#[derive(Debug)]
struct BrokenStore;

fn fails<T: Send + 'static>() -> StoreFuture<T> {
    Box::pin(async { Err(StoreError::Closed) })
}

fn empty<T: Default + Send + 'static>() -> StoreFuture<T> {
    Box::pin(async { Ok(T::default()) })
}

impl ConversationStore for BrokenStore {
    fn append_turn(
        &self,
        _: &ConversationKey,
        _: &SessionState,
        _: Vec<TranscriptRecord>,
    ) -> StoreFuture<Vec<RecordKey>> {
        fails()
    }
    fn save_session(&self, _: &ConversationKey, _: &SessionState) -> StoreFuture<()> {
        fails()
    }
    fn append_feedback(&self, _: FeedbackRecord) -> StoreFuture<()> {
        fails()
    }
    fn load_session(&self, _: &ConversationKey) -> StoreFuture<Option<SessionState>> {
        empty()
    }
    fn transcript_record(&self, _: RecordKey) -> StoreFuture<Option<TranscriptRecord>> {
        empty()
    }
    fn transcript_all(&self) -> StoreFuture<Vec<TranscriptRecord>> {
        empty()
    }
    fn stats(&self) -> StoreFuture<Stats> {
        empty()
    }
    fn records_of(&self, _: &Identity) -> StoreFuture<SubjectRecords> {
        empty()
    }
    fn erase_of(&self, _: &Identity) -> StoreFuture<Erased> {
        fails()
    }
    fn purge(&self, _: RecordClass, _: u64, _: usize) -> StoreFuture<u64> {
        fails()
    }
    fn flush(&self) -> StoreFuture<()> {
        fails()
    }
    fn due(&self, _: RecordClass, _: u64) -> StoreFuture<u64> {
        empty()
    }
    fn oldest(&self, _: RecordClass) -> StoreFuture<Option<u64>> {
        empty()
    }
}

#[tokio::test]
async fn no_answer_is_sent_unless_the_question_was_stored() {
    let e = engine_with(Arc::new(BrokenStore), Arc::new(ManualClock::new(1)));
    let t = e.turn(text("c5", "Enter Finland ei toimi")).await;
    assert_eq!(t.outcome, "error");
    assert_eq!(t.replies[0].kind, OutboundKind::Error);
    assert!(t.replies[0].body.to_plain().contains("häiriö"));
}

#[tokio::test]
async fn an_appeal_from_someone_not_blocked_says_so_in_their_language() {
    let store = kanava::storage::temporary().conversations;
    let e = engine_with(store, Arc::new(ManualClock::new(1_700_000_000_000_000)));
    for (cmd, lang) in [
        ("/appeal", Lang::En),
        ("/valitus en ole tehnyt mitään", Lang::Fi),
        ("/överklaga", Lang::Sv),
    ] {
        let chat = format!("appeal-{lang}");
        e.turn(msg(&chat, Event::SetLanguage(lang))).await;
        let t = e.turn(text(&chat, cmd)).await;
        assert_eq!(t.replies.len(), 1, "{cmd}");
        assert_eq!(t.replies[0].kind, OutboundKind::Refusal, "{cmd}");
        assert_eq!(t.replies[0].topic, None, "{cmd}: answered as a question");
        assert_eq!(
            t.replies[0].body.to_plain().trim(),
            kanava::i18n::Text::NotBlocked.get(lang),
            "{cmd}"
        );
    }
}

fn engine_classifying(clock: Arc<ManualClock>) -> Engine {
    engine_judging(
        kanava::storage::temporary().conversations,
        clock,
        Arc::new(kanava::policy::RuleClassifier),
    )
}

#[tokio::test]
async fn small_talk_gets_a_short_answer_in_its_language() {
    let e = engine_with(
        kanava::storage::temporary().conversations,
        Arc::new(ManualClock::new(1_700_000_000_000_000)),
    );
    for (said, lang, answer) in [
        ("Hei!", Lang::Fi, kanava::i18n::Text::SmallTalkGreeting),
        (
            "tack så mycket",
            Lang::Sv,
            kanava::i18n::Text::SmallTalkThanks,
        ),
        ("Are you a bot?", Lang::En, kanava::i18n::Text::SmallTalkBot),
    ] {
        let t = e.turn(text(&format!("talk-{lang}"), said)).await;
        assert_eq!(t.outcome, "smalltalk", "{said}");
        assert_eq!(t.replies.len(), 1, "{said}");
        assert_eq!(t.replies[0].lang, lang, "{said}");
        assert_eq!(
            t.replies[0].body.to_plain().trim(),
            answer.get(lang),
            "{said}"
        );
    }
    // A greeting in front of a question is a question.
    let t = e
        .turn(text(
            "talk-q",
            "Hei, miten haen oleskelulupaa työntekoa varten?",
        ))
        .await;
    assert_ne!(t.outcome, "smalltalk");
}

#[tokio::test]
async fn another_authoritys_matter_is_redirected_and_counted_as_a_fallback() {
    let e = engine_with(
        kanava::storage::temporary().conversations,
        Arc::new(ManualClock::new(1_700_000_000_000_000)),
    );
    let t = e
        .turn(text("else", "Mistä saan verokortin uuteen työpaikkaan?"))
        .await;
    assert_eq!(t.outcome, "out_of_scope");
    assert_eq!(t.replies[0].kind, OutboundKind::Fallback);
    assert_eq!(t.replies[0].topic.as_deref(), Some("elsewhere-taxes"));
    assert!(t.replies[0].body.to_plain().contains("Verohallinto"));
    // Redirects are never offered as suggestions.
    let kb = crate::retrieval::kb();
    for topic in kb.topics() {
        for r in &topic.related {
            assert!(!r.starts_with("elsewhere-"), "{} suggests {r}", topic.id);
        }
    }
}

#[tokio::test]
async fn own_situation_gets_the_general_answer_and_a_case_request_the_refusal() {
    let e = engine_classifying(Arc::new(ManualClock::new(1_700_000_000_000_000)));
    let t = e
        .turn(text(
            "own",
            "My husband lost his residence permit card abroad",
        ))
        .await;
    assert_eq!(t.outcome, "answered", "{:?}", t.replies);
    assert_eq!(t.replies[0].topic.as_deref(), Some("residence-card"));
    assert!(t.replies[0]
        .body
        .to_plain()
        .contains(kanava::i18n::Text::CaseNote.get(Lang::En)));
    let t = e
        .turn(text("case", "What is the status of my application?"))
        .await;
    assert_eq!(t.outcome, "case_specific");
    assert_eq!(t.replies[0].kind, OutboundKind::Refusal);
    let offered: Vec<&str> = t.replies[0]
        .suggestions
        .iter()
        .map(|s| s.topic.as_str())
        .collect();
    assert_eq!(
        offered,
        ["follow-application", "processing-time", "human-advisor"]
    );
}

/// Every message within the web chat's size limit (4,096 characters) costs little: one long
/// unknown word used to cost minutes of typo correction (2,100 letters: ~100 s). The bound
/// below is two orders of magnitude above a normal question in a debug build, far below the
/// defect; the speed itself is measured in `benches/`.
mod bounded_cost {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    const LIMIT: Duration = Duration::from_millis(1500);

    /// One engine and runtime for every case (loading the knowledge base per case would
    /// dominate the run).
    fn shared() -> &'static (tokio::runtime::Runtime, Engine) {
        static SHARED: std::sync::OnceLock<(tokio::runtime::Runtime, Engine)> =
            std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            let engine = Engine::new(
                Parts {
                    knowledge: Arc::new(crate::retrieval::kb()),
                    store: kanava::storage::temporary().conversations,
                    guard: Arc::new(OpenGuard),
                    redactor: Arc::new(PiiRedactor),
                    classifier: Arc::new(kanava::policy::RuleClassifier),
                    clock: Arc::new(ManualClock::new(1_700_000_000_000_000)),
                    metrics: Metrics::new(),
                },
                EngineConfig::default(),
            );
            (tokio::runtime::Runtime::new().expect("runtime"), engine)
        })
    }

    fn timed(text: &str) -> Duration {
        let (rt, e) = shared();
        let t = Instant::now();
        let turn = rt.block_on(e.turn(super::text("cost", text)));
        assert!(!turn.replies.is_empty());
        t.elapsed()
    }

    #[test]
    fn the_worst_shapes_we_know() {
        let near_words = "oleskelulupahakemuksenkäsittelyaika".repeat(117);
        for text in [
            "a".repeat(4096),
            "käsittelyaika".repeat(315),
            near_words.chars().take(4096).collect(),
            "abcdefghijklmnopqrstuvwxyzåäö"
                .repeat(141)
                .chars()
                .take(4096)
                .collect(),
            "hakemus ".repeat(512),
            "x1".repeat(2048),
        ] {
            let took = timed(&text);
            assert!(took < LIMIT, "{} chars took {took:?}", text.chars().count());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_message_within_the_limit(
            text in proptest::string::string_regex("[a-zäöå ]{1,4}[a-zäöåA-Z0-9 .,?-]{0,4090}")
                .expect("regex")
        ) {
            let took = timed(&text);
            prop_assert!(took < LIMIT, "{} chars took {:?}", text.chars().count(), took);
        }
    }
}
