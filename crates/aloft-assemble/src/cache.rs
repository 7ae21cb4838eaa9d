//! The layer cache: a package layer is a pure function of its .debs (by sha256), the
//! epoch its mtimes clamp to and [`layer_format`], so a rebuild with nothing changed
//! reads no .deb and compresses nothing, and a one-package bump recompresses one layer.
//!
//! Layout under the cache root: `blobs/sha256/<digest>` (the compressed layer) and
//! `keys/<key>.json` (its digests and file index). Both appear by atomic rename, the
//! blob first, so a key never points at a missing or partial blob; a blob whose sha256
//! no longer matches is ignored and rebuilt. A blob is hashed once per process: what
//! this process wrote, imported or already checked is not read again.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AssembleError;
use crate::layer_writer::{FinishedLayer, LayerCompression};
use crate::package::{PackageFiles, PackageInput};

/// Bump whenever the tar a layer gets from the same .debs changes, or what its index
/// records (2: the postinst is kept; 3: the control paragraph and copyright file too;
/// 4: gzip is fed fixed 64 KiB chunks; 5: the preinst and each file's ELF or `#!`
/// facts are kept too; 6: the debconf questions' defaults too).
pub const LAYER_FORMAT: &str = "aloft-layer-6";

/// The layer format with what decides its compressed bytes (for gzip the same string
/// format 4 always had, so gzip layers cached before zstd existed stay valid).
pub fn layer_format(compression: LayerCompression) -> String {
    format!("{LAYER_FORMAT} {}", compression.format())
}

/// A built package layer: the blob and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedLayer {
    /// sha256 of the blob, hex.
    pub digest: String,
    /// sha256 of the uncompressed tar, hex.
    pub diff_id: String,
    /// Blob size.
    pub size: u64,
    /// Uncompressed size.
    pub tar_size: u64,
    /// The files of each package, in layer order.
    pub packages: Vec<PackageFiles>,
}

/// The layer cache directory.
#[derive(Debug, Clone)]
pub struct LayerCache {
    root: PathBuf,
    /// Blob digests this process wrote or hashed: `get` does not hash them again (every
    /// image of a run reads its layers back, and a layer is shared by many images).
    verified: Arc<Mutex<HashSet<String>>>,
    /// Keys this process built, with the tar bytes compressed: an image whose layer
    /// another image of the run built reports it as built in this run, not cached.
    built: Arc<Mutex<HashMap<String, u64>>>,
    /// Layers a shared cache (a registry) holds and this cache lacks: their indexes, in
    /// memory. `get` serves them, so an image can be made of them; their blobs stay in
    /// the registry unless something needs the bytes (see [`LayerCache::add_remote`]).
    remote: Arc<Mutex<HashMap<String, CachedLayer>>>,
}

/// The cache key of a layer holding `packages` with mtimes clamped to `epoch`,
/// compressed as `compression`, slim or not.
pub fn layer_key(
    packages: &[PackageInput],
    epoch: u64,
    compression: LayerCompression,
    slim: bool,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{}\nepoch {epoch}\n", layer_format(compression)));
    if slim {
        hasher.update("slim\n");
    }
    for package in packages {
        hasher.update(format!("{} {}\n", package.name, package.sha256));
        if let Some(patterns) = &package.slice {
            hasher.update(format!("slice {}\n", patterns.join("\t")));
        }
    }
    hex::encode(hasher.finalize())
}

impl LayerCache {
    /// The layer bucket of `cache`.
    pub fn in_cache(cache: &aloft_cache::Cache) -> LayerCache {
        LayerCache::new(cache.bucket(aloft_cache::CacheBucket::Layers))
    }

    /// A cache rooted at `root` (created when first written).
    pub fn new(root: impl Into<PathBuf>) -> LayerCache {
        LayerCache {
            root: root.into(),
            verified: Arc::default(),
            built: Arc::default(),
            remote: Arc::default(),
        }
    }

