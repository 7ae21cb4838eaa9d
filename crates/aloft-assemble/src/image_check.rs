//! The check every build makes of the image it is about to write (container-structure-
//! test's idea, built in): what a program of the image needs at run time is in the image.
//! - the entrypoint (and each service's program) exists and is executable;
//! - every ELF file's program interpreter and DT_NEEDED libraries are found where ld.so
//!   looks (run paths with `$ORIGIN`, the multiarch and default directories, the
//!   directories of /etc/ld.so.conf.d when aloft wrote an /etc/ld.so.cache), and every
//!   ELF file is built for the platform;
//! - every `#!` interpreter of an executable script on the PATH exists (for
//!   `#!/usr/bin/env NAME`, NAME on the PATH too);
//! - every owner and group of every path is in /etc/passwd and /etc/group.
//!
//! Findings are grouped by what is missing (one finding for /bin/sh, naming the scripts
//! that need it and their packages), so a report stays readable. They are warnings unless
//! the build is strict. The facts come from the layers' index (`exec_facts`): no second
//! pass over the .debs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use aloft_manifest::{Entrypoint, Manifest};

use crate::accounts::AccountFiles;
use crate::exec_facts::ExecFacts;
use crate::final_layer::{FinalLayer, InstalledTree, LayerEntry};
use crate::package::FileKind;

/// The PATH a container gets when the image sets none (Docker's default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How many files a finding names before it says "and N more".
const NAMED: usize = 5;

/// One thing the image lacks, with the files that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFinding {
    /// Which check: `entrypoint`, `library`, `slice` (a library a slice's file needs),
    /// `interpreter`, `machine`, `owner`.
    pub check: &'static str,
    /// What is missing or wrong, in a few words.
    pub message: String,
    /// The files concerned (`/usr/bin/gem` (ruby)), first ones only.
    pub files: Vec<String>,
    /// How many files are concerned in all.
    pub count: usize,
    /// What the user can do.
    pub help: String,
}

impl fmt::Display for ImageFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if !self.files.is_empty() {
            let relation = match self.check {
                "machine" => "",
                "owner" => "owning ",
                _ => "needed by ",
            };
            write!(f, ": {relation}{}", self.files.join(", "))?;
            if self.count > self.files.len() {
                write!(f, " and {} more", self.count - self.files.len())?;
            }
        }
        if !self.help.is_empty() {
            write!(f, " ({})", self.help)?;
        }
        Ok(())
    }
}

/// What the check reads.
pub(crate) struct CheckInput<'a> {
    /// The package layers' paths.
    pub(crate) tree: &'a InstalledTree<'a>,
    /// The final layer as it will be written.
    pub(crate) layer: &'a FinalLayer,
    /// The manifest (entrypoint, environment).
    pub(crate) manifest: &'a Manifest,
    /// The image's account files.
    pub(crate) accounts: &'a AccountFiles,
    /// The multiarch triplet (`x86_64-linux-gnu`), when aloft knows the platform's.
    pub(crate) triplet: Option<&'a str>,
    /// The ELF machine of the platform, when known.
    pub(crate) machine: Option<u16>,
    /// The packages the image keeps a slice of: a library their files lack is an error.
    pub(crate) sliced: &'a BTreeSet<&'a str>,
}

/// What is at a resolved image path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A regular file (or a hard link to one), executable or not.
    File {
        executable: bool,
    },
    Dir,
    Other,
}

impl CheckInput<'_> {
    /// What `path` (relative, links followed) is, if anything.
    fn kind(&self, path: &str) -> Option<Kind> {
        let resolved = self.layer.resolve_all(path);
        if let Some(entry) = self.layer.entry(&resolved) {
            return Some(match entry {
                // The final layer's files: generated or from `files:`; modes are checked
                // where they are made.
                LayerEntry::File => Kind::File { executable: true },
                LayerEntry::Symlink(_) => Kind::Other,
                LayerEntry::Other => Kind::Dir,
            });
        }
        let (_, record) = self.tree.get(&resolved)?;
        Some(match record.kind {
            FileKind::File { .. } | FileKind::Hardlink { .. } => Kind::File {
                executable: record.mode & 0o111 != 0,
            },
            FileKind::Dir => Kind::Dir,
            _ => Kind::Other,
        })
    }

    fn is_file(&self, path: &str) -> bool {
        matches!(self.kind(path), Some(Kind::File { .. }))
    }

    /// The image's PATH: the manifest's `PATH`, else Docker's default.
    fn path_dirs(&self) -> Vec<String> {
        self.manifest
            .environment
            .get("PATH")
            .map_or(DEFAULT_PATH, String::as_str)
            .split(':')
            .filter(|d| d.starts_with('/'))
            .map(|d| d.trim_start_matches('/').to_owned())
            .collect()
    }

    /// Where a program named `name` (no `/`) is found on the image's PATH.
    fn which(&self, name: &str) -> Option<String> {
        self.path_dirs()
            .into_iter()
            .map(|dir| format!("{dir}/{name}"))
            .find(|p| matches!(self.kind(p), Some(Kind::File { executable: true })))
    }
}

