//! The OCI image layout directory: `oci-layout`, `index.json`, `blobs/sha256/<hex>`.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::build::{Blob, blob_file};
use crate::output::{
    DIR_MODE, FILE_MODE, check_blob_size, parent_and_name, set_mode, sync_path, temp_prefix,
};
use crate::{BuiltImage, OciError};

/// Contents of the `oci-layout` file.
pub(crate) const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// What is at the target path before writing.
enum Existing {
    Nothing,
    EmptyDir,
    Layout,
}

/// Writes `image` as an OCI image layout directory at `dir`.
///
/// Everything is written into a temporary directory beside `dir` and renamed into place
/// only when complete and synced. An existing OCI layout at `dir` (a directory holding
/// `oci-layout`) is replaced: moved aside, the new one renamed in, the old one deleted.
/// Anything else that exists at `dir` and is not an empty directory is refused
/// ([`OciError::NotALayout`]) before anything is written. The parent of `dir` must exist.
/// Files are mode 0644, directories 0755, whatever the umask.
pub fn write_layout_dir(image: &BuiltImage, dir: &Path) -> Result<(), OciError> {
    let (parent, name) = parent_and_name(dir)?;
    let existing = inspect(dir)?;
    let prefix = temp_prefix(name);
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(&parent)
        .map_err(|e| OciError::io("creating a temporary directory in", &parent, e))?;
    let _live = aloft_fs::LiveTemp::register(tmp.path());
    fill(image, tmp.path())?;
    set_mode(tmp.path(), DIR_MODE)?;
    sync_path(tmp.path())?;

    match existing {
        Existing::Nothing | Existing::EmptyDir => {
            fs::rename(tmp.path(), dir).map_err(|e| rename_error(tmp.path(), dir, e))?;
            // Renamed: nothing left for the guard to delete.
            let _ = tmp.keep();
        }
        Existing::Layout => {
            // An empty directory to move the old layout onto (rename replaces empty dirs).
            let aside = tempfile::Builder::new()
                .prefix(&format!("{prefix}old-"))
                .tempdir_in(&parent)
                .map_err(|e| OciError::io("creating a temporary directory in", &parent, e))?;
            fs::rename(dir, aside.path()).map_err(|e| rename_error(dir, aside.path(), e))?;
            if let Err(e) = fs::rename(tmp.path(), dir) {
                // Put the old layout back; if even that fails, keep it and say where it is.
                if fs::rename(aside.path(), dir).is_ok() {
                    return Err(rename_error(tmp.path(), dir, e));
                }
                let kept = aside.keep();
                let e = std::io::Error::new(
                    e.kind(),
                    format!("{e}; the previous layout is kept at {}", kept.display()),
                );
                return Err(rename_error(tmp.path(), dir, e));
            }
            let _ = tmp.keep();
            aside
                .close()
                .map_err(|e| OciError::io("removing the replaced layout at", &parent, e))?;
        }
    }
    sync_path(&parent)
}

fn rename_error(from: &Path, to: &Path, e: std::io::Error) -> OciError {
    OciError::io(format!("renaming {} to", from.display()), to, e)
}

fn inspect(dir: &Path) -> Result<Existing, OciError> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(OciError::io("inspecting", dir, e)),
    };
    if !meta.is_dir() {
        return Err(OciError::NotALayout {
            path: dir.to_path_buf(),
        });
    }
    if dir.join("oci-layout").is_file() {
        return Ok(Existing::Layout);
    }
    let mut entries = fs::read_dir(dir).map_err(|e| OciError::io("reading", dir, e))?;
    if entries.next().is_none() {
        return Ok(Existing::EmptyDir);
    }
    Err(OciError::NotALayout {
        path: dir.to_path_buf(),
    })
}

/// Writes the layout's files into the (empty) directory `root`.
fn fill(image: &BuiltImage, root: &Path) -> Result<(), OciError> {
    write_file(&root.join("oci-layout"), OCI_LAYOUT)?;
    write_file(&root.join("index.json"), image.layout_index_json())?;
    let blobs = root.join("blobs");
    let sha256 = blobs.join("sha256");
    fs::create_dir_all(&sha256).map_err(|e| OciError::io("creating", &sha256, e))?;
    for (digest, blob) in image.blobs() {
        let dest = blob_file(root, digest);
        match blob {
            Blob::Json(bytes) => write_file(&dest, bytes)?,
            Blob::File { path, size } => {
                check_blob_size(path, *size)?;
                let copied = fs::copy(path, &dest).map_err(|e| {
                    OciError::io(format!("copying {} to", path.display()), &dest, e)
                })?;
                if copied != *size {
                    return Err(OciError::SizeMismatch {
                        path: path.clone(),
                        expected: *size,
                        actual: copied,
                    });
                }
                set_mode(&dest, FILE_MODE)?;
                sync_path(&dest)?;
            }
        }
    }
    for d in [&sha256, &blobs] {
        set_mode(d, DIR_MODE)?;
        sync_path(d)?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OciError> {
    let mut file = File::create(path).map_err(|e| OciError::io("creating", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| OciError::io("writing", path, e))?;
    set_mode(path, FILE_MODE)
}
