//! From an [`ImageSpec`] to every JSON document and digest of the image, in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Arch, ConfigBuilder, Descriptor, HistoryBuilder, ImageConfigurationBuilder, ImageIndexBuilder,
    ImageManifestBuilder, MediaType, Os, PlatformBuilder, RootFsBuilder,
};
use serde::Serialize;
use serde_json::Value;

use crate::{Digest, ImageSpec, OciError, Platform, PlatformImage};

/// Annotation containerd, Docker 25+, buildkit and podman read the full image name from.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// The OCI image-layout annotation naming a descriptor of `index.json`: the tag alone.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where a blob's bytes come from.
#[derive(Clone, Debug)]
pub(crate) enum Blob {
    /// A JSON document built here.
    Json(Vec<u8>),
    /// A layer file written by the assembler.
    File { path: PathBuf, size: u64 },
}

impl Blob {
    pub(crate) fn size(&self) -> u64 {
        match self {
            Blob::Json(bytes) => bytes.len() as u64,
            Blob::File { size, .. } => *size,
        }
    }
}

/// The manifest of one platform in a [`BuiltImage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltManifest {
    /// Its platform.
    pub platform: Platform,
    /// Digest of the manifest blob (what `docker pull NAME@<digest>` on that platform gets).
    pub digest: Digest,
    /// Size of the manifest blob.
    pub size: u64,
    /// Digest of the config blob: the image ID Docker shows after loading this platform.
    pub config_digest: Digest,
    /// Digests of the layer blobs, bottom first.
    pub layer_digests: Vec<Digest>,
}

/// An artifact manifest in a [`BuiltImage`] (an SBOM attached to a platform).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltArtifact {
    /// The platform whose manifest is its subject.
    pub subject: Platform,
    /// Its `artifactType`.
    pub artifact_type: String,
    /// Digest of the artifact manifest.
    pub digest: Digest,
    /// Size of the artifact manifest.
    pub size: u64,
    /// Digest of the document itself.
    pub data: Digest,
}

/// Every document and digest of an image, computed by [`build`]; the layers stay on disk
/// until [`write_layout_dir`](crate::write_layout_dir) or
/// [`write_archive`](crate::write_archive) streams them.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    pub(crate) index_digest: Digest,
    pub(crate) artifacts: Vec<BuiltArtifact>,
    pub(crate) index_size: u64,
    pub(crate) layout_index: Vec<u8>,
    pub(crate) manifests: Vec<BuiltManifest>,
    pub(crate) blobs: BTreeMap<Digest, Blob>,
    pub(crate) tag: Option<crate::ImageRef>,
    pub(crate) mtime: u64,
}

impl BuiltImage {
    /// Digest of the image index blob: the image's digest, the one a registry shows after
    /// `skopeo copy --all` and the one `--expect-digest` compares.
    pub fn index_digest(&self) -> &Digest {
        &self.index_digest
    }

    /// Size of the image index blob.
    pub fn index_size(&self) -> u64 {
        self.index_size
    }

    /// One manifest per platform, in the spec's order.
    pub fn manifests(&self) -> &[BuiltManifest] {
        &self.manifests
    }

    /// The artifact manifests (SBOMs), in the spec's order.
    pub fn artifacts(&self) -> &[BuiltArtifact] {
        &self.artifacts
    }

    /// The layout's top-level `index.json`: one descriptor pointing at the image index,
    /// carrying the name annotations when the spec has a tag.
    pub fn layout_index_json(&self) -> &[u8] {
        &self.layout_index
    }

