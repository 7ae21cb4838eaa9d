//! A client of the OCI distribution API for pushing images aloft built: blobs the
//! registry lacks (HEAD first, cross-repository mounts, chunked uploads that resume),
//! the manifests as the exact bytes built, tags, and the referrers (SBOMs).
//!
//! Authentication is what docker, skopeo and crane do: credentials from docker's
//! config.json and its credential helpers (then podman's auth.json), sent only when the
//! registry challenges, as HTTP basic auth or exchanged for a bearer token per repository
//! scope. TLS uses the system's CA roots plus a CA file; plain HTTP only for loopback
//! registries or when asked.
//!
//! # Why not oci-client
//!
//! oci-client is async (tokio and reqwest, a second HTTP and TLS stack beside the ureq
//! that fetches .debs), and it neither resumes a failed chunked upload nor retries. This
//! crate is the part of the distribution spec a push needs, on the blocking ureq client.

mod auth;
mod client;
mod error;
mod layer_cache;
mod push;

pub use auth::{Credential, credential_for};
pub use client::{ClientOptions, Registry};
pub use error::RegistryError;
pub use layer_cache::{
    FoundLayer, LAYER_INDEX_TYPE, LAYER_RECORD_TYPE, LayerRecord, download_layer, find_layer,
    record_layer, record_tag,
};
pub use push::{BlobDone, BlobOutcome, FetchBlob, PushOptions, PushReport, push_image};
