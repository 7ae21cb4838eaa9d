//! Locking a manifest: its repositories' InRelease files fetched and verified, their
//! Packages indexes parsed per architecture, each architecture resolved as
//! `apt-get install --no-install-recommends` would, and the result as a [`Lockfile`](aloft_lockfile::Lockfile).
//!
//! The lock pipeline of DESIGN.md between the command line and the libraries below it:
//! [`repositories`] turns the manifest's repositories into verified indexes (and, for
//! `assemble`, into the pool sources its .debs come from); [`resolve_lock`] resolves them.
//! Nothing here writes the lockfile: the caller decides whether to.

mod error;
mod outdated;
pub mod repositories;
mod resolve;
mod verify;

pub use error::{DebMismatch, LockError};
pub use outdated::{OutdatedReport, Update, outdated_report, render_outdated};
pub use repositories::RepositoryOptions;
pub use resolve::{LockTarget, Upgrade, resolve_lock};
pub use verify::{LockedControl, LockedDebs, read_locked_controls, verify_locked_debs};
