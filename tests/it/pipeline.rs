//! The engine's pipeline on a temporary sled database and a manual clock.

use std::sync::Arc;

use futures::future::BoxFuture;
use kanava::clock::{ManualClock, MINUTE};
use kanava::engine::{Engine, EngineConfig, Parts};
use kanava::guard::OpenGuard;
use kanava::metrics::Metrics;
use kanava::policy::AllGeneral;
use kanava::redact::PiiRedactor;
use kanava::storage::{
    ConversationKey, FeedbackRecord, RecordKey, SessionState, SledStore, Stats, Store, StoreError,
    TranscriptRecord,
};
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, OutboundKind, UserIdentity};

fn engine_with(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Engine {
    Engine::new(
        Parts {
            knowledge: Arc::new(crate::retrieval::kb()),
            store,
            guard: Arc::new(OpenGuard),
            redactor: Arc::new(PiiRedactor),
            classifier: Arc::new(AllGeneral),
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
    }
}

fn text(chat: &str, t: &str) -> Inbound {
    msg(chat, Event::Text(t.into()))
}

#[tokio::test]
async fn language_choice_holds_for_the_session_and_a_new_session_starts_after_idle() {
    let store = Arc::new(SledStore::temporary().expect("db"));
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

    let all = store.transcript_all().expect("records");
    let first_session = all[0].session.clone();
    assert!(all.iter().all(|r| r.session == first_session));

    clock.advance(31 * MINUTE);
    e.turn(text("c1", "Kuinka kauan käsittely kestää?")).await;
    let all = store.transcript_all().expect("records");
    assert_ne!(
        all.last().expect("record").session,
        first_session,
        "idle timeout starts a new session"
    );
}

#[tokio::test]
async fn sessions_survive_a_restart_of_the_engine() {
    let store = Arc::new(SledStore::temporary().expect("db"));
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
    let store = Arc::new(SledStore::temporary().expect("db"));
    let e = engine_with(store, Arc::new(ManualClock::new(1)));
    let t = e.turn(text("c3", "what is the capital of australia")).await;
    assert_eq!(t.outcome, "fallback");
    assert_eq!(t.replies[0].kind, OutboundKind::Fallback);
    assert!(t.replies[0].suggestions.len() <= 3);
    assert!(t.replies[0].feedback.is_none());
}

#[tokio::test]
async fn chosen_topics_and_feedback_are_stored() {
    let store = Arc::new(SledStore::temporary().expect("db"));
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
    assert_eq!(store.stats().expect("stats").feedback, 1);
    assert_eq!(store.transcript_of("test", "c4").expect("export").len(), 2);
}

/// A store whose disk is gone: every write fails.
#[derive(Debug)]
struct BrokenStore;

impl Store for BrokenStore {
    fn append_turn(
        &self,
        _: &ConversationKey,
        _: &SessionState,
        _: Vec<TranscriptRecord>,
    ) -> BoxFuture<'static, Result<Vec<RecordKey>, StoreError>> {
        Box::pin(async { Err(StoreError::Closed) })
    }
    fn save_session(
        &self,
        _: &ConversationKey,
        _: &SessionState,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Closed) })
    }
    fn append_feedback(&self, _: FeedbackRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Closed) })
    }
    fn load_session(&self, _: &ConversationKey) -> Result<Option<SessionState>, StoreError> {
        Ok(None)
    }
    fn transcript_record(&self, _: &RecordKey) -> Result<Option<TranscriptRecord>, StoreError> {
        Ok(None)
    }
    fn transcript_of(&self, _: &str, _: &str) -> Result<Vec<TranscriptRecord>, StoreError> {
        Ok(Vec::new())
    }
    fn transcript_all(&self) -> Result<Vec<TranscriptRecord>, StoreError> {
        Ok(Vec::new())
    }
    fn stats(&self) -> Result<Stats, StoreError> {
        Ok(Stats::default())
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
