//! One sea-orm entity per table.

pub mod cluster;
pub mod compute_resource;
pub mod credential;
pub mod department;
pub mod environment;
pub mod event;
pub mod node;
pub mod node_pool;
pub mod pod;
pub mod project;
pub mod project_usage;
pub mod quota;
pub mod revocation;
pub mod setting;
pub mod user;
pub mod user_project;
pub mod workload;
pub mod workload_template;
