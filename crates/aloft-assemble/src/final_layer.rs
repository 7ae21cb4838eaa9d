//! The last, small layer: what no package ships but the image needs: /etc/passwd and
//! /etc/group, home directories, merged-/usr links a package set lacks, and the
//! manifest's `paths:` and `files:`. Entries are written sorted by path; a parent that a
//! package layer already has is written again with that layer's owner and mode, so the
//! final layer never changes a directory it only passes through.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use aloft_manifest::{FileSpec, Located, Manifest, PathKind, PathSpec};

use crate::accounts::AccountFiles;
use crate::error::AssembleError;
use crate::layer_writer::{LayerWriter, Meta};
use crate::package::{FileKind, FileRecord, PackageFiles, PackageInput, read_package_files};
use crate::path;

/// Contents of a generated regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Contents {
    Bytes(Vec<u8>),
    Host { path: PathBuf, size: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir(Meta),
    File(Meta, Contents),
    Symlink(Meta, String),
    Hardlink(Meta, String),
}

/// The kind of an entry of the final layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerEntry<'a> {
    /// A regular file.
    File,
    /// A symbolic link, with its target.
    Symlink(&'a str),
    /// A directory or a hard link.
    Other,
}

/// The files of every package layer, by path (a later package's entry wins).
pub struct InstalledTree<'a> {
    records: HashMap<&'a str, (&'a str, &'a FileRecord)>,
}

impl<'a> InstalledTree<'a> {
    /// Indexes `packages`.
    pub fn new(packages: &'a [PackageFiles]) -> InstalledTree<'a> {
        let mut records = HashMap::new();
        for package in packages {
            for record in &package.files {
                records.insert(record.path.as_str(), (package.package.as_str(), record));
            }
        }
        InstalledTree { records }
    }

    /// The record at `path` and its package.
    pub fn get(&self, path: &str) -> Option<(&'a str, &'a FileRecord)> {
        self.records.get(path).copied()
    }

    /// Every path with its package and record (in no particular order).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a str, &'a FileRecord)> + '_ {
        self.records
            .iter()
            .map(|(path, (package, record))| (*path, *package, *record))
    }

    /// Every path below `dir`.
    /// Whether a package installs anything below directory `dir`.
    pub(crate) fn has_below(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.records.keys().any(|p| p.starts_with(&prefix))
    }

    fn below(&self, dir: &str) -> Vec<&'a str> {
        let prefix = format!("{dir}/");
        let mut paths: Vec<&str> = self
            .records
            .keys()
            .filter(|p| p.starts_with(&prefix))
            .copied()
            .collect();
        paths.sort_unstable();
        paths
    }
}

/// An owner and mode change; `None` keeps what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OwnerMode {
    /// New permission bits.
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u64>,
    /// New group.
    pub gid: Option<u64>,
}

/// The final layer's entries, before writing.
#[derive(Debug, Default)]
pub struct FinalLayer {
    nodes: BTreeMap<String, Node>,
    /// The paths `files:` wrote.
    from_files: std::collections::BTreeSet<String>,
    /// Who put a node there when it was a manifest entry (`` `paths:` at m.yaml:12:5 ``);
    /// nodes without one are aloft's own (accounts, homes, effects).
    sources: BTreeMap<String, String>,
    /// The package layers' symbolic links (path -> target as written), which every path
    /// given to this layer is resolved through.
    links: BTreeMap<String, String>,
    /// The package layers' directories, to tell a link to a directory from others.
    dirs: BTreeSet<String>,
    /// The directories the /etc/ld.so.cache aloft wrote adds to ld.so's search.
    library_dirs: Vec<String>,
}

/// Links followed while resolving one path, past which it is taken as a loop (ELOOP).
const MAX_LINK_HOPS: usize = 40;

