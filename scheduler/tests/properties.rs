//! Invariants of the scheduler over random clusters and loads. Each case builds a cluster and its
//! quota tree, submits waves of workloads (deleting some in between), and replays cycles to a
//! fixpoint, checking every plan against the rules of DESIGN.md with an oracle written here,
//! independently of the scheduler's own bookkeeping.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rota_scheduler::model::DEFAULT_POOL;
use rota_scheduler::{
    Config, Department, EvictionReason, GpuRequest, GpuSlots, MilliGpus, MinRuntime, Node,
    PendingReason, Plan, PoolQuota, Project, ProjectUsage, Quota, Snapshot, TimeFairShare,
    Workload, WorkloadKind, schedule,
};

const GHOST: &str = "ghost-of-this-cycle";

#[derive(Debug, Clone)]
struct UnitGen {
    parent: Option<usize>,
    deserved: i64,
    limit: Option<i64>,
    weight: u32,
    rank: i32,
    min_runtime: MinRuntime,
    /// Past GPU-hours in each pool (time-based fair share).
    usage_hours: u64,
}

#[derive(Debug, Clone)]
struct WorkGen {
    project: usize,
    kind: WorkloadKind,
    gpu: GpuRequest,
    pods: u32,
    min_pods: u32,
    priority: i32,
    preemptible: Option<bool>,
    cpu_millicores: u64,
}

#[derive(Debug, Clone)]
struct World {
    nodes: Vec<(u32, bool)>,
    departments: Vec<UnitGen>,
    projects: Vec<UnitGen>,
    /// Each wave: its workloads, the deletions before it, and the seconds that pass before it.
    waves: Vec<(Vec<WorkGen>, Vec<usize>, u64)>,
    spread: bool,
    /// Time-based fair share's k (0: off).
    k_value: f64,
}

fn unit(max_parent: usize) -> impl Strategy<Value = UnitGen> {
    (
        prop::option::of(0..max_parent.max(1)),
        0i64..=4,
        prop::option::weighted(0.3, 1i64..=8),
        0u32..=3,
        prop::sample::select(vec![50, 100, 100, 200]),
        prop::option::weighted(0.3, prop::sample::select(vec![0u64, 60, 120, 600])),
        prop::option::weighted(0.3, prop::sample::select(vec![0u64, 60, 120, 600])),
        prop::sample::select(vec![0u64, 0, 1, 5, 40]),
    )
        .prop_map(
            move |(parent, deserved, limit, weight, rank, preempt, reclaim, usage_hours)| UnitGen {
                usage_hours,
                parent: parent.filter(|_| max_parent > 0),
                deserved,
                limit: limit.map(|l| l.max(deserved)),
                weight,
                rank,
                min_runtime: MinRuntime {
                    preempt_secs: preempt,
                    reclaim_secs: reclaim,
                },
            },
        )
}

fn work(projects: usize) -> impl Strategy<Value = WorkGen> {
    (
        0..projects,
        prop::sample::select(vec![
            WorkloadKind::Training,
            WorkloadKind::Training,
            WorkloadKind::Training,
            WorkloadKind::Workspace,
            WorkloadKind::Inference,
        ]),
        prop_oneof![
            4 => (1u32..=2).prop_map(GpuRequest::Devices),
            1 => (3u32..=4).prop_map(GpuRequest::Devices),
            1 => Just(GpuRequest::Devices(0)),
            1 => prop::sample::select(vec![250u32, 500, 750]).prop_map(GpuRequest::Portion),
        ],
        1u32..=3,
        0u32..=2,
        prop::sample::select(vec![25, 40, 40, 80, 125]),
        prop::option::weighted(0.2, any::<bool>()),
        // Of a node's 64 cores: most ask for little, some for half or most of a node.
        prop::sample::select(vec![0u64, 0, 1_000, 32_000, 48_000]),
    )
        .prop_map(
            |(project, kind, gpu, pods, slack, priority, preemptible, cpu_millicores)| WorkGen {
                cpu_millicores,
                project,
                kind,
                gpu,
                pods,
                min_pods: pods.saturating_sub(slack).max(1),
                priority,
                preemptible,
            },
        )
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec((1u32..=8, prop::bool::weighted(0.2)), 1..=5),
        0usize..=3,
        1usize..=4,
        any::<bool>(),
        prop::sample::select(vec![0.0, 0.0, 0.5, 1.0, 4.0]),
    )
        .prop_flat_map(|(nodes, departments, projects, spread, k_value)| {
            let depts = (0..departments).map(unit).collect::<Vec<_>>();
            let projs = prop::collection::vec(unit(departments), projects);
            let waves = prop::collection::vec(
                (
                    prop::collection::vec(work(projects), 1..=8),
                    prop::collection::vec(0usize..40, 0..=3),
                    prop::sample::select(vec![0u64, 30, 90, 700]),
                ),
                1..=3,
            );
            (
                Just(nodes),
                depts,
                projs,
                waves,
                Just(spread),
                Just(k_value),
            )
        })
        .prop_map(
            |(nodes, departments, projects, waves, spread, k_value)| World {
                nodes,
                departments,
                projects,
                waves,
                spread,
                k_value,
            },
        )
}

