//! Errors of registry operations: each names the registry, and the blob, manifest or
//! tag it was about.

use std::path::PathBuf;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request could not be made or its answer not read (DNS, connection, TLS, I/O).
    #[error("{registry}: {what}: {message}")]
    Transport {
        /// `host[:port]`.
        registry: String,
        /// What was being done (`uploading blob sha256:...`).
        what: String,
        /// The transport's error.
        message: String,
    },
    /// The registry answered with an unexpected status.
    #[error("{registry}: {what}: HTTP {status}{}", detail_suffix(.detail))]
    Status {
        /// `host[:port]`.
        registry: String,
        /// What was being done.
        what: String,
        /// The status code.
        status: u16,
        /// The registry's error message, if it sent one (OCI error JSON or text).
        detail: String,
    },
    /// The registry refused the credentials, or asked for some and none are configured.
    #[error("{registry}: {what}: {reason}")]
    Unauthorized {
        /// `host[:port]`.
        registry: String,
        /// What was being done.
        what: String,
        /// Why, and what to do.
        reason: String,
    },
    /// The registry's certificate was not trusted.
    #[error(
        "{registry}: its TLS certificate is not trusted ({message}); give the CA that signed it with --ca-file"
    )]
    UntrustedCertificate {
        /// `host[:port]`.
        registry: String,
        /// rustls's reason.
        message: String,
    },
    /// Plain HTTP was needed for a registry that is not on loopback.
    #[error(
        "{registry}: does not speak HTTPS, and plain HTTP is used only for loopback registries or with --plain-http"
    )]
    PlainHttpRefused {
        /// `host[:port]`.
        registry: String,
    },
    /// A CA file could not be read or holds no certificate.
    #[error("CA file `{}`: {message}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// docker's config.json or a credential helper failed.
    #[error("credentials for {registry}: {message}")]
    Credentials {
        /// `host[:port]`.
        registry: String,
        /// What failed.
        message: String,
    },
    /// A layer file is not what was built: its size or digest changed since.
    #[error("blob {digest} (`{}`): {message}; nothing more is pushed", path.display())]
    ChangedBlob {
        /// The digest the image names.
        digest: String,
        /// The file.
        path: PathBuf,
        /// What differs.
        message: String,
    },
    /// The registry answered something that is not what the protocol says.
    #[error("{registry}: {what}: {message}")]
    Protocol {
        /// `host[:port]`.
        registry: String,
        /// What was being done.
        what: String,
        /// What was wrong with the answer.
        message: String,
    },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl RegistryError {
    /// Whether trying again may succeed: transport failures, 5xx and 429.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Transport { .. } => true,
            RegistryError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
