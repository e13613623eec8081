//! The channel's task: learn the bot account, set or clear the webhook, redeliver what a crash
//! left behind, then long-poll (or, in webhook mode, only tidy up) until shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use kanava_adapter::{AdapterError, ChannelState, Lang, Shutdown, StateError};
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters, SetWebhookSetters};
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, BotCommand, Update};
use tracing::{info, warn};

use crate::inbound::BotAccount;
use crate::retry::{self, Failure};
use crate::{Inner, Mode};

/// How often finished outbox entries are forgotten and stuck ones retried.
const TIDY_EVERY: Duration = Duration::from_secs(600);
/// Webhook entries are kept this long to recognise Telegram's retries.
const WEBHOOK_MEMORY_SECS: u64 = 48 * 3600;

fn failed(inner: &Inner, reason: String) -> AdapterError {
    inner.health.set(ChannelState::Failed(reason.clone()));
    AdapterError::Rejected {
        channel: inner.channel.clone(),
        reason,
    }
}

fn state_error(inner: &Inner, e: StateError) -> AdapterError {
    AdapterError::Other {
        channel: inner.channel.clone(),
        reason: e.to_string(),
    }
}

/// Sleeps unless shutdown comes first; `false` on shutdown.
async fn pause(d: Duration, shutdown: &mut Shutdown) -> bool {
    tokio::select! {
        _ = shutdown.wait() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// Repeats a start-up request until it succeeds, the token is rejected, or shutdown.
macro_rules! until_ok {
    ($inner:expr, $shutdown:expr, $what:literal, $req:expr) => {{
        let mut attempt = 0u32;
        loop {
            let r = tokio::select! {
                _ = $shutdown.wait() => return Ok(()),
                r = $req => r,
            };
            match r {
                Ok(v) => break v,
                Err(e) => match retry::classify(&e, &$inner.config.token) {
                    Failure::Fatal(reason) | Failure::Refused(reason) => {
                        return Err(failed(&$inner, format!("{}: {reason}", $what)));
                    }
                    Failure::RetryAfter(d) => {
                        if !pause(d, &mut $shutdown).await {
                            return Ok(());
                        }
                    }
                    Failure::Transient(reason) => {
                        $inner
                            .health
                            .set(ChannelState::Degraded(format!("{}: {reason}", $what)));
                        attempt += 1;
                        if !pause(retry::backoff(attempt), &mut $shutdown).await {
                            return Ok(());
                        }
                    }
                },
            }
        }
    }};
}

pub(crate) async fn run(inner: Arc<Inner>, mut shutdown: Shutdown) -> Result<(), AdapterError> {
    let me = until_ok!(inner, shutdown, "getMe", inner.bot.get_me());
    let account = BotAccount {
        id: me.user.id.0,
        username: me.user.username.clone().unwrap_or_default(),
    };
    let _ = inner.me.set(account);
    match &inner.config.mode {
        Mode::Polling => {
            // Telegram refuses getUpdates while a webhook is set.
            until_ok!(inner, shutdown, "deleteWebhook", inner.bot.delete_webhook());
        }
        Mode::Webhook { public_url, secret } => {
            until_ok!(
                inner,
                shutdown,
                "setWebhook",
                inner
                    .bot
                    .set_webhook(public_url.clone())
                    .secret_token(secret.clone())
                    .allowed_updates(allowed())
            );
        }
    }
    publish_commands(&inner).await;
    inner.health.set(ChannelState::Running);
    info!(channel = %inner.channel, mode = ?inner.config, "Telegram channel running");
    inner
        .redeliver()
        .await
        .map_err(|e| state_error(&inner, e))?;
    match inner.config.mode {
        Mode::Polling => poll(inner, shutdown).await,
        Mode::Webhook { .. } => {
            while pause(TIDY_EVERY, &mut shutdown).await {
                tidy(&inner, None).await;
            }
            Ok(())
        }
    }
}

/// The command menu in each language (Telegram shows the one matching the app's language; the
/// Finnish one is the default). A failure only costs the menu.
async fn publish_commands(inner: &Inner) {
    for (code, lang) in [
        (None, Lang::Fi),
        (Some("fi"), Lang::Fi),
        (Some("sv"), Lang::Sv),
        (Some("en"), Lang::En),
    ] {
        let commands: Vec<BotCommand> = inner
            .conversation
            .commands(lang)
            .into_iter()
            .map(|c| BotCommand::new(c.name, c.description))
            .collect();
        if commands.is_empty() {
            return;
        }
        let mut req = inner.bot.set_my_commands(commands);
        if let Some(code) = code {
            req = req.language_code(code);
        }
        if let Err(e) = req.await {
            let f = retry::classify(&e, &inner.config.token);
            warn!(channel = %inner.channel, failure = ?f, "could not publish the command menu");
        }
    }
}

fn allowed() -> Vec<AllowedUpdate> {
    vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]
}

async fn tidy(inner: &Inner, below: Option<u32>) {
    let before = crate::flow::now_secs().saturating_sub(WEBHOOK_MEMORY_SECS);
    if let Err(e) = inner.progress.forget_done(below, before).await {
        warn!(channel = %inner.channel, error = %e, "could not tidy the outbox");
    }
    if let Err(e) = inner.redeliver().await {
        warn!(channel = %inner.channel, error = %e, "could not redeliver");
    }
}

async fn poll(inner: Arc<Inner>, mut shutdown: Shutdown) -> Result<(), AdapterError> {
    let mut offset = inner
        .progress
        .offset()
        .await
        .map_err(|e| state_error(&inner, e))?;
    let mut failures = 0u32;
    let mut tidied = Instant::now();
    let timeout = inner.config.poll_timeout.as_secs().min(15) as u32;
    loop {
        let mut req = inner
            .bot
            .get_updates()
            .timeout(timeout)
            .allowed_updates(allowed());
        if let Some(o) = offset {
            req = req.offset(o as i32);
        }
        let result = tokio::select! {
            _ = shutdown.wait() => return Ok(()),
            r = req => r,
        };
        let updates = match result {
            Ok(u) => u,
            Err(e) => {
                let wait = match retry::classify(&e, &inner.config.token) {
                    Failure::Fatal(reason) => return Err(failed(&inner, reason)),
                    Failure::RetryAfter(d) => d,
                    Failure::Transient(reason) | Failure::Refused(reason) => {
                        inner.health.set(ChannelState::Degraded(format!(
                            "getUpdates failed, retrying: {reason}"
                        )));
                        failures += 1;
                        retry::backoff(failures)
                    }
                };
                if !pause(wait, &mut shutdown).await {
                    return Ok(());
                }
                continue;
            }
        };
        if failures > 0 {
            failures = 0;
            inner.health.set(ChannelState::Running);
        }
        if let Some(max) = updates.iter().map(|u| u.id.0).max() {
            if let Err(e) = handle_batch(&inner, updates).await {
                // Not advancing the offset: the batch comes again and finished updates are
                // recognised by their outbox entries.
                warn!(channel = %inner.channel, error = %e, "could not record progress; retrying the batch");
                inner
                    .health
                    .set(ChannelState::Degraded(format!("channel state: {e}")));
                failures += 1;
                if !pause(retry::backoff(failures), &mut shutdown).await {
                    return Ok(());
                }
                continue;
            }
            let next = max.saturating_add(1);
            if let Err(e) = inner.progress.set_offset(next).await {
                warn!(channel = %inner.channel, error = %e, "could not store the update offset");
            }
            offset = Some(next);
        }
        if tidied.elapsed() >= TIDY_EVERY {
            tidied = Instant::now();
            tidy(&inner, offset).await;
        }
    }
}

/// Handles a batch: chats in parallel, each chat's updates in order.
async fn handle_batch(inner: &Arc<Inner>, updates: Vec<Update>) -> Result<(), StateError> {
    let mut by_chat: HashMap<Option<i64>, Vec<Update>> = HashMap::new();
    for u in updates {
        by_chat.entry(u.chat().map(|c| c.id.0)).or_default().push(u);
    }
    let results = join_all(by_chat.into_values().map(|list| {
        let inner = inner.clone();
        async move {
            for u in list {
                if let Some((claim, entry)) = inner.prepare(&u).await? {
                    inner.deliver(claim, entry).await?;
                }
            }
            Ok::<(), StateError>(())
        }
    }))
    .await;
    results.into_iter().collect()
}
