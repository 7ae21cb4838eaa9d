//! /etc/ld.so.cache, in place of libc-bin's `ldconfig` trigger, when /etc/ld.so.conf.d
//! adds a directory outside ld.so's own search path: libfakeroot, libfakechroot and
//! libtorsocks ship their library in such a directory and a .conf naming it, and a
//! library copied under /usr/local/lib by `files:` is in one too. Without the cache ld.so
//! never looks there.
//!
//! Unlike ldconfig, the cache lists only the libraries of those added directories. ld.so
//! searches its default directories (`/lib/<triplet>`, `/usr/lib/<triplet>`, `/lib`,
//! `/usr/lib`) itself after the cache, so listing them would only mean reading every
//! library of the image again. To keep ldconfig's precedence, a soname that a default
//! directory listed *earlier* in the configuration also has is left out: ld.so then finds
//! the default directory's copy, as with ldconfig's cache. An image whose added
//! directories hold no library gets no cache, as before.
//!
//! The configuration is read as ldconfig reads it: /etc/ld.so.conf (Debian's,
//! `include /etc/ld.so.conf.d/*.conf`, when libc-bin is not in the image), `#` comments,
//! `include` globs in sorted order. A library is a file named like one
//! (`_dl_is_dso`: `lib*.so*`, `ld-*.so*`) that is an ELF shared object for the platform,
//! with a dynamic section; its key is its DT_SONAME (else its name).

mod cache_file;
mod elf;

use std::collections::{BTreeMap, BTreeSet};

use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, NotApplied, read_image_files, read_layer_file,
};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree, LayerEntry};
use crate::package::{FileKind, PackageInput};
use cache_file::CacheEntry;

/// Where ld.so reads the cache.
const CACHE_PATH: &str = "etc/ld.so.cache";
/// The top configuration file.
const LD_SO_CONF: &str = "etc/ld.so.conf";
/// libc-bin's /etc/ld.so.conf, used when the image has none.
const DEBIAN_LD_SO_CONF: &str = "include /etc/ld.so.conf.d/*.conf\n";
/// Symbolic links followed before giving up (as the kernel's limit, roughly).
const MAX_LINKS: usize = 40;
/// Include depth before giving up (ldconfig has none; a loop would never end).
const MAX_INCLUDE_DEPTH: usize = 16;

/// What ld.so needs to know about the platform.
pub(crate) struct Abi {
    /// The multiarch triplet of the default directories.
    pub(crate) triplet: &'static str,
    /// The entry flags ld.so accepts (exactly).
    flags: u32,
    /// The ELF machine (`e_machine`) of the platform's libraries.
    pub(crate) machine: object::elf::Machine,
}

/// The ABI of an OCI architecture, for the architectures aloft knows ld.so's flags of
/// (the image check searches the same directories).
pub(crate) fn abi(architecture: &str) -> Option<Abi> {
    match architecture {
        "amd64" => Some(Abi {
            triplet: "x86_64-linux-gnu",
            flags: 0x0303,
            machine: elf::EM_X86_64,
        }),
        "arm64" => Some(Abi {
            triplet: "aarch64-linux-gnu",
            flags: 0x0a03,
            machine: elf::EM_AARCH64,
        }),
        _ => None,
    }
}

/// A path of the image as ldconfig sees it: `files:` and effects (the final layer) over
/// the packages.
struct ImageView<'a> {
    layer: &'a FinalLayer,
    tree: &'a InstalledTree<'a>,
    packages: &'a [PackageInput],
}

/// What is at an image path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    File,
    Symlink(String),
    Other,
}

