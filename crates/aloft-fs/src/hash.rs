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
