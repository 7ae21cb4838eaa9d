//! What `aloft lock --upgrade` would change in a lock, against the archive's current
//! indexes, and whether the new versions come from a security suite.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aloft_lockfile::{LockedRepository, Lockfile};
use serde::Serialize;

/// One package with a newer candidate (or newly needed), on some architectures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// The binary package.
    pub name: String,
    /// The locked version (`None`: the upgrade pulls it in).
    pub locked: Option<String>,
    /// The version the upgrade would lock.
    pub candidate: String,
    /// Its source package and version.
    pub source: String,
    /// The repository the candidate comes from.
    pub repository: String,
    /// Whether that repository is a security suite.
    pub security: bool,
    /// Whether that repository is a local one (`path:`): the user's own build.
    pub local: bool,
    /// The architectures it changes on.
    pub archs: Vec<String>,
}

/// What an upgrade would change in a lock (`aloft outdated`, `--json`).
#[derive(Debug, Serialize)]
pub struct OutdatedReport {
    /// The lockfile, as named on the command line.
    pub lockfile: String,
    /// Nothing would change.
    pub up_to_date: bool,
    /// How many updates come from a security suite.
    pub security_updates: usize,
    /// The updates, by package name.
    pub updates: Vec<Update>,
    /// Packages the upgrade would no longer install.
    pub no_longer_needed: Vec<String>,
    /// Packages of the new lock that come from local repositories (`path:`), as
    /// `name version (repository)`: the user's own builds, which no archive updates.
    pub local: Vec<String>,
}

/// Whether `repository` is a security suite (`debian-security`, `*-security`).
fn is_security(repository: Option<&LockedRepository>) -> bool {
    repository.is_some_and(|r| {
        r.archive.as_deref() == Some("debian-security") || r.suite.ends_with("-security")
    })
}

/// What `new` (a lock resolved with `--upgrade`) changes against `old`, the lock at
/// `lockfile`, package by package, with the security suite updates counted.
pub fn outdated_report(old: &Lockfile, new: &Lockfile, lockfile: &Path) -> OutdatedReport {
    let diff = aloft_lockfile::diff(old, new);
    let mut updates: BTreeMap<(String, Option<String>, String), Update> = BTreeMap::new();
    let mut gone = BTreeSet::new();
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
                    local: repository.is_some_and(|r| r.path.is_some()),
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
    let local_repositories: BTreeSet<&str> = new
        .repositories
        .iter()
        .filter(|r| r.path.is_some())
        .map(|r| r.name.as_str())
        .collect();
    let local: BTreeSet<String> = new
        .packages
        .values()
        .flatten()
        .filter(|p| local_repositories.contains(p.repository.as_str()))
        .map(|p| format!("{} {} ({})", p.name, p.version, p.repository))
        .collect();
    OutdatedReport {
        lockfile: lockfile.display().to_string(),
        up_to_date: updates.is_empty() && gone.is_empty(),
        security_updates: updates.iter().filter(|u| u.security).count(),
        updates,
        no_longer_needed: gone.into_iter().collect(),
        local: local.into_iter().collect(),
    }
}

/// The report as `aloft outdated` prints it.
pub fn render_outdated(report: &OutdatedReport) -> String {
    let mut local = String::new();
    for package in &report.local {
        local.push_str(&format!("  {package}: local, kept as built\n"));
    }
    if report.up_to_date {
        return format!("{}: up to date with the archive.\n{local}", report.lockfile);
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
            if update.security {
                ", security"
            } else if update.local {
                ", local"
            } else {
                ""
            },
            update.archs.join(", ")
        ));
    }
    for name in &report.no_longer_needed {
        out.push_str(&format!("  {name}: no longer needed\n"));
    }
    out.push_str(&local);
    out.push_str("Run `aloft lock --upgrade` to take them.\n");
    out
}
