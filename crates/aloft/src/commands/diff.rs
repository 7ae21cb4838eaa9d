//! `aloft diff OLD.lock.json NEW.lock.json`: what a lock bump changes, for review.

use std::process::ExitCode;

use aloft_lockfile::{LockDiff, Lockfile};
use miette::{IntoDiagnostic, Result};

use crate::cli::DiffArgs;

/// The diff as text: repositories, then per architecture the added (`+`), removed (`-`)
/// and changed (`~`) packages with their source.
fn render(diff: &LockDiff) -> String {
    if diff.is_empty() {
        return "No differences: the same packages from the same Releases.\n".into();
    }
    let mut out = String::new();
    for repository in &diff.repositories {
        out.push_str(&format!(
            "repository {}: Release {} -> {}\n",
            repository.name,
            repository.old_date.as_deref().unwrap_or("(none)"),
            repository.new_date.as_deref().unwrap_or("(none)")
        ));
    }
    for (arch, changes) in &diff.archs {
        out.push_str(&format!(
            "{arch}: {} added, {} removed, {} changed\n",
            changes.added.len(),
            changes.removed.len(),
            changes.changed.len()
        ));
        for p in &changes.added {
            out.push_str(&format!(
                "  + {} {} (source {})\n",
                p.name, p.version, p.source
            ));
        }
        for p in &changes.removed {
            out.push_str(&format!(
                "  - {} {} (source {})\n",
                p.name, p.version, p.source
            ));
        }
        for p in &changes.changed {
            out.push_str(&format!(
                "  ~ {} {} -> {} (source {})\n",
                p.name, p.old_version, p.new_version, p.source
            ));
        }
    }
    out
}

/// Runs `aloft diff`: prints the differences (text, or `--json`); exits 0 either way.
pub fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let old = Lockfile::read(&args.old).into_diagnostic()?;
    let new = Lockfile::read(&args.new).into_diagnostic()?;
    let diff = aloft_lockfile::diff(&old, &new);
    #[allow(clippy::print_stdout)]
    if args.json {
        println!("{}", serde_json::to_string_pretty(&diff).into_diagnostic()?);
    } else {
        print!("{}", render(&diff));
    }
    Ok(ExitCode::SUCCESS)
}
