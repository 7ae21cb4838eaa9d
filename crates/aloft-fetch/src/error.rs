//! Fetch errors: each names the URL, file, repository or cache path involved.

use std::path::PathBuf;

/// What went wrong getting or checking a file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No base URL for an official archive.
    #[error(
        "No mirror is set for the `{archive}` archive: pass `--mirror URL` (or `--mirror {archive}=URL`), set `ALOFT_MIRROR`, or add the archive to the host's apt sources"
    )]
    NoMirror {
        /// `debian` or `debian-security`.
        archive: String,
    },
    /// A mirror setting that is not `URL` or `NAME=URL`.
    #[error(
        "Invalid mirror `{value}` in {setting}: write an http(s) or file URL, or `debian-security=URL`"
    )]
    BadMirror {
        /// Where it was set.
        setting: String,
        /// The value.
        value: String,
    },
    /// The server has no such file.
    #[error("Not found (404): `{url}`")]
    NotFound {
        /// The URL.
        url: String,
    },
    /// The server could not be reached, or failed.
    #[error("Cannot download `{url}`: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why (last attempt).
        reason: String,
    },
    /// A downloaded file whose hash or size differs from what the signed Release says.
    #[error("`{url}` does not match its Release: expected {expected}, got {actual}")]
    HashMismatch {
        /// The URL.
        url: String,
        /// `sha256 <hex>, <n> bytes` expected.
        expected: String,
        /// What was downloaded.
        actual: String,
    },
    /// The Release lacks an index aloft needs.
    #[error("Repository `{repository}` has no `{path}` in its Release{}", if available.is_empty() { String::new() } else { format!(" (it has: {available})") })]
    MissingIndex {
        /// Repository name.
        repository: String,
        /// The index path under `dists/<suite>/`.
        path: String,
        /// What exists instead (architectures or components).
        available: String,
    },
    /// The Release's `Valid-Until` has passed.
    #[error(
        "The Release of repository `{repository}` expired at {valid_until} (it is now {now}); a mirror may be stale or the clock wrong. Pass `--allow-expired-release` to use it anyway"
    )]
    Expired {
        /// Repository name.
        repository: String,
        /// Valid-Until.
        valid_until: String,
        /// Now.
        now: String,
    },
    /// The Release's `Date` is in the future.
    #[error(
        "The Release of repository `{repository}` is dated {date}, in the future (it is now {now}); check the clock, or pass `--allow-expired-release`"
    )]
    NotYetValid {
        /// Repository name.
        repository: String,
        /// Date.
        date: String,
        /// Now.
        now: String,
    },
    /// A Release of another suite than the one asked for: a mirror serving an older
    /// release's genuinely signed Release under this suite's name (a downgrade).
    #[error(
        "`{file}` is the Release of {found}, not of `{asked}`: the mirror serves another suite under this name (an older release would be a downgrade attack). Pass `--allow-other-suite` if that is intended"
    )]
    OtherSuite {
        /// The Release file's URL.
        file: String,
        /// The suite the manifest asks for.
        asked: String,
        /// What the Release says (`Suite: oldstable, Codename: bookworm`).
        found: String,
    },
    /// `--offline` and nothing cached.
    #[error(
        "Repository `{repository}` is not in the cache and `--offline` forbids the network: run once without `--offline`"
    )]
    NotCached {
        /// Repository name.
        repository: String,
    },
    /// A format or signature problem. Its message is the problem's alone, which names the
    /// file; the repository is named by whoever reports it.
    #[error("{problem}")]
    Format {
        /// Repository name.
        repository: String,
        /// The file (URL or cache path).
        file: String,
        /// The parse or signature error.
        problem: Box<aloft_deb::Error>,
    },
    /// Writing the cache failed.
    #[error("Cannot write to the cache at `{}`", path.display())]
    CacheWrite {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A package's .deb is served by no mirror tried.
    #[error("Package `{package}` ({version}): `{pool_path}` not found (404) at {tried}")]
    DebNotFound {
        /// Package name.
        package: String,
        /// Its version.
        version: String,
        /// Pool path from the lock.
        pool_path: String,
        /// The URLs tried, comma-separated.
        tried: String,
    },
    /// A downloaded .deb is not the one the lock names.
    #[error(
        "Package `{package}`: `{url}` does not match the lock: expected {expected_size} bytes with sha256 {expected}, got {actual_size} bytes with sha256 {actual}"
    )]
    DebMismatch {
        /// Package name.
        package: String,
        /// Where it came from.
        url: String,
        /// sha256 from the lock.
        expected: String,
        /// sha256 downloaded.
        actual: String,
        /// Size from the lock.
        expected_size: u64,
        /// Size downloaded.
        actual_size: u64,
    },
    /// `--offline` and a .deb is not cached.
    #[error(
        "Package `{package}` ({version}) is not in the cache and `--offline` forbids the network: run once without `--offline`"
    )]
    DebNotCached {
        /// Package name.
        package: String,
        /// Its version.
        version: String,
    },
    /// The lock names a repository with no known base URL.
    #[error(
        "Package `{package}` comes from repository `{repository}`, which the manifest does not define"
    )]
    UnknownRepository {
        /// Package name.
        package: String,
        /// Repository name.
        repository: String,
    },
    /// Fetching one package's .deb failed (the cause has the URL).
    #[error("Cannot fetch package `{package}` ({version})")]
    Deb {
        /// Package name.
        package: String,
        /// Its version.
        version: String,
        /// What failed.
        #[source]
        source: Box<FetchError>,
    },
    /// A file of a local repository cannot be read.
    #[error("Cannot read `{}`", path.display())]
    LocalRead {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file of a local repository is not what it must be: a .deb whose control does
    /// not parse, a Packages entry whose `Filename` leaves the directory, a link out of it.
    #[error("`{}`: {reason}", path.display())]
    LocalInvalid {
        /// The file (the .deb, or the Packages index naming the entry).
        path: PathBuf,
        /// What is wrong, naming the package or entry.
        reason: String,
    },
    /// A local .deb whose bytes differ from what its index or the lock says.
    #[error("`{}` ({package}) {context} {expected}; the file has {actual}", path.display())]
    LocalMismatch {
        /// The package.
        package: String,
        /// The .deb.
        path: PathBuf,
        /// Who said otherwise (`changed since it was locked: the lock has`, `does not
        /// match its entry in \`DIR/Packages\`, which says`).
        context: String,
        /// What was expected: `sha256 <hex>, <n> bytes`.
        expected: String,
        /// What the file has, alike.
        actual: String,
    },
}
