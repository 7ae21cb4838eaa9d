//! The aloft lockfile: what `aloft lock` pins and `aloft assemble` installs.
//!
//! One JSON file per manifest, keys in a fixed order, one package per entry, so that
//! diffs are readable and a re-lock against the same indexes is byte-identical. It holds
//! pool paths relative to the archive root, never a mirror's URL or host: the same lock
//! works against any mirror. See `docs/lockfile.md` for the format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod diff;
mod validate;

pub use diff::{ArchDiff, ChangedPackage, LockDiff, PackageEntry, RepositoryChange, diff};
pub use validate::pool_path_problem;

/// The format version written by this aloft.
pub const LOCKFILE_VERSION: u32 = 1;

/// A lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    /// Format version ([`LOCKFILE_VERSION`]).
    pub lockfile_version: u32,
    /// What the lock was made from.
    pub manifest: LockedManifest,
    /// Each repository as it was when resolved.
    pub repositories: Vec<LockedRepository>,
    /// Per architecture, every package to install, sorted by name.
    pub packages: BTreeMap<String, Vec<LockedPackage>>,
}

/// The manifest a lock was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedManifest {
    /// Digest of the resolution inputs (repositories, keyrings, packages, exclude, archs)
    /// with includes folded in; a different digest means the lock is stale.
    pub inputs_digest: String,
    /// The manifest files read, relative to the lockfile's directory, includes first.
    pub files: Vec<String>,
}

/// A repository as resolved: enough to re-fetch the same files and to check trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRepository {
    /// Name used by packages' `repository` field.
    pub name: String,
    /// `debian` or `debian-security` for official archives; absent for `url:` ones.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub archive: Option<String>,
    /// For a local repository (`path:`), its directory relative to the lockfile's
    /// directory, `/`-separated; its packages' `pool_path`s are relative to it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// Suite as written in the manifest (a local repository's name).
    pub suite: String,
    /// `Codename` of the Release.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub codename: Option<String>,
    /// `Version` of the Release (e.g. `13.2`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub release_version: Option<String>,
    /// Components read.
    pub components: Vec<String>,
    /// `Date` of the Release, RFC 3339 UTC (absent for a local repository without one).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// `Valid-Until` of the Release, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub valid_until: Option<String>,
    /// sha256 of the InRelease file that was verified (absent for an unsigned local
    /// repository, whose packages the lock's hashes alone vouch for).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inrelease_sha256: Option<String>,
    /// Fingerprints of the keys whose signatures verified, sorted.
    pub signed_by: Vec<String>,
}

/// One pinned binary package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `Architecture` (the target arch or `all`).
    pub architecture: String,
    /// Source package name.
    pub source: String,
    /// Source package version.
    pub source_version: String,
    /// Name of the repository it comes from.
    pub repository: String,
    /// Path of the .deb relative to the archive root (`pool/main/...`).
    pub pool_path: String,
    /// Size of the .deb in bytes.
    pub size: u64,
    /// sha256 of the .deb, lower-case hex.
    pub sha256: String,
    /// Why the image leaves this package out, when it does: only maintainer scripts use
    /// it and aloft does their work itself (`ucf`, `debconf`, `adduser`, ...), or only
    /// such a package needs it. It stays in the lock: it is what apt would install.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub left_out: Option<String>,
    /// The manifest's slice of this package: the only paths the image keeps of it (glob
    /// patterns), its dependencies not followed. `None`: the package is installed whole.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slice: Option<Vec<String>>,
}

/// Reading or writing a lockfile failed.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// I/O on the lockfile.
    #[error("Cannot {action} lockfile `{}`", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not a valid lockfile.
    #[error("`{}`:{line}:{column}: not a valid aloft lockfile: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Well-formed JSON with an entry no aloft writes (edited by hand, or hostile).
    #[error("`{}`:{line}: {entry}: {reason}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// 1-based line of the entry's bad field.
        line: usize,
        /// Which entry (`packages.amd64: \`tzdata\``).
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Written by a different aloft.
    #[error("`{}` has lockfile_version {found}; this aloft reads version {LOCKFILE_VERSION}: run `aloft lock` again", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: u32,
    },
}

impl Lockfile {
    /// Reads and checks a lockfile.
    pub fn read(path: &Path) -> Result<Lockfile, LockfileError> {
        let text = fs_err::read_to_string(path).map_err(|source| LockfileError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Lockfile::parse(path, &text)
    }

    /// Parses lockfile text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
        let lock: Lockfile = serde_json::from_str(text).map_err(|err| LockfileError::Invalid {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        })?;
        if lock.lockfile_version != LOCKFILE_VERSION {
            return Err(LockfileError::Version {
                path: path.to_path_buf(),
                found: lock.lockfile_version,
            });
        }
        validate::validate(path, text, &lock)?;
        Ok(lock)
    }