fn quota(u: &UnitGen) -> Vec<PoolQuota> {
    ["b", DEFAULT_POOL]
        .iter()
        .map(|pool| PoolQuota {
            pool: (*pool).into(),
            quota: Quota {
                deserved: MilliGpus::whole(u.deserved),
                limit: u.limit.map(MilliGpus::whole),
                over_quota_weight: u.weight,
                rank: u.rank,
            },
        })
        .collect()
}

fn base(world: &World) -> Snapshot {
    Snapshot {
        nodes: world
            .nodes
            .iter()
            .enumerate()
            .map(|(i, &(gpus, in_b))| Node {
                name: format!("n{i}"),
                pool: if in_b {
                    "b".into()
                } else {
                    DEFAULT_POOL.into()
                },
                gpus,
                gpu_memory_mib: 81920,
                cpu_millicores: 64_000,
                memory_mib: 512 * 1024,
            })
            .collect(),
        departments: world
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| Department {
                name: format!("d{i}"),
                // Only an older department can be a parent: no loops.
                parent: d.parent.filter(|&p| p < i).map(|p| format!("d{p}")),
                quotas: quota(d),
                min_runtime: d.min_runtime,
            })
            .collect(),
        projects: world
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| Project {
                name: format!("p{i}"),
                department: p
                    .parent
                    .filter(|&d| d < world.departments.len())
                    .map(|d| format!("d{d}")),
                quotas: quota(p),
                min_runtime: p.min_runtime,
            })
            .collect(),
        workloads: Vec::new(),
        releasing: Vec::new(),
        now_ms: rota_scheduler::scenario::START_MS,
        usage: world
            .projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.usage_hours > 0)
            .flat_map(|(i, p)| {
                ["b", DEFAULT_POOL].map(|pool| ProjectUsage {
                    project: format!("p{i}"),
                    pool: pool.into(),
                    gpu_secs: (p.usage_hours * 3600) as f64,
                })
            })
            .collect(),
    }
}

fn per_pod(gpu: GpuRequest) -> i64 {
    match gpu {
        GpuRequest::Devices(n) => i64::from(n) * 1000,
        GpuRequest::Portion(p) => i64::from(p),
        GpuRequest::MemoryMib(_) => unreachable!("not generated"),
    }
}

/// The quota tree as the oracle sees it: queue name → parent name ("" is the root).
struct Tree {
    parent: BTreeMap<String, String>,
    quota: BTreeMap<String, Quota>,
    min_runtime: BTreeMap<String, MinRuntime>,
}

impl Tree {
    fn new(s: &Snapshot) -> Self {
        let mut parent = BTreeMap::new();
        let mut quota = BTreeMap::new();
        let mut min_runtime = BTreeMap::new();
        for d in &s.departments {
            parent.insert(d.name.clone(), d.parent.clone().unwrap_or_default());
            quota.insert(d.name.clone(), d.quotas[1].quota);
            min_runtime.insert(d.name.clone(), d.min_runtime);
        }
        for p in &s.projects {
            parent.insert(p.name.clone(), p.department.clone().unwrap_or_default());
            quota.insert(p.name.clone(), p.quotas[1].quota);
            min_runtime.insert(p.name.clone(), p.min_runtime);
        }
        Tree {
            parent,
            quota,
            min_runtime,
        }
    }

