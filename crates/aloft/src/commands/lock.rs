//! `aloft lock`: manifest -> verified indexes -> resolution per arch -> lockfile.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use aloft_lockfile::{LOCKFILE_VERSION, LockedManifest, LockedRepository, Lockfile};
use aloft_manifest::{Manifest, RepositorySource, lock_inputs_digest};
use aloft_resolve::{ResolveRequest, resolve_arch};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::LockArgs;
use crate::commands::repositories;
use crate::project::{Project, default_lock_path};

/// Loads a manifest, rendering errors with their source span.
pub fn load_manifest(path: &Path) -> Result<Manifest> {
    aloft_manifest::load(path).map_err(miette::Report::new)
}

/// Architectures: the manifest's, else the project's default, else amd64.
pub fn archs_of(manifest: &Manifest, project: Option<&Project>) -> Vec<String> {
    if let Some(archs) = &manifest.archs {
        return archs.iter().map(|a| a.value.clone()).collect();
    }
    if let Some(archs) = project.and_then(|p| p.settings.archs.clone()) {
        return archs;
    }
    vec!["amd64".to_owned()]
}

fn relative_to(path: &Path, base: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    pathdiff::diff_paths(absolute(path), absolute(base))
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/")
}

/// Runs `aloft lock`; a one-line summary goes to stderr unless `quiet`.
pub fn lock(args: &LockArgs, quiet: bool) -> Result<ExitCode> {
    let manifest = load_manifest(&args.manifest)?;
    lock_manifest(args, &manifest, quiet)?;
    Ok(ExitCode::SUCCESS)
}

/// The lock of an already loaded manifest: checked (`--locked`) or (re)written.
pub fn lock_manifest(args: &LockArgs, manifest: &Manifest, quiet: bool) -> Result<Lockfile> {
    let started = Instant::now();
    let project = Project::find(&args.manifest)?;
    let archs = archs_of(manifest, project.as_ref());
    let lock_path = args
        .lockfile
        .clone()
        .unwrap_or_else(|| default_lock_path(&args.manifest, project.as_ref()));
    let inputs_digest = lock_inputs_digest(manifest, &archs).map_err(miette::Report::new)?;
    let lock_dir = lock_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));

    let existing = if lock_path.exists() {
        match Lockfile::read(&lock_path) {
            Ok(lock) => Some(lock),
            Err(err) if args.locked => return Err(err).into_diagnostic(),
            Err(err) => {
                tracing::warn!("ignoring the existing lock: {err}");
                None
            }
        }
    } else {
        None
    };
    if args.locked {
        return match &existing {
            None => Err(miette!(
                help = format!(
                    "run `aloft lock {}` and commit the lockfile",
                    args.manifest.display()
                ),
                "`{}` has no lockfile at `{}` and `--locked` was given",
                args.manifest.display(),
                lock_path.display()
            )),
            Some(lock) if lock.manifest.inputs_digest != inputs_digest => Err(miette!(
                help = format!("run `aloft lock {}` to update it", args.manifest.display()),
                "The lockfile `{}` is stale: `{}` changed since it was locked (--locked)",
                lock_path.display(),
                args.manifest.display()
            )),
            Some(lock) => {
                tracing::info!("`{}` is up to date", lock_path.display());
                Ok(lock.clone())
            }
        };
    }

    let lock = resolve_lock(
        args,
        manifest,
        project.as_ref(),
        &archs,
        inputs_digest,
        existing.as_ref(),
        &lock_dir,
    )?;
    let changed = existing.as_ref() != Some(&lock);
    if changed {
        lock.write(&lock_path).into_diagnostic()?;
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

/// Resolves `manifest` against the repositories' current indexes into a lock (not
/// written): locked versions of `existing` are kept unless `args` asks to upgrade.
#[allow(clippy::too_many_arguments)]
pub fn resolve_lock(
    args: &LockArgs,
    manifest: &Manifest,
    project: Option<&Project>,
    archs: &[String],
    inputs_digest: String,
    existing: Option<&Lockfile>,
    lock_dir: &Path,
) -> Result<Lockfile> {
    let cache = repositories::cache(&args.repo, project)?;
    let specs = repositories::specs(manifest, &args.repo)?;
    let fetched = repositories::fetch_all(&specs, archs, &cache, &args.repo)?;
    let per_arch = repositories::packages_by_arch(manifest, &fetched, archs)?;

    let upgrade_set: HashSet<String> = args.upgrade_package.iter().cloned().collect();
    let packages = manifest.root_packages();
    let exclude: Vec<String> = manifest.exclude.iter().map(|e| e.value.clone()).collect();
    let resolved = std::thread::scope(|scope| {
        let handles: Vec<_> = per_arch
            .into_iter()
            .map(|(arch, repos)| {
                let preferences: HashMap<String, String> = match (&existing, args.upgrade) {
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
                .wrap_err_with(|| format!("Cannot resolve `{}`", args.manifest.display()))?;
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
                .map(|f| relative_to(&f.path, lock_dir))
                .collect(),
        },
        repositories,
        packages: resolved,
    })
}
