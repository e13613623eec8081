//! The sync loop: set up the client, accept invites, answer questions and reactions, and only
//! then move kanava's own sync position; back off and resume when the homeserver goes away.

use std::sync::Arc;
use std::time::Duration;

use kanava_adapter::retry::backoff;
use kanava_adapter::{
    AdapterError, ChannelState, Event, Inbound, OutboundKind, ReplyId, Shutdown, StateError,
};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedTransactionId, OwnedUserId};
use matrix_sdk::{Client, Room, RoomMemberships};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::inbound::{self, RoomKind};
use crate::session::{self, SetupError};
use crate::{render, Inner};

const SYNC_TOKEN: &[u8] = b"sync_token";
/// Attempts per reply within one round; after that the batch is retried after a backoff.
const SEND_ATTEMPTS: u32 = 3;

enum Item {
    Message(Room, Box<OriginalSyncRoomMessageEvent>),
    Reaction(Room, OriginalSyncReactionEvent),
}

/// One answered (or being answered) event: the replies, and how many the homeserver has.
#[derive(Serialize, Deserialize)]
struct Answer {
    replies: Vec<Notice>,
    sent: usize,
}

#[derive(Serialize, Deserialize)]
struct Notice {
    plain: String,
    html: String,
    feedback: Option<String>,
}

async fn pause(d: Duration, shutdown: &mut Shutdown) -> bool {
    tokio::select! {
        _ = shutdown.wait() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

impl Inner {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, StateError> {
        self.state.get(key).await
    }

    async fn put(&self, key: String, value: Vec<u8>) -> Result<(), StateError> {
        self.state.put(key, value).await
    }

    fn invite_allowed(&self, inviter: &OwnedUserId) -> bool {
        self.config
            .allowed_users
            .iter()
            .any(|u| u == inviter.as_str())
            || self
                .config
                .allowed_servers
                .iter()
                .any(|s| s == inviter.server_name().as_str())
    }
}

fn failed(inner: &Inner, reason: String) -> AdapterError {
    inner.health.set(ChannelState::Failed(reason.clone()));
    AdapterError::Rejected {
        channel: inner.channel.clone(),
        reason,
    }
}

pub(crate) async fn run(inner: Arc<Inner>, mut shutdown: Shutdown) -> Result<(), AdapterError> {
    let mut attempt = 0;
    let client = loop {
        match session::connect(&inner).await {
            Ok(c) => break c,
            Err(SetupError::Rejected(r)) => return Err(failed(&inner, r)),
            Err(SetupError::State(r)) => {
                return Err(AdapterError::Other {
                    channel: inner.channel.clone(),
                    reason: r,
                })
            }
            Err(SetupError::Transient(r)) => {
                inner
                    .health
                    .set(ChannelState::Degraded(format!("cannot log in yet: {r}")));
                attempt += 1;
                if !pause(backoff(attempt), &mut shutdown).await {
                    return Ok(());
                }
            }
        }
    };
    let me = client
        .user_id()
        .map(ToOwned::to_owned)
        .ok_or_else(|| failed(&inner, "no user id after login".into()))?;
    info!(channel = %inner.channel, device = ?client.device_id(), "Matrix channel logged in");
    let _ = inner.client.set(client.clone());
    let (tx, mut rx) = mpsc::unbounded_channel::<Item>();
    {
        let tx = tx.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(Item::Message(room, Box::new(ev)));
            }
        });
    }
    client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Item::Reaction(room, ev));
        }
    });
    {
        // Events still encrypted after the sync could not be decrypted (the sender's keys never
        // reached this device). Nothing can be answered; staff see that it happens.
        let channel = inner.channel.clone();
        client.add_event_handler(move |_: OriginalSyncRoomEncryptedEvent, room: Room| {
            let channel = channel.clone();
            async move {
                warn!(%channel, room = %room.room_id(), "a message could not be decrypted");
            }
        });
    }
    {
        let inner = inner.clone();
        client.add_event_handler(
            move |ev: StrippedRoomMemberEvent, room: Room, client: Client| {
                let inner = inner.clone();
                async move { invite(&inner, ev, room, client).await }
            },
        );
    }

    let mut token = inner
        .get(String::from_utf8_lossy(SYNC_TOKEN).into_owned())
        .await
        .map_err(|e| failed(&inner, e.to_string()))?
        .map(|t| String::from_utf8_lossy(&t).into_owned());
    // The very first sync brings the rooms' history: none of it is a question for this bot.
    let mut history = token.is_none();
    let mut failures = 0u32;
    loop {
        let mut settings = SyncSettings::default().timeout(Duration::from_secs(20));
        if let Some(t) = &token {
            settings = settings.token(t.clone());
        }
        let result = tokio::select! {
            _ = shutdown.wait() => return Ok(()),
            r = client.sync_once(settings) => r,
        };
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                use matrix_sdk::ruma::api::error::ErrorKind;
                if let Some(ErrorKind::UnknownToken { .. }) = e.client_api_error_kind() {
                    return Err(failed(
                        &inner,
                        format!("the homeserver no longer accepts the session: {e}"),
                    ));
                }
                failures += 1;
                inner.health.set(ChannelState::Degraded(format!(
                    "sync failed, retrying: {e}"
                )));
                while rx.try_recv().is_ok() {}
                if !pause(backoff(failures), &mut shutdown).await {
                    return Ok(());
                }
                continue;
            }
        };
        let mut items = Vec::new();
        while let Ok(i) = rx.try_recv() {
            items.push(i);
        }
        if !history {
            let mut ok = true;
            for item in items {
                if let Err(e) = handle(&inner, &me, item).await {
                    warn!(channel = %inner.channel, error = %e, "could not answer; the batch will be synced again");
                    ok = false;
                    break;
                }
            }
            if !ok {
                failures += 1;
                inner
                    .health
                    .set(ChannelState::Degraded("answers not delivered yet".into()));
                if !pause(backoff(failures), &mut shutdown).await {
                    return Ok(());
                }
                continue;
            }
        }
        history = false;
        // Pushed messages waiting since before the login, or not taken last time.
        if let Err(e) = crate::push::send_pending(&inner).await {
            warn!(channel = %inner.channel, error = %e, "could not send pushed messages");
        }
        if failures > 0 || inner.health.get() != ChannelState::Running {
            failures = 0;
            inner.health.set(ChannelState::Running);
        }
        inner
            .put(
                String::from_utf8_lossy(SYNC_TOKEN).into_owned(),
                response.next_batch.clone().into_bytes(),
            )
            .await
            .map_err(|e| failed(&inner, e.to_string()))?;
        token = Some(response.next_batch);
    }
}

