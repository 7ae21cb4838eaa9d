//! The `aloft` binary: parses arguments and calls the libraries; nothing else.

mod cli;
mod commands;
mod project;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Long URLs and paths must stay whole to be copied; never wrap.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    init_logging(cli.global.verbose, cli.global.quiet);
    remove_temps_when_interrupted();
    match commands::run(cli) {
        Ok(code) => code,
        Err(report) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{report:?}");
            }
            ExitCode::from(1)
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove this run's temp files (a half-written image
/// beside `-o`, a layer being compressed, a .deb being downloaded) and exit as the
/// signal would (128 + its number). What was complete stays: outputs and cache entries
/// only ever appear by rename.
fn remove_temps_when_interrupted() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        tracing::debug!(
            "cannot handle signals; an interrupted run leaves its temp files to the next"
        );
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let removed = aloft_fs::remove_live_temps();
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "aloft: interrupted; removed {removed} temporary file{}",
                    if removed == 1 { "" } else { "s" }
                );
            }
            std::process::exit(128 + signal);
        }
    });
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALOFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
