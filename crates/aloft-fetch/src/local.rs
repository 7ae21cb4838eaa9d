//! Local repositories (`path:` in a manifest): the user's own .debs.
//!
//! A directory is read one of two ways:
//! - a **flat repository** when it holds a `Packages` index (`Packages`, `.xz` or `.gz`,
//!   as `dpkg-scanpackages` or `apt-ftparchive` write it, no `dists/`): its entries are
//!   used as they are; with a keyring its `InRelease` (or `Release` + `Release.gpg`) must
//!   verify and list the index's hash, as apt checks a flat repository;
//! - otherwise a **directory of .debs**, indexed here as `dpkg-scanpackages` would: every
//!   `*.deb` below it (hidden names skipped), its control paragraph with `Filename`,
//!   `Size` and `SHA256` added.
//!
//! Either way a `Filename` is a plain relative path that stays inside the directory (no
//! `..`, no link out of it), and an unsigned repository is trusted through the hashes the
//! lock records: the .debs are the user's own files.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use aloft_deb::{BinaryPackage, DebReader, Keyring, Release, parse_packages};
use aloft_fs::{AtomicFile, FILE_MODE};
use sha2::{Digest, Sha256};

use crate::FetchError;
use crate::debs::{DebCache, DebRequest};

/// How a local directory was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalLayout {
    /// A directory of .debs, indexed by aloft.
    Debs,
    /// A flat repository: `DIR/Packages`.
    Flat,
}

/// A flat repository's verified Release.
#[derive(Debug, Clone)]
pub struct LocalRelease {
    /// The parsed Release.
    pub release: Release,
    /// sha256 of the signed file (`InRelease`, or `Release` with a detached signature).
    pub sha256: String,
    /// Fingerprints of the keys whose signatures verified.
    pub signers: Vec<String>,
}

