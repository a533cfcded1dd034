//! How many GPUs a request counts for: the one rule the scheduling core, the submission preview and
//! the workloads' summaries all use.
//!
//! Whole devices count for themselves, a portion for itself; a memory slice counts for its share of
//! the pool's reference device — the largest device memory among the pool's nodes with GPUs —
//! rounded up to a thousandth of a GPU.

use std::collections::BTreeMap;

use crate::model::{DEFAULT_POOL, GpuRequest, Node};
use crate::quantity::MilliGpus;

/// GPUs one pod asking for `request` counts for, in a pool whose reference device has
/// `reference_memory_mib`.
pub fn pod_gpus(request: GpuRequest, reference_memory_mib: u64) -> MilliGpus {
    match request {
        GpuRequest::Devices(n) => MilliGpus::whole(i64::from(n)),
        GpuRequest::Portion(p) => MilliGpus(i64::from(p)),
        GpuRequest::MemoryMib(m) => MilliGpus(portion_of_memory(m, reference_memory_mib).into()),
    }
}

/// The portion (thousandths, rounded up) of a device with `device_mib` that `mib` takes; more than
/// a device (1001) when there is no device.
pub fn portion_of_memory(mib: u64, device_mib: u64) -> u32 {
    if device_mib == 0 {
        return 1001; // never fits
    }
    let p = (mib.saturating_mul(1000)).div_ceil(device_mib);
    u32::try_from(p).unwrap_or(u32::MAX)
}

/// Each pool's reference device memory, from its nodes: `(pool, gpus, gpu_memory_mib)` per node.
pub fn reference_memory<'a>(
    nodes: impl IntoIterator<Item = (&'a str, u32, u64)>,
) -> BTreeMap<&'a str, u64> {
    let mut reference: BTreeMap<&str, u64> = BTreeMap::new();
    for (pool, gpus, mib) in nodes {
        let r = reference.entry(pool).or_default();
        if gpus > 0 {
            *r = (*r).max(mib);
        }
    }
    reference
}

/// The same, from a snapshot's nodes.
pub fn reference_memory_of(nodes: &[Node]) -> BTreeMap<&str, u64> {
    reference_memory(
        nodes
            .iter()
            .map(|n| (n.pool.as_str(), n.gpus, n.gpu_memory_mib)),
    )
}

/// The order pools are tried in for a workload that names none: the default pool first, then the
/// others by name.
pub fn pool_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a != DEFAULT_POOL, a).cmp(&(b != DEFAULT_POOL, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_slice_counts_for_its_share_of_the_pools_largest_device() {
        let reference = reference_memory([
            ("default", 8, 40_960),
            ("default", 8, 81_920),
            ("small", 4, 24_576),
            ("cpu", 0, 999_999),
        ]);
        assert_eq!(reference["default"], 81_920);
        assert_eq!(reference["small"], 24_576);
        assert_eq!(reference["cpu"], 0, "no GPUs, no reference");
        let slice = GpuRequest::MemoryMib(20_480);
        assert_eq!(pod_gpus(slice, reference["default"]), MilliGpus(250));
        assert_eq!(pod_gpus(slice, reference["small"]), MilliGpus(834));
        assert_eq!(pod_gpus(GpuRequest::Devices(2), 0), MilliGpus(2000));
        assert_eq!(pod_gpus(GpuRequest::Portion(500), 0), MilliGpus(500));
        assert_eq!(portion_of_memory(1, 0), 1001);
    }

    #[test]
    fn the_default_pool_comes_first_then_by_name() {
        let mut pools = vec!["b", "default", "a"];
        pools.sort_by(|a, b| pool_order(a, b));
        assert_eq!(pools, vec!["default", "a", "b"]);
    }
}