fn image_path(origin: &aloft_manifest::Origin, path: &str) -> Result<String, AssembleError> {
    match path::image_path(path) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(AssembleError::Manifest {
            origin: origin.to_string(),
            message: "the image root itself cannot be changed".into(),
        }),
        Err(reason) => Err(AssembleError::Manifest {
            origin: origin.to_string(),
            message: format!("`{path}`: {reason}"),
        }),
    }
}

impl FinalLayer {
    /// Accounts, homes and merged-/usr links.
    pub fn new(accounts: &AccountFiles, tree: &InstalledTree<'_>, epoch: u64) -> FinalLayer {
        let mut layer = FinalLayer::default();
        for (path, _, record) in tree.entries() {
            match &record.kind {
                FileKind::Symlink { target } => {
                    layer.links.insert(path.to_owned(), target.clone());
                }
                FileKind::Dir => {
                    layer.dirs.insert(path.to_owned());
                }
                _ => {}
            }
        }
        for (path, text) in [
            ("etc/passwd", &accounts.passwd),
            ("etc/group", &accounts.group),
        ] {
            layer.insert(
                path,
                Node::File(
                    Meta::root(0o644, epoch),
                    Contents::Bytes(text.clone().into_bytes()),
                ),
            );
        }
        for (home, uid, gid) in &accounts.homes {
            if let Ok(Some(home)) = path::image_path(home) {
                let meta = Meta {
                    mode: 0o755,
                    uid: u64::from(*uid),
                    gid: u64::from(*gid),
                    mtime: epoch,
                };
                layer.insert(&home, Node::Dir(meta));
            }
        }
        for dir in path::MERGED_USR_DIRS {
            let has_link =
                matches!(tree.get(dir), Some((_, r)) if matches!(r.kind, FileKind::Symlink { .. }));
            let usr_dir = path::merged_usr_target(dir);
            let has_usr_dir = matches!(tree.get(&usr_dir), Some((_, r)) if r.kind == FileKind::Dir);
            if !has_link && has_usr_dir {
                layer.insert(dir, Node::Symlink(Meta::root(0o777, epoch), usr_dir));
            }
        }
        layer
    }

    /// The symbolic link at `path`, this layer's over the package layers'.
    fn link_at(&self, path: &str) -> Option<&str> {
        match self.nodes.get(path) {
            Some(Node::Symlink(_, target)) => Some(target),
            Some(_) => None,
            None => self.links.get(path).map(String::as_str),
        }
    }

    /// The target of the link at `path` (its parents' links followed), of this layer or
    /// a package layer.
    pub(crate) fn link_target(&self, path: &str) -> Option<&str> {
        self.link_at(&self.resolve(path))
    }

    /// `path` with every link among its parents followed, as the kernel follows them
    /// when a program creates `path` (the last component is not followed). A path that
    /// goes through /var/run lands under /run, where base-files points it, instead of
    /// making a second /var/run.
    pub fn resolve(&self, path: &str) -> String {
        self.resolve_with(path, false)
    }

    /// `path` with every link followed, the last component's too (chown, chmod).
    pub(crate) fn resolve_all(&self, path: &str) -> String {
        self.resolve_with(path, true)
    }

    fn resolve_with(&self, path: &str, follow_last: bool) -> String {
        let mut done: Vec<String> = Vec::new();
        let mut todo: std::collections::VecDeque<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let mut hops = 0;
        while let Some(component) = todo.pop_front() {
            match component.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = if done.is_empty() {
                component.clone()
            } else {
                format!("{}/{component}", done.join("/"))
            };
            let follow = !todo.is_empty() || follow_last;
            if follow
                && hops < MAX_LINK_HOPS
                && let Some(target) = self.link_at(&candidate)
            {
                hops += 1;
                if target.starts_with('/') {
                    done.clear();
                }
                for part in target.split('/').rev().filter(|c| !c.is_empty()) {
                    todo.push_front(part.to_owned());
                }
                continue;
            }
            done.push(component);
        }
        done.join("/")
    }

