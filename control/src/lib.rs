//! Rota's control plane. Side effects live here: the store (sea-orm over SQLite or PostgreSQL),
//! the services that the REST API and the UI both call, sign-in, the scheduling loop that turns
//! `rota_scheduler` plans into committed placements, and the executors that carry them out.
//!
//! Every state change is one transaction. Validation rules come from `rota_api`; scheduling policy
//! from `rota_scheduler`; nothing here decides who runs where.

pub mod auth;
pub mod cluster_file;
pub mod control_loop;
pub mod error;
pub mod executor;
pub mod leadership;
pub mod logs;
pub mod metrics;
pub mod peers;
pub mod revocations;
pub mod seed;
pub mod services;
pub mod store;
pub mod time;

pub use control_loop::{Change, Control, Reasons, Wake};
pub use error::ControlError;
pub use store::Store;
