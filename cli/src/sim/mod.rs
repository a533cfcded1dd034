//! `rota sim`: the scheduler without a cluster.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

mod bench;
mod replay;

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people.
    #[default]
    Text,
    /// JSON Lines, for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Replay scenario files and check their expectations (exit 0: all hold, 1: some failed, 2: a
    /// file could not be read or is not a valid scenario).
    Run(replay::RunArgs),
    /// Build a synthetic cluster and load, run one full cycle, and time it against a first-fit floor.
    Bench(bench::BenchArgs),
}

pub fn run_sim(cmd: &SimCommand) -> ExitCode {
    match cmd {
        SimCommand::Run(args) => replay::run(args),
        SimCommand::Bench(args) => bench::run(args),
    }
}
