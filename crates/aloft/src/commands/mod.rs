//! One module per subcommand.

mod assemble;
mod cache;
mod digest_report;
mod lock;
mod repositories;
mod sbom;

use std::process::ExitCode;

use miette::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Lock(args) => lock::lock(&args, cli.global.quiet),
        Command::Assemble(args) => assemble::assemble(&args, cli.global.quiet),
        Command::Cache(command) => cache::cache(&command, cli.global.quiet),
    }
}
