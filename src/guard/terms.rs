//! [`TermsGuard`]: the terms of use enforced. Blocks (with one notice, then silence), strikes that
//! escalate to temporary and then indefinite blocks, rate limits, and the defense against
//! enumeration of case identifiers (the queue-position abuse that shut a public chatbot's service
//! down). Every block, unblock, strike and alert is an audit record.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use kanava_adapter::UserIdentity;
use tracing::warn;

use super::blocks::{Block, BlockSource, Blocks};
use super::enumeration::{IdentifierHash, IdentifierKey, Tracker};
use super::limits::{Hit, Limits, Rate};
use super::{BlockReason, Finding, Guard, GuardDecision, Notice, Violation};
use crate::audit::{AuditLog, AuditRecord};
use crate::clock::{Clock, Micros, MINUTE};
use crate::storage::{
    Forgotten, Identity, ModerationStore, Restriction, Storage, StoreError, Strike, WriteBehind,
};

const HOUR: Micros = 60 * MINUTE;
const DAY: Micros = 24 * HOUR;

/// The guard's settings (validated config).
#[derive(Debug, Clone)]
pub struct TermsConfig {
    /// Strikes within `strike_window` that lead to a block.
    pub strikes_to_block: usize,
    /// The strike window.
    pub strike_window: Micros,
    /// Automatic block durations by escalation level; beyond them, indefinite.
    pub block_durations: Vec<Micros>,
    /// Per user identity.
    pub user_rate: Rate,
    /// Per client address, where the channel sees one (the web chat).
    pub address_rate: Rate,
    /// Per channel instance.
    pub channel_rate: Rate,
    /// Everyone together.
    pub global_rate: Rate,
    /// Messages dropped by the user's own limit within a minute that count as flooding (a strike).
    pub flood_drops: u32,
    /// Distinct identifiers per user within `identifier_window` allowed before enumeration.
    pub identifiers_per_user: usize,
    /// The per-user identifier window.
    pub identifier_window: Micros,
    /// Distinct identifiers across all users within `global_window` that start a lockdown.
    pub global_spike: usize,
    /// The global window.
    pub global_window: Micros,
    /// A lockdown lifts itself after this long without a spike.
    pub lockdown_decay: Micros,
}

impl Default for TermsConfig {
    fn default() -> Self {
        Self {
            strikes_to_block: 3,
            strike_window: DAY,
            block_durations: vec![DAY, 7 * DAY],
            user_rate: Rate {
                per_minute: 20,
                burst: 10,
            },
            address_rate: Rate {
                per_minute: 300,
                burst: 100,
            },
            channel_rate: Rate {
                per_minute: 6000,
                burst: 500,
            },
            global_rate: Rate {
                per_minute: 30000,
                burst: 2000,
            },
            flood_drops: 10,
            identifiers_per_user: 3,
            identifier_window: DAY,
            global_spike: 50,
            global_window: 10 * MINUTE,
            lockdown_decay: 30 * MINUTE,
        }
    }
}

/// A failure of a moderator action.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such block.
    #[error("{channel}/{user} is not blocked")]
    NotBlocked {
        /// Channel.
        channel: String,
        /// User.
        user: String,
    },
}

#[derive(Debug, Default)]
struct Drops {
    window_start: Micros,
    count: u32,
}

#[derive(Debug)]
struct State {
    blocks: Blocks,
    strikes: HashMap<(String, String), VecDeque<Micros>>,
    drops: HashMap<(String, String), Drops>,
    tracker: Tracker,
    /// Identities whose processing is restricted (kept in sync by the subject commands).
    restricted: HashSet<(String, String)>,
    lockdown_since: Option<Micros>,
    last_spike: Micros,
}

/// The terms-of-use guard.
#[derive(Debug)]
pub struct TermsGuard {
    config: TermsConfig,
    key: IdentifierKey,
    state: Mutex<State>,
    limits: Limits,
    audit: AuditLog,
    moderation: Arc<dyn ModerationStore>,
    /// Moderation writes, in the order they were decided under the state lock.
    writes: WriteBehind,
}

