//! Fetching one repository's indexes the way secure apt does: InRelease verified against
//! the keyring, Valid-Until enforced, each Packages index fetched (by hash when the
//! archive offers it), checked against the Release's sha256 and size, and cached.

use std::time::SystemTime;

use aloft_deb::{
    INDEX_EXTENSIONS, Keyring, Release, ReleaseFile, decompress_by_name, verify_detached,
    verify_inrelease,
};
use time::OffsetDateTime;

use crate::FetchError;
use aloft_cache::Cache;

use crate::cache::{IndexCache, sha256_hex};
use crate::http::HttpClient;

/// A repository to fetch.
#[derive(Debug, Clone)]
pub struct RepositorySpec {
    /// Name (for messages and the lockfile).
    pub name: String,
    /// Base URL (holds `dists/` and `pool/`), no trailing slash.
    pub base_url: String,
    /// Suite or codename.
    pub suite: String,
    /// Components to read.
    pub components: Vec<String>,
    /// Keys the InRelease must be signed with.
    pub keyring: Keyring,
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Never touch the network; use the cache only.
    pub offline: bool,
    /// Accept a Release past its `Valid-Until` (or dated in the future).
    pub allow_expired: bool,
    /// Accept a Release whose `Suite` and `Codename` both differ from the suite asked for.
    pub allow_other_suite: bool,
    /// The time expiry is checked against.
    pub now: SystemTime,
}

/// One Packages index of a repository.
#[derive(Debug, Clone)]
pub struct FetchedIndex {
    /// Component.
    pub component: String,
    /// `amd64`, ..., or `all`.
    pub arch: String,
    /// The uncompressed text.
    pub text: String,
}

/// A verified repository: its Release and the indexes asked for.
#[derive(Debug, Clone)]
pub struct FetchedRepository {
    /// The parsed Release (signed text of the InRelease).
    pub release: Release,
    /// sha256 of the InRelease file as served.
    pub inrelease_sha256: String,
    /// Fingerprints of the keys whose signatures verified.
    pub signers: Vec<String>,
    /// The Packages indexes, per component and architecture.
    pub indexes: Vec<FetchedIndex>,
}

fn dists_url(spec: &RepositorySpec, path: &str) -> String {
    format!("{}/dists/{}/{}", spec.base_url, spec.suite, path)
}

/// Fetches (or reads from the cache) and verifies `spec`'s Release and Packages indexes
/// for `archs`.
pub fn fetch_repository(
    client: &HttpClient,
    cache: &Cache,
    spec: &RepositorySpec,
    archs: &[String],
    options: &FetchOptions,
) -> Result<FetchedRepository, FetchError> {
    let cache = &IndexCache::new(cache);
    let format_err = |file: String| {
        move |source: aloft_deb::Error| FetchError::Format {
            repository: spec.name.clone(),
            file,
            problem: Box::new(source),
        }
    };
    let (raw, file, signed) = if options.offline {
        let raw = cache
            .read_release(&spec.base_url, &spec.suite)
            .ok_or_else(|| FetchError::NotCached {
                repository: spec.name.clone(),
            })?;
        let file = dists_url(spec, "InRelease");
        let signed = verify_inrelease(&file, &raw, &spec.keyring, options.now)
            .map_err(format_err(file.clone()))?;
        (raw, file, signed)
    } else {
        let url = dists_url(spec, "InRelease");
        match client.get(&url) {
            Ok(raw) => {
                let signed = verify_inrelease(&url, &raw, &spec.keyring, options.now)
                    .map_err(format_err(url.clone()))?;
                (raw, url, signed)
            }
            // Some repositories publish only Release + Release.gpg (a detached signature).
            Err(FetchError::NotFound { .. }) => {
                let release_url = dists_url(spec, "Release");
                let data = client.get(&release_url)?;
                let signature = client.get(&dists_url(spec, "Release.gpg"))?;
                let signed =
                    verify_detached(&release_url, &data, &signature, &spec.keyring, options.now)
                        .map_err(format_err(release_url.clone()))?;
                (data, release_url, signed)
            }
            Err(err) => return Err(err),
        }
    };
    for note in &signed.ignored {
        tracing::debug!(repository = %spec.name, "signature not used: {note}");
    }
    let release = Release::parse(&file, &signed.text).map_err(format_err(file.clone()))?;
    check_dates(spec, &release, options)?;
    check_suite(spec, &release, &file, options)?;
    let mut indexes = Vec::new();
    for component in &spec.components {
        if !release.components.is_empty()
            && !release
                .components
                .iter()
                .any(|c| c == component || c.ends_with(&format!("/{component}")))
        {
            return Err(FetchError::MissingIndex {
                repository: spec.name.clone(),
                path: component.clone(),
                available: release.components.join(", "),
            });
        }
        let mut index_archs: Vec<&str> = archs.iter().map(String::as_str).collect();
        // As apt: a separate binary-all index is read only when the Release lists `all` as
        // an architecture and does not say those packages are in every arch's index.
        let all_listed = release
            .sha256
            .keys()
            .any(|p| p.starts_with(&format!("{component}/binary-all/Packages")));
        let all_arch =
            release.architectures.is_empty() || release.architectures.iter().any(|a| a == "all");
        if !release.no_arch_all_index && all_listed && all_arch {
            index_archs.push("all");
        }
        for arch in index_archs {
            if arch != "all"
                && !release.architectures.is_empty()
                && !release.architectures.iter().any(|a| a == arch)
            {
                return Err(FetchError::MissingIndex {
                    repository: spec.name.clone(),
                    path: format!("{component}/binary-{arch}/Packages"),
                    available: format!("architectures {}", release.architectures.join(" ")),
                });
            }
            let text = fetch_index(
                client,
                cache,
                spec,
                &release,
                &format!("{component}/binary-{arch}/Packages"),
                options,
            )?;
            indexes.push(FetchedIndex {
                component: component.clone(),
                arch: arch.to_owned(),
                text,
            });
        }
    }
    if !options.offline {
        cache.store_release(&spec.base_url, &spec.suite, &raw)?;
    }
    Ok(FetchedRepository {
        release,
        inrelease_sha256: sha256_hex(&raw),
        signers: signed.signers,
        indexes,
    })
}

