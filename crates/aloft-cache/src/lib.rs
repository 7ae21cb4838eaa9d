//! The layout of aloft's cache directory (uv-cache's role), in one place:
//!
//! ```text
//! <root>/CACHEDIR.TAG, .gitignore
//! <root>/indexes-v1/   verified indexes and InRelease files      (aloft-fetch)
//! <root>/debs-v1/      .debs by sha256, verified before renaming  (aloft-fetch)
//! <root>/layers-v1/    compressed layers and their keys          (aloft-assemble)
//! ```
//!
//! [`Cache`] finds the root and hands each crate its [`CacheBucket`] directory; what is
//! inside a bucket is that crate's business. A format change bumps a bucket's version
//! suffix rather than migrating; [`Cache::clean`] removes old versions too.

use std::path::{Path, PathBuf};

/// One versioned directory of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CacheBucket {
    /// Uncompressed Packages indexes by sha256 (`sha256/<hex>`) and the last verified
    /// InRelease of each repository (`releases/<key>/InRelease`, for `--offline`).
    Indexes,
    /// .debs by sha256 (`sha256/<hex>`), each checked against its lock entry.
    Debs,
    /// Compressed layers (`blobs/sha256/<digest>`) and what built them (`keys/<key>.json`).
    Layers,
}

impl CacheBucket {
    /// Every bucket, in the order `aloft cache clean` lists them.
    pub const ALL: [CacheBucket; 3] =
        [CacheBucket::Indexes, CacheBucket::Debs, CacheBucket::Layers];

    /// The bucket's name without its version (`layers`).
    pub fn stem(self) -> &'static str {
        match self {
            CacheBucket::Indexes => "indexes",
            CacheBucket::Debs => "debs",
            CacheBucket::Layers => "layers",
        }
    }

    /// The directory name of the current format (`layers-v1`). Bump the number when the
    /// layout inside changes.
    pub fn dir_name(self) -> &'static str {
        match self {
            CacheBucket::Indexes => "indexes-v1",
            CacheBucket::Debs => "debs-v1",
            CacheBucket::Layers => "layers-v1",
        }
    }

    /// Whether `name` is a directory of this bucket in any format version (`layers-v0`).
    fn is_any_version(self, name: &str) -> bool {
        name.strip_prefix(self.stem())
            .and_then(|rest| rest.strip_prefix("-v"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// What [`Cache::clean`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// The directories removed (current and stale versions), by name.
    pub removed: Vec<String>,
    /// The bytes their files held.
    pub bytes: u64,
}

/// The cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The default root: `ALOFT_CACHE_DIR`, else `$XDG_CACHE_HOME/aloft`, else
    /// `~/.cache/aloft` (the values given; empty ones are unset).
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

    /// The directory of `bucket` (not created).
    pub fn bucket(&self, bucket: CacheBucket) -> PathBuf {
        self.root.join(bucket.dir_name())
    }

    /// Marks the root as a cache (CACHEDIR.TAG for backup tools, `.gitignore` for git),
    /// once; called before the first entry is written.
    pub fn ensure_tagged(&self) -> std::io::Result<()> {
        let tag = self.root.join("CACHEDIR.TAG");
        if !tag.exists() {
            aloft_fs::write_atomic(
                &tag,
                b"Signature: 8a477f597d28d172789f06886806bc55\n# This is aloft's cache; see https://bford.info/cachedir/\n",
            )?;
            aloft_fs::write_atomic(&self.root.join(".gitignore"), b"*\n")?;
        }
        Ok(())
    }

    /// Removes the temp files and directories that killed runs left in the cache (see
    /// [`aloft_fs::remove_stale_temps`]; a live run's are kept); returns how many.
    pub fn remove_stale_temps(&self) -> usize {
        let mut removed = aloft_fs::remove_stale_temps(&self.root);
        let mut dirs: Vec<(PathBuf, u32)> = CacheBucket::ALL
            .iter()
            .map(|bucket| (self.bucket(*bucket), 0))
            .collect();
        // Entries sit at most a few levels down (`layers-v1/blobs/sha256/HEX`).
        while let Some((dir, depth)) = dirs.pop() {
            removed += aloft_fs::remove_stale_temps(&dir);
            if depth >= 3 {
                continue;
            }
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    dirs.push((entry.path(), depth + 1));
                }
            }
        }
        removed
    }

    /// Removes `buckets`, in every format version. Each directory is renamed aside
    /// first, so a concurrent run never sees half a bucket.
    pub fn clean(&self, buckets: &[CacheBucket]) -> std::io::Result<Cleaned> {
        let mut cleaned = Cleaned::default();
        let Ok(entries) = fs_err::read_dir(&self.root) else {
            return Ok(cleaned);
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| buckets.iter().any(|b| b.is_any_version(name)))
            .collect();
        names.sort();
        for name in names {
            let dir = self.root.join(&name);
            cleaned.bytes += size_of_tree(&dir);
            let aside = self
                .root
                .join(format!(".removing-{name}-{}", std::process::id()));
            fs_err::rename(&dir, &aside)?;
            fs_err::remove_dir_all(&aside)?;
            cleaned.removed.push(name);
        }
        Ok(cleaned)
    }
}

/// The bytes of the files under `dir` (unreadable entries count 0).
fn size_of_tree(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => stack.push(entry.path()),
                Ok(meta) => total += meta.len(),
                Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_stale_versions_and_keeps_other_buckets() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let cache = Cache::new(dir.path());
        for name in [
            "layers-v0",
            "layers-v1",
            "layers-vx",
            "debs-v1",
            "layersmith",
        ] {
            fs_err::create_dir_all(dir.path().join(name).join("sub"))?;
            fs_err::write(dir.path().join(name).join("sub").join("f"), b"12345")?;
        }
        let cleaned = cache.clean(&[CacheBucket::Layers])?;
        assert_eq!(cleaned.removed, ["layers-v0", "layers-v1"]);
        assert_eq!(cleaned.bytes, 10);
        for kept in ["layers-vx", "debs-v1", "layersmith"] {
            assert!(dir.path().join(kept).is_dir(), "{kept}");
        }
        assert!(!dir.path().join("layers-v1").exists());
        Ok(())
    }

    #[test]
    fn default_root_prefers_the_variable_then_xdg_then_home() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            Cache::default_root(s("/c"), s("/x"), s("/h")),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            Cache::default_root(s(""), s("/x"), s("/h")),
            Some(PathBuf::from("/x/aloft"))
        );
        assert_eq!(
            Cache::default_root(None, None, s("/h")),
            Some(PathBuf::from("/h/.cache/aloft"))
        );
        assert_eq!(Cache::default_root(None, None, None), None);
    }

    #[test]
    fn bucket_dirs_are_their_current_version() {
        let cache = Cache::new("/c");
        assert_eq!(cache.bucket(CacheBucket::Debs), PathBuf::from("/c/debs-v1"));
        assert!(
            CacheBucket::ALL
                .iter()
                .all(|b| b.is_any_version(b.dir_name()))
        );
    }
}
