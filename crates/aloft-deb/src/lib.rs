//! Debian formats, pure: bytes and text in, typed values out, no I/O.
//!
//! - [`Version`] ordering as dpkg does it (`debversion`),
//! - relation fields ([`parse_relations`], through `debian-control`'s lossy parser),
//! - [`Release`] files and the OpenPGP check of `InRelease` ([`Keyring`], [`verify_inrelease`]),
//! - [`BinaryPackage`] records of `Packages` indexes, decompressed by [`decompress_by_name`],
//! - `.deb` files ([`DebReader`]): the control files, and the data tar as a stream,
//! - machine-readable copyright files ([`copyright_licenses`]).
//!
//! Network, caches and trust policy (which keys for which archive) live in `aloft-fetch`.

mod compression;
mod copyright;
mod deb822;
mod debfile;
mod error;
mod packages;
mod relation;
mod release;
mod signature;
mod version;

pub use compression::{INDEX_EXTENSIONS, decompress_by_name};
pub use copyright::{CopyrightLicenses, copyright_licenses};
pub use deb822::{Fields, paragraphs};
pub use debfile::{DebControl, DebReader, MemberCompression};
pub use error::Error;
pub use packages::{BinaryPackage, MultiArch, parse_packages};
pub use relation::{
    Relation, Relations, VersionConstraint, constraint_allows, constraint_operator, parse_relations,
};
pub use release::{Release, ReleaseFile, parse_release_date};
pub use signature::{Keyring, VerifiedText, verify_detached, verify_inrelease};
pub use version::{Version, compare_versions, parse_version};