/// The Release must be the suite asked for (as `Suite` or `Codename`, as apt's sources
/// name either); one that names neither is taken at its word.
fn check_suite(
    spec: &RepositorySpec,
    release: &Release,
    file: &str,
    options: &FetchOptions,
) -> Result<(), FetchError> {
    let asked = Some(spec.suite.as_str());
    let names: Vec<String> = [("Suite", &release.suite), ("Codename", &release.codename)]
        .into_iter()
        .filter_map(|(field, value)| value.as_ref().map(|v| format!("{field}: {v}")))
        .collect();
    if names.is_empty() || release.suite.as_deref() == asked || release.codename.as_deref() == asked
    {
        return Ok(());
    }
    if options.allow_other_suite {
        tracing::warn!(repository = %spec.name, suite = %spec.suite, "the Release names another suite ({}); used as --allow-other-suite says", names.join(", "));
        return Ok(());
    }
    Err(FetchError::OtherSuite {
        file: file.to_owned(),
        asked: spec.suite.clone(),
        found: names.join(", "),
    })
}

fn check_dates(
    spec: &RepositorySpec,
    release: &Release,
    options: &FetchOptions,
) -> Result<(), FetchError> {
    if options.allow_expired {
        return Ok(());
    }
    let now = OffsetDateTime::from(options.now);
    if let Some(valid_until) = release.valid_until
        && now > valid_until
    {
        return Err(FetchError::Expired {
            repository: spec.name.clone(),
            valid_until: aloft_fs::rfc3339(valid_until),
            now: aloft_fs::rfc3339(now),
        });
    }
    // apt tolerates clock skew; so do we, by a day.
    if release.date > now + time::Duration::days(1) {
        return Err(FetchError::NotYetValid {
            repository: spec.name.clone(),
            date: aloft_fs::rfc3339(release.date),
            now: aloft_fs::rfc3339(now),
        });
    }
    Ok(())
}

