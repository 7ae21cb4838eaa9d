//! What changed between two locks: packages added, removed and moved to another version,
//! per architecture, and repositories whose Release changed. For reviewing lock bumps.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::{LockedPackage, Lockfile};

/// A package present in one lock only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageEntry {
    /// Package name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its source package and source version (`php8.4 8.4.12-1`).
    pub source: String,
}

/// A package whose version (or .deb) differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedPackage {
    /// Package name.
    pub name: String,
    /// Version in the old lock.
    pub old_version: String,
    /// Version in the new lock.
    pub new_version: String,
    /// Source package and version in the new lock.
    pub source: String,
}

/// The differences of one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ArchDiff {
    /// Only in the new lock.
    pub added: Vec<PackageEntry>,
    /// Only in the old lock.
    pub removed: Vec<PackageEntry>,
    /// In both, with another version or .deb.
    pub changed: Vec<ChangedPackage>,
}

impl ArchDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// A repository whose Release differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryChange {
    /// Repository name.
    pub name: String,
    /// Release date in the old lock (`None`: not in it).
    pub old_date: Option<String>,
    /// Release date in the new lock (`None`: not in it).
    pub new_date: Option<String>,
}

/// Everything that differs between two locks.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LockDiff {
    /// Repositories whose Release (date or InRelease file) changed.
    pub repositories: Vec<RepositoryChange>,
    /// Per architecture (in either lock), what changed; architectures with no change
    /// are left out.
    pub archs: BTreeMap<String, ArchDiff>,
}

impl LockDiff {
    /// Whether the locks pin the same packages from the same Releases.
    pub fn is_empty(&self) -> bool {
        self.repositories.is_empty() && self.archs.is_empty()
    }
}

fn entry(package: &LockedPackage) -> PackageEntry {
    PackageEntry {
        name: package.name.clone(),
        version: package.version.clone(),
        source: format!("{} {}", package.source, package.source_version),
    }
}

/// What changed from `old` to `new`.
pub fn diff(old: &Lockfile, new: &Lockfile) -> LockDiff {
    let mut out = LockDiff::default();
    let names: BTreeSet<&str> = old
        .repositories
        .iter()
        .chain(&new.repositories)
        .map(|r| r.name.as_str())
        .collect();
    for name in names {
        let before = old.repositories.iter().find(|r| r.name == name);
        let after = new.repositories.iter().find(|r| r.name == name);
        let same = matches!((before, after), (Some(b), Some(a)) if b.inrelease_sha256 == a.inrelease_sha256);
        if !same {
            out.repositories.push(RepositoryChange {
                name: name.to_owned(),
                old_date: before.and_then(|r| r.date.clone()),
                new_date: after.and_then(|r| r.date.clone()),
            });
        }
    }
    let archs: BTreeSet<&String> = old.packages.keys().chain(new.packages.keys()).collect();
    for arch in archs {
        let by_name = |lock: &Lockfile| -> BTreeMap<String, LockedPackage> {
            lock.packages
                .get(arch)
                .into_iter()
                .flatten()
                .map(|p| (p.name.clone(), p.clone()))
                .collect()
        };
        let (before, after) = (by_name(old), by_name(new));
        let mut changes = ArchDiff::default();
        for (name, package) in &after {
            match before.get(name) {
                None => changes.added.push(entry(package)),
                Some(was) if was.version != package.version || was.sha256 != package.sha256 => {
                    changes.changed.push(ChangedPackage {
                        name: name.clone(),
                        old_version: was.version.clone(),
                        new_version: package.version.clone(),
                        source: format!("{} {}", package.source, package.source_version),
                    });
                }
                Some(_) => {}
            }
        }
        for (name, package) in &before {
            if !after.contains_key(name) {
                changes.removed.push(entry(package));
            }
        }
        if !changes.is_empty() {
            out.archs.insert(arch.clone(), changes);
        }
    }
    out
}
