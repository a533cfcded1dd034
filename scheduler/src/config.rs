//! Settings of the scheduler that are not part of the cluster's state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::PlacementStrategy;
use crate::usage::TimeFairShare;

/// How the scheduler behaves; the same for every cycle until an admin changes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Placement per node pool; pools not listed use `default_placement`.
    pub placement: BTreeMap<String, PlacementStrategy>,
    /// Placement of pools not listed in `placement`.
    pub default_placement: PlacementStrategy,
    /// The most running workloads consolidation may move for one pending workload.
    pub max_consolidation_movers: usize,
    /// How past usage weighs on the split of the surplus (off by default).
    #[serde(default)]
    pub time_fair_share: TimeFairShare,
    /// Whether a cycle remembers the shapes of workloads that found no room or no victims, so
    /// that look-alikes behind them are not searched for again (`crate::memo`). The plan is the
    /// same either way; off only to test that it is.
    #[serde(skip, default = "remember_failures")]
    pub remember_failures: bool,
}

fn remember_failures() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            placement: BTreeMap::new(),
            default_placement: PlacementStrategy::Binpack,
            max_consolidation_movers: 8,
            time_fair_share: TimeFairShare::default(),
            remember_failures: true,
        }
    }
}

impl Config {
    /// The placement strategy of a node pool.
    pub fn placement_for(&self, pool: &str) -> PlacementStrategy {
        self.placement
            .get(pool)
            .copied()
            .unwrap_or(self.default_placement)
    }
}
