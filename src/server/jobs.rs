//! Background jobs: the retention purge, the guard's eviction of idle state, the knowledge
//! reload. Each is a [`Job`] that [`Jobs`] runs on its schedule; a run that panics is reported
//! and the job runs again at its next time; all stop together at shutdown.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinHandle;
use tracing::error;

/// One kind of background work.
pub(crate) trait Job: Send + 'static {
    /// Its name in the log.
    fn name(&self) -> &'static str;

    /// One run.
    fn run(&mut self) -> impl Future<Output = ()> + Send + '_;
}

/// The running jobs.
#[derive(Default)]
pub(crate) struct Jobs(Vec<JoinHandle<()>>);

impl Jobs {
    /// Runs `job` once `first` has passed, then `period` after each run ends.
    pub(crate) fn every(&mut self, first: Duration, period: Duration, mut job: impl Job) {
        self.0.push(tokio::spawn(async move {
            tokio::time::sleep(first).await;
            loop {
                if AssertUnwindSafe(job.run()).catch_unwind().await.is_err() {
                    error!(
                        job = job.name(),
                        "background job panicked; it runs again at its next time"
                    );
                }
                tokio::time::sleep(period).await;
            }
        }));
    }

    /// Stops every job (a run under way ends at its next await).
    pub(crate) fn stop(self) {
        for job in self.0 {
            job.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    struct Flaky(Arc<AtomicUsize>);

    impl Job for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }

        async fn run(&mut self) {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("first run fails");
            }
        }
    }

    #[tokio::test]
    async fn a_job_that_panics_runs_again() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut jobs = Jobs::default();
        jobs.every(
            Duration::ZERO,
            Duration::from_millis(5),
            Flaky(runs.clone()),
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        jobs.stop();
        assert!(
            runs.load(Ordering::SeqCst) >= 3,
            "the job stopped after its panic"
        );
    }
}
