//! Versions that differ between the architectures of one lock.
//!
//! Each architecture is resolved on its own, as apt would on that machine, so when the
//! archive has built a new source version for one architecture and not yet for another
//! (a security upload often lands on amd64 hours before arm64), the two closures
//! disagree. That is reported, not hidden. Downgrading the newer architecture to match
//! would throw away the fix that one of them has.

use std::collections::BTreeMap;

use aloft_deb::Version;
use aloft_lockfile::LockedPackage;

/// One source package (or `Architecture: all` package) whose version is not the same in
/// every architecture that installs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSkew {
    /// The source package name, or the package name for an `all` package.
    pub name: String,
    /// True when `name` is an `Architecture: all` package rather than a source.
    pub arch_all: bool,
    /// The version each architecture has: the source version, or the package's own.
    pub versions: BTreeMap<String, String>,
}

impl VersionSkew {
    /// The highest version in the lock, the one the other architectures lack.
    pub fn newest(&self) -> &str {
        self.versions
            .values()
            .max_by(|a, b| compare(a, b))
            .map_or("", String::as_str)
    }

    /// The architectures whose version is older than [`Self::newest`].
    pub fn behind(&self) -> Vec<&str> {
        let newest = self.newest();
        self.versions
            .iter()
            .filter(|(_, v)| v.as_str() != newest)
            .map(|(arch, _)| arch.as_str())
            .collect()
    }
}

impl std::fmt::Display for VersionSkew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.arch_all { "package" } else { "source" };
        let each: Vec<String> = self
            .versions
            .iter()
            .map(|(arch, version)| format!("{version} for {arch}"))
            .collect();
        write!(
            f,
            "{what} `{}` is {}: {} lack{} {} in the indexes",
            self.name,
            each.join(", "),
            self.behind().join(", "),
            if self.behind().len() == 1 { "s" } else { "" },
            self.newest()
        )
    }
}

/// Compares Debian versions, falling back to text order for ones that do not parse
/// (they came from a verified index, so that is not expected).
fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<Version>(), b.parse::<Version>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

/// The sources and `all` packages whose versions differ between the architectures of
/// `per_arch`. Binary NMUs (`+bN`) of one source version are not a difference: the
/// source version is compared, not the binary's.
pub fn version_skew(per_arch: &BTreeMap<String, Vec<LockedPackage>>) -> Vec<VersionSkew> {
    // (name, arch_all) -> arch -> versions seen in that arch.
    let mut seen: BTreeMap<(String, bool), BTreeMap<String, String>> = BTreeMap::new();
    for (arch, packages) in per_arch {
        for package in packages {
            let arch_all = package.architecture == "all";
            let (name, version) = if arch_all {
                (&package.name, &package.version)
            } else {
                (&package.source, &package.source_version)
            };
            let versions = seen.entry((name.clone(), arch_all)).or_default();
            // Within one arch a source may have binaries of two versions; the newest
            // stands for it.
            match versions.get(arch) {
                Some(existing) if compare(existing, version).is_ge() => {}
                _ => {
                    versions.insert(arch.clone(), version.clone());
                }
            }
        }
    }
    seen.into_iter()
        .filter(|(_, versions)| {
            versions.len() > 1
                && versions
                    .values()
                    .any(|v| Some(v) != versions.values().next())
        })
        .map(|((name, arch_all), versions)| VersionSkew {
            name,
            arch_all,
            versions,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(
        name: &str,
        version: &str,
        arch: &str,
        source: &str,
        source_version: &str,
    ) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            architecture: arch.into(),
            source: source.into(),
            source_version: source_version.into(),
            repository: "debian".into(),
            pool_path: String::new(),
            size: 0,
            sha256: String::new(),
            left_out: None,
            slice: None,
        }
    }

    #[test]
    fn same_source_versions_and_binnmus_are_not_skew() {
        let mut per_arch = BTreeMap::new();
        per_arch.insert(
            "amd64".to_owned(),
            vec![
                package("libfoo1", "1.0-1+b1", "amd64", "foo", "1.0-1"),
                package("tzdata", "2025b-4", "all", "tzdata", "2025b-4"),
            ],
        );
        per_arch.insert(
            "arm64".to_owned(),
            vec![
                package("libfoo1", "1.0-1", "arm64", "foo", "1.0-1"),
                package("tzdata", "2025b-4", "all", "tzdata", "2025b-4"),
            ],
        );
        assert_eq!(version_skew(&per_arch), []);
    }

    #[test]
    fn a_source_behind_on_one_arch_is_named_with_both_versions() {
        let mut per_arch = BTreeMap::new();
        per_arch.insert(
            "amd64".to_owned(),
            vec![
                package("php8.4-cli", "8.4.12-1", "amd64", "php8.4", "8.4.12-1"),
                // Only in one arch: nothing to compare with.
                package("only", "1", "amd64", "only", "1"),
            ],
        );
        per_arch.insert(
            "arm64".to_owned(),
            vec![package(
                "php8.4-cli",
                "8.4.11-1",
                "arm64",
                "php8.4",
                "8.4.11-1",
            )],
        );
        let skew = version_skew(&per_arch);
        assert_eq!(skew.len(), 1);
        assert_eq!(skew[0].newest(), "8.4.12-1");
        assert_eq!(skew[0].behind(), ["arm64"]);
        assert_eq!(
            skew[0].to_string(),
            "source `php8.4` is 8.4.12-1 for amd64, 8.4.11-1 for arm64: arm64 lacks 8.4.12-1 in the indexes"
        );
    }

    #[test]
    fn versions_compare_as_debian_versions() {
        let mut per_arch = BTreeMap::new();
        per_arch.insert(
            "amd64".to_owned(),
            vec![package("tzdata", "2025b-4", "all", "tzdata", "2025b-4")],
        );
        per_arch.insert(
            "arm64".to_owned(),
            vec![package("tzdata", "2025b-10", "all", "tzdata", "2025b-10")],
        );
        let skew = version_skew(&per_arch);
        assert_eq!(skew[0].newest(), "2025b-10");
        assert_eq!(
            skew[0].to_string(),
            "package `tzdata` is 2025b-4 for amd64, 2025b-10 for arm64: amd64 lacks 2025b-10 in the indexes"
        );
    }
}
