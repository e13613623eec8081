//! Inbound authentication: the connector's `Authorization: Bearer` JWT, RS256 only, signed by a
//! key from the OpenID metadata's JWKS (cached; refreshed daily and when an unknown key id
//! appears), with issuer, audience (the bot's app id) and lifetime checked.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 300;
/// Keys are refetched at least this often.
const MAX_KEY_AGE: Duration = Duration::from_secs(24 * 3600);
/// An unknown key id triggers a refetch at most this often (a flood of forged key ids must not
/// turn into a flood of requests to the identity provider).
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(5);

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
pub struct Verifier {
    config: JwtConfig,
    http: reqwest::Client,
    keys: RwLock<KeySet>,
    refreshing: Mutex<()>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.config)
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

impl Verifier {
    /// A verifier fetching keys with `http`.
    pub fn new(config: JwtConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            keys: RwLock::default(),
            refreshing: Mutex::new(()),
        }
    }

    /// Fetches the key set now (at start, so the first request does not wait).
    pub async fn refresh(&self) -> Result<usize, AuthError> {
        let _one_at_a_time = self.refreshing.lock().await;
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
        let n = keys.len();
        *self.keys.write().await = KeySet {
            keys,
            fetched: Some(Instant::now()),
        };
        Ok(n)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let r = self
            .http
            .get(url)
            .timeout(Duration::from_secs(10))
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
        let stale = {
            let set = self.keys.read().await;
            set.fetched.is_none_or(|t| t.elapsed() > MAX_KEY_AGE)
                || (!set.keys.contains_key(&kid)
                    && set.fetched.is_none_or(|t| t.elapsed() > MIN_REFRESH_GAP))
        };
        if stale {
            self.refresh().await?;
        }
        let set = self.keys.read().await;
        let key = set
            .keys
            .get(&kid)
            .ok_or_else(|| AuthError::UnknownKey(kid.clone()))?;
        let mut v = Validation::new(Algorithm::RS256);
        v.algorithms = vec![Algorithm::RS256];
        v.set_issuer(&self.config.issuers);
        v.set_audience(&[self.config.app_id.as_str()]);
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