    /// Whether `path` (resolved) is a directory of this layer or of a package layer.
    fn is_dir(&self, path: &str) -> bool {
        match self.nodes.get(path) {
            Some(node) => matches!(node, Node::Dir(_)),
            None => self.dirs.contains(path),
        }
    }

    /// Puts `node` at `path` resolved through the image's links. A directory asked for
    /// where a link to a directory already is (`mkdir -p /var/run`) changes nothing, as
    /// `mkdir -p` and `install -d` change nothing there.
    fn insert(&mut self, path: &str, node: Node) {
        let path = self.resolve(path);
        if matches!(node, Node::Dir(_))
            && self.link_at(&path).is_some()
            && self.is_dir(&self.resolve_all(&path))
        {
            return;
        }
        self.nodes.insert(path, node);
    }

    /// [`FinalLayer::insert`] for a manifest entry (`source` names it): a directory where
    /// another entry put a file or link, or a file or link where another entry put a
    /// directory, is a contradiction in the manifest, refused with both entries named.
    fn insert_from(&mut self, path: &str, node: Node, source: &str) -> Result<(), AssembleError> {
        let resolved = self.resolve(path);
        if let (Some(existing), Some(existing_source)) =
            (self.nodes.get(&resolved), self.sources.get(&resolved))
            && matches!(existing, Node::Dir(_)) != matches!(node, Node::Dir(_))
        {
            return Err(AssembleError::PathConflict {
                path: format!("/{resolved}"),
                first: format!("{} makes it {}", existing_source, kind_name(existing)),
                second: format!("{source} makes it {}", kind_name(&node)),
            });
        }
        self.sources.insert(resolved.clone(), source.to_owned());
        self.insert(&resolved, node);
        Ok(())
    }

    /// Removes what this layer has at `path` (nothing of a package layer).
    pub fn remove(&mut self, path: &str) {
        let path = self.resolve(path);
        self.nodes.remove(&path);
        self.from_files.remove(&path);
    }

    /// Sets the owner, mode and time of what this layer has at `path`.
    pub fn set_meta(&mut self, path: &str, meta: Meta) {
        let path = self.resolve(path);
        if let Some(Node::Dir(m) | Node::File(m, _) | Node::Symlink(m, _) | Node::Hardlink(m, _)) =
            self.nodes.get_mut(&path)
        {
            *m = meta;
        }
    }

