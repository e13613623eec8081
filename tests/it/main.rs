//! kanava's integration tests: one binary, one module per area.

mod browser;
mod cli;
mod pipeline;
mod quality;
mod retrieval;
mod support;
mod webchat_e2e;
