//! Slices: only some paths of a package (the manifest's `contents.slices`, the idea of
//! Ubuntu's chisel). A path is kept when a pattern matches it; a directory is kept when
//! a pattern matches it or it holds a kept path. Directories come before what they hold
//! in a .deb's data.tar, so each is held back until something kept shows it is needed.

use std::collections::BTreeMap;

use globset::GlobMatcher;

use crate::layer_writer::Meta;

/// The paths one slice keeps, and the directories held back while a package streams.
#[derive(Debug)]
pub struct SliceFilter {
    patterns: Vec<GlobMatcher>,
    /// Directories seen and not (yet) written, by image path.
    held: BTreeMap<String, Meta>,
}

impl SliceFilter {
    /// A filter keeping what `patterns` (absolute globs, validated with the manifest)
    /// match; `Err` names a pattern that does not compile.
    pub fn new(patterns: &[String]) -> Result<SliceFilter, String> {
        let patterns = patterns
            .iter()
            .map(|p| aloft_manifest::glob_matcher(p).map_err(|e| format!("`{p}`: {}", e.kind())))
            .collect::<Result<_, _>>()?;
        Ok(SliceFilter {
            patterns,
            held: BTreeMap::new(),
        })
    }

    /// Whether a pattern matches the image path `path` (relative, `usr/...`).
    pub fn matches(&self, path: &str) -> bool {
        let absolute = format!("/{}", path.trim_end_matches('/'));
        self.patterns.iter().any(|p| p.is_match(&absolute))
    }

    /// Holds back the directory `path`, which no pattern matches.
    pub fn hold(&mut self, path: &str, meta: Meta) {
        self.held.insert(path.to_owned(), meta);
    }

    /// The held-back directories above `path`, outermost first, now to be written.
    pub fn release_parents(&mut self, path: &str) -> Vec<(String, Meta)> {
        let mut out = Vec::new();
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            end += slash;
            if let Some(meta) = self.held.remove(&path[..end]) {
                out.push((path[..end].to_owned(), meta));
            }
            end += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str]) -> SliceFilter {
        SliceFilter::new(&patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn star_stays_in_a_component_and_double_star_crosses() {
        let f = filter(&["/usr/lib/*/gconv/UTF-16.so", "/usr/lib/locale/C.utf8/**"]);
        assert!(f.matches("usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"));
        assert!(!f.matches("usr/lib/x86_64-linux-gnu/sub/gconv/UTF-16.so"));
        assert!(f.matches("usr/lib/locale/C.utf8/LC_CTYPE"));
        assert!(f.matches("usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES"));
        assert!(!f.matches("usr/lib/locale/C.utf8"));
        assert!(!f.matches("usr/lib/locale"));
    }

    #[test]
    fn parents_are_released_once_outermost_first() {
        let mut f = filter(&["/a/b/c"]);
        let meta = Meta::root(0o755, 0);
        for dir in ["a", "a/b", "a/x"] {
            f.hold(dir, meta);
        }
        let released: Vec<String> = f
            .release_parents("a/b/c")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(released, ["a", "a/b"]);
        assert!(f.release_parents("a/b/d").is_empty());
    }
}