fn who_key(who: &UserIdentity) -> (String, String) {
    (who.channel.to_string(), who.user.clone())
}

impl TermsGuard {
    /// Opens the guard's state in `storage` (blocks, strikes and audit survive restarts).
    pub async fn open(
        storage: &Storage,
        config: TermsConfig,
        key: IdentifierKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let moderation = storage.moderation.clone();
        let snapshot = moderation.load().await?;
        let writes = WriteBehind::start();
        let mut strikes: HashMap<(String, String), VecDeque<Micros>> = HashMap::new();
        let mut stored = snapshot.strikes;
        stored.sort_by_key(|s| s.at);
        for s in stored {
            strikes
                .entry((s.identity.channel, s.identity.user))
                .or_default()
                .push_back(s.at);
        }
        let restricted = snapshot
            .restrictions
            .into_iter()
            .map(|(who, _)| (who.channel, who.user))
            .collect();
        let blocks = Blocks::new(
            moderation.clone(),
            writes.clone(),
            snapshot.blocks,
            snapshot.levels,
        );
        let limits = Limits::new(
            config.user_rate,
            config.address_rate,
            config.channel_rate,
            config.global_rate,
            clock,
        );
        Ok(Self {
            state: Mutex::new(State {
                blocks,
                strikes,
                drops: HashMap::new(),
                tracker: Tracker::default(),
                restricted,
                lockdown_since: None,
                last_spike: 0,
            }),
            audit: AuditLog::open(storage.audit.clone()).await?,
            config,
            key,
            limits,
            moderation,
            writes,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn audit(
        &self,
        at: Micros,
        kind: &str,
        actor: &str,
        subject: Option<&(String, String)>,
        reason: String,
    ) {
        let record = AuditRecord {
            at,
            kind: kind.to_string(),
            actor: actor.to_string(),
            subject: subject.cloned(),
            reason,
        };
        // Often called under the state lock every check takes: the record is queued now and
        // made durable by the next flush (the turn's group commit or the backend's own), so no
        // user's check waits for storage. Staff actions flush before they return. A failure is
        // logged by the queue.
        drop(self.audit.append_unflushed(&record));
    }

    /// A strike; returns the block it led to, if any.
    fn strike(
        &self,
        st: &mut State,
        who: &(String, String),
        now: Micros,
        why: &str,
    ) -> Option<Block> {
        let list = st.strikes.entry(who.clone()).or_default();
        list.push_back(now);
        while list
            .front()
            .is_some_and(|t| now.saturating_sub(*t) > self.config.strike_window)
        {
            list.pop_front();
        }
        let count = list.len();
        let strike = Strike {
            identity: Identity::new(&who.0, &who.1),
            at: now,
            why: why.to_string(),
        };
        drop(
            self.writes
                .push("strike", self.moderation.add_strike(&strike)),
        );
        self.audit(
            now,
            "strike",
            "system",
            Some(who),
            format!("{why} ({count} within the window)"),
        );
        (count >= self.config.strikes_to_block)
            .then(|| self.auto_block(st, who, now, BlockReason::Strikes, why))
    }

    fn auto_block(
        &self,
        st: &mut State,
        who: &(String, String),
        now: Micros,
        reason: BlockReason,
        why: &str,
    ) -> Block {
        let level = st.blocks.next_level(&who.0, &who.1);
        let expires = self
            .config
            .block_durations
            .get(level as usize - 1)
            .map(|d| now + d);
        let block = Block {
            channel: who.0.clone(),
            user: who.1.clone(),
            reason,
            detail: why.to_string(),
            source: BlockSource::Automatic,
            created: now,
            expires,
            level,
            // The notice goes out with this very reply.
            notified: true,
            appeal: None,
        };
        drop(st.blocks.put(block.clone()));
        st.strikes.remove(who);
        let until = expires.map_or("until review".to_string(), |e| {
            format!("for {} h", (e - now) / HOUR)
        });
        self.audit(
            now,
            "block",
            "system",
            Some(who),
            format!("{why}; level {level}, {until}"),
        );
        block
    }

    /// Blocks an identity by a moderator's decision (`expires: None` = until lifted).
    pub async fn block_add(
        &self,
        channel: &str,
        user: &str,
        moderator: &str,
        reason: &str,
        expires: Option<Micros>,
        now: Micros,
    ) -> Result<Block, GuardError> {
        let block = Block {
            channel: channel.to_string(),
            user: user.to_string(),
            reason: BlockReason::Moderator,
            detail: reason.to_string(),
            source: BlockSource::Moderator(moderator.to_string()),
            created: now,
            expires,
            level: 0,
            notified: false,
            appeal: None,
        };
        let stored = self.lock().blocks.put(block.clone());
        stored.wait().await?;
        self.audit(
            now,
            "block",
            moderator,
            Some(&(channel.to_string(), user.to_string())),
            reason.to_string(),
        );
        self.flush().await?;
        Ok(block)
    }

    /// Lifts a block.
    pub async fn block_remove(
        &self,
        channel: &str,
        user: &str,
        moderator: &str,
        reason: &str,
        now: Micros,
    ) -> Result<Block, GuardError> {
        let (removed, stored) = self.lock().blocks.remove(channel, user);
        stored.wait().await?;
        let block = removed.ok_or_else(|| GuardError::NotBlocked {
            channel: channel.to_string(),
            user: user.to_string(),
        })?;
        self.audit(
            now,
            "unblock",
            moderator,
            Some(&(channel.to_string(), user.to_string())),
            reason.to_string(),
        );
        self.flush().await?;
        Ok(block)
    }

    /// Makes every moderation write and audit record so far durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.writes.settle().await?;
        self.moderation.flush().await?;
        self.audit.flush().await
    }

    /// Every block, newest first.
    pub fn block_list(&self) -> Vec<Block> {
        self.lock().blocks.list()
    }

    /// Whether an identifier lockdown is on.
    pub fn lockdown_active(&self) -> bool {
        self.lock().lockdown_since.is_some()
    }

    /// Lifts an identifier lockdown.
    pub async fn lift_lockdown(&self, moderator: &str, now: Micros) {
        let lifted = self.lock().lockdown_since.take().is_some();
        if lifted {
            self.audit(
                now,
                "lockdown_lifted",
                moderator,
                None,
                "lifted by staff".into(),
            );
            if let Err(e) = self.audit.flush().await {
                warn!(error = %e, "could not flush the audit log");
            }
        }
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// Identities with strikes, dropped-message counts or identifier histories in memory
    /// (bounded by eviction).
    pub fn tracked(&self) -> usize {
        let st = self.lock();
        st.strikes.len() + st.drops.len() + st.tracker.users()
    }

    /// Live keys in the per-user rate limiter (bounded by eviction).
    pub fn limiter_keys(&self) -> usize {
        self.limits.user_keys()
    }

    /// Forgets one identity entirely (its erasure): its block, level, strikes, dropped-message
    /// count, identifier history and restriction, in memory and then in storage, so the running
    /// guard neither keeps it blocked nor writes it back.
    pub async fn forget(&self, channel: &str, user: &str) -> Result<Forgotten, StoreError> {
        let who = (channel.to_string(), user.to_string());
        {
            let mut st = self.lock();
            st.blocks.forget(channel, user);
            st.strikes.remove(&who);
            st.drops.remove(&who);
            st.tracker.forget(&who);
            st.restricted.remove(&who);
        }
        // Writes decided before the erasure are applied first, so none of them brings it back.
        self.writes.settle().await?;
        self.moderation.forget(&Identity::new(channel, user)).await
    }

    /// Restricts processing of one identity (`Some`) or ends the restriction (`None`), in
    /// memory and durably in storage; returns whether the identity was restricted before.
    pub async fn restrict(
        &self,
        who: &Identity,
        restriction: Option<Restriction>,
    ) -> Result<bool, StoreError> {
        let key = (who.channel.clone(), who.user.clone());
        let (was, stored) = {
            let mut st = self.lock();
            match &restriction {
                Some(r) => (
                    !st.restricted.insert(key),
                    self.writes
                        .push("restriction", self.moderation.put_restriction(who, r)),
                ),
                None => (
                    st.restricted.remove(&key),
                    self.writes.push(
                        "restriction lifted",
                        self.moderation.remove_restriction(who),
                    ),
                ),
            }
        };
        stored.wait().await?;
        self.moderation.flush().await?;
        Ok(was)
    }

    /// The identities whose processing is restricted.
    pub fn restricted(&self) -> Vec<Identity> {
        let mut v: Vec<Identity> = self
            .lock()
            .restricted
            .iter()
            .map(|(c, u)| Identity::new(c, u))
            .collect();
        v.sort();
        v
    }

    /// The moderation store (an identity's stored block and restriction, for an export).
    pub fn moderation(&self) -> &Arc<dyn ModerationStore> {
        &self.moderation
    }

    /// Evicts idle state now (also done regularly on its own).
    pub fn evict(&self, now: Micros) {
        self.limits.evict();
        let mut st = self.lock();
        let window = self.config.identifier_window;
        st.tracker.evict(now, window);
        st.drops
            .retain(|_, d| now.saturating_sub(d.window_start) <= MINUTE);
        let strike_window = self.config.strike_window;
        st.strikes.retain(|_, list| {
            list.back()
                .is_some_and(|t| now.saturating_sub(*t) <= strike_window)
        });
    }
}

impl Guard for TermsGuard {
    fn admit(&self, who: &UserIdentity, now: Micros, appeal: Option<&str>) -> GuardDecision {
        let key = who_key(who);
        {
            let mut st = self.lock();
            if let Some(b) = st
                .blocks
                .get(&key.0, &key.1)
                .filter(|b| b.active(now))
                .cloned()
            {
                let mut b = b;
                if let Some(text) = appeal.filter(|_| b.appeal.is_none()) {
                    b.appeal = Some(text.chars().take(2000).collect());
                    drop(st.blocks.put(b));
                    drop(st);
                    self.audit(now, "appeal", "user", Some(&key), "appeal received".into());
                    return GuardDecision::Deny {
                        reason: "blocked",
                        notice: Some(Notice::AppealReceived),
                    };
                }
                // An address is shared (a household, an office, a mobile NAT): everyone behind
                // a blocked one is told why each time, never met with silence.
                let address = key.1.starts_with(super::ADDRESS_PREFIX);
                if b.notified && !address {
                    return GuardDecision::Deny {
                        reason: "blocked",
                        notice: None,
                    };
                }
                if address {
                    return GuardDecision::Deny {
                        reason: "blocked",
                        notice: Some(Notice::Blocked {
                            reason: b.reason,
                            until: b.expires,
                        }),
                    };
                }
                b.notified = true;
                let notice = Notice::Blocked {
                    reason: b.reason,
                    until: b.expires,
                };
                drop(st.blocks.put(b));
                return GuardDecision::Deny {
                    reason: "blocked",
                    notice: Some(notice),
                };
            }
            if st.restricted.contains(&key) {
                return GuardDecision::Deny {
                    reason: "restricted",
                    notice: Some(Notice::Restricted),
                };
            }
        }
        let hit = if key.1.starts_with(super::ADDRESS_PREFIX) {
            self.limits.check_address(&key.0, &key.1)
        } else {
            self.limits.check(&key.0, &key.1)
        };
        let Some(hit) = hit else {
            return GuardDecision::Allow;
        };
        let mut st = self.lock();
        let d = st.drops.entry(key.clone()).or_default();
        if now.saturating_sub(d.window_start) > MINUTE {
            *d = Drops {
                window_start: now,
                count: 0,
            };
        }
        d.count += 1;
        let count = d.count;
        // Flooding strikes a person, never an address: many people may share one, and their
        // traffic together is not anyone's breach.
        let person = !key.1.starts_with(super::ADDRESS_PREFIX);
        if person && hit == Hit::User && count == self.config.flood_drops {
            if let Some(b) = self.strike(&mut st, &key, now, "sustained flooding") {
                return GuardDecision::Deny {
                    reason: "rate_limited",
                    notice: Some(Notice::Blocked {
                        reason: b.reason,
                        until: b.expires,
                    }),
                };
            }
        }
        GuardDecision::Deny {
            reason: "rate_limited",
            notice: (count == 1).then_some(Notice::SlowDown),
        }
    }

    fn record(&self, who: &UserIdentity, now: Micros, finding: Finding<'_>) -> GuardDecision {
        match finding {
            Finding::Identifiers(ids) => self.identifiers(who, now, ids),
            Finding::Violation(v) => match self.violation(who, now, v) {
                Some(notice) => GuardDecision::Deny {
                    reason: "violation",
                    notice: Some(notice),
                },
                None => GuardDecision::Allow,
            },
        }
    }

    fn identifier_key(&self) -> Option<&IdentifierKey> {
        Some(&self.key)
    }
}

impl TermsGuard {
    /// Case identifiers a message carried: too many distinct ones, near-sequential ones, or a
    /// spike across all users deny (and strike).
    fn identifiers(
        &self,
        who: &UserIdentity,
        now: Micros,
        ids: &[IdentifierHash],
    ) -> GuardDecision {
        let key = who_key(who);
        let mut st = self.lock();
        if ids.is_empty() {
            if st.lockdown_since.is_some()
                && now.saturating_sub(st.last_spike) > self.config.lockdown_decay
            {
                st.lockdown_since = None;
                drop(st);
                self.audit(
                    now,
                    "lockdown_lifted",
                    "system",
                    None,
                    "no spike within the decay time".into(),
                );
            }
            return GuardDecision::Allow;
        }
        let c = &self.config;
        let a = st.tracker.record(
            (&key.0, &key.1),
            now,
            ids,
            c.identifier_window,
            c.global_window,
        );
        if a.global_distinct > c.global_spike {
            st.last_spike = now;
            if st.lockdown_since.is_none() {
                st.lockdown_since = Some(now);
                warn!(
                    distinct = a.global_distinct,
                    "identifier spike across users: lockdown"
                );
                self.audit(
                    now,
                    "enumeration_alert",
                    "system",
                    None,
                    format!(
                        "{} distinct identifiers across users within the window",
                        a.global_distinct
                    ),
                );
                self.audit(
                    now,
                    "lockdown",
                    "system",
                    None,
                    "identifier lockdown started".into(),
                );
            }
        }
        if a.distinct > c.identifiers_per_user || a.sequential {
            let why = if a.sequential {
                "near-sequential identifiers"
            } else {
                "too many distinct identifiers"
            };
            warn!(channel = %key.0, "enumeration by one user: blocked");
            self.audit(
                now,
                "enumeration_alert",
                "system",
                Some(&key),
                format!("{why} ({} distinct)", a.distinct),
            );
            let _ = self.strike(&mut st, &key, now, "enumeration");
            let b = match st.blocks.get(&key.0, &key.1).filter(|b| b.active(now)) {
                Some(b) => b.clone(),
                None => self.auto_block(&mut st, &key, now, BlockReason::Enumeration, why),
            };
            return GuardDecision::Deny {
                reason: "enumeration",
                notice: Some(Notice::Blocked {
                    reason: b.reason,
                    until: b.expires,
                }),
            };
        }
        if st.lockdown_since.is_some() {
            // During a lockdown, identifiers get the general refusal and count toward a block.
            if let Some(b) = self.strike(&mut st, &key, now, "identifier during lockdown") {
                return GuardDecision::Deny {
                    reason: "lockdown",
                    notice: Some(Notice::Blocked {
                        reason: b.reason,
                        until: b.expires,
                    }),
                };
            }
            return GuardDecision::Deny {
                reason: "lockdown",
                notice: Some(Notice::GeneralOnly),
            };
        }
        GuardDecision::Allow
    }

    /// A breach found by the classifier: a strike, and the block notice if it blocks.
    fn violation(&self, who: &UserIdentity, now: Micros, violation: Violation) -> Option<Notice> {
        let key = who_key(who);
        let why = match violation {
            Violation::Advertising => "advertising",
        };
        let mut st = self.lock();
        self.strike(&mut st, &key, now, why)
            .map(|b| Notice::Blocked {
                reason: b.reason,
                until: b.expires,
            })
    }
}
