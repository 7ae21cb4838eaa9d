//! Tiny but real `.deb` files (dpkg-deb accepts them), including the odd ones a test
//! needs: every data.tar compression, symlinks, hard links, capabilities, and entries a
//! safe assembler must refuse (`..`, absolute hard links, device nodes).

use std::io::Write;

/// What a data.tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebEntryKind {
    /// A regular file with these contents.
    File(Vec<u8>),
    /// A directory.
    Dir,
    /// A symbolic link to this target.
    Symlink(String),
    /// A hard link to this path (as written in the tar: `./usr/bin/x`).
    Hardlink(String),
    /// A character device (major, minor).
    CharDevice(u32, u32),
}

/// An entry of a fixture package's data.tar.
#[derive(Debug, Clone)]
pub struct DebFile {
    /// Path without the leading `./` (e.g. `usr/bin/hello`); written as `./<path>`.
    pub path: String,
    /// What it is.
    pub kind: DebEntryKind,
    /// Mode bits.
    pub mode: u32,
    /// Owner ids.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// Owner name in the header (dpkg-deb writes `root`); empty: none.
    pub uname: String,
    /// Group name in the header; empty: none.
    pub gname: String,
    /// PAX extended records (`SCHILY.xattr.security.capability`, ...).
    pub pax: Vec<(String, Vec<u8>)>,
}

impl DebFile {
    /// A regular file.
    pub fn file(path: &str, contents: &[u8], mode: u32) -> DebFile {
        DebFile::new(path, DebEntryKind::File(contents.to_vec()), mode)
    }

    /// Any entry, root-owned.
    pub fn new(path: &str, kind: DebEntryKind, mode: u32) -> DebFile {
        DebFile {
            path: path.to_owned(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            uname: String::new(),
            gname: String::new(),
            pax: Vec::new(),
        }
    }

    /// Sets the owner: numeric ids and the names written beside them.
    pub fn owner(mut self, uid: u64, gid: u64, uname: &str, gname: &str) -> DebFile {
        self.uid = uid;
        self.gid = gid;
        self.uname = uname.to_owned();
        self.gname = gname.to_owned();
        self
    }

    /// Adds an extended attribute as a PAX record `SCHILY.xattr.<name>`
    /// (`security.capability` for file capabilities).
    pub fn xattr(mut self, name: &str, value: &[u8]) -> DebFile {
        self.pax
            .push((format!("SCHILY.xattr.{name}"), value.to_vec()));
        self
    }
}

/// How the data.tar member is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DebCompression {
    /// data.tar.xz (what trixie uses).
    #[default]
    Xz,
    /// data.tar.gz.
    Gzip,
    /// data.tar.zst.
    Zstd,
    /// data.tar.
    None,
    /// data.tar.bz2 (dpkg can read it; aloft refuses).
    Bzip2Name,
}

impl DebCompression {
    fn member(self, stem: &str) -> String {
        let ext = match self {
            DebCompression::Xz => ".xz",
            DebCompression::Gzip => ".gz",
            DebCompression::Zstd => ".zst",
            DebCompression::None => "",
            DebCompression::Bzip2Name => ".bz2",
        };
        format!("{stem}{ext}")
    }

    fn compress(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            DebCompression::Xz => xz(bytes),
            DebCompression::Gzip => gzip(bytes),
            DebCompression::Zstd => zstd::encode_all(bytes, 3).unwrap(),
            DebCompression::None | DebCompression::Bzip2Name => bytes.to_vec(),
        }
    }
}

