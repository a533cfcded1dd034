//! Distributed trainings: `rota pytorch submit NAME --workers N` (v2, likewise `tensorflow`,
//! `mpi`, `jax`, `xgboost`) and `rota submit-dist pytorch NAME --workers N` (v1). A master and N
//! workers, all running the same image and compute, start together or not at all.

use clap::{Args, Subcommand};
use rota_api::distributed::Framework;
use rota_api::wire::{DistributedCreationRequest, DistributedSpec};

use super::{ListArgs, LogsArgs, NameArgs, SubmitArgs, connect, creation_request, dry_run, finish};

/// What a distributed submission adds to any submission.
#[derive(Debug, Args)]
pub struct DistArgs {
    #[command(flatten)]
    submit: SubmitArgs,
    /// Workers beside the master: the training runs N + 1 pods.
    #[arg(long, default_value_t = 1, value_name = "N")]
    workers: u32,
    /// Elastic: the fewest workers it may start and run with (default: all of them).
    #[arg(long, value_name = "N")]
    min_replicas: Option<u32>,
    /// Elastic: the most workers (at least --workers).
    #[arg(long, value_name = "N")]
    max_replicas: Option<u32>,
}

/// `rota pytorch …`, `rota tensorflow …`, `rota mpi …`, `rota jax …`, `rota xgboost …`.
#[derive(Debug, Subcommand)]
pub enum DistCommand {
    /// Submit one: a master and --workers workers.
    Submit(Box<DistArgs>),
    /// List them (every distributed training, of any framework).
    List(ListArgs),
    /// Show one: its pods, where they run, why it waits.
    Describe(NameArgs),
    /// Delete one: every pod stops.
    Delete(NameArgs),
    /// Show what one pod wrote (`--pod 0` is the master).
    Logs(LogsArgs),
}

/// Runs `rota <framework> …`.
pub fn run(framework: Framework, cmd: &DistCommand) -> anyhow::Result<()> {
    match cmd {
        DistCommand::Submit(args) => submit(framework, args),
        DistCommand::List(args) => super::list(Some("distributed"), args),
        DistCommand::Describe(args) => super::describe(args),
        DistCommand::Delete(args) => super::delete("distributed", args),
        DistCommand::Logs(args) => super::logs(args),
    }
}

/// Submits a distributed training of `framework`.
pub fn submit(framework: Framework, args: &DistArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let base = creation_request(&client, &stored, &args.submit)?;
    let req = DistributedCreationRequest {
        name: base.name,
        use_given_name_as_prefix: base.use_given_name_as_prefix,
        template_id: base.template_id,
        project_id: base.project_id,
        cluster_id: base.cluster_id,
        spec: DistributedSpec {
            workload: base.spec,
            distributed_framework: framework.as_str().to_owned(),
            num_workers: Some(args.workers),
            min_replicas: args.min_replicas,
            max_replicas: args.max_replicas,
        },
        master_spec_same_as_worker: Some(true),
        master_spec: None,
    };
    if args.submit.dry_run {
        return dry_run(&client.preview("distributed", &req)?, &args.submit);
    }
    let created = client.submit("distributed", &req)?;
    finish(&client, &created, &args.submit)
}
