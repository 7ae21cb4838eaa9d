//! The registry as a fleet's layer cache. A package layer is a pure function of its
//! cache key (its .debs by sha256, the epoch, the layer format), so a layer one machine
//! built is the layer every machine would build. After a publish, each package layer
//! gets a small OCI artifact in a cache repository, tagged `layer-<key>`: its manifest
//! names the layer blob and the layer's index (the file lists the final layer, the
//! image check and the SBOMs read), so another machine with an empty cache asks for its
//! keys, downloads those layers and their indexes, and compresses and uploads none.
//!
//! Records reference the layer blob itself, so the registry's garbage collection keeps
//! the blob as long as the record's tag stands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aloft_oci::{BlobSource, Digest, MEDIA_TYPE_MANIFEST, PushBlob};
use serde_json::{Value, json};

use crate::RegistryError;
use crate::client::Registry;
use crate::push::{PushOptions, push_blob};

/// The `artifactType` of a layer record.
pub const LAYER_RECORD_TYPE: &str = "application/vnd.aloft.layer-record.v1+json";
/// The media type of a layer's index (aloft's layer-cache entry, JSON).
pub const LAYER_INDEX_TYPE: &str = "application/vnd.aloft.layer-index.v1+json";
/// The OCI empty config (`{}`).
const EMPTY_CONFIG_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The annotation holding the key.
const KEY_ANNOTATION: &str = "dev.aloft.layer.key";

/// The tag of the record of `key`.
pub fn record_tag(key: &str) -> String {
    format!("layer-{key}")
}

/// A built layer to record.
#[derive(Debug, Clone)]
pub struct LayerRecord {
    /// Its cache key (hex).
    pub key: String,
    /// Its index as the local cache stores it.
    pub index: Vec<u8>,
    /// The layer blob's digest.
    pub digest: Digest,
    /// The layer blob's size.
    pub size: u64,
    /// The layer blob's media type.
    pub media_type: String,
    /// The layer blob's file (sent only if the mount is refused).
    pub path: PathBuf,
}

/// A layer another machine recorded.
#[derive(Debug, Clone)]
pub struct FoundLayer {
    /// Its cache key.
    pub key: String,
    /// Its index (checked against the record's digest).
    pub index: Vec<u8>,
    /// The layer blob's digest.
    pub digest: Digest,
    /// The layer blob's size.
    pub size: u64,
}

fn protocol(registry: &Registry, what: &str, message: String) -> RegistryError {
    RegistryError::Protocol {
        registry: registry.host().to_owned(),
        what: what.to_owned(),
        message,
    }
}

/// The record manifest of `record` (deterministic: the same layer gives the same bytes
/// on every machine).
fn record_manifest(record: &LayerRecord, index: &Digest) -> Vec<u8> {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_MANIFEST,
        "artifactType": LAYER_RECORD_TYPE,
        "config": {
            "mediaType": EMPTY_CONFIG_TYPE,
            "digest": Digest::of_bytes(b"{}").as_str(),
            "size": 2,
        },
        "layers": [
            {
                "mediaType": LAYER_INDEX_TYPE,
                "digest": index.as_str(),
                "size": record.index.len(),
            },
            {
                "mediaType": record.media_type,
                "digest": record.digest.as_str(),
                "size": record.size,
            },
        ],
        "annotations": { KEY_ANNOTATION: record.key },
    });
    // serde_json's map is ordered by key: the bytes depend on the values only.
    serde_json::to_vec(&manifest).unwrap_or_default()
}

/// Looks up the record of `key` in `repository`; `None` when there is none.
pub fn find_layer(
    registry: &Registry,
    repository: &str,
    key: &str,
) -> Result<Option<FoundLayer>, RegistryError> {
    let what = format!("reading the layer record {repository}:{}", record_tag(key));
    let Some((_, bytes)) =
        registry.get_manifest(repository, &record_tag(key), MEDIA_TYPE_MANIFEST)?
    else {
        return Ok(None);
    };
    let manifest: Value = serde_json::from_slice(&bytes)
        .map_err(|e| protocol(registry, &what, format!("not JSON: {e}")))?;
    if manifest["artifactType"] != LAYER_RECORD_TYPE
        || manifest["annotations"][KEY_ANNOTATION] != key
    {
        return Err(protocol(
            registry,
            &what,
            "the tag holds something else than aloft's record of this layer".into(),
        ));
    }
    let descriptor = |i: usize| -> Result<(Digest, u64), RegistryError> {
        let layer = &manifest["layers"][i];
        let digest = layer["digest"]
            .as_str()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| protocol(registry, &what, format!("layer {i} has no digest")))?;
        let size = layer["size"]
            .as_u64()
            .ok_or_else(|| protocol(registry, &what, format!("layer {i} has no size")))?;
        Ok((digest, size))
    };
    let (index_digest, index_size) = descriptor(0)?;
    let (digest, size) = descriptor(1)?;
    if index_size > 64 << 20 {
        return Err(protocol(
            registry,
            &what,
            format!("the index is {index_size} bytes"),
        ));
    }
    let index = registry
        .get_small_blob(repository, index_digest.as_str())?
        .ok_or_else(|| protocol(registry, &what, "its index blob is gone".into()))?;
    if Digest::of_bytes(&index) != index_digest {
        return Err(protocol(
            registry,
            &what,
            "its index does not hash to its digest".into(),
        ));
    }
    Ok(Some(FoundLayer {
        key: key.to_owned(),
        index,
        digest,
        size,
    }))
}

/// Downloads the blob of `found` from `repository` into `dest`.
pub fn download_layer(
    registry: &Registry,
    repository: &str,
    found: &FoundLayer,
    dest: &Path,
) -> Result<(), RegistryError> {
    let size = registry.get_blob(repository, found.digest.as_str(), dest)?;
    if size != found.size {
        return Err(protocol(
            registry,
            &format!("downloading layer {}", found.digest),
            format!("got {size} bytes, the record says {}", found.size),
        ));
    }
    Ok(())
}

/// Records `record` in `repository`: the layer blob (mounted from `mounted_from`, where
/// the image was just pushed, unless the repository has it), its index, the empty
/// config, then the record manifest under its tag.
pub fn record_layer(
    registry: &Registry,
    repository: &str,
    record: &LayerRecord,
    mounted_from: &str,
) -> Result<(), RegistryError> {
    let index_digest = Digest::of_bytes(&record.index);
    let config = b"{}";
    let config_digest = Digest::of_bytes(config);
    let mount: HashMap<String, String> =
        [(record.digest.to_string(), mounted_from.to_owned())].into();
    // By mount: this registry has it in the image's repository.
    let layer = PushBlob {
        digest: &record.digest,
        size: record.size,
        source: BlobSource::File(&record.path),
    };
    let options = PushOptions {
        mount_from: mount,
        ..PushOptions::default()
    };
    push_blob(registry, repository, &layer, &options)?;
    for (digest, bytes) in [
        (&index_digest, record.index.as_slice()),
        (&config_digest, config.as_slice()),
    ] {
        let blob = PushBlob {
            digest,
            size: bytes.len() as u64,
            source: BlobSource::Bytes(bytes),
        };
        push_blob(registry, repository, &blob, &PushOptions::default())?;
    }
    let manifest = record_manifest(record, &index_digest);
    let digest = Digest::of_bytes(&manifest);
    registry.put_manifest(
        repository,
        &record_tag(&record.key),
        MEDIA_TYPE_MANIFEST,
        &manifest,
        digest.as_str(),
    )?;
    Ok(())
}
