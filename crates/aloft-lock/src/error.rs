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
    /// A Release older than the one the existing lock was made from.
    #[error(
        "Repository `{repository}`: the Release is dated {date}, before the {locked} of the one the lock was made from; the mirror is behind or replays an old Release (a rollback). Use an up-to-date mirror, or pass `--allow-older-release`"
    )]
    OlderRelease {
        /// The repository.
        repository: String,
        /// The fetched Release's date.
        date: String,
        /// The lock's date for it.
        locked: String,
    },
    /// A cached .deb of the lock cannot be opened.
    #[error("Cannot read the .deb of `{package}` at `{}`", path.display())]
    DebRead {
        /// The lock entry's package.
        package: String,
        /// The cached .deb.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A .deb of the lock whose control member does not read.
    #[error("Package `{package}`: cannot read the control of its .deb")]
    Deb {
        /// The lock entry's package.
        package: String,
        /// What is wrong with the .deb.
        #[source]
        source: Box<aloft_deb::Error>,
    },
    /// A lock entry whose .deb is another package (or version) than the entry says.
    #[error(transparent)]
    NotItsDeb(Box<DebMismatch>),
    /// A lock whose packages are not what its manifest resolves to with them alone.
    #[error(
        "The lock `{}` does not hold what `{}` needs for {arch}: {reason}\n(resolved with the lock's packages as the only repository; run `aloft lock {}` to lock it again)",
        lock.display(),
        manifest.display(),
        manifest.display()
    )]
    Unsatisfied {
        /// The lockfile.
        lock: PathBuf,
        /// The manifest.
        manifest: PathBuf,
        /// Architecture.
        arch: String,
        /// What is missing, extra or broken.
        reason: String,
    },
    /// A worker thread panicked (a bug: the message says which step).
    #[error("{0} crashed")]
    Crashed(String),
}

/// A lock entry and its .deb disagreeing on a control field.
#[derive(Debug, thiserror::Error)]
#[error(
    "The lock `{}` says {arch} package `{package}` has {field} `{locked}`, but its .deb `{}` declares `{declared}`; the lock was edited or its sha256 points at another package: run `aloft lock` again",
    lock.display(),
    deb.display()
)]
pub struct DebMismatch {
    /// The lockfile.
    pub lock: PathBuf,
    /// Architecture.
    pub arch: String,
    /// The entry's package name.
    pub package: String,
    /// The control field that differs.
    pub field: &'static str,
    /// What the lock says.
    pub locked: String,
    /// What the .deb says.
    pub declared: String,
    /// The .deb.
    pub deb: PathBuf,
}
