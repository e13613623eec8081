//! The adapter contract between kanava's conversation engine and its chat channels.
//!
//! A channel adapter (web chat, Telegram, Matrix, Bot Framework, …) turns platform events into
//! [`Inbound`] messages, hands them to a [`Conversation`] (implemented by the engine), and delivers
//! the [`Outbound`] replies in the platform's own way. This crate knows messages and identities,
//! never a platform SDK and never the engine, so every adapter depends on it alone.

mod adapter;
mod identity;
mod message;
pub mod retry;
mod state;
mod text;

pub use adapter::{
    Adapter, AdapterError, Capabilities, ChannelState, CommandHelp, Conversation, Health,
    HealthCell, HistoryItem, Shutdown, ShutdownTrigger,
};
pub use identity::{ChannelId, ChatId, Lang, ParseLangError, UserIdentity};
pub use message::{ClientAddress, Event, Inbound, Outbound, OutboundKind, ReplyId, Suggestion};
pub use state::{AsyncState, ChannelStore, Entry, StateError};
pub use text::{escape_html, Block, Inline, MarkupError, RichText};