impl ImageView<'_> {
    fn kind(&self, path: &str) -> Option<Kind> {
        if let Some(entry) = self.layer.entry(path) {
            return Some(match entry {
                LayerEntry::File => Kind::File,
                LayerEntry::Symlink(target) => Kind::Symlink(target.to_owned()),
                LayerEntry::Other => Kind::Other,
            });
        }
        let (_, record) = self.tree.get(path)?;
        Some(match &record.kind {
            FileKind::File { .. } | FileKind::Hardlink { .. } => Kind::File,
            FileKind::Symlink { target } => Kind::Symlink(target.clone()),
            _ => Kind::Other,
        })
    }

    /// The package that ships `path`, or `files:` for the final layer.
    fn owner(&self, path: &str) -> String {
        if self.layer.entry(path).is_some() {
            return "files:".into();
        }
        self.tree
            .get(path)
            .map_or_else(|| "files:".into(), |(owner, _)| owner.to_owned())
    }

    /// The names directly in `dir`.
    fn children(&self, dir: &str) -> BTreeSet<String> {
        let prefix = format!("{dir}/");
        let child = |path: &str| {
            path.strip_prefix(&prefix)
                .filter(|name| !name.is_empty() && !name.contains('/'))
                .map(str::to_owned)
        };
        let mut names: BTreeSet<String> = self
            .tree
            .entries()
            .filter_map(|(p, _, _)| child(p))
            .collect();
        names.extend(self.layer.paths().filter_map(child));
        names
    }

    /// The regular file `path` leads to, following symbolic links (merged /usr applied).
    fn resolve(&self, path: &str) -> Option<String> {
        let mut current = path.to_owned();
        for _ in 0..MAX_LINKS {
            match self.kind(&current)? {
                Kind::File => return Some(current),
                Kind::Other => return None,
                Kind::Symlink(target) => {
                    let base = if target.starts_with('/') {
                        String::new()
                    } else {
                        current
                            .rsplit_once('/')
                            .map_or(String::new(), |(dir, _)| dir.to_owned())
                    };
                    current = crate::path::normalize(&format!("{base}/{target}"))?;
                }
            }
        }
        None
    }

    /// The contents of regular files (from the packages' .debs in one pass each, or from
    /// the final layer).
    fn read(&self, paths: &BTreeSet<String>) -> Result<BTreeMap<String, Vec<u8>>, AssembleError> {
        let (in_layer, in_packages): (Vec<&String>, Vec<&String>) =
            paths.iter().partition(|p| self.layer.entry(p).is_some());
        let mut contents =
            read_image_files(self.tree, self.packages, in_packages.into_iter().cloned())?;
        for path in in_layer {
            if let Some(bytes) = read_layer_file(self.layer, path, "/etc/ld.so.cache")? {
                contents.insert(path.clone(), bytes);
            }
        }
        Ok(contents)
    }
}

/// `*` and `?` in one path component (ldconfig's glob; Debian's includes use only `*`).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A directory the configuration names, with the file and package that name it.
#[derive(Debug, Clone)]
struct ConfDir {
    dir: String,
    conf: String,
    package: String,
}

/// Reads the configuration from `conf` (an image path) down through its includes.
fn read_conf(
    view: &ImageView<'_>,
    conf: &str,
    text: &str,
    depth: usize,
    dirs: &mut Vec<ConfDir>,
    not_applied: &mut Vec<(String, NotApplied)>,
) -> Result<(), AssembleError> {
    let package = view.owner(conf);
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let skip = |why: &str, not_applied: &mut Vec<(String, NotApplied)>| {
            not_applied.push((
                package.clone(),
                NotApplied {
                    at_runtime: false,
                    line: index + 1,
                    what: format!("/{conf}: {line}"),
                    why: why.into(),
                },
            ));
        };
        if let Some(patterns) = line
            .strip_prefix("include")
            .filter(|rest| rest.starts_with([' ', '\t']))
        {
            if depth >= MAX_INCLUDE_DEPTH {
                skip("includes nested too deep (a loop?)", not_applied);
                continue;
            }
            for pattern in patterns.split_whitespace() {
                let absolute = if pattern.starts_with('/') {
                    pattern.to_owned()
                } else {
                    let dir = conf.rsplit_once('/').map_or("", |(dir, _)| dir);
                    format!("/{dir}/{pattern}")
                };
                let Some((dir, name)) = absolute.rsplit_once('/') else {
                    continue;
                };
                if dir.contains(['*', '?', '[']) || name.contains('[') {
                    skip(
                        "aloft globs only `*` and `?` in the last component",
                        not_applied,
                    );
                    continue;
                }
                let Some(dir) = crate::path::normalize(dir) else {
                    continue;
                };
                let matched: Vec<String> = view
                    .children(&dir)
                    .into_iter()
                    .filter(|child| wildcard_match(name, child))
                    .map(|child| format!("{dir}/{child}"))
                    .collect();
                let files: BTreeSet<String> = matched
                    .iter()
                    .filter_map(|path| view.resolve(path))
                    .collect();
                let contents = view.read(&files)?;
                for path in matched {
                    if let Some(bytes) = view.resolve(&path).and_then(|file| contents.get(&file)) {
                        let text = String::from_utf8_lossy(bytes).into_owned();
                        read_conf(view, &path, &text, depth + 1, dirs, not_applied)?;
                    }
                }
            }
        } else if line
            .strip_prefix("hwcap")
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
        {
            skip("hwcap lines are ignored by ldconfig too", not_applied);
        } else if let Some(dir) = crate::path::normalize(line.trim_end_matches('/')) {
            dirs.push(ConfDir {
                dir,
                conf: conf.to_owned(),
                package: package.clone(),
            });
        }
    }
    Ok(())
}

