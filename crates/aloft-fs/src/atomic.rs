//! Files that appear whole or not at all.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// The mode of every file aloft writes for people or tools to read (lockfiles, images,
/// SBOMs, cache entries): umask-independent, so a build's outputs do not depend on it.
pub const FILE_MODE: u32 = 0o644;

use crate::temps::{LiveTemp, TEMP_SUFFIX, temp_prefix};

/// A file being written beside `target`; [`AtomicFile::commit`] renames it into place,
/// dropping it removes it.
#[derive(Debug)]
pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
    /// Removes the temp file if the run is interrupted (dropped after `temp`).
    _live: LiveTemp,
}

/// The directory holding `target` (`.` for a bare file name).
fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

impl AtomicFile {
    /// Starts writing `target`: a temp file in its directory, which must exist (the rename
    /// is atomic only within one file system).
    ///
    /// An existing `target` must be a regular file (or a link to one): the rename would
    /// replace a device such as `/dev/null` or `/dev/full` with a file, and a directory
    /// is never the file a caller meant.
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        check_replaceable(target)?;
        let dir = parent_of(target);
        let name = target.file_name().unwrap_or(std::ffi::OsStr::new("file"));
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(name))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(|e| with_path(e, "creating a temporary file in", dir))?;
        let live = LiveTemp::register(temp.path());
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            _live: live,
        })
    }

    /// As [`AtomicFile::create`], making the target's directory first.
    pub fn create_with_parents(target: &Path) -> io::Result<AtomicFile> {
        fs_err::create_dir_all(parent_of(target))?;
        AtomicFile::create(target)
    }

    /// The open temp file (for writers that want a `&File`).
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// Where the bytes are being written.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The file this becomes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the bytes, sets `mode` and renames the temp file over the target.
    pub fn commit(self, mode: u32) -> io::Result<()> {
        let AtomicFile { temp, target, .. } = self;
        temp.as_file().sync_all()?;
        temp.as_file()
            .set_permissions(Permissions::from_mode(mode))
            .map_err(|e| with_path(e, "setting the mode of", temp.path()))?;
        temp.persist(&target)
            .map_err(|e| with_path(e.error, "renaming a finished file to", &target))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` to `target` (mode [`FILE_MODE`]) through an [`AtomicFile`], making
/// its directory first: readers see the old file or the new one, never half.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create_with_parents(target)?;
    file.write_all(bytes)?;
    file.commit(FILE_MODE)
}

/// Refuses to replace anything at `target` but a regular file.
pub fn check_replaceable(target: &Path) -> io::Result<()> {
    match std::fs::metadata(target) {
        Ok(meta) if !meta.is_file() => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "`{}` exists and is not a regular file ({}); aloft writes only where a file it made could be",
                target.display(),
                kind_of(&meta.file_type())
            ),
        )),
        _ => Ok(()),
    }
}

fn kind_of(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// `err` with what was being done and the path, as fs-err words it.
fn with_path(err: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("{err} when {action} `{}`", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_with_a_fixed_mode_and_drop_leaves_nothing() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("sub").join("out.json");
        write_atomic(&target, b"one")?;
        assert_eq!(fs_err::read(&target)?, b"one");
        let mode = fs_err::metadata(&target)?.permissions().mode() & 0o777;
        assert_eq!(mode, FILE_MODE);

        let mut abandoned = AtomicFile::create(&target)?;
        abandoned.write_all(b"two")?;
        let temp = abandoned.temp_path().to_path_buf();
        let name = temp.file_name().map(|n| n.to_string_lossy().into_owned());
        let prefix = format!(".out.json.aloft-{}-", std::process::id());
        assert!(name.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tmp")));
        drop(abandoned);
        assert!(!temp.exists());
        assert_eq!(fs_err::read(&target)?, b"one");
        Ok(())
    }

    #[test]
    fn devices_and_directories_are_never_replaced() -> io::Result<()> {
        for (target, kind) in [("/dev/null", "a character device"), ("/tmp", "a directory")] {
            let err = AtomicFile::create(Path::new(target)).err();
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.contains(kind) && text.contains(target), "{text}");
        }
        use std::os::unix::fs::FileTypeExt;
        assert!(fs_err::metadata("/dev/null")?.file_type().is_char_device());
        Ok(())
    }

    #[test]
    fn create_needs_an_existing_directory() {
        let dir = tempfile::tempdir().ok();
        let missing = dir.map(|d| d.path().join("no").join("such").join("file"));
        let err = missing.map(|m| AtomicFile::create(&m));
        assert!(matches!(err, Some(Err(e)) if e.to_string().contains("no")));
    }
}
