//! A manifest's repositories as verified, parsed indexes per architecture, and as the
//! pool sources its .debs are downloaded from.

use std::path::PathBuf;
use std::time::SystemTime;

use aloft_cache::Cache;
use aloft_deb::{BinaryPackage, Keyring, Release, parse_packages};
use aloft_fetch::{
    DebSources, FetchOptions, FetchedRepository, HttpClient, HttpOptions, LocalRepository, Mirrors,
    PoolSource, RepositorySpec, debian_archive_keyring, fetch_repository, read_local_repository,
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
        RepositorySource::Local { dir, .. } => Ok(dir.display().to_string()),
    }
}

/// The keyring of a `url:` or signed `path:` repository, read from its file.
fn read_keyring(repository: &str, keyring: &std::path::Path) -> Result<Keyring, LockError> {
    let bytes = fs_err::read(keyring).map_err(|source| LockError::KeyringFile {
        repository: repository.to_owned(),
        path: keyring.to_path_buf(),
        source,
    })?;
    Keyring::from_bytes(&keyring.display().to_string(), &bytes).map_err(|source| {
        LockError::Keyring {
            repository: repository.to_owned(),
            source: Box::new(source),
        }
    })
}

/// A manifest repository as read for locking: an apt repository fetched and verified,
/// or a local one read from its directory.
#[derive(Debug, Clone)]
pub enum ReadRepository {
    /// An official archive or a `url:` repository.
    Remote(FetchedRepository),
    /// A `path:` repository.
    Local(LocalRepository),
}

impl ReadRepository {
    /// The verified Release, if the repository has one.
    pub fn release(&self) -> Option<&Release> {
        match self {
            ReadRepository::Remote(fetched) => Some(&fetched.release),
            ReadRepository::Local(local) => local.release.as_ref().map(|r| &r.release),
        }
    }

    /// sha256 of the signed Release file, if any.
    pub fn release_sha256(&self) -> Option<&str> {
        match self {
            ReadRepository::Remote(fetched) => Some(&fetched.inrelease_sha256),
            ReadRepository::Local(local) => local.release.as_ref().map(|r| r.sha256.as_str()),
        }
    }

    /// Fingerprints of the keys whose signatures verified.
    pub fn signers(&self) -> &[String] {
        match self {
            ReadRepository::Remote(fetched) => &fetched.signers,
            ReadRepository::Local(local) => local.release.as_ref().map_or(&[], |r| &r.signers),
        }
    }
}

