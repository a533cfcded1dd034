//! The floor the benchmark compares a full cycle against: one pass that puts every pending workload,
//! in submission order, on the first place the placement index offers. No fairness, no quotas, no
//! eviction: what placement alone costs.

use crate::cluster::Cluster;
use crate::config::Config;
use crate::error::SnapshotError;
use crate::index::Index;
use crate::model::Snapshot;

/// Places pending workloads first-come first-fit; returns how many were placed.
pub fn first_fit(snapshot: &Snapshot, config: &Config) -> Result<usize, SnapshotError> {
    let index = Index::build(snapshot)?;
    let strategies: Vec<_> = index
        .pools
        .iter()
        .map(|p| config.placement_for(&p.name))
        .collect();
    let mut cluster = Cluster::build(&index, &strategies)?;
    let mut pending: Vec<usize> = (0..index.jobs.len())
        .filter(|&j| index.jobs[j].running_pool.is_none())
        .collect();
    pending.sort_by_key(|&j| index.jobs[j].workload.submission);
    let mut placed = 0;
    for j in pending {
        let w = index.jobs[j].workload;
        let need = crate::cluster::PodNeed {
            gpu: w.gpu,
            cpu: w.cpu_millicores as i64,
            memory: w.memory_mib as i64,
        };
        for &pool in index.pools_of(j) {
            let start = cluster.checkpoint();
            let fitted = (0..w.pods)
                .take_while(|_| {
                    cluster
                        .place_pod(pool, need, &crate::cluster::Avoid::NONE)
                        .is_some()
                })
                .count();
            if fitted as u32 >= w.min_pods {
                cluster.commit();
                placed += 1;
                break;
            }
            cluster.rollback(start);
            cluster.commit();
        }
    }
    Ok(placed)
}
