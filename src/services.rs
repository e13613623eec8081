//! The composition root: the one place where storage, the guard and the engine are built from
//! configuration. `serve`, `ask` and the offline data commands all start here, so a part is
//! wired the same way wherever it runs.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock, MINUTE};
use crate::config::Config;
use crate::engine::{Engine, EngineConfig, Parts};
use crate::guard::{IdentifierKey, TermsGuard};
use crate::knowledge::KnowledgeBase;
use crate::metrics::Metrics;
use crate::policy::RuleClassifier;
use crate::redact::PiiRedactor;
use crate::retention::RetentionConfig;
use crate::storage::{Storage, StoreError};

/// Why kanava could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The knowledge files have problems.
    #[error("the knowledge base has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Knowledge(Vec<crate::knowledge::Problem>),
    /// Storage could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data directory, socket or listen address failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A channel instance could not be started.
    #[error("{0}")]
    Channel(String),
}

/// Everything a running kanava (or one data command) works with.
#[derive(Debug, Clone)]
pub struct Services {
    /// The stores.
    pub storage: Storage,
    /// Blocks, strikes, restrictions, rate limits and the audit log.
    pub guard: Arc<TermsGuard>,
    /// The conversation pipeline; `None` for data commands, which answer no one.
    pub engine: Option<Arc<Engine>>,
    /// The running channel instances; `None` unless serving (then users can be told things
    /// outside a reply, e.g. an appeal decision).
    pub channels: Option<Arc<crate::server::Registry>>,
    /// Retention periods.
    pub retention: RetentionConfig,
    /// Erasure is refused (archive rules).
    pub legal_hold: bool,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// The configured storage in the data directory (created 0700), the identifier key kept
    /// there, and the guard over them; no engine yet.
    pub async fn open(config: &Config) -> Result<Self, StartError> {
        crate::datadir::prepare(&config.data_dir)?;
        let storage = crate::storage::open_embedded(&config.data_dir)?;
        let key = crate::datadir::identifier_key(&config.data_dir, config.identifier_secret)?;
        Self::over(config, storage, key).await
    }

    /// Like [`Services::open`], on storage that lives as long as the process and a key of its
    /// own (`kanava ask`: nothing is written to disk).
    pub async fn temporary(config: &Config) -> Result<Self, StartError> {
        let key = IdentifierKey::new(rand::random());
        Self::over(config, crate::storage::temporary(), key).await
    }

    async fn over(
        config: &Config,
        storage: Storage,
        key: IdentifierKey,
    ) -> Result<Self, StartError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let guard = TermsGuard::open(&storage, config.terms.clone(), key, clock.clone()).await?;
        Ok(Self {
            storage,
            guard: Arc::new(guard),
            engine: None,
            channels: None,
            retention: config.retention,
            legal_hold: config.legal_hold,
            clock,
        })
    }

    /// The engine: the knowledge base from the configured directory, the redactor, the
    /// classifier, over these stores and this guard.
    pub fn build_engine(&self, config: &Config) -> Result<Arc<Engine>, StartError> {
        let knowledge =
            KnowledgeBase::load(&config.knowledge_dir).map_err(StartError::Knowledge)?;
        let parts = Parts {
            knowledge: Arc::new(knowledge),
            store: self.storage.conversations.clone(),
            guard: self.guard.clone(),
            redactor: Arc::new(PiiRedactor::warmed()),
            classifier: Arc::new(RuleClassifier),
            clock: self.clock.clone(),
            metrics: Metrics::new(),
        };
        let engine_config = EngineConfig {
            session_idle: u64::from(config.session_idle_minutes) * MINUTE,
            default_language: config.default_language,
            confidence_threshold: config.confidence_threshold,
            ..EngineConfig::default()
        };
        Ok(Arc::new(Engine::new(parts, engine_config)))
    }

    /// Makes every queued moderation write and audit record durable (before exit).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.guard.flush().await
    }
}
