//! Path strings: lexical normalization, and `stat`/`lstat` over a file oracle.

use crate::FileKind;

/// Symlinks followed in one lookup before giving up, as Linux does (`ELOOP`).
const MAX_HOPS: usize = 40;

/// `/a//b/./c/../d` -> `/a/b/d` (lexical: `..` removes the previous component).
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `path` made absolute against `cwd`, then normalized.
pub(crate) fn absolute(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{cwd}/{path}"))
    }
}

/// The last component (`/a/b/` -> `b`).
pub(crate) fn basename(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// The parent of a normalized absolute path (`/` for `/x` and `/`).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Looks `path` (absolute, normalized or not) up through `lstat`, following symlinks in
/// every component, and in the last one too when `follow_last`. Returns the resolved path
/// and what is there, or `None` when nothing is (or a loop).
pub(crate) fn lookup(
    lstat: &dyn Fn(&str) -> Option<FileKind>,
    path: &str,
    follow_last: bool,
) -> Option<(String, FileKind)> {
    let mut pending: Vec<String> = path
        .split('/')
        .rev()
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_owned)
        .collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        if comp == ".." {
            resolved.pop();
            continue;
        }
        let candidate = format!("/{}", {
            let mut v = resolved.clone();
            v.push(comp.clone());
            v.join("/")
        });
        let kind = lstat(&candidate)?;
        let last = pending.is_empty();
        match kind {
            FileKind::Symlink(target) if !last || follow_last => {
                hops += 1;
                if hops > MAX_HOPS {
                    return None;
                }
                if target.starts_with('/') {
                    resolved.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .rev()
                        .filter(|c| !c.is_empty() && *c != ".")
                        .map(str::to_owned),
                );
                if pending.is_empty() {
                    // A link to `/`.
                    return Some(("/".to_owned(), FileKind::Dir));
                }
            }
            kind => {
                if last {
                    return Some((candidate, kind));
                }
                if kind != FileKind::Dir {
                    return None;
                }
                resolved.push(comp);
            }
        }
    }
    Some((format!("/{}", resolved.join("/")), FileKind::Dir))
}

/// `to` (absolute, normalized) as a path relative to directory `from` (absolute,
/// normalized): `relative("/etc/a", "/usr/share/x")` is `../../usr/share/x`.
pub(crate) fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|c| !c.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').filter(|c| !c.is_empty()).collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to_parts[common..]);
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(path: &str) -> Option<FileKind> {
        match path {
            "/etc" | "/usr" | "/usr/bin" | "/run" => Some(FileKind::Dir),
            "/bin" => Some(FileKind::Symlink("usr/bin".into())),
            "/var" => Some(FileKind::Dir),
            "/var/run" => Some(FileKind::Symlink("/run".into())),
            "/usr/bin/php8.4" => Some(FileKind::Executable),
            "/usr/bin/php" => Some(FileKind::Symlink("/etc/alternatives/php".into())),
            "/loop" => Some(FileKind::Symlink("loop".into())),
            _ => None,
        }
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normalize("/"), "/");
        assert_eq!(absolute("/etc", "x/../y"), "/etc/y");
        assert_eq!(basename("/a/b/"), "b");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
    }

    #[test]
    fn follows_links() {
        assert_eq!(
            lookup(&tree, "/bin/php8.4", true),
            Some(("/usr/bin/php8.4".into(), FileKind::Executable))
        );
        assert_eq!(
            lookup(&tree, "/var/run", true),
            Some(("/run".into(), FileKind::Dir))
        );
        assert_eq!(
            lookup(&tree, "/var/run", false),
            Some(("/var/run".into(), FileKind::Symlink("/run".into())))
        );
        assert_eq!(lookup(&tree, "/usr/bin/php", true), None);
        assert_eq!(lookup(&tree, "/loop", true), None);
        assert_eq!(lookup(&tree, "/", true), Some(("/".into(), FileKind::Dir)));
        assert_eq!(lookup(&tree, "/usr/bin/php8.4/x", true), None);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(super::relative("/etc", "/usr/share/x"), "../usr/share/x");
        assert_eq!(super::relative("/etc/a", "/etc/a/b"), "b");
        assert_eq!(super::relative("/", "/etc"), "etc");
        assert_eq!(super::relative("/etc", "/etc"), ".");
    }
}