    /// A JSON blob (image index, manifest or config) by digest; `None` for layers and
    /// unknown digests.
    pub fn json_blob(&self, digest: &Digest) -> Option<&[u8]> {
        match self.blobs.get(digest) {
            Some(Blob::Json(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// The tag the image is named with, if any.
    pub fn tag(&self) -> Option<&crate::ImageRef> {
        self.tag.as_ref()
    }

    /// The mtime of every archive entry: the newest `created_epoch` of the images,
    /// clamped to what a tar header holds (0 to 8^11 - 1).
    pub fn archive_mtime(&self) -> u64 {
        self.mtime
    }

    /// Every blob, sorted by digest.
    pub(crate) fn blobs(&self) -> impl Iterator<Item = (&Digest, &Blob)> {
        self.blobs.iter()
    }
}

/// Serializes `value` as canonical JSON: object keys sorted recursively (by code point),
/// no insignificant whitespace.
///
/// The workspace enables serde_json's `preserve_order`, so `Value` maps keep insertion
/// order and the sort has to be done here.
pub fn canonical_json<T: Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, OciError> {
    let value = serde_json::to_value(value).map_err(|source| OciError::Json { what, source })?;
    serde_json::to_vec(&sorted(value)).map_err(|source| OciError::Json { what, source })
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Builds the config, manifest and index of every platform, and the layout's `index.json`,
/// as canonical JSON, with their digests. Reads no file.
///
/// Errors when the spec has no image, two images of one platform, a timestamp out of the
/// RFC 3339 range, or one blob digest given with two sizes.
pub fn build(spec: &ImageSpec) -> Result<BuiltImage, OciError> {
    if spec.images.is_empty() {
        return Err(OciError::NoImages);
    }
    let mut blobs = BlobSet::default();
    let mut manifests = Vec::with_capacity(spec.images.len());
    let mut descriptors = Vec::with_capacity(spec.images.len());
    for (i, image) in spec.images.iter().enumerate() {
        if spec.images[..i]
            .iter()
            .any(|o| o.platform == image.platform)
        {
            return Err(OciError::DuplicatePlatform(image.platform.to_string()));
        }
        let built = build_platform(image, &mut blobs)?;
        let mut platform = PlatformBuilder::default()
            .os(Os::Other(image.platform.os.clone()))
            .architecture(Arch::Other(image.platform.architecture.clone()))
            .build()
            .map_err(|e| spec_error("platform", e))?;
        platform.set_variant(image.platform.variant.clone());
        let mut descriptor = descriptor(MediaType::ImageManifest, &built.digest, built.size)?;
        descriptor.set_platform(Some(platform));
        descriptors.push(descriptor);
        manifests.push(built);
    }

    let mut artifacts = Vec::with_capacity(spec.artifacts.len());
    for artifact in &spec.artifacts {
        let (subject, created) = spec
            .images
            .iter()
            .zip(&manifests)
            .find(|(image, _)| image.platform == artifact.subject)
            .map(|(image, built)| (built, image.created_epoch))
            .ok_or_else(|| OciError::NoSubject(artifact.subject.to_string()))?;
        let built = build_artifact(artifact, subject, created, &mut blobs)?;
        // No `artifactType` on this descriptor (it is optional; the manifest has it):
        // skopeo 1.9 drops the field it does not know when it copies the index, and the
        // index would then have another digest in the registry than here.
        descriptors.push(descriptor(
            MediaType::ImageManifest,
            &built.digest,
            built.size,
        )?);
        artifacts.push(built);
    }

    let mut index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(descriptors)
        .build()
        .map_err(|e| spec_error("image index", e))?;
    if !spec.annotations.is_empty() {
        index.set_annotations(Some(to_hash_map(&spec.annotations)));
    }
    let index_json = canonical_json(&index, "image index")?;
    let index_digest = Digest::of_bytes(&index_json);
    let index_size = index_json.len() as u64;
    blobs.insert(index_digest.clone(), Blob::Json(index_json))?;

    let mut entry = descriptor(MediaType::ImageIndex, &index_digest, index_size)?;
    if let Some(tag) = &spec.tag {
        entry.set_annotations(Some(HashMap::from([
            (ANNOTATION_IMAGE_NAME.to_owned(), tag.normalized()),
            (ANNOTATION_REF_NAME.to_owned(), tag.tag().to_owned()),
        ])));
    }
    let layout = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![entry])
        .build()
        .map_err(|e| spec_error("index.json", e))?;
    let layout_index = canonical_json(&layout, "index.json")?;

    let newest = spec
        .images
        .iter()
        .map(|i| i.created_epoch)
        .max()
        .unwrap_or(0);
    let mtime = u64::try_from(newest).unwrap_or(0).min(0o77_777_777_777);
    Ok(BuiltImage {
        index_digest,
        index_size,
        layout_index,
        manifests,
        artifacts,
        blobs: blobs.0,
        tag: spec.tag.clone(),
        mtime,
    })
}

/// Config and manifest of one platform; both go into `blobs`, and so do its layers.
fn build_platform(image: &PlatformImage, blobs: &mut BlobSet) -> Result<BuiltManifest, OciError> {
    let created = rfc3339(image.created_epoch)?;
    let c = &image.config;
    let mut runtime = ConfigBuilder::default()
        .build()
        .map_err(|e| spec_error("image config", e))?;
    runtime.set_user(c.user.clone());
    runtime.set_env(non_empty(c.env.clone()));
    runtime.set_entrypoint(c.entrypoint.clone());
    runtime.set_cmd(c.cmd.clone());
    runtime.set_working_dir(c.working_dir.clone());
    runtime.set_volumes(non_empty(c.volumes.iter().cloned().collect()));
    runtime.set_exposed_ports(non_empty(c.exposed_ports.iter().cloned().collect()));
    runtime.set_stop_signal(c.stop_signal.clone());
    if !c.labels.is_empty() {
        runtime.set_labels(Some(to_hash_map(&c.labels)));
    }

    let mut history = Vec::with_capacity(image.layers.len());
    for layer in &image.layers {
        history.push(
            HistoryBuilder::default()
                .created(created.clone())
                .created_by(layer.created_by.clone())
                .build()
                .map_err(|e| spec_error("image config history", e))?,
        );
    }
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(
            image
                .layers
                .iter()
                .map(|l| l.diff_id.to_string())
                .collect::<Vec<_>>(),
        )
        .build()
        .map_err(|e| spec_error("image config rootfs", e))?;
    let mut config = ImageConfigurationBuilder::default()
        .created(created)
        .os(Os::Other(image.platform.os.clone()))
        .architecture(Arch::Other(image.platform.architecture.clone()))
        .config(runtime)
        .rootfs(rootfs)
        .history(history)
        .build()
        .map_err(|e| spec_error("image config", e))?;
    config.set_variant(image.platform.variant.clone());
    let config_json = canonical_json(&config, "image config")?;
    let config_digest = Digest::of_bytes(&config_json);
    let config_size = config_json.len() as u64;
    blobs.insert(config_digest.clone(), Blob::Json(config_json))?;

    let mut layers = Vec::with_capacity(image.layers.len());
    for layer in &image.layers {
        let media_type = MediaType::from(layer.media_type.as_str());
        layers.push(descriptor(media_type, &layer.digest, layer.size)?);
        blobs.insert(
            layer.digest.clone(),
            Blob::File {
                path: layer.path.clone(),
                size: layer.size,
            },
        )?;
    }
    let mut manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(
            MediaType::ImageConfig,
            &config_digest,
            config_size,
        )?)
        .layers(layers)
        .build()
        .map_err(|e| spec_error("image manifest", e))?;
    if !image.annotations.is_empty() {
        manifest.set_annotations(Some(to_hash_map(&image.annotations)));
    }
    let manifest_json = canonical_json(&manifest, "image manifest")?;
    let digest = Digest::of_bytes(&manifest_json);
    let size = manifest_json.len() as u64;
    blobs.insert(digest.clone(), Blob::Json(manifest_json))?;
    Ok(BuiltManifest {
        platform: image.platform.clone(),
        digest,
        size,
        config_digest,
        layer_digests: image.layers.iter().map(|l| l.digest.clone()).collect(),
    })
}

/// The empty JSON object, the config of an artifact manifest.
const EMPTY_JSON: &[u8] = b"{}";

/// An artifact's manifest, its empty config and its data go into `blobs`.
fn build_artifact(
    artifact: &crate::Artifact,
    subject: &BuiltManifest,
    created_epoch: i64,
    blobs: &mut BlobSet,
) -> Result<BuiltArtifact, OciError> {
    let empty = Digest::of_bytes(EMPTY_JSON);
    blobs.insert(empty.clone(), Blob::Json(EMPTY_JSON.to_vec()))?;
    let data = Digest::of_bytes(&artifact.data);
    blobs.insert(data.clone(), Blob::Json(artifact.data.clone()))?;
    let mut layer = descriptor(
        MediaType::from(artifact.artifact_type.as_str()),
        &data,
        artifact.data.len() as u64,
    )?;
    layer.set_annotations(Some(HashMap::from([(
        "org.opencontainers.image.title".to_owned(),
        artifact.title.clone(),
    )])));
    let mut config = descriptor(MediaType::EmptyJSON, &empty, EMPTY_JSON.len() as u64)?;
    config.set_data(Some("e30=".to_owned()));
    let mut manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .artifact_type(MediaType::from(artifact.artifact_type.as_str()))
        .config(config)
        .layers(vec![layer])
        .subject(descriptor(
            MediaType::ImageManifest,
            &subject.digest,
            subject.size,
        )?)
        .build()
        .map_err(|e| spec_error("artifact manifest", e))?;
    manifest.set_annotations(Some(HashMap::from([(
        "org.opencontainers.image.created".to_owned(),
        rfc3339(created_epoch)?,
    )])));
    let json = canonical_json(&manifest, "artifact manifest")?;
    let digest = Digest::of_bytes(&json);
    let size = json.len() as u64;
    blobs.insert(digest.clone(), Blob::Json(json))?;
    Ok(BuiltArtifact {
        subject: subject.platform.clone(),
        artifact_type: artifact.artifact_type.clone(),
        digest,
        size,
        data,
    })
}

/// The blobs of an image by digest; one digest may come in twice (a layer shared by two
/// platforms) but only with one size.
#[derive(Default)]
struct BlobSet(BTreeMap<Digest, Blob>);

impl BlobSet {
    fn insert(&mut self, digest: Digest, blob: Blob) -> Result<(), OciError> {
        if let Some(existing) = self.0.get(&digest) {
            if existing.size() != blob.size() {
                return Err(OciError::ConflictingBlob {
                    digest: digest.to_string(),
                    first: existing.size(),
                    second: blob.size(),
                });
            }
            return Ok(());
        }
        self.0.insert(digest, blob);
        Ok(())
    }
}

fn descriptor(media_type: MediaType, digest: &Digest, size: u64) -> Result<Descriptor, OciError> {
    let digest: oci_spec::image::Digest = digest
        .as_str()
        .parse()
        .map_err(|e| spec_error("descriptor", e))?;
    Ok(Descriptor::new(media_type, size, digest))
}

fn rfc3339(epoch: i64) -> Result<String, OciError> {
    aloft_fs::rfc3339_of_epoch(epoch).ok_or(OciError::Timestamp(epoch))
}

fn non_empty(items: Vec<String>) -> Option<Vec<String>> {
    (!items.is_empty()).then_some(items)
}

fn to_hash_map(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn spec_error(what: &'static str, error: impl std::fmt::Display) -> OciError {
    OciError::Spec {
        what,
        message: error.to_string(),
    }
}

/// `blobs/sha256/<hex>`: where a blob lives in a layout.
pub(crate) fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// A path for error messages: the blob file of `digest` under `root`.
pub(crate) fn blob_file(root: &Path, digest: &Digest) -> PathBuf {
    root.join(blob_path(digest))
}
