//! `aloft outdated MANIFEST`: what `aloft lock --upgrade` would change, against the
//! archive's current indexes, and whether the new versions come from a security suite.
//! Nothing is written.

use std::process::ExitCode;

use aloft_lock::{Upgrade, outdated_report, render_outdated};
use aloft_lockfile::Lockfile;
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::OutdatedArgs;
use crate::commands::lock::resolve_lock;
use crate::settings::{ManifestTarget, repository_options};

/// Exit status when updates exist and none is from a security suite.
pub const EXIT_UPDATES: u8 = 2;
/// Exit status when at least one update comes from a security suite.
pub const EXIT_SECURITY_UPDATES: u8 = 3;

/// Runs `aloft outdated`: exit 0 when up to date, [`EXIT_SECURITY_UPDATES`] when a
/// security update exists, else [`EXIT_UPDATES`] when other updates do.
pub fn outdated(args: &OutdatedArgs) -> Result<ExitCode> {
    let target = ManifestTarget::load(&args.manifest, args.lockfile.as_deref())?;
    let repo = repository_options(&args.repo, target.project.as_ref())?;
    let lock_path = &target.lock_path;
    if !lock_path.exists() {
        return Err(miette!(
            help = format!("run `aloft lock {}` first", args.manifest.display()),
            "`{}` has no lockfile at `{}`",
            args.manifest.display(),
            lock_path.display()
        ));
    }
    let old = Lockfile::read(lock_path).into_diagnostic()?;
    let upgrade = Upgrade {
        all: true,
        packages: Vec::new(),
    };
    let new = resolve_lock(&target, &repo, &upgrade, Some(&old))
        .wrap_err("Cannot resolve against the current indexes")?;
    let report = outdated_report(&old, &new, lock_path);
    #[allow(clippy::print_stdout)]
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).into_diagnostic()?
        );
    } else {
        print!("{}", render_outdated(&report));
    }
    Ok(if report.security_updates > 0 {
        ExitCode::from(EXIT_SECURITY_UPDATES)
    } else if report.up_to_date {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UPDATES)
    })
}
