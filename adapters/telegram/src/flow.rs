//! The path of one update: classify, ask the engine, record the reply in the outbox, deliver.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kanava_adapter::{OutboundKind, StateError};
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{
    CallbackQueryId, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode,
    ReplyParameters, Update,
};
use tracing::{debug, warn};

use crate::progress::Outbox;
use crate::render::{self, Payload};
use crate::retry::{self, Failure};
use crate::Inner;

/// Attempts per message before it is left in the outbox for the next redelivery round.
const SEND_ATTEMPTS: u32 = 6;

/// Exclusive right to work on one update; released on drop.
pub(crate) struct Claim {
    id: u32,
    set: Arc<Mutex<HashSet<u32>>>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Inner {
    /// Claims an update, unless someone is already working on it.
    pub(crate) fn claim(&self, id: u32) -> Option<Claim> {
        let mut set = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id).then(|| Claim {
            id,
            set: self.in_flight.clone(),
        })
    }

    /// Handles an update up to a durable outbox entry. Returns the entry (and the claim on it)
    /// if something is left to deliver; `None` for updates already complete, being handled
    /// elsewhere, or not meant for the bot.
    pub(crate) async fn prepare(
        &self,
        update: &Update,
    ) -> Result<Option<(Claim, Outbox)>, StateError> {
        let id = update.id.0;
        let Some(claim) = self.claim(id) else {
            debug!(update = id, "update already being handled");
            return Ok(None);
        };
        if let Some(entry) = self.progress.get(id).await? {
            debug!(update = id, "update seen before; not handled again");
            return Ok((!entry.done()).then_some((claim, entry)));
        }
        let Some(me) = self.me.get() else {
            return Err(StateError("the bot account is not known yet".into()));
        };
        let Some(incoming) =
            crate::inbound::classify(update, &self.channel, me, self.config.groups)
        else {
            return Ok(None);
        };
        if let Some(cb) = incoming.callback.clone() {
            // Stops the button's spinner; losing this acknowledgement harms nothing.
            let bot = self.bot.clone();
            tokio::spawn(async move {
                let _ = bot.answer_callback_query(CallbackQueryId(cb)).await;
            });
        }
        let replies = self.conversation.handle(incoming.inbound).await;
        let payloads: Vec<Payload> = replies
            .iter()
            // Terms-of-use notices concern one person: never post them where others read.
            .filter(|r| !(incoming.group && r.kind == OutboundKind::Notice))
            .flat_map(|r| render::render(r, render::MAX_MESSAGE))
            .collect();
        let entry = Outbox {
            at: now_secs(),
            chat: incoming.chat,
            reply_to: incoming.reply_to,
            payloads,
            sent: 0,
        };
        self.progress.save(id, &entry).await?;
        Ok((!entry.done()).then_some((claim, entry)))
    }

    /// Sends what is left of an outbox entry, recording each message Telegram accepts.
    pub(crate) async fn deliver(&self, claim: Claim, mut entry: Outbox) -> Result<(), StateError> {
        let update = claim.id;
        while entry.sent < entry.payloads.len() {
            let payload = &entry.payloads[entry.sent];
            match self.send(&entry, payload).await {
                Ok(()) => entry.sent += 1,
                Err(Failure::Refused(reason)) => {
                    // E.g. the user blocked the bot: nothing more can reach them.
                    warn!(channel = %self.channel, update, %reason, "Telegram refused a reply; dropping it");
                    entry.sent = entry.payloads.len();
                }
                Err(f) => {
                    warn!(channel = %self.channel, update, failure = ?f, "reply not delivered yet; kept in the outbox");
                    return Ok(());
                }
            }
            self.progress.save(update, &entry).await?;
        }
        Ok(())
    }

    async fn send(&self, entry: &Outbox, payload: &Payload) -> Result<(), Failure> {
        let mut attempt = 0;
        loop {
            let mut req = self
                .bot
                .send_message(ChatId(entry.chat), payload.html.clone())
                .parse_mode(ParseMode::Html);
            if !payload.keyboard.is_empty() {
                let rows = payload.keyboard.iter().map(|row| {
                    row.iter()
                        .map(|(label, data)| InlineKeyboardButton::callback(label, data))
                        .collect::<Vec<_>>()
                });
                req = req.reply_markup(InlineKeyboardMarkup::new(rows));
            }
            if let Some(m) = entry.reply_to {
                req = req.reply_parameters(
                    ReplyParameters::new(MessageId(m)).allow_sending_without_reply(),
                );
            }
            let err = match req.await {
                Ok(_) => return Ok(()),
                Err(e) => retry::classify(&e, &self.config.token),
            };
            attempt += 1;
            let wait = match &err {
                Failure::RetryAfter(d) => *d,
                Failure::Transient(_) if attempt < SEND_ATTEMPTS => retry::backoff(attempt),
                _ => return Err(err),
            };
            tokio::time::sleep(wait.min(Duration::from_secs(600))).await;
        }
    }

    /// Delivers every entry left unfinished (by a crash, or by Telegram being away), replies
    /// and pushed messages.
    pub(crate) async fn redeliver(&self) -> Result<(), StateError> {
        for (id, entry) in self.progress.unfinished().await? {
            if let Some(claim) = self.claim(id) {
                self.deliver(claim, entry).await?;
            }
        }
        self.send_pushes().await
    }

    /// Keeps a message sent outside a reply durably; [`Inner::send_pushes`] delivers it.
    pub(crate) async fn push(&self, chat: i64, payloads: Vec<Payload>) -> Result<(), StateError> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        // Time-ordered, and unique within this process even within one microsecond.
        let id = (micros << 8) | (SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0xff);
        let entry = Outbox {
            at: now_secs(),
            chat,
            reply_to: None,
            payloads,
            sent: 0,
        };
        self.progress.save_push(id, &entry).await
    }

    /// Sends the pushed messages not yet delivered, oldest first, one round at a time (so no
    /// message goes twice); what Telegram does not take now waits for the next round.
    pub(crate) async fn send_pushes(&self) -> Result<(), StateError> {
        let _one = self.pushing.lock().await;
        for (id, mut entry) in self.progress.pushes().await? {
            while entry.sent < entry.payloads.len() {
                match self.send(&entry, &entry.payloads[entry.sent]).await {
                    Ok(()) => entry.sent += 1,
                    Err(Failure::Refused(reason)) => {
                        warn!(channel = %self.channel, %reason, "Telegram refused a pushed message; dropping it");
                        entry.sent = entry.payloads.len();
                    }
                    Err(f) => {
                        warn!(channel = %self.channel, failure = ?f, "pushed message not delivered yet; kept");
                        return Ok(());
                    }
                }
                if entry.done() {
                    self.progress.finish_push(id).await?;
                } else {
                    self.progress.save_push(id, &entry).await?;
                }
            }
        }
        Ok(())
    }
}
