//! A manifest's repositories as verified, parsed indexes per architecture, and as the
//! pool sources its .debs are downloaded from.

use std::path::PathBuf;
use std::time::SystemTime;

use aloft_cache::Cache;
use aloft_deb::{BinaryPackage, Keyring, parse_packages};
use aloft_fetch::{
    DebSources, FetchOptions, FetchedRepository, HttpClient, HttpOptions, Mirrors, PoolSource,
    RepositorySpec, debian_archive_keyring, fetch_repository,
};
use aloft_lockfile::Lockfile;
use aloft_manifest::{Manifest, RepositorySource};
use aloft_resolve::RepositoryPackages;

use crate::LockError;

/// How repositories are reached, and where their indexes are cached.
#[derive(Debug, Clone)]
pub struct RepositoryOptions {
    /// `--mirror` / `ALOFT_MIRROR` values (`URL` or `ARCHIVE=URL`).
    pub mirrors: Vec<String>,
    /// The host's apt configuration directory, read for mirrors when none is given.
    pub apt_etc: Option<PathBuf>,
    /// The cache the indexes are kept in.
    pub cache: Cache,
    /// Never touch the network.
    pub offline: bool,
    /// Accept a Release past its Valid-Until.
    pub allow_expired_release: bool,
    /// Accept a Release of another suite than the one asked for.
    pub allow_other_suite: bool,
    /// Accept a Release older than the one the existing lock was made from.
    pub allow_older_release: bool,
    /// Retries and backoff.
    pub http: HttpOptions,
}

impl RepositoryOptions {
    fn mirrors(&self) -> Result<Mirrors, LockError> {
        Mirrors::discover(&self.mirrors, None, self.apt_etc.as_deref())
            .map_err(|e| LockError::Mirrors(Box::new(e)))
    }
}

/// The base URL of a manifest repository: the mirror of its official archive, or its own.
fn base_url(
    mirrors: &Mirrors,
    repo: &aloft_manifest::Located<aloft_manifest::Repository>,
) -> Result<String, LockError> {
    let r = &repo.value;
    match &r.source {
        RepositorySource::Archive(archive) => mirrors
            .base(archive.name())
            .map(|base| base.url.clone())
            .map_err(|source| LockError::Mirror {
                repository: r.name.clone(),
                origin: repo.origin.to_string(),
                source: Box::new(source),
            }),
        RepositorySource::Url { url, .. } => Ok(url.clone()),
    }
}

/// Repository specs for a manifest: base URLs from the mirrors, keyrings from aloft (the
/// official archives) or the manifest.
pub fn specs(
    manifest: &Manifest,
    options: &RepositoryOptions,
) -> Result<Vec<RepositorySpec>, LockError> {
    let mirrors = options.mirrors()?;
    let mut specs = Vec::new();
    for repo in &manifest.repositories {
        let r = &repo.value;
        let bad_keyring = |source| LockError::Keyring {
            repository: r.name.clone(),
            source: Box::new(source),
        };
        let keyring = match &r.source {
            RepositorySource::Archive(_) => debian_archive_keyring().map_err(bad_keyring)?,
            RepositorySource::Url { keyring, .. } => {
                let bytes = fs_err::read(keyring).map_err(|source| LockError::KeyringFile {
                    repository: r.name.clone(),
                    path: keyring.clone(),
                    source,
                })?;
                Keyring::from_bytes(&keyring.display().to_string(), &bytes).map_err(bad_keyring)?
            }
        };
        specs.push(RepositorySpec {
            name: r.name.clone(),
            base_url: base_url(&mirrors, repo)?,
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
    lock: &Lockfile,
    options: &RepositoryOptions,
    snapshot_mirror: Option<&str>,
) -> Result<DebSources, LockError> {
    let mirrors = options.mirrors()?;
    let mut sources = DebSources::default();
    for repo in &manifest.repositories {
        let r = &repo.value;
        let archive = match &r.source {
            RepositorySource::Archive(archive) => Some(archive.name()),
            RepositorySource::Url { .. } => None,
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
            PoolSource {
                base_url: base_url(&mirrors, repo)?,
                snapshot_url,
            },
        );
    }
    Ok(sources)
}

/// Fetches and verifies every repository (concurrently) for `archs`.
pub fn fetch_all(
    specs: &[RepositorySpec],
    archs: &[String],
    options: &RepositoryOptions,
) -> Result<Vec<FetchedRepository>, LockError> {
    let client = HttpClient::new(options.http.clone());
    let cache = &options.cache;
    let fetch_options = FetchOptions {
        offline: options.offline,
        allow_expired: options.allow_expired_release,
        allow_other_suite: options.allow_other_suite,
        now: SystemTime::now(),
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                let (client, fetch_options) = (&client, &fetch_options);
                scope.spawn(move || fetch_repository(client, cache, spec, archs, fetch_options))
            })
            .collect();
        let mut out = Vec::new();
        for (handle, spec) in handles.into_iter().zip(specs) {
            let fetched = handle
                .join()
                .map_err(|_| LockError::Crashed(format!("fetching repository `{}`", spec.name)))?
                .map_err(|source| LockError::Fetch {
                    repository: spec.name.clone(),
                    source: Box::new(source),
                })?;
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
) -> Result<Vec<(String, Vec<RepositoryPackages>)>, LockError> {
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
                    .map_err(|_| LockError::Crashed("parsing an index".to_owned()))?
                    .map_err(|e| LockError::Index(Box::new(e)))
            })
            .collect::<Result<Vec<_>, LockError>>()
    })?;
    // Each arch-specific index belongs to one architecture: move it there. `all` indexes
    // (rare: trixie lists arch-all packages in every arch's index) are copied to each.
    let mut parsed: Vec<Option<Vec<BinaryPackage>>> = parsed.into_iter().map(Some).collect();
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
