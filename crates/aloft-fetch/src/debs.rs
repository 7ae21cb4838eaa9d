//! The .debs of a lock: downloaded in parallel, each checked against the lock's sha256
//! and size before it is renamed into the content-addressed cache
//! ([`CacheBucket::Debs`]: `sha256/<hex>`), so nothing unverified is ever extracted. A cached entry is
//! re-hashed before use; a corrupt one is deleted and downloaded again. Pool paths the
//! mirror no longer serves are tried on the snapshot mirror at the lock's Release date.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aloft_cache::{Cache, CacheBucket};
use aloft_fs::{AtomicFile, FILE_MODE};
use sha2::{Digest, Sha256};

use crate::{FetchError, HttpClient};

/// One .deb the lock names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebRequest {
    /// Package name.
    pub package: String,
    /// Version.
    pub version: String,
    /// Repository name (a key of [`DebSources::bases`]).
    pub repository: String,
    /// Path below the archive root (`pool/main/...`).
    pub pool_path: String,
    /// Expected sha256, lower-case hex.
    pub sha256: String,
    /// Expected size.
    pub size: u64,
}

/// Where a repository's pool is, and its place on a snapshot service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSource {
    /// The archive base URL (holding `pool/`).
    pub base_url: String,
    /// The same archive at the lock's Release date on a snapshot mirror
    /// (`<snapshot>/archive/<archive>/<YYYYMMDDTHHMMSSZ>`), when one is configured.
    pub snapshot_url: Option<String>,
}

/// Repository name -> where its pool is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebSources {
    /// Archives reached over HTTP, by repository name.
    pub bases: BTreeMap<String, PoolSource>,
    /// Local repositories' directories (`path:`), by repository name: their .debs are
    /// copied, checked, from there, also `--offline`.
    pub local: BTreeMap<String, PathBuf>,
}

/// How .debs are fetched.
#[derive(Debug, Clone)]
pub struct DebFetchOptions {
    /// Never touch the network.
    pub offline: bool,
    /// Downloads at once.
    pub jobs: usize,
}

/// The snapshot service URL of an archive at a Release `Date` (RFC 3339 UTC), in
/// snapshot.debian.org's scheme: `<snapshot>/archive/<archive>/<YYYYMMDDTHHMMSSZ>`.
pub fn snapshot_url(snapshot: &str, archive: &str, release_date: &str) -> Option<String> {
    let stamp: String = release_date
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect();
    (stamp.len() == 16).then(|| {
        format!(
            "{}/archive/{archive}/{stamp}",
            snapshot.trim_end_matches('/')
        )
    })
}

/// The .deb cache bucket under a cache root.
#[derive(Debug, Clone)]
pub struct DebCache {
    dir: PathBuf,
}

pub(crate) use aloft_fs::sha256_file;

impl DebCache {
    /// The .deb bucket of `cache`.
    pub fn new(cache: &Cache) -> DebCache {
        DebCache {
            dir: cache.bucket(CacheBucket::Debs),
        }
    }

    /// The cache file of a .deb with this sha256.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join("sha256").join(sha256)
    }

    /// The cached file if present and still matching; a corrupt entry is removed.
    pub fn verified(&self, request: &DebRequest) -> Option<PathBuf> {
        let path = self.path(&request.sha256);
        let meta = fs_err::metadata(&path).ok()?;
        if meta.len() == request.size
            && let Ok((sha, _)) = aloft_fs::sha256_file_once(&path)
            && sha == request.sha256
        {
            return Some(path);
        }
        tracing::warn!(package = request.package, path = %path.display(), "cached .deb is corrupt; fetching it again");
        let _ = fs_err::remove_file(&path);
        None
    }
}

fn mismatch(request: &DebRequest, url: &str, actual: String, actual_size: u64) -> FetchError {
    FetchError::DebMismatch {
        package: request.package.clone(),
        url: url.to_owned(),
        expected: request.sha256.clone(),
        actual,
        expected_size: request.size,
        actual_size,
    }
}

