//! The validated, merged manifest.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::Origin;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub origin: Origin,
}

/// An official Debian archive whose base URL comes from the mirror settings, never the
/// manifest, and whose keys ship with aloft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OfficialArchive {
    /// `archive: debian`.
    Debian,
    /// `archive: debian-security`.
    DebianSecurity,
}

impl OfficialArchive {
    /// The name written in manifests (`debian`, `debian-security`).
    pub fn name(self) -> &'static str {
        match self {
            OfficialArchive::Debian => "debian",
            OfficialArchive::DebianSecurity => "debian-security",
        }
    }

    /// Every official archive.
    pub const ALL: [OfficialArchive; 2] =
        [OfficialArchive::Debian, OfficialArchive::DebianSecurity];
}

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositorySource {
    /// An official archive.
    Archive(OfficialArchive),
    /// A third-party apt repository at this base URL, trusted through `keyring`.
    Url {
        /// Base URL (the directory holding `dists/` and `pool/`).
        url: String,
        /// The keyring file, resolved against the manifest's directory.
        keyring: PathBuf,
    },
    /// Local packages (`path:`): a directory of .debs that aloft indexes itself, or a
    /// flat repository (`DIR/Packages`, no `dists/`), signed when `keyring` is given.
    Local {
        /// The directory, resolved against the manifest file that names it.
        dir: PathBuf,
        /// The path as written (for the lock digest and messages).
        as_written: String,
        /// The keyring a flat repository's Release must verify with; without it the
        /// packages are trusted through the hashes the lock records.
        keyring: Option<PathBuf>,
    },
}

impl RepositorySource {
    /// Whether this is a local repository (`path:`).
    pub fn is_local(&self) -> bool {
        matches!(self, RepositorySource::Local { .. })
    }
}

/// One apt repository (suite + components).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Where it is.
    pub source: RepositorySource,
    /// Suite or codename (`trixie`, `trixie-security`, `stable`); for a local
    /// repository, its name.
    pub suite: String,
    /// Components (`main`); empty for a local repository.
    pub components: Vec<String>,
    /// Name used in the lockfile: `name:` if given, else `archive/suite`, `suite` for
    /// URLs, or the directory's name for local repositories.
    pub name: String,
}

/// A requested package: `name`, `name=version` or `name/suite`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageRequest {
    /// Package name.
    pub name: String,
    /// Exact version pin.
    pub version: Option<String>,
    /// Suite pin (a repository's suite).
    pub suite: Option<String>,
}

impl std::fmt::Display for PackageRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if let Some(version) = &self.version {
            write!(f, "={version}")?;
        }
        if let Some(suite) = &self.suite {
            write!(f, "/{suite}")?;
        }
        Ok(())
    }
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Name.
    pub groupname: String,
    /// Numeric id.
    pub gid: u32,
    /// Member user names.
    pub members: Vec<String>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Name.
    pub username: String,
    /// Numeric id.
    pub uid: u32,
    /// Primary group id (defaults to the uid).
    pub gid: u32,
    /// Home directory (created, owned by the user); defaults to `/home/<name>`.
    pub homedir: String,
    /// Login shell; defaults to `/usr/sbin/nologin`.
    pub shell: String,
}

/// `accounts:`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// Groups, in the order written.
    pub groups: Vec<Located<Group>>,
    /// Users, in the order written.
    pub users: Vec<Located<User>>,
    /// The user the image runs as (`run-as`): a name from `users` or a number.
    pub run_as: Option<Located<String>>,
}

/// `entrypoint:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entrypoint {
    /// One program, argv.
    Command(Vec<String>),
    /// Supervised services (an s6 tree), name -> argv.
    Services(BTreeMap<String, Vec<String>>),
}

/// The kind of a `paths:` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A directory.
    Directory,
    /// A symbolic link to `source`.
    Symlink,
    /// A hard link to `source`.
    Hardlink,
    /// An empty regular file.
    EmptyFile,
    /// Change owner and mode of an existing path.
    Permissions,
}

