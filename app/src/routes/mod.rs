//! One page per file.

pub mod workloads;
