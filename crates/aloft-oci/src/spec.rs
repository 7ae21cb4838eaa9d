//! What the caller hands in: layers already on disk and the settings of each image.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::{Digest, ImageRef, Platform};

/// How a layer blob is compressed, which decides its OCI media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerMediaType {
    /// `application/vnd.oci.image.layer.v1.tar+gzip`: loads everywhere.
    Gzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`: smaller and faster to decompress;
    /// Docker loads it from 23.0, containerd from 1.5; podman 4.3 and skopeo 1.9 take it.
    Zstd,
}

impl LayerMediaType {
    /// The OCI media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerMediaType::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            LayerMediaType::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// One compressed layer blob already written to disk by the assembler.
///
/// The writer trusts `digest` and `diff_id` (the assembler computed them while compressing)
/// and checks only that the file holds `size` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The compressed blob file; it is streamed, never read whole into memory.
    pub path: PathBuf,
    /// sha256 of the compressed file.
    pub digest: Digest,
    /// sha256 of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: Digest,
    /// Size of the compressed file in bytes.
    pub size: u64,
    /// Its compression.
    pub media_type: LayerMediaType,
    /// The history line shown by `docker history` (`created_by`).
    pub created_by: String,
}

/// The runtime defaults of an image (the config's `config` object).
///
/// Empty lists, sets and maps are left out of the JSON; `entrypoint` and `cmd` are written
/// exactly as given when `Some`, so `Some(vec![])` clears a default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `User`: a name or uid, optionally `:group`.
    pub user: Option<String>,
    /// `Env`: `NAME=value` entries, in order.
    pub env: Vec<String>,
    /// `Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`.
    pub cmd: Option<Vec<String>>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// `Volumes`: absolute paths.
    pub volumes: BTreeSet<String>,
    /// `ExposedPorts`: `port/tcp` or `port/udp`.
    pub exposed_ports: BTreeSet<String>,
    /// `StopSignal`, such as `SIGQUIT`.
    pub stop_signal: Option<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
}

/// The image of one platform: its config, its layers (bottom first) and its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformImage {
    /// The platform, written in the config and in the index's descriptor.
    pub platform: Platform,
    /// Runtime defaults.
    pub config: ImageConfig,
    /// Layers, bottom first; each gets one history entry.
    pub layers: Vec<Layer>,
    /// Seconds since 1970 (SOURCE_DATE_EPOCH): the config's `created` and every history
    /// entry's `created`, in RFC 3339 UTC.
    pub created_epoch: i64,
    /// Annotations of this platform's manifest.
    pub annotations: BTreeMap<String, String>,
}

/// A whole image: one [`PlatformImage`] per platform under one image index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// The platform images, in the order the index lists them.
    pub images: Vec<PlatformImage>,
    /// The name the image gets when loaded (`docker load`, `podman load`), if any.
    pub tag: Option<ImageRef>,
    /// Annotations of the image index.
    pub annotations: BTreeMap<String, String>,
    /// Documents attached to platform manifests (SBOMs), as OCI 1.1 referrers.
    pub artifacts: Vec<Artifact>,
}

/// A document about one platform's image (an SBOM): written as an artifact manifest
/// whose `subject` is that platform's manifest (an OCI 1.1 referrer), and listed in the
/// image index, so that copying the index (`skopeo copy --all`) carries it. Clients that
/// pick a platform skip it: its descriptor has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The platform whose manifest it is about.
    pub subject: crate::Platform,
    /// Its media type, also the manifest's `artifactType` (`application/spdx+json`).
    pub artifact_type: String,
    /// Its file name (`org.opencontainers.image.title`).
    pub title: String,
    /// Its bytes.
    pub data: Vec<u8>,
}
