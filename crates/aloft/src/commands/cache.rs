//! `aloft cache dir` and `aloft cache clean [--layers]`.

use std::process::ExitCode;

use aloft_cache::CacheBucket;
use miette::{IntoDiagnostic, Result, WrapErr};

use crate::cli::CacheCommand;
use crate::settings::cache_of;

/// Runs `aloft cache ...`.
pub fn cache(command: &CacheCommand, quiet: bool) -> Result<ExitCode> {
    match command {
        CacheCommand::Dir(args) => {
            let cache = cache_of(args)?;
            #[allow(clippy::print_stdout)]
            {
                println!("{}", cache.root().display());
            }
        }
        CacheCommand::Clean(args) => {
            let cache = cache_of(&args.dir)?;
            let buckets: &[CacheBucket] = if args.layers {
                &[CacheBucket::Layers]
            } else {
                &CacheBucket::ALL
            };
            let cleaned = cache
                .clean(buckets)
                .into_diagnostic()
                .wrap_err_with(|| format!("Cannot clean the cache `{}`", cache.root().display()))?;
            #[allow(clippy::print_stderr)]
            if !quiet {
                let removed = if cleaned.removed.is_empty() {
                    "nothing".to_owned()
                } else {
                    cleaned.removed.join(", ")
                };
                eprintln!(
                    "Removed {removed} from {} ({:.1} MB)",
                    cache.root().display(),
                    cleaned.bytes as f64 / 1e6
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
