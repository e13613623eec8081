//! Prometheus metrics: message outcomes per channel, reply latency, redactions by kind.
//! Labels never carry user text or ids.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// kanava's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Messages by channel and outcome.
    pub messages: IntCounterVec,
    /// Reply latency by channel.
    pub latency: HistogramVec,
    /// Redacted items by kind.
    pub redactions: IntCounterVec,
    /// Feedback by value.
    pub feedback: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with kanava's metrics.
    pub fn new() -> Self {
        let registry = Registry::new();
        // The names and label sets below are constants, so registration cannot fail.
        let messages = IntCounterVec::new(
            Opts::new(
                "kanava_messages_total",
                "Inbound messages by channel and verdict",
            ),
            &["channel", "verdict"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "kanava_reply_latency_seconds",
                "Time from receiving a message to the reply being ready",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
            ]),
            &["channel"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let redactions = IntCounterVec::new(
            Opts::new(
                "kanava_redactions_total",
                "Personal data items removed, by kind",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let feedback = IntCounterVec::new(
            Opts::new("kanava_feedback_total", "Answer ratings"),
            &["value"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        for c in [&messages, &redactions, &feedback] {
            let _ = registry.register(Box::new(c.clone()));
        }
        let _ = registry.register(Box::new(latency.clone()));
        Self {
            registry,
            messages,
            latency,
            redactions,
            feedback,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
