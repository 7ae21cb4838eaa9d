//! Turning a manifest's repositories into verified, parsed indexes per architecture.

use std::path::PathBuf;
use std::time::SystemTime;

use aloft_deb::{Keyring, parse_packages};
use aloft_fetch::{
    FetchOptions, FetchedRepository, HttpClient, Mirrors, RepositorySpec, debian_archive_keyring,
    fetch_repository,
};
use aloft_manifest::{Manifest, RepositorySource};
use aloft_resolve::RepositoryPackages;
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::settings::RepoSettings;

/// Repository specs for a manifest: base URLs from the mirrors, keyrings from aloft or the manifest.
pub fn specs(manifest: &Manifest, settings: &RepoSettings) -> Result<Vec<RepositorySpec>> {
    let apt_etc = PathBuf::from("/etc/apt");
    let mirrors = Mirrors::discover(&settings.mirrors, None, Some(&apt_etc)).into_diagnostic()?;
    let mut specs = Vec::new();
    for repo in &manifest.repositories {
        let r = &repo.value;
        let (base_url, keyring) = match &r.source {
            RepositorySource::Archive(archive) => {
                let base = mirrors
                    .base(archive.name())
                    .into_diagnostic()
                    .wrap_err_with(|| format!("Repository `{}` ({})", r.name, repo.origin))?;
                (
                    base.url.clone(),
                    debian_archive_keyring().into_diagnostic()?,
                )
            }
            RepositorySource::Url { url, keyring } => {
                let bytes = fs_err::read(keyring).into_diagnostic()?;
                let keyring = Keyring::from_bytes(&keyring.display().to_string(), &bytes)
                    .into_diagnostic()?;
                (url.clone(), keyring)
            }
        };
        specs.push(RepositorySpec {
            name: r.name.clone(),
            base_url,
            suite: r.suite.clone(),
            components: r.components.clone(),
            keyring,
        });
    }
    Ok(specs)
}

/// Where each locked repository's pool is: the manifest's repositories, official
/// archives through the mirror settings, and their snapshot at the locked Release date.
pub fn pool_sources(
    manifest: &Manifest,
    lock: &aloft_lockfile::Lockfile,
    settings: &RepoSettings,
    snapshot_mirror: Option<&str>,
) -> Result<aloft_fetch::DebSources> {
    let apt_etc = PathBuf::from("/etc/apt");
    let mirrors = Mirrors::discover(&settings.mirrors, None, Some(&apt_etc)).into_diagnostic()?;
    let mut sources = aloft_fetch::DebSources::default();
    for repo in &manifest.repositories {
        let r = &repo.value;
        let (base_url, archive) = match &r.source {
            RepositorySource::Archive(archive) => {
                let base = mirrors
                    .base(archive.name())
                    .into_diagnostic()
                    .wrap_err_with(|| format!("Repository `{}` ({})", r.name, repo.origin))?;
                (base.url.clone(), Some(archive.name()))
            }
            RepositorySource::Url { url, .. } => (url.clone(), None),
        };
        let locked = lock.repositories.iter().find(|l| l.name == r.name);
        let snapshot_url = match (snapshot_mirror, archive, locked) {
            (Some(snapshot), Some(archive), Some(locked)) => {
                aloft_fetch::snapshot_url(snapshot, archive, &locked.date)
            }
            _ => None,
        };
        sources.bases.insert(
            r.name.clone(),
            aloft_fetch::PoolSource {
                base_url,
                snapshot_url,
            },
        );
    }
    Ok(sources)
}

/// Fetches every repository (concurrently) for `archs`.
pub fn fetch_all(
    specs: &[RepositorySpec],
    archs: &[String],
    repo: &RepoSettings,
) -> Result<Vec<FetchedRepository>> {
    let client = HttpClient::new(repo.http.clone());
    let cache = &repo.cache;
    let options = FetchOptions {
        offline: repo.offline,
        allow_expired: repo.allow_expired_release,
        now: SystemTime::now(),
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                let (client, options) = (&client, &options);
                scope.spawn(move || fetch_repository(client, cache, spec, archs, options))
            })
            .collect();
        let mut out = Vec::new();
        for (handle, spec) in handles.into_iter().zip(specs) {
            let fetched = handle
                .join()
                .map_err(|_| miette!("fetching repository `{}` crashed", spec.name))?
                .into_diagnostic()
                .wrap_err_with(|| format!("Cannot read repository `{}`", spec.name))?;
            out.push(fetched);
        }
        Ok(out)
    })
}

/// Parses the fetched indexes into each architecture's package lists (concurrently per
/// index; arch `all` indexes are added to every architecture).
pub fn packages_by_arch(
    manifest: &Manifest,
    fetched: &[FetchedRepository],
    archs: &[String],
) -> Result<Vec<(String, Vec<RepositoryPackages>)>> {
    let mut jobs = Vec::new();
    for (repo_index, repo) in fetched.iter().enumerate() {
        for index in &repo.indexes {
            jobs.push((repo_index, index));
        }
    }
    let parsed = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(repo_index, index)| {
                let name = format!(
                    "{}/{}/binary-{}/Packages",
                    manifest.repositories[*repo_index].value.name, index.component, index.arch
                );
                scope.spawn(move || parse_packages(&name, &index.text))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| miette!("parsing an index crashed"))?
                    .into_diagnostic()
            })
            .collect::<Result<Vec<_>>>()
    })?;
    // Each arch-specific index belongs to one architecture: move it there. `all` indexes
    // (rare: trixie lists arch-all packages in every arch's index) are copied to each.
    let mut parsed: Vec<Option<Vec<aloft_deb::BinaryPackage>>> =
        parsed.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for arch in archs {
        let mut repos = Vec::new();
        for (repo_index, repo) in fetched.iter().enumerate() {
            let mut packages = Vec::new();
            for ((job_repo, index), list) in jobs.iter().zip(parsed.iter_mut()) {
                if *job_repo != repo_index {
                    continue;
                }
                if index.arch == *arch {
                    packages.extend(list.take().unwrap_or_default());
                } else if index.arch == "all" {
                    packages.extend(list.iter().flatten().cloned());
                }
            }
            let m = &manifest.repositories[repo_index].value;
            repos.push(RepositoryPackages {
                repository: m.name.clone(),
                suite: m.suite.clone(),
                codename: repo.release.codename.clone(),
                packages,
            });
        }
        out.push((arch.clone(), repos));
    }
    Ok(out)
}
