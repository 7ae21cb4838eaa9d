//! One .deb streamed into a layer: its data.tar entries normalized and checked, then its
//! dpkg database record (`var/lib/dpkg/status.d/<name>` and `<name>.md5sums`, the layout
//! distroless uses and trivy, grype and syft read).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, Read};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::AssembleError;
use crate::exec_facts::{self, ExecFacts};
use crate::layer_writer::{LayerWriter, Meta};
use crate::slice::{SliceEntry, SliceFilter};
use crate::{path, slim};

/// A verified .deb to install, with what the lock says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInput {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `Architecture` (`amd64`, `all`).
    pub architecture: String,
    /// Source package name (layers group by it).
    pub source: String,
    /// sha256 of the .deb (checked before it reached the cache).
    pub sha256: String,
    /// Size of the .deb (layer grouping weighs by it).
    pub size: u64,
    /// The verified .deb on disk.
    pub deb: PathBuf,
    /// The lock's slice of it: the only paths kept (glob patterns). `None`: all of it.
    pub slice: Option<Vec<String>>,
}

/// What an entry of a package is, as recorded in the file index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A regular file of this size.
    File {
        /// Size in bytes.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink {
        /// Its target as written.
        target: String,
    },
    /// A hard link.
    Hardlink {
        /// The image path it links to.
        target: String,
    },
    /// A FIFO.
    Fifo,
}

/// One path a package installs (after merged-/usr mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Image path, relative (`usr/bin/php8.4`).
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// An ELF file's or a script's facts for the image check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecFacts>,
}

/// Every path one package installs, in its data.tar's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFiles {
    /// Package name.
    pub package: String,
    /// Its paths.
    pub files: Vec<FileRecord>,
    /// Its `preinst` (read, never run: aloft does its effects natively).
    #[serde(default)]
    pub preinst: Option<String>,
    /// Its `postinst` (read, never run).
    #[serde(default)]
    pub postinst: Option<String>,
    /// Its `control` paragraph (what /var/lib/dpkg/status.d records).
    #[serde(default)]
    pub control: String,
    /// Its `/usr/share/doc/<package>/copyright`, when it ships that as a file (for the
    /// SBOM's licenses).
    #[serde(default)]
    pub copyright: Option<String>,
    /// The default answer of each debconf question its `templates` define (`""` where a
    /// question of a type with a value has none): what `db_get` gives a
    /// non-interactive install that was asked nothing.
    #[serde(default)]
    pub debconf_defaults: BTreeMap<String, String>,
}

/// The default answers of the questions of a `templates` control file; questions of
/// the types that only show text (`note`, `text`, `error`, `title`) have no value. A
/// paragraph that does not parse is skipped (the file is read for defaults only).
pub fn debconf_defaults(package: &str, templates: &str) -> BTreeMap<String, String> {
    let mut defaults = BTreeMap::new();
    for fields in aloft_deb::paragraphs(package, templates).flatten() {
        let (Some(name), Some(kind)) = (fields.get("Template"), fields.get("Type")) else {
            continue;
        };
        if matches!(kind.trim(), "note" | "text" | "error" | "title") {
            continue;
        }
        let default = fields.get("Default").unwrap_or_default();
        defaults.insert(name.trim().to_owned(), default.trim().to_owned());
    }
    defaults
}

/// Where the dpkg database records go.
pub const STATUS_DIR: &str = "var/lib/dpkg/status.d";

