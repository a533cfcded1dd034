//! The cluster file (`ROTA_CLUSTER`, TOML): which executor runs the pods, and for the simulated
//! one its nodes. Without one, Rota runs the walkthrough's simulated cluster `local`: two nodes
//! of two GPUs. The local and Slurm executors report their nodes themselves.

use serde::Deserialize;

/// The quickstart cluster.
pub const QUICKSTART: &str = r#"
name = "local"

[[nodes]]
name = "node-1"
gpus = 2

[[nodes]]
name = "node-2"
gpus = 2
"#;

/// A cluster as its file describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterFile {
    /// The cluster's name.
    pub name: String,
    /// What runs the pods.
    #[serde(default)]
    pub executor: ExecutorKind,
    /// Placement of pools not listed in `pools`: `binpack` (default) or `spread`.
    #[serde(default)]
    pub placement: rota_scheduler::PlacementStrategy,
    /// Its nodes (the simulated executor's; the others report theirs).
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// The local executor's settings.
    #[serde(default)]
    pub local: Option<crate::executor::local::LocalConfig>,
    /// The Slurm executor's settings.
    #[serde(default)]
    pub slurm: Option<crate::executor::slurm::SlurmConfig>,
    /// Time-based fair share, applied at every start when given (an admin may change it
    /// meanwhile over REST or on the Settings page).
    #[serde(default)]
    pub fair_share: Option<FairShareSection>,
}

/// `[fair_share]`: how past usage weighs on the split of idle GPUs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairShareSection {
    /// How much past usage counts, 0 (off) to 100.
    pub k_value: f64,
    /// Usage older than this is forgotten (default `168h`).
    #[serde(default = "default_window_size")]
    pub window_size: String,
    /// Usage this old counts half (default: no decay).
    #[serde(default)]
    pub half_life_period: Option<String>,
}

impl FairShareSection {
    /// The settings, checked.
    pub fn settings(&self) -> Result<rota_scheduler::TimeFairShare, rota_api::FieldError> {
        rota_api::validate::time_fair_share(
            self.k_value,
            &self.window_size,
            self.half_life_period.as_deref(),
        )
    }
}

fn default_window_size() -> String {
    rota_api::validate::duration_text(rota_scheduler::usage::DEFAULT_WINDOW_SECS)
}

/// Which executor runs a cluster's pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutorKind {
    /// Pods run in the store's imagination (the default; the walkthrough and the tests).
    #[default]
    Simulated,
    /// Pods are processes of this host.
    Local,
    /// Pods are Slurm batch jobs.
    Slurm,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique name.
    pub name: String,
    /// GPU devices.
    pub gpus: u32,
    /// Node pool (default `default`).
    #[serde(default = "default_pool")]
    pub pool: String,
    /// Memory per GPU device in MiB (default 81920).
    #[serde(default = "default_gpu_memory")]
    pub gpu_memory_mib: u64,
    /// CPU cores (default 64).
    #[serde(default = "default_cpu")]
    pub cpu_cores: u32,
    /// Memory in GiB (default 512).
    #[serde(default = "default_memory")]
    pub memory_gib: u32,
}

fn default_pool() -> String {
    rota_scheduler::model::DEFAULT_POOL.to_owned()
}
fn default_gpu_memory() -> u64 {
    81920
}
fn default_cpu() -> u32 {
    64
}
fn default_memory() -> u32 {
    512
}

/// Why a cluster file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClusterFileError {
    /// It could not be read.
    #[error("cannot read cluster file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid.
    #[error("cluster file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong (with line and column).
        message: String,
    },
}