async fn invite(inner: &Arc<Inner>, ev: StrippedRoomMemberEvent, room: Room, client: Client) {
    if Some(ev.state_key.as_ref()) != client.user_id()
        || ev.content.membership != MembershipState::Invite
    {
        return;
    }
    if !inner.invite_allowed(&ev.sender) {
        info!(channel = %inner.channel, "invite from a server or user not allowed; declined");
        let _ = room.leave().await;
        return;
    }
    let inner = inner.clone();
    let direct = ev.content.is_direct.unwrap_or(false);
    let inviter = ev.sender.clone();
    tokio::spawn(async move {
        for attempt in 0..8 {
            match room.join().await {
                Ok(()) => {
                    if direct {
                        if let Err(e) = inner
                            .put(format!("dm/{}", room.room_id()), Vec::new())
                            .await
                        {
                            warn!(channel = %inner.channel, error = %e, "could not remember a direct room");
                        }
                        // A new direct conversation: greet once, as other channels do on start.
                        let inbound = Inbound {
                            identity: kanava_adapter::UserIdentity::new(
                                inner.channel.clone(),
                                inviter.as_str(),
                            ),
                            chat: inbound::chat(
                                room.room_id().as_str(),
                                RoomKind::Direct,
                                &inviter,
                            ),
                            event: Event::Start,
                            client: None,
                        };
                        let key = format!("welcome.{}", room.room_id());
                        if let Err(e) = answer(&inner, &room, &key, RoomKind::Direct, inbound).await
                        {
                            warn!(channel = %inner.channel, error = %e, "could not greet a new room");
                        }
                    }
                    return;
                }
                Err(e) => {
                    warn!(channel = %inner.channel, error = %e, "joining an invited room failed; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    });
}

/// Direct: invited as a direct chat, marked direct, or just the user and the bot. The member
/// list (not the sync summary, which Synapse may leave out) decides the last.
async fn room_kind(inner: &Inner, room: &Room) -> RoomKind {
    let flagged = inner
        .get(format!("dm/{}", room.room_id()))
        .await
        .ok()
        .flatten()
        .is_some();
    if flagged || room.is_direct().await.unwrap_or(false) {
        return RoomKind::Direct;
    }
    let joined = match room.members(RoomMemberships::JOIN).await {
        Ok(m) => m.len() as u64,
        Err(_) => room.joined_members_count(),
    };
    if joined <= 2 {
        RoomKind::Direct
    } else {
        RoomKind::Group
    }
}

async fn handle(inner: &Inner, me: &OwnedUserId, item: Item) -> Result<(), StateError> {
    match item {
        Item::Message(room, ev) => {
            let kind = room_kind(inner, &room).await;
            if kind == RoomKind::Group && !inner.config.answer_in_groups {
                return Ok(());
            }
            let Ok(inbound) =
                inbound::message(&ev, room.room_id().as_str(), kind, me, &inner.channel)
            else {
                return Ok(());
            };
            answer(inner, &room, ev.event_id.as_str(), kind, inbound).await
        }
        Item::Reaction(room, ev) => {
            if ev.sender == *me {
                return Ok(());
            }
            let Some(helpful) = inbound::reaction_value(&ev.content.relates_to.key) else {
                return Ok(());
            };
            let Some(reply) = inner
                .get(format!("r/{}", ev.content.relates_to.event_id))
                .await?
                .map(|r| String::from_utf8_lossy(&r).into_owned())
            else {
                return Ok(());
            };
            let kind = room_kind(inner, &room).await;
            let inbound = Inbound {
                identity: kanava_adapter::UserIdentity::new(
                    inner.channel.clone(),
                    ev.sender.as_str(),
                ),
                chat: inbound::chat(room.room_id().as_str(), kind, &ev.sender),
                event: Event::Feedback {
                    reply: ReplyId(reply),
                    helpful,
                },
                client: None,
            };
            answer(inner, &room, ev.event_id.as_str(), kind, inbound).await
        }
    }
}

/// Answers one event exactly once: the engine's replies are recorded before sending, each sent
/// reply is recorded, and the transaction id makes a resend a no-op on the homeserver.
async fn answer(
    inner: &Inner,
    room: &Room,
    event: &str,
    kind: RoomKind,
    inbound: Inbound,
) -> Result<(), StateError> {
    let key = format!("e/{event}");
    let mut record = match inner.get(key.clone()).await? {
        Some(bytes) => match serde_json::from_slice::<Answer>(&bytes) {
            Ok(a) => a,
            Err(_) => return Ok(()),
        },
        None => {
            let replies = inner.conversation.handle(inbound).await;
            let record = Answer {
                replies: replies
                    .iter()
                    // Terms-of-use notices concern one person: never post them in a group.
                    .filter(|r| !(kind == RoomKind::Group && r.kind == OutboundKind::Notice))
                    .map(|r| {
                        let (plain, html) = render::notice(r);
                        Notice {
                            plain,
                            html,
                            feedback: r.feedback.as_ref().map(|f| f.0.clone()),
                        }
                    })
                    .collect(),
                sent: 0,
            };
            inner
                .put(
                    key.clone(),
                    serde_json::to_vec(&record).map_err(|e| StateError(e.to_string()))?,
                )
                .await?;
            record
        }
    };
    while record.sent < record.replies.len() {
        let n = &record.replies[record.sent];
        let content = RoomMessageEventContent::notice_html(n.plain.clone(), n.html.clone());
        let txn = OwnedTransactionId::from(format!(
            "kanava.{}.{}",
            event.trim_start_matches('$'),
            record.sent
        ));
        let mut sent = None;
        for attempt in 0..SEND_ATTEMPTS {
            match room
                .send(content.clone())
                .with_transaction_id(txn.clone())
                .await
            {
                Ok(r) => {
                    sent = Some(r.response.event_id);
                    break;
                }
                Err(e) => {
                    warn!(channel = %inner.channel, error = %e, "sending a reply failed");
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        let Some(event_id) = sent else {
            return Err(StateError("the homeserver did not take the reply".into()));
        };
        if let Some(f) = &n.feedback {
            inner
                .put(format!("r/{event_id}"), f.clone().into_bytes())
                .await?;
        }
        record.sent += 1;
        inner
            .put(
                key.clone(),
                serde_json::to_vec(&record).map_err(|e| StateError(e.to_string()))?,
            )
            .await?;
    }
    Ok(())
}