fn unsafe_path(package: &PackageInput, path: &str, reason: impl Into<String>) -> AssembleError {
    AssembleError::UnsafeEntry {
        package: package.name.clone(),
        deb: package.deb.clone(),
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Streams `package`'s files and its dpkg record into `layer`; `slim` leaves out what
/// [`slim::left_out`] says, and a slice what its patterns do not match.
pub fn write_package(
    layer: &mut LayerWriter,
    package: &PackageInput,
    epoch: u64,
    slim: bool,
) -> Result<PackageFiles, AssembleError> {
    let deb_error = |source: aloft_deb::Error| AssembleError::Deb {
        package: package.name.clone(),
        source,
    };
    let io_error = |source: std::io::Error| AssembleError::Read {
        package: package.name.clone(),
        deb: package.deb.clone(),
        source,
    };
    let file = fs_err::File::open(&package.deb).map_err(io_error)?;
    let label = package
        .deb
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| package.name.clone());
    let mut reader = aloft_deb::DebReader::new(BufReader::with_capacity(1 << 16, file), label);
    let control = reader.control().map_err(deb_error)?.clone();
    let data = reader.data().map_err(deb_error)?;
    let mut files = Vec::new();
    let copyright_path = format!("usr/share/doc/{}/copyright", package.name);
    let mut copyright = None;
    let mut archive = tar::Archive::new(data);
    let entries = archive.entries().map_err(io_error)?;
    // Regular files written so far: a hard link may only name one of them, or the layer
    // could not be extracted (tar links to an earlier entry of the same archive).
    let mut regular: HashSet<String> = HashSet::new();
    let filter = Filter {
        slim,
        slice: match &package.slice {
            None => None,
            Some(patterns) => Some(slice_filter(package, patterns)?),
        },
    };
    for entry in entries {
        let entry = entry.map_err(|e| data_error(package, e))?;
        let capture = Capture {
            path: &copyright_path,
            into: &mut copyright,
        };
        if let Some(record) = write_entry(layer, package, entry, capture, &regular, &filter)? {
            if matches!(record.kind, FileKind::File { .. }) {
                regular.insert(record.path.clone());
            }
            files.push(record);
        }
    }
    if let Some(patterns) = &package.slice
        && !files.iter().any(|f| !matches!(f.kind, FileKind::Dir))
    {
        return Err(AssembleError::Slice {
            package: package.name.clone(),
            message: format!(
                "no file of {} {} matches {}; `aloft why` or `dpkg-deb -c` lists what it ships",
                package.name,
                package.version,
                patterns
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let kept: HashSet<&str> = files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::File { .. } | FileKind::Hardlink { .. }))
        .map(|f| f.path.as_str())
        .collect();
    let status = write_status(layer, package, &control, epoch, &kept)?;
    Ok(PackageFiles {
        package: package.name.clone(),
        files,
        preinst: control.text("preinst").map(str::to_owned),
        postinst: control.text("postinst").map(str::to_owned),
        control: status,
        copyright,
        debconf_defaults: control
            .text("templates")
            .map(|templates| debconf_defaults(&package.name, templates))
            .unwrap_or_default(),
    })
}

pub(crate) fn data_error(package: &PackageInput, source: std::io::Error) -> AssembleError {
    AssembleError::Read {
        package: package.name.clone(),
        deb: package.deb.clone(),
        source,
    }
}

fn utf8<'a>(package: &PackageInput, bytes: &'a [u8]) -> Result<&'a str, AssembleError> {
    std::str::from_utf8(bytes).map_err(|_| {
        unsafe_path(
            package,
            &String::from_utf8_lossy(bytes),
            "the name is not UTF-8",
        )
    })
}

/// A regular file whose text is kept while it is written (the copyright file).
struct Capture<'a> {
    /// Its image path.
    path: &'a str,
    /// Where its text goes (lossy UTF-8).
    into: &'a mut Option<String>,
}

/// What of a package the image keeps: all but what slim leaves out, or a slice.
struct Filter {
    slim: bool,
    slice: Option<SliceFilter>,
}

/// The kept set of `package`'s slice: a first pass over its data.tar finds the paths
/// the patterns match and what they need (link targets, parent directories).
fn slice_filter(package: &PackageInput, patterns: &[String]) -> Result<SliceFilter, AssembleError> {
    let io_error = |source: std::io::Error| data_error(package, source);
    let file = fs_err::File::open(&package.deb).map_err(io_error)?;
    let mut reader = aloft_deb::DebReader::new(BufReader::new(file), package.name.clone());
    let data = reader.data().map_err(|source| AssembleError::Deb {
        package: package.name.clone(),
        source,
    })?;
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries().map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let raw_path = entry.path_bytes().into_owned();
        let raw = utf8(package, &raw_path)?;
        let Ok(Some(path)) = path::image_path(raw) else {
            continue;
        };
        let link = || link_target(package, &entry, raw);
        let kind = match entry.header().entry_type() {
            tar::EntryType::Symlink => SliceEntry::Symlink(link()?),
            tar::EntryType::Link => match path::image_path(&link()?) {
                Ok(Some(target)) => SliceEntry::Hardlink(target),
                _ => SliceEntry::Plain,
            },
            _ => SliceEntry::Plain,
        };
        entries.push((path, kind));
    }
    SliceFilter::new(patterns, &entries).map_err(|message| AssembleError::Slice {
        package: package.name.clone(),
        message,
    })
}

