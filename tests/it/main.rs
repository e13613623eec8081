//! kanava's integration tests: one binary, one module per area.
#![allow(clippy::unwrap_used)]

mod browser;
mod cli;
mod pipeline;
mod quality;
mod retrieval;
mod support;
mod webchat_e2e;
