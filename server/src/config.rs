//! The server's settings, from the environment (DESIGN.md, "Defaults for a first run").

use rota_control::store::DEFAULT_URL;

/// What the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/rota.db`) or `postgres://…`.
    pub database_url: String,
    /// `ROTA_CLUSTER`: the cluster file; none runs the quickstart cluster.
    pub cluster_file: Option<String>,
    /// `ROTA_ADMIN_PASSWORD`: the first admin's password; none generates one on first start.
    pub admin_password: Option<String>,
    /// `ROTA_DATA_DIR`: where pods' logs and the local executor's pod folders live (default
    /// `data`).
    pub data_dir: std::path::PathBuf,
}

impl Settings {
    /// Reads the environment; empty values count as unset.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Settings {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_URL.to_owned()),
            cluster_file: var("ROTA_CLUSTER"),
            admin_password: var("ROTA_ADMIN_PASSWORD"),
            data_dir: var("ROTA_DATA_DIR").unwrap_or_else(|| "data".into()).into(),
        }
    }
}
