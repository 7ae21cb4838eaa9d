//! The content-addressed cache: `indexes-v1/sha256/<hex>` holds uncompressed index files
//! checked against their Release; `indexes-v1/releases/<key>/InRelease` the last verified
//! InRelease of each repository (for `--offline`). Entries appear only by atomic rename
//! of a complete, verified temp file, so readers never see half an entry.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::FetchError;

/// Bump when the layout of a bucket changes; old buckets are simply ignored.
const INDEXES: &str = "indexes-v1";

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, synced, renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let io = |source| FetchError::CacheWrite {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|err| io(err.error))?;
    Ok(())
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The default location: `ALOFT_CACHE_DIR`, else `$XDG_CACHE_HOME/aloft`, else `~/.cache/aloft`.
    pub fn default_root(
        env_cache_dir: Option<String>,
        xdg_cache_home: Option<String>,
        home: Option<String>,
    ) -> Option<PathBuf> {
        if let Some(dir) = env_cache_dir.filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir));
        }
        if let Some(xdg) = xdg_cache_home.filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(xdg).join("aloft"));
        }
        home.filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".cache").join("aloft"))
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn ensure_tagged(&self) -> Result<(), FetchError> {
        let tag = self.root.join("CACHEDIR.TAG");
        if !tag.exists() {
            write_atomic(&tag, b"Signature: 8a477f597d28d172789f06886806bc55\n# This is aloft's cache; see https://bford.info/cachedir/\n")?;
            write_atomic(&self.root.join(".gitignore"), b"*\n")?;
        }
        Ok(())
    }

    fn index_path(&self, sha256: &str) -> PathBuf {
        self.root.join(INDEXES).join("sha256").join(sha256)
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
        self.ensure_tagged()?;
        write_atomic(&self.index_path(sha256), bytes)
    }

    fn release_path(&self, base_url: &str, suite: &str) -> PathBuf {
        let key = sha256_hex(format!("{base_url}\n{suite}").as_bytes());
        self.root
            .join(INDEXES)
            .join("releases")
            .join(key)
            .join("InRelease")
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
        self.ensure_tagged()?;
        write_atomic(&self.release_path(base_url, suite), bytes)
    }
}
