//! Waiting before trying a platform again.

use std::time::Duration;

/// Exponential backoff with jitter for the `attempt`-th retry (0-based): about 0.5 s, 1 s, 2 s,
/// … capped at 60 s, each drawn from the upper half of its step so that many clients (or
/// channels) recovering from the same outage do not retry in step.
pub fn backoff(attempt: u32) -> Duration {
    let cap_ms = 500u64.saturating_mul(1 << attempt.min(7)).min(60_000);
    Duration::from_millis(rand::random_range(cap_ms / 2..=cap_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(500));
        assert!(backoff(3) >= Duration::from_millis(2000));
        for _ in 0..50 {
            let d = backoff(30);
            assert!(d <= Duration::from_secs(60) && d >= Duration::from_secs(30));
        }
    }
}
