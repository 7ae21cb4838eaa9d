//! Pushing one image to one repository: every blob the registry lacks (asked first with
//! HEAD, mounted from another repository of the run when it can be, else uploaded in
//! chunks that resume after a failure), then the manifests as the exact bytes built, then
//! the tags, then the referrers of registries without the referrers API.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aloft_oci::{BlobSource, MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, PushBlob, PushPlan};
use serde_json::{Value, json};

use crate::RegistryError;
use crate::client::{ChunkSource, Mount, Registry};

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// The repository had it: nothing was sent.
    Present,
    /// Linked from another repository of the same registry: nothing was sent.
    Mounted,
    /// Sent.
    Uploaded,
}

/// One blob done, as reported to the progress callback.
#[derive(Debug, Clone)]
pub struct BlobDone {
    /// Its digest.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// What happened.
    pub outcome: BlobOutcome,
}

/// What a push did.
#[derive(Debug, Clone, Default)]
pub struct PushReport {
    /// Every blob, in the plan's order.
    pub blobs: Vec<BlobDone>,
    /// Manifests put (platform, artifact, index), tags not counted.
    pub manifests: usize,
    /// The tags put, each pointing at the image index.
    pub tags: Vec<String>,
    /// Subjects whose referrers were written to the fallback tag (`sha256-<hex>`)
    /// because the registry has no referrers API.
    pub referrers_tags: Vec<String>,
}

impl PushReport {
    /// Blobs sent and their bytes.
    pub fn uploaded(&self) -> (usize, u64) {
        self.count(BlobOutcome::Uploaded)
    }

    /// Blobs of `outcome` and their bytes.
    pub fn count(&self, outcome: BlobOutcome) -> (usize, u64) {
        self.blobs
            .iter()
            .filter(|b| b.outcome == outcome)
            .fold((0, 0), |(n, bytes), b| (n + 1, bytes + b.size))
    }
}

/// Brings a blob that is not on this machine to its file, for an upload.
pub trait FetchBlob: Sync {
    /// Writes the blob `digest` to `path` (complete and verified, or not at all).
    fn fetch(&self, digest: &aloft_oci::Digest, path: &Path) -> Result<(), RegistryError>;
}

/// How to push.
#[derive(Clone, Default)]
pub struct PushOptions<'a> {
    /// Blobs pushed at once (at least 1).
    pub jobs: usize,
    /// Where a blob can be mounted from: digest -> another repository of this
    /// registry that holds it (pushed earlier in the run, or known to the caller).
    pub mount_from: std::collections::HashMap<String, String>,
    /// Fetches a layer whose file is missing (a layer another machine built, known
    /// here by its index alone) when it must be uploaded: the registry lacks it and no
    /// mount gave it.
    pub fetch_missing: Option<&'a dyn FetchBlob>,
}

impl std::fmt::Debug for PushOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushOptions")
            .field("jobs", &self.jobs)
            .field("mount_from", &self.mount_from)
            .field("fetch_missing", &self.fetch_missing.is_some())
            .finish()
    }
}

/// Pushes `plan` to `repository` on `registry` and points each of `tags` at its index.
///
/// Blobs go first, `jobs` at a time; the first error stops the others from starting
/// (what was uploaded stays, and a second run finds it). Manifests follow in the plan's
/// order, each by its digest, then the tags.
pub fn push_image(
    registry: &Registry,
    repository: &str,
    plan: &PushPlan<'_>,
    tags: &[String],
    options: &PushOptions<'_>,
    progress: &(dyn Fn(&BlobDone) + Sync),
) -> Result<PushReport, RegistryError> {
    let blobs = push_blobs(registry, repository, &plan.blobs, options, progress)?;
    let mut report = PushReport {
        blobs,
        ..PushReport::default()
    };
    let mut unacknowledged = Vec::new();
    for manifest in &plan.manifests {
        let put = registry.put_manifest(
            repository,
            manifest.digest.as_str(),
            manifest.media_type,
            manifest.bytes,
            manifest.digest.as_str(),
        )?;
        report.manifests += 1;
        if let Some(subject) = manifest.subject
            && !put.subject_acknowledged
        {
            unacknowledged.push((subject, manifest));
        }
    }
    let index = plan
        .manifests
        .last()
        .ok_or_else(|| RegistryError::Protocol {
            registry: registry.host().to_owned(),
            what: format!("pushing to {repository}"),
            message: "the image has no index".into(),
        })?;
    for tag in tags {
        registry.put_manifest(
            repository,
            tag,
            index.media_type,
            index.bytes,
            index.digest.as_str(),
        )?;
        report.tags.push(tag.clone());
    }
    let mut subjects: Vec<&aloft_oci::Digest> = unacknowledged.iter().map(|(s, _)| *s).collect();
    subjects.sort();
    subjects.dedup();
    for subject in subjects {
        let referrers: Vec<_> = unacknowledged
            .iter()
            .filter(|(s, _)| *s == subject)
            .map(|(_, m)| *m)
            .collect();
        let tag = update_referrers_tag(registry, repository, subject, &referrers)?;
        report.referrers_tags.push(tag);
    }
    Ok(report)
}

