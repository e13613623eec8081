//! kanava: one conversation for a public authority's customers across the chat apps they
//! already use. This crate holds the engine and everything channel-agnostic; the channels are
//! adapters behind the [`kanava_adapter`] contract.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod audit;
pub mod clock;
pub mod config;
pub mod control;
pub mod datadir;
pub mod engine;
pub mod guard;
pub mod i18n;
pub mod knowledge;
pub mod logging;
pub mod metrics;
pub mod policy;
pub mod redact;
pub mod retention;
pub mod server;
pub mod services;
pub mod staff;
pub mod storage;
pub mod subject;
