//! Slices: only some paths of a package (the manifest's `contents.slices`, the idea of
//! Ubuntu's chisel). What a slice keeps must still resolve inside the package, so the
//! kept set is closed before anything is written:
//! - every path a pattern matches;
//! - the target of every kept symbolic or hard link that the package ships (locales-all's
//!   `fr_FR.utf8/LC_CTYPE` links to `../aa_DJ.utf8/LC_CTYPE`), transitively;
//! - every directory that holds a kept path, with the mode the package gives it.

use std::collections::HashSet;

use globset::GlobMatcher;

/// What an entry of a package's data.tar is, as far as a slice cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SliceEntry {
    /// A directory, file or anything else that points nowhere.
    Plain,
    /// A symbolic link to this target, as written (relative or absolute).
    Symlink(String),
    /// A hard link to this image path.
    Hardlink(String),
}

/// The image paths a slice keeps of one package.
#[derive(Debug)]
pub struct SliceFilter {
    kept: HashSet<String>,
}

/// The matcher of each pattern; `Err` names one that does not compile.
fn matchers(patterns: &[String]) -> Result<Vec<GlobMatcher>, String> {
    patterns
        .iter()
        .map(|p| aloft_manifest::glob_matcher(p).map_err(|e| format!("`{p}`: {}", e.kind())))
        .collect()
}

/// `target` of a symbolic link at image path `link`, as an image path (relative, `..`
/// folded); `None` when it leaves the root.
fn link_target(link: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link.split('/').collect()
    };
    if !target.starts_with('/') {
        parts.pop();
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    crate::path::image_path(&parts.join("/")).ok().flatten()
}

impl SliceFilter {
    /// The kept set of a package whose data.tar holds `entries` (image paths, in any
    /// order), for `patterns` (absolute globs, validated with the manifest).
    pub fn new(
        patterns: &[String],
        entries: &[(String, SliceEntry)],
    ) -> Result<SliceFilter, String> {
        let matchers = matchers(patterns)?;
        let shipped: std::collections::HashMap<&str, &SliceEntry> =
            entries.iter().map(|(p, e)| (p.as_str(), e)).collect();
        let mut kept: HashSet<String> = HashSet::new();
        let mut work: Vec<String> = entries
            .iter()
            .filter(|(path, _)| {
                let absolute = format!("/{path}");
                matchers.iter().any(|m| m.is_match(&absolute))
            })
            .map(|(path, _)| path.clone())
            .collect();
        while let Some(path) = work.pop() {
            if !kept.insert(path.clone()) {
                continue;
            }
            let target = match shipped.get(path.as_str()) {
                Some(SliceEntry::Symlink(target)) => link_target(&path, target),
                Some(SliceEntry::Hardlink(target)) => Some(target.clone()),
                _ => None,
            };
            if let Some(target) = target.filter(|t| shipped.contains_key(t.as_str())) {
                work.push(target);
            }
            // The directories that hold it.
            let mut end = path.len();
            while let Some(slash) = path[..end].rfind('/') {
                end = slash;
                if shipped.contains_key(&path[..end]) {
                    work.push(path[..end].to_owned());
                }
            }
        }
        Ok(SliceFilter { kept })
    }

    /// Whether the slice keeps the image path `path`.
    pub fn keeps(&self, path: &str) -> bool {
        self.kept.contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str], entries: &[(&str, SliceEntry)]) -> SliceFilter {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        let entries: Vec<(String, SliceEntry)> = entries
            .iter()
            .map(|(p, e)| ((*p).to_owned(), e.clone()))
            .collect();
        SliceFilter::new(&patterns, &entries).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn star_stays_in_a_component_and_double_star_crosses() {
        let entries = [
            ("usr", SliceEntry::Plain),
            ("usr/lib", SliceEntry::Plain),
            ("usr/lib/x86_64-linux-gnu", SliceEntry::Plain),
            ("usr/lib/x86_64-linux-gnu/gconv", SliceEntry::Plain),
            (
                "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so",
                SliceEntry::Plain,
            ),
            (
                "usr/lib/x86_64-linux-gnu/gconv/UTF-32.so",
                SliceEntry::Plain,
            ),
            ("usr/lib/locale", SliceEntry::Plain),
            ("usr/lib/locale/C.utf8", SliceEntry::Plain),
            ("usr/lib/locale/C.utf8/LC_MESSAGES", SliceEntry::Plain),
            (
                "usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES",
                SliceEntry::Plain,
            ),
            ("usr/bin", SliceEntry::Plain),
            ("usr/bin/locale", SliceEntry::Plain),
        ];
        let f = filter(
            &["/usr/lib/*/gconv/UTF-16.so", "/usr/lib/locale/C.utf8/**"],
            &entries,
        );
        let mut kept: Vec<&str> = entries.iter().map(|e| e.0).filter(|p| f.keeps(p)).collect();
        kept.sort_unstable();
        assert_eq!(
            kept,
            [
                "usr",
                "usr/lib",
                "usr/lib/locale",
                "usr/lib/locale/C.utf8",
                "usr/lib/locale/C.utf8/LC_MESSAGES",
                "usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES",
                "usr/lib/x86_64-linux-gnu",
                "usr/lib/x86_64-linux-gnu/gconv",
                "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so",
            ]
        );
    }

    #[test]
    fn link_targets_the_package_ships_are_kept_transitively() {
        let f = filter(
            &["/usr/lib/locale/fr_FR.utf8/**"],
            &[
                ("usr/lib/locale/aa_DJ.utf8", SliceEntry::Plain),
                ("usr/lib/locale/aa_DJ.utf8/LC_CTYPE", SliceEntry::Plain),
                ("usr/lib/locale/aa_DJ.utf8/LC_TIME", SliceEntry::Plain),
                (
                    "usr/lib/locale/br_FR.utf8/LC_NAME",
                    SliceEntry::Hardlink("usr/lib/locale/aa_DJ.utf8/LC_CTYPE".into()),
                ),
                ("usr/lib/locale/fr_FR.utf8", SliceEntry::Plain),
                (
                    "usr/lib/locale/fr_FR.utf8/LC_CTYPE",
                    SliceEntry::Symlink("../aa_DJ.utf8/LC_CTYPE".into()),
                ),
                (
                    "usr/lib/locale/fr_FR.utf8/LC_NAME",
                    SliceEntry::Symlink("/usr/lib/locale/br_FR.utf8/LC_NAME".into()),
                ),
                (
                    "usr/lib/locale/fr_FR.utf8/LC_X",
                    SliceEntry::Symlink("../../../../../nowhere".into()),
                ),
            ],
        );
        assert!(f.keeps("usr/lib/locale/aa_DJ.utf8/LC_CTYPE"));
        assert!(f.keeps("usr/lib/locale/aa_DJ.utf8"));
        assert!(f.keeps("usr/lib/locale/br_FR.utf8/LC_NAME"));
        assert!(f.keeps("usr/lib/locale/fr_FR.utf8/LC_X"));
        assert!(!f.keeps("usr/lib/locale/aa_DJ.utf8/LC_TIME"));
    }
}