/// A local repository as read.
#[derive(Debug, Clone)]
pub struct LocalRepository {
    /// The directory.
    pub dir: PathBuf,
    /// How it was read.
    pub layout: LocalLayout,
    /// The verified Release, when a keyring was given.
    pub release: Option<LocalRelease>,
    /// Every package, of every architecture (callers keep those they build for).
    pub packages: Vec<BinaryPackage>,
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::LocalRead {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> FetchError {
    FetchError::LocalInvalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads the local repository at `dir` (`name` is its name in the manifest); a flat
/// repository's Release must verify with `keyring` when one is given.
pub fn read_local_repository(
    name: &str,
    dir: &Path,
    keyring: Option<&Keyring>,
    now: SystemTime,
) -> Result<LocalRepository, FetchError> {
    let index = aloft_deb::INDEX_EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("Packages{ext}")))
        .find(|path| path.is_file());
    let release = match keyring {
        Some(keyring) => Some(verify_release(name, dir, keyring, now)?),
        None => None,
    };
    let Some(index) = index else {
        if release.is_some() {
            return Err(invalid(
                dir,
                "has a Release but no `Packages` index; a signed local repository is a flat repository",
            ));
        }
        return Ok(LocalRepository {
            dir: dir.to_path_buf(),
            layout: LocalLayout::Debs,
            release: None,
            packages: index_debs(dir)?,
        });
    };
    let bytes = fs_err::read(&index).map_err(read_error(&index))?;
    let file_name = index
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(signed) = &release {
        let (sha256, size) = (crate::sha256_hex(&bytes), bytes.len() as u64);
        match signed.release.sha256.get(&file_name) {
            Some(listed) if listed.sha256 == sha256 && listed.size == size => {}
            Some(listed) => {
                return Err(invalid(
                    &index,
                    format!(
                        "does not match its Release: the Release says sha256 {}, {} bytes; the file has sha256 {sha256}, {size} bytes",
                        listed.sha256, listed.size
                    ),
                ));
            }
            None => {
                return Err(invalid(
                    &index,
                    format!("is not listed in the SHA256 field of the signed Release of `{name}`"),
                ));
            }
        }
    }
    let label = index.display().to_string();
    let text = aloft_deb::decompress_by_name(&file_name, &bytes)
        .map_err(|e| invalid(&index, e.to_string()))?;
    let text = String::from_utf8(text).map_err(|_| invalid(&index, "is not UTF-8 text"))?;
    // `dpkg-scanpackages .` writes `Filename: ./x.deb`; the lock holds `x.deb`.
    let text: String = text
        .lines()
        .map(|line| match line.strip_prefix("Filename:") {
            Some(value) => format!("Filename: {}\n", value.trim().trim_start_matches("./")),
            None => format!("{line}\n"),
        })
        .collect();
    let packages = parse_packages(&label, &text).map_err(|e| invalid(&index, e.to_string()))?;
    for package in &packages {
        if let Some(problem) = relative_path_problem(package.filename()) {
            return Err(invalid(
                &index,
                format!(
                    "the entry of `{} {}` has `Filename: {}`, which {problem}",
                    package.name(),
                    package.version(),
                    package.filename()
                ),
            ));
        }
    }
    Ok(LocalRepository {
        dir: dir.to_path_buf(),
        layout: LocalLayout::Flat,
        release,
        packages,
    })
}

/// The flat repository's `InRelease`, or `Release` with `Release.gpg`, verified.
fn verify_release(
    name: &str,
    dir: &Path,
    keyring: &Keyring,
    now: SystemTime,
) -> Result<LocalRelease, FetchError> {
    let inrelease = dir.join("InRelease");
    let (file, verified, signed_bytes) = if inrelease.is_file() {
        let bytes = fs_err::read(&inrelease).map_err(read_error(&inrelease))?;
        let label = inrelease.display().to_string();
        let verified = aloft_deb::verify_inrelease(&label, &bytes, keyring, now)
            .map_err(|e| invalid(&inrelease, e.to_string()))?;
        (inrelease, verified, bytes)
    } else {
        let release = dir.join("Release");
        let signature = dir.join("Release.gpg");
        if !release.is_file() || !signature.is_file() {
            return Err(invalid(
                dir,
                format!(
                    "the manifest gives `{name}` a keyring, but the directory has no `InRelease` (nor `Release` with `Release.gpg`) to verify with it"
                ),
            ));
        }
        let bytes = fs_err::read(&release).map_err(read_error(&release))?;
        let sig = fs_err::read(&signature).map_err(read_error(&signature))?;
        let label = release.display().to_string();
        let verified = aloft_deb::verify_detached(&label, &bytes, &sig, keyring, now)
            .map_err(|e| invalid(&release, e.to_string()))?;
        (release, verified, bytes)
    };
    let label = file.display().to_string();
    let release =
        Release::parse(&label, &verified.text).map_err(|e| invalid(&file, e.to_string()))?;
    Ok(LocalRelease {
        release,
        sha256: crate::sha256_hex(&signed_bytes),
        signers: verified.signers,
    })
}

/// Why `path` cannot be a local .deb's pool path, if it cannot: it must be a plain
/// relative path inside the directory, without the characters a lock's pool path
/// cannot hold (whitespace, `?`, `#`: `aloft-lockfile` refuses them).
fn relative_path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("is empty".into());
    }
    if let Some(c) = path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | '\\'))
    {
        return Some(format!(
            "has the character {c:?}, which a lock's pool path cannot hold: rename the file"
        ));
    }
    let plain = Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (!plain).then(|| "is not a plain relative path inside the directory (`..`, `/`)".into())
}

fn single_package(label: &str, paragraph: &str) -> Result<BinaryPackage, String> {
    let mut packages = parse_packages(label, paragraph).map_err(|e| e.to_string())?;
    match (packages.pop(), packages.is_empty()) {
        (Some(package), true) => Ok(package),
        _ => Err("the control file is not one paragraph".to_owned()),
    }
}

/// Every `*.deb` below `dir`, sorted by path, indexed as `dpkg-scanpackages` would.
fn index_debs(dir: &Path) -> Result<Vec<BinaryPackage>, FetchError> {
    let mut files = Vec::new();
    collect_debs(dir, dir, &mut files)?;
    files.sort();
    let mut packages = Vec::with_capacity(files.len());
    for relative in files {
        let path = local_deb_path(dir, &relative)?;
        let bytes = fs_err::read(&path).map_err(read_error(&path))?;
        let label = path.display().to_string();
        let mut reader = DebReader::new(std::io::Cursor::new(bytes.as_slice()), label.clone());
        let control = reader.control().map_err(|e| {
            // The error names the file; say it once.
            let message = e.to_string();
            let detail = message
                .strip_prefix(&format!("`{label}`: "))
                .unwrap_or(&message);
            invalid(&path, format!("not a readable .deb: {detail}"))
        })?;
        let Some(control) = control.control() else {
            return Err(invalid(&path, "the .deb has no `control` file"));
        };
        let mut paragraph = control.trim_end().to_owned();
        paragraph.push_str(&format!(
            "\nFilename: {relative}\nSize: {}\nSHA256: {}\n",
            bytes.len(),
            crate::sha256_hex(&bytes)
        ));
        let package = single_package(&label, &paragraph)
            .map_err(|reason| invalid(&path, format!("its control file: {reason}")))?;
        packages.push(package);
    }
    Ok(packages)
}

