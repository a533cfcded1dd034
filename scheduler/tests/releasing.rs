//! Stopping pods (`Snapshot::releasing`) keep their GPUs until the executor says they are gone:
//! nobody is placed on them, and the workload they are freed for waits for them — nominated,
//! taking nothing else by force — then starts first once they are gone.

use rota_scheduler::{
    Action, FreedFor, GpuRequest, GpuSlots, MilliGpus, Node, PendingReason, PodPlacement,
    PoolQuota, Project, Quota, Releasing, Snapshot, Workload, WorkloadKind, schedule,
};

fn node(name: &str, gpus: u32) -> Node {
    Node {
        name: name.into(),
        pool: "default".into(),
        gpus,
        gpu_memory_mib: 81920,
        cpu_millicores: 64_000,
        memory_mib: 512 * 1024,
    }
}

fn project(name: &str, deserved: i64) -> Project {
    Project {
        name: name.into(),
        department: None,
        quotas: vec![PoolQuota {
            pool: "default".into(),
            quota: Quota {
                deserved: MilliGpus(deserved * 1000),
                ..Quota::default()
            },
        }],
        min_runtime: Default::default(),
    }
}

fn training(id: u64, name: &str, project: &str, gpus: u32, on: &[(&str, Vec<u32>)]) -> Workload {
    Workload {
        id,
        name: name.into(),
        project: project.into(),
        kind: WorkloadKind::Training,
        pools: Vec::new(),
        pods: 1,
        min_pods: 1,
        gpu: GpuRequest::Devices(gpus),
        cpu_millicores: 100,
        memory_mib: 100,
        priority: WorkloadKind::Training.default_priority(),
        preemptible: true,
        submission: id,
        nominated: false,
        placement: on
            .iter()
            .map(|(n, d)| PodPlacement {
                node: (*n).into(),
                gpus: GpuSlots::Devices(d.clone()),
            })
            .collect(),
        running_since_ms: None,
    }
}

fn stopping(of: &str, on: &str, devices: Vec<u32>, freed_for: Option<u64>) -> Releasing {
    Releasing {
        workload_name: of.into(),
        placement: PodPlacement {
            node: on.into(),
            gpus: GpuSlots::Devices(devices),
        },
        cpu_millicores: 100,
        memory_mib: 100,
        freed_for: freed_for.map(|workload| FreedFor {
            workload,
            action: Action::Reclaim,
        }),
    }
}

/// The walkthrough's cluster right after b2 reclaimed a1's GPU: a1's pod is still stopping.
fn after_reclaim() -> Snapshot {
    Snapshot {
        nodes: vec![node("node-1", 2), node("node-2", 2)],
        departments: Vec::new(),
        projects: vec![project("team-a", 2), project("team-b", 2)],
        workloads: vec![
            training(1, "a2", "team-a", 2, &[("node-1", vec![0, 1])]),
            training(2, "a1", "team-a", 1, &[]),
            training(3, "b1", "team-b", 1, &[("node-2", vec![1])]),
            Workload {
                nominated: true,
                ..training(4, "b2", "team-b", 1, &[])
            },
        ],
        releasing: vec![stopping("a1", "node-2", vec![0], Some(4))],
        now_ms: 0,
        usage: Vec::new(),
    }
}

#[test]
fn the_workload_gpus_are_freed_for_waits_for_them_and_evicts_nothing_more() {
    let plan = schedule(&after_reclaim(), &Default::default()).expect("schedules");
    assert!(plan.binds.is_empty(), "{plan:?}");
    assert!(
        plan.evictions.is_empty(),
        "nothing more is evicted: {plan:?}"
    );
    assert_eq!(plan.nominated, vec![4], "b2 stays nominated");
    match plan.pending.get(&4) {
        Some(PendingReason::AwaitingEviction { victims, action }) => {
            assert_eq!(victims, &vec!["a1".to_owned()]);
            assert_eq!(*action, Action::Reclaim);
        }
        other => panic!("b2 waits for a1's GPU, not {other:?}"),
    }
}

#[test]
fn once_the_pod_is_gone_the_nominated_workload_takes_its_gpu() {
    let mut s = after_reclaim();
    s.releasing.clear();
    let plan = schedule(&s, &Default::default()).expect("schedules");
    assert_eq!(plan.binds.len(), 1, "{plan:?}");
    assert_eq!(plan.binds[0].workload, 4);
    assert_eq!(plan.binds[0].placement.node, "node-2");
    assert_eq!(plan.binds[0].placement.gpus, GpuSlots::Devices(vec![0]));
}

#[test]
fn a_stopping_pods_gpus_are_given_to_nobody_else() {
    // One node of two GPUs; a deleted workload's pod still stops on device 0.
    let s = Snapshot {
        nodes: vec![node("n", 2)],
        departments: Vec::new(),
        projects: vec![project("p", 2)],
        workloads: vec![
            training(1, "two", "p", 2, &[]),
            training(2, "one", "p", 1, &[]),
        ],
        releasing: vec![stopping("gone", "n", vec![0], None)],
        now_ms: 0,
        usage: Vec::new(),
    };
    let plan = schedule(&s, &Default::default()).expect("schedules");
    assert_eq!(plan.binds.len(), 1, "{plan:?}");
    assert_eq!(
        plan.binds[0].workload, 2,
        "only the 1-GPU one fits beside it"
    );
    assert_eq!(plan.binds[0].placement.gpus, GpuSlots::Devices(vec![1]));
    assert!(plan.pending.contains_key(&1));
}

#[test]
fn a_stopping_pod_on_a_node_that_left_holds_nothing() {
    let s = Snapshot {
        nodes: vec![node("n", 2)],
        departments: Vec::new(),
        projects: vec![project("p", 2)],
        workloads: vec![training(1, "two", "p", 2, &[])],
        releasing: vec![stopping("gone", "elsewhere", vec![0], None)],
        now_ms: 0,
        usage: Vec::new(),
    };
    let plan = schedule(&s, &Default::default()).expect("schedules");
    assert_eq!(plan.binds.len(), 1, "{plan:?}");
}