/// A `paths:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    /// Absolute path in the image.
    pub path: String,
    /// What to make.
    pub kind: PathKind,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Mode bits (0..=0o7777).
    pub permissions: Option<u32>,
    /// Link target (symlink, hardlink).
    pub source: Option<String>,
    /// Apply to everything below (permissions).
    pub recursive: bool,
}

/// A `files:` entry: a host file or folder copied into the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Host path, resolved against the directory of the manifest that names it.
    pub source: PathBuf,
    /// Source as written (for the lock digest and messages).
    pub source_as_written: String,
    /// Absolute path in the image.
    pub path: String,
    /// Mode; default: the host file's permission bits masked to 0o755/0o644.
    pub mode: Option<u32>,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// One entry of `contents.slices`: some paths of a package, without its dependencies
/// (the idea of Ubuntu's chisel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The package, as `name`, `name=version` or `name/suite`.
    pub package: PackageRequest,
    /// Absolute glob patterns of the image paths kept (`*` stays within a path
    /// component, `**` crosses them); the directories that hold a kept path stay too.
    pub paths: Vec<String>,
}

/// `layering:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layering {
    /// At most this many layers (packages grouped by source package), plus one final layer.
    pub budget: u32,
}

impl Default for Layering {
    /// 100, as Nix's `buildLayeredImage` allows: room for one layer per source in the
    /// images people build (90 to 112 sources for PHP with a web server), well under
    /// overlayfs's 128, so that a one-package bump rebuilds only that source's layer.
    fn default() -> Self {
        Layering { budget: 100 }
    }
}

/// A manifest file that was read, with its text (for diagnostics and digests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// The path as given or resolved relative to the including file.
    pub path: PathBuf,
    /// The text.
    pub text: String,
}

/// A validated manifest, `include:`s merged (maps merge, lists append, scalars override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The top-level manifest file.
    pub path: PathBuf,
    /// Every file read, includes first, in merge order.
    pub files_read: Vec<ManifestFile>,
    /// `contents.repositories`.
    pub repositories: Vec<Located<Repository>>,
    /// `contents.packages`.
    pub packages: Vec<Located<PackageRequest>>,
    /// `contents.exclude`.
    pub exclude: Vec<Located<String>>,
    /// `contents.slices`.
    pub slices: Vec<Located<Slice>>,
    /// `accounts`.
    pub accounts: Accounts,
    /// `entrypoint`.
    pub entrypoint: Option<Located<Entrypoint>>,
    /// `cmd`, argv.
    pub cmd: Option<Vec<String>>,
    /// `work-dir`.
    pub work_dir: Option<String>,
    /// `environment`.
    pub environment: BTreeMap<String, String>,
    /// `paths`.
    pub paths: Vec<Located<PathSpec>>,
    /// `files`.
    pub files: Vec<Located<FileSpec>>,
    /// `archs`; `None` when no file sets them (the caller picks the default).
    pub archs: Option<Vec<Located<String>>>,
    /// `annotations` (also written as image labels).
    pub annotations: BTreeMap<String, String>,
    /// `volumes`.
    pub volumes: Vec<String>,
    /// `stop-signal`, normalized (`SIGQUIT`) or a number.
    pub stop_signal: Option<String>,
    /// `layering`.
    pub layering: Layering,
    /// `ports`, as `8080/tcp`.
    pub ports: Vec<String>,
    /// `slim` (default true): documentation, manual pages, info, translations and
    /// lintian overrides are left out, as in Debian's slim images; each copyright stays.
    pub slim: bool,
    /// `python-bytecode` (default true): each Python 3 interpreter of the image compiles
    /// the standard library and the packages' public modules, as their postinsts would.
    pub python_bytecode: bool,
    /// `locales`: named locales (`fr_FR.UTF-8`), each taken from locales-all as a slice.
    pub locales: Vec<Located<String>>,
}

