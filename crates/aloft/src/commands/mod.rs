//! One module per subcommand.

mod assemble;
mod assemble_sboms;
mod build;
mod cache;
mod diff;
mod fetch;
mod lock;
mod outdated;
mod publish;
mod sbom;
mod why;

use std::process::ExitCode;

use miette::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Lock(args) => lock::lock(&args, cli.global.quiet),
        Command::Assemble(args) => assemble::assemble(&args, cli.global.quiet),
        Command::Publish(args) => publish::publish(&args, cli.global.quiet),
        Command::Cache(command) => cache::cache(&command, cli.global.quiet),
        Command::Diff(args) => diff::diff(&args),
        Command::Outdated(args) => outdated::outdated(&args),
        Command::Sbom(args) => sbom::sbom(&args),
        Command::Why(args) => why::why(&args, cli.global.quiet),
    }
}
