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
}

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
        for (path, text) in [
            ("etc/passwd", &accounts.passwd),
            ("etc/group", &accounts.group),
        ] {
            layer.nodes.insert(
                path.to_owned(),
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
                layer.nodes.insert(home, Node::Dir(meta));
            }
        }
        for dir in path::MERGED_USR_DIRS {
            let has_link =
                matches!(tree.get(dir), Some((_, r)) if matches!(r.kind, FileKind::Symlink { .. }));
            let usr_dir = path::merged_usr_target(dir);
            let has_usr_dir = matches!(tree.get(&usr_dir), Some((_, r)) if r.kind == FileKind::Dir);
            if !has_link && has_usr_dir {
                layer.nodes.insert(
                    dir.to_owned(),
                    Node::Symlink(Meta::root(0o777, epoch), usr_dir),
                );
            }
        }
        layer
    }

    /// Adds (or replaces) a root-owned regular file.
    pub fn add_file(&mut self, path: &str, contents: Vec<u8>, mode: u32, epoch: u64) {
        self.nodes.insert(
            path.to_owned(),
            Node::File(Meta::root(mode, epoch), Contents::Bytes(contents)),
        );
    }

    /// Adds (or replaces) a symbolic link.
    pub fn add_symlink(&mut self, path: &str, target: &str, epoch: u64) {
        self.nodes.insert(
            path.to_owned(),
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
            match spec.kind {
                PathKind::Directory => {
                    self.nodes.insert(path, Node::Dir(meta(0o755)));
                }
                PathKind::EmptyFile => {
                    self.nodes
                        .insert(path, Node::File(meta(0o644), Contents::Bytes(Vec::new())));
                }
                PathKind::Symlink => {
                    self.nodes
                        .insert(path, Node::Symlink(meta(0o777), source()?));
                }
                PathKind::Hardlink => {
                    let target = image_path(&located.origin, &source()?)?;
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
                    self.nodes.insert(path, Node::Hardlink(meta(0o644), target));
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

    /// Every path this layer writes so far.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// Whether `files:` wrote `path` (so a later effect must leave it alone).
    pub fn written_by_files(&self, path: &str) -> bool {
        self.from_files.contains(path)
    }

    /// What this layer has at `path`, for effects that read the image as a program would.
    pub fn entry(&self, path: &str) -> Option<LayerEntry<'_>> {
        self.nodes.get(path).map(|node| match node {
            Node::File(..) => LayerEntry::File,
            Node::Symlink(_, target) => LayerEntry::Symlink(target),
            Node::Dir(_) | Node::Hardlink(..) => LayerEntry::Other,
        })
    }

    /// Whether this layer has an entry at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// Adds (or replaces) a directory.
    pub fn add_dir(&mut self, path: &str, meta: Meta) {
        self.nodes.insert(path.to_owned(), Node::Dir(meta));
    }

    /// The contents of a regular file this layer writes from memory.
    pub fn file_contents(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(path) {
            Some(Node::File(_, Contents::Bytes(bytes))) => Some(bytes),
            _ => None,
        }
    }

    /// The contents of the regular file this layer writes at `path`, whether generated or
    /// copied from the host by `files:` (read now).
    pub fn read_file(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        match self.nodes.get(path) {
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
        self.nodes.insert(target.to_owned(), node);
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
        self.from_files.insert(dest.clone());
        if file_type.is_symlink() {
            let target = fs_err::read_link(source).map_err(|e| io(source, e))?;
            self.nodes.insert(
                dest,
                Node::Symlink(meta(0o777), target.to_string_lossy().into_owned()),
            );
        } else if file_type.is_dir() {
            self.nodes.insert(dest.clone(), Node::Dir(meta(0o755)));
            let mut children: Vec<_> = fs_err::read_dir(source)
                .map_err(|e| io(source, e))?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(|e| io(source, e))?;
            children.sort();
            for name in children {
                let child_dest = format!("{dest}/{}", name.to_string_lossy());
                self.copy_host(located, &source.join(&name), child_dest, epoch)?;
            }
        } else if file_type.is_file() {
            let default = if host_mode & 0o111 != 0 { 0o755 } else { 0o644 };
            self.nodes.insert(
                dest,
                Node::File(
                    meta(spec.mode.unwrap_or(default)),
                    Contents::Host {
                        path: source.to_path_buf(),
                        size: metadata.len(),
                    },
                ),
            );
        } else {
            return Err(io(
                source,
                std::io::Error::other("not a regular file, folder or symbolic link"),
            ));
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
        for (path, node) in &self.nodes {
            for ancestor in path::ancestors(path) {
                if writer.has_dir(ancestor) {
                    continue;
                }
                let meta = match self.nodes.get(ancestor) {
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