/// Copyright files larger than this are not kept (the biggest in trixie is about 1 MB).
const CAPTURE_LIMIT: u64 = 4 << 20;

fn write_entry<R: Read>(
    layer: &mut LayerWriter,
    package: &PackageInput,
    mut entry: tar::Entry<'_, R>,
    capture: Capture<'_>,
    regular: &HashSet<String>,
    filter: &Filter,
) -> Result<Option<FileRecord>, AssembleError> {
    let kind = entry.header().entry_type();
    if matches!(
        kind,
        tar::EntryType::XGlobalHeader | tar::EntryType::XHeader | tar::EntryType::GNULongName
    ) {
        return Ok(None);
    }
    let raw_path = entry.path_bytes().into_owned();
    let raw = utf8(package, &raw_path)?;
    let Some(path) = path::image_path(raw).map_err(|reason| unsafe_path(package, raw, reason))?
    else {
        return Ok(None);
    };
    if filter.slim && slim::left_out(&path)
        || filter.slice.as_ref().is_some_and(|s| !s.keeps(&path))
    {
        return Ok(None);
    }
    let header = entry.header();
    let meta = Meta {
        mode: header.mode().map_err(|e| data_error(package, e))? & 0o7777,
        uid: header.uid().map_err(|e| data_error(package, e))?,
        gid: header.gid().map_err(|e| data_error(package, e))?,
        mtime: header.mtime().map_err(|e| data_error(package, e))?,
    };
    let io = |e| data_error(package, e);
    let mut exec = None;
    let record_kind = match kind {
        tar::EntryType::Directory => {
            // The merged-/usr link stands for it (base-files ships `bin -> usr/bin`).
            if path::is_merged_usr_dir(&path) {
                return Ok(None);
            }
            layer.directory(&path, meta).map_err(io)?;
            FileKind::Dir
        }
        tar::EntryType::Regular | tar::EntryType::Continuous => {
            let pax = xattrs(package, &mut entry)?;
            let size = entry.size();
            // The first bytes tell an ELF file (read whole, for the image check) or a
            // script; the layer gets the same bytes either way.
            let mut prefix = Vec::with_capacity(exec_facts::PREFIX_LEN);
            (&mut entry)
                .take(exec_facts::PREFIX_LEN as u64)
                .read_to_end(&mut prefix)
                .map_err(io)?;
            let whole = (path == capture.path && size <= CAPTURE_LIMIT)
                || (exec_facts::is_elf(&prefix) && size <= exec_facts::ELF_LIMIT);
            if whole {
                let mut bytes = prefix;
                bytes.reserve(usize::try_from(size).unwrap_or(0));
                entry.read_to_end(&mut bytes).map_err(io)?;
                layer
                    .file(&path, meta, size, bytes.as_slice(), &pax)
                    .map_err(io)?;
                if path == capture.path {
                    *capture.into = Some(String::from_utf8_lossy(&bytes).into_owned());
                }
                exec = exec_facts::elf_facts(&bytes);
            } else {
                exec = exec_facts::script_facts(&prefix, meta.mode);
                layer
                    .file(&path, meta, size, prefix.as_slice().chain(&mut entry), &pax)
                    .map_err(io)?;
            }
            FileKind::File { size }
        }
        tar::EntryType::Symlink => {
            let target = link_target(package, &entry, raw)?;
            if path::is_merged_usr_dir(&path) {
                let expected = path::merged_usr_target(&path);
                if target.trim_start_matches('/') != expected {
                    return Err(unsafe_path(
                        package,
                        raw,
                        format!(
                            "`/{path}` must link to `{expected}` on merged /usr, not `{target}`"
                        ),
                    ));
                }
            }
            layer.symlink(&path, &target, meta).map_err(io)?;
            FileKind::Symlink { target }
        }
        tar::EntryType::Link => {
            let target = link_target(package, &entry, raw)?;
            if target.starts_with('/') {
                return Err(unsafe_path(
                    package,
                    raw,
                    format!("hard link to the absolute path `{target}`"),
                ));
            }
            let target = match path::image_path(&target) {
                Ok(Some(t)) => t,
                Ok(None) => return Err(unsafe_path(package, raw, "hard link to the root")),
                Err(reason) => {
                    return Err(unsafe_path(
                        package,
                        raw,
                        format!("hard link target `{target}`: {reason}"),
                    ));
                }
            };
            if filter.slim && slim::left_out(&target) {
                return Err(unsafe_path(
                    package,
                    raw,
                    format!(
                        "hard link to `/{target}`, which a slim image leaves out: write `slim: false` in the manifest"
                    ),
                ));
            }
            if !regular.contains(&target) {
                return Err(unsafe_path(
                    package,
                    raw,
                    format!(
                        "hard link to `/{target}`, which is no regular file the package ships before it: the layer could not be extracted"
                    ),
                ));
            }
            layer.hardlink(&path, &target, meta).map_err(io)?;
            FileKind::Hardlink { target }
        }
        tar::EntryType::Fifo => {
            layer.fifo(&path, meta).map_err(io)?;
            FileKind::Fifo
        }
        tar::EntryType::Char | tar::EntryType::Block => {
            return Err(unsafe_path(
                package,
                raw,
                "device nodes are not installed into images",
            ));
        }
        other => {
            return Err(unsafe_path(
                package,
                raw,
                format!("unsupported tar entry type {:?}", other.as_byte() as char),
            ));
        }
    };
    Ok(Some(FileRecord {
        path,
        kind: record_kind,
        mode: meta.mode,
        uid: meta.uid,
        gid: meta.gid,
        exec,
    }))
}

