//! A lock checked against the .debs it names, before anything is built from it.
//!
//! The lock is a file anyone can edit, and `--locked` trusts it for what to install. So
//! each entry's .deb must be the package the entry says (its control's `Package`,
//! `Version`, `Architecture`, `Source` match), and the set must be what the manifest
//! needs: the manifest resolved again with the lock's own packages as the only
//! repository gives exactly the lock. That finds a requested package or a dependency
//! deleted from the lock, a package added to it, a broken pin, and a Conflicts inside
//! it, each with the resolver's precise error.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use aloft_deb::{BinaryPackage, DebReader, parse_packages};
use aloft_lockfile::{LockedPackage, Lockfile};
use aloft_manifest::Manifest;
use aloft_resolve::{RepositoryPackages, ResolveRequest, resolve_arch};

use crate::LockError;
use crate::error::DebMismatch;

/// The lock of a manifest, and where each of its .debs is (verified by hash already).
#[derive(Clone, Copy)]
pub struct LockedDebs<'a> {
    /// The manifest path as given (named in errors).
    pub manifest_path: &'a Path,
    /// The loaded manifest.
    pub manifest: &'a Manifest,
    /// The lockfile's path (named in errors).
    pub lock_path: &'a Path,
    /// The lock.
    pub lock: &'a Lockfile,
    /// The .deb of a sha256.
    pub deb_path: &'a (dyn Fn(&str) -> PathBuf + Sync),
}

/// Checks `debs` for each of `archs`, reading the control members on `jobs` threads.
///
/// # Errors
/// [`LockError::Deb`] when a .deb cannot be read, [`LockError::NotItsDeb`] when one is
/// another package than its entry says, [`LockError::Unsatisfied`] when the lock is not
/// the manifest's closure.
pub fn verify_locked_debs(
    debs: &LockedDebs<'_>,
    archs: &[String],
    jobs: usize,
) -> Result<(), LockError> {
    for arch in archs {
        let entries = debs.lock.packages.get(arch).map_or(&[][..], Vec::as_slice);
        let packages = read_locked_controls(debs, arch, jobs)?
            .into_iter()
            .map(|control| control.package)
            .collect();
        check_closure(debs, arch, entries, packages)?;
    }
    Ok(())
}

/// A locked package as its .deb declares it.
#[derive(Debug, Clone)]
pub struct LockedControl {
    /// The control paragraph, as an index entry (with the lock's Filename, Size, SHA256).
    pub package: BinaryPackage,
    /// `Installed-Size`, in bytes (dpkg's estimate of what it unpacks to).
    pub installed_size: u64,
}

/// The control of each of `arch`'s locked .debs, in lock order, each checked against its
/// entry (name, version, architecture, source), read on `jobs` threads.
///
/// # Errors
/// As [`verify_locked_debs`], but for the closure.
pub fn read_locked_controls(
    debs: &LockedDebs<'_>,
    arch: &str,
    jobs: usize,
) -> Result<Vec<LockedControl>, LockError> {
    let entries = debs.lock.packages.get(arch).map_or(&[][..], Vec::as_slice);
    aloft_fs::try_map_parallel(entries, jobs, None, |entry| {
        declared_package(debs, arch, entry)
    })
}

/// The control file of each .deb this process read, by the .deb's identity: a run that
/// builds several images checks every lock against its .debs, and most .debs are in
/// several locks.
static CONTROLS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<aloft_fs::FileIdentity, String>>,
> = std::sync::LazyLock::new(Default::default);

/// The package `entry`'s .deb declares, as an index paragraph, once it matches `entry`.
fn declared_package(
    debs: &LockedDebs<'_>,
    arch: &str,
    entry: &LockedPackage,
) -> Result<LockedControl, LockError> {
    let path = (debs.deb_path)(&entry.sha256);
    let label = format!("{} ({})", entry.pool_path, path.display());
    let deb_error = |source: aloft_deb::Error| LockError::Deb {
        package: entry.name.clone(),
        source: Box::new(source),
    };
    let read_error = |source| LockError::DebRead {
        package: entry.name.clone(),
        path: path.clone(),
        source,
    };
    let identity = aloft_fs::FileIdentity::of(&path).map_err(read_error)?;
    let known = CONTROLS
        .lock()
        .ok()
        .and_then(|controls| controls.get(&identity).cloned());
    let control = match known {
        Some(control) => control,
        None => {
            let file = std::fs::File::open(&path).map_err(read_error)?;
            let mut reader = DebReader::new(std::io::BufReader::new(file), label.clone());
            let control = reader
                .control()
                .map_err(deb_error)?
                .control()
                .ok_or_else(|| {
                    deb_error(aloft_deb::Error::Deb {
                        deb: label.clone(),
                        member: "control".into(),
                        reason: "no control file".into(),
                    })
                })?
                .trim_end()
                .to_owned();
            if let Ok(mut controls) = CONTROLS.lock() {
                controls.insert(identity, control.clone());
            }
            control
        }
    };
    // The fields an index adds to the control paragraph, so that it parses as one.
    let paragraph = format!(
        "{control}\nFilename: {}\nSize: {}\nSHA256: {}\n",
        entry.pool_path, entry.size, entry.sha256
    );
    let package = parse_packages(&label, &paragraph)
        .map_err(deb_error)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            deb_error(aloft_deb::Error::Deb {
                deb: label.clone(),
                member: "control".into(),
                reason: "empty control file".into(),
            })
        })?;
    let fields = [
        ("Package", &entry.name, package.name()),
        ("Version", &entry.version, package.version()),
        ("Architecture", &entry.architecture, package.architecture()),
        ("Source", &entry.source, package.source()),
        (
            "Source version",
            &entry.source_version,
            package.source_version(),
        ),
    ];
    let installed_size = aloft_deb::paragraphs(&label, &control)
        .next()
        .and_then(Result::ok)
        .and_then(|fields| fields.get("Installed-Size"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024);
    for (field, locked, declared) in fields {
        if locked != declared {
            return Err(LockError::NotItsDeb(Box::new(DebMismatch {
                lock: debs.lock_path.to_path_buf(),
                arch: arch.to_owned(),
                package: entry.name.clone(),
                field,
                locked: locked.clone(),
                declared: declared.to_owned(),
                deb: path,
            })));
        }
    }
    Ok(LockedControl {
        package,
        installed_size,
    })
}

