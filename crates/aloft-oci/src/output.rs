//! Helpers shared by the two writers: output paths, permissions, fsync, exact-size reads.

use std::ffi::OsStr;
use std::fs::{self, File, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::OciError;

/// Mode of every file aloft writes.
pub(crate) use aloft_fs::FILE_MODE;
/// Mode of every directory aloft writes.
pub(crate) const DIR_MODE: u32 = 0o755;

/// The existing directory `target` is to be written into, and `target`'s file name.
pub(crate) fn parent_and_name(target: &Path) -> Result<(PathBuf, &OsStr), OciError> {
    let name = target.file_name().ok_or_else(|| {
        OciError::io(
            "choosing the output",
            target,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the path does not end in a file name",
            ),
        )
    })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(OciError::MissingParent { path: parent });
    }
    Ok((parent, name))
}

/// The prefix of temporary entries beside an output named `name`.
pub(crate) use aloft_fs::temp_prefix;

pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<(), OciError> {
    fs::set_permissions(path, Permissions::from_mode(mode))
        .map_err(|e| OciError::io("setting permissions of", path, e))
}

/// fsyncs a file or directory by path.
pub(crate) fn sync_path(path: &Path) -> Result<(), OciError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| OciError::io("syncing", path, e))
}

/// Checks that the layer blob at `path` holds `expected` bytes.
pub(crate) fn check_blob_size(path: &Path, expected: u64) -> Result<(), OciError> {
    let actual = fs::metadata(path)
        .map_err(|e| OciError::io("reading layer blob", path, e))?
        .len();
    if actual != expected {
        return Err(OciError::SizeMismatch {
            path: path.to_path_buf(),
            expected,
            actual,
        });
    }
    Ok(())
}

/// Reads exactly `remaining` bytes from `inner`: stops there even if the file grew, and
/// fails with `UnexpectedEof` (recording how much it got) if it shrank.
pub(crate) struct ExactReader<R> {
    inner: R,
    remaining: u64,
    /// Bytes read so far.
    pub(crate) read: u64,
    /// Set when the source ended early.
    pub(crate) short: bool,
}

impl<R: Read> ExactReader<R> {
    pub(crate) fn new(inner: R, size: u64) -> Self {
        ExactReader {
            inner,
            remaining: size,
            read: 0,
            short: false,
        }
    }
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.short = true;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the layer blob ended before its recorded size",
            ));
        }
        self.remaining -= n as u64;
        self.read += n as u64;
        Ok(n)
    }
}
