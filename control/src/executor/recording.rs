//! A recording executor for tests: it behaves as the simulated one and keeps every call in
//! order, so that a test can assert what the loop asked for, not only what the store says.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{
    Events, Executor, ExecutorError, NodeInventory, Observed, Pending, PodRecord, PodStart,
    PodStop, Simulated,
};

/// One call the loop made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `start`, with the pod.
    Start(Box<PodStart>),
    /// `stop`, with the pod.
    Stop(PodStop),
}

/// The simulated executor, with a log of its calls.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Recording {
    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The names of the pods started so far, in order.
    pub fn started(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Start(p) => Some(p.name.clone()),
                Call::Stop(_) => None,
            })
            .collect()
    }

    /// The names of the pods stopped so far, in order.
    pub fn stopped(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Stop(p) => Some(p.name),
                Call::Start(_) => None,
            })
            .collect()
    }

    fn record(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

impl Executor for Recording {
    fn kind(&self) -> &'static str {
        "simulated"
    }

    fn start(&self, pod: PodStart, events: &Events) {
        self.record(Call::Start(Box::new(pod.clone())));
        Simulated.start(pod, events);
    }

    fn stop(&self, pod: PodStop, events: &Events) {
        self.record(Call::Stop(pod.clone()));
        Simulated.stop(pod, events);
    }

    fn observe<'a>(
        &'a self,
        pods: &'a [PodRecord],
        now_ms: i64,
    ) -> Pending<'a, Result<BTreeMap<String, Observed>, ExecutorError>> {
        Simulated.observe(pods, now_ms)
    }

    fn inventory(&self) -> Pending<'_, Result<Option<Vec<NodeInventory>>, ExecutorError>> {
        Simulated.inventory()
    }
}