    /// A project's minimum runtimes for preemption and for reclaim, in seconds: the nearest set
    /// on its path, else 0.
    fn min_runtime(&self, project: &str) -> (u64, u64) {
        let path = self.path(project);
        let first = |part: fn(&MinRuntime) -> Option<u64>| {
            path.iter()
                .find_map(|q| self.min_runtime.get(q).and_then(part))
                .unwrap_or(0)
        };
        (first(|m| m.preempt_secs), first(|m| m.reclaim_secs))
    }

    /// From the unit up to the root (the root, "", included).
    fn path(&self, q: &str) -> Vec<String> {
        let mut out = vec![q.to_owned()];
        let mut at = q.to_owned();
        while let Some(p) = self.parent.get(&at) {
            out.push(p.clone());
            at = p.clone();
        }
        out
    }
}

fn pool_of(s: &Snapshot, node: &str) -> String {
    s.nodes
        .iter()
        .find(|n| n.name == node)
        .map(|n| n.pool.clone())
        .unwrap_or_default()
}

fn slot_millis(slots: &GpuSlots) -> i64 {
    match slots {
        GpuSlots::Devices(d) => d.len() as i64 * 1000,
        GpuSlots::Shared { portion, .. } => i64::from(*portion),
    }
}

/// GPUs held per (pool, unit), every unit on each workload's path charged.
fn allocation(
    s: &Snapshot,
    tree: &Tree,
    non_preemptible_only: bool,
) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for w in s
        .workloads
        .iter()
        .filter(|w| !non_preemptible_only || !w.preemptible)
    {
        for p in &w.placement {
            let pool = pool_of(s, &p.node);
            for q in tree.path(&w.project) {
                *out.entry((pool.clone(), q)).or_default() += slot_millis(&p.gpus);
            }
        }
    }
    out
}

fn check_capacity(s: &Snapshot, plan: &Plan) -> Result<(), TestCaseError> {
    let mut used: BTreeMap<(String, u32), i64> = BTreeMap::new();
    let mut whole: BTreeMap<(String, u32), u32> = BTreeMap::new();
    let placements = s
        .workloads
        .iter()
        .flat_map(|w| w.placement.iter())
        .chain(plan.binds.iter().map(|b| &b.placement));
    for p in placements {
        match &p.gpus {
            GpuSlots::Devices(d) => {
                for &i in d {
                    *used.entry((p.node.clone(), i)).or_default() += 1000;
                    *whole.entry((p.node.clone(), i)).or_default() += 1;
                }
            }
            GpuSlots::Shared {
                device, portion, ..
            } => {
                *used.entry((p.node.clone(), *device)).or_default() += i64::from(*portion);
            }
        }
    }
    for ((node, dev), millis) in &used {
        let gpus = s
            .nodes
            .iter()
            .find(|n| &n.name == node)
            .map_or(0, |n| n.gpus);
        prop_assert!(*dev < gpus, "{node} has no GPU {dev}");
        prop_assert!(
            *millis <= 1000,
            "{node} GPU {dev} is given {millis}/1000 (binds use GPUs that evictions free)"
        );
    }
    Ok(())
}

