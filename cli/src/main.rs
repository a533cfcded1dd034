//! `rota`: the command line of Rota.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod sim;

/// Rota: GPU quotas, fair sharing and scheduling for research teams.
#[derive(Debug, Parser)]
#[command(name = "rota", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scheduler offline: replay scenario files, or benchmark a synthetic cluster.
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(cmd) => sim::run(cmd),
    }
}
