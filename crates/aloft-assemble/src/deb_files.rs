//! Files read back from .debs (for the final layer and the effects), kept for the
//! process. One run assembles many images from the same .debs (an arch's packages in
//! every manifest that installs them), and each read decompresses the .deb's data up to
//! the file: 11 manifests read php8.4-common's .ini files 11 times per arch. So the files
//! a read passes on its way are kept (those asked for, and any other small ones), and a
//! later read of any of them is free. An entry is keyed by the .deb's
//! [`aloft_fs::FileIdentity`], so a changed file is never served from it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use aloft_fs::FileIdentity;

/// Regular files of at most this size are kept when a .deb is read (and those asked for).
pub(crate) const KEPT_FILE_BYTES: u64 = 64 * 1024;
/// What all kept .debs may hold in all; past it, reads are not kept.
const KEPT_TOTAL_BYTES: usize = 256 << 20;

/// The regular files of one .deb: the contents of those kept, the paths of the others.
#[derive(Debug, Default)]
pub(crate) struct DebContents {
    kept: HashMap<String, Vec<u8>>,
    skipped: HashSet<String>,
    bytes: usize,
    /// The read stopped once it had what it was asked for: a path it does not list may
    /// still be further on in the .deb.
    pub(crate) stopped_early: bool,
}

impl DebContents {
    /// Keeps the contents of `path`.
    pub(crate) fn keep(&mut self, path: String, bytes: Vec<u8>) {
        self.bytes += bytes.len();
        self.kept.insert(path, bytes);
    }

    /// Notes that `path` is a regular file whose contents are not kept.
    pub(crate) fn skip(&mut self, path: String) {
        self.skipped.insert(path);
    }

    /// Whether the contents of `path` are kept.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.kept.contains_key(path)
    }

    /// The contents of `wanted` it has (cloned), or `None` if one of them was skipped
    /// (or, after a read that stopped early, is not kept).
    fn get(&self, wanted: &BTreeSet<String>) -> Option<BTreeMap<String, Vec<u8>>> {
        if wanted
            .iter()
            .any(|path| self.skipped.contains(path) || (self.stopped_early && !self.has(path)))
        {
            return None;
        }
        Some(
            wanted
                .iter()
                .filter_map(|path| Some((path.clone(), self.kept.get(path)?.clone())))
                .collect(),
        )
    }

    /// The contents of `wanted` just read (all present ones were kept, whatever their
    /// size: busybox and php.ini are read by every image that has them).
    pub(crate) fn take(&self, wanted: &BTreeSet<String>) -> BTreeMap<String, Vec<u8>> {
        self.get(wanted).unwrap_or_default()
    }
}

struct Memo {
    debs: HashMap<FileIdentity, DebContents>,
    bytes: usize,
}

static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(|| {
    Mutex::new(Memo {
        debs: HashMap::new(),
        bytes: 0,
    })
});

/// The files `wanted` of the .deb `key`, if an earlier read passed all of them (or read
/// the whole .deb).
pub(crate) fn lookup(
    key: &FileIdentity,
    wanted: &BTreeSet<String>,
) -> Option<BTreeMap<String, Vec<u8>>> {
    MEMO.lock().ok()?.debs.get(key)?.get(wanted)
}

/// Keeps what a read of the .deb `key` passed (unless the memo is full).
pub(crate) fn remember(key: FileIdentity, contents: DebContents) {
    let Ok(mut memo) = MEMO.lock() else { return };
    if memo.bytes + contents.bytes > KEPT_TOTAL_BYTES {
        return;
    }
    memo.bytes += contents.bytes;
    if let Some(old) = memo.debs.insert(key, contents) {
        memo.bytes -= old.bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn kept_files_are_served_and_skipped_ones_are_not() {
        let mut contents = DebContents::default();
        contents.keep("etc/a.conf".into(), b"a".to_vec());
        contents.keep("usr/bin/big".into(), vec![0; KEPT_FILE_BYTES as usize + 1]);
        contents.skip("usr/lib/huge.so".into());
        let found = contents.take(&wanted(&["usr/bin/big", "etc/missing"]));
        assert_eq!(found.len(), 1);
        assert_eq!(contents.bytes, KEPT_FILE_BYTES as usize + 2);
        assert_eq!(contents.get(&wanted(&["usr/lib/huge.so"])), None);
        let found = contents.get(&wanted(&["etc/a.conf", "etc/missing"]));
        assert_eq!(
            found,
            Some([("etc/a.conf".to_owned(), b"a".to_vec())].into())
        );
        // After a read that stopped early, what it did not pass is unknown.
        contents.stopped_early = true;
        assert_eq!(contents.get(&wanted(&["etc/missing"])), None);
        assert!(contents.get(&wanted(&["etc/a.conf"])).is_some());
    }
}
