//! Inbound authentication: the connector's `Authorization: Bearer` JWT, RS256 only, signed by a
//! key from the OpenID metadata's JWKS, with issuer, audience (the bot's app id) and lifetime
//! checked.
//!
//! The key set is refreshed as a single flight. A token whose key id is unknown waits for at most
//! one fetch: the one under way, or one it starts itself if none was attempted in the last
//! [`MIN_REFRESH_GAP`] (failed attempts count, so a failing identity provider is not hammered
//! either). A token signed by a cached key never waits: when the set is older than a day it is
//! refreshed in the background while the old keys keep serving.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 300;
/// Keys are refetched (in the background) once they are this old.
const MAX_KEY_AGE: Duration = Duration::from_secs(24 * 3600);
/// At most one fetch attempt, successful or not, per this interval (a flood of forged key ids
/// must not turn into a flood of requests to the identity provider).
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(5);
/// One request to the identity provider may take this long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the key set is fetched. [`Verifier::new`] uses the defaults (24 h, 5 s).
#[derive(Debug, Clone, Copy)]
pub struct RefreshPolicy {
    /// Keys are refetched in the background once they are this old.
    pub max_age: Duration,
    /// At most one fetch attempt, successful or not, per this interval.
    pub min_gap: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            max_age: MAX_KEY_AGE,
            min_gap: MIN_REFRESH_GAP,
        }
    }
}

/// Where the keys come from and what a valid token says.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The OpenID metadata document (its `jwks_uri` names the key set).
    pub openid_url: url::Url,
    /// Accepted `iss` values.
    pub issuers: Vec<String>,
    /// The bot's app id: the required `aud`.
    pub app_id: String,
}

/// Why a request was not authenticated. Never shown to the caller (401 with no detail).
#[derive(Debug)]
pub enum AuthError {
    /// No or malformed `Authorization` header.
    Missing,
    /// Header or algorithm wrong.
    BadHeader(String),
    /// No key with this id, even after a refresh.
    UnknownKey(String),
    /// Signature, issuer, audience or lifetime.
    Invalid(String),
    /// The keys could not be fetched.
    Keys(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Missing => f.write_str("no bearer token"),
            AuthError::BadHeader(w) => write!(f, "bad token header: {w}"),
            AuthError::UnknownKey(k) => write!(f, "unknown signing key {k:?}"),
            AuthError::Invalid(w) => write!(f, "invalid token: {w}"),
            AuthError::Keys(w) => write!(f, "signing keys unavailable: {w}"),
        }
    }
}

impl std::error::Error for AuthError {}

/// What kanava uses from a valid token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// The connector URL this token vouches for.
    #[serde(default)]
    pub serviceurl: Option<String>,
}

struct Key {
    key: DecodingKey,
    /// Channels this key may sign for, when the key set says.
    endorsements: Option<Vec<String>>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Key>,
    /// When this set was fetched (`None`: never).
    fetched: Option<Instant>,
}

#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    endorsements: Option<Vec<String>>,
}

/// Verifies connector tokens.
#[derive(Clone)]
pub struct Verifier {
    shared: Arc<Shared>,
}

struct Shared {
    config: JwtConfig,
    policy: RefreshPolicy,
    http: reqwest::Client,
    /// The current key set; swapped whole, read without waiting.
    keys: RwLock<Arc<KeySet>>,
    /// Held for the whole of a fetch: the single flight.
    flight: Mutex<Flight>,
    /// Fetch attempts finished so far; a waiter that sees it change while it queued knows a
    /// fetch ran for it.
    attempts: AtomicU64,
    /// A background refresh is under way.
    background: AtomicBool,
}

#[derive(Default)]
struct Flight {
    /// When the last fetch attempt started, successful or not.
    last_attempt: Option<Instant>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.shared.config)
            .finish()
    }
}

/// A verified token: its claims and the signing key's endorsements.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The token's claims.
    pub claims: Claims,
    /// The channels the signing key is endorsed for, if the key set lists them.
    pub endorsements: Option<Vec<String>>,
}

impl Verified {
    /// Whether the signing key may sign for an activity on `channel` (the activity's
    /// `channelId`). A key that lists endorsements signs only for those channels, so an
    /// activity that names no channel is refused too.
    pub fn endorses(&self, channel: Option<&str>) -> bool {
        match (&self.endorsements, channel) {
            (None, _) => true,
            (Some(list), Some(ch)) => list.iter().any(|e| e == ch),
            (Some(_), None) => false,
        }
    }
}

impl Verifier {
    /// A verifier fetching keys with `http`.
    pub fn new(config: JwtConfig, http: reqwest::Client) -> Self {
        Self::with_policy(config, http, RefreshPolicy::default())
    }

