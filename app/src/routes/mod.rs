//! One page (or a family of pages) per file.

pub mod assets;
pub mod nodes;
pub mod not_found;
pub mod org;
pub mod overview;
pub mod settings;
pub mod signin;
pub mod wizard;
pub mod workload;
pub mod workloads;