impl ClusterFile {
    /// Parses TOML text; `path` only names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Self, ClusterFileError> {
        let invalid = |message: String| ClusterFileError::Invalid {
            path: path.to_owned(),
            message,
        };
        let file: ClusterFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        rota_api::validate::name("name", &file.name)
            .map_err(|e| invalid(format!("{}: {}", e.field, e.message)))?;
        match file.executor {
            ExecutorKind::Simulated if file.nodes.is_empty() => {
                return Err(invalid(
                    "a simulated cluster needs at least one node".into(),
                ));
            }
            ExecutorKind::Local | ExecutorKind::Slurm if !file.nodes.is_empty() => {
                return Err(invalid(format!(
                    "nodes: the {} executor reports its own nodes; list none",
                    if file.executor == ExecutorKind::Local {
                        "local"
                    } else {
                        "slurm"
                    }
                )));
            }
            _ => {}
        }
        if file.local.is_some() && file.executor != ExecutorKind::Local {
            return Err(invalid("[local] is for executor = \"local\"".into()));
        }
        if file.slurm.is_some() && file.executor != ExecutorKind::Slurm {
            return Err(invalid("[slurm] is for executor = \"slurm\"".into()));
        }
        if let Some(section) = &file.fair_share {
            section
                .settings()
                .map_err(|e| invalid(format!("fair_share: {}: {}", e.field, e.message)))?;
        }
        for (i, n) in file.nodes.iter().enumerate() {
            rota_api::validate::name(&format!("nodes[{i}].name"), &n.name)
                .and_then(|()| rota_api::validate::name(&format!("nodes[{i}].pool"), &n.pool))
                .map_err(|e| invalid(format!("{}: {}", e.field, e.message)))?;
            if file.nodes[..i].iter().any(|m| m.name == n.name) {
                return Err(invalid(format!(
                    "nodes[{i}].name: {} is listed twice",
                    n.name
                )));
            }
        }
        Ok(file)
    }

    /// Reads `ROTA_CLUSTER`'s file, or the quickstart cluster when `path` is `None`.
    pub fn load(path: Option<&str>) -> Result<Self, ClusterFileError> {
        match path {
            None => Self::parse("(built-in quickstart cluster)", QUICKSTART),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ClusterFileError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                Self::parse(p, &text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quickstart_cluster_is_two_nodes_of_two_gpus() {
        let c = ClusterFile::load(None).expect("built-in file parses");
        assert_eq!(c.name, "local");
        assert_eq!(
            c.nodes.iter().map(|n| n.gpus).collect::<Vec<_>>(),
            vec![2, 2]
        );
        assert!(c.nodes.iter().all(|n| n.pool == "default"));
    }

    #[test]
    fn a_typo_in_the_file_is_named() {
        let err = ClusterFile::parse("c.toml", "name = \"x\"\n[[nodes]]\nname = \"n\"\ngpu = 2\n")
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `gpu`"), "{err}");
        let err = ClusterFile::parse("c.toml", "name = \"x\"\nnodes = []\n").unwrap_err();
        assert!(err.to_string().contains("at least one node"), "{err}");
    }

    #[test]
    fn a_fair_share_section_is_checked_when_the_file_is_read() {
        let nodes = "[[nodes]]\nname = \"n\"\ngpus = 2\n";
        let c = ClusterFile::parse(
            "c.toml",
            &format!(
                "name = \"x\"\n{nodes}[fair_share]\nk_value = 0.5\nhalf_life_period = \"12h\"\n"
            ),
        )
        .expect("valid");
        let t = c.fair_share.expect("section").settings().expect("valid");
        assert_eq!(
            (t.k_value, t.window_secs, t.half_life_secs),
            (0.5, 7 * 86_400, Some(43_200))
        );
        let err = ClusterFile::parse(
            "c.toml",
            &format!("name = \"x\"\n{nodes}[fair_share]\nk_value = 0.5\nwindow_size = \"10m\"\n"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("fair_share: windowSize: at least 1h"),
            "{err}"
        );
    }

    #[test]
    fn a_workstation_names_its_executor_and_no_nodes() {
        let c = ClusterFile::parse(
            "ws.toml",
            "name = \"workstation\"\nexecutor = \"local\"\n[local]\ngpus = 2\n",
        )
        .expect("parses");
        assert_eq!(c.executor, ExecutorKind::Local);
        assert_eq!(
            c.local.map(|l| l.gpus),
            Some(crate::executor::local::Gpus::Count(2))
        );
        let err = ClusterFile::parse(
            "ws.toml",
            "name = \"w\"\nexecutor = \"local\"\n[[nodes]]\nname = \"n\"\ngpus = 1\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("reports its own nodes"), "{err}");
        let err = ClusterFile::parse("ws.toml", "name = \"w\"\nexecutor = \"k8s\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }
}
