//! `rota`: the command line of Rota. Run:ai's v1 shapes (`rota submit`, `rota list -A`,
//! `rota delete job`) and v2 shapes (`rota training submit`, `rota workload list -A`) both work.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod remote;
mod sim;

use remote::distributed::{self, DistArgs, DistCommand};
use remote::{
    JobCommand, KindCommand, ListArgs, LoginArgs, LogsArgs, ProjectCommand, SubmitArgs,
    WorkloadCommand,
};
use rota_api::distributed::Framework;

/// Rota: GPU quotas, fair sharing and scheduling for research teams.
#[derive(Debug, Parser)]
#[command(name = "rota", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to a Rota server and remember it.
    Login(LoginArgs),
    /// Submit a training (v1; --interactive for a workspace).
    Submit {
        #[command(flatten)]
        args: SubmitArgs,
        /// Submit a workspace instead of a training.
        #[arg(long)]
        interactive: bool,
    },
    /// Submit a distributed training (v1: `rota submit-dist pytorch NAME --workers N`).
    SubmitDist {
        /// pytorch, tf (tensorflow), mpi, jax or xgboost.
        framework: Framework,
        #[command(flatten)]
        args: DistArgs,
    },
    /// List workloads (v1).
    List(ListArgs),
    /// Show a workload (v1: `rota describe job NAME -p P`).
    #[command(subcommand)]
    Describe(JobCommand),
    /// Delete a workload (v1: `rota delete job NAME -p P`).
    #[command(subcommand)]
    Delete(JobCommand),
    /// Show what a workload's pod wrote (v1: `rota logs NAME -p P [-f] [--tail N]`).
    Logs(LogsArgs),
    /// Trainings (v2).
    #[command(subcommand)]
    Training(KindCommand),
    /// Workspaces (v2).
    #[command(subcommand)]
    Workspace(KindCommand),
    /// Distributed PyTorch trainings (v2: `rota pytorch submit NAME --workers N`).
    #[command(subcommand)]
    Pytorch(DistCommand),
    /// Distributed TensorFlow trainings (v2).
    #[command(subcommand, alias = "tf")]
    Tensorflow(DistCommand),
    /// Distributed MPI trainings (v2).
    #[command(subcommand)]
    Mpi(DistCommand),
    /// Distributed JAX trainings (v2).
    #[command(subcommand)]
    Jax(DistCommand),
    /// Distributed XGBoost trainings (v2).
    #[command(subcommand)]
    Xgboost(DistCommand),
    /// Workloads of every type (v2).
    #[command(subcommand)]
    Workload(WorkloadCommand),
    /// Projects (v2).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Cluster-wide settings: time-based fair share.
    #[command(subcommand)]
    Settings(remote::settings::SettingsCommand),
    /// Measure a running server: sustained submissions, and the time from 202 to Running.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run the scheduler offline: replay scenario files, or benchmark a synthetic cluster.
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Submissions through the REST API (use a server started for it: it fills it up).
    Api(remote::bench::BenchArgs),
    /// The Workloads page with many workloads in the store (use a server started for it).
    Page(remote::bench_page::PageArgs),
    /// Submission to a confirmed running process or Slurm job (use a server started for it).
    Executor(remote::bench_executor::ExecutorBenchArgs),
    /// Two servers on one PostgreSQL store: time from a SIGKILL of the leader to the follower
    /// leading and committing its first plan (it starts the servers itself).
    Failover(remote::bench_failover::FailoverArgs),
}

fn kind(cmd: &KindCommand, kind: &str) -> anyhow::Result<()> {
    match cmd {
        KindCommand::Submit(args) => remote::submit(kind, args),
        KindCommand::List(args) => remote::list(Some(kind), args),
        KindCommand::Describe(args) => remote::describe(args),
        KindCommand::Delete(args) => remote::delete(kind, args),
        KindCommand::Logs(args) => remote::logs(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Sim(cmd) => return sim::run_sim(cmd),
        Command::Login(args) => remote::login(args),
        Command::Submit { args, interactive } => remote::submit(
            if *interactive {
                "workspace"
            } else {
                "training"
            },
            args,
        ),
        Command::SubmitDist { framework, args } => distributed::submit(*framework, args),
        Command::Pytorch(cmd) => distributed::run(Framework::PyTorch, cmd),
        Command::Tensorflow(cmd) => distributed::run(Framework::Tf, cmd),
        Command::Mpi(cmd) => distributed::run(Framework::Mpi, cmd),
        Command::Jax(cmd) => distributed::run(Framework::Jax, cmd),
        Command::Xgboost(cmd) => distributed::run(Framework::XgBoost, cmd),
        Command::List(args) => remote::list(None, args),
        Command::Describe(JobCommand::Job(args)) => remote::describe(args),
        Command::Delete(JobCommand::Job(args)) => remote::delete("training", args),
        Command::Logs(args) => remote::logs(args),
        Command::Training(cmd) => kind(cmd, "training"),
        Command::Workspace(cmd) => kind(cmd, "workspace"),
        Command::Workload(WorkloadCommand::List(args)) => remote::list(None, args),
        Command::Workload(WorkloadCommand::Describe(args)) => remote::describe(args),
        Command::Project(cmd) => remote::project(cmd),
        Command::Settings(cmd) => remote::settings::run(cmd),
        Command::Bench(BenchCommand::Api(args)) => remote::bench::run(args),
        Command::Bench(BenchCommand::Page(args)) => remote::bench_page::run(args),
        Command::Bench(BenchCommand::Executor(args)) => remote::bench_executor::run(args),
        Command::Bench(BenchCommand::Failover(args)) => remote::bench_failover::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rota: {e:#}");
            ExitCode::FAILURE
        }
    }
}