fn check_binds_and_evictions(s: &Snapshot, plan: &Plan) -> Result<(), TestCaseError> {
    let by_id: BTreeMap<u64, &Workload> = s.workloads.iter().map(|w| (w.id, w)).collect();
    let mut binds: BTreeMap<u64, u32> = BTreeMap::new();
    for b in &plan.binds {
        *binds.entry(b.workload).or_default() += 1;
    }
    let evicted: BTreeMap<u64, &EvictionReason> = plan
        .evictions
        .iter()
        .map(|e| (e.workload, &e.reason))
        .collect();
    for (id, n) in &binds {
        let w = by_id[id];
        match evicted.get(id) {
            Some(EvictionReason::Consolidate { .. }) => {
                prop_assert_eq!(
                    *n as usize,
                    w.placement.len(),
                    "{} moved with a different pod count",
                    w.name
                )
            }
            Some(other) => prop_assert!(false, "{} is bound and evicted ({other:?})", w.name),
            None => {
                prop_assert!(!w.is_running(), "{} is bound while running", w.name);
                prop_assert!(
                    *n >= w.min_pods && *n <= w.pods,
                    "{} bound with {n} pods (gang {}..{})",
                    w.name,
                    w.min_pods,
                    w.pods
                );
            }
        }
        let pools: Vec<String> = plan
            .binds
            .iter()
            .filter(|b| b.workload == *id)
            .map(|b| pool_of(s, &b.placement.node))
            .collect();
        prop_assert!(
            pools.windows(2).all(|p| p[0] == p[1]),
            "{} spans node pools",
            w.name
        );
    }
    for e in &plan.evictions {
        let w = by_id[&e.workload];
        prop_assert!(w.is_running(), "{} evicted while not running", w.name);
        if !matches!(e.reason, EvictionReason::GangBroken { .. }) {
            prop_assert!(
                w.preemptible,
                "non-preemptible {} evicted: {:?}",
                w.name,
                e.reason
            );
        }
    }
    Ok(())
}

fn check_limits(after: &Snapshot, tree: &Tree) -> Result<(), TestCaseError> {
    for ((pool, q), held) in allocation(after, tree, false) {
        if let Some(limit) = tree.quota.get(&q).and_then(|q| q.limit) {
            prop_assert!(
                held <= limit.0,
                "{q} holds {held} in {pool}, past its limit {}",
                limit.0
            );
        }
    }
    for ((pool, q), held) in allocation(after, tree, true) {
        if let Some(quota) = tree.quota.get(&q) {
            prop_assert!(
                held <= quota.deserved.0,
                "{q} runs {held} non-preemptible in {pool}, past deserved {}",
                quota.deserved.0
            );
        }
    }
    Ok(())
}

/// Which nominee each eviction served, in plan order.
fn served_by(reason: &EvictionReason) -> Option<u64> {
    match reason {
        EvictionReason::Reclaim { by, .. } | EvictionReason::Preempt { by, .. } => Some(*by),
        EvictionReason::Consolidate { for_workload, .. } => Some(*for_workload),
        EvictionReason::GangBroken { .. } => None,
    }
}

/// Replays the cycle's decisions in order and checks every reclaim eviction against the victim
/// test of DESIGN.md.
/// Usage or not, every unit's fair share covers its deserved quota up to its demand, and siblings
/// share no more than their parent has, unless their deserved quotas alone are more.
fn check_fair_shares(plan: &Plan, tree: &Tree) -> Result<(), TestCaseError> {
    let mut children: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let mut share: BTreeMap<(String, String), i64> = BTreeMap::new();
    for q in &plan.shares {
        let guaranteed = q.deserved.0.min(q.demand.0).max(0);
        prop_assert!(
            q.fair_share.0 >= guaranteed,
            "{} in {}: fair share {} below its deserved quota up to demand {}",
            q.name,
            q.pool,
            q.fair_share.0,
            guaranteed
        );
        share.insert((q.pool.clone(), q.name.clone()), q.fair_share.0);
        let parent = tree.parent.get(&q.name).cloned().unwrap_or_default();
        let entry = children.entry((q.pool.clone(), parent)).or_default();
        entry.0 += q.fair_share.0;
        entry.1 += guaranteed;
    }
    for ((pool, parent), (sum, guaranteed)) in children {
        if parent.is_empty() {
            continue;
        }
        let parent_share = share
            .get(&(pool.clone(), parent.clone()))
            .copied()
            .unwrap_or(0);
        prop_assert!(
            sum <= parent_share.max(guaranteed),
            "the children of {parent} in {pool} share {sum}, more than its {parent_share}"
        );
    }
    Ok(())
}