/// Collects findings by what is missing.
#[derive(Default)]
struct Findings {
    /// (check, message, help) -> files.
    by_key: BTreeMap<(&'static str, String, String), BTreeSet<String>>,
}

impl Findings {
    /// Records a finding; `file` empty when no file needs it (the entrypoint).
    fn add(&mut self, check: &'static str, message: String, help: String, file: String) {
        let files = self.by_key.entry((check, message, help)).or_default();
        if !file.is_empty() {
            files.insert(file);
        }
    }

    fn into_vec(self) -> Vec<ImageFinding> {
        self.by_key
            .into_iter()
            .map(|((check, message, help), files)| ImageFinding {
                check,
                message,
                count: files.len(),
                files: files.into_iter().take(NAMED).collect(),
                help,
            })
            .collect()
    }
}

/// The package that usually provides an interpreter Debian scripts name, for the help.
fn provider_of(interpreter: &str) -> Option<&'static str> {
    Some(match interpreter.trim_start_matches('/') {
        "bin/sh" | "usr/bin/sh" => "dash (or busybox)",
        "bin/bash" | "usr/bin/bash" => "bash",
        "usr/bin/env" | "bin/env" => "coreutils",
        "usr/bin/perl" | "bin/perl" => "perl-base",
        "usr/bin/python3" => "python3",
        "usr/bin/ruby" => "ruby",
        "usr/bin/node" | "usr/bin/nodejs" => "nodejs",
        "usr/bin/php" => "php-cli",
        "usr/bin/awk" => "mawk",
        "python3" => "python3",
        "ruby" => "ruby",
        "node" => "nodejs",
        "perl" => "perl-base",
        "bash" => "bash",
        "sh" => "dash",
        _ => return None,
    })
}

fn add_help(interpreter: &str) -> String {
    match provider_of(interpreter) {
        Some(package) => format!("add `{package}` to the manifest's packages"),
        None => "add the package that provides it".to_owned(),
    }
}

/// Runs every check.
pub(crate) fn check_image(input: &CheckInput<'_>) -> Vec<ImageFinding> {
    let mut findings = Findings::default();
    check_entrypoint(input, &mut findings);
    check_exec_facts(input, &mut findings);
    check_owners(input, &mut findings);
    findings.into_vec()
}

fn check_entrypoint(input: &CheckInput<'_>, findings: &mut Findings) {
    let Some(entrypoint) = &input.manifest.entrypoint else {
        return;
    };
    let programs: Vec<(String, &str)> = match &entrypoint.value {
        Entrypoint::Command(argv) => argv
            .first()
            .map(|p| vec![("entrypoint".to_owned(), p.as_str())])
            .unwrap_or_default(),
        Entrypoint::Services(services) => services
            .iter()
            .filter_map(|(name, argv)| {
                argv.first()
                    .map(|p| (format!("service `{name}`"), p.as_str()))
            })
            .collect(),
    };
    for (what, program) in programs {
        let found = if program.contains('/') {
            match input.kind(program.trim_start_matches('/')) {
                Some(Kind::File { executable: true }) => true,
                Some(Kind::File { executable: false }) => {
                    findings.add(
                        "entrypoint",
                        format!("the {what}'s program `{program}` is not executable"),
                        "set its mode with `paths:` (type: permissions)".to_owned(),
                        String::new(),
                    );
                    continue;
                }
                _ => false,
            }
        } else {
            input.which(program).is_some()
        };
        if !found {
            findings.add(
                "entrypoint",
                format!("the {what}'s program `{program}` is not in the image"),
                "add the package that provides it, or fix the path".to_owned(),
                String::new(),
            );
        }
    }
}

