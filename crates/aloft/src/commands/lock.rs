//! `aloft lock`: manifest -> verified indexes -> resolution per arch -> lockfile.

use std::process::ExitCode;
use std::time::Instant;

use aloft_lock::{LockTarget, RepositoryOptions, Upgrade};
use aloft_lockfile::Lockfile;
use aloft_manifest::lock_inputs_digest;
use miette::{IntoDiagnostic, Result, miette};

use crate::cli::LockArgs;
use crate::settings::{ManifestTarget, repository_options};

/// Runs `aloft lock`; a one-line summary goes to stderr unless `quiet`.
pub fn lock(args: &LockArgs, quiet: bool) -> Result<ExitCode> {
    let target = ManifestTarget::load(&args.manifest, args.lockfile.as_deref())?;
    let repo = repository_options(&args.repo, target.project.as_ref())?;
    let upgrade = Upgrade {
        all: args.upgrade,
        packages: args.upgrade_package.clone(),
    };
    if args.locked {
        check_lock(&target)?;
    } else {
        write_lock(&target, &repo, &upgrade, quiet)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The lock of `target` if it exists and is fresh (`--locked`), else an error saying
/// how to make it.
pub fn check_lock(target: &ManifestTarget) -> Result<Lockfile> {
    let inputs_digest =
        lock_inputs_digest(&target.manifest, &target.archs).map_err(miette::Report::new)?;
    let lock_path = &target.lock_path;
    if !lock_path.exists() {
        return Err(miette!(
            help = format!(
                "run `aloft lock {}` and commit the lockfile",
                target.path.display()
            ),
            "`{}` has no lockfile at `{}` and `--locked` was given",
            target.path.display(),
            lock_path.display()
        ));
    }
    let lock = Lockfile::read(lock_path).into_diagnostic()?;
    if lock.manifest.inputs_digest != inputs_digest {
        return Err(miette!(
            help = format!("run `aloft lock {}` to update it", target.path.display()),
            "The lockfile `{}` is stale: `{}` changed since it was locked (--locked)",
            lock_path.display(),
            target.path.display()
        ));
    }
    aloft_lock::repositories::check_local_debs(&target.manifest, &lock).map_err(|err| {
        // The repository, then what is wrong with which file.
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            reason.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        miette!(
            help = format!("run `aloft lock {}` to update it", target.path.display()),
            "The lockfile `{}` is stale: {reason}",
            lock_path.display()
        )
    })?;
    tracing::info!("`{}` is up to date", lock_path.display());
    Ok(lock)
}

/// Resolves `target` (keeping the existing lock's versions unless `upgrade` says
/// otherwise) and writes the lock if it changed.
pub fn write_lock(
    target: &ManifestTarget,
    repo: &RepositoryOptions,
    upgrade: &Upgrade,
    quiet: bool,
) -> Result<Lockfile> {
    let started = Instant::now();
    let lock_path = &target.lock_path;
    let existing = if lock_path.exists() {
        match Lockfile::read(lock_path) {
            Ok(lock) => Some(lock),
            Err(err) => {
                tracing::warn!("ignoring the existing lock: {err}");
                None
            }
        }
    } else {
        None
    };
    let lock = resolve_lock(target, repo, upgrade, existing.as_ref())?;
    let changed = existing.as_ref() != Some(&lock);
    if changed {
        lock.write(lock_path).into_diagnostic()?;
    }
    let counts: Vec<String> = lock
        .packages
        .iter()
        .map(|(arch, list)| format!("{} for {arch}", list.len()))
        .collect();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "resolved"
    );
    #[allow(clippy::print_stderr)]
    if !quiet {
        eprintln!(
            "{} {} ({}) in {:.2}s",
            if changed { "Locked" } else { "Up to date:" },
            lock_path.display(),
            counts.join(", "),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(lock)
}

/// Resolves `target` against the repositories' current indexes into a lock (not
/// written): locked versions of `existing` are kept unless `upgrade` moves them.
pub fn resolve_lock(
    target: &ManifestTarget,
    repo: &RepositoryOptions,
    upgrade: &Upgrade,
    existing: Option<&Lockfile>,
) -> Result<Lockfile> {
    let inputs_digest =
        lock_inputs_digest(&target.manifest, &target.archs).map_err(miette::Report::new)?;
    let lock_dir = target.lock_dir();
    let lock_target = LockTarget {
        path: &target.path,
        manifest: &target.manifest,
        archs: &target.archs,
        lock_dir: &lock_dir,
        inputs_digest: &inputs_digest,
    };
    aloft_lock::resolve_lock(&lock_target, repo, upgrade, existing).into_diagnostic()
}