fn check_victim_test(s: &Snapshot, plan: &Plan, tree: &Tree) -> Result<(), TestCaseError> {
    let by_id: BTreeMap<u64, &Workload> = s.workloads.iter().map(|w| (w.id, w)).collect();
    let fair: BTreeMap<(String, String), i64> = plan
        .shares
        .iter()
        .map(|q| ((q.pool.clone(), q.name.clone()), q.fair_share.0))
        .collect();
    let moved: Vec<u64> = plan
        .evictions
        .iter()
        .filter(|e| matches!(e.reason, EvictionReason::Consolidate { .. }))
        .map(|e| e.workload)
        .collect();
    let mut alloc = allocation(s, tree, false);
    // Allocate's binds come first.
    for b in plan.binds.iter().filter(|b| !moved.contains(&b.workload)) {
        let w = by_id[&b.workload];
        for q in tree.path(&w.project) {
            *alloc.entry((pool_of(s, &b.placement.node), q)).or_default() +=
                slot_millis(&b.placement.gpus);
        }
    }
    let get = |alloc: &BTreeMap<(String, String), i64>, pool: &str, q: &str| {
        alloc
            .get(&(pool.to_owned(), q.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    for nominee in &plan.nominated {
        let r = by_id[nominee];
        let victims: Vec<(&Workload, &EvictionReason)> = plan
            .evictions
            .iter()
            .filter(|e| served_by(&e.reason) == Some(*nominee))
            .map(|e| (by_id[&e.workload], &e.reason))
            .collect();
        prop_assert!(!victims.is_empty(), "{} nominated without victims", r.name);
        let pool = pool_of(s, &victims[0].0.placement[0].node);
        let request = per_pod(r.gpu) * i64::from(r.pods);
        let consolidating = matches!(victims[0].1, EvictionReason::Consolidate { .. });
        if matches!(victims[0].1, EvictionReason::Reclaim { .. }) {
            let r_path = tree.path(&r.project);
            prop_assert!(
                get(&alloc, &pool, &r.project) + request
                    <= fair
                        .get(&(pool.clone(), r.project.clone()))
                        .copied()
                        .unwrap_or(0),
                "{} reclaimed past its project's fair share",
                r.name
            );
            let mut lost: BTreeMap<String, i64> = BTreeMap::new();
            for (v, _) in &victims {
                prop_assert!(
                    v.project != r.project,
                    "{} reclaimed from its own project",
                    r.name
                );
                let v_path = tree.path(&v.project);
                let lca = v_path
                    .iter()
                    .find(|q| r_path.contains(q))
                    .cloned()
                    .unwrap_or_default();
                let v_side = &v_path[v_path
                    .iter()
                    .position(|q| *q == lca)
                    .unwrap_or(0)
                    .saturating_sub(1)];
                let r_side = &r_path[r_path
                    .iter()
                    .position(|q| *q == lca)
                    .unwrap_or(0)
                    .saturating_sub(1)];
                let (vq, rq) = (tree.quota[v_side], tree.quota[r_side]);
                prop_assert!(
                    vq.rank <= rq.rank,
                    "{} reclaimed from a higher-ranked branch {v_side}",
                    r.name
                );
                let v_alloc = get(&alloc, &pool, v_side) - lost.get(v_side).copied().unwrap_or(0);
                let v_fair = fair
                    .get(&(pool.clone(), v_side.clone()))
                    .copied()
                    .unwrap_or(0);
                let over_share = v_alloc > vq.deserved.0.max(v_fair);
                let within_deserved = get(&alloc, &pool, r_side) + request <= rq.deserved.0
                    && v_alloc > vq.deserved.0;
                prop_assert!(
                    over_share || within_deserved,
                    "{} took {} from {v_side} at {v_alloc} (deserved {}, fair share {v_fair}) for {r_side}",
                    r.name,
                    v.name,
                    vq.deserved.0
                );
                let held: i64 = v.placement.iter().map(|p| slot_millis(&p.gpus)).sum();
                for q in &v_path {
                    *lost.entry(q.clone()).or_default() += held;
                }
            }
        }
        // Carry out the decision: victims stop counting, the nominee is promised its GPUs.
        if !consolidating {
            for (v, _) in &victims {
                let held: i64 = v.placement.iter().map(|p| slot_millis(&p.gpus)).sum();
                for q in tree.path(&v.project) {
                    *alloc.entry((pool.clone(), q)).or_default() -= held;
                }
            }
        }
        for q in tree.path(&r.project) {
            *alloc.entry((pool.clone(), q)).or_default() += request;
        }
    }
    Ok(())
}

/// Every nominee fits once its own victims are gone, with everything else the cycle left in place.
fn check_nominees_fit(s: &Snapshot, plan: &Plan, config: &Config) -> Result<(), TestCaseError> {
    for nominee in &plan.nominated {
        let mut t = s.clone();
        t.projects.push(Project {
            name: GHOST.into(),
            department: None,
            quotas: Vec::new(),
            min_runtime: MinRuntime::default(),
        });
        let mut next_id = t.workloads.iter().map(|w| w.id).max().unwrap_or(0) + 1;
        let own: Vec<u64> = plan
            .evictions
            .iter()
            .filter(|e| served_by(&e.reason) == Some(*nominee))
            .map(|e| e.workload)
            .collect();
        let others: Vec<u64> = plan
            .evictions
            .iter()
            .map(|e| e.workload)
            .filter(|id| !own.contains(id))
            .collect();
        let mut ghosts = Vec::new();
        for b in &plan.binds {
            let Some(w) = t.workloads.iter().find(|w| w.id == b.workload) else {
                continue;
            };
            let mut g = w.clone();
            g.id = next_id;
            g.name = format!("ghost-{next_id}");
            g.project = GHOST.into();
            g.preemptible = false;
            g.placement = vec![b.placement.clone()];
            g.pods = 1;
            g.min_pods = 1;
            next_id += 1;
            ghosts.push(g);
        }
        t.workloads
            .retain(|w| !own.contains(&w.id) && (w.is_running() || w.id == *nominee));
        for w in &mut t.workloads {
            w.nominated = w.id == *nominee;
            if others.contains(&w.id) {
                w.project = GHOST.into();
                w.preemptible = false;
            }
        }
        // Pending workloads bound this cycle hold their GPUs as ghosts; moved ones keep both.
        t.workloads.extend(ghosts);
        let next = schedule(&t, config)
            .map_err(|e| TestCaseError::fail(format!("bad trial snapshot: {e}")))?;
        prop_assert!(
            next.binds.iter().any(|b| b.workload == *nominee),
            "nominee {nominee} does not fit once its victims are gone: {:?}",
            next.pending.get(nominee)
        );
    }
    Ok(())
}

/// No workload is evicted (or moved) before its minimum runtime for that action has passed, and a
/// workload said to wait for one names a time within it.
fn check_min_runtime(s: &Snapshot, plan: &Plan, tree: &Tree) -> Result<(), TestCaseError> {
    let by_id: BTreeMap<u64, &Workload> = s.workloads.iter().map(|w| (w.id, w)).collect();
    for e in &plan.evictions {
        let w = by_id[&e.workload];
        let (preempt, reclaim) = tree.min_runtime(&w.project);
        let min = match e.reason {
            EvictionReason::Reclaim { .. } => reclaim,
            EvictionReason::Preempt { .. } | EvictionReason::Consolidate { .. } => preempt,
            _ => continue,
        };
        let ran = w
            .running_since_ms
            .map_or(u64::MAX, |t| s.now_ms.saturating_sub(t));
        prop_assert!(
            ran >= min * 1000,
            "{} was taken by {:?} after {} ms, within its minimum runtime of {} s",
            w.name,
            e.reason,
            ran,
            min
        );
    }
    for reason in plan.pending.values() {
        if let PendingReason::MinRuntime { ready_in_secs, .. } = reason {
            prop_assert!(*ready_in_secs >= 1 && *ready_in_secs <= 600, "{reason}");
            prop_assert!(
                plan.recheck_at_ms.is_some(),
                "{reason} without a time to look again"
            );
        }
    }
    Ok(())
}

fn add_wave(s: &mut Snapshot, wave: &[WorkGen], next: &mut u64) {
    for g in wave {
        *next += 1;
        s.workloads.push(Workload {
            id: *next,
            name: format!("w{next}"),
            project: format!("p{}", g.project),
            kind: g.kind,
            pools: Vec::new(),
            pods: g.pods,
            min_pods: g.min_pods,
            gpu: g.gpu,
            cpu_millicores: g.cpu_millicores,
            memory_mib: 0,
            priority: g.priority,
            preemptible: g.preemptible.unwrap_or(g.kind.default_preemptible()),
            submission: *next,
            nominated: false,
            placement: Vec::new(),
            running_since_ms: None,
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_cycle_keeps_the_rules_and_the_cluster_settles(world in world()) {
        let mut s = base(&world);
        let tree = Tree::new(&s);
        let config = Config {
            default_placement: if world.spread { rota_scheduler::PlacementStrategy::Spread } else { rota_scheduler::PlacementStrategy::Binpack },
            time_fair_share: TimeFairShare { k_value: world.k_value, ..TimeFairShare::default() },
            ..Config::default()
        };
        let mut next = 0;
        for (wave, deletions, wait) in &world.waves {
            s.now_ms += wait * 1000;
            for &d in deletions {
                if !s.workloads.is_empty() {
                    let i = d % s.workloads.len();
                    s.workloads.remove(i);
                }
            }
            add_wave(&mut s, wave, &mut next);
            let mut settled = false;
            for _ in 0..rota_scheduler::scenario::MAX_CYCLES {
                let plan = schedule(&s, &config).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&plan, &schedule(&s, &config).map_err(|e| TestCaseError::fail(e.to_string()))?, "same snapshot, different plan");
                check_capacity(&s, &plan)?;
                check_binds_and_evictions(&s, &plan)?;
                check_victim_test(&s, &plan, &tree)?;
                check_nominees_fit(&s, &plan, &config)?;
                check_min_runtime(&s, &plan, &tree)?;
                check_fair_shares(&plan, &tree)?;
                let idle = plan.is_idle();
                plan.apply(&mut s);
                check_limits(&s, &tree)?;
                for w in &s.workloads {
                    prop_assert!(!w.is_running() || w.placement.len() as u32 >= w.min_pods, "{} runs below its gang minimum", w.name);
                    if !w.is_running() {
                        prop_assert!(plan.pending.contains_key(&w.id), "{} waits without a reason", w.name);
                    }
                }
                if idle {
                    settled = true;
                    break;
                }
            }
            prop_assert!(settled, "the cluster did not settle within {} cycles", rota_scheduler::scenario::MAX_CYCLES);
        }
    }

    #[test]
    fn the_order_of_workloads_in_the_snapshot_does_not_change_the_plan(world in world(), seed in any::<u64>()) {
        let mut s = base(&world);
        let mut next = 0;
        for (wave, _, _) in &world.waves {
            add_wave(&mut s, wave, &mut next);
        }
        let config = Config::default();
        let plan = schedule(&s, &config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut shuffled = s.clone();
        let n = shuffled.workloads.len();
        if n > 1 {
            let mut x = seed;
            for i in (1..n).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.workloads.swap(i, (x >> 33) as usize % (i + 1));
            }
        }
        let other = schedule(&shuffled, &config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&plan.binds, &other.binds);
        prop_assert_eq!(&plan.evictions, &other.evictions);
        prop_assert_eq!(&plan.pending, &other.pending);
    }

    #[test]
    fn remembering_failures_does_not_change_the_plan(world in world()) {
        let mut s = base(&world);
        let remembering = Config {
            default_placement: if world.spread { rota_scheduler::PlacementStrategy::Spread } else { rota_scheduler::PlacementStrategy::Binpack },
            time_fair_share: TimeFairShare { k_value: world.k_value, ..TimeFairShare::default() },
            ..Config::default()
        };
        let forgetting = Config { remember_failures: false, ..remembering.clone() };
        let mut next = 0;
        for (wave, _, wait) in &world.waves {
            s.now_ms += wait * 1000;
            add_wave(&mut s, wave, &mut next);
            for _ in 0..rota_scheduler::scenario::MAX_CYCLES {
                let plan = schedule(&s, &remembering).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let searched = schedule(&s, &forgetting).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&plan.binds, &searched.binds);
                prop_assert_eq!(&plan.evictions, &searched.evictions);
                prop_assert_eq!(&plan.nominated, &searched.nominated);
                prop_assert_eq!(&plan.pending, &searched.pending);
                prop_assert_eq!(plan.recheck_at_ms, searched.recheck_at_ms);
                let idle = plan.is_idle();
                plan.apply(&mut s);
                if idle {
                    break;
                }
            }
        }
    }
}
