//! A manifest resolved per architecture against its repositories' current indexes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use aloft_lockfile::{LOCKFILE_VERSION, LockedManifest, LockedRepository, Lockfile};
use aloft_manifest::{Manifest, RepositorySource};
use aloft_resolve::{ResolveRequest, resolve_arch};

use aloft_deb::Release;
use aloft_fetch::{LocalLayout, check_local_deb};

use crate::repositories::ReadRepository;
use crate::{LockError, RepositoryOptions, repositories};

/// What to lock: a loaded manifest and where its lock goes.
#[derive(Debug, Clone, Copy)]
pub struct LockTarget<'a> {
    /// The manifest path as given (named in errors).
    pub path: &'a Path,
    /// The loaded, validated manifest.
    pub manifest: &'a Manifest,
    /// The architectures to resolve.
    pub archs: &'a [String],
    /// The directory the lock is in: the manifest's files are recorded relative to it.
    pub lock_dir: &'a Path,
    /// The manifest's lock inputs digest (`aloft_manifest::lock_inputs_digest`).
    pub inputs_digest: &'a str,
}

/// Which locked versions a resolution may move.
#[derive(Debug, Clone, Default)]
pub struct Upgrade {
    /// Every package (`--upgrade`).
    pub all: bool,
    /// These packages and what they newly need (`--upgrade-package`).
    pub packages: Vec<String>,
}