fn link_target<R: Read>(
    package: &PackageInput,
    entry: &tar::Entry<'_, R>,
    raw: &str,
) -> Result<String, AssembleError> {
    match entry.link_name_bytes() {
        Some(bytes) => Ok(utf8(package, &bytes)?.to_owned()),
        None => Err(unsafe_path(package, raw, "link without a target")),
    }
}

/// The extended attributes of an entry (file capabilities live in
/// `SCHILY.xattr.security.capability`); other PAX records (times, names) are dropped.
fn xattrs<R: Read>(
    package: &PackageInput,
    entry: &mut tar::Entry<'_, R>,
) -> Result<Vec<(String, Vec<u8>)>, AssembleError> {
    let mut out = Vec::new();
    let Some(extensions) = entry.pax_extensions().map_err(|e| data_error(package, e))? else {
        return Ok(out);
    };
    for extension in extensions {
        let extension = extension.map_err(|e| data_error(package, e))?;
        if let Ok(key) = extension.key()
            && key.starts_with("SCHILY.xattr.")
        {
            out.push((key.to_owned(), extension.value_bytes().to_vec()));
        }
    }
    out.sort();
    Ok(out)
}

/// md5sums lines name paths as the .deb does; rewrite legacy top-level directories to
/// their merged-/usr place so that scanners map files to the paths in the image.
fn merged_usr_md5sums(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        match line.split_once("  ") {
            Some((sum, file)) => {
                let mapped = path::image_path(file)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| file.to_owned());
                out.push_str(sum);
                out.push_str("  ");
                out.push_str(&mapped);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The lines of an md5sums file whose path is in `kept`.
fn kept_md5sums(text: &str, kept: &HashSet<&str>) -> String {
    text.lines()
        .filter(|line| {
            let path = line.split_once("  ").map_or("", |(_, path)| path);
            kept.contains(path.trim_start_matches("./").trim_start_matches('/'))
        })
        .flat_map(|line| [line, "\n"])
        .collect()
}

/// Writes the package's dpkg record (status.d) and md5sums; returns the record.
fn write_status(
    layer: &mut LayerWriter,
    package: &PackageInput,
    control: &aloft_deb::DebControl,
    epoch: u64,
    kept: &HashSet<&str>,
) -> Result<String, AssembleError> {
    let io = |e| data_error(package, e);
    let Some(text) = control.control() else {
        return Err(AssembleError::Deb {
            package: package.name.clone(),
            source: aloft_deb::Error::Deb {
                deb: package.deb.display().to_string(),
                member: "control.tar".into(),
                reason: "`control` is not UTF-8".into(),
            },
        });
    };
    let mut status = text.trim_end().to_owned();
    status.push('\n');
    let record = format!("{STATUS_DIR}/{}", package.name);
    layer.parents(&record).map_err(io)?;
    layer
        .directory(STATUS_DIR, Meta::root(0o755, epoch))
        .map_err(io)?;
    layer
        .file(
            &record,
            Meta::root(0o644, epoch),
            status.len() as u64,
            status.as_bytes(),
            &[],
        )
        .map_err(io)?;
    if let Some(md5sums) = control.file("md5sums") {
        // The files in the image only (slim and slices leave some out), as dpkg's
        // database lists them after path-exclude.
        let md5sums = kept_md5sums(&merged_usr_md5sums(&String::from_utf8_lossy(md5sums)), kept);
        layer
            .file(
                &format!("{record}.md5sums"),
                Meta::root(0o644, epoch),
                md5sums.len() as u64,
                md5sums.as_bytes(),
                &[],
            )
            .map_err(io)?;
    }
    Ok(status)
}

/// Reads the regular files at image paths `wanted` from `package`'s .deb (for generated
/// files built from what a package ships: base-passwd's masters, files whose owner or
/// mode the manifest changes). Paths the package does not ship are absent from the map.
/// A .deb is decompressed once per process (see [`crate::deb_files`]).
pub fn read_package_files(
    package: &PackageInput,
    wanted: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeMap<String, Vec<u8>>, AssembleError> {
    if wanted.is_empty() {
        return Ok(std::collections::BTreeMap::new());
    }
    let key = aloft_fs::FileIdentity::of(&package.deb).map_err(|e| data_error(package, e))?;
    if let Some(found) = crate::deb_files::lookup(&key, wanted) {
        return Ok(found);
    }
    let file = fs_err::File::open(&package.deb).map_err(|e| data_error(package, e))?;
    let mut reader = aloft_deb::DebReader::new(BufReader::new(file), package.name.clone());
    let data = reader.data().map_err(|source| AssembleError::Deb {
        package: package.name.clone(),
        source,
    })?;
    let mut contents = crate::deb_files::DebContents::default();
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries().map_err(|e| data_error(package, e))? {
        let mut entry = entry.map_err(|e| data_error(package, e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let Ok(Some(path)) = path::image_path(&String::from_utf8_lossy(&raw)) else {
            continue;
        };
        if wanted.contains(&path) || entry.size() <= crate::deb_files::KEPT_FILE_BYTES {
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| data_error(package, e))?;
            contents.keep(path, bytes);
        } else {
            contents.skip(path);
        }
        // The rest of the .deb is not decompressed (a later read may need to).
        if wanted.iter().all(|path| contents.has(path)) {
            contents.stopped_early = true;
            break;
        }
    }
    let found = contents.take(wanted);
    crate::deb_files::remember(key, contents);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5sums_list_only_what_is_kept() {
        let text = "0123  usr/bin/php8.4\n4567  usr/share/man/man1/php8.4.1.gz\n89ab  ./usr/share/doc/php8.4-cli/copyright\n";
        let kept = HashSet::from(["usr/bin/php8.4", "usr/share/doc/php8.4-cli/copyright"]);
        assert_eq!(
            kept_md5sums(text, &kept),
            "0123  usr/bin/php8.4\n89ab  ./usr/share/doc/php8.4-cli/copyright\n"
        );
    }
}
