//! What is free on every node and device, indexed for placement, with checkpoint and rollback so that
//! actions can try evictions and placements and undo them (KAI's "statement").

use std::collections::{BTreeMap, BTreeSet};

use crate::error::SnapshotError;
use crate::index::{Index, portion_of_memory};
use crate::model::{GpuRequest, GpuSlots, PodPlacement};
use crate::room::RoomTree;

/// How pods are spread over the nodes of a pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacementStrategy {
    /// The node with the fewest free GPUs that fits; partly used devices first for fractions.
    #[default]
    Binpack,
    /// The node with the most free GPUs.
    Spread,
}

const FULL: u32 = 1000;

#[derive(Debug, Clone, Copy, Default)]
struct Device {
    /// Thousandths of the device in use.
    used: u32,
    used_mib: u64,
}

#[derive(Debug, Clone)]
struct NodeState {
    free_cpu: i64,
    free_memory: i64,
    devices: Vec<Device>,
}

impl NodeState {
    fn whole_free(&self) -> u32 {
        self.devices.iter().filter(|d| d.used == 0).count() as u32
    }
}

/// What one pod needs of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PodNeed {
    pub gpu: GpuRequest,
    pub cpu: i64,
    pub memory: i64,
}

#[derive(Debug, Default)]
struct PoolIndex {
    strategy: PlacementStrategy,
    /// Nodes by key, each set in name order: the key is the free whole devices (binpack) or its
    /// complement (spread), so the first set holds the nodes to try first.
    whole: BTreeMap<u32, RoomTree>,
    /// The pool's nodes in name order (a [`RoomTree`] position to a node).
    by_name: Vec<usize>,
    /// Partly used devices: (free thousandths, name order, node, device).
    shared: BTreeSet<(u32, u32, usize, u32)>,
    free_whole: i64,
    /// Free thousandths on the partly used devices, all together.
    free_shared: i64,
}

impl PoolIndex {
    /// The keys of `whole` that some node is filed under, smallest first.
    fn keys_in_use(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.whole
            .iter()
            .filter(|(_, nodes)| nodes.len() > 0)
            .map(|(&key, _)| key)
    }
}

#[derive(Debug)]
pub(crate) struct Cluster {
    nodes: Vec<NodeState>,
    pool_of: Vec<usize>,
    /// Each node's position among its pool's nodes in name order.
    position: Vec<usize>,
    name_order: Vec<u32>,
    device_mib: Vec<u64>,
    pools: Vec<PoolIndex>,
    undo: Vec<(usize, NodeState)>,
    /// Off while the snapshot's placements are loaded: there is nothing to roll back to.
    recording: bool,
}

/// Where a pod may not land: what a pending workload is to take, while movers make room for it.
///
/// A whole-GPU pod, or a fraction on a fresh device, lands off the workload's nodes (a free GPU
/// there would serve the workload itself); a fraction may land beside another on a partly used
/// device of those nodes, off the devices the workload takes: that is how two half-used devices
/// become one full one and one free one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Avoid {
    nodes: Vec<usize>,
    devices: Vec<(usize, u32)>,
}

impl Avoid {
    /// Nothing to avoid.
    pub const NONE: Avoid = Avoid {
        nodes: Vec::new(),
        devices: Vec::new(),
    };

    /// The nodes and devices of a workload's placement.
    pub fn placement(placed: &[PodPlacementAt]) -> Self {
        let mut avoid = Avoid::default();
        for at in placed {
            if !avoid.nodes.contains(&at.node) {
                avoid.nodes.push(at.node);
            }
            match &at.gpus {
                GpuSlots::Devices(devs) => avoid.devices.extend(devs.iter().map(|&d| (at.node, d))),
                GpuSlots::Shared { device, .. } => avoid.devices.push((at.node, *device)),
            }
        }
        avoid
    }

    /// The nodes of the placement.
    pub fn nodes(&self) -> &[usize] {
        &self.nodes
    }

    /// The devices of the placement, as (node, device).
    pub fn devices(&self) -> &[(usize, u32)] {
        &self.devices
    }

    /// These, and `more` devices besides (not their nodes).
    pub fn and_devices(&self, more: &[(usize, u32)]) -> Avoid {
        let mut avoid = self.clone();
        avoid.devices.extend_from_slice(more);
        avoid
    }
}