/// The repository spec of an apt repository of the manifest (`None` for a local one):
/// base URL from the mirrors, keyring from aloft (official archives) or the manifest.
fn spec(
    mirrors: &Mirrors,
    repo: &aloft_manifest::Located<aloft_manifest::Repository>,
) -> Result<Option<RepositorySpec>, LockError> {
    let r = &repo.value;
    let keyring = match &r.source {
        RepositorySource::Archive(_) => {
            debian_archive_keyring().map_err(|source| LockError::Keyring {
                repository: r.name.clone(),
                source: Box::new(source),
            })?
        }
        RepositorySource::Url { keyring, .. } => read_keyring(&r.name, keyring)?,
        RepositorySource::Local { .. } => return Ok(None),
    };
    Ok(Some(RepositorySpec {
        name: r.name.clone(),
        base_url: base_url(mirrors, repo)?,
        suite: r.suite.clone(),
        components: r.components.clone(),
        keyring,
    }))
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
    let mut sources = DebSources {
        local: local_dirs(manifest),
        ..DebSources::default()
    };
    for repo in &manifest.repositories {
        let r = &repo.value;
        let archive = match &r.source {
            RepositorySource::Archive(archive) => Some(archive.name()),
            RepositorySource::Url { .. } => None,
            RepositorySource::Local { .. } => continue,
        };
        let locked_date = lock
            .repositories
            .iter()
            .find(|l| l.name == r.name)
            .and_then(|l| l.date.as_deref());
        let snapshot_url = match (snapshot_mirror, archive, locked_date) {
            (Some(snapshot), Some(archive), Some(date)) => {
                aloft_fetch::snapshot_url(snapshot, archive, date)
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

/// The directories of the manifest's local repositories, by repository name.
pub fn local_dirs(manifest: &Manifest) -> std::collections::BTreeMap<String, PathBuf> {
    manifest
        .repositories
        .iter()
        .filter_map(|repo| match &repo.value.source {
            RepositorySource::Local { dir, .. } => Some((repo.value.name.clone(), dir.clone())),
            _ => None,
        })
        .collect()
}

/// Reads every repository of `manifest` (concurrently): apt repositories fetched and
/// verified for `archs`, local ones read from their directories. Manifest order.
pub fn read_all(
    manifest: &Manifest,
    archs: &[String],
    options: &RepositoryOptions,
) -> Result<Vec<ReadRepository>, LockError> {
    let mirrors = options.mirrors()?;
    let specs = manifest
        .repositories
        .iter()
        .map(|repo| spec(&mirrors, repo))
        .collect::<Result<Vec<_>, _>>()?;
    let client = HttpClient::new(options.http.clone());
    let cache = &options.cache;
    let fetch_options = FetchOptions {
        offline: options.offline,
        allow_expired: options.allow_expired_release,
        allow_other_suite: options.allow_other_suite,
        now: SystemTime::now(),
    };
    let read = |repo: &aloft_manifest::Located<aloft_manifest::Repository>,
                spec: &Option<RepositorySpec>|
     -> Result<ReadRepository, LockError> {
        let r = &repo.value;
        let failed = |source| LockError::Fetch {
            repository: r.name.clone(),
            source: Box::new(source),
        };
        match (&r.source, spec) {
            (RepositorySource::Local { dir, keyring, .. }, _) => {
                let keyring = keyring
                    .as_deref()
                    .map(|k| read_keyring(&r.name, k))
                    .transpose()?;
                read_local_repository(&r.name, dir, keyring.as_ref(), fetch_options.now)
                    .map(ReadRepository::Local)
                    .map_err(failed)
            }
            (_, Some(spec)) => fetch_repository(&client, cache, spec, archs, &fetch_options)
                .map(ReadRepository::Remote)
                .map_err(failed),
            (_, None) => Err(LockError::Crashed(format!(
                "repository `{}` has no spec",
                r.name
            ))),
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = manifest
            .repositories
            .iter()
            .zip(&specs)
            .map(|(repo, spec)| {
                let read = &read;
                scope.spawn(move || read(repo, spec))
            })
            .collect();
        let mut out = Vec::new();
        for (handle, repo) in handles.into_iter().zip(&manifest.repositories) {
            let read = handle.join().map_err(|_| {
                LockError::Crashed(format!("reading repository `{}`", repo.value.name))
            })??;
            out.push(read);
        }
        Ok(out)
    })
}

/// Parses the fetched indexes into each architecture's package lists (concurrently per
/// index; arch `all` indexes are added to every architecture).
pub fn packages_by_arch(
    manifest: &Manifest,
    fetched: &[ReadRepository],
    archs: &[String],
) -> Result<Vec<(String, Vec<RepositoryPackages>)>, LockError> {
    let mut jobs = Vec::new();
    for (repo_index, repo) in fetched.iter().enumerate() {
        if let ReadRepository::Remote(repo) = repo {
            for index in &repo.indexes {
                jobs.push((repo_index, index));
            }
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
            let m = &manifest.repositories[repo_index].value;
            if let ReadRepository::Local(local) = repo {
                // One directory holds every architecture's .debs: keep this one's and `all`.
                let packages = local
                    .packages
                    .iter()
                    .filter(|p| p.architecture() == arch || p.architecture() == "all")
                    .cloned()
                    .collect();
                repos.push(RepositoryPackages {
                    repository: m.name.clone(),
                    suite: m.suite.clone(),
                    codename: local
                        .release
                        .as_ref()
                        .and_then(|r| r.release.codename.clone()),
                    packages,
                    preferred: true,
                });
                continue;
            }
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
            repos.push(RepositoryPackages {
                repository: m.name.clone(),
                suite: m.suite.clone(),
                codename: repo.release().and_then(|r| r.codename.clone()),
                packages,
                preferred: false,
            });
        }
        out.push((arch.clone(), repos));
    }
    Ok(out)
}

/// Checks every locked package of the manifest's local repositories against its file:
/// a .deb rebuilt, replaced or removed since the lock makes the lock stale.
pub fn check_local_debs(manifest: &Manifest, lock: &Lockfile) -> Result<(), LockError> {
    for repo in &manifest.repositories {
        let RepositorySource::Local { dir, .. } = &repo.value.source else {
            continue;
        };
        let mut checked = std::collections::HashSet::new();
        for package in lock.packages.values().flatten() {
            if package.repository != repo.value.name || !checked.insert(&package.sha256) {
                continue;
            }
            aloft_fetch::check_local_deb(
                dir,
                &package.name,
                &package.pool_path,
                &package.sha256,
                package.size,
                aloft_fetch::CHANGED_SINCE_LOCKED,
            )
            .map_err(|source| LockError::Fetch {
                repository: repo.value.name.clone(),
                source: Box::new(source),
            })?;
        }
    }
    Ok(())
}
