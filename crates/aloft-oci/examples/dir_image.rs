//! Packs a directory into one gzip layer and writes it as an oci-archive tar and an OCI
//! layout directory, for trying the output with docker, podman, skopeo and umoci by hand.
//!
//! ```text
//! cargo run -p aloft-oci --example dir_image -- ROOTFS NAME:TAG OUT.tar LAYOUT_DIR \
//!     [ENTRYPOINT] [DEBIAN_ARCH...]
//! ```
//!
//! Every DEBIAN_ARCH (default amd64) gets the same layer: enough to check names and
//! platform selection, though only the host's architecture will run.
#![allow(clippy::print_stdout)] // an example reports what it wrote

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aloft_oci::{
    Digest, ImageConfig, ImageRef, ImageSpec, Layer, LayerMediaType, PlatformImage, build,
    platform_for_debian_arch, write_archive, write_layout_dir,
};
use sha2::{Digest as _, Sha256};

/// Writes through to `inner` while hashing.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        out.push(
            path.strip_prefix(root)
                .map_err(io::Error::other)?
                .to_path_buf(),
        );
        if fs::symlink_metadata(&path)?.is_dir() {
            walk(root, &path, out)?;
        }
    }
    Ok(())
}

fn layer(root: &Path, blob: &Path) -> Result<Layer, Box<dyn std::error::Error>> {
    let file = fs::File::create(blob)?;
    let compressed = Hashing {
        inner: file,
        hash: Sha256::new(),
        len: 0,
    };
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(compressed, flate2::Compression::new(6));
    let uncompressed = Hashing {
        inner: gz,
        hash: Sha256::new(),
        len: 0,
    };
    let mut tar = tar::Builder::new(uncompressed);
    let mut paths = Vec::new();
    walk(root, root, &mut paths)?;
    for rel in paths {
        let meta = fs::symlink_metadata(root.join(&rel))?;
        let mut h = tar::Header::new_ustar();
        h.set_mode(meta.permissions().mode() & 0o7777);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        if meta.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            tar.append_data(&mut h, &rel, io::empty())?;
        } else {
            h.set_size(meta.len());
            tar.append_data(&mut h, &rel, fs::File::open(root.join(&rel))?)?;
        }
    }
    let uncompressed = tar.into_inner()?;
    let diff_id = Digest::from_sha256(uncompressed.hash.finalize().into());
    let mut compressed = uncompressed.inner.finish()?;
    compressed.flush()?;
    compressed.inner.sync_all()?;
    Ok(Layer {
        path: blob.to_path_buf(),
        digest: Digest::from_sha256(compressed.hash.finalize().into()),
        diff_id,
        size: compressed.len,
        media_type: LayerMediaType::Gzip,
        created_by: format!("dir_image {}", root.display()),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, tag, archive, layout, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: dir_image ROOTFS NAME:TAG OUT.tar LAYOUT_DIR [ENTRYPOINT] [ARCH...]".into(),
        );
    };
    let (entrypoint, archs) = match rest {
        [entry, archs @ ..] => (Some(vec![entry.clone()]), archs.to_vec()),
        [] => (None, Vec::new()),
    };
    let archs = if archs.is_empty() {
        vec!["amd64".to_owned()]
    } else {
        archs
    };
    let blob = Path::new(archive).with_extension("layer.tar.gz");
    let layer = layer(Path::new(root), &blob)?;
    let mut images = Vec::new();
    for arch in &archs {
        images.push(PlatformImage {
            platform: platform_for_debian_arch(arch).ok_or(format!("unknown arch {arch}"))?,
            config: ImageConfig {
                env: vec!["PATH=/usr/bin:/bin".into()],
                entrypoint: entrypoint.clone(),
                ..ImageConfig::default()
            },
            layers: vec![layer.clone()],
            created_epoch: 1_700_000_000,
            annotations: BTreeMap::new(),
        });
    }
    let spec = ImageSpec {
        images,
        tag: Some(ImageRef::parse(tag)?),
        annotations: BTreeMap::new(),
        artifacts: Vec::new(),
    };
    let image = build(&spec)?;
    write_archive(&image, Path::new(archive), None)?;
    write_layout_dir(&image, Path::new(layout))?;
    fs::remove_file(&blob)?;
    println!("image index {}", image.index_digest());
    for m in image.manifests() {
        println!(
            "{}: manifest {} config {}",
            m.platform, m.digest, m.config_digest
        );
    }
    Ok(())
}