    /// Moves what this layer has at `from` to `to` (`mv`), keeping its owner and mode;
    /// `false` when this layer has nothing at `from` (a package layer's file cannot be
    /// moved from here).
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        let from = self.resolve(from);
        let Some(node) = self.nodes.remove(&from) else {
            return false;
        };
        self.from_files.remove(&from);
        self.insert(to, node);
        true
    }

    /// Adds (or replaces) a root-owned regular file.
    pub fn add_file(&mut self, path: &str, contents: Vec<u8>, mode: u32, epoch: u64) {
        self.insert(
            path,
            Node::File(Meta::root(mode, epoch), Contents::Bytes(contents)),
        );
    }

    /// Adds (or replaces) a symbolic link.
    pub fn add_symlink(&mut self, path: &str, target: &str, epoch: u64) {
        self.insert(
            path,
            Node::Symlink(Meta::root(0o777, epoch), target.to_owned()),
        );
    }

    /// Applies `paths:` entries in order.
    pub fn apply_paths(
        &mut self,
        specs: &[Located<PathSpec>],
        tree: &InstalledTree<'_>,
        packages: &[PackageInput],
        epoch: u64,
    ) -> Result<(), AssembleError> {
        for located in specs {
            let spec = &located.value;
            let path = image_path(&located.origin, &spec.path)?;
            let meta = |default_mode: u32| Meta {
                mode: spec.permissions.unwrap_or(default_mode),
                uid: u64::from(spec.uid),
                gid: u64::from(spec.gid),
                mtime: epoch,
            };
            let source = || {
                spec.source.clone().ok_or_else(|| AssembleError::Manifest {
                    origin: located.origin.to_string(),
                    message: format!("`{}` needs `source:`", spec.path),
                })
            };
            let from = format!("`paths:` at {}", located.origin);
            match spec.kind {
                PathKind::Directory => {
                    self.insert_from(&path, Node::Dir(meta(0o755)), &from)?;
                }
                PathKind::EmptyFile => {
                    self.insert_from(
                        &path,
                        Node::File(meta(0o644), Contents::Bytes(Vec::new())),
                        &from,
                    )?;
                }
                PathKind::Symlink => {
                    self.insert_from(&path, Node::Symlink(meta(0o777), source()?), &from)?;
                }
                PathKind::Hardlink => {
                    let target = self.resolve(&image_path(&located.origin, &source()?)?);
                    let exists = self.nodes.contains_key(&target)
                        || matches!(tree.get(&target), Some((_, r)) if matches!(r.kind, FileKind::File { .. }));
                    if !exists {
                        return Err(AssembleError::Manifest {
                            origin: located.origin.to_string(),
                            message: format!(
                                "hard link target `/{target}` is no file of the image"
                            ),
                        });
                    }
                    self.insert_from(&path, Node::Hardlink(meta(0o644), target), &from)?;
                }
                PathKind::Permissions => {
                    let change = OwnerMode {
                        mode: spec.permissions,
                        uid: Some(u64::from(spec.uid)),
                        gid: Some(u64::from(spec.gid)),
                    };
                    self.set_owner_mode(
                        &located.origin.to_string(),
                        &path,
                        change,
                        spec.recursive,
                        tree,
                        packages,
                        epoch,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Records the directories the ld.so.cache this layer holds adds to ld.so's search.
    pub(crate) fn set_library_dirs(&mut self, dirs: Vec<String>) {
        self.library_dirs = dirs;
    }

    /// The directories the ld.so.cache of this layer adds (none without a cache).
    pub(crate) fn library_dirs(&self) -> &[String] {
        &self.library_dirs
    }

    /// Owner and group of every entry this layer writes (links included), by path.
    pub(crate) fn owners(&self) -> Vec<(String, u64, u64)> {
        self.settled()
            .into_iter()
            .map(|(path, node)| {
                let meta = match node {
                    Node::Dir(meta)
                    | Node::File(meta, _)
                    | Node::Symlink(meta, _)
                    | Node::Hardlink(meta, _) => meta,
                };
                (path, meta.uid, meta.gid)
            })
            .collect()
    }

    /// Every path this layer writes so far.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// Whether `files:` wrote `path` (so a later effect must leave it alone).
    pub fn written_by_files(&self, path: &str) -> bool {
        self.from_files.contains(&self.resolve(path))
    }

    /// What this layer has at `path`, for effects that read the image as a program would.
    pub fn entry(&self, path: &str) -> Option<LayerEntry<'_>> {
        self.nodes.get(&self.resolve(path)).map(|node| match node {
            Node::File(..) => LayerEntry::File,
            Node::Symlink(_, target) => LayerEntry::Symlink(target),
            Node::Dir(_) | Node::Hardlink(..) => LayerEntry::Other,
        })
    }

    /// Whether this layer has an entry at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.nodes.contains_key(&self.resolve(path))
    }

    /// Adds (or replaces) a directory.
    pub fn add_dir(&mut self, path: &str, meta: Meta) {
        self.insert(path, Node::Dir(meta));
    }

    /// The contents of a regular file this layer writes from memory.
    pub fn file_contents(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(&self.resolve(path)) {
            Some(Node::File(_, Contents::Bytes(bytes))) => Some(bytes),
            _ => None,
        }
    }

    /// The mode of a regular file this layer writes.
    pub(crate) fn file_mode(&self, path: &str) -> Option<u32> {
        match self.nodes.get(&self.resolve(path)) {
            Some(Node::File(meta, _)) => Some(meta.mode),
            _ => None,
        }
    }

    /// The contents of the regular file this layer writes at `path`, whether generated or
    /// copied from the host by `files:` (read now).
    pub fn read_file(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        match self.nodes.get(&self.resolve(path)) {
            Some(Node::File(_, Contents::Bytes(bytes))) => Ok(Some(bytes.clone())),
            Some(Node::File(_, Contents::Host { path: host, .. })) => fs_err::read(host).map(Some),
            _ => Ok(None),
        }
    }

    /// Changes owner and mode of `path` (and everything below it with `recursive`), from
    /// this layer or a package layer; `origin` names who asked, in errors.
    #[allow(clippy::too_many_arguments)]
    pub fn set_owner_mode(
        &mut self,
        origin: &str,
        path: &str,
        change: OwnerMode,
        recursive: bool,
        tree: &InstalledTree<'_>,
        packages: &[PackageInput],
        epoch: u64,
    ) -> Result<(), AssembleError> {
        // chown and chmod follow a link given as the operand.
        let path = &self.resolve_all(path);
        let mut targets = vec![path.to_owned()];
        if recursive {
            targets.extend(tree.below(path).into_iter().map(str::to_owned));
            let prefix = format!("{path}/");
            targets.extend(
                self.nodes
                    .keys()
                    .filter(|p| p.starts_with(&prefix))
                    .cloned(),
            );
            targets.sort();
            targets.dedup();
        }
        for target in targets {
            self.chmod(origin, &target, change, tree, packages, epoch)?;
        }
        Ok(())
    }

    /// Changes owner and mode of `target`, from this layer or a package layer.
    fn chmod(
        &mut self,
        origin: &str,
        target: &str,
        change: OwnerMode,
        tree: &InstalledTree<'_>,
        packages: &[PackageInput],
        epoch: u64,
    ) -> Result<(), AssembleError> {
        let set = |meta: &mut Meta| {
            if let Some(mode) = change.mode {
                meta.mode = mode;
            }
            if let Some(uid) = change.uid {
                meta.uid = uid;
            }
            if let Some(gid) = change.gid {
                meta.gid = gid;
            }
        };
        if let Some(node) = self.nodes.get_mut(target) {
            match node {
                Node::Dir(meta) | Node::File(meta, _) | Node::Hardlink(meta, _) => set(meta),
                Node::Symlink(..) => {}
            }
            return Ok(());
        }
        let Some((package_name, record)) = tree.get(target) else {
            return Err(AssembleError::Manifest {
                origin: origin.to_string(),
                message: format!("`/{target}` is not in the image"),
            });
        };
        let mut meta = Meta {
            mode: record.mode,
            uid: record.uid,
            gid: record.gid,
            mtime: epoch,
        };
        set(&mut meta);
        let node = match &record.kind {
            FileKind::Dir => Node::Dir(meta),
            FileKind::Symlink { .. } => return Ok(()),
            FileKind::File { .. } | FileKind::Hardlink { .. } | FileKind::Fifo => {
                // The layer needs the whole file again: read it from the package.
                let file_path = match &record.kind {
                    FileKind::Hardlink { target } => target.clone(),
                    _ => target.to_owned(),
                };
                let Some(package) = packages.iter().find(|p| p.name == package_name) else {
                    return Err(AssembleError::Manifest {
                        origin: origin.to_string(),
                        message: format!("`/{target}`: package `{package_name}` is not installed"),
                    });
                };
                let wanted = BTreeSet::from([file_path.clone()]);
                let mut files = read_package_files(package, &wanted)?;
                let Some(bytes) = files.remove(&file_path) else {
                    return Err(AssembleError::Manifest {
                        origin: origin.to_string(),
                        message: format!("`/{target}` is not a regular file of `{package_name}`"),
                    });
                };
                Node::File(meta, Contents::Bytes(bytes))
            }
        };
        self.insert(target, node);
        Ok(())
    }

    /// Copies `files:` entries (host files, or folders recursively) in.
    pub fn apply_files(
        &mut self,
        specs: &[Located<FileSpec>],
        epoch: u64,
    ) -> Result<(), AssembleError> {
        for located in specs {
            let spec = &located.value;
            let dest = image_path(&located.origin, &spec.path)?;
            self.copy_host(located, &spec.source, dest, epoch)?;
        }
        Ok(())
    }

    fn copy_host(
        &mut self,
        located: &Located<FileSpec>,
        source: &Path,
        dest: String,
        epoch: u64,
    ) -> Result<(), AssembleError> {
        let spec = &located.value;
        let io = |source_path: &Path, source| AssembleError::FileSource {
            origin: located.origin.to_string(),
            source_path: source_path.to_path_buf(),
            source,
        };
        let metadata = fs_err::symlink_metadata(source).map_err(|e| io(source, e))?;
        let meta = |mode: u32| Meta {
            mode,
            uid: u64::from(spec.uid),
            gid: u64::from(spec.gid),
            mtime: epoch,
        };
        #[cfg(unix)]
        let host_mode = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions());
        #[cfg(not(unix))]
        let host_mode = 0o644;
        let file_type = metadata.file_type();
        let dest = self.resolve(&dest);
        self.from_files.insert(dest.clone());
        let from = format!("`files:` at {}", located.origin);
        if file_type.is_symlink() {
            let target = fs_err::read_link(source).map_err(|e| io(source, e))?;
            self.insert_from(
                &dest,
                Node::Symlink(meta(0o777), target.to_string_lossy().into_owned()),
                &from,
            )?;
        } else if file_type.is_dir() {
            self.insert_from(&dest, Node::Dir(meta(0o755)), &from)?;
            let mut children: Vec<_> = fs_err::read_dir(source)
                .map_err(|e| io(source, e))?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(|e| io(source, e))?;
            children.sort();
            for name in children {
                let child = source.join(&name);
                if path::has_line_break(&name.to_string_lossy()) {
                    return Err(io(&child, std::io::Error::other(path::LINE_BREAK)));
                }
                let child_dest = format!("{dest}/{}", name.to_string_lossy());
                self.copy_host(located, &child, child_dest, epoch)?;
            }
        } else if file_type.is_file() {
            let default = if host_mode & 0o111 != 0 { 0o755 } else { 0o644 };
            self.insert_from(
                &dest,
                Node::File(
                    meta(spec.mode.unwrap_or(default)),
                    Contents::Host {
                        path: source.to_path_buf(),
                        size: metadata.len(),
                    },
                ),
                &from,
            )?;
        } else {
            return Err(io(
                source,
                std::io::Error::other("not a regular file, folder or symbolic link"),
            ));
        }
        Ok(())
    }

    /// The entries keyed by their paths resolved through the links as they are at the end:
    /// an entry made before a later step turned one of its parents into a link (base-files
    /// makes /var/run a link to /run) moves to where the link points, and a directory that
    /// is now a link to one is dropped; so no path is written twice.
    fn settled(&self) -> BTreeMap<String, &Node> {
        let mut out: BTreeMap<String, &Node> = BTreeMap::new();
        for (path, node) in &self.nodes {
            let resolved = self.resolve(path);
            let is_dir = matches!(node, Node::Dir(_));
            if resolved != *path && is_dir && self.link_at(&resolved).is_some() {
                continue;
            }
            if is_dir
                && out
                    .get(&resolved)
                    .is_some_and(|n| !matches!(n, Node::Dir(_)))
            {
                continue;
            }
            out.insert(resolved, node);
        }
        out
    }

    /// Every parent of an entry must be a directory (or a link that leads to one): an
    /// entry below a file or below a link that loops would put one path in the layer
    /// twice (a file, then a directory), which docker and GNU tar refuse to extract.
    fn check_parents(
        &self,
        nodes: &BTreeMap<String, &Node>,
        tree: &InstalledTree<'_>,
    ) -> Result<(), AssembleError> {
        let source_of = |path: &str| {
            self.sources
                .get(path)
                .cloned()
                .unwrap_or_else(|| "aloft (accounts, homes, maintainer-script effects)".to_owned())
        };
        for (path, node) in nodes {
            for ancestor in path::ancestors(path) {
                let blocker = match nodes.get(ancestor) {
                    Some(Node::Dir(_)) => continue,
                    Some(other) => format!("{} makes it {}", source_of(ancestor), kind_name(other)),
                    None => match tree.get(ancestor) {
                        Some((package, record))
                            if !matches!(record.kind, FileKind::Dir | FileKind::Symlink { .. }) =>
                        {
                            format!("package `{package}` ships it as a file")
                        }
                        _ if self.link_at(ancestor).is_some() => {
                            "a package makes it a symbolic link that does not lead to a directory"
                                .to_owned()
                        }
                        _ => continue,
                    },
                };
                return Err(AssembleError::PathConflict {
                    path: format!("/{ancestor}"),
                    first: blocker,
                    second: format!(
                        "{} puts {} at `/{path}` below it",
                        source_of(path),
                        kind_name(node)
                    ),
                });
            }
        }
        Ok(())
    }

    /// Writes the layer, sorted by path, parents first.
    pub fn write(
        &self,
        writer: &mut LayerWriter,
        tree: &InstalledTree<'_>,
        origin_of_files: &Manifest,
        epoch: u64,
    ) -> Result<(), AssembleError> {
        let werr = |source| AssembleError::Write {
            what: "the final layer".into(),
            dir: PathBuf::from("."),
            source,
        };
        let nodes = self.settled();
        self.check_parents(&nodes, tree)?;
        for (path, node) in &nodes {
            let (path, node) = (path.as_str(), *node);
            for ancestor in path::ancestors(path) {
                if writer.has_dir(ancestor) {
                    continue;
                }
                let meta = match nodes.get(ancestor) {
                    Some(Node::Dir(meta)) => *meta,
                    _ => match tree.get(ancestor) {
                        Some((_, record)) if record.kind == FileKind::Dir => Meta {
                            mode: record.mode,
                            uid: record.uid,
                            gid: record.gid,
                            mtime: epoch,
                        },
                        _ => Meta::root(0o755, epoch),
                    },
                };
                writer.directory(ancestor, meta).map_err(werr)?;
            }
            match node {
                Node::Dir(meta) => writer.directory(path, *meta).map_err(werr)?,
                Node::File(meta, Contents::Bytes(bytes)) => writer
                    .file(path, *meta, bytes.len() as u64, bytes.as_slice(), &[])
                    .map_err(werr)?,
                Node::File(meta, Contents::Host { path: host, size }) => {
                    let file =
                        fs_err::File::open(host).map_err(|source| AssembleError::FileSource {
                            origin: origin_of_files.path.display().to_string(),
                            source_path: host.clone(),
                            source,
                        })?;
                    // A file that changed size since it was listed would corrupt the tar.
                    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
                    if len != *size {
                        return Err(AssembleError::FileSource {
                            origin: origin_of_files.path.display().to_string(),
                            source_path: host.clone(),
                            source: std::io::Error::other(
                                "the file changed while the image was built",
                            ),
                        });
                    }
                    writer.file(path, *meta, *size, file, &[]).map_err(werr)?;
                }
                Node::Symlink(meta, target) => writer.symlink(path, target, *meta).map_err(werr)?,
                Node::Hardlink(meta, target) => {
                    writer.hardlink(path, target, *meta).map_err(werr)?
                }
            }
        }
        Ok(())
    }
}

/// What a node is, for messages.
fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Dir(_) => "a directory",
        Node::File(..) => "a file",
        Node::Symlink(..) => "a symbolic link",
        Node::Hardlink(..) => "a hard link",
    }
}
