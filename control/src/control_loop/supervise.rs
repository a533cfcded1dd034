//! The loop's task is supervised: if it dies (a panic), the server says so in `/healthz` and the
//! task is started again with a fresh snapshot read from the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::Control;

/// How the loop's task fares, for `/healthz`.
#[derive(Debug, Clone, Default)]
pub struct Health {
    restarts: Arc<AtomicU64>,
    last_failure: Arc<std::sync::Mutex<Option<String>>>,
}

impl Health {
    /// Times the loop's task died and was started again.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Why it last died, if it did.
    pub fn last_failure(&self) -> Option<String> {
        self.last_failure.lock().ok().and_then(|f| f.clone())
    }

    fn failed(&self, why: String) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.last_failure.lock() {
            *f = Some(why);
        }
    }
}

impl Control {
    /// Runs the loop forever in a task of its own, started again (after a short pause, with the
    /// snapshot read afresh) whenever it dies. With a claim to lead ([`Control::with_leadership`])
    /// it runs only while this server leads: it waits to, and stops the moment it no longer does.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let term = match &self.leadership {
                    Some(leadership) => {
                        self.wake.record(false);
                        Some(leadership.until_leading().await)
                    }
                    None => None,
                };
                // Another server may have scheduled meanwhile: start from the store.
                self.wake.record(true);
                *self.cache.lock().await = None;
                *self.usage.lock().await = None;
                self.quiet.store(false, Ordering::Relaxed);
                if let Ok(mut in_flight) = self.in_flight.lock() {
                    in_flight.clear();
                }
                if let Ok(mut reconciled) = self.reconciled.lock() {
                    *reconciled = None;
                }
                self.wake.wake();
                let this = self.clone();
                let mut task = tokio::spawn(async move {
                    let mut last = Duration::ZERO;
                    loop {
                        this.pass(&mut last).await;
                    }
                });
                let ended = match (&self.leadership, term) {
                    (Some(leadership), Some(term)) => {
                        tokio::select! {
                            ended = &mut task => ended,
                            () = leadership.until_stepped_down(term) => {
                                task.abort();
                                let _ = task.await;
                                tracing::info!(term, "the scheduling loop stopped: another server leads");
                                continue;
                            }
                        }
                    }
                    _ => task.await,
                };
                let Err(e) = ended;
                let why = if e.is_panic() {
                    let p = e.into_panic();
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "a panic".into())
                } else {
                    e.to_string()
                };
                tracing::error!(why = %why, "the scheduling loop died; starting it again");
                self.health.failed(why);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    }
}
