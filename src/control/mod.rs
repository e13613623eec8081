//! The control socket: an owner-only Unix socket in the data directory through which data
//! commands (`kanava stats`, and later blocks, audit, purge, export) reach a running server.
//! sled admits one process per data directory, so commands go through the server while it runs
//! and open the store directly only when no server holds it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tracing::{info, warn};

use crate::audit::AuditRecord;
use crate::clock::{Clock, SystemClock};
use crate::guard::{Block, TermsGuard};
use crate::storage::{Stats, Storage};
use crate::subject::Subjects;

/// The longest block a moderator can set, in hours (ten years): beyond it, use "until lifted".
pub const MAX_BLOCK_HOURS: u64 = 87_600;

/// A request over the control socket (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    /// Counts of stored records.
    Stats,
    /// A moderator blocks an identity.
    BlockAdd {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// The moderator's personal id.
        moderator: String,
        /// Why.
        reason: String,
        /// Hours until it ends; `None`: until lifted.
        hours: Option<u64>,
    },
    /// A moderator lifts a block.
    BlockRemove {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// The moderator's personal id.
        moderator: String,
        /// Why.
        reason: String,
    },
    /// Every block.
    BlockList,
    /// Audit records since a time, optionally of one kind.
    Audit {
        /// Microseconds since the epoch.
        since: u64,
        /// Record kind.
        kind: Option<String>,
    },
    /// Check the audit log's hash chain.
    AuditVerify,
    /// Everything stored about one identity.
    SubjectExport {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// The staff member's personal id.
        staff: String,
        /// Why (e.g. the request's reference).
        reason: String,
    },
    /// Erase one identity (refused under a legal hold).
    SubjectErase {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// The staff member's personal id.
        staff: String,
        /// Why.
        reason: String,
    },
    /// Restrict (or lift the restriction of) processing for one identity.
    SubjectRestrict {
        /// Channel instance.
        channel: String,
        /// Platform user id.
        user: String,
        /// The staff member's personal id.
        staff: String,
        /// Why.
        reason: String,
        /// End the restriction instead.
        lift: bool,
    },
    /// Purge what retention says is due.
    Purge {
        /// Count only, delete nothing.
        dry_run: bool,
    },
    /// Staff lift an identifier lockdown.
    LiftLockdown {
        /// The moderator's personal id.
        moderator: String,
    },
}

/// A response (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", content = "data", rename_all = "snake_case")]
pub enum Response {
    /// Counts.
    Stats(Stats),
    /// One block (added or removed).
    Block(Block),
    /// Blocks.
    Blocks(Vec<Block>),
    /// Audit records.
    Audit(Vec<AuditRecord>),
    /// An identity's data.
    Export(Box<crate::subject::SubjectExport>),
    /// What an erasure removed.
    Erased(crate::subject::Erasure),
    /// What a purge did.
    Purge(crate::retention::PurgeReport),
    /// The audit chain's state.
    Verification(crate::audit::Verification),
    /// Done.
    Done,
    /// The request failed.
    Error {
        /// Why.
        message: String,
    },
}

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kanava.sock")
}

/// What data commands work on.
#[derive(Debug, Clone)]
pub struct Context {
    /// The stores.
    pub storage: Storage,
    /// Blocks, restrictions and the audit log, as the running guard holds them.
    pub guard: Arc<TermsGuard>,
    /// Retention periods.
    pub retention: crate::retention::RetentionConfig,
    /// Erasure is refused (archive rules).
    pub legal_hold: bool,
    /// The running engine, whose live sessions an erasure forgets (none offline).
    pub engine: Option<Arc<crate::engine::Engine>>,
}

impl Context {
    fn subjects(&self) -> Subjects<'_> {
        Subjects::new(self.storage.conversations.as_ref(), &self.guard)
    }
}

