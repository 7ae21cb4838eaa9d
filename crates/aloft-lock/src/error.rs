//! Why a manifest could not be locked: each error names the repository, index or manifest.

use std::path::PathBuf;

/// What went wrong locking a manifest.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// An official archive with no usable mirror, or a bad `--mirror` value.
    #[error("Repository `{repository}` ({origin})")]
    Mirror {
        /// The manifest's name for the repository.
        repository: String,
        /// Where the manifest declares it.
        origin: String,
        /// The mirror problem.
        #[source]
        source: Box<aloft_fetch::FetchError>,
    },
    /// The mirror settings themselves (`--mirror`, `ALOFT_MIRROR`, apt sources).
    #[error(transparent)]
    Mirrors(Box<aloft_fetch::FetchError>),
    /// A repository's keyring file cannot be read.
    #[error("Cannot read the keyring `{path}` of repository `{repository}`")]
    KeyringFile {
        /// The repository.
        repository: String,
        /// The keyring file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A keyring that is not OpenPGP keys, or the shipped Debian keys failing to load.
    #[error("Repository `{repository}`: bad keyring")]
    Keyring {
        /// The repository.
        repository: String,
        /// The parse error.
        #[source]
        source: Box<aloft_deb::Error>,
    },
    /// Fetching or verifying a repository's Release or indexes failed.
    #[error("Cannot read repository `{repository}`")]
    Fetch {
        /// The repository.
        repository: String,
        /// The fetch error.
        #[source]
        source: Box<aloft_fetch::FetchError>,
    },
    /// A Packages index that does not parse.
    #[error(transparent)]
    Index(Box<aloft_deb::Error>),
    /// No installable set for an architecture.
    #[error("Cannot resolve `{manifest}`")]
    Resolve {
        /// The manifest path.
        manifest: PathBuf,
        /// Why (names the package and the relation).
        #[source]
        source: Box<aloft_resolve::ResolveError>,
    },
    /// A worker thread panicked (a bug: the message says which step).
    #[error("{0} crashed")]
    Crashed(String),
}
