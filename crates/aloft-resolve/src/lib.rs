//! Resolution: a manifest's package requests + Packages indexes -> a pinned closure per
//! architecture, chosen as `apt-get install --no-install-recommends` would choose it.
//!
//! Pure: it is handed parsed indexes ([`RepositoryPackages`]) and never fetches anything
//! (that is `aloft-fetch`'s job) nor reads .deb contents. [`resolve_arch`] is the entry
//! point; [`version_skew`] compares the architectures' closures; [`ResolveError`] names the package, relation and the chain that led to it.

mod error;
mod graph;
mod resolver;
pub mod script_only;
mod skew;
mod universe;

pub use error::ResolveError;
pub use graph::DependencyGraph;
pub use resolver::{ResolveRequest, resolve_arch};
pub use skew::{VersionSkew, version_skew};
pub use universe::RepositoryPackages;