    /// The cache directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Where temp files are made (same file system as the entries).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The blob file of `digest`.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.root.join("blobs").join("sha256").join(digest)
    }

    fn key_path(&self, key: &str) -> PathBuf {
        self.root.join("keys").join(format!("{key}.json"))
    }

    fn write_error(&self, what: &str, source: std::io::Error) -> AssembleError {
        AssembleError::Write {
            what: what.to_owned(),
            dir: self.root.clone(),
            source,
        }
    }

    /// The layer stored under `key`, if present and its blob still hashes right; else
    /// the remote layer of `key`, if one was added (its blob is not here).
    pub fn get(&self, key: &str) -> Option<CachedLayer> {
        self.get_local(key).or_else(|| {
            self.remote
                .lock()
                .ok()
                .and_then(|remote| remote.get(key).cloned())
        })
    }

    /// Makes the layer of `key` that a shared cache holds known from its `index` alone
    /// (the JSON [`LayerCache::index_bytes`] gives): `get` serves it, its blob path names
    /// no file, and whoever needs its bytes imports it ([`LayerCache::import`]). This is
    /// for a push to the registry that holds the blob: the image's final layer, checks
    /// and SBOMs need only the index.
    pub fn add_remote(&self, key: &str, index: &[u8]) -> Result<CachedLayer, AssembleError> {
        let layer: CachedLayer = serde_json::from_slice(index).map_err(|e| {
            self.write_error(
                "a layer from the shared cache",
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("layer {key}: the index is not one: {e}"),
                ),
            )
        })?;
        if let Ok(mut remote) = self.remote.lock() {
            remote.insert(key.to_owned(), layer.clone());
        }
        Ok(layer)
    }

    fn get_local(&self, key: &str) -> Option<CachedLayer> {
        let text = fs_err::read(self.key_path(key)).ok()?;
        let layer: CachedLayer = serde_json::from_slice(&text).ok()?;
        if self.was_verified(&layer.digest) {
            return Some(layer);
        }
        let (digest, size) = aloft_fs::sha256_file(&self.blob_path(&layer.digest)).ok()?;
        if size != layer.size || digest != layer.digest {
            tracing::warn!(
                key,
                digest = layer.digest,
                "layer cache entry is corrupt; rebuilding it"
            );
            return None;
        }
        self.mark_verified(&layer.digest);
        Some(layer)
    }

    /// The tar bytes this process compressed to build `key` (0 if it did not build it).
    pub fn compressed_in_this_run(&self, key: &str) -> u64 {
        self.built
            .lock()
            .ok()
            .and_then(|built| built.get(key).copied())
            .unwrap_or(0)
    }

    fn was_verified(&self, digest: &str) -> bool {
        self.verified.lock().is_ok_and(|set| set.contains(digest))
    }

    fn mark_verified(&self, digest: &str) {
        if let Ok(mut set) = self.verified.lock() {
            set.insert(digest.to_owned());
        }
    }

    /// Whether `key` has an entry whose blob is present (not hashed: `get` checks that).
    pub fn has(&self, key: &str) -> bool {
        let Ok(text) = fs_err::read(self.key_path(key)) else {
            return false;
        };
        serde_json::from_slice::<CachedLayer>(&text)
            .is_ok_and(|layer| self.blob_path(&layer.digest).is_file())
    }

    /// The index of `key` as stored (its JSON), to share it: see [`LayerCache::import`].
    pub fn index_bytes(&self, key: &str) -> Option<Vec<u8>> {
        fs_err::read(self.key_path(key)).ok()
    }

    /// Adds a layer built elsewhere (a shared cache): `index` is its stored JSON, and
    /// `download` writes its blob into the temp file it is given (on this cache's file
    /// system). The blob must hash to the digest and size the index names; then it is
    /// moved into place and the key written, so a key never points at a wrong blob.
    pub fn import<E: std::fmt::Display>(
        &self,
        key: &str,
        index: &[u8],
        download: impl FnOnce(&std::path::Path) -> Result<(), E>,
    ) -> Result<CachedLayer, AssembleError> {
        let bad = |message: String| {
            self.write_error(
                "a layer from the shared cache",
                std::io::Error::new(std::io::ErrorKind::InvalidData, message),
            )
        };
        let layer: CachedLayer = serde_json::from_slice(index)
            .map_err(|e| bad(format!("layer {key}: the index is not one: {e}")))?;
        fs_err::create_dir_all(self.tmp_dir()).map_err(|e| self.write_error("a layer blob", e))?;
        let temp = tempfile::Builder::new()
            .prefix(&aloft_fs::temp_prefix(std::ffi::OsStr::new("layer")))
            .suffix(aloft_fs::TEMP_SUFFIX)
            .tempfile_in(self.tmp_dir())
            .map_err(|e| self.write_error("a layer blob", e))?;
        // Removed if the run is interrupted.
        let _live = aloft_fs::LiveTemp::register(temp.path());
        download(temp.path()).map_err(|e| bad(format!("layer {key}: {e}")))?;
        let (digest, size) =
            aloft_fs::sha256_file(temp.path()).map_err(|e| self.write_error("a layer blob", e))?;
        if digest != layer.digest || size != layer.size {
            return Err(bad(format!(
                "layer {key}: the blob is sha256:{digest} ({size} bytes), the index says sha256:{} ({} bytes)",
                layer.digest, layer.size
            )));
        }
        let target = self.blob_path(&layer.digest);
        if let Some(dir) = target.parent() {
            fs_err::create_dir_all(dir).map_err(|e| self.write_error("a layer blob", e))?;
        }
        temp.persist(&target)
            .map_err(|e| self.write_error("a layer blob", e.error))?;
        self.mark_verified(&layer.digest);
        aloft_fs::write_atomic(&self.key_path(key), index)
            .map_err(|e| self.write_error("a layer index", e))?;
        Ok(layer)
    }

    /// Moves a finished layer into the blob store without a key (the final layer, which
    /// depends on the manifest and host files rather than on .debs alone).
    pub fn put_unkeyed(&self, finished: FinishedLayer) -> Result<CachedLayer, AssembleError> {
        self.persist_blob(finished, Vec::new())
    }

    fn persist_blob(
        &self,
        finished: FinishedLayer,
        packages: Vec<PackageFiles>,
    ) -> Result<CachedLayer, AssembleError> {
        let blob = self.blob_path(&finished.digest);
        if let Some(dir) = blob.parent() {
            fs_err::create_dir_all(dir).map_err(|e| self.write_error("a layer blob", e))?;
        }
        finished
            .file
            .persist(&blob)
            .map_err(|e| self.write_error("a layer blob", e.error))?;
        self.mark_verified(&finished.digest);
        Ok(CachedLayer {
            digest: finished.digest,
            diff_id: finished.diff_id,
            size: finished.size,
            tar_size: finished.tar_size,
            packages,
        })
    }

    /// Moves a finished layer into the cache under `key`.
    pub fn put(
        &self,
        key: &str,
        finished: FinishedLayer,
        packages: Vec<PackageFiles>,
    ) -> Result<CachedLayer, AssembleError> {
        let tar_size = finished.tar_size;
        let layer = self.persist_blob(finished, packages)?;
        if let Ok(mut built) = self.built.lock() {
            built.insert(key.to_owned(), tar_size);
        }
        let json = serde_json::to_vec(&layer)
            .map_err(|e| self.write_error("a layer index", std::io::Error::other(e)))?;
        aloft_fs::write_atomic(&self.key_path(key), &json)
            .map_err(|e| self.write_error("a layer index", e))?;
        Ok(layer)
    }
}
