//! Everything aloft does on the network, and its cache.
//!
//! - [`Mirrors`]: where the official archives are (`--mirror`, `ALOFT_MIRROR`, apt sources),
//! - [`HttpClient`]: downloads with retries and clear errors,
//! - [`fetch_repository`]: a repository's InRelease verified against its keyring
//!   ([`debian_archive_keyring`] for official archives) and its Packages indexes checked
//!   against the Release, as secure apt does,
//! - [`fetch_debs`]: a lock's .debs, checked against its sha256 and size before they
//!   enter the [`DebCache`],
//! - [`read_local_repository`]: a manifest's `path:` repository (the user's own .debs),
//! - [`IndexCache`]: the verified indexes in the cache's index bucket.
//!
//! Where the cache is and its buckets are `aloft-cache`'s.
//!
//! Parsing is `aloft-deb`'s; choosing packages is `aloft-resolve`'s.

mod cache;
mod debs;
mod error;
mod http;
mod keys;
mod local;
mod mirror;
mod repository;

pub use cache::{IndexCache, sha256_hex};
pub use debs::{
    DebCache, DebFetchOptions, DebRequest, DebSources, PoolSource, fetch_debs, snapshot_url,
};
pub use error::FetchError;
pub use http::{HttpClient, HttpOptions, Rewind};
pub use keys::debian_archive_keyring;
pub use local::{
    CHANGED_SINCE_LOCKED, LocalLayout, LocalRelease, LocalRepository, check_local_deb,
    read_local_repository,
};
pub use mirror::{MirrorBase, Mirrors};
pub use repository::{
    FetchOptions, FetchedIndex, FetchedRepository, RepositorySpec, fetch_repository,
};
