//! How Telegram failures are treated: wait as told on 429, back off with jitter on network
//! trouble, stop the channel on a rejected token, give up on a message Telegram refuses.

use std::time::Duration;

use teloxide::{ApiError, RequestError};

/// What to do after a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Telegram asked us to wait this long (429 Too Many Requests).
    RetryAfter(Duration),
    /// Transient (network, 5xx, a garbled answer): try again after a backoff.
    Transient(String),
    /// The token is invalid: this channel cannot work until an operator fixes it.
    Fatal(String),
    /// Telegram refuses this request (the user blocked the bot, the chat is gone).
    Refused(String),
}

/// Classifies a request error. `token` is removed from every message: network errors quote
/// the request URL, which contains it.
pub fn classify(e: &RequestError, token: &str) -> Failure {
    let scrub = |s: String| {
        if token.is_empty() {
            s
        } else {
            s.replace(token, "<token>")
        }
    };
    match e {
        RequestError::RetryAfter(s) => Failure::RetryAfter(s.duration()),
        RequestError::Api(ApiError::InvalidToken) => {
            Failure::Fatal("Telegram rejected the bot token (401 Unauthorized)".into())
        }
        RequestError::Api(ApiError::Unknown(_))
        | RequestError::Network(_)
        | RequestError::Io(_) => Failure::Transient(scrub(e.to_string())),
        // A proxy's error page or a 5xx without JSON.
        RequestError::InvalidJson { .. } => {
            Failure::Transient("Telegram's answer was not the expected JSON".into())
        }
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => {
            Failure::Refused(scrub(e.to_string()))
        }
    }
}

pub use kanava_adapter::retry::backoff;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rejection_is_fatal_and_waits_are_honoured() {
        assert!(matches!(
            classify(&RequestError::Api(ApiError::InvalidToken), "t"),
            Failure::Fatal(_)
        ));
        assert_eq!(
            classify(
                &RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(7)),
                "t"
            ),
            Failure::RetryAfter(Duration::from_secs(7))
        );
        assert!(matches!(
            classify(&RequestError::Api(ApiError::BotBlocked), "t"),
            Failure::Refused(_)
        ));
    }
}
