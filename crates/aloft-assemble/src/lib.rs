//! Image assembly, pure of the network: verified `.deb`s and a manifest in, normalized
//! reproducible layers and an image config out (handed to `aloft-oci` to write).
//!
//! - [`plan_layers`] groups packages into layers by source package within the budget;
//! - each layer streams its `.deb`s once: data.tar entries normalized ([`LayerWriter`]:
//!   numeric ids, clamped mtimes, kept modes, hard links and capabilities), merged /usr
//!   applied and unsafe entries refused ([`path`]), then each package's dpkg record
//!   (`var/lib/dpkg/status.d/<name>` and `.md5sums`);
//! - layers are built in parallel and kept in a [`LayerCache`] keyed by their `.deb`s;
//! - the final layer holds what no package ships: /etc/passwd and /etc/group from
//!   base-passwd's masters plus the manifest's accounts, homes, `paths:` and `files:`.
//!
//! No maintainer script is run; [`EffectsRecord`] lists what aloft did in their place
//! (so far: /etc/localtime from the zone files, the CA bundle and its links).

mod accounts;
mod assemble;
mod bytecode;
mod cache;
mod checks;
mod config;
mod deb_files;
mod effects;
mod error;
mod exec_facts;
mod final_layer;
mod image_check;
mod layer_writer;
mod package;
pub mod path;
mod plan;
mod services;
pub mod slice;
pub mod slim;
mod stage;

pub use accounts::{AccountFiles, account_files};
pub use assemble::{
    AssembleOptions, AssembledImage, InstalledPackage, LayerReport, assemble_image,
    build_package_layers, bytecode_layer_key, layer_keys,
};
pub use bytecode::host_architecture;
pub use cache::{CachedLayer, LAYER_FORMAT, LayerCache, layer_format, layer_key};
pub use effects::{AppliedEffect, EFFECTS_PATH, EffectsRecord, NotApplied, subject_hash};
pub use error::AssembleError;
pub use image_check::ImageFinding;
pub use layer_writer::{
    FinishedLayer, GZIP_LEVEL, LayerCompression, LayerWriter, Meta, ZSTD_LEVEL,
};
pub use package::{FileKind, FileRecord, PackageFiles, PackageInput, STATUS_DIR};
pub use plan::{LayerPlan, plan_layers};
