//! Logging to stderr. `KANAVA_LOG` chooses the level (an `EnvFilter` directive, `info` by
//! default), but the libraries that see message payloads — the WebSocket, HTTP and TLS stacks,
//! the Matrix and Telegram SDKs, the database — are capped whatever it says: at their debug and
//! trace levels they log frames, bodies and keys, and with them what users typed.

use std::io::IsTerminal;

use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Targets (crate names, matched as prefixes of the event's target) never logged below `info`.
pub const CAPPED: [&str; 20] = [
    "tungstenite",
    "tokio_tungstenite",
    "axum",
    "tower",
    "tower_http",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "matrix_sdk",
    "matrix_sdk_base",
    "matrix_sdk_crypto",
    "matrix_sdk_sqlite",
    "matrix_sdk_common",
    "ruma",
    "teloxide",
    "teloxide_core",
    "sled",
];

/// The hard cap: every [`CAPPED`] target at `info` at most, everything else as `KANAVA_LOG`
/// says.
pub fn caps() -> Targets {
    CAPPED.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, name| t.with_target(*name, LevelFilter::INFO),
    )
}

/// Installs the subscriber (and the bridge for libraries that use the `log` crate). Colours
/// only when stderr is a terminal, so log files and journald get no escape codes.
pub fn init() {
    let wanted = EnvFilter::try_from_env("KANAVA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(wanted.and(caps()));
    tracing_subscriber::registry().with(layer).init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn payload_libraries_are_capped_at_info() {
        let caps = caps();
        for target in [
            "tungstenite::protocol",
            "matrix_sdk_crypto::machine",
            "sled::tree",
        ] {
            assert!(caps.would_enable(target, &Level::INFO), "{target}");
            assert!(!caps.would_enable(target, &Level::DEBUG), "{target}");
            assert!(!caps.would_enable(target, &Level::TRACE), "{target}");
        }
        assert!(caps.would_enable("kanava::engine", &Level::TRACE));
    }
}
