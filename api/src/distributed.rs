//! Distributed trainings: the frameworks Rota knows and the rule that turns Run:ai's
//! `numWorkers` / `minReplicas` / `maxReplicas` / master fields into a gang of pods.
//!
//! A distributed training is a master (PyTorch's and TensorFlow's chief, MPI's launcher) and
//! `numWorkers` workers, all running the same spec: `numWorkers + 1` pods that start together or
//! not at all. Elastic (`minReplicas` below `numWorkers`): it may start, and keep running, with as
//! few as `minReplicas` workers beside the master.

use std::fmt;
use std::str::FromStr;

use crate::error::FieldError;
use crate::validate::{MAX_PODS, node_pools};
use crate::wire::{DistributedAsk, WorkloadSpec};

/// A distributed training's framework, as Run:ai names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framework {
    /// PyTorch (`torchrun`, DDP).
    PyTorch,
    /// TensorFlow.
    Tf,
    /// MPI (Horovod, DeepSpeed's launcher).
    Mpi,
    /// XGBoost.
    XgBoost,
    /// JAX.
    Jax,
}

impl Framework {
    /// Every framework, in the order the wizard and the CLI list them.
    pub const ALL: [Framework; 5] = [
        Framework::PyTorch,
        Framework::Tf,
        Framework::Mpi,
        Framework::XgBoost,
        Framework::Jax,
    ];

    /// Run:ai's name (`distributedFramework`).
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::PyTorch => "PyTorch",
            Framework::Tf => "TF",
            Framework::Mpi => "MPI",
            Framework::XgBoost => "XGBoost",
            Framework::Jax => "JAX",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The framework's name is not one Rota knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFramework(pub String);

impl fmt::Display for UnknownFramework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Framework::ALL.iter().map(|f| f.as_str()).collect();
        write!(
            f,
            "{:?} is not a distributed framework; use one of {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownFramework {}

impl FromStr for Framework {
    type Err = UnknownFramework;

    /// Run:ai's names, any case, and the CLI's (`tensorflow`, `tf`, `pytorch`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pytorch" => Ok(Framework::PyTorch),
            "tf" | "tensorflow" => Ok(Framework::Tf),
            "mpi" => Ok(Framework::Mpi),
            "xgboost" => Ok(Framework::XgBoost),
            "jax" => Ok(Framework::Jax),
            _ => Err(UnknownFramework(s.to_owned())),
        }
    }
}

/// A checked distributed training: its framework and its gang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gang {
    /// The framework.
    pub framework: Framework,
    /// Pods: the master and every worker.
    pub pods: u32,
    /// The fewest pods it runs with.
    pub min_pods: u32,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Checks the distributed part of a submission against the workers' spec.
pub fn check(ask: &DistributedAsk, workers: &WorkloadSpec) -> Result<Gang, FieldError> {
    let framework: Framework = ask
        .framework
        .parse()
        .map_err(|e: UnknownFramework| err("spec.distributedFramework", e.to_string()))?;
    let num_workers = ask.num_workers.unwrap_or(1);
    if num_workers == 0 || num_workers >= MAX_PODS {
        return Err(err(
            "spec.numWorkers",
            format!(
                "must be between 1 and {} workers (got {num_workers})",
                MAX_PODS - 1
            ),
        ));
    }
    let min_workers = ask.min_replicas.unwrap_or(num_workers);
    if min_workers == 0 || min_workers > num_workers {
        return Err(err(
            "spec.minReplicas",
            format!("must be between 1 and numWorkers ({num_workers}) (got {min_workers})"),
        ));
    }
    if let Some(max) = ask.max_replicas
        && max < num_workers
    {
        return Err(err(
            "spec.maxReplicas",
            format!("must be at least numWorkers ({num_workers}) (got {max})"),
        ));
    }
    match (ask.master_spec_same_as_worker, &ask.master_spec) {
        (Some(true) | None, Some(_)) => {
            return Err(err(
                "masterSpec",
                "give a master spec only with masterSpecSameAsWorker: false",
            ));
        }
        (Some(false), None) => {
            return Err(err(
                "masterSpec",
                "masterSpecSameAsWorker is false: give the master's spec",
            ));
        }
        (Some(false), Some(master)) if !same_pod(master, workers) => {
            return Err(err(
                "masterSpec",
                "a master that runs or asks for something else than its workers is not \
                 supported; give it the workers' spec (masterSpecSameAsWorker: true)",
            ));
        }
        _ => {}
    }
    Ok(Gang {
        framework,
        pods: num_workers + 1,
        min_pods: min_workers + 1,
    })
}

