//! The oci-archive tar: an OCI layout in one tar, plus Docker's legacy `manifest.json`.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use aloft_fs::AtomicFile;
use serde::Serialize;
use tar::{EntryType, Header};

use crate::build::{Blob, BuiltManifest, blob_path, canonical_json};
use crate::layout::OCI_LAYOUT;
use crate::output::{
    DIR_MODE, ExactReader, FILE_MODE, check_blob_size, parent_and_name, sync_path,
};
use crate::{BuiltImage, OciError, Platform};

/// One entry of Docker's `manifest.json` (the `docker save` format Docker 20.10 loads).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

/// Writes `image` as one tar at `out` that is both an OCI image layout (`oci-archive:`
/// for skopeo and podman) and a Docker archive: its `manifest.json` names the config and
/// layer blobs of one platform, `docker_platform` if given (a platform without variant
/// matches any variant), else the first image, with the tag in `RepoTags` (`[]` without
/// one). `docker load` reads only that file.
///
/// The tar is deterministic: entries `oci-layout`, `index.json`, `manifest.json`,
/// `blobs/`, `blobs/sha256/`, then each blob once, sorted by digest; ustar headers with
/// uid/gid 0, no user or group names, mode 0644 (files) and 0755 (directories), and one
/// mtime, [`BuiltImage::archive_mtime`]. Layer files are streamed, never read whole.
///
/// Written to a temporary file in `out`'s directory, synced, made mode 0644 and renamed
/// over `out`; on any error the temporary file is removed. `out`'s directory must exist.
pub fn write_archive(
    image: &BuiltImage,
    out: &Path,
    docker_platform: Option<&Platform>,
) -> Result<(), OciError> {
    let manifest = docker_manifest_for(image, docker_platform)?;
    let docker = DockerManifest {
        config: blob_path(&manifest.config_digest),
        repo_tags: image.tag().map(|t| t.familiar()).into_iter().collect(),
        layers: manifest.layer_digests.iter().map(blob_path).collect(),
    };
    let docker_json = canonical_json(&[docker], "Docker manifest.json")?;

    let (parent, _) = parent_and_name(out)?;
    if out.is_dir() {
        return Err(OciError::OutputIsDirectory {
            path: out.to_path_buf(),
        });
    }
    let tmp = AtomicFile::create(out)
        .map_err(|e| OciError::io("creating a temporary file in", &parent, e))?;
    let write_err = |e| OciError::io("writing", out, e);

    let mut tar = tar::Builder::new(BufWriter::with_capacity(1 << 20, tmp.file()));
    let mtime = image.archive_mtime();
    let small_files: [(&str, &[u8]); 3] = [
        ("oci-layout", OCI_LAYOUT),
        ("index.json", image.layout_index_json()),
        ("manifest.json", &docker_json),
    ];
    for (path, bytes) in small_files {
        let header = header(path, EntryType::Regular, bytes.len() as u64, mtime)?;
        tar.append(&header, bytes).map_err(write_err)?;
    }
    for dir in ["blobs/", "blobs/sha256/"] {
        let header = header(dir, EntryType::Directory, 0, mtime)?;
        tar.append(&header, std::io::empty()).map_err(write_err)?;
    }
    for (digest, blob) in image.blobs() {
        let path = blob_path(digest);
        let header = header(&path, EntryType::Regular, blob.size(), mtime)?;
        match blob {
            Blob::Json(bytes) => tar.append(&header, bytes.as_slice()).map_err(write_err)?,
            Blob::File { path, size } => {
                check_blob_size(path, *size)?;
                let file = File::open(path)
                    .map_err(|e| OciError::io("opening layer blob", path.as_path(), e))?;
                // tar copies through an 8 KiB buffer: read the file in 1 MiB pieces
                // (a 120 MB image was about 15,000 read calls).
                let mut reader =
                    ExactReader::new(std::io::BufReader::with_capacity(1 << 20, file), *size);
                if let Err(e) = tar.append(&header, &mut reader) {
                    if reader.short {
                        return Err(OciError::SizeMismatch {
                            path: path.clone(),
                            expected: *size,
                            actual: reader.read,
                        });
                    }
                    return Err(OciError::io(
                        format!("streaming layer blob {} into", path.display()),
                        out,
                        e,
                    ));
                }
            }
        }
    }
    let buffered = tar.into_inner().map_err(write_err)?;
    // Flushes the buffer; the file is synced by the commit.
    buffered
        .into_inner()
        .map_err(|e| write_err(e.into_error()))?;
    tmp.commit(FILE_MODE)
        .map_err(|e| OciError::io("renaming the finished archive to", out, e))?;
    sync_path(&parent)
}

fn docker_manifest_for<'a>(
    image: &'a BuiltImage,
    platform: Option<&Platform>,
) -> Result<&'a BuiltManifest, OciError> {
    let found = match platform {
        None => image.manifests().first(),
        Some(wanted) => image
            .manifests()
            .iter()
            .find(|m| wanted.selects(&m.platform)),
    };
    found.ok_or_else(|| OciError::PlatformNotFound {
        requested: platform.map_or_else(|| "(first)".to_owned(), |p| p.to_string()),
        available: image
            .manifests()
            .iter()
            .map(|m| m.platform.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// A ustar header with nothing host-dependent in it.
fn header(path: &str, kind: EntryType, size: u64, mtime: u64) -> Result<Header, OciError> {
    let mut header = Header::new_ustar();
    header
        .set_path(path)
        .map_err(|e| OciError::io("naming a tar entry", path, e))?;
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(if kind == EntryType::Directory {
        DIR_MODE
    } else {
        FILE_MODE
    });
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_cksum();
    Ok(header)
}
