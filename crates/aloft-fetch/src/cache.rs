//! The index bucket ([`CacheBucket::Indexes`]): `sha256/<hex>` holds uncompressed
//! index files checked against their Release; `releases/<key>/InRelease` the last
//! verified InRelease of each repository (for `--offline`). Entries appear only by atomic
//! rename of a complete, verified temp file, so readers never see half an entry.

use std::path::{Path, PathBuf};

use aloft_cache::{Cache, CacheBucket};
use sha2::{Digest, Sha256};

use crate::FetchError;

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a verified cache entry; errors name the entry.
fn store(cache: &Cache, path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let io = |source| FetchError::CacheWrite {
        path: path.to_path_buf(),
        source,
    };
    cache.ensure_tagged().map_err(io)?;
    aloft_fs::write_atomic(path, bytes).map_err(io)
}

/// The verified indexes and InRelease files under a cache root.
#[derive(Debug, Clone)]
pub struct IndexCache<'a> {
    cache: &'a Cache,
    dir: PathBuf,
}

impl<'a> IndexCache<'a> {
    /// The index bucket of `cache`.
    pub fn new(cache: &'a Cache) -> IndexCache<'a> {
        IndexCache {
            cache,
            dir: cache.bucket(CacheBucket::Indexes),
        }
    }

    fn index_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("sha256").join(sha256)
    }

    /// A cached index with this sha256, if present with the expected size. The hash is not
    /// recomputed: entries are verified before they are renamed into place.
    pub fn read_index(&self, sha256: &str, size: u64) -> Option<Vec<u8>> {
        let path = self.index_path(sha256);
        match fs_err::metadata(&path) {
            Ok(meta) if meta.len() == size => fs_err::read(&path).ok(),
            _ => None,
        }
    }

    /// Stores an index already checked to have `sha256`.
    pub fn store_index(&self, sha256: &str, bytes: &[u8]) -> Result<(), FetchError> {
        store(self.cache, &self.index_path(sha256), bytes)
    }

    fn release_path(&self, base_url: &str, suite: &str) -> PathBuf {
        let key = sha256_hex(format!("{base_url}\n{suite}").as_bytes());
        self.dir.join("releases").join(key).join("InRelease")
    }

    /// The last verified InRelease of `suite` at `base_url`.
    pub fn read_release(&self, base_url: &str, suite: &str) -> Option<Vec<u8>> {
        fs_err::read(self.release_path(base_url, suite)).ok()
    }

    /// Records a verified InRelease (after all its indexes were stored).
    pub fn store_release(
        &self,
        base_url: &str,
        suite: &str,
        bytes: &[u8],
    ) -> Result<(), FetchError> {
        store(self.cache, &self.release_path(base_url, suite), bytes)
    }
}
