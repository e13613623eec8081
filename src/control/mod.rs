//! The control socket: an owner-only Unix socket in the data directory, a thin transport of
//! staff operations ([`crate::staff`]) to a running server. The embedded database admits one
//! process per data directory, so the command line goes through the server while it runs and
//! opens the store itself only when no server holds it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tracing::{info, warn};

use crate::services::Services;
use crate::staff::{self, Actor, Operation, Outcome};

/// A request over the control socket (one JSON line): who asks, and for what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// The staff member acting.
    pub actor: Actor,
    /// The operation.
    #[serde(flatten)]
    pub operation: Operation,
}

/// A response (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    /// The operation's outcome.
    Ok {
        /// What it answered.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// The request failed.
    Error {
        /// Why.
        message: String,
    },
}

impl Response {
    /// The answer to `operation` run for `actor`.
    pub async fn to(services: &Services, actor: &Actor, operation: Operation) -> Self {
        match staff::execute(services, actor, operation).await {
            Ok(outcome) => Response::Ok { outcome },
            Err(e) => Response::Error {
                message: e.to_string(),
            },
        }
    }
}

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kanava.sock")
}

/// Listens on the control socket until the task is dropped.
pub async fn listen(
    data_dir: &Path,
    services: Arc<Services>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
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
            let services = services.clone();
            tokio::spawn(async move {
                if let Err(e) = serve_client(stream, services).await {
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

async fn serve_client(stream: UnixStream, services: Arc<Services>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let resp = match serde_json::from_str::<Request>(&line) {
            // The embedded backend works when called: a long command (a purge, an export)
            // runs on the blocking pool, off the workers that answer users; a panic in it
            // answers as an error.
            Ok(req) => {
                let services = services.clone();
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || {
                    runtime.block_on(Response::to(&services, &req.actor, req.operation))
                })
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
