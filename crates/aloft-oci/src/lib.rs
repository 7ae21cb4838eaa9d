//! OCI image writer: layer blobs already on disk plus an image config per platform in,
//! an OCI image layout directory or an oci-archive tar out, the same bytes on every run.
//! Knows nothing about Debian.
//!
//! [`build`] computes every JSON document and digest in memory from an [`ImageSpec`];
//! [`write_layout_dir`] and [`write_archive`] then write them and stream the layer files.
//!
//! # Shape of the output
//!
//! ```text
//! oci-layout                    {"imageLayoutVersion":"1.0.0"}
//! index.json                    one descriptor -> the image index, with the name annotations
//! manifest.json                 (archive only) Docker's legacy manifest for one platform
//! blobs/sha256/<image index>    one manifest descriptor per platform, with `platform`
//! blobs/sha256/<manifest>...    config + layer descriptors, per platform
//! blobs/sha256/<config>...      os/architecture/variant, config, rootfs.diff_ids, history
//! blobs/sha256/<layer>...       each blob once, even when platforms share it
//! ```
//!
//! The per-platform manifests sit in an image index *blob*, which `index.json` points to,
//! rather than in `index.json` itself (the shape buildkit, containerd and Docker 25+ write):
//! - the image index then has a digest, [`BuiltImage::index_digest`], which is the digest
//!   a registry shows after `skopeo copy --all` and what a reproducibility check compares;
//! - skopeo and podman resolve `oci-archive:x.tar` to the one entry of `index.json` and
//!   then pick a platform from the index; with several manifests directly in `index.json`
//!   they stop with "more than one image" or take the first match of a name regardless of
//!   its platform.
//!
//! # Names
//!
//! With a tag, the `index.json` descriptor carries `io.containerd.image.name` = the fully
//! normalized name (`docker.io/library/php-cli:8.4` for `php-cli:8.4`; a name with a
//! registry host keeps it) and `org.opencontainers.image.ref.name` = the tag alone (`8.4`).
//! The tag alone is what the OCI image-layout spec means by a reference name and what
//! containerd's and buildkit's exporters write; `skopeo inspect oci-archive:x.tar:8.4`
//! selects by it. Podman (4.3) loads the tar as an OCI archive first, takes the name from
//! `io.containerd.image.name` (`docker.io/library/php-cli:8.4`) and picks the host's
//! platform from the index. The archive's `manifest.json` carries the familiar name
//! (`php-cli:8.4`) in `RepoTags`: Docker's classic store (20.10) reads only that file, and
//! podman falls back to it when the index has no image for the host's platform (it then
//! names the image `localhost/php-cli:8.4`).
//!
//! # Canonical JSON
//!
//! Documents are built with oci-spec's types, serialized to a `serde_json::Value`, their
//! object keys sorted recursively (the workspace enables serde_json's `preserve_order`,
//! so this is done explicitly) and written compactly. Platforms go in as
//! `Arch::Other`/`Os::Other` so their spelling reaches the JSON verbatim: oci-spec's own
//! string mapping is lossy (`armbe` parses to `arm64be`).
//!
//! # Why not `ocidir`
//!
//! The `ocidir` crate needs OpenSSL and writes blobs through its own buffered API rather
//! than streaming files we already have; this crate copies or streams the assembler's
//! layer files as they are, and writes everything through an atomic rename.

mod archive;
mod build;
mod digest;
mod error;
mod layout;
mod output;
mod platform;
mod push;
mod reference;
mod referrers;
mod report;
mod spec;

pub use archive::write_archive;
pub use build::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, BuiltArtifact, BuiltImage, BuiltManifest, build,
    canonical_json,
};
pub use digest::Digest;
pub use error::OciError;
pub use layout::write_layout_dir;
pub use platform::{Platform, platform_for_debian_arch};
pub use push::{
    BlobSource, MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, PushBlob, PushManifest, PushPlan,
};
pub use reference::ImageRef;
pub use referrers::{AttachedDocument, attached_documents};
pub use report::{AttachedEntry, DigestReport, Expected, LayerEntry, PlatformEntry, mismatch};
pub use spec::{Artifact, ImageConfig, ImageSpec, Layer, LayerMediaType, PlatformImage};
