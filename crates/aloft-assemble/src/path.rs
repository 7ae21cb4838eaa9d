//! Paths of .deb entries, made safe and merged-/usr.
//!
//! A tar member name (`./usr/bin/php8.4`) becomes a relative image path (`usr/bin/php8.4`)
//! with no `.`/empty components; `..` anywhere is refused (it could escape the root).
//! Legacy top-level directories map into /usr as on a merged-/usr system, where dpkg
//! follows base-files' `/bin -> usr/bin` links: `lib/x86_64-linux-gnu/libc.so.6` is
//! written as `usr/lib/x86_64-linux-gnu/libc.so.6`.

/// Top-level directories that are symlinks into /usr on merged-/usr Debian.
pub const MERGED_USR_DIRS: [&str; 7] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32"];

/// Splits a tar member name into clean components, refusing `..` and absolute paths
/// that try to climb; `./`, `/` prefixes and empty or `.` components are dropped.
pub fn clean(raw: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("`..` in the path would escape the image root".into()),
            part if has_line_break(part) => return Err(LINE_BREAK.into()),
            part => parts.push(part),
        }
    }
    Ok(parts)
}

/// Why a name with a line break is refused.
pub const LINE_BREAK: &str = "a line break in the name (dpkg refuses such names: md5sums and the package's file list are one name per line)";

/// Whether `name` holds a newline or carriage return.
pub fn has_line_break(name: &str) -> bool {
    name.contains(['\n', '\r'])
}

/// The image path of a .deb member: cleaned, and merged-/usr applied. `None` for the
/// root itself.
pub fn image_path(raw: &str) -> Result<Option<String>, String> {
    let parts = clean(raw)?;
    let Some(first) = parts.first() else {
        return Ok(None);
    };
    let mut path = String::with_capacity(raw.len() + 4);
    if parts.len() > 1 && MERGED_USR_DIRS.contains(first) {
        path.push_str("usr/");
    }
    path.push_str(&parts.join("/"));
    Ok(Some(path))
}

/// Whether `path` is one of the legacy top-level directories (`bin`, `lib64`, ...).
pub fn is_merged_usr_dir(path: &str) -> bool {
    MERGED_USR_DIRS.contains(&path)
}

/// The target a merged-/usr top-level link must have (`bin` -> `usr/bin`).
pub fn merged_usr_target(dir: &str) -> String {
    format!("usr/{dir}")
}

/// An absolute path as an image path: `.` and `..` resolved, merged /usr applied
/// (`/lib/x` is `usr/lib/x`), no trailing slash. `None` if it climbs above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    if parts
        .first()
        .is_some_and(|first| crate::path::is_merged_usr_dir(first))
    {
        parts.insert(0, "usr");
    }
    Some(parts.join("/"))
}

/// Every proper ancestor of `path` (`a/b/c` -> `a`, `a/b`), shallowest first.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_into_merged_usr() {
        assert_eq!(
            normalize("/lib/x86_64-linux-gnu/").as_deref(),
            Some("usr/lib/x86_64-linux-gnu")
        );
        assert_eq!(normalize("/lib").as_deref(), Some("usr/lib"));
        assert_eq!(normalize("/usr/lib/a/../b").as_deref(), Some("usr/lib/b"));
        assert_eq!(normalize("/.."), None);
    }

    #[test]
    fn line_breaks_are_refused() {
        assert!(image_path("./usr/share/doc/a\nb").is_err());
        assert!(image_path("./etc/x\r").is_err());
        assert!(image_path("./usr/share/doc/a b").is_ok());
    }

    #[test]
    fn cleans_and_merges_usr() {
        assert_eq!(image_path("./usr/bin/php").unwrap().unwrap(), "usr/bin/php");
        assert_eq!(
            image_path("./lib/x86_64-linux-gnu/libc.so.6")
                .unwrap()
                .unwrap(),
            "usr/lib/x86_64-linux-gnu/libc.so.6"
        );
        assert_eq!(image_path("./bin/").unwrap().unwrap(), "bin");
        assert_eq!(
            image_path("./sbin//x/./y").unwrap().unwrap(),
            "usr/sbin/x/y"
        );
        assert_eq!(image_path("./libexec/x").unwrap().unwrap(), "libexec/x");
        assert_eq!(image_path("./").unwrap(), None);
        assert_eq!(image_path(".").unwrap(), None);
        assert!(image_path("./usr/../../etc/passwd").is_err());
        assert!(image_path("../x").is_err());
    }

    #[test]
    fn lists_ancestors() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(ancestors("a").count(), 0);
    }
}