/// One index, uncompressed, verified against the Release: from the cache, else downloaded
/// in the best compression the Release lists (by hash where the archive supports it).
fn fetch_index(
    client: &HttpClient,
    cache: &IndexCache<'_>,
    spec: &RepositorySpec,
    release: &Release,
    path: &str,
    options: &FetchOptions,
) -> Result<String, FetchError> {
    let Some(target) = release.sha256.get(path) else {
        // Some repositories list only compressed variants; then the compressed hash is the key.
        return fetch_compressed_only(client, cache, spec, release, path, options);
    };
    let to_text = |bytes: Vec<u8>, file: &str| {
        String::from_utf8(bytes).map_err(|_| FetchError::Format {
            repository: spec.name.clone(),
            file: file.to_owned(),
            problem: Box::new(aloft_deb::Error::NotUtf8 {
                file: file.to_owned(),
            }),
        })
    };
    if let Some(bytes) = cache.read_index(&target.sha256, target.size) {
        return to_text(bytes, path);
    }
    if options.offline {
        return Err(FetchError::NotCached {
            repository: spec.name.clone(),
        });
    }
    let mut last_error = None;
    for ext in INDEX_EXTENSIONS {
        let variant = format!("{path}{ext}");
        let Some(listed) = release.sha256.get(&variant) else {
            continue;
        };
        match download_verified(client, spec, release, &variant, listed) {
            Ok(compressed) => {
                let url = dists_url(spec, &variant);
                let bytes = decompress_by_name(&variant, &compressed).map_err(|source| {
                    FetchError::Format {
                        repository: spec.name.clone(),
                        file: url.clone(),
                        problem: Box::new(source),
                    }
                })?;
                check(&url, target, &bytes)?;
                cache.store_index(&target.sha256, &bytes)?;
                return to_text(bytes, &url);
            }
            Err(err @ FetchError::NotFound { .. }) => last_error = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last_error.unwrap_or_else(|| FetchError::MissingIndex {
        repository: spec.name.clone(),
        path: path.to_owned(),
        available: String::new(),
    }))
}

fn fetch_compressed_only(
    client: &HttpClient,
    cache: &IndexCache<'_>,
    spec: &RepositorySpec,
    release: &Release,
    path: &str,
    options: &FetchOptions,
) -> Result<String, FetchError> {
    for ext in INDEX_EXTENSIONS.iter().filter(|e| !e.is_empty()) {
        let variant = format!("{path}{ext}");
        let Some(listed) = release.sha256.get(&variant) else {
            continue;
        };
        let url = dists_url(spec, &variant);
        let compressed = match cache.read_index(&listed.sha256, listed.size) {
            Some(bytes) => bytes,
            None if options.offline => {
                return Err(FetchError::NotCached {
                    repository: spec.name.clone(),
                });
            }
            None => {
                let bytes = download_verified(client, spec, release, &variant, listed)?;
                cache.store_index(&listed.sha256, &bytes)?;
                bytes
            }
        };
        let bytes =
            decompress_by_name(&variant, &compressed).map_err(|source| FetchError::Format {
                repository: spec.name.clone(),
                file: url.clone(),
                problem: Box::new(source),
            })?;
        return String::from_utf8(bytes).map_err(|_| FetchError::Format {
            repository: spec.name.clone(),
            file: url.clone(),
            problem: Box::new(aloft_deb::Error::NotUtf8 { file: url }),
        });
    }
    Err(FetchError::MissingIndex {
        repository: spec.name.clone(),
        path: path.to_owned(),
        available: String::new(),
    })
}

/// Downloads `variant` (by hash when the Release says `Acquire-By-Hash: yes`, falling back
/// to the plain path as apt does) and checks its sha256 and size.
fn download_verified(
    client: &HttpClient,
    spec: &RepositorySpec,
    release: &Release,
    variant: &str,
    listed: &ReleaseFile,
) -> Result<Vec<u8>, FetchError> {
    let plain = dists_url(spec, variant);
    let (bytes, url) = if release.acquire_by_hash {
        let dir = variant.rsplit_once('/').map_or("", |(dir, _)| dir);
        let by_hash = dists_url(spec, &format!("{dir}/by-hash/SHA256/{}", listed.sha256));
        match client.get(&by_hash) {
            Ok(bytes) => (bytes, by_hash),
            Err(FetchError::NotFound { .. }) => (client.get(&plain)?, plain),
            Err(err) => return Err(err),
        }
    } else {
        (client.get(&plain)?, plain)
    };
    check(&url, listed, &bytes)?;
    Ok(bytes)
}

fn check(url: &str, expected: &ReleaseFile, bytes: &[u8]) -> Result<(), FetchError> {
    let actual = sha256_hex(bytes);
    if actual != expected.sha256 || bytes.len() as u64 != expected.size {
        return Err(FetchError::HashMismatch {
            url: url.to_owned(),
            expected: format!("sha256 {}, {} bytes", expected.sha256, expected.size),
            actual: format!("sha256 {actual}, {} bytes", bytes.len()),
        });
    }
    Ok(())
}
