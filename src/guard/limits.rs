//! Rate limits with governor: per user identity, per channel instance, and global. Keyed
//! limiters are evicted of idle keys regularly, so many identities cannot grow memory without
//! bound.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::clock::Clock as GovClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::clock::Clock;

/// kanava's clock as governor sees it (tests move it by hand).
#[derive(Debug, Clone)]
pub struct EngineClock(pub Arc<dyn Clock>);

impl GovClock for EngineClock {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(self.0.now().saturating_mul(1000))
    }
}

type Keyed = RateLimiter<
    (String, String),
    DashMapStateStore<(String, String)>,
    EngineClock,
    NoOpMiddleware<Nanos>,
>;
type KeyedChannel =
    RateLimiter<String, DashMapStateStore<String>, EngineClock, NoOpMiddleware<Nanos>>;
type Direct = RateLimiter<NotKeyed, InMemoryState, EngineClock, NoOpMiddleware<Nanos>>;

/// Limits per minute with a burst.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Sustained messages per minute.
    pub per_minute: u32,
    /// Messages allowed at once.
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Quota {
        let per = NonZeroU32::new(self.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::per_minute(per).allow_burst(burst)
    }
}

/// The three limiters.
#[derive(Debug)]
pub struct Limits {
    user: Keyed,
    /// Per client address (its keyed hash): looser, since a household or an office shares one.
    address: Keyed,
    channel: KeyedChannel,
    global: Direct,
    checks: AtomicU64,
}

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// The user's own.
    User,
    /// The channel's or everyone's: not the user's fault, no strike.
    Shared,
}

/// Keys are evicted every this many checks.
const EVICT_EVERY: u64 = 4096;

impl Limits {
    /// Limiters with the given rates on kanava's clock.
    pub fn new(
        user: Rate,
        address: Rate,
        channel: Rate,
        global: Rate,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let c = EngineClock(clock);
        Self {
            user: RateLimiter::dashmap_with_clock(user.quota(), c.clone()),
            address: RateLimiter::dashmap_with_clock(address.quota(), c.clone()),
            channel: RateLimiter::dashmap_with_clock(channel.quota(), c.clone()),
            global: RateLimiter::direct_with_clock(global.quota(), c),
            checks: AtomicU64::new(0),
        }
    }

    /// Checks one message; `None` when it may pass.
    pub fn check(&self, channel: &str, user: &str) -> Option<Hit> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            self.evict();
        }
        if self
            .user
            .check_key(&(channel.to_string(), user.to_string()))
            .is_err()
        {
            return Some(Hit::User);
        }
        if self.channel.check_key(&channel.to_string()).is_err() || self.global.check().is_err() {
            return Some(Hit::Shared);
        }
        None
    }

    /// Checks one message against its client address's limit only (the channel's and
    /// everyone's counted it already with the user's check).
    pub fn check_address(&self, channel: &str, address: &str) -> Option<Hit> {
        self.address
            .check_key(&(channel.to_string(), address.to_string()))
            .is_err()
            .then_some(Hit::User)
    }

    /// Drops keys whose state is as good as fresh.
    pub fn evict(&self) {
        self.user.retain_recent();
        self.user.shrink_to_fit();
        self.address.retain_recent();
        self.address.shrink_to_fit();
        self.channel.retain_recent();
    }

    /// Live keys in the per-user limiter.
    pub fn user_keys(&self) -> usize {
        self.user.len()
    }
}