/// Downloads one .deb into the cache: tries the mirror, then the snapshot mirror.
fn download(
    client: &HttpClient,
    cache: &DebCache,
    request: &DebRequest,
    source: &PoolSource,
) -> Result<PathBuf, FetchError> {
    let mut urls = vec![format!(
        "{}/{}",
        source.base_url.trim_end_matches('/'),
        request.pool_path
    )];
    if let Some(snapshot) = &source.snapshot_url {
        urls.push(format!("{snapshot}/{}", request.pool_path));
    }
    let dest = cache.path(&request.sha256);
    let dir = dest.parent().unwrap_or(Path::new("."));
    let cache_error = |source| FetchError::CacheWrite {
        path: dest.clone(),
        source,
    };
    fs_err::create_dir_all(dir).map_err(cache_error)?;
    for url in &urls {
        let tmp = AtomicFile::create(&dest).map_err(cache_error)?;
        let handle = tmp.file().try_clone().map_err(cache_error)?;
        let mut hashing = HashingFile {
            file: std::io::BufWriter::with_capacity(1 << 16, handle),
            hasher: Sha256::new(),
            size: 0,
        };
        match client.get_into(url, &mut hashing, Some(request.size)) {
            Ok(()) => {}
            Err(FetchError::NotFound { .. }) => continue,
            Err(other) => return Err(other),
        }
        let HashingFile {
            mut file,
            hasher,
            size,
        } = hashing;
        file.flush().map_err(cache_error)?;
        drop(file);
        let actual = hex::encode(hasher.finalize());
        if actual != request.sha256 || size != request.size {
            return Err(mismatch(request, url, actual, size));
        }
        tmp.commit(FILE_MODE).map_err(cache_error)?;
        return Ok(dest);
    }
    Err(FetchError::DebNotFound {
        package: request.package.clone(),
        version: request.version.clone(),
        pool_path: request.pool_path.clone(),
        tried: urls
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

struct HashingFile<W> {
    file: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for HashingFile<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl<W: Write> crate::http::Rewind for HashingFile<W>
where
    W: std::io::Seek,
{
    fn rewind(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.seek(std::io::SeekFrom::Start(0))?;
        self.hasher = Sha256::new();
        self.size = 0;
        Ok(())
    }
}

/// Makes sure every requested .deb is in the cache, verified; returns their paths in
/// request order. `on_ready` is called once per .deb (with `true` when downloaded).
pub fn fetch_debs(
    client: &HttpClient,
    cache: &DebCache,
    requests: &[DebRequest],
    sources: &DebSources,
    options: &DebFetchOptions,
    on_ready: &(dyn Fn(&DebRequest, bool) + Sync),
) -> Result<Vec<PathBuf>, FetchError> {
    let work = |request: &DebRequest| -> Result<PathBuf, FetchError> {
        if let Some(path) = cache.verified(request) {
            on_ready(request, false);
            return Ok(path);
        }
        if let Some(dir) = sources.local.get(&request.repository) {
            let path = crate::local::copy_local_deb(cache, request, dir)?;
            on_ready(request, true);
            return Ok(path);
        }
        if options.offline {
            return Err(FetchError::DebNotCached {
                package: request.package.clone(),
                version: request.version.clone(),
            });
        }
        let Some(source) = sources.bases.get(&request.repository) else {
            return Err(FetchError::UnknownRepository {
                package: request.package.clone(),
                repository: request.repository.clone(),
            });
        };
        let path = download(client, cache, request, source).map_err(|err| match err {
            FetchError::Http { .. } | FetchError::CacheWrite { .. } => FetchError::Deb {
                package: request.package.clone(),
                version: request.version.clone(),
                source: Box::new(err),
            },
            other => other,
        })?;
        on_ready(request, true);
        Ok(path)
    };
    aloft_fs::try_map_parallel(requests, options.jobs, None, work)
}