/// Whether a master spec asks for exactly what the workers do (fields left out count as the
/// workers').
fn same_pod(master: &WorkloadSpec, workers: &WorkloadSpec) -> bool {
    let or = |m: &Option<String>, w: &Option<String>| m.is_none() || m == w;
    (master.image.is_empty() || master.image == workers.image)
        && or(&master.command, &workers.command)
        && or(&master.args, &workers.args)
        && (master.environment_variables.is_empty()
            || master.environment_variables == workers.environment_variables)
        && (master.compute == Default::default() || master.compute == workers.compute)
        && (master.node_pools.is_empty() || master.node_pools == workers.node_pools)
        && node_pools("masterSpec.nodePools", &master.node_pools).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(framework: &str, workers: Option<u32>, min: Option<u32>) -> DistributedAsk {
        DistributedAsk {
            framework: framework.into(),
            num_workers: workers,
            min_replicas: min,
            ..DistributedAsk::default()
        }
    }

    #[test]
    fn a_master_and_its_workers_make_the_gang() {
        let g = check(&ask("PyTorch", Some(3), None), &WorkloadSpec::default()).unwrap();
        assert_eq!(
            (g.framework, g.pods, g.min_pods),
            (Framework::PyTorch, 4, 4)
        );
        let g = check(&ask("tensorflow", None, None), &WorkloadSpec::default()).unwrap();
        assert_eq!((g.framework, g.pods, g.min_pods), (Framework::Tf, 2, 2));
    }

    #[test]
    fn elastic_keeps_the_master() {
        let g = check(&ask("MPI", Some(4), Some(2)), &WorkloadSpec::default()).unwrap();
        assert_eq!((g.pods, g.min_pods), (5, 3));
    }

    #[test]
    fn wrong_fields_are_named() {
        let spec = WorkloadSpec::default();
        let e = check(&ask("caffe", Some(1), None), &spec).unwrap_err();
        assert_eq!(e.field, "spec.distributedFramework");
        assert!(
            e.message.contains("PyTorch, TF, MPI, XGBoost, JAX"),
            "{e:?}"
        );
        assert_eq!(
            check(&ask("JAX", Some(0), None), &spec).unwrap_err().field,
            "spec.numWorkers"
        );
        assert_eq!(
            check(&ask("JAX", Some(2), Some(3)), &spec)
                .unwrap_err()
                .field,
            "spec.minReplicas"
        );
        let mut a = ask("JAX", Some(2), None);
        a.max_replicas = Some(1);
        assert_eq!(check(&a, &spec).unwrap_err().field, "spec.maxReplicas");
    }

    #[test]
    fn a_master_of_its_own_must_match_the_workers() {
        let workers = WorkloadSpec {
            image: "pytorch".into(),
            ..WorkloadSpec::default()
        };
        let mut a = ask("PyTorch", Some(1), None);
        a.master_spec_same_as_worker = Some(false);
        assert_eq!(check(&a, &workers).unwrap_err().field, "masterSpec");
        a.master_spec = Some(workers.clone());
        assert!(check(&a, &workers).is_ok());
        a.master_spec = Some(WorkloadSpec {
            image: "other".into(),
            ..WorkloadSpec::default()
        });
        assert_eq!(check(&a, &workers).unwrap_err().field, "masterSpec");
        a.master_spec_same_as_worker = Some(true);
        assert_eq!(check(&a, &workers).unwrap_err().field, "masterSpec");
    }
}