fn tar(entries: &[DebFile]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        if !entry.pax.is_empty() {
            builder
                .append_pax_extensions(entry.pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .unwrap();
        }
        let mut header = tar::Header::new_gnu();
        header.set_mode(entry.mode);
        header.set_mtime(1_700_000_000);
        header.set_uid(entry.uid);
        header.set_gid(entry.gid);
        if !entry.uname.is_empty() {
            header.set_username(&entry.uname).unwrap();
        }
        if !entry.gname.is_empty() {
            header.set_groupname(&entry.gname).unwrap();
        }
        header.set_size(0);
        let path = format!("./{}", entry.path);
        match &entry.kind {
            DebEntryKind::File(contents) => {
                header.set_size(contents.len() as u64);
                header.set_entry_type(tar::EntryType::Regular);
                builder
                    .append_data(&mut header, &path, contents.as_slice())
                    .unwrap();
            }
            DebEntryKind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                builder
                    .append_data(&mut header, format!("{path}/"), std::io::empty())
                    .unwrap();
            }
            DebEntryKind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, &path, target).unwrap();
            }
            DebEntryKind::Hardlink(target) => {
                header.set_entry_type(tar::EntryType::Link);
                // Written raw: the tar crate would refuse an absolute or `..` target.
                header.set_path(&path).unwrap();
                let name = target.as_bytes();
                header.as_old_mut().linkname[..name.len()].copy_from_slice(name);
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
            DebEntryKind::CharDevice(major, minor) => {
                header.set_entry_type(tar::EntryType::Char);
                header.set_device_major(*major).unwrap();
                header.set_device_minor(*minor).unwrap();
                builder
                    .append_data(&mut header, &path, std::io::empty())
                    .unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// Writes `path` into a header raw, so that `..` survives (the tar crate refuses it).
fn raw_path_tar(path: &str, contents: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, contents).unwrap();
    builder.into_inner().unwrap()
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

pub(crate) fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(bytes).unwrap();
    xz.finish().unwrap()
}

/// A .deb under construction: control fields, control files (maintainer scripts,
/// md5sums) and data entries.
#[derive(Debug, Clone, Default)]
pub struct DebBuilder {
    control: String,
    control_files: Vec<(String, Vec<u8>)>,
    entries: Vec<DebFile>,
    compression: DebCompression,
    escaping_path: Option<String>,
}

impl DebBuilder {
    /// A package with this `control` paragraph.
    pub fn new(control: &str) -> DebBuilder {
        DebBuilder {
            control: control.to_owned(),
            ..DebBuilder::default()
        }
    }

    /// Adds data entries.
    pub fn entries(mut self, entries: &[DebFile]) -> Self {
        self.entries.extend_from_slice(entries);
        self
    }

    /// Adds a control file (`postinst`, `md5sums`, `conffiles`).
    pub fn control_file(mut self, name: &str, contents: &[u8]) -> Self {
        self.control_files
            .push((name.to_owned(), contents.to_vec()));
        self
    }

    /// Sets the data.tar compression.
    pub fn compression(mut self, compression: DebCompression) -> Self {
        self.compression = compression;
        self
    }

    /// Replaces the data tar by one regular file whose raw tar name is `path`
    /// (e.g. `./../etc/evil`), which a normal tar writer would refuse.
    pub fn raw_data_path(mut self, path: &str) -> Self {
        self.escaping_path = Some(path.to_owned());
        self
    }

    /// The .deb bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut control_entries = vec![DebFile::file("control", self.control.as_bytes(), 0o644)];
        for (name, contents) in &self.control_files {
            let mode = if matches!(name.as_str(), "preinst" | "postinst" | "prerm" | "postrm") {
                0o755
            } else {
                0o644
            };
            control_entries.push(DebFile::file(name, contents, mode));
        }
        let control_tar = gzip(&tar(&control_entries));
        let data = match &self.escaping_path {
            Some(path) => raw_path_tar(path, b"escaped\n"),
            None => tar(&self.entries),
        };
        let data_tar = self.compression.compress(&data);
        let mut out = Vec::new();
        {
            let mut ar = ar::Builder::new(&mut out);
            for (name, bytes) in [
                ("debian-binary".to_owned(), b"2.0\n".to_vec()),
                ("control.tar.gz".to_owned(), control_tar),
                (self.compression.member("data.tar"), data_tar),
            ] {
                let mut header = ar::Header::new(name.into_bytes(), bytes.len() as u64);
                header.set_mode(0o100644);
                header.set_mtime(1_700_000_000);
                ar.append(&header, bytes.as_slice()).unwrap();
            }
        }
        out
    }
}

/// Builds a .deb: `debian-binary`, `control.tar.gz` (the `control` paragraph) and
/// `data.tar.xz` (the files).
pub fn build_deb(control: &str, files: &[DebFile]) -> Vec<u8> {
    DebBuilder::new(control).entries(files).build()
}