    /// The canonical text: pretty JSON, fixed key order, trailing newline.
    pub fn to_text(&self) -> String {
        // Serializing plain structs, strings and a BTreeMap cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the lockfile atomically (temp file in the same directory, then rename),
    /// mode 0644 like any file the user commits.
    pub fn write(&self, path: &Path) -> Result<(), LockfileError> {
        aloft_fs::write_atomic(path, self.to_text().as_bytes()).map_err(|source| {
            LockfileError::Io {
                action: "write",
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// The repository named `name`.
    pub fn repository(&self, name: &str) -> Option<&LockedRepository> {
        self.repositories.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lockfile {
        Lockfile {
            lockfile_version: LOCKFILE_VERSION,
            manifest: LockedManifest {
                inputs_digest: "sha256:00".into(),
                files: vec!["m.yaml".into()],
            },
            repositories: vec![LockedRepository {
                name: "debian/trixie".into(),
                archive: Some("debian".into()),
                path: None,
                suite: "trixie".into(),
                codename: Some("trixie".into()),
                release_version: None,
                components: vec!["main".into()],
                date: Some("2025-08-09T09:56:44Z".into()),
                valid_until: None,
                inrelease_sha256: Some("ab".into()),
                signed_by: vec!["F".into()],
            }],
            packages: BTreeMap::from([(
                "amd64".to_owned(),
                vec![LockedPackage {
                    name: "tzdata".into(),
                    version: "2025b-4".into(),
                    architecture: "all".into(),
                    source: "tzdata".into(),
                    source_version: "2025b-4".into(),
                    repository: "debian/trixie".into(),
                    pool_path: "pool/main/t/tzdata/tzdata_2025b-4_all.deb".into(),
                    size: 1,
                    sha256: "cd".repeat(32),
                    left_out: None,
                    slice: None,
                }],
            )]),
        }
    }

    #[test]
    fn round_trips_and_is_stable() -> Result<(), LockfileError> {
        let lock = sample();
        let text = lock.to_text();
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"lockfile_version\"") < text.find("\"manifest\""));
        let again = Lockfile::parse(Path::new("x.lock.json"), &text)?;
        assert_eq!(again, lock);
        assert_eq!(again.to_text(), text);
        Ok(())
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = sample()
            .to_text()
            .replace("\"size\": 1", "\"size\": \"one\"");
        let msg = Lockfile::parse(Path::new("x.lock.json"), &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("x.lock.json") && msg.contains(":"), "{msg}");
        let text = sample()
            .to_text()
            .replace("\"lockfile_version\": 1", "\"lockfile_version\": 9");
        let msg = Lockfile::parse(Path::new("x.lock.json"), &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("version 9") || msg.contains("lockfile_version 9"),
            "{msg}"
        );
    }

    fn entry_error(edit: impl Fn(&mut Lockfile)) -> String {
        let mut lock = sample();
        edit(&mut lock);
        Lockfile::parse(Path::new("x.lock.json"), &lock.to_text())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn hostile_entries_are_refused_by_name_and_line() {
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].pool_path = "../../../etc/passwd".into()
        });
        assert_eq!(
            msg,
            "`x.lock.json`:34: packages.amd64: `tzdata`: pool_path `../../../etc/passwd`: has an empty, `.` or `..` component"
        );
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].pool_path =
                "https://example.invalid/x.deb".into()
        });
        assert!(msg.contains("never a URL"), "{msg}");
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].sha256 = "../../escape".into()
        });
        assert!(msg.contains("sha256 `../../escape`: not a sha256"), "{msg}");
        let msg = entry_error(|lock| {
            let list = lock.packages.get_mut("amd64").unwrap();
            list.push(list[0].clone());
        });
        assert!(
            msg.contains("`tzdata`: name `tzdata`: listed twice for amd64"),
            "{msg}"
        );
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].repository = "elsewhere".into()
        });
        assert!(
            msg.contains("repository `elsewhere`: no repository"),
            "{msg}"
        );
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].version = "garbage version!".into()
        });
        assert!(
            msg.contains("version `garbage version!`: not a Debian version"),
            "{msg}"
        );
        let msg = entry_error(|lock| {
            lock.packages.get_mut("amd64").unwrap()[0].architecture = "arm64".into()
        });
        assert!(msg.contains("must be `amd64` or `all`"), "{msg}");
        let msg = entry_error(|lock| {
            let repo = lock.repositories[0].clone();
            lock.repositories.push(repo);
        });
        assert!(msg.contains("listed twice"), "{msg}");
    }
}
