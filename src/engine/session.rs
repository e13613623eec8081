//! Sessions: one per conversation at a time, ending after the idle timeout. The language lives
//! here. Kept in memory and saved with every stored turn, so a restart resumes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kanava_adapter::Lang;
use rand::Rng;

use crate::clock::Micros;
use crate::storage::{ConversationKey, ConversationStore, SessionState};

/// The live sessions.
#[derive(Debug)]
pub struct Sessions {
    store: Arc<dyn ConversationStore>,
    idle: Micros,
    default_lang: Lang,
    live: Mutex<HashMap<ConversationKey, SessionState>>,
    /// Sessions kept so far, to sweep every so often.
    kept: std::sync::atomic::AtomicU64,
}

/// How many sessions are kept between sweeps of idle ones.
const SWEEP_EVERY: u64 = 1024;

impl Sessions {
    /// Sessions ending after `idle`.
    pub fn new(store: Arc<dyn ConversationStore>, idle: Micros, default_lang: Lang) -> Self {
        Self {
            store,
            idle,
            default_lang,
            live: Mutex::new(HashMap::new()),
            kept: std::sync::atomic::AtomicU64::new(0),
        }
    }

    async fn current(&self, conv: &ConversationKey) -> Option<SessionState> {
        let cached = self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(conv)
            .cloned();
        if cached.is_some() {
            return cached;
        }
        // A failed read is treated as no session: a fresh one starts, nothing is lost.
        self.store.load_session(conv).await.ok().flatten()
    }

    /// The session for a message at `now`: the current one, or a new one when there is none or
    /// it has been idle too long (the language carries over only if the user chose it).
    pub async fn touch(
        &self,
        conv: &ConversationKey,
        user: &str,
        hint: Option<Lang>,
        now: Micros,
    ) -> SessionState {
        match self.current(conv).await {
            Some(mut s) if now.saturating_sub(s.last_active) <= self.idle => {
                s.last_active = now;
                s
            }
            previous => SessionState {
                id: hex::encode(rand::rng().random::<[u8; 8]>()),
                user: user.to_string(),
                started: now,
                last_active: now,
                lang: previous
                    .filter(|p| p.lang_chosen)
                    .map(|p| p.lang)
                    .or(hint)
                    .unwrap_or(self.default_lang),
                lang_chosen: false,
            },
        }
    }

    /// Keeps a session after its state was stored. Every [`SWEEP_EVERY`] sessions kept, the
    /// ones idle past the timeout are dropped from memory (they are stored; a returning user's
    /// next message reads theirs back), so the map is bounded by the recently active.
    pub fn remember(&self, conv: &ConversationKey, s: SessionState) {
        let now = s.last_active;
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.insert(conv.clone(), s);
        let kept = self.kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if kept % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let idle = self.idle;
            live.retain(|_, s| now.saturating_sub(s.last_active) <= idle);
        }
    }

    /// Forgets the live sessions of one identity (after its erasure).
    pub fn forget(&self, channel: &str, user: &str) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|conv, s| !(conv.channel == channel && s.user == user));
    }

    /// Sessions held in memory.
    pub fn cached(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The conversation's session if it is still going at `now` (not idle past the timeout).
    pub async fn active(&self, conv: &ConversationKey, now: Micros) -> Option<SessionState> {
        self.current(conv)
            .await
            .filter(|s| now.saturating_sub(s.last_active) <= self.idle)
    }

    /// The language to speak in a conversation right now, without starting a session.
    pub async fn peek_lang(&self, conv: &ConversationKey, hint: Option<Lang>) -> Lang {
        self.current(conv)
            .await
            .map(|s| s.lang)
            .or(hint)
            .unwrap_or(self.default_lang)
    }
}