/// A point to roll back to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpoint(usize);

impl Cluster {
    /// The jobs whose running pods do not fit on their nodes beside the jobs before them (and
    /// the stopping pods), in job order: those a snapshot must set aside to be built.
    pub fn overallocated(index: &Index<'_>) -> Vec<(usize, SnapshotError)> {
        let strategies = vec![PlacementStrategy::default(); index.pools.len()];
        let mut bad = Vec::new();
        let Ok(mut cluster) = Cluster::build_nodes(index, &strategies) else {
            return bad;
        };
        for (j, job) in index.jobs.iter().enumerate() {
            let w = job.workload;
            let need = PodNeed {
                gpu: w.gpu,
                cpu: w.cpu_millicores as i64,
                memory: w.memory_mib as i64,
            };
            let at = cluster.checkpoint();
            for (pod, &node) in w.placement.iter().zip(&job.nodes) {
                if let Err(what) = cluster.take_exact(node, &pod.gpus, need) {
                    cluster.rollback(at);
                    bad.push((
                        j,
                        SnapshotError::OverAllocated {
                            node: pod.node.clone(),
                            what: format!("{what} (workload {})", w.name),
                        },
                    ));
                    break;
                }
            }
        }
        bad
    }

    pub fn build(
        index: &Index<'_>,
        strategies: &[PlacementStrategy],
    ) -> Result<Self, SnapshotError> {
        let mut cluster = Cluster::build_nodes(index, strategies)?;
        cluster.recording = false;
        for job in &index.jobs {
            let w = job.workload;
            for (pod, &node) in w.placement.iter().zip(&job.nodes) {
                let need = PodNeed {
                    gpu: w.gpu,
                    cpu: w.cpu_millicores as i64,
                    memory: w.memory_mib as i64,
                };
                cluster.take_exact(node, &pod.gpus, need).map_err(|what| {
                    SnapshotError::OverAllocated {
                        node: pod.node.clone(),
                        what: format!("{what} (workload {})", w.name),
                    }
                })?;
            }
        }
        cluster.recording = true;
        Ok(cluster)
    }

