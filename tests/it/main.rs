//! kanava's integration tests: one binary, one module per area.
#![allow(clippy::unwrap_used)]
// matrix-sdk's futures are deep; proving them `Send` needs more than the default 128.
#![recursion_limit = "256"]

mod attack;
mod audit;
mod botframework_e2e;
mod browser;
mod cli;
mod contract;
mod coverage;
mod crash;
mod deploy;
mod knowledge_reload;
mod matrix_e2e;
mod peers;
mod pipeline;
mod policy;
mod privacy;
mod quality;
mod redaction;
mod redaction_sets;
mod retention;
mod retrieval;
mod staff;
mod subject;
mod support;
mod telegram_e2e;
mod terms;
mod webchat_e2e;