/// `path` relative to `base`, with `/` separators (lockfiles are shared across hosts).
fn relative_to(path: &Path, base: &Path) -> String {
    // Absolute, with `..` folded lexically (`manifests/../debs` is `debs`).
    let absolute = |p: &Path| {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut out = std::path::PathBuf::new();
        for part in p.components() {
            match part {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    pathdiff::diff_paths(absolute(path), absolute(base))
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/")
}

/// Resolves `target` against the repositories' current indexes into a lock (not
/// written): locked versions of `existing` are kept unless `upgrade` moves them.
///
/// # Errors
/// When a repository cannot be reached or verified, an index does not parse, or an
/// architecture has no installable set.
pub fn resolve_lock(
    target: &LockTarget<'_>,
    options: &RepositoryOptions,
    upgrade: &Upgrade,
    existing: Option<&Lockfile>,
) -> Result<Lockfile, LockError> {
    let (manifest, archs) = (target.manifest, target.archs);
    let fetched = repositories::read_all(manifest, archs, options)?;
    if let Some(lock) = existing {
        refuse_rollback(target, lock, &fetched, options)?;
    }
    let per_arch = repositories::packages_by_arch(manifest, &fetched, archs)?;

    let upgrade_set: HashSet<String> = upgrade.packages.iter().cloned().collect();
    let packages = manifest.root_packages();
    let exclude: Vec<String> = manifest.exclude.iter().map(|e| e.value.clone()).collect();
    let slices = manifest.root_slices();
    let slices_if_installed = manifest.slices_if_installed();
    let resolved = std::thread::scope(|scope| {
        let handles: Vec<_> = per_arch
            .into_iter()
            .map(|(arch, repos)| {
                let preferences = match (existing, upgrade.all) {
                    (Some(lock), false) => locked_versions(lock, &arch),
                    _ => HashMap::new(),
                };
                let request = ResolveRequest {
                    packages: packages.clone(),
                    exclude: exclude.clone(),
                    preferences,
                    upgrade: upgrade_set.clone(),
                    slices: slices.clone(),
                    slices_if_installed: slices_if_installed.clone(),
                };
                scope.spawn(move || (arch.clone(), resolve_arch(&arch, repos, &request)))
            })
            .collect();
        let mut out = BTreeMap::new();
        for handle in handles {
            let (arch, result) = handle
                .join()
                .map_err(|_| LockError::Crashed("resolution".to_owned()))?;
            let list = result.map_err(|source| LockError::Resolve {
                manifest: target.path.to_path_buf(),
                source: Box::new(source),
            })?;
            out.insert(arch, list);
        }
        Ok::<_, LockError>(out)
    })?;

    check_flat_debs(manifest, &fetched, &resolved)?;
    for skew in aloft_resolve::version_skew(&resolved) {
        tracing::warn!("{skew}; lock again once the archive has built it for every architecture");
    }

    let repositories = manifest
        .repositories
        .iter()
        .zip(&fetched)
        .map(|(repo, fetched)| {
            let r = &repo.value;
            let mut signed_by = fetched.signers().to_vec();
            signed_by.sort();
            signed_by.dedup();
            let release = fetched.release();
            LockedRepository {
                name: r.name.clone(),
                archive: match &r.source {
                    RepositorySource::Archive(archive) => Some(archive.name().to_owned()),
                    RepositorySource::Url { .. } | RepositorySource::Local { .. } => None,
                },
                path: match &r.source {
                    RepositorySource::Local { dir, .. } => Some(relative_to(dir, target.lock_dir)),
                    _ => None,
                },
                suite: r.suite.clone(),
                codename: release.and_then(|r| r.codename.clone()),
                release_version: release.and_then(|r| r.version.clone()),
                components: r.components.clone(),
                date: release.map(Release::date_rfc3339),
                valid_until: release.and_then(|r| r.valid_until).map(aloft_fs::rfc3339),
                inrelease_sha256: fetched.release_sha256().map(str::to_owned),
                signed_by,
            }
        })
        .collect();
    Ok(Lockfile {
        lockfile_version: LOCKFILE_VERSION,
        manifest: LockedManifest {
            inputs_digest: target.inputs_digest.to_owned(),
            files: manifest
                .files_read
                .iter()
                .map(|f| relative_to(&f.path, target.lock_dir))
                .collect(),
        },
        repositories,
        packages: resolved,
    })
}

/// apt's rollback protection: a repository's Release may not be older than the one the
/// existing lock was made from (a mirror replaying an old, genuinely signed Release would
/// otherwise take packages back to versions with known holes).
fn refuse_rollback(
    target: &LockTarget<'_>,
    lock: &Lockfile,
    fetched: &[ReadRepository],
    options: &RepositoryOptions,
) -> Result<(), LockError> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    for (repo, fetched) in target.manifest.repositories.iter().zip(fetched) {
        let Some(locked) = lock
            .repository(&repo.value.name)
            .filter(|locked| locked.suite == repo.value.suite)
        else {
            continue;
        };
        let (Some(release), Some(locked_date)) = (fetched.release(), locked.date.as_deref()) else {
            continue;
        };
        let Ok(locked_date_parsed) = time::OffsetDateTime::parse(locked_date, rfc3339) else {
            continue;
        };
        if release.date >= locked_date_parsed {
            continue;
        }
        let older = LockError::OlderRelease {
            repository: repo.value.name.clone(),
            date: release.date_rfc3339(),
            locked: locked_date.to_owned(),
        };
        if !options.allow_older_release {
            return Err(older);
        }
        tracing::warn!("{older}; used as --allow-older-release says");
    }
    Ok(())
}

/// A flat local repository's index is the user's word, not a hash the .debs were just
/// read with: each chosen .deb must match its entry before the lock records it.
fn check_flat_debs(
    manifest: &Manifest,
    fetched: &[ReadRepository],
    resolved: &BTreeMap<String, Vec<aloft_lockfile::LockedPackage>>,
) -> Result<(), LockError> {
    for (repo, read) in manifest.repositories.iter().zip(fetched) {
        let ReadRepository::Local(local) = read else {
            continue;
        };
        if local.layout != LocalLayout::Flat {
            continue;
        }
        let index = format!(
            "does not match its entry in `{}`, which says",
            local.dir.join("Packages").display()
        );
        let mut checked = HashSet::new();
        for package in resolved.values().flatten() {
            if package.repository != repo.value.name || !checked.insert(&package.sha256) {
                continue;
            }
            check_local_deb(
                &local.dir,
                &package.name,
                &package.pool_path,
                &package.sha256,
                package.size,
                &index,
            )
            .map_err(|source| LockError::Fetch {
                repository: repo.value.name.clone(),
                source: Box::new(source),
            })?;
        }
    }
    Ok(())
}

/// The versions `lock` holds for `arch`, which the resolver prefers.
fn locked_versions(lock: &Lockfile, arch: &str) -> HashMap<String, String> {
    lock.packages
        .get(arch)
        .map(|list| {
            list.iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect()
        })
        .unwrap_or_default()
}