/// `_dl_is_dso`, and not one of the temporary names ldconfig skips.
fn is_library_name(name: &str) -> bool {
    let dso = ((name.starts_with("lib") || name.starts_with("ld-")) && name.contains(".so"))
        || name.starts_with("ld.so.")
        || name.starts_with("ld64.so.");
    let temporary = name.ends_with(".#prelink#")
        || name.contains(';')
        || name.ends_with(".dpkg-new")
        || name.ends_with(".dpkg-tmp");
    dso && !temporary
}

/// One library found in a directory.
struct Found {
    key: String,
    /// Its name in the directory.
    name: String,
    /// A regular file (not a link) in the directory.
    regular: bool,
}

pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, packages, architecture, epoch) = (cx.tree, cx.packages, cx.architecture, cx.epoch);
    let EffectOutput { layer, record, .. } = out;
    let view = ImageView {
        layer,
        tree,
        packages,
    };
    let top = match view.resolve(LD_SO_CONF) {
        Some(file) => {
            let contents = view.read(&BTreeSet::from([file.clone()]))?;
            String::from_utf8_lossy(contents.get(&file).map_or(&[][..], Vec::as_slice)).into_owned()
        }
        None => DEBIAN_LD_SO_CONF.to_owned(),
    };
    let mut conf_dirs = Vec::new();
    let mut not_applied = Vec::new();
    read_conf(&view, LD_SO_CONF, &top, 0, &mut conf_dirs, &mut not_applied)?;
    let Some(abi) = abi(architecture) else {
        if let Some(first) = conf_dirs.first() {
            record.not_applied(
                &first.package,
                NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: "/etc/ld.so.cache".into(),
                    why: format!("aloft does not know ld.so's cache flags for {architecture}"),
                },
            );
        }
        return Ok(());
    };
    let defaults = [format!("usr/lib/{}", abi.triplet), "usr/lib".to_owned()];
    // ldconfig's order: the configured directories (first spelling wins), then the
    // default ones.
    let mut order: Vec<ConfDir> = Vec::new();
    for dir in conf_dirs
        .into_iter()
        .chain(defaults.iter().map(|dir| ConfDir {
            dir: dir.clone(),
            conf: String::new(),
            package: String::new(),
        }))
    {
        if !order.iter().any(|seen| seen.dir == dir.dir) {
            order.push(dir);
        }
    }

    // The candidate files of the added directories, and where each leads.
    let mut candidates: Vec<(usize, String, String, bool)> = Vec::new(); // (dir index, name, file, regular)
    for (index, conf_dir) in order.iter().enumerate() {
        if defaults.contains(&conf_dir.dir) {
            continue;
        }
        for name in view.children(&conf_dir.dir) {
            let path = format!("{}/{name}", conf_dir.dir);
            if name == "glibc-hwcaps" && view.kind(&path) == Some(Kind::Other) {
                not_applied.push((
                    conf_dir.package.clone(),
                    NotApplied {
                        at_runtime: false,
                        line: 0,
                        what: format!("/{path}"),
                        why: "glibc-hwcaps subdirectories are not put in the cache".into(),
                    },
                ));
                continue;
            }
            if !is_library_name(&name) {
                continue;
            }
            if let Some(file) = view.resolve(&path) {
                let regular = view.kind(&path) == Some(Kind::File);
                candidates.push((index, name, file, regular));
            }
        }
    }
    let files: BTreeSet<String> = candidates
        .iter()
        .map(|(_, _, file, _)| file.clone())
        .collect();
    let contents = view.read(&files)?;

    // Per directory, one library per key: a regular file over a link, else the higher
    // name (ldconfig's choice).
    let mut per_dir: BTreeMap<usize, BTreeMap<String, Found>> = BTreeMap::new();
    for (index, name, file, regular) in candidates {
        let Some(soname) = contents
            .get(&file)
            .and_then(|bytes| elf::shared_object_soname(bytes, abi.machine))
        else {
            continue;
        };
        // A development link (`libfoo.so -> libfoo.so.1`) is a name of its own.
        let key = match soname {
            Some(soname) if !(name.ends_with(".so") && !regular && name != soname) => soname,
            _ => name.clone(),
        };
        let found = Found {
            key: key.clone(),
            name,
            regular,
        };
        let slot = per_dir.entry(index).or_default();
        let better = match slot.get(&key) {
            None => true,
            Some(old) => {
                (found.regular && !old.regular)
                    || (found.regular == old.regular
                        && cache_file::libcmp(&found.name, &old.name).is_gt())
            }
        };
        if better {
            slot.insert(key, found);
        }
    }

    let mut entries = Vec::new();
    // Package -> (directories with the .conf naming them, libraries cached).
    let mut used: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
    for (index, libraries) in &per_dir {
        let conf_dir = &order[*index];
        for found in libraries.values() {
            // A default directory configured earlier has it: ld.so finds that one.
            let shadowed = order[..*index].iter().any(|earlier| {
                defaults.contains(&earlier.dir)
                    && view
                        .kind(&format!("{}/{}", earlier.dir, found.key))
                        .is_some()
            });
            if shadowed {
                continue;
            }
            let named = format!("{}/{}", conf_dir.dir, found.key);
            let path = if view.kind(&named).is_some() {
                named
            } else {
                format!("{}/{}", conf_dir.dir, found.name)
            };
            entries.push(CacheEntry {
                key: found.key.clone(),
                path: format!("/{path}"),
                flags: abi.flags,
            });
            let (dirs, count) = used.entry(conf_dir.package.clone()).or_default();
            dirs.insert(format!("/{} (/{})", conf_dir.dir, conf_dir.conf));
            *count += 1;
        }
    }
    for (package, item) in not_applied {
        record.not_applied(&package, item);
    }
    if entries.is_empty() || layer.written_by_files(CACHE_PATH) || tree.get(CACHE_PATH).is_some() {
        return Ok(());
    }
    layer.add_file(CACHE_PATH, cache_file::write(&entries), 0o644, epoch);
    layer.set_library_dirs(
        order
            .iter()
            .filter(|d| !defaults.contains(&d.dir))
            .map(|d| d.dir.clone())
            .collect(),
    );
    for (package, (dirs, count)) in used {
        record.add(
            &package,
            AppliedEffect {
                effect: "ldconfig".into(),
                detail: format!(
                    "/etc/ld.so.cache: {count} {} of {}",
                    if count == 1 { "library" } else { "libraries" },
                    dirs.into_iter().collect::<Vec<_>>().join(", ")
                ),
                paths: vec!["/etc/ld.so.cache".into()],
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_component() {
        assert!(wildcard_match("*.conf", "fakeroot-x86_64-linux-gnu.conf"));
        assert!(!wildcard_match("*.conf", "fakeroot.conf.dpkg-old"));
        assert!(wildcard_match("lib?.conf", "libc.conf"));
        assert!(wildcard_match("*", "anything"));
    }

    #[test]
    fn library_names_are_ldconfigs() {
        assert!(is_library_name("libfakeroot-sysv.so"));
        assert!(is_library_name("ld-linux-x86-64.so.2"));
        assert!(is_library_name("libz.so.1.3"));
        assert!(!is_library_name("faked-sysv"));
        assert!(!is_library_name("libz.so.1.dpkg-new"));
    }
}