    /// The nodes, with what the stopping pods hold taken; recording, so that trials roll back.
    fn build_nodes(
        index: &Index<'_>,
        strategies: &[PlacementStrategy],
    ) -> Result<Self, SnapshotError> {
        let snapshot = index.snapshot;
        let mut by_name: Vec<Vec<usize>> = vec![Vec::new(); strategies.len()];
        for (n, node) in index.nodes.iter().enumerate() {
            by_name[node.pool].push(n);
        }
        let mut position = vec![0; index.nodes.len()];
        for nodes in &mut by_name {
            nodes.sort_by_key(|&n| index.nodes[n].name_order);
            for (pos, &n) in nodes.iter().enumerate() {
                position[n] = pos;
            }
        }
        let mut cluster = Cluster {
            nodes: snapshot
                .nodes
                .iter()
                .map(|n| NodeState {
                    free_cpu: n.cpu_millicores as i64,
                    free_memory: n.memory_mib as i64,
                    devices: vec![Device::default(); n.gpus as usize],
                })
                .collect(),
            pool_of: index.nodes.iter().map(|n| n.pool).collect(),
            position,
            name_order: index.nodes.iter().map(|n| n.name_order).collect(),
            device_mib: snapshot.nodes.iter().map(|n| n.gpu_memory_mib).collect(),
            pools: strategies
                .iter()
                .zip(by_name)
                .map(|(&strategy, by_name)| PoolIndex {
                    strategy,
                    by_name,
                    ..Default::default()
                })
                .collect(),
            undo: Vec::new(),
            recording: false,
        };
        for n in 0..cluster.nodes.len() {
            cluster.add_to_index(n);
        }
        // Stopping pods hold what they held until they are gone. One on a node that is no
        // longer in the snapshot (removed, or down) holds nothing anyone could be given.
        let node_by_name: std::collections::BTreeMap<&str, usize> = if snapshot.releasing.is_empty()
        {
            std::collections::BTreeMap::new()
        } else {
            snapshot
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.as_str(), i))
                .collect()
        };
        for r in &snapshot.releasing {
            let Some(&node) = node_by_name.get(r.placement.node.as_str()) else {
                continue;
            };
            let gpu = match r.placement.gpus {
                GpuSlots::Devices(ref devs) => GpuRequest::Devices(devs.len() as u32),
                GpuSlots::Shared { portion, .. } => GpuRequest::Portion(portion),
            };
            let need = PodNeed {
                gpu,
                cpu: r.cpu_millicores as i64,
                memory: r.memory_mib as i64,
            };
            cluster
                .take_exact(node, &r.placement.gpus, need)
                .map_err(|what| SnapshotError::OverAllocated {
                    node: r.placement.node.clone(),
                    what: format!("{what} (a stopping pod of {})", r.workload_name),
                })?;
        }
        cluster.undo.clear();
        cluster.recording = true;
        Ok(cluster)
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.undo.len())
    }

    pub fn rollback(&mut self, to: Checkpoint) {
        while self.undo.len() > to.0 {
            let Some((n, state)) = self.undo.pop() else {
                break;
            };
            self.remove_from_index(n);
            self.nodes[n] = state;
            self.add_to_index(n);
        }
    }

    /// Keeps every change made so far; only valid with no checkpoint outstanding.
    pub fn commit(&mut self) {
        self.undo.clear();
    }

    pub fn free_whole(&self, pool: usize) -> i64 {
        self.pools[pool].free_whole
    }

    /// Everything free in the pool, in thousandths of a GPU: whole devices and the free parts of
    /// partly used ones (what consolidation could gather onto whole devices).
    pub fn free_thousandths(&self, pool: usize) -> i64 {
        let p = &self.pools[pool];
        p.free_whole * i64::from(FULL) + p.free_shared
    }

    /// Free whole devices on node `n`.
    pub fn whole_free_on(&self, n: usize) -> u32 {
        self.nodes[n].whole_free()
    }

    /// The most free whole devices on any one node of the pool.
    pub fn largest_whole_free(&self, pool: usize) -> u32 {
        let p = &self.pools[pool];
        match p.strategy {
            PlacementStrategy::Binpack => p.keys_in_use().next_back().unwrap_or(0),
            PlacementStrategy::Spread => p.keys_in_use().next().map_or(0, |k| u32::MAX - k),
        }
    }

    /// The largest free part of any one device of the pool, in thousandths.
    pub fn largest_device_free(&self, pool: usize) -> u32 {
        if self.largest_whole_free(pool) > 0 {
            FULL
        } else {
            self.pools[pool].shared.last().map_or(0, |k| k.0)
        }
    }

    /// Chooses a node (and devices) for one pod, takes them, and says where.
    pub fn place_pod(
        &mut self,
        pool: usize,
        need: PodNeed,
        avoid: &Avoid,
    ) -> Option<PodPlacementAt> {
        let (node, gpus) = match need.gpu {
            GpuRequest::Devices(k) => {
                let node = self.find_whole(pool, k, need, avoid)?;
                (
                    node,
                    GpuSlots::Devices(self.lowest_free_devices(node, k, avoid)),
                )
            }
            GpuRequest::Portion(_) | GpuRequest::MemoryMib(_) => {
                self.find_shared(pool, need, avoid)?
            }
        };
        if let Err(what) = self.take_exact(node, &gpus, need) {
            debug_assert!(false, "chosen placement did not fit: {what}");
            return None;
        }
        Some(PodPlacementAt { node, gpus })
    }

    /// Gives back what a pod held.
    pub fn release(&mut self, node: usize, gpus: &GpuSlots, need: PodNeed) {
        self.save(node);
        self.remove_from_index(node);
        let state = &mut self.nodes[node];
        state.free_cpu += need.cpu;
        state.free_memory += need.memory;
        match gpus {
            GpuSlots::Devices(devs) => {
                for &d in devs {
                    if let Some(dev) = state.devices.get_mut(d as usize) {
                        *dev = Device::default();
                    }
                }
            }
            GpuSlots::Shared {
                device,
                portion,
                memory_mib,
            } => {
                if let Some(dev) = state.devices.get_mut(*device as usize) {
                    dev.used = dev.used.saturating_sub(*portion);
                    dev.used_mib = dev.used_mib.saturating_sub(*memory_mib);
                }
            }
        }
        self.add_to_index(node);
    }

    /// A node with `k` free devices off `avoid` (its nodes, and its devices when it names any),
    /// and the CPU and memory of `need`: of those with the fewest free devices (binpack) or the
    /// most (spread), the first by name.
    fn find_whole(&self, pool: usize, k: u32, need: PodNeed, avoid: &Avoid) -> Option<usize> {
        let p = &self.pools[pool];
        let fits = |pos: usize| {
            let n = p.by_name[pos];
            !avoid.nodes.contains(&n)
                && (avoid.devices.is_empty()
                    || self.lowest_free_devices(n, k, avoid).len() >= k as usize)
        };
        let first = |(_, nodes): (&u32, &RoomTree)| nodes.first(need.cpu, need.memory, fits);
        let pos = match p.strategy {
            PlacementStrategy::Binpack => p.whole.range(k..).find_map(first),
            PlacementStrategy::Spread => p.whole.range(..=u32::MAX - k).find_map(first),
        }?;
        Some(p.by_name[pos])
    }

    fn find_shared(&self, pool: usize, need: PodNeed, avoid: &Avoid) -> Option<(usize, GpuSlots)> {
        let p = &self.pools[pool];
        let on_partial = |&&(_, _, n, d): &&(u32, u32, usize, u32)| {
            !avoid.devices.contains(&(n, d))
                && self.fits_cpu_memory(n, need)
                && self.device_fits(n, d, need.gpu)
        };
        let smallest = match need.gpu {
            GpuRequest::Portion(portion) => portion,
            _ => 0,
        };
        let partial = match p.strategy {
            PlacementStrategy::Binpack => p.shared.range((smallest, 0, 0, 0)..).find(on_partial),
            PlacementStrategy::Spread => p.shared.iter().rev().find(on_partial),
        };
        let fresh = || {
            let n = self.find_whole(pool, 1, need, avoid)?;
            let d = self.lowest_free_devices(n, 1, avoid).first().copied()?;
            self.device_fits(n, d, need.gpu).then_some((n, d))
        };
        let (n, d) = match p.strategy {
            PlacementStrategy::Binpack => partial.map(|e| (e.2, e.3)).or_else(fresh)?,
            PlacementStrategy::Spread => fresh().or_else(|| partial.map(|e| (e.2, e.3)))?,
        };
        let (portion, memory_mib) = self.shared_need(n, need.gpu);
        Some((
            n,
            GpuSlots::Shared {
                device: d,
                portion,
                memory_mib,
            },
        ))
    }

    /// Thousandths and MiB a shared request takes on a device of node `n`.
    fn shared_need(&self, n: usize, gpu: GpuRequest) -> (u32, u64) {
        let mib = self.device_mib[n];
        match gpu {
            GpuRequest::Portion(p) => (p, mib * u64::from(p) / u64::from(FULL)),
            GpuRequest::MemoryMib(m) => (portion_of_memory(m, mib), m),
            GpuRequest::Devices(_) => (FULL, mib),
        }
    }

    fn device_fits(&self, n: usize, d: u32, gpu: GpuRequest) -> bool {
        let (portion, mib) = self.shared_need(n, gpu);
        self.nodes[n].devices.get(d as usize).is_some_and(|dev| {
            dev.used + portion <= FULL && dev.used_mib + mib <= self.device_mib[n]
        })
    }

    fn fits_cpu_memory(&self, n: usize, need: PodNeed) -> bool {
        let s = &self.nodes[n];
        s.free_cpu >= need.cpu && s.free_memory >= need.memory
    }

    /// The `k` lowest free devices of node `n` that `avoid` does not name (fewer if there are not).
    fn lowest_free_devices(&self, n: usize, k: u32, avoid: &Avoid) -> Vec<u32> {
        self.nodes[n]
            .devices
            .iter()
            .enumerate()
            .filter(|&(i, d)| d.used == 0 && !avoid.devices.contains(&(n, i as u32)))
            .take(k as usize)
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Takes exactly these devices on node `n`, or says what does not fit.
    fn take_exact(&mut self, n: usize, gpus: &GpuSlots, need: PodNeed) -> Result<(), String> {
        let device_mib = self.device_mib[n];
        let state = &self.nodes[n];
        if state.free_cpu < need.cpu || state.free_memory < need.memory {
            return Err("not enough CPU or memory".into());
        }
        match gpus {
            GpuSlots::Devices(devs) => {
                for &d in devs {
                    match state.devices.get(d as usize) {
                        None => return Err(format!("it has no GPU {d}")),
                        Some(dev) if dev.used > 0 => {
                            return Err(format!("GPU {d} is already in use"));
                        }
                        Some(_) => {}
                    }
                }
                if devs.iter().enumerate().any(|(i, d)| devs[..i].contains(d)) {
                    return Err("a pod lists a GPU twice".into());
                }
            }
            GpuSlots::Shared {
                device,
                portion,
                memory_mib,
            } => match state.devices.get(*device as usize) {
                None => return Err(format!("it has no GPU {device}")),
                Some(dev)
                    if dev.used + portion > FULL || dev.used_mib + memory_mib > device_mib =>
                {
                    return Err(format!("GPU {device} is shared past its capacity"));
                }
                Some(_) => {}
            },
        }
        self.save(n);
        self.remove_from_index(n);
        let state = &mut self.nodes[n];
        state.free_cpu -= need.cpu;
        state.free_memory -= need.memory;
        match gpus {
            GpuSlots::Devices(devs) => {
                for &d in devs {
                    state.devices[d as usize] = Device {
                        used: FULL,
                        used_mib: device_mib,
                    };
                }
            }
            GpuSlots::Shared {
                device,
                portion,
                memory_mib,
            } => {
                let dev = &mut state.devices[*device as usize];
                dev.used += portion;
                dev.used_mib += memory_mib;
            }
        }
        self.add_to_index(n);
        Ok(())
    }

    fn save(&mut self, n: usize) {
        if self.recording {
            self.undo.push((n, self.nodes[n].clone()));
        }
    }

    fn whole_key(&self, n: usize) -> u32 {
        let free = self.nodes[n].whole_free();
        match self.pools[self.pool_of[n]].strategy {
            PlacementStrategy::Binpack => free,
            PlacementStrategy::Spread => u32::MAX - free,
        }
    }

    fn add_to_index(&mut self, n: usize) {
        let key = self.whole_key(n);
        let order = self.name_order[n];
        let free = i64::from(self.nodes[n].whole_free());
        let state = &self.nodes[n];
        let pool = &mut self.pools[self.pool_of[n]];
        let size = pool.by_name.len();
        pool.whole
            .entry(key)
            .or_insert_with(|| RoomTree::new(size))
            .insert(self.position[n], state.free_cpu, state.free_memory);
        pool.free_whole += free;
        for (d, dev) in self.nodes[n].devices.iter().enumerate() {
            if dev.used > 0 && dev.used < FULL {
                pool.shared.insert((FULL - dev.used, order, n, d as u32));
                pool.free_shared += i64::from(FULL - dev.used);
            }
        }
    }

    fn remove_from_index(&mut self, n: usize) {
        let key = self.whole_key(n);
        let order = self.name_order[n];
        let free = i64::from(self.nodes[n].whole_free());
        let pool = &mut self.pools[self.pool_of[n]];
        if let Some(nodes) = pool.whole.get_mut(&key) {
            nodes.remove(self.position[n]);
        }
        pool.free_whole -= free;
        for (d, dev) in self.nodes[n].devices.iter().enumerate() {
            if dev.used > 0 && dev.used < FULL {
                pool.shared.remove(&(FULL - dev.used, order, n, d as u32));
                pool.free_shared -= i64::from(FULL - dev.used);
            }
        }
    }
}

/// A placement by node index; turned into a [`PodPlacement`] for the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodPlacementAt {
    pub node: usize,
    pub gpus: GpuSlots,
}

impl PodPlacementAt {
    pub fn named(&self, index: &Index<'_>) -> PodPlacement {
        PodPlacement {
            node: index.snapshot.nodes[self.node].name.clone(),
            gpus: self.gpus.clone(),
        }
    }
}
