//! What a workload runs when it is made from an environment asset. The workload's own choices win,
//! field by field, as a Kubernetes container's do over its image's:
//! - the image is the workload's when it names one, else the environment's;
//! - a workload that names its own command runs exactly that command with its own arguments (the
//!   environment's arguments belong to the environment's command); one that names only arguments
//!   runs the environment's command with them;
//! - variables are the environment's, then the workload's: a workload's variable replaces the
//!   environment's of the same name, in place.
//!
//! The REST API (through a template) and the web wizard (through the environment it picks) both
//! call this, so the two cannot disagree.

use crate::wire::{EnvironmentSpec, WorkloadSpec};

/// `spec` completed from `env` by the rules above.
pub fn from_environment(env: &EnvironmentSpec, mut spec: WorkloadSpec) -> WorkloadSpec {
    if spec.image.trim().is_empty() {
        spec.image = env.image.clone();
    }
    let own_command = spec
        .command
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    if !own_command {
        spec.command = env.command.clone();
        if spec.args.as_deref().is_none_or(|a| a.trim().is_empty()) {
            spec.args = env.args.clone();
        }
    }
    let mut vars = env.environment_variables.clone();
    for own in spec.environment_variables {
        match vars.iter_mut().find(|v| v.name == own.name) {
            Some(v) => v.value = own.value,
            None => vars.push(own),
        }
    }
    spec.environment_variables = vars;
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::EnvironmentVariable;

    fn var(name: &str, value: &str) -> EnvironmentVariable {
        EnvironmentVariable {
            name: name.into(),
            value: value.into(),
        }
    }

    fn env() -> EnvironmentSpec {
        EnvironmentSpec {
            image: "pytorch:2".into(),
            command: Some("python train.py".into()),
            args: Some("--epochs 3".into()),
            environment_variables: vec![var("A", "1"), var("B", "2")],
        }
    }

    #[test]
    fn an_empty_workload_takes_everything_from_its_environment() {
        let spec = from_environment(&env(), WorkloadSpec::default());
        assert_eq!(spec.image, "pytorch:2");
        assert_eq!(spec.command.as_deref(), Some("python train.py"));
        assert_eq!(spec.args.as_deref(), Some("--epochs 3"));
        assert_eq!(
            spec.environment_variables,
            vec![var("A", "1"), var("B", "2")]
        );
    }

    #[test]
    fn an_own_command_drops_the_environments_arguments() {
        let own = WorkloadSpec {
            image: "mine:1".into(),
            command: Some("sleep".into()),
            ..WorkloadSpec::default()
        };
        let spec = from_environment(&env(), own);
        assert_eq!(spec.image, "mine:1");
        assert_eq!(spec.command.as_deref(), Some("sleep"));
        assert_eq!(spec.args, None);
    }

    #[test]
    fn own_arguments_go_to_the_environments_command() {
        let own = WorkloadSpec {
            args: Some("--epochs 9".into()),
            ..WorkloadSpec::default()
        };
        let spec = from_environment(&env(), own);
        assert_eq!(spec.command.as_deref(), Some("python train.py"));
        assert_eq!(spec.args.as_deref(), Some("--epochs 9"));
    }

    #[test]
    fn own_variables_replace_the_environments_of_the_same_name_in_place() {
        let own = WorkloadSpec {
            environment_variables: vec![var("C", "3"), var("A", "9")],
            ..WorkloadSpec::default()
        };
        let spec = from_environment(&env(), own);
        assert_eq!(
            spec.environment_variables,
            vec![var("A", "9"), var("B", "2"), var("C", "3")]
        );
    }
}
