//! The adapter contract between kanava's conversation engine and its chat channels.
//!
//! A channel adapter (web chat, Telegram, Matrix, Bot Framework, …) turns platform events into
//! [`Inbound`] messages, hands them to a [`Conversation`] (implemented by the engine), and delivers
//! the [`Outbound`] replies in the platform's own way. This crate knows messages and identities,
//! never a platform SDK and never the engine, so every adapter depends on it alone.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod adapter;
mod identity;
mod message;
pub mod outbox;
pub mod retry;
pub mod settings;
mod state;
mod text;

pub use adapter::{
    Adapter, AdapterError, Capabilities, ChannelState, CommandHelp, Conversation, DeliveryError,
    Health, HealthCell, HistoryItem, Recipient, Shutdown, ShutdownTrigger,
};
pub use identity::{ChannelId, ChatId, Lang, ParseLangError, UserIdentity};
pub use message::{ClientAddress, Event, Inbound, Outbound, OutboundKind, ReplyId, Suggestion};
pub use settings::{SettingError, SettingsContext};
pub use state::{AsyncState, ChannelStore, Entry, StateError};
pub use text::{escape_html, Block, Inline, MarkupError, RichText};
