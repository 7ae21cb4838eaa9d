//! The aloft image manifest: YAML in, a validated [`Manifest`] out.
//!
//! [`load`] reads a manifest and its `include:`s (merged first: maps merge, lists append,
//! scalars override), rejects unknown fields, and validates every value where it was
//! written, so errors name the file, line and field ([`ManifestError`], a miette
//! diagnostic with the source span). Field names follow apko where apko has the concept.
//! Nothing here resolves packages or touches the network.
// Manifest errors carry the file's text for span rendering; they are cold and returned
// once, so their size does not matter.
#![allow(clippy::result_large_err)]

mod digest;
mod error;
mod load;
mod model;
mod raw;
mod validate;

pub use digest::lock_inputs_digest;
pub use error::{ManifestError, Origin};
pub use load::{KNOWN_ARCHS, load, parse_str};
pub use model::*;
pub use validate::glob_matcher;
