//! Knowledge edits served without a restart: the knowledge directory is checked every few
//! seconds; a changed set of topic files is validated and, if it has no problem, swapped in
//! whole (turns under way finish with the old base). A broken edit changes nothing that is
//! served: the previous topics keep answering, and the problem is reported in the log, on
//! `/healthz` and in the audit log, until a later edit fixes it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tracing::{info, warn};

use crate::audit::AuditRecord;
use crate::engine::Engine;
use crate::knowledge::KnowledgeBase;
use crate::services::Services;

use super::jobs::Job;

/// How often the directory is looked at. Polling a few dozen small files is cheaper and more
/// portable than file-system notifications (which miss edits on some network and container
/// file systems).
pub(crate) const EVERY: Duration = Duration::from_secs(2);

/// What `/healthz` says about the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum KnowledgeHealth {
    /// The files on disk are the ones served.
    Ok {
        /// Topics served.
        topics: usize,
    },
    /// The files on disk have problems; the previous topics are served.
    Rejected {
        /// Topics served (the previous base).
        topics: usize,
        /// How many problems the files have.
        problems: usize,
        /// The first, as `file:line: what to fix`.
        first: String,
    },
}

impl KnowledgeHealth {
    /// Whether the files on disk are served.
    pub fn ok(&self) -> bool {
        matches!(self, KnowledgeHealth::Ok { .. })
    }
}

/// The knowledge base's state, shared with `/healthz`.
pub type SharedHealth = Arc<RwLock<KnowledgeHealth>>;

/// Names, sizes and modification times of every topic file: a change in any of them is an edit.
fn fingerprint(dir: &Path) -> Fingerprint {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "txt") {
                out.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The reload job: looks at the directory every [`EVERY`] and serves a changed, valid base.
pub(crate) struct Reload {
    dir: PathBuf,
    engine: Arc<Engine>,
    services: Arc<Services>,
    health: SharedHealth,
    seen: Fingerprint,
}

type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

impl Reload {
    /// Watches `dir`, whose present files `engine` serves.
    pub(crate) fn new(
        dir: PathBuf,
        engine: Arc<Engine>,
        services: Arc<Services>,
        health: SharedHealth,
    ) -> Self {
        let seen = fingerprint(&dir);
        Self {
            dir,
            engine,
            services,
            health,
            seen,
        }
    }

    async fn look(&self) -> Fingerprint {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || fingerprint(&dir))
            .await
            .unwrap_or_default()
    }
}

impl Job for Reload {
    fn name(&self) -> &'static str {
        "knowledge reload"
    }

    async fn run(&mut self) {
        let now = self.look().await;
        if now == self.seen {
            return;
        }
        // An editor may write several files, or one in steps: wait until it settles.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let settled = self.look().await;
        if settled != now {
            return;
        }
        self.seen = settled;
        let load_dir = self.dir.clone();
        let loaded = tokio::task::spawn_blocking(move || KnowledgeBase::load(&load_dir)).await;
        let (engine, health) = (&self.engine, &self.health);
        let (kind, reason) = match loaded {
            Ok(Ok(kb)) => {
                let topics = kb.topics().len();
                engine.replace_knowledge(Arc::new(kb));
                *health.write().unwrap_or_else(|p| p.into_inner()) = KnowledgeHealth::Ok { topics };
                info!(topics, "knowledge files changed: the new topics are served");
                ("knowledge_reloaded", format!("{topics} topics"))
            }
            Ok(Err(problems)) => {
                let topics = engine.knowledge().topics().len();
                let first = problems
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                *health.write().unwrap_or_else(|p| p.into_inner()) = KnowledgeHealth::Rejected {
                    topics,
                    problems: problems.len(),
                    first: first.clone(),
                };
                warn!(problems = problems.len(), %first, "knowledge files changed but have problems: the previous topics keep serving (run `kanava knowledge check`)");
                (
                    "knowledge_rejected",
                    format!("{} problem(s), first: {first}", problems.len()),
                )
            }
            Err(e) => {
                warn!(error = %e, "loading the knowledge files failed");
                return;
            }
        };
        let record = AuditRecord {
            at: self.services.clock.now(),
            kind: kind.into(),
            actor: "system".into(),
            subject: None,
            reason,
        };
        if let Err(e) = self.services.guard.audit_log().append(&record).await {
            warn!(error = %e, "could not audit a knowledge change");
        }
    }
}