/// Where glibc finds compiled locales, one directory each.
const LOCALE_DIR: &str = "/usr/lib/locale";

/// The package of compiled locales a named locale is sliced from.
pub const LOCALES_PACKAGE: &str = "locales-all";

/// The slice every image with glibc gets unless the closure has libc-bin whole:
/// libc-bin's compiled C.UTF-8 (not its programs). libc-bin is Essential, so nothing
/// depends on it, and without it `LANG=C.UTF-8` falls back to ASCII.
pub fn c_utf8_slice() -> (&'static str, Slice) {
    (
        "libc6",
        Slice {
            package: PackageRequest {
                name: "libc-bin".to_owned(),
                version: None,
                suite: None,
            },
            paths: vec![format!("{LOCALE_DIR}/C.utf8/**")],
        },
    )
}

/// The directory glibc looks a locale up in: its codeset normalized as glibc's
/// `_nl_normalize_codeset` does (`fr_FR.UTF-8` -> `fr_FR.utf8`).
pub fn locale_directory(name: &str) -> String {
    let (base, modifier) = match name.split_once('@') {
        Some((base, modifier)) => (base, Some(modifier)),
        None => (name, None),
    };
    let mut out = match base.split_once('.') {
        Some((language, codeset)) => {
            let normalized: String = codeset
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let prefix = if normalized.chars().all(|c| c.is_ascii_digit()) {
                "iso"
            } else {
                ""
            };
            format!("{language}.{prefix}{normalized}")
        }
        None => base.to_owned(),
    };
    if let Some(modifier) = modifier {
        out.push('@');
        out.push_str(modifier);
    }
    out
}

/// Packages an `entrypoint.services` tree runs on: the s6 supervisor and the execline
/// language its run scripts are written in.
pub const SERVICE_PACKAGES: [&str; 2] = ["execline", "s6"];

impl Manifest {
    /// Slices the lock makes when the closure holds a package: libc-bin's C.UTF-8 with
    /// libc6 ([`c_utf8_slice`]).
    pub fn slices_if_installed(&self) -> Vec<(String, Slice)> {
        let (when, slice) = c_utf8_slice();
        vec![(when.to_owned(), slice)]
    }

    /// What the lock slices: `contents.slices`, plus one slice of [`LOCALES_PACKAGE`]
    /// holding the `locales` named (`C.UTF-8` is libc-bin's, see [`c_utf8_slice`]).
    pub fn root_slices(&self) -> Vec<Slice> {
        let mut slices: Vec<Slice> = self.slices.iter().map(|s| s.value.clone()).collect();
        let mut paths = Vec::new();
        for locale in &self.locales {
            let dir = locale_directory(&locale.value);
            if dir == "C.utf8" {
                if !slices.iter().any(|s| s.package.name == "libc-bin") {
                    slices.push(c_utf8_slice().1);
                }
            } else {
                paths.push(format!("{LOCALE_DIR}/{dir}/**"));
            }
        }
        if !paths.is_empty() {
            paths.sort();
            paths.dedup();
            slices.push(Slice {
                package: PackageRequest {
                    name: LOCALES_PACKAGE.to_owned(),
                    version: None,
                    suite: None,
                },
                paths,
            });
        }
        slices
    }

    /// What the lock resolves: `contents.packages`, plus the packages the manifest's
    /// features need ([`SERVICE_PACKAGES`] for `entrypoint.services`) unless named already.
    pub fn root_packages(&self) -> Vec<PackageRequest> {
        let mut roots: Vec<PackageRequest> =
            self.packages.iter().map(|p| p.value.clone()).collect();
        let services = matches!(
            self.entrypoint,
            Some(Located {
                value: Entrypoint::Services(_),
                ..
            })
        );
        if services {
            for name in SERVICE_PACKAGES {
                if !roots.iter().any(|p| p.name == name) {
                    roots.push(PackageRequest {
                        name: name.to_owned(),
                        version: None,
                        suite: None,
                    });
                }
            }
        }
        roots
    }
}
