//! Outbound: replies to the connector at the activity's `serviceUrl`, with a bearer token from
//! the OAuth client-credentials flow, retried with backoff on 429 and 5xx.

use std::time::{Duration, Instant};

use kanava_adapter::retry::backoff;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

/// Attempts per reply.
const ATTEMPTS: u32 = 5;
/// A token is renewed this long before it expires.
const RENEW_EARLY: Duration = Duration::from_secs(300);

/// The bot's credentials for the client-credentials flow.
#[derive(Clone)]
pub struct Credentials {
    /// The token endpoint.
    pub token_url: url::Url,
    /// The bot's app id (client id).
    pub app_id: String,
    /// The app password (client secret). Never logged.
    pub app_password: String,
    /// The requested scope.
    pub scope: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token_url", &self.token_url.as_str())
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Sends activities to connectors.
#[derive(Debug)]
pub struct Connector {
    http: reqwest::Client,
    credentials: Option<Credentials>,
    token: Mutex<Option<(String, Instant)>>,
}

/// `{service_url}/v3/conversations/{conversation}/activities[/{reply_to}]`, every segment
/// escaped (Teams conversation ids contain `:` and `;`).
pub fn reply_url(
    service_url: &url::Url,
    conversation: &str,
    reply_to: Option<&str>,
) -> Result<url::Url, String> {
    let mut u = service_url.clone();
    {
        let mut seg = u
            .path_segments_mut()
            .map_err(|()| "the serviceUrl cannot have a path".to_string())?;
        seg.pop_if_empty()
            .extend(["v3", "conversations", conversation, "activities"]);
        if let Some(id) = reply_to {
            seg.push(id);
        }
    }
    Ok(u)
}

impl Connector {
    /// A connector client; `credentials` is `None` only for local emulators.
    pub fn new(http: reqwest::Client, credentials: Option<Credentials>) -> Self {
        Self {
            http,
            credentials,
            token: Mutex::new(None),
        }
    }

    async fn bearer(&self, renew: bool) -> Result<Option<String>, String> {
        let Some(c) = &self.credentials else {
            return Ok(None);
        };
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if !renew && Instant::now() < *until {
                return Ok(Some(t.clone()));
            }
        }
        let r = self
            .http
            .post(c.token_url.clone())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", c.app_id.as_str()),
                ("client_secret", c.app_password.as_str()),
                ("scope", c.scope.as_str()),
            ])
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("token endpoint: {}", e.without_url()))?;
        if !r.status().is_success() {
            return Err(format!("token endpoint answered {}", r.status()));
        }
        let t: TokenResponse = r
            .json()
            .await
            .map_err(|e| format!("token endpoint: {}", e.without_url()))?;
        let life = Duration::from_secs(t.expires_in.unwrap_or(3600));
        let until = Instant::now() + life.saturating_sub(RENEW_EARLY);
        *cached = Some((t.access_token.clone(), until));
        Ok(Some(t.access_token))
    }

    /// Posts `activity` to `url`. Returns the id the connector gave it, when it says (some
    /// connectors answer 200 with an empty body).
    pub async fn send(&self, url: &url::Url, activity: &Value) -> Result<Option<String>, String> {
        let mut renew = false;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            let mut req = self
                .http
                .post(url.clone())
                .json(activity)
                .timeout(Duration::from_secs(15));
            if let Some(t) = self.bearer(renew).await? {
                req = req.bearer_auth(t);
            }
            let wait = match req.send().await {
                Ok(r) if r.status().is_success() => {
                    let body = r.bytes().await.unwrap_or_default();
                    let id = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_string));
                    return Ok(id);
                }
                Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED && !renew => {
                    // A revoked or rotated token: fetch a new one once.
                    renew = true;
                    last = "401 from the connector".into();
                    Duration::ZERO
                }
                Ok(r)
                    if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                        || r.status().is_server_error() =>
                {
                    last = format!("connector answered {}", r.status());
                    r.headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map_or_else(|| backoff(attempt), Duration::from_secs)
                }
                Ok(r) => return Err(format!("connector refused the reply: {}", r.status())),
                Err(e) => {
                    last = format!("connector unreachable: {}", e.without_url());
                    backoff(attempt)
                }
            };
            tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
        }
        Err(format!("gave up after {ATTEMPTS} attempts: {last}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_urls_escape_ids_and_keep_service_paths() {
        let base = url::Url::parse("https://smba.trafficmanager.net/emea/").unwrap();
        let u = reply_url(&base, "19:abc;messageid=1", Some("f:1")).unwrap();
        assert_eq!(
            u.as_str(),
            "https://smba.trafficmanager.net/emea/v3/conversations/19:abc;messageid=1/activities/f:1"
        );
        let base = url::Url::parse("http://127.0.0.1:3000").unwrap();
        let u = reply_url(&base, "a/b?c", None).unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:3000/v3/conversations/a%2Fb%3Fc/activities"
        );
    }
}
