//! One bad row never stops scheduling for everyone: when a snapshot is refused because of some
//! of its workloads (an unknown project or node, a request that makes no sense, running pods
//! that hold more of a node than it has), [`set_aside`] names those workloads, so that the
//! caller can schedule the rest without them and say why they wait.

use std::collections::BTreeSet;

use crate::cluster::Cluster;
use crate::error::SnapshotError;
use crate::index::{Index, check_request};
use crate::model::{Snapshot, WorkloadId};

/// The workloads to leave out of `snapshot` so that a cycle accepts it, each with why, in
/// submission order. Empty when the snapshot is fine, or when what is wrong is not a workload's
/// (two nodes of one name, a department loop): no workload can be blamed for that.
pub fn set_aside(snapshot: &Snapshot) -> Vec<(WorkloadId, SnapshotError)> {
    let base = Snapshot {
        workloads: Vec::new(),
        ..snapshot.clone()
    };
    if Index::build(&base).is_err() {
        return Vec::new();
    }
    let projects: BTreeSet<&str> = snapshot.projects.iter().map(|p| p.name.as_str()).collect();
    let nodes: BTreeSet<&str> = snapshot.nodes.iter().map(|n| n.name.as_str()).collect();
    let mut order: Vec<usize> = (0..snapshot.workloads.len()).collect();
    order.sort_by_key(|&i| (snapshot.workloads[i].submission, snapshot.workloads[i].id));
    let mut aside = Vec::new();
    let mut seen = BTreeSet::new();
    let mut kept = Vec::with_capacity(snapshot.workloads.len());
    for i in order {
        let w = &snapshot.workloads[i];
        let refused = if !seen.insert(w.id) {
            Some(SnapshotError::DuplicateWorkload(w.id))
        } else if !projects.contains(w.project.as_str()) {
            Some(SnapshotError::UnknownProject {
                workload: w.name.clone(),
                project: w.project.clone(),
            })
        } else if let Some(p) = w
            .placement
            .iter()
            .find(|p| !nodes.contains(p.node.as_str()))
        {
            Some(SnapshotError::UnknownNode {
                workload: w.name.clone(),
                node: p.node.clone(),
            })
        } else {
            check_request(w).err()
        };
        match refused {
            Some(e) => aside.push((w.id, e)),
            None => kept.push(w.clone()),
        }
    }
    let rest = Snapshot {
        workloads: kept,
        ..base
    };
    match Index::build(&rest) {
        Ok(index) => {
            for (job, e) in Cluster::overallocated(&index) {
                aside.push((index.jobs[job].workload.id, e));
            }
        }
        // A kind of refusal this check does not know: blame each remaining workload it names.
        Err(e) => {
            for w in &rest.workloads {
                if e.to_string().contains(&format!("workload {} ", w.name)) {
                    aside.push((w.id, e.clone()));
                }
            }
        }
    }
    aside
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GpuRequest, GpuSlots, Node, PodPlacement, Project, Workload, WorkloadKind};

    fn snapshot() -> Snapshot {
        let w = |id: u64, name: &str, project: &str, node: Option<(&str, Vec<u32>)>| Workload {
            id,
            name: name.into(),
            project: project.into(),
            kind: WorkloadKind::Training,
            pools: Vec::new(),
            pods: 1,
            min_pods: 1,
            gpu: GpuRequest::Devices(1),
            cpu_millicores: 100,
            memory_mib: 100,
            priority: 40,
            preemptible: true,
            submission: id,
            nominated: false,
            placement: node
                .map(|(n, d)| {
                    vec![PodPlacement {
                        node: n.into(),
                        gpus: GpuSlots::Devices(d),
                    }]
                })
                .unwrap_or_default(),
            running_since_ms: None,
        };
        Snapshot {
            nodes: vec![Node {
                name: "n".into(),
                pool: "default".into(),
                gpus: 2,
                gpu_memory_mib: 81920,
                cpu_millicores: 64_000,
                memory_mib: 1 << 20,
            }],
            departments: Vec::new(),
            projects: vec![Project {
                name: "p".into(),
                department: None,
                quotas: Vec::new(),
                min_runtime: Default::default(),
            }],
            workloads: vec![
                w(1, "fine", "p", Some(("n", vec![0]))),
                w(2, "twice", "p", Some(("n", vec![0]))),
                w(3, "orphan", "gone", None),
                w(4, "lost", "p", Some(("elsewhere", vec![0]))),
                w(5, "waits", "p", None),
            ],
            releasing: Vec::new(),
            now_ms: 0,
            usage: Vec::new(),
        }
    }

    #[test]
    fn the_workloads_that_break_a_snapshot_are_named_and_the_rest_schedules() {
        let s = snapshot();
        assert!(crate::schedule(&s, &Default::default()).is_err());
        let aside = set_aside(&s);
        let ids: Vec<u64> = aside.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![3, 4, 2], "{aside:?}");
        assert!(
            aside[2].1.to_string().contains("GPU 0 is already in use"),
            "{aside:?}"
        );
        let rest = Snapshot {
            workloads: s
                .workloads
                .iter()
                .filter(|w| !ids.contains(&w.id))
                .cloned()
                .collect(),
            ..s.clone()
        };
        let plan = crate::schedule(&rest, &Default::default()).expect("the rest schedules");
        assert_eq!(plan.binds.len(), 1, "waits takes the free GPU: {plan:?}");
    }

    #[test]
    fn a_fine_snapshot_sets_nothing_aside() {
        let mut s = snapshot();
        s.workloads.retain(|w| [1, 5].contains(&w.id));
        assert!(set_aside(&s).is_empty());
    }
}
