//! The lock's .debs into the cache, shared by the commands that read them (`assemble`,
//! `why`).

use aloft_fetch::{DebCache, DebFetchOptions, DebRequest, HttpClient, fetch_debs};
use aloft_lock::{LockedDebs, RepositoryOptions};
use aloft_lockfile::Lockfile;
use indicatif::{ProgressBar, ProgressStyle};
use miette::{IntoDiagnostic, Result, WrapErr};

use crate::settings::ManifestTarget;

/// Which .debs to fetch, and how.
pub struct FetchPlan<'a> {
    /// The manifest the lock belongs to (its repositories give the pool sources).
    pub target: &'a ManifestTarget,
    /// Mirrors, cache, offline.
    pub repo: &'a RepositoryOptions,
    /// The architectures whose packages are fetched.
    pub archs: &'a [String],
    /// Downloads at once.
    pub jobs: usize,
    /// `--snapshot-mirror`, for pool paths the mirror no longer has.
    pub snapshot_mirror: Option<&'a str>,
}

/// Every .deb of the plan's architectures, once, verified into the cache; returns the
/// .deb bucket and how many were downloaded.
pub fn fetch_packages(
    plan: &FetchPlan<'_>,
    lock: &Lockfile,
    quiet: bool,
) -> Result<(DebCache, usize)> {
    let mut requests: Vec<DebRequest> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for arch in plan.archs {
        for p in lock.packages.get(arch).into_iter().flatten() {
            if seen.insert(p.sha256.clone()) {
                requests.push(DebRequest {
                    package: p.name.clone(),
                    version: p.version.clone(),
                    repository: p.repository.clone(),
                    pool_path: p.pool_path.clone(),
                    sha256: p.sha256.clone(),
                    size: p.size,
                });
            }
        }
    }
    let repo = plan.repo;
    let sources = if repo.offline {
        // Local repositories need no network.
        aloft_fetch::DebSources {
            local: aloft_lock::repositories::local_dirs(&plan.target.manifest),
            ..Default::default()
        }
    } else {
        aloft_lock::repositories::pool_sources(
            &plan.target.manifest,
            lock,
            repo,
            plan.snapshot_mirror,
        )
        .into_diagnostic()?
    };
    let deb_cache = DebCache::new(&repo.cache);
    let total: u64 = requests.iter().map(|r| r.size).sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {eta}")
            .into_diagnostic()?
            .progress_chars("=> "),
    );
    bar.set_message("packages");
    let downloaded = std::sync::atomic::AtomicUsize::new(0);
    let client = HttpClient::new(repo.http.clone());
    fetch_debs(
        &client,
        &deb_cache,
        &requests,
        &sources,
        &DebFetchOptions {
            offline: repo.offline,
            jobs: plan.jobs,
        },
        &|request, fetched| {
            if fetched {
                downloaded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(package = request.package, "downloaded");
            }
            bar.inc(request.size);
        },
    )
    .into_diagnostic()
    .wrap_err_with(|| {
        format!(
            "Cannot fetch the packages of `{}`",
            plan.target.path.display()
        )
    })?;
    bar.finish_and_clear();
    Ok((deb_cache, downloaded.into_inner()))
}

/// The lock of `target` with its cached .debs, for `aloft_lock`'s checks and readers.
pub fn locked_debs<'a>(
    target: &'a ManifestTarget,
    lock: &'a Lockfile,
    deb_path: &'a (dyn Fn(&str) -> std::path::PathBuf + Sync),
) -> LockedDebs<'a> {
    LockedDebs {
        manifest_path: &target.path,
        manifest: &target.manifest,
        lock_path: &target.lock_path,
        lock,
        deb_path,
    }
}
