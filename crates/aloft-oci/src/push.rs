//! What a registry needs of a [`BuiltImage`], in the order it needs it: every blob
//! (configs, layers, SBOM documents) before the manifests that name them, the platform
//! manifests before the artifact manifests whose `subject` they are, the image index last.

use std::path::Path;

use crate::build::Blob;
use crate::{BuiltImage, Digest};

/// Media type of an OCI image manifest.
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Where a blob's bytes are.
#[derive(Clone, Copy, Debug)]
pub enum BlobSource<'a> {
    /// In memory (a JSON document).
    Bytes(&'a [u8]),
    /// A layer file; it must still hold `size` bytes.
    File(&'a Path),
}

/// A blob to push (`/v2/<name>/blobs/`).
#[derive(Clone, Debug)]
pub struct PushBlob<'a> {
    /// Its digest.
    pub digest: &'a Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its bytes.
    pub source: BlobSource<'a>,
}

/// A manifest or index to push (`/v2/<name>/manifests/`), as the exact bytes built.
#[derive(Clone, Debug)]
pub struct PushManifest<'a> {
    /// Its digest.
    pub digest: &'a Digest,
    /// Its media type (the `Content-Type` of the PUT).
    pub media_type: &'static str,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// For an artifact manifest: the digest of the manifest it is about.
    pub subject: Option<&'a Digest>,
    /// For an artifact manifest: its `artifactType`.
    pub artifact_type: Option<&'a str>,
}

/// Everything to push for one image.
#[derive(Clone, Debug)]
pub struct PushPlan<'a> {
    /// Blobs, each once, sorted by digest.
    pub blobs: Vec<PushBlob<'a>>,
    /// Platform manifests, then artifact manifests, then the image index (the last
    /// entry, and the one tags point at).
    pub manifests: Vec<PushManifest<'a>>,
}

impl BuiltImage {
    /// The blobs and manifests to push, in an order a registry accepts.
    pub fn push_plan(&self) -> PushPlan<'_> {
        let manifest_digests: Vec<&Digest> = self
            .manifests
            .iter()
            .map(|m| &m.digest)
            .chain(self.artifacts.iter().map(|a| &a.digest))
            .chain([&self.index_digest])
            .collect();
        let blobs = self
            .blobs
            .iter()
            .filter(|(digest, _)| !manifest_digests.contains(digest))
            .map(|(digest, blob)| PushBlob {
                digest,
                size: blob.size(),
                source: match blob {
                    Blob::Json(bytes) => BlobSource::Bytes(bytes),
                    Blob::File { path, .. } => BlobSource::File(path),
                },
            })
            .collect();
        let json = |digest: &Digest| -> &[u8] { self.json_blob(digest).unwrap_or_default() };
        let mut manifests: Vec<PushManifest<'_>> = self
            .manifests
            .iter()
            .map(|m| PushManifest {
                digest: &m.digest,
                media_type: MEDIA_TYPE_MANIFEST,
                bytes: json(&m.digest),
                subject: None,
                artifact_type: None,
            })
            .collect();
        for artifact in &self.artifacts {
            let subject = self
                .manifests
                .iter()
                .find(|m| m.platform == artifact.subject)
                .map(|m| &m.digest);
            manifests.push(PushManifest {
                digest: &artifact.digest,
                media_type: MEDIA_TYPE_MANIFEST,
                bytes: json(&artifact.digest),
                subject,
                artifact_type: Some(&artifact.artifact_type),
            });
        }
        manifests.push(PushManifest {
            digest: &self.index_digest,
            media_type: MEDIA_TYPE_INDEX,
            bytes: json(&self.index_digest),
            subject: None,
            artifact_type: None,
        });
        PushPlan { blobs, manifests }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageConfig, ImageSpec, Layer, LayerMediaType, Platform, PlatformImage};

    #[test]
    fn every_blob_comes_before_the_manifests_and_the_index_is_last() {
        let dir = tempfile::tempdir().unwrap();
        let layer = dir.path().join("layer");
        std::fs::write(&layer, b"layer bytes").unwrap();
        let platform = Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        };
        let spec = ImageSpec {
            images: vec![PlatformImage {
                platform: platform.clone(),
                config: ImageConfig::default(),
                layers: vec![Layer {
                    path: layer.clone(),
                    digest: Digest::of_bytes(b"layer bytes"),
                    diff_id: Digest::of_bytes(b"diff"),
                    size: 11,
                    media_type: LayerMediaType::Gzip,
                    created_by: "test".into(),
                }],
                created_epoch: 0,
                annotations: Default::default(),
            }],
            tag: None,
            annotations: Default::default(),
            artifacts: vec![crate::Artifact {
                subject: platform,
                artifact_type: "application/spdx+json".into(),
                title: "sbom.spdx.json".into(),
                data: b"{\"spdx\":1}".to_vec(),
            }],
        };
        let image = crate::build(&spec).unwrap();
        let plan = image.push_plan();
        // config, layer, the empty config of the artifact, the SBOM document
        assert_eq!(plan.blobs.len(), 4);
        assert!(
            plan.blobs
                .iter()
                .any(|b| matches!(b.source, BlobSource::File(p) if p == layer))
        );
        assert_eq!(plan.manifests.len(), 3);
        assert_eq!(plan.manifests[0].digest, &image.manifests()[0].digest);
        assert_eq!(
            plan.manifests[1].subject,
            Some(&image.manifests()[0].digest)
        );
        assert_eq!(
            plan.manifests[1].artifact_type,
            Some("application/spdx+json")
        );
        let index = plan.manifests.last().unwrap();
        assert_eq!(index.digest, image.index_digest());
        assert_eq!(index.media_type, MEDIA_TYPE_INDEX);
        assert_eq!(Digest::of_bytes(index.bytes), *image.index_digest());
        for m in &plan.manifests {
            assert_eq!(Digest::of_bytes(m.bytes), *m.digest);
            assert!(!plan.blobs.iter().any(|b| b.digest == m.digest));
        }
    }
}
