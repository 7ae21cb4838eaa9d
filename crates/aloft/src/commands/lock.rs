//! `aloft lock`: manifest -> verified indexes -> resolution per arch -> lockfile.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use aloft_lockfile::{LOCKFILE_VERSION, LockedManifest, LockedRepository, Lockfile};
use aloft_manifest::{RepositorySource, lock_inputs_digest};
use aloft_resolve::{ResolveRequest, resolve_arch};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::LockArgs;
use crate::commands::repositories;
use crate::settings::{ManifestTarget, RepoSettings, Upgrade};

fn relative_to(path: &Path, base: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    pathdiff::diff_paths(absolute(path), absolute(base))
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/")
}

/// Runs `aloft lock`; a one-line summary goes to stderr unless `quiet`.
pub fn lock(args: &LockArgs, quiet: bool) -> Result<ExitCode> {
    let target = ManifestTarget::load(&args.manifest, args.lockfile.as_deref())?;
    let repo = RepoSettings::resolve(&args.repo, target.project.as_ref())?;
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
    tracing::info!("`{}` is up to date", lock_path.display());
    Ok(lock)
}

/// Resolves `target` (keeping the existing lock's versions unless `upgrade` says
/// otherwise) and writes the lock if it changed.
pub fn write_lock(
    target: &ManifestTarget,
    repo: &RepoSettings,
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
    repo: &RepoSettings,
    upgrade: &Upgrade,
    existing: Option<&Lockfile>,
) -> Result<Lockfile> {
    let (manifest, archs) = (&target.manifest, target.archs.as_slice());
    let inputs_digest = lock_inputs_digest(manifest, archs).map_err(miette::Report::new)?;
    let lock_dir = target.lock_dir();
    let specs = repositories::specs(manifest, repo)?;
    let fetched = repositories::fetch_all(&specs, archs, repo)?;
    let per_arch = repositories::packages_by_arch(manifest, &fetched, archs)?;

    let upgrade_set: HashSet<String> = upgrade.packages.iter().cloned().collect();
    let packages = manifest.root_packages();
    let exclude: Vec<String> = manifest.exclude.iter().map(|e| e.value.clone()).collect();
    let resolved = std::thread::scope(|scope| {
        let handles: Vec<_> = per_arch
            .into_iter()
            .map(|(arch, repos)| {
                let preferences: HashMap<String, String> = match (&existing, upgrade.all) {
                    (Some(lock), false) => lock
                        .packages
                        .get(&arch)
                        .map(|list| {
                            list.iter()
                                .map(|p| (p.name.clone(), p.version.clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    _ => HashMap::new(),
                };
                let request = ResolveRequest {
                    packages: packages.clone(),
                    exclude: exclude.clone(),
                    preferences,
                    upgrade: upgrade_set.clone(),
                };
                scope.spawn(move || (arch.clone(), resolve_arch(&arch, repos, &request)))
            })
            .collect();
        let mut out = BTreeMap::new();
        for handle in handles {
            let (arch, result) = handle.join().map_err(|_| miette!("resolution crashed"))?;
            let list = result
                .into_diagnostic()
                .wrap_err_with(|| format!("Cannot resolve `{}`", target.path.display()))?;
            out.insert(arch, list);
        }
        Ok::<_, miette::Report>(out)
    })?;

    for skew in aloft_resolve::version_skew(&resolved) {
        tracing::warn!("{skew}; lock again once the archive has built it for every architecture");
    }

    let repositories = manifest
        .repositories
        .iter()
        .zip(&fetched)
        .map(|(repo, fetched)| {
            let r = &repo.value;
            let mut signed_by = fetched.signers.clone();
            signed_by.sort();
            signed_by.dedup();
            LockedRepository {
                name: r.name.clone(),
                archive: match &r.source {
                    RepositorySource::Archive(archive) => Some(archive.name().to_owned()),
                    RepositorySource::Url { .. } => None,
                },
                suite: r.suite.clone(),
                codename: fetched.release.codename.clone(),
                release_version: fetched.release.version.clone(),
                components: r.components.clone(),
                date: fetched.release.date_rfc3339(),
                valid_until: fetched.release.valid_until.map(aloft_fs::rfc3339),
                inrelease_sha256: fetched.inrelease_sha256.clone(),
                signed_by,
            }
        })
        .collect();
    Ok(Lockfile {
        lockfile_version: LOCKFILE_VERSION,
        manifest: LockedManifest {
            inputs_digest,
            files: manifest
                .files_read
                .iter()
                .map(|f| relative_to(&f.path, &lock_dir))
                .collect(),
        },
        repositories,
        packages: resolved,
    })
}
