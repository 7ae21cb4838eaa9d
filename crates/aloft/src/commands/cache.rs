//! `aloft cache dir` and `aloft cache clean [--layers]`.

use std::process::ExitCode;

use miette::{IntoDiagnostic, Result, WrapErr};

use crate::cli::{CacheCommand, CacheDirArgs, RepoArgs};
use crate::commands::repositories;

/// The buckets `clean` empties; `--layers` only the last.
const BUCKETS: [&str; 3] = ["indexes-v1", "debs-v1", "layers-v1"];

fn cache_of(args: &CacheDirArgs) -> Result<aloft_fetch::Cache> {
    let repo = RepoArgs {
        mirror: Vec::new(),
        cache_dir: args.cache_dir.clone(),
        offline: true,
        allow_expired_release: false,
    };
    // No manifest here, so no project settings: the flag, the variable or XDG.
    repositories::cache(&repo, None)
}

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
            let buckets: &[&str] = if args.layers { &BUCKETS[2..] } else { &BUCKETS };
            let mut freed = 0u64;
            for bucket in buckets {
                let dir = cache.root().join(bucket);
                if !dir.exists() {
                    continue;
                }
                freed += size_of_tree(&dir);
                // Renamed aside first, so a concurrent run never sees half a bucket.
                let aside = cache
                    .root()
                    .join(format!(".removing-{bucket}-{}", std::process::id()));
                fs_err::rename(&dir, &aside).into_diagnostic()?;
                fs_err::remove_dir_all(&aside)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("Cannot remove `{}`", aside.display()))?;
            }
            #[allow(clippy::print_stderr)]
            if !quiet {
                eprintln!(
                    "Removed {} from {} ({:.1} MB)",
                    buckets.join(", "),
                    cache.root().display(),
                    freed as f64 / 1e6
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn size_of_tree(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => stack.push(entry.path()),
                Ok(meta) => total += meta.len(),
                Err(_) => {}
            }
        }
    }
    total
}