/// Pushes the blobs, `jobs` at a time; the outcomes in `blobs`' order.
fn push_blobs(
    registry: &Registry,
    repository: &str,
    blobs: &[PushBlob<'_>],
    options: &PushOptions<'_>,
    progress: &(dyn Fn(&BlobDone) + Sync),
) -> Result<Vec<BlobDone>, RegistryError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let outcomes: Mutex<Vec<Option<BlobDone>>> = Mutex::new(vec![None; blobs.len()]);
    let first_error: Mutex<Option<RegistryError>> = Mutex::new(None);
    let workers = options.jobs.clamp(1, blobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(blob) = blobs.get(i) else { break };
                    match push_blob(registry, repository, blob, options) {
                        Ok(outcome) => {
                            let done = BlobDone {
                                digest: blob.digest.to_string(),
                                size: blob.size,
                                outcome,
                            };
                            progress(&done);
                            if let Ok(mut o) = outcomes.lock() {
                                o[i] = Some(done);
                            }
                        }
                        Err(e) => {
                            stop.store(true, Ordering::SeqCst);
                            if let Ok(mut first) = first_error.lock() {
                                first.get_or_insert(e);
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(error) = first_error.into_inner().ok().flatten() {
        return Err(error);
    }
    let outcomes = outcomes.into_inner().unwrap_or_default();
    Ok(outcomes.into_iter().flatten().collect())
}

/// One blob: HEAD, then a mount from the repository `options.mount_from` names for it,
/// then an upload (of a file fetched first by `options.fetch_missing` if it is not here).
pub(crate) fn push_blob(
    registry: &Registry,
    repository: &str,
    blob: &PushBlob<'_>,
    options: &PushOptions<'_>,
) -> Result<BlobOutcome, RegistryError> {
    let digest = blob.digest.as_str();
    if retrying(registry, &format!("checking blob {digest}"), || {
        registry.has_blob(repository, digest)
    })? {
        return Ok(BlobOutcome::Present);
    }
    // A refused mount opens an upload session, which the upload then uses.
    let mut started = None;
    if let Some(from) = options.mount_from.get(digest).filter(|f| *f != repository) {
        match registry.start_upload(repository, Some((digest, from)))? {
            Mount::Mounted => return Ok(BlobOutcome::Mounted),
            Mount::Started(location) => started = Some(location),
        }
    }
    if let (BlobSource::File(path), Some(fetcher)) = (blob.source, options.fetch_missing)
        && !path.exists()
    {
        fetcher.fetch(blob.digest, path)?;
    }
    check_source(blob)?;
    upload(registry, repository, blob, started)?;
    Ok(BlobOutcome::Uploaded)
}

/// Runs `op` up to the registry's attempts while it fails transiently.
fn retrying<T>(
    registry: &Registry,
    what: &str,
    mut op: impl FnMut() -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    let mut attempt = 1;
    loop {
        match op() {
            Err(e) if e.is_transient() && attempt < registry.attempts() => {
                tracing::warn!("{what}: {e}; trying again");
                std::thread::sleep(registry.backoff(attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A layer file must still be what was built: its size and digest.
fn check_source(blob: &PushBlob<'_>) -> Result<(), RegistryError> {
    let BlobSource::File(path) = blob.source else {
        return Ok(());
    };
    let changed = |message: String| RegistryError::ChangedBlob {
        digest: blob.digest.to_string(),
        path: path.to_path_buf(),
        message,
    };
    let (hex, size) = aloft_fs::sha256_file(path).map_err(|e| changed(e.to_string()))?;
    if size != blob.size {
        return Err(changed(format!(
            "it holds {size} bytes, the image says {}",
            blob.size
        )));
    }
    if hex != blob.digest.hex() {
        return Err(changed(format!("its digest is now sha256:{hex}")));
    }
    Ok(())
}

/// Uploads a blob: one PUT when it fits a chunk, else PATCH chunks and a closing PUT.
/// A transient failure is retried from where the registry says the upload stands.
fn upload(
    registry: &Registry,
    repository: &str,
    blob: &PushBlob<'_>,
    started: Option<String>,
) -> Result<(), RegistryError> {
    let digest = blob.digest.as_str();
    let what = format!(
        "uploading blob {digest} ({} bytes) to {repository}",
        blob.size
    );
    let source = match blob.source {
        BlobSource::Bytes(bytes) => ChunkSource::Bytes(bytes),
        BlobSource::File(path) => ChunkSource::File(path),
    };
    let mut state: Option<(String, u64)> = started.map(|l| (l, 0));
    let mut attempt = 1;
    loop {
        match upload_once(registry, repository, blob, source, &mut state, &what) {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() && attempt < registry.attempts() => {
                tracing::warn!("{what}: {e}; trying again");
                std::thread::sleep(registry.backoff(attempt));
                attempt += 1;
                // Where does the upload stand? A lost session starts over.
                if let Some((location, _)) = &state {
                    state = registry
                        .upload_offset(repository, location, &what)
                        .ok()
                        .flatten()
                        .map(|(offset, location)| (location, offset.min(blob.size)));
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn upload_once(
    registry: &Registry,
    repository: &str,
    blob: &PushBlob<'_>,
    source: ChunkSource<'_>,
    state: &mut Option<(String, u64)>,
    what: &str,
) -> Result<(), RegistryError> {
    let digest = blob.digest.as_str();
    let (mut location, mut offset) = match state.take() {
        Some(s) => s,
        None => match registry.start_upload(repository, None)? {
            Mount::Started(location) => (location, 0),
            Mount::Mounted => {
                return Err(RegistryError::Protocol {
                    registry: registry.host().to_owned(),
                    what: what.to_owned(),
                    message: "the registry answered 201 to a new upload".into(),
                });
            }
        },
    };
    *state = Some((location.clone(), offset));
    let chunk = registry.chunk_size();
    if offset == 0 && blob.size <= chunk {
        registry.send_chunk(
            repository,
            &location,
            source,
            0,
            blob.size,
            Some(digest),
            what,
        )?;
        return Ok(());
    }
    while offset < blob.size {
        let length = chunk.min(blob.size - offset);
        location = registry
            .send_chunk(repository, &location, source, offset, length, None, what)?
            .unwrap_or(location);
        offset += length;
        *state = Some((location.clone(), offset));
    }
    registry.send_chunk(repository, &location, source, offset, 0, Some(digest), what)?;
    Ok(())
}

/// The referrers tag schema of the distribution spec 1.1, for registries without the
/// referrers API: the tag `sha256-<hex>` of the subject holds an image index listing its
/// referrers. Descriptors already listed are kept; ours are added once.
fn update_referrers_tag(
    registry: &Registry,
    repository: &str,
    subject: &aloft_oci::Digest,
    referrers: &[&aloft_oci::PushManifest<'_>],
) -> Result<String, RegistryError> {
    let tag = format!("sha256-{}", subject.hex());
    let mut manifests: Vec<Value> =
        match registry.get_manifest(repository, &tag, MEDIA_TYPE_INDEX)? {
            Some((_, bytes)) => serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("manifests").and_then(|m| m.as_array()).cloned())
                .unwrap_or_default(),
            None => Vec::new(),
        };
    let mut changed = false;
    for referrer in referrers {
        let digest = referrer.digest.as_str();
        if manifests
            .iter()
            .any(|m| m.get("digest").and_then(|d| d.as_str()) == Some(digest))
        {
            continue;
        }
        let annotations = serde_json::from_slice::<Value>(referrer.bytes)
            .ok()
            .and_then(|m| m.get("annotations").cloned());
        let mut descriptor = json!({
            "mediaType": MEDIA_TYPE_MANIFEST,
            "digest": digest,
            "size": referrer.bytes.len(),
        });
        if let Some(artifact_type) = referrer.artifact_type {
            descriptor["artifactType"] = json!(artifact_type);
        }
        if let Some(annotations) = annotations {
            descriptor["annotations"] = annotations;
        }
        manifests.push(descriptor);
        changed = true;
    }
    if changed {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_INDEX,
            "manifests": manifests,
        });
        let bytes = serde_json::to_vec(&index).map_err(|e| RegistryError::Protocol {
            registry: registry.host().to_owned(),
            what: format!("writing the referrers of {subject}"),
            message: e.to_string(),
        })?;
        let digest = aloft_oci::Digest::of_bytes(&bytes);
        registry.put_manifest(repository, &tag, MEDIA_TYPE_INDEX, &bytes, digest.as_str())?;
    }
    Ok(tag)
}
