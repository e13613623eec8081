//! The conversation engine: one channel-agnostic pipeline for every inbound message.
//!
//! guard → redact → session & language → classify → answer → log (durable) → reply.
//! Each step is a seam: [`Guard`], [`Redactor`], [`Classifier`], [`KnowledgeBase`], [`ConversationStore`].

mod commands;
mod session;
mod smalltalk;

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use kanava_adapter::{
    Conversation, Event, Inbound, Lang, Outbound, OutboundKind, ReplyId, RichText, Suggestion,
    UserIdentity,
};
use tracing::{instrument, warn};

use crate::clock::{Clock, Micros};
use crate::guard::{Finding, Guard, GuardDecision, Notice, Violation};
use crate::i18n::Text;
use crate::knowledge::{Decision, KnowledgeBase, TopicKind};
use crate::metrics::Metrics;
use crate::policy::{Classifier, Verdict};
use crate::redact::{Kind, Redactor};
use crate::storage::{
    ConversationKey, ConversationStore, FeedbackRecord, Identity, RecordKey, Role, SessionState,
    TranscriptRecord,
};

pub use session::Sessions;

/// Engine settings (validated config).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// A session ends after this long without messages.
    pub session_idle: Micros,
    /// Language before anything is known.
    pub default_language: Lang,
    /// Below this retrieval confidence the engine falls back to suggestions.
    pub confidence_threshold: f32,
    /// Topics offered on welcome.
    pub welcome_topics: Vec<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            session_idle: 30 * crate::clock::MINUTE,
            default_language: Lang::Fi,
            confidence_threshold: crate::knowledge::DEFAULT_CONFIDENCE_THRESHOLD,
            // What customers ask first; the queue-position service (seed 000) is switched off.
            welcome_topics: ["processing-time", "permit-work", "citizenship-application"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The parts an engine is built from.
#[derive(Debug, Clone)]
pub struct Parts {
    /// Topics.
    pub knowledge: Arc<KnowledgeBase>,
    /// Storage.
    pub store: Arc<dyn ConversationStore>,
    /// Blocks and rate limits.
    pub guard: Arc<dyn Guard>,
    /// Personal data removal.
    pub redactor: Arc<dyn Redactor>,
    /// Terms-of-use classification.
    pub classifier: Arc<dyn Classifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Metrics,
}

/// The conversation engine.
#[derive(Debug)]
pub struct Engine {
    parts: Parts,
    config: EngineConfig,
    sessions: Sessions,
    /// The topics now served: swapped whole when the knowledge files change, so a turn sees
    /// one version from start to end.
    knowledge: std::sync::RwLock<Arc<KnowledgeBase>>,
}

/// What one question led to, for `kanava ask` and tests.
#[derive(Debug, Clone)]
pub struct Turn {
    /// The reply messages.
    pub replies: Vec<Outbound>,
    /// The outcome (`answered`, `fallback`, `case_specific`, …).
    pub outcome: &'static str,
    /// Retrieval confidence, if retrieval ran.
    pub confidence: Option<f32>,
}

impl Turn {
    /// A turn whose reply is one system text.
    fn say(kind: OutboundKind, lang: Lang, text: Text, outcome: &'static str) -> Self {
        Turn {
            replies: vec![Outbound::plain(kind, lang, RichText::text(text.get(lang)))],
            outcome,
            confidence: None,
        }
    }
}

impl Engine {
    /// An engine over the given parts.
    pub fn new(parts: Parts, config: EngineConfig) -> Self {
        let sessions = Sessions::new(
            parts.store.clone(),
            config.session_idle,
            config.default_language,
        );
        Self {
            knowledge: std::sync::RwLock::new(parts.knowledge.clone()),
            parts,
            config,
            sessions,
        }
    }

    /// The knowledge base served now.
    pub fn knowledge(&self) -> Arc<KnowledgeBase> {
        // A poisoned lock still holds a whole Arc (the only write is one assignment).
        self.knowledge
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Serves `knowledge` from the next turn on (turns under way finish with the old one).
    pub fn replace_knowledge(&self, knowledge: Arc<KnowledgeBase>) {
        *self.knowledge.write().unwrap_or_else(|p| p.into_inner()) = knowledge;
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.parts.metrics
    }

    /// The live sessions (erasure forgets an identity's; tests count them).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Handles one event and reports the outcome.
    #[instrument(skip_all, fields(channel = %inbound.identity.channel))]
    pub async fn turn(&self, inbound: Inbound) -> Turn {
        let started = Instant::now();
        let channel = inbound.identity.channel.to_string();
        let turn = self.dispatch(inbound).await;
        self.parts
            .metrics
            .messages
            .with_label_values(&[channel.as_str(), turn.outcome])
            .inc();
        self.parts
            .metrics
            .latency
            .with_label_values(&[channel.as_str()])
            .observe(started.elapsed().as_secs_f64());
        turn
    }

    async fn dispatch(&self, inbound: Inbound) -> Turn {
        let now = self.parts.clock.now();
        // Where the channel sees the client's address, limits, strikes and blocks hold for it
        // too (as a keyed hash): a web chat client that drops its chat token starts nothing
        // afresh.
        let address = inbound.client.and_then(|c| {
            let key = self.parts.guard.identifier_key()?;
            Some(UserIdentity::new(
                inbound.identity.channel.clone(),
                key.address(c.0),
            ))
        });
        let cx = TurnContext {
            conv: ConversationKey {
                channel: inbound.identity.channel.to_string(),
                chat: inbound.chat.to_string(),
            },
            user: inbound.identity.user.clone(),
            hint: inbound.identity.display_language,
            identity: inbound.identity,
            address,
            now,
        };
        // A blocked user may send one appeal; only its redacted form reaches the guard.
        let appeal = match &inbound.event {
            Event::Text(raw) => {
                commands::appeal(raw).map(|t| self.parts.redactor.redact(t).text.into_owned())
            }
            _ => None,
        };
        // Guard, phase one: every event, button presses too, so a blocked user gets no answers.
        for who in cx.subjects() {
            if let GuardDecision::Deny { reason, notice } =
                self.parts.guard.admit(who, now, appeal.as_deref())
            {
                return self.denied(&cx, reason, notice).await;
            }
        }
        match inbound.event {
            Event::Text(raw) => {
                // The raw text ends here: everything after sees only the redactor's output.
                // Case identifiers are reduced to keyed hashes while they are being removed.
                let mut identifiers = Vec::new();
                let key = self.parts.guard.identifier_key();
                let redacted = {
                    let r = self
                        .parts
                        .redactor
                        .redact_observed(&raw, &mut |kind, text| {
                            if let (Kind::Number, Some(k)) = (kind, key) {
                                identifiers.extend(k.hash(text));
                            }
                        });
                    crate::redact::Redacted {
                        text: std::borrow::Cow::Owned(r.text.into_owned()),
                        counts: r.counts,
                    }
                };
                drop(raw);
                // Guard, phase two: what redaction found.
                for who in cx.subjects() {
                    if let GuardDecision::Deny { reason, notice } =
                        self.parts
                            .guard
                            .record(who, now, Finding::Identifiers(&identifiers))
                    {
                        return self.denied(&cx, reason, notice).await;
                    }
                }
                for (kind, n) in redacted.counts.iter() {
                    self.parts
                        .metrics
                        .redactions
                        .with_label_values(&[kind.name()])
                        .inc_by(u64::from(n));
                }
                // The guard let it through, so the user is not blocked: an appeal has nothing
                // to review (Telegram's command menu offers /appeal to everyone).
                if commands::is_appeal(&redacted.text) {
                    let lang = self.sessions.peek_lang(&cx.conv, cx.hint).await;
                    return Turn::say(OutboundKind::Refusal, lang, Text::NotBlocked, "command");
                }
                match commands::parse(&redacted.text) {
                    Some(commands::Command::Event(e)) => self.event(&cx, e).await,
                    Some(commands::Command::UnknownLanguage) => {
                        let lang = self.sessions.peek_lang(&cx.conv, cx.hint).await;
                        Turn::say(
                            OutboundKind::Refusal,
                            lang,
                            Text::LanguageUnknown,
                            "command",
                        )
                    }
                    None => self.question(&cx, redacted).await,
                }
            }
            other => self.event(&cx, other).await,
        }
    }

    async fn denied(&self, cx: &TurnContext, reason: &'static str, notice: Option<Notice>) -> Turn {
        let lang = self.sessions.peek_lang(&cx.conv, cx.hint).await;
        let replies = notice
            .map(|n| {
                vec![Outbound::plain(
                    OutboundKind::Notice,
                    lang,
                    RichText::text(crate::i18n::notice(&n, lang)),
                )]
            })
            .unwrap_or_default();
        Turn {
            replies,
            outcome: reason,
            confidence: None,
        }
    }

    async fn question(&self, cx: &TurnContext, redacted: crate::redact::Redacted<'static>) -> Turn {
        let mut session = self
            .sessions
            .touch(&cx.conv, &cx.user, cx.hint, cx.now)
            .await;
        // Language first, then the verdict; only a general question is ranked, so a refused
        // message costs no retrieval.
        let kb = self.knowledge();
        let detected = kb.detect_language(&redacted.text);
        let session_lang = session.lang;
        if !session.lang_chosen {
            if let Some(l) = detected {
                session.lang = l;
            }
        }
        if let Some((talk, phrase_lang)) = smalltalk::recognise(&redacted.text) {
            // "hej" says more about the language than the detector can from one word.
            if !session.lang_chosen {
                session.lang = phrase_lang;
            }
            let lang = session.lang;
            let user_record = redacted_record(cx, &session, lang, redacted);
            let reply = Reply {
                out: Outbound::plain(
                    OutboundKind::Acknowledgement,
                    lang,
                    RichText::text(talk.text().get(lang)),
                ),
                outcome: "smalltalk",
                confidence: None,
            };
            return self.log_and_reply(cx, session, user_record, reply).await;
        }
        let lang = session.lang;
        let class = self.parts.classifier.classify(&redacted.text, lang);
        let mut confidence = None;
        let (reply, outcome) = match class.verdict {
            Verdict::General | Verdict::OwnSituation => {
                let decision = kb.decide(
                    &redacted.text,
                    detected,
                    Some(session_lang),
                    self.config.confidence_threshold,
                );
                confidence = Some(decision.confidence);
                let (mut out, outcome) = self.answer(&kb, &decision, lang);
                if class.verdict == Verdict::OwnSituation && out.kind == OutboundKind::Answer {
                    out.body.append(RichText::text(Text::CaseNote.get(lang)));
                }
                (out, outcome)
            }
            Verdict::CaseSpecific => {
                let mut out = Outbound::plain(
                    OutboundKind::Refusal,
                    lang,
                    RichText::text(Text::CaseSpecific.get(lang)),
                );
                // Somewhere to go from the refusal: following one's own application, the
                // processing-time estimate, a person.
                out.suggestions = self.suggestions(&kb, CASE_REFUSAL_TOPICS.into_iter(), lang);
                (out, "case_specific")
            }
            Verdict::Advertising => {
                let mut warning = RichText::text(Text::Advertising.get(lang));
                // Guard, phase two: what classification found (a strike; the block notice if
                // it blocks, for the user or their address).
                let mut blocked = None;
                for who in cx.subjects() {
                    let d = self.parts.guard.record(
                        who,
                        cx.now,
                        Finding::Violation(Violation::Advertising),
                    );
                    blocked = blocked.or(d.notice());
                }
                if let Some(n) = blocked {
                    warning.append(RichText::text(crate::i18n::notice(&n, lang)));
                }
                (
                    Outbound::plain(OutboundKind::Notice, lang, warning),
                    "advertising",
                )
            }
        };
        let user_record = redacted_record(cx, &session, lang, redacted);
        let reply = Reply {
            out: reply,
            outcome,
            confidence,
        };
        self.log_and_reply(cx, session, user_record, reply).await
    }

    /// Stores the user's record and the bot's reply, and only then returns the reply.
    async fn log_and_reply(
        &self,
        cx: &TurnContext,
        session: SessionState,
        user_record: TranscriptRecord,
        reply: Reply,
    ) -> Turn {
        let Reply {
            out: mut reply,
            outcome,
            confidence,
        } = reply;
        let (conv, now) = (&cx.conv, cx.now);
        let bot_record = TranscriptRecord {
            role: Role::Bot,
            text: reply.body.to_plain(),
            topic: reply.topic.clone(),
            outcome: Some(outcome.to_string()),
            confidence,
            redactions: Default::default(),
            lang: reply.lang,
            at: now,
            ..user_record.clone()
        };
        let lang = session.lang;
        match self
            .parts
            .store
            .append_turn(conv, &session, vec![user_record, bot_record])
            .await
        {
            Ok(keys) => {
                self.sessions.remember(conv, session);
                if reply.kind == OutboundKind::Answer {
                    reply.feedback = keys.get(1).map(|k| ReplyId(k.to_string()));
                }
                Turn {
                    replies: vec![reply],
                    outcome,
                    confidence,
                }
            }
            Err(e) => {
                warn!(error = %e, "could not store the turn; answering with the unavailable notice");
                Turn {
                    replies: vec![Outbound::plain(
                        OutboundKind::Error,
                        lang,
                        RichText::text(Text::Unavailable.get(lang)),
                    )],
                    outcome: "error",
                    confidence,
                }
            }
        }
    }

    fn answer(&self, kb: &KnowledgeBase, d: &Decision, lang: Lang) -> (Outbound, &'static str) {
        match d.topic.as_deref().and_then(|id| kb.by_id(id)) {
            // Another authority's matter: say who handles it; a fallback in the statistics.
            Some(topic) if topic.kind == TopicKind::Elsewhere => {
                let mut out = self.topic_reply(kb, topic, lang);
                out.kind = OutboundKind::Fallback;
                (out, "out_of_scope")
            }
            Some(topic) => (self.topic_reply(kb, topic, lang), "answered"),
            None => {
                let suggestions =
                    self.suggestions(kb, d.alternatives.iter().map(String::as_str), lang);
                let text = if suggestions.is_empty() {
                    Text::FallbackNoSuggestions
                } else {
                    Text::Fallback
                };
                let mut out =
                    Outbound::plain(OutboundKind::Fallback, lang, RichText::text(text.get(lang)));
                out.suggestions = suggestions;
                (out, "fallback")
            }
        }
    }

    fn topic_reply(
        &self,
        kb: &KnowledgeBase,
        topic: &crate::knowledge::Topic,
        lang: Lang,
    ) -> Outbound {
        let text = topic.text(lang);
        Outbound {
            kind: OutboundKind::Answer,
            lang,
            body: text.answer.clone(),
            topic: Some(topic.id.clone()),
            suggestions: self.suggestions(kb, topic.related.iter().map(String::as_str), lang),
            feedback: None,
        }
    }

    fn suggestions<'a>(
        &self,
        kb: &KnowledgeBase,
        ids: impl Iterator<Item = &'a str>,
        lang: Lang,
    ) -> Vec<Suggestion> {
        ids.filter_map(|id| kb.by_id(id))
            .filter(|t| t.kind == TopicKind::Answer)
            .take(3)
            .map(|t| Suggestion {
                topic: t.id.clone(),
                label: t.text(lang).title.clone(),
            })
            .collect()
    }

    async fn event(&self, cx: &TurnContext, event: Event) -> Turn {
        let (conv, user, hint, now) = (&cx.conv, cx.user.as_str(), cx.hint, cx.now);
        match event {
            Event::Start | Event::Help => {
                let session = self.sessions.touch(conv, user, hint, now).await;
                let lang = session.lang;
                self.sessions.remember(conv, session);
                let (text, kind) = match event {
                    Event::Start => (Text::Welcome, OutboundKind::Welcome),
                    _ => (Text::Help, OutboundKind::Acknowledgement),
                };
                let mut out = Outbound::plain(kind, lang, RichText::text(text.get(lang)));
                let kb = self.knowledge();
                out.suggestions = self.suggestions(
                    &kb,
                    self.config.welcome_topics.iter().map(String::as_str),
                    lang,
                );
                Turn {
                    replies: vec![out],
                    outcome: "command",
                    confidence: None,
                }
            }
            Event::SetLanguage(lang) => {
                let mut session = self.sessions.touch(conv, user, hint, now).await;
                session.lang = lang;
                session.lang_chosen = true;
                let saved = self.parts.store.save_session(conv, &session).await;
                self.sessions.remember(conv, session);
                if let Err(e) = saved {
                    warn!(error = %e, "could not store the language choice");
                }
                Turn::say(
                    OutboundKind::Acknowledgement,
                    lang,
                    Text::LanguageSet,
                    "command",
                )
            }
            Event::ChooseTopic(id) => {
                let session = self.sessions.touch(conv, user, hint, now).await;
                let lang = session.lang;
                let kb = self.knowledge();
                let Some(topic) = kb.by_id(&id) else {
                    return Turn::say(OutboundKind::Notice, lang, Text::UnknownTopic, "fallback");
                };
                let reply = self.topic_reply(&kb, topic, lang);
                let user_record = TranscriptRecord {
                    topic: Some(topic.id.clone()),
                    outcome: Some("chose_topic".into()),
                    ..user_record(cx, &session, lang)
                };
                let reply = Reply {
                    out: reply,
                    outcome: "answered",
                    confidence: Some(1.0),
                };
                self.log_and_reply(cx, session, user_record, reply).await
            }
            Event::Feedback { reply, helpful } => self.feedback(cx, reply, helpful).await,
            Event::Text(_) => Turn {
                replies: Vec::new(),
                outcome: "ignored",
                confidence: None,
            },
        }
    }

    async fn feedback(&self, cx: &TurnContext, reply: ReplyId, helpful: bool) -> Turn {
        let (conv, user, hint, now) = (&cx.conv, cx.user.as_str(), cx.hint, cx.now);
        let lang = self.sessions.peek_lang(conv, hint).await;
        let notice = |t: Text, outcome| Turn::say(OutboundKind::Acknowledgement, lang, t, outcome);
        // Feedback must name a bot answer of this very conversation: ids from elsewhere are
        // refused, so nobody can rate (or probe) other people's conversations.
        let owned = match RecordKey::from_hex(&reply.0) {
            Some(k) => self.parts.store.transcript_record(k).await.map(Some),
            None => Ok(None),
        };
        match owned {
            Ok(Some(Some(r)))
                if r.role == Role::Bot && r.channel == conv.channel && r.chat == conv.chat =>
            {
                let rec = FeedbackRecord {
                    at: now,
                    channel: conv.channel.clone(),
                    user: user.to_string(),
                    chat: conv.chat.clone(),
                    reply: reply.0,
                    helpful,
                };
                match self.parts.store.append_feedback(rec).await {
                    Ok(()) => {
                        let v = if helpful { "up" } else { "down" };
                        self.parts.metrics.feedback.with_label_values(&[v]).inc();
                        notice(Text::FeedbackThanks, "feedback")
                    }
                    Err(e) => {
                        warn!(error = %e, "could not store feedback");
                        notice(Text::Unavailable, "error")
                    }
                }
            }
            Ok(_) => notice(Text::FeedbackUnknown, "feedback_rejected"),
            Err(e) => {
                warn!(error = %e, "could not read the rated answer");
                notice(Text::Unavailable, "error")
            }
        }
    }
}

/// One event's context, built once at the pipeline's entrance and handed to every step.
struct TurnContext {
    /// The conversation (channel instance and chat).
    conv: ConversationKey,
    /// The platform user id.
    user: String,
    /// The user's app language, if the platform says.
    hint: Option<Lang>,
    /// Who wrote.
    identity: UserIdentity,
    /// The client address's keyed identity, where the channel sees one (the web chat).
    address: Option<UserIdentity>,
    /// When the event arrived.
    now: Micros,
}

impl TurnContext {
    /// Whom the guard's rules hold for: the user, and their client address if known.
    fn subjects(&self) -> impl Iterator<Item = &UserIdentity> {
        std::iter::once(&self.identity).chain(self.address.as_ref())
    }
}

/// A reply with what the transcript records about it.
struct Reply {
    out: Outbound,
    /// `answered`, `fallback`, `case_specific`, …
    outcome: &'static str,
    /// Retrieval confidence, if retrieval ran.
    confidence: Option<f32>,
}

/// A user's transcript line with nothing in it yet.
/// Offered with the refusal of a case matter.
const CASE_REFUSAL_TOPICS: [&str; 3] = ["follow-application", "processing-time", "human-advisor"];

/// The user's record of a text turn: the redacted text and what was removed (counts only).
fn redacted_record(
    cx: &TurnContext,
    session: &SessionState,
    lang: Lang,
    redacted: crate::redact::Redacted<'static>,
) -> TranscriptRecord {
    TranscriptRecord {
        redactions: redacted
            .counts
            .iter()
            .map(|(k, v)| (k.name().to_string(), v))
            .collect(),
        text: redacted.text.into_owned(),
        ..user_record(cx, session, lang)
    }
}

fn user_record(cx: &TurnContext, session: &SessionState, lang: Lang) -> TranscriptRecord {
    TranscriptRecord {
        at: cx.now,
        channel: cx.conv.channel.clone(),
        user: cx.user.clone(),
        chat: cx.conv.chat.clone(),
        session: session.id.clone(),
        role: Role::User,
        lang,
        text: String::new(),
        topic: None,
        outcome: None,
        confidence: None,
        redactions: Default::default(),
    }
}

impl Conversation for Engine {
    fn handle(&self, inbound: Inbound) -> BoxFuture<'_, Vec<Outbound>> {
        Box::pin(async move { self.turn(inbound).await.replies })
    }

    fn commands(&self, lang: Lang) -> Vec<kanava_adapter::CommandHelp> {
        // The English names work in every language (`commands::parse` knows the others too).
        [
            ("start", Text::CommandStart),
            ("help", Text::CommandHelp),
            ("language", Text::CommandLanguage),
            ("appeal", Text::CommandAppeal),
        ]
        .into_iter()
        .map(|(name, text)| kanava_adapter::CommandHelp {
            name: name.into(),
            description: text.get(lang).into(),
        })
        .collect()
    }

    fn history(
        &self,
        identity: &UserIdentity,
        chat: &kanava_adapter::ChatId,
        limit: usize,
    ) -> BoxFuture<'_, Vec<kanava_adapter::HistoryItem>> {
        let conv = ConversationKey {
            channel: identity.channel.to_string(),
            chat: chat.to_string(),
        };
        let (channel, user) = (identity.channel.to_string(), identity.user.clone());
        Box::pin(async move {
            let now = self.parts.clock.now();
            let Some(session) = self.sessions.active(&conv, now).await else {
                return Vec::new();
            };
            // Only what is stored is shown: the user's messages as redacted.
            let records = match self
                .parts
                .store
                .records_of(&Identity::new(channel, user))
                .await
            {
                Ok(r) => r.transcripts,
                Err(e) => {
                    warn!(error = %e, "could not read a conversation's history");
                    return Vec::new();
                }
            };
            let mut items: Vec<kanava_adapter::HistoryItem> = records
                .into_iter()
                .filter(|r| r.chat == conv.chat && r.session == session.id)
                .map(|r| kanava_adapter::HistoryItem {
                    from_user: r.role == crate::storage::Role::User,
                    lang: r.lang,
                    text: r.text,
                })
                .collect();
            if items.len() > limit {
                items.drain(..items.len() - limit);
            }
            items
        })
    }
}