    /// A verifier refreshing its keys as `policy` says.
    pub fn with_policy(config: JwtConfig, http: reqwest::Client, policy: RefreshPolicy) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                policy,
                http,
                keys: RwLock::default(),
                flight: Mutex::new(Flight::default()),
                attempts: AtomicU64::new(0),
                background: AtomicBool::new(false),
            }),
        }
    }

    /// Fetches the key set now (at start, so the first request does not wait); if another fetch
    /// finishes while this one waits for its turn, that one counts. Returns the number of keys
    /// held afterwards.
    pub async fn refresh(&self) -> Result<usize, AuthError> {
        let seen = self.shared.attempts.load(Ordering::Acquire);
        let mut flight = self.shared.flight.lock().await;
        if self.shared.attempts.load(Ordering::Acquire) == seen {
            self.shared.fetch_once(&mut flight).await?;
        }
        Ok(self.shared.current().keys.len())
    }

    /// Checks an `Authorization` header value.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<Verified, AuthError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let header = decode_header(token).map_err(|e| AuthError::BadHeader(e.to_string()))?;
        // Only RS256: `none` and HS256 (signed with the public key as an HMAC secret) are the
        // classic confusions.
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::BadHeader(format!("algorithm {:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::BadHeader("no key id".into()))?;
        let mut set = self.shared.current();
        if set.keys.contains_key(&kid) {
            if set
                .fetched
                .is_some_and(|t| t.elapsed() > self.shared.policy.max_age)
            {
                self.shared.refresh_in_background();
            }
        } else {
            set = self.shared.fetch_for_unknown_key().await?;
        }
        let key = set
            .keys
            .get(&kid)
            .ok_or_else(|| AuthError::UnknownKey(kid.clone()))?;
        let mut v = Validation::new(Algorithm::RS256);
        v.algorithms = vec![Algorithm::RS256];
        v.set_issuer(&self.shared.config.issuers);
        v.set_audience(&[self.shared.config.app_id.as_str()]);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data =
            decode::<Claims>(token, &key.key, &v).map_err(|e| AuthError::Invalid(e.to_string()))?;
        Ok(Verified {
            claims: data.claims,
            endorsements: key.endorsements.clone(),
        })
    }
}

impl Shared {
    fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// For a token whose key id is not in the set: waits for the fetch under way, or starts one
    /// if none was attempted recently, then returns the set as it is.
    async fn fetch_for_unknown_key(&self) -> Result<Arc<KeySet>, AuthError> {
        let seen = self.attempts.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        // A fetch finished while this request queued: it is the one fetch this request waits
        // for, whatever it found.
        if self.attempts.load(Ordering::Acquire) == seen && self.may_attempt(&flight) {
            if let Err(e) = self.fetch_once(&mut flight).await {
                // Keys already held keep serving; with none at all, say why.
                if self.current().fetched.is_none() {
                    return Err(e);
                }
                tracing::debug!(reason = %e, "Bot Framework signing keys not refreshed");
            }
        }
        Ok(self.current())
    }

    fn may_attempt(&self, flight: &Flight) -> bool {
        flight
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.policy.min_gap)
    }

    /// Refreshes an aged key set without making anyone wait: if a fetch is under way or was
    /// attempted recently, nothing happens.
    fn refresh_in_background(self: &Arc<Self>) {
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let shared = self.clone();
        tokio::spawn(async move {
            if let Ok(mut flight) = shared.flight.try_lock() {
                if shared.may_attempt(&flight) {
                    if let Err(e) = shared.fetch_once(&mut flight).await {
                        tracing::warn!(reason = %e, "Bot Framework signing keys not refreshed; the cached keys keep serving");
                    }
                }
            }
            shared.background.store(false, Ordering::Release);
        });
    }

    /// One fetch attempt, recorded whether it succeeds or fails. The caller holds the flight.
    async fn fetch_once(&self, flight: &mut Flight) -> Result<(), AuthError> {
        flight.last_attempt = Some(Instant::now());
        let result = self.fetch().await;
        self.attempts.fetch_add(1, Ordering::AcqRel);
        let keys = result?;
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(KeySet {
            keys,
            fetched: Some(Instant::now()),
        });
        Ok(())
    }

    async fn fetch(&self) -> Result<HashMap<String, Key>, AuthError> {
        let meta: Metadata = self.get_json(self.config.openid_url.as_str()).await?;
        let jwks: Jwks = self.get_json(&meta.jwks_uri).await?;
        let mut keys = HashMap::new();
        for k in jwks.keys {
            let (Some(kid), Some(n), Some(e)) = (k.kid, k.n, k.e) else {
                continue;
            };
            if k.kty != "RSA" {
                continue;
            }
            if let Ok(key) = DecodingKey::from_rsa_components(&n, &e) {
                keys.insert(
                    kid,
                    Key {
                        key,
                        endorsements: k.endorsements,
                    },
                );
            }
        }
        Ok(keys)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let r = self
            .http
            .get(url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| AuthError::Keys(e.without_url().to_string()))?;
        if !r.status().is_success() {
            return Err(AuthError::Keys(format!("{url} answered {}", r.status())));
        }
        r.json()
            .await
            .map_err(|e| AuthError::Keys(format!("{url}: {}", e.without_url())))
    }
}
