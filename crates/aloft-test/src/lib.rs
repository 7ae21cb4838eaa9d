//! Test support for aloft: fixture apt repositories built in a temp directory — tiny
//! `.deb`s, `Packages` (plain, .gz, .xz, by-hash), a `Release` and `InRelease` signed with
//! a key generated in the test — served from a loopback HTTP server that can inject
//! faults (404, 5xx, truncation, corruption) and records every request.
//!
//! A broken fixture is a broken test, so this crate panics freely.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod deb;
pub mod elf;
mod fs;
mod key;
pub mod oci;
mod registry;
mod repo;
mod server;

pub use deb::{DebBuilder, DebCompression, DebEntryKind, DebFile, build_deb};
pub use fs::copy_tree;
pub use key::TestKey;
pub use registry::{RegistryAuth, TestRegistry, base64_of};
pub use repo::{FixturePackage, FixtureRepo, SuiteOptions};
pub use server::{Fault, TestServer};
