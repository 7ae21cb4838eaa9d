//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while building or writing an image.
///
/// Errors about files name the path that failed; errors about the spec name the value.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// An image could not be read.
    #[error("Cannot read the image `{}`", path.display())]
    Read {
        /// The oci-archive or layout.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file read as an image is not one aloft can read.
    #[error("`{}` is not an OCI image (oci-archive or layout): {reason}", path.display())]
    NotAnImage {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An artifact names a platform the image does not have.
    #[error("An artifact is attached to {0}, which the image has no manifest for")]
    NoSubject(String),
    /// A string that should be `sha256:<64 lowercase hex>` is not.
    #[error("Invalid digest {value:?}: {reason}")]
    InvalidDigest {
        /// The rejected text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An image name such as `php-cli:8.4` could not be parsed.
    #[error("Invalid image reference {value:?}: {reason}")]
    InvalidReference {
        /// The rejected text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The spec holds no platform image.
    #[error("The image spec holds no platform image: at least one architecture is needed")]
    NoImages,
    /// Two platform images have the same platform.
    #[error("Platform {0} appears twice in the image spec")]
    DuplicatePlatform(String),
    /// The same blob digest is given with two different sizes.
    #[error("Blob {digest} is given with two sizes, {first} and {second} bytes")]
    ConflictingBlob {
        /// The digest seen twice.
        digest: String,
        /// The size first seen.
        first: u64,
        /// The other size.
        second: u64,
    },
    /// A `created_epoch` that cannot be written as an RFC 3339 date (years 0 to 9999).
    #[error("Created timestamp {0} (seconds since 1970) is out of the RFC 3339 range")]
    Timestamp(i64),
    /// oci-spec refused a value (it validates digests and builds descriptors).
    #[error("Building the OCI {what}: {message}")]
    Spec {
        /// Which document was being built.
        what: &'static str,
        /// oci-spec's message.
        message: String,
    },
    /// Serializing a JSON document failed.
    #[error("Serializing the OCI {what} to JSON")]
    Json {
        /// Which document.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A layer blob file does not have the size the spec gives for it.
    #[error("Layer blob {path}: the file holds {actual} bytes but the image says {expected}")]
    SizeMismatch {
        /// The layer file.
        path: PathBuf,
        /// The size given in the [`Layer`](crate::Layer).
        expected: u64,
        /// The size found on disk (or read before the file ended).
        actual: u64,
    },
    /// The directory an output should be written into does not exist.
    #[error("Output directory {path} does not exist: create it first")]
    MissingParent {
        /// The missing directory.
        path: PathBuf,
    },
    /// The layout target exists and is not an OCI image layout.
    #[error(
        "{path} exists and is not an OCI image layout (no oci-layout file); \
         refusing to replace it: remove it or choose another path"
    )]
    NotALayout {
        /// The refused target.
        path: PathBuf,
    },
    /// The archive target is a directory.
    #[error("{path} is a directory: the archive output must be a file path")]
    OutputIsDirectory {
        /// The refused target.
        path: PathBuf,
    },
    /// The platform asked for the Docker `manifest.json` is not in the image.
    #[error(
        "No image for platform {requested} to name in manifest.json (the image has: {available})"
    )]
    PlatformNotFound {
        /// The platform asked for.
        requested: String,
        /// The platforms the image has, comma separated.
        available: String,
    },
    /// A file system operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done ("Writing", "Renaming ... to", ...).
        action: String,
        /// The path it was done to.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl OciError {
    /// An [`OciError::Io`] for `action` on `path`.
    pub(crate) fn io(
        action: impl Into<String>,
        path: impl Into<PathBuf>,
        source: io::Error,
    ) -> Self {
        let action: String = action.into();
        let mut chars = action.chars();
        let action = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => action,
        };
        OciError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