/// Answers one request.
pub async fn execute(ctx: &Context, req: Request) -> Response {
    let guard = ctx.guard.as_ref();
    let now = SystemClock.now();
    let err = |e: &dyn std::fmt::Display| Response::Error {
        message: e.to_string(),
    };
    match req {
        Request::Stats => {
            // Restricted identities' records are kept but left out of statistics.
            let restricted = ctx.subjects().restricted_counts().await;
            match (ctx.storage.conversations.stats().await, restricted) {
                (Ok(mut s), Ok((identities, transcripts, feedback))) => {
                    s.transcript = s.transcript.saturating_sub(transcripts);
                    s.feedback = s.feedback.saturating_sub(feedback);
                    s.restricted_identities = identities;
                    Response::Stats(s)
                }
                (Err(e), _) | (_, Err(e)) => err(&e),
            }
        }
        Request::BlockAdd {
            channel,
            user,
            moderator,
            reason,
            hours,
        } => {
            if hours.is_some_and(|h| !(1..=MAX_BLOCK_HOURS).contains(&h)) {
                return Response::Error {
                    message: format!("hours must be 1 to {MAX_BLOCK_HOURS}"),
                };
            }
            let expires = hours.map(|h| now.saturating_add(h * 3_600_000_000));
            guard
                .block_add(&channel, &user, &moderator, &reason, expires, now)
                .await
                .map_or_else(|e| err(&e), Response::Block)
        }
        Request::BlockRemove {
            channel,
            user,
            moderator,
            reason,
        } => guard
            .block_remove(&channel, &user, &moderator, &reason, now)
            .await
            .map_or_else(|e| err(&e), Response::Block),
        Request::BlockList => Response::Blocks(guard.block_list()),
        Request::Audit { since, kind } => guard
            .audit_log()
            .list(since, kind.as_deref())
            .await
            .map_or_else(|e| err(&e), Response::Audit),
        Request::SubjectExport {
            channel,
            user,
            staff,
            reason,
        } => ctx
            .subjects()
            .export(&channel, &user, &staff, &reason, now)
            .await
            .map_or_else(|e| err(&e), |x| Response::Export(Box::new(x))),
        Request::SubjectErase {
            channel,
            user,
            staff,
            reason,
        } => match ctx
            .subjects()
            .erase(&channel, &user, &staff, &reason, ctx.legal_hold, now)
            .await
        {
            Ok(done) => {
                // The engine's live sessions go too (the guard forgot the identity as part of
                // the erasure).
                if let Some(engine) = &ctx.engine {
                    engine.sessions().forget(&channel, &user);
                }
                Response::Erased(done)
            }
            Err(e) => err(&e),
        },
        Request::SubjectRestrict {
            channel,
            user,
            staff,
            reason,
            lift,
        } => ctx
            .subjects()
            .restrict(&channel, &user, &staff, &reason, lift, now)
            .await
            .map_or_else(|e| err(&e), |()| Response::Done),
        Request::Purge { dry_run } => crate::retention::purge(
            crate::retention::Stores {
                conversations: ctx.storage.conversations.as_ref(),
                moderation: ctx.storage.moderation.as_ref(),
                audit: guard.audit_log(),
            },
            &ctx.retention,
            now,
            dry_run,
            "staff",
            std::time::Duration::ZERO,
        )
        .await
        .map_or_else(|e| err(&e), Response::Purge),
        Request::AuditVerify => guard
            .audit_log()
            .verify()
            .await
            .map_or_else(|e| err(&e), Response::Verification),
        Request::LiftLockdown { moderator } => {
            guard.lift_lockdown(&moderator, now).await;
            Response::Done
        }
    }
}

/// Listens on the control socket until the task is dropped.
pub async fn listen(data_dir: &Path, ctx: Context) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let path = socket_path(data_dir);
    // We hold the data directory's lock, so a socket file left here is from a crashed run.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    set_owner_only(&path)?;
    info!(socket = %path.display(), "control socket ready");
    Ok(tokio::spawn(async move {
        // A persistent accept error (too many open files) must not spin a core: back off,
        // 100 ms doubling to 1 s, and say so once per streak.
        let mut backoff = std::time::Duration::ZERO;
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => {
                    backoff = std::time::Duration::ZERO;
                    stream
                }
                Err(e) => {
                    if backoff.is_zero() {
                        warn!(error = %e, "control socket cannot accept; backing off");
                    }
                    backoff = (backoff * 2).clamp(
                        std::time::Duration::from_millis(100),
                        std::time::Duration::from_secs(1),
                    );
                    tokio::time::sleep(backoff).await;
                    continue;
                }
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = serve_client(stream, ctx).await {
                    warn!(error = %e, "control client failed");
                }
            });
        }
    }))
}

#[cfg(unix)]
fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

async fn serve_client(stream: UnixStream, ctx: Context) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let resp = match serde_json::from_str::<Request>(&line) {
            // The embedded backend works when called: a long command (a purge, an export)
            // runs on the blocking pool, off the workers that answer users; a panic in it
            // answers as an error.
            Ok(req) => {
                let ctx = ctx.clone();
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || runtime.block_on(execute(&ctx, req)))
                    .await
                    .unwrap_or_else(|e| Response::Error {
                        message: format!("command failed: {e}"),
                    })
            }
            Err(e) => Response::Error {
                message: format!("bad request: {e}"),
            },
        };
        let mut out = serde_json::to_vec(&resp).or_else(|e| {
            serde_json::to_vec(&Response::Error {
                message: format!("cannot encode the answer: {e}"),
            })
        })?;
        out.push(b'\n');
        write.write_all(&out).await?;
    }
    Ok(())
}

/// Sends a request to the server running on `data_dir`; `Ok(None)` when none is running.
pub async fn request(data_dir: &Path, req: &Request) -> std::io::Result<Option<Response>> {
    let stream = match UnixStream::connect(socket_path(data_dir)).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(req).unwrap_or_default();
    line.push(b'\n');
    write.write_all(&line).await?;
    let mut lines = BufReader::new(read).lines();
    match lines.next_line().await? {
        Some(l) => serde_json::from_str(&l)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "server closed the control socket",
        )),
    }
}
