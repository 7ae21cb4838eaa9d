//! Checks over every package layer together: no package may install a path through a
//! directory symlink another package installs (dpkg would follow the link on disk; an
//! image layer would instead replace it or fail to apply), and two packages shipping the
//! same file is reported (dpkg allows it only with Replaces; the later layer wins).

use std::collections::HashMap;

use crate::error::AssembleError;
use crate::package::{FileKind, PackageFiles};
use crate::path;

/// Fails on a path below a symlink; warns on files shipped twice.
pub fn check_tree(packages: &[PackageFiles]) -> Result<(), AssembleError> {
    let mut links: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut owners: HashMap<&str, &str> = HashMap::new();
    for package in packages {
        for record in &package.files {
            match &record.kind {
                FileKind::Symlink { target } => {
                    links.insert(&record.path, (&package.package, target));
                }
                FileKind::Dir => continue,
                _ => {}
            }
            if let Some(previous) = owners.insert(&record.path, &package.package)
                && previous != package.package
            {
                tracing::warn!(
                    path = record.path,
                    first = previous,
                    second = package.package,
                    "two packages ship the same path; the later layer's copy wins"
                );
            }
        }
    }
    for package in packages {
        for record in &package.files {
            for ancestor in path::ancestors(&record.path) {
                if let Some((link_package, target)) = links.get(ancestor) {
                    return Err(AssembleError::ThroughSymlink {
                        package: package.package.clone(),
                        path: record.path.clone(),
                        link: ancestor.to_owned(),
                        target: (*target).to_owned(),
                        link_package: (*link_package).to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}
