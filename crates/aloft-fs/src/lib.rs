//! The small infrastructure every aloft crate shares, so that each rule exists once
//! (uv-fs's role):
//!
//! - [`AtomicFile`] and [`write_atomic`]: every output and cache entry is written to a
//!   temp file beside its target (`.NAME.aloft-PID-XXXXXX.tmp`), synced, given a fixed
//!   mode (never the temp file's 0600) and renamed into place only when complete.
//! - [`LiveTemp`], [`remove_live_temps`] and [`remove_stale_temps`]: temp files an
//!   interrupted run removes, and those a killed run left, swept by the next.
//! - [`try_map_parallel`]: a bounded pool of scoped threads over a slice, results in input
//!   order, stopping at the first error.
//! - [`sha256_file`]: a file's digest and size, for every check of a stored blob
//!   ([`sha256_file_once`]: once per process, for files several images of a run share).
//! - [`rfc3339`] and [`rfc3339_of_epoch`]: the one timestamp format of locks, configs
//!   and SBOMs.
//!
//! No Debian, OCI or network knowledge lives here.

mod atomic;
mod hash;
mod pool;
mod temps;
mod timestamp;

pub use atomic::{AtomicFile, FILE_MODE, check_replaceable, write_atomic};
pub use hash::{FileIdentity, sha256_file, sha256_file_once};
pub use pool::try_map_parallel;
pub use temps::{
    LiveTemp, STALE_AFTER, TEMP_SUFFIX, remove_live_temps, remove_stale_temps, temp_prefix,
};
pub use timestamp::{rfc3339, rfc3339_of_epoch};
