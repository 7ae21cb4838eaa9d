//! What a lockfile must be before anything trusts it: every entry's fields well formed
//! (a pool path that stays inside the archive, a sha256 that is a hash, a Debian name
//! and version), each repository it names recorded, no package twice per architecture.
//!
//! A lock is a file in the user's repository that anyone can edit; `pool_path` becomes a
//! URL and `sha256` a cache path, so neither may escape where it is meant to point.

use std::collections::HashSet;
use std::path::Path;

use crate::{LockedPackage, Lockfile, LockfileError};

/// Checks `lock`, read from `text` at `path` (which errors name, with the line).
pub(crate) fn validate(path: &Path, text: &str, lock: &Lockfile) -> Result<(), LockfileError> {
    let repositories: HashSet<&str> = lock.repositories.iter().map(|r| r.name.as_str()).collect();
    let mut seen_repositories = HashSet::new();
    for repo in &lock.repositories {
        let fail = |field: &str, value: &str, reason: &str| LockfileError::Entry {
            path: path.to_path_buf(),
            line: line_of(text, 0, field, value),
            entry: format!("repositories: `{}`", repo.name),
            reason: reason.to_owned(),
        };
        if !seen_repositories.insert(repo.name.as_str()) {
            return Err(fail("name", &repo.name, "this repository is listed twice"));
        }
        match &repo.path {
            Some(dir) => {
                if let Some(reason) = local_path_problem(dir) {
                    return Err(fail("path", dir, &reason));
                }
                if repo.archive.is_some() {
                    return Err(fail(
                        "path",
                        dir,
                        "a local repository (`path`) is not an official archive",
                    ));
                }
            }
            None if repo.date.is_none() || repo.inrelease_sha256.is_none() => {
                return Err(fail(
                    "name",
                    &repo.name,
                    "an apt repository's entry needs `date` and `inrelease_sha256` (only a local `path` repository has none)",
                ));
            }
            None => {}
        }
    }
    for (arch, packages) in &lock.packages {
        let arch_start = text.find(&format!("\"{arch}\": [")).unwrap_or(0);
        if !is_architecture(arch) {
            return Err(LockfileError::Entry {
                path: path.to_path_buf(),
                line: line_at(text, arch_start),
                entry: format!("packages: `{arch}`"),
                reason: "not a Debian architecture name".to_owned(),
            });
        }
        let mut names = HashSet::new();
        for package in packages {
            let fail = |field: &str, value: &str, reason: String| LockfileError::Entry {
                path: path.to_path_buf(),
                line: line_of(text, arch_start, field, value),
                entry: format!("packages.{arch}: `{}`", package.name),
                reason: format!("{field} `{}`: {reason}", value.escape_debug()),
            };
            check_entry(package, arch, &repositories)
                .map_err(|(field, value, reason)| fail(field, value, reason))?;
            if !names.insert(package.name.as_str()) {
                return Err(fail(
                    "name",
                    &package.name,
                    format!("listed twice for {arch}; a lock installs one version of a package"),
                ));
            }
        }
    }
    Ok(())
}

type Problem<'a> = (&'static str, &'a str, String);

fn check_entry<'a>(
    package: &'a LockedPackage,
    arch: &str,
    repositories: &HashSet<&str>,
) -> Result<(), Problem<'a>> {
    if !is_package_name(&package.name) {
        return Err((
            "name",
            &package.name,
            "not a Debian package name (lower-case letters, digits, `+`, `-`, `.`)".into(),
        ));
    }
    for (field, value) in [
        ("version", &package.version),
        ("source_version", &package.source_version),
    ] {
        if let Err(err) = aloft_deb::parse_version(value) {
            return Err((field, value, format!("not a Debian version ({err})")));
        }
    }
    if !is_package_name(&package.source) {
        return Err((
            "source",
            &package.source,
            "not a source package name".into(),
        ));
    }
    if package.architecture != "all" && package.architecture != arch {
        return Err((
            "architecture",
            &package.architecture,
            format!("a package for {arch} must be `{arch}` or `all`"),
        ));
    }
    if !repositories.contains(package.repository.as_str()) {
        return Err((
            "repository",
            &package.repository,
            "no repository of that name is in the lock's `repositories`".into(),
        ));
    }
    if let Some(reason) = pool_path_problem(&package.pool_path) {
        return Err(("pool_path", &package.pool_path, reason));
    }
    if package.sha256.len() != 64
        || !package
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err((
            "sha256",
            &package.sha256,
            "not a sha256 (64 lower-case hex digits)".into(),
        ));
    }
    Ok(())
}

