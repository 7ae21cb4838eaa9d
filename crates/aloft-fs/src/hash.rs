//! The sha256 of a file, streamed: how cached .debs, layer blobs and pushed blobs are
//! checked against the digest they are stored or named under.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The sha256 (lowercase hex) and size of the file at `path`, read in 64 KiB pieces.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// What identifies a file's contents without reading it: its path, inode, size and
/// mtime. Content-addressed cache files are only ever replaced by rename (a new inode),
/// so what a process read of one can be kept under its identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    path: std::path::PathBuf,
    inode: u64,
    size: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let meta = fs_err::metadata(path)?;
        Ok(FileIdentity {
            path: path.to_owned(),
            inode: meta.ino(),
            size: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

static HASHED: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<FileIdentity, String>>,
> = std::sync::LazyLock::new(Default::default);

/// [`sha256_file`], read once per process: a run that builds several images checks
/// each shared cached file (a .deb every manifest installs) once, not once per image.
pub fn sha256_file_once(path: &Path) -> std::io::Result<(String, u64)> {
    let identity = FileIdentity::of(path)?;
    if let Some(hex) = HASHED.lock().ok().and_then(|m| m.get(&identity).cloned()) {
        return Ok((hex, identity.size));
    }
    let (hex, size) = sha256_file(path)?;
    if size == identity.size
        && let Ok(mut hashed) = HASHED.lock()
    {
        hashed.insert(identity, hex.clone());
    }
    Ok((hex, size))
}