fn check_exec_facts(input: &CheckInput<'_>, findings: &mut Findings) {
    let mut search: Vec<String> = Vec::new();
    if let Some(triplet) = input.triplet {
        search.push(format!("lib/{triplet}"));
        search.push(format!("usr/lib/{triplet}"));
    }
    search.extend(["lib".to_owned(), "usr/lib".to_owned()]);
    search.extend(ld_so_conf_dirs(input));
    let path_dirs: BTreeSet<String> = input
        .path_dirs()
        .iter()
        .map(|dir| input.layer.resolve_all(dir))
        .collect();
    let on_path = |path: &str| {
        path.rsplit_once('/')
            .is_some_and(|(dir, _)| path_dirs.contains(&input.layer.resolve_all(dir)))
    };
    // The file names each package ships: a library a package's own program loads from a
    // private directory first (the JVM's lib/server/libjvm.so, by dlopen) satisfies its
    // other libraries' DT_NEEDED by soname once loaded, wherever it is.
    let mut shipped: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (path, owner, record) in input.tree.entries() {
        if matches!(record.kind, FileKind::File { .. }) {
            let name = path.rsplit_once('/').map_or(path, |(_, name)| name);
            shipped.entry(owner).or_default().insert(name);
        }
    }
    let ships = |owner: &str, library: &str| {
        shipped
            .get(owner)
            .is_some_and(|names| names.contains(library))
    };
    for (path, owner, record) in input.tree.entries() {
        let Some(facts) = &record.exec else { continue };
        // A file the final layer replaced is not this one any more.
        if input.layer.has(path) {
            continue;
        }
        let who = format!("/{path} ({owner})");
        match facts {
            ExecFacts::Elf {
                machine,
                interpreter,
                needed,
                runpath,
            } => {
                if let Some(expected) = input.machine
                    && *machine != expected
                {
                    findings.add(
                        "machine",
                        format!(
                            "ELF files are built for machine {machine}, not the platform's {expected}"
                        ),
                        "a package of another architecture is in the image".to_owned(),
                        who.clone(),
                    );
                    continue;
                }
                if let Some(interpreter) = interpreter
                    && !input.is_file(interpreter.trim_start_matches('/'))
                {
                    findings.add(
                        "interpreter",
                        format!("the program interpreter `{interpreter}` is not in the image"),
                        "add `libc6` to the manifest's packages".to_owned(),
                        who.clone(),
                    );
                }
                let origin = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                let dirs: Vec<String> = runpath
                    .iter()
                    .map(|dir| {
                        dir.replace("${ORIGIN}", &format!("/{origin}"))
                            .replace("$ORIGIN", &format!("/{origin}"))
                            .trim_start_matches('/')
                            .to_owned()
                    })
                    .chain(search.iter().cloned())
                    .collect();
                // Without the platform's directories a search would only mislead.
                let needed = if input.triplet.is_some() {
                    needed.as_slice()
                } else {
                    &[]
                };
                for library in needed {
                    let found = dirs
                        .iter()
                        .any(|dir| input.is_file(&format!("{dir}/{library}")))
                        || ships(owner, library);
                    if !found && input.sliced.contains(owner) {
                        findings.add(
                            "slice",
                            format!("the library `{library}` is not in the image"),
                            "a slice keeps the file: add the library's package, or leave the file out of the slice".to_owned(),
                            who.clone(),
                        );
                    } else if !found {
                        findings.add(
                            "library",
                            format!("the library `{library}` is not in the image"),
                            "add the package that ships it".to_owned(),
                            who.clone(),
                        );
                    }
                }
            }
            // Scripts are checked where a container runs programs from: the PATH (init
            // scripts, examples under /usr/share/doc and hooks are never run in one).
            ExecFacts::Script { .. } if !on_path(path) => {}
            ExecFacts::Script {
                interpreter,
                argument,
            } => {
                let env = matches!(interpreter.as_str(), "/usr/bin/env" | "/bin/env");
                if !input.is_file(interpreter.trim_start_matches('/')) {
                    findings.add(
                        "interpreter",
                        format!("the script interpreter `{interpreter}` is not in the image"),
                        add_help(interpreter),
                        who,
                    );
                } else if env
                    && let Some(name) = argument.as_deref().filter(|a| !a.starts_with('-'))
                    && input.which(name).is_none()
                {
                    findings.add(
                        "interpreter",
                        format!(
                            "`{name}` (run through `{interpreter}`) is not on the image's PATH"
                        ),
                        add_help(name),
                        who,
                    );
                }
            }
        }
    }
}

/// The directories /etc/ld.so.conf.d adds, when aloft wrote an /etc/ld.so.cache (ld.so
/// reads them only through it).
fn ld_so_conf_dirs(input: &CheckInput<'_>) -> Vec<String> {
    input
        .layer
        .library_dirs()
        .iter()
        .map(|d| d.trim_start_matches('/').to_owned())
        .collect()
}

fn check_owners(input: &CheckInput<'_>, findings: &mut Findings) {
    let ids = |text: &str| -> BTreeSet<u64> {
        text.lines()
            .filter_map(|line| line.split(':').nth(2).and_then(|id| id.parse().ok()))
            .collect()
    };
    let (users, groups) = (ids(&input.accounts.passwd), ids(&input.accounts.group));
    let mut check = |path: &str, owner: &str, uid: u64, gid: u64| {
        let who = format!("/{path} ({owner})");
        if !users.contains(&uid) {
            findings.add(
                "owner",
                format!("uid {uid} owns paths but is not in /etc/passwd"),
                "add the user to `accounts:` or change the owner with `paths:`".to_owned(),
                who.clone(),
            );
        }
        if !groups.contains(&gid) {
            findings.add(
                "owner",
                format!("gid {gid} owns paths but is not in /etc/group"),
                "add the group to `accounts:` or change the group with `paths:`".to_owned(),
                who,
            );
        }
    };
    for (path, owner, record) in input.tree.entries() {
        if !input.layer.has(path) {
            check(path, owner, record.uid, record.gid);
        }
    }
    for (path, uid, gid) in input.layer.owners() {
        check(&path, "final layer", uid, gid);
    }
}