/// Why `pool_path` is not a path inside an archive, if it is not: it is appended to a
/// mirror's URL, so it must be relative, plain, and stay below the archive root.
pub fn pool_path_problem(pool_path: &str) -> Option<String> {
    if pool_path.is_empty() {
        return Some("empty".into());
    }
    if pool_path.contains("://") || pool_path.starts_with('/') {
        return Some(
            "a pool path is relative to the archive root (`pool/main/...`), never a URL or an absolute path"
                .into(),
        );
    }
    if let Some(c) = pool_path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '?' | '#'))
    {
        return Some(format!("has the character {:?}", c));
    }
    if pool_path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Some("has an empty, `.` or `..` component".into());
    }
    None
}

/// Why `dir` is not a local repository's path relative to the lockfile, if it is not:
/// it may climb (`../debs`) but is never absolute, a URL, or a control character.
fn local_path_problem(dir: &str) -> Option<String> {
    if dir.is_empty() {
        return Some("empty".into());
    }
    if dir.contains("://") || dir.starts_with('/') || dir.contains('\\') {
        return Some(
            "a local repository's path is relative to the lockfile's directory, never a URL or an absolute path"
                .into(),
        );
    }
    dir.chars()
        .find(|c| c.is_control())
        .map(|c| format!("has the character {c:?}"))
}

/// Debian policy 5.6.1: `[a-z0-9][a-z0-9+.-]+`.
fn is_package_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(b))
}

fn is_architecture(arch: &str) -> bool {
    !arch.is_empty()
        && arch
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The 1-based line of `"field": "value"` at or after `from` (else of `from`).
fn line_of(text: &str, from: usize, field: &str, value: &str) -> usize {
    let needle = format!(
        "\"{field}\": {}",
        serde_json::to_string(value).unwrap_or_default()
    );
    let at = text
        .get(from..)
        .and_then(|rest| rest.find(&needle))
        .map_or(from, |offset| from + offset);
    line_at(text, at)
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::{local_path_problem, pool_path_problem};

    #[test]
    fn local_repository_paths_are_relative_to_the_lock() {
        for good in ["../debs", "debs", "../../vendor/debs"] {
            assert_eq!(local_path_problem(good), None, "{good}");
        }
        for bad in ["", "/home/me/debs", "file:///debs", "debs\nx", "c:\\debs"] {
            assert!(local_path_problem(bad).is_some(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn pool_paths_stay_inside_the_archive() {
        assert_eq!(
            pool_path_problem("pool/main/t/tzdata/tzdata_2025b-4_all.deb"),
            None
        );
        assert_eq!(
            pool_path_problem("pool/main/p/php8.4/php8.4-cli_8.4.12-1%3a_amd64.deb"),
            None
        );
        for bad in [
            "",
            "../../etc/passwd",
            "pool/../../x.deb",
            "pool//x.deb",
            "./pool/x.deb",
            "/pool/x.deb",
            "http://example.invalid/x.deb",
            "pool/x.deb?query",
            "pool/x\n.deb",
            "pool\\x.deb",
        ] {
            assert!(pool_path_problem(bad).is_some(), "{bad:?} was accepted");
        }
    }
}
