//! `aloft outdated MANIFEST`: what `aloft lock --upgrade` would change, against the
//! archive's current indexes, and whether the new versions come from a security suite.
//! Nothing is written.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use aloft_lockfile::{LockedRepository, Lockfile};
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use serde::Serialize;

use crate::cli::OutdatedArgs;
use crate::commands::lock::resolve_lock;
use aloft_lock::Upgrade;

use crate::settings::{ManifestTarget, repository_options};

/// Exit status when updates exist and none is from a security suite.
pub const EXIT_UPDATES: u8 = 2;
/// Exit status when at least one update comes from a security suite.
pub const EXIT_SECURITY_UPDATES: u8 = 3;

/// One package with a newer candidate (or newly needed), on some architectures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Update {
    name: String,
    /// The locked version (`None`: the upgrade pulls it in).
    locked: Option<String>,
    candidate: String,
    source: String,
    /// The repository the candidate comes from.
    repository: String,
    security: bool,
    archs: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    lockfile: String,
    up_to_date: bool,
    security_updates: usize,
    updates: Vec<Update>,
    /// Packages the upgrade would no longer install.
    no_longer_needed: Vec<String>,
}

/// Whether `repository` is a security suite (`debian-security`, `*-security`).
fn is_security(repository: Option<&LockedRepository>) -> bool {
    repository.is_some_and(|r| {
        r.archive.as_deref() == Some("debian-security") || r.suite.ends_with("-security")
    })
}

fn report(old: &Lockfile, new: &Lockfile, lockfile: &Path) -> Report {
    let diff = aloft_lockfile::diff(old, new);
    let mut updates: BTreeMap<(String, Option<String>, String), Update> = BTreeMap::new();
    let mut gone = std::collections::BTreeSet::new();
    for (arch, changes) in &diff.archs {
        let found = |name: &str| {
            new.packages
                .get(arch)
                .and_then(|list| list.iter().find(|p| p.name == name))
        };
        let mut add = |name: &str, locked: Option<String>, candidate: &str| {
            let Some(package) = found(name) else { return };
            let repository = new
                .repositories
                .iter()
                .find(|r| r.name == package.repository);
            updates
                .entry((name.to_owned(), locked.clone(), candidate.to_owned()))
                .or_insert_with(|| Update {
                    name: name.to_owned(),
                    locked,
                    candidate: candidate.to_owned(),
                    source: format!("{} {}", package.source, package.source_version),
                    repository: package.repository.clone(),
                    security: is_security(repository),
                    archs: Vec::new(),
                })
                .archs
                .push(arch.clone());
        };
        for changed in &changes.changed {
            add(
                &changed.name,
                Some(changed.old_version.clone()),
                &changed.new_version,
            );
        }
        for added in &changes.added {
            add(&added.name, None, &added.version);
        }
        gone.extend(changes.removed.iter().map(|p| p.name.clone()));
    }
    let updates: Vec<Update> = updates.into_values().collect();
    Report {
        lockfile: lockfile.display().to_string(),
        up_to_date: updates.is_empty() && gone.is_empty(),
        security_updates: updates.iter().filter(|u| u.security).count(),
        updates,
        no_longer_needed: gone.into_iter().collect(),
    }
}

fn render(report: &Report) -> String {
    if report.up_to_date {
        return format!("{}: up to date with the archive.\n", report.lockfile);
    }
    let mut out = format!(
        "{}: {} package{} with updates, {} from a security suite\n",
        report.lockfile,
        report.updates.len(),
        if report.updates.len() == 1 { "" } else { "s" },
        report.security_updates
    );
    for update in &report.updates {
        out.push_str(&format!(
            "  {} {} -> {} ({}; {}{}) [{}]\n",
            update.name,
            update.locked.as_deref().unwrap_or("(new)"),
            update.candidate,
            update.source,
            update.repository,
            if update.security { ", security" } else { "" },
            update.archs.join(", ")
        ));
    }
    for name in &report.no_longer_needed {
        out.push_str(&format!("  {name}: no longer needed\n"));
    }
    out.push_str("Run `aloft lock --upgrade` to take them.\n");
    out
}

/// Runs `aloft outdated`: exit 0 when up to date, [`EXIT_SECURITY_UPDATES`] when a
/// security update exists, else [`EXIT_UPDATES`] when other updates do.
pub fn outdated(args: &OutdatedArgs) -> Result<ExitCode> {
    let target = ManifestTarget::load(&args.manifest, args.lockfile.as_deref())?;
    let repo = repository_options(&args.repo, target.project.as_ref())?;
    let lock_path = &target.lock_path;
    if !lock_path.exists() {
        return Err(miette!(
            help = format!("run `aloft lock {}` first", args.manifest.display()),
            "`{}` has no lockfile at `{}`",
            args.manifest.display(),
            lock_path.display()
        ));
    }
    let old = Lockfile::read(lock_path).into_diagnostic()?;
    let upgrade = Upgrade {
        all: true,
        packages: Vec::new(),
    };
    let new = resolve_lock(&target, &repo, &upgrade, Some(&old))
        .wrap_err("Cannot resolve against the current indexes")?;
    let report = report(&old, &new, lock_path);
    #[allow(clippy::print_stdout)]
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).into_diagnostic()?
        );
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.security_updates > 0 {
        ExitCode::from(EXIT_SECURITY_UPDATES)
    } else if report.up_to_date {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UPDATES)
    })
}