/// Adds the `*.deb` files below `dir` (relative to `root`, `/`-separated) to `out`.
fn collect_debs(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), FetchError> {
    let entries = fs_err::read_dir(dir).map_err(read_error(dir))?;
    for entry in entries {
        let entry = entry.map_err(read_error(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(read_error(&path))?;
        if kind.is_dir() {
            collect_debs(root, &path, out)?;
        } else if name.ends_with(".deb") {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(relative);
        }
    }
    Ok(())
}

/// What a local .deb that differs from its lock entry is told.
pub const CHANGED_SINCE_LOCKED: &str =
    "changed since it was locked (run `aloft lock` again): the lock has";

/// The .deb of `request` in the local repository `dir`, checked against the request's
/// sha256 and size and copied into the cache (so what is extracted is what was checked,
/// whatever happens to the user's file meanwhile).
pub(crate) fn copy_local_deb(
    cache: &DebCache,
    request: &DebRequest,
    dir: &Path,
) -> Result<PathBuf, FetchError> {
    let path = local_deb_path(dir, &request.pool_path)?;
    let dest = cache.path(&request.sha256);
    let cache_error = |source| FetchError::CacheWrite {
        path: dest.clone(),
        source,
    };
    fs_err::create_dir_all(dest.parent().unwrap_or(Path::new("."))).map_err(cache_error)?;
    let tmp = AtomicFile::create(&dest).map_err(cache_error)?;
    let mut file = fs_err::File::open(&path).map_err(read_error(&path))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let mut out = tmp.file();
    loop {
        let n = file.read(&mut buf).map_err(read_error(&path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        std::io::Write::write_all(&mut out, &buf[..n]).map_err(cache_error)?;
        size += n as u64;
    }
    let actual = hex::encode(hasher.finalize());
    if actual != request.sha256 || size != request.size {
        return Err(FetchError::LocalMismatch {
            package: request.package.clone(),
            path,
            context: CHANGED_SINCE_LOCKED.into(),
            expected: hash_and_size(&request.sha256, request.size),
            actual: hash_and_size(&actual, size),
        });
    }
    tmp.commit(FILE_MODE).map_err(cache_error)?;
    Ok(dest)
}

/// Checks that the .deb `pool_path` of local repository `dir` has `sha256` and `size`
/// (a flat repository's index may disagree with its files, a file may change after it
/// was locked); `context` says who said so, ending in "says" or "has".
pub fn check_local_deb(
    dir: &Path,
    package: &str,
    pool_path: &str,
    sha256: &str,
    size: u64,
    context: &str,
) -> Result<(), FetchError> {
    let path = local_deb_path(dir, pool_path)?;
    // Streamed: this runs for every local .deb each time a lock is checked.
    let (actual, actual_size) = crate::debs::sha256_file(&path).map_err(read_error(&path))?;
    if actual != sha256 || actual_size != size {
        return Err(FetchError::LocalMismatch {
            package: package.to_owned(),
            path,
            context: context.to_owned(),
            expected: hash_and_size(sha256, size),
            actual: hash_and_size(&actual, actual_size),
        });
    }
    Ok(())
}

fn hash_and_size(sha256: &str, size: u64) -> String {
    format!("sha256 {sha256}, {size} bytes")
}

/// `dir/pool_path`, refused when a link takes it out of `dir`.
fn local_deb_path(dir: &Path, pool_path: &str) -> Result<PathBuf, FetchError> {
    let path = dir.join(pool_path);
    if let Some(problem) = relative_path_problem(pool_path) {
        return Err(invalid(&path, format!("its name {problem}")));
    }
    let root = dir.canonicalize().map_err(read_error(dir))?;
    let resolved = path.canonicalize().map_err(read_error(&path))?;
    if !resolved.starts_with(&root) {
        return Err(invalid(
            &path,
            format!(
                "is a link to `{}`, outside the local repository `{}`",
                resolved.display(),
                dir.display()
            ),
        ));
    }
    Ok(path)
}