/// The manifest resolved with `packages` (the lock's, for `arch`) as the only candidates
/// must give exactly them.
fn check_closure(
    debs: &LockedDebs<'_>,
    arch: &str,
    entries: &[LockedPackage],
    packages: Vec<BinaryPackage>,
) -> Result<(), LockError> {
    let unsatisfied = |reason: String| LockError::Unsatisfied {
        lock: debs.lock_path.to_path_buf(),
        manifest: debs.manifest_path.to_path_buf(),
        arch: arch.to_owned(),
        reason,
    };
    let mut by_repository: HashMap<&str, Vec<BinaryPackage>> = HashMap::new();
    for (entry, package) in entries.iter().zip(packages) {
        by_repository
            .entry(entry.repository.as_str())
            .or_default()
            .push(package);
    }
    let repositories = debs
        .lock
        .repositories
        .iter()
        .map(|repo| RepositoryPackages {
            repository: repo.name.clone(),
            suite: repo.suite.clone(),
            codename: repo.codename.clone(),
            packages: by_repository.remove(repo.name.as_str()).unwrap_or_default(),
            preferred: repo.path.is_some(),
        })
        .collect();
    let request = ResolveRequest {
        packages: debs.manifest.root_packages(),
        exclude: debs
            .manifest
            .exclude
            .iter()
            .map(|e| e.value.clone())
            .collect(),
        preferences: entries
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect(),
        upgrade: Default::default(),
        slices: debs.manifest.root_slices(),
        slices_if_installed: debs.manifest.slices_if_installed(),
    };
    let resolved =
        resolve_arch(arch, repositories, &request).map_err(|err| unsatisfied(err.to_string()))?;
    let needed: BTreeSet<&str> = resolved.iter().map(|p| p.name.as_str()).collect();
    let extra: Vec<&str> = entries
        .iter()
        .map(|p| p.name.as_str())
        .filter(|name| !needed.contains(name))
        .collect();
    if !extra.is_empty() {
        return Err(unsatisfied(format!(
            "it installs {}, which the manifest does not need",
            extra
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // What the image leaves out is the resolver's to say: an edited `left_out` could
    // take a library out from under a program, and a lock from before aloft left script
    // tools out would put them in.
    let should = left_out_names(&resolved);
    let does = left_out_names(entries);
    if should != does {
        let names = |set: BTreeSet<&String>| {
            set.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let wrongly_out = names(does.difference(&should).collect());
        let wrongly_in = names(should.difference(&does).collect());
        let mut reasons = Vec::new();
        if !wrongly_out.is_empty() {
            reasons.push(format!(
                "it leaves out {wrongly_out}, which the image needs"
            ));
        }
        if !wrongly_in.is_empty() {
            reasons.push(format!(
                "it installs {wrongly_in}, which only maintainer scripts use (a lock from an older aloft: run `aloft lock` again)"
            ));
        }
        return Err(unsatisfied(reasons.join("; ")));
    }
    // Which paths a slice keeps is the manifest's to say, and which packages are slices
    // the resolver's.
    let slices = |list: &[LockedPackage]| -> BTreeMap<String, Option<Vec<String>>> {
        list.iter()
            .map(|p| (p.name.clone(), p.slice.clone()))
            .collect()
    };
    let (should, does) = (slices(&resolved), slices(entries));
    if let Some((name, slice)) = does
        .iter()
        .find(|(name, slice)| should.get(*name) != Some(slice))
    {
        let expected = should.get(name).cloned().flatten();
        return Err(unsatisfied(match (slice, expected) {
            (Some(_), None) => {
                format!("it keeps only a slice of `{name}`, which the image needs whole")
            }
            (None, Some(_)) => format!("it installs `{name}` whole, which the manifest slices"),
            _ => format!("its slice of `{name}` keeps other paths than the manifest's"),
        }));
    }
    Ok(())
}

/// The names of the packages of `list` that the image leaves out.
fn left_out_names(list: &[aloft_lockfile::LockedPackage]) -> BTreeSet<String> {
    list.iter()
        .filter(|p| p.left_out.is_some())
        .map(|p| p.name.clone())
        .collect()
}
