//! Group commit: a thread waits for a flush request, takes every request queued meanwhile,
//! flushes once and answers all — concurrent writers share one `fsync`, and no tokio worker
//! ever waits on the disk.

use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use kanava_store::{StoreError, StoreFuture};
use tokio::sync::oneshot;

type Waiter = oneshot::Sender<Result<(), String>>;

/// A handle on the group-commit thread.
#[derive(Debug, Clone)]
pub(crate) struct Flusher(Arc<Thread>);

/// The thread and its queue. When the last handle goes, the thread is stopped and joined, so it
/// no longer holds the database: the directory can be opened again at once (a restart in
/// tests, a data command after `serve` in the same process).
#[derive(Debug)]
struct Thread {
    tx: Mutex<Option<mpsc::Sender<Waiter>>>,
    handle: Mutex<Option<thread::JoinHandle<()>>>,
}

impl Drop for Thread {
    fn drop(&mut self) {
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(h) = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
    }
}

impl Flusher {
    pub(crate) fn start(db: sled::Db) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Waiter>();
        let handle = thread::Builder::new()
            .name("kanava-group-commit".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut waiters = vec![first];
                    waiters.extend(rx.try_iter());
                    let result = db.flush().map(|_| ()).map_err(|e| e.to_string());
                    for w in waiters {
                        let _ = w.send(result.clone());
                    }
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the flusher thread: {e}")))?;
        Ok(Self(Arc::new(Thread {
            tx: Mutex::new(Some(tx)),
            handle: Mutex::new(Some(handle)),
        })))
    }

    /// Resolves once everything written before the call is on disk.
    pub(crate) fn durable(&self) -> StoreFuture<()> {
        let (tx, rx) = oneshot::channel();
        let sent = match self.0.tx.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(queue) => queue.send(tx).map_err(|_| ()),
            None => Err(()),
        };
        Box::pin(async move {
            sent.map_err(|_| StoreError::Closed)?;
            match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(reason)) => Err(StoreError::Backend(reason)),
                Err(_) => Err(StoreError::Closed),
            }
        })
    }

    /// `result` (of writes done now), resolved once they are durable.
    pub(crate) fn after<T: Send + 'static>(&self, result: Result<T, StoreError>) -> StoreFuture<T> {
        let durable = self.durable();
        Box::pin(async move {
            let value = result?;
            durable.await?;
            Ok(value)
        })
    }
}
