//! Write-behind: writes decided under a lock (the guard's state, the audit chain) are queued in
//! order and awaited by one task, so no user's check waits for storage, and the order in which
//! they were decided is the order in which they are applied.

use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use super::{StoreError, StoreFuture};

struct Job {
    what: &'static str,
    write: StoreFuture<()>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue.
#[derive(Debug, Clone)]
pub struct WriteBehind {
    tx: mpsc::UnboundedSender<Job>,
}

/// A queued write; awaiting it gives its result. Dropped, a failure is logged instead.
#[derive(Debug)]
#[must_use = "a write's failure is only logged unless it is awaited"]
pub struct Pending(oneshot::Receiver<Result<(), StoreError>>);

impl Pending {
    /// The write's result, once it is applied (not yet necessarily durable: flush the store).
    pub async fn wait(self) -> Result<(), StoreError> {
        self.0.await.unwrap_or(Err(StoreError::Closed))
    }
}

impl WriteBehind {
    /// Starts the queue's task on the current tokio runtime.
    pub fn start() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let result = job.write.await;
                if let Err(Err(e)) = job.done.send(result) {
                    warn!(error = %e, what = job.what, "a write to storage failed");
                }
            }
        });
        Self { tx }
    }

    /// Queues a write after every earlier one.
    pub fn push<T: Send + 'static>(&self, what: &'static str, write: StoreFuture<T>) -> Pending {
        let (done, rx) = oneshot::channel();
        let write: StoreFuture<()> = Box::pin(async move { write.await.map(|_| ()) });
        if let Err(mpsc::error::SendError(job)) = self.tx.send(Job { what, write, done }) {
            // The task is gone (the runtime is shutting down).
            let _ = job.done.send(Err(StoreError::Closed));
        }
        Pending(rx)
    }

    /// Resolves once every write queued so far is applied.
    pub async fn settle(&self) -> Result<(), StoreError> {
        self.push("settle", Box::pin(futures::future::ready(Ok(()))))
            .wait()
            .await
    }
}
