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
    /// `ROTA_USAGE_SAVE_SECS`: how often the scheduling loop saves the projects' usage and the
    /// cluster's history (1 to 3600 seconds, default 30).
    pub usage_save_every: std::time::Duration,
    /// `ROTA_HISTORY_DAYS`: how long the hourly usage history is kept (7 to 365 days, default 7;
    /// never less than the usage window).
    pub keep_history: std::time::Duration,
}

impl Settings {
    /// Reads the environment; empty values count as unset. A value that cannot be used is
    /// named in the error.
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let usage_save_secs = match var("ROTA_USAGE_SAVE_SECS") {
            None => 30,
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| {
                    format!(
                        "ROTA_USAGE_SAVE_SECS: expected whole seconds from 1 to 3600, got {v:?}"
                    )
                })?,
        };
        let history_days = match var("ROTA_HISTORY_DAYS") {
            None => 7,
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|d| (7..=365).contains(d))
                .ok_or_else(|| {
                    format!("ROTA_HISTORY_DAYS: expected whole days from 7 to 365, got {v:?}")
                })?,
        };
        Ok(Settings {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_URL.to_owned()),
            cluster_file: var("ROTA_CLUSTER"),
            admin_password: var("ROTA_ADMIN_PASSWORD"),
            data_dir: var("ROTA_DATA_DIR").unwrap_or_else(|| "data".into()).into(),
            usage_save_every: std::time::Duration::from_secs(usage_save_secs),
            keep_history: std::time::Duration::from_secs(history_days * 86_400),
        })
    }
}
