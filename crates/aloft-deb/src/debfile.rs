//! The `.deb` container: an ar archive of `debian-binary`, `control.tar[.ext]` and
//! `data.tar[.ext]`, each tar in any compression dpkg-deb writes today (xz, gzip, zstd,
//! none). The control tar is small and read into memory; the data tar is handed out as a
//! decompressing stream, so a package's files are decompressed exactly once and never
//! staged on disk.

use std::collections::BTreeMap;
use std::io::Read;

use crate::Error;

/// How a member of a .deb is compressed, from its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberCompression {
    /// `.xz`.
    Xz,
    /// `.gz`.
    Gzip,
    /// `.zst`.
    Zstd,
    /// No extension.
    None,
}

impl MemberCompression {
    /// The compression of member `name` with stem `stem` (`data.tar`), or `None` when the
    /// name is not that stem plus a known extension.
    fn of(name: &str, stem: &str) -> Option<Result<MemberCompression, String>> {
        let ext = name.strip_prefix(stem)?;
        Some(match ext {
            ".xz" => Ok(MemberCompression::Xz),
            ".gz" => Ok(MemberCompression::Gzip),
            ".zst" => Ok(MemberCompression::Zstd),
            "" => Ok(MemberCompression::None),
            other => Err(other.to_owned()),
        })
    }

    /// Wraps `reader` in the matching decoder.
    fn decoder<'a>(self, reader: impl Read + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            MemberCompression::Xz => Box::new(liblzma::read::XzDecoder::new(reader)),
            MemberCompression::Gzip => Box::new(flate2::read::GzDecoder::new(reader)),
            MemberCompression::Zstd => Box::new(zstd::stream::read::Decoder::new(reader)?),
            MemberCompression::None => Box::new(reader),
        })
    }
}

/// The files of a package's control tar (`control`, `md5sums`, `conffiles`, maintainer
/// scripts, `triggers`, ...), by name without the leading `./`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebControl {
    files: BTreeMap<String, Vec<u8>>,
}

impl DebControl {
    /// The `control` paragraph's text.
    pub fn control(&self) -> Option<&str> {
        self.text("control")
    }

    /// A control file's bytes (`postinst`, `md5sums`, ...).
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// A control file as UTF-8 text, `None` when absent or not UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.file(name).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Every control file name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// Reads one `.deb` front to back (seeking only to skip `_` members): first [`DebReader::control`], then
/// [`DebReader::data`].
pub struct DebReader<R: Read> {
    archive: ar::Archive<R>,
    label: String,
    control: Option<DebControl>,
    /// How many members `next_entry` has returned (the index of the next one).
    members_read: usize,
}

impl<R: Read> std::fmt::Debug for DebReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebReader")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Larger control tars are not packages (the biggest in trixie is well under 1 MiB).
const MAX_CONTROL_BYTES: u64 = 64 << 20;

impl<R: Read + std::io::Seek> DebReader<R> {
    /// Starts reading `reader`; `label` names the package in errors (`name_version_arch.deb`).
    pub fn new(reader: R, label: impl Into<String>) -> DebReader<R> {
        DebReader {
            archive: ar::Archive::new(reader),
            label: label.into(),
            control: None,
            members_read: 0,
        }
    }

    fn next_member(&mut self) -> Option<std::io::Result<ar::Entry<'_, R>>> {
        self.members_read += 1;
        self.archive.next_entry()
    }

    fn error(&self, member: &str, reason: impl Into<String>) -> Error {
        Error::Deb {
            deb: self.label.clone(),
            member: member.to_owned(),
            reason: reason.into(),
        }
    }

    /// Reads `debian-binary` and the control tar. Idempotent.
    pub fn control(&mut self) -> Result<&DebControl, Error> {
        if self.control.is_none() {
            let control = self.read_control()?;
            self.control = Some(control);
        }
        match &self.control {
            Some(control) => Ok(control),
            None => Err(self.error("control.tar", "missing")),
        }
    }

    fn read_control(&mut self) -> Result<DebControl, Error> {
        // debian-binary: "2.0\n" (dpkg accepts any 2.x).
        let label = self.label.clone();
        let err = |member: &str, reason: String| Error::Deb {
            deb: label.clone(),
            member: member.to_owned(),
            reason,
        };
        let mut version = String::new();
        match self.next_member() {
            None => {
                return Err(err(
                    "debian-binary",
                    "the file is empty or not an ar archive".into(),
                ));
            }
            Some(Err(e)) => return Err(err("debian-binary", format!("not an ar archive: {e}"))),
            Some(Ok(mut entry)) => {
                if entry.header().identifier() != b"debian-binary" {
                    let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
                    return Err(err(
                        "debian-binary",
                        format!("first member is `{name}`, not `debian-binary`"),
                    ));
                }
                (&mut entry)
                    .take(64)
                    .read_to_string(&mut version)
                    .map_err(|e| err("debian-binary", format!("unreadable: {e}")))?;
            }
        }
        if !version.starts_with("2.") {
            return Err(err(
                "debian-binary",
                format!("format version `{}` is not 2.x", version.trim()),
            ));
        }
        loop {
            let Some(entry) = self.next_member() else {
                return Err(err("control.tar", "missing".into()));
            };
            let mut entry =
                entry.map_err(|e| err("control.tar", format!("corrupt ar archive: {e}")))?;
            let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
            // dpkg skips members starting with `_` (signatures and the like).
            if name.starts_with('_') {
                continue;
            }
            let compression = match MemberCompression::of(&name, "control.tar") {
                Some(Ok(c)) => c,
                Some(Err(ext)) => {
                    return Err(err(
                        &name,
                        format!(
                            "unknown compression `{ext}` (dpkg accepts .xz, .gz, .zst or none)"
                        ),
                    ));
                }
                None => {
                    return Err(err(
                        &name,
                        "unexpected member where control.tar should be".into(),
                    ));
                }
            };
            let decoder = compression
                .decoder((&mut entry).take(MAX_CONTROL_BYTES))
                .map_err(|e| err(&name, e.to_string()))?;
            return read_control_tar(decoder).map_err(|reason| err(&name, reason));
        }
    }

    /// The data tar as a decompressing stream (reads the control tar first if needed).
    /// The member's name gives its compression; an unknown one is an error.
    pub fn data(&mut self) -> Result<Box<dyn Read + '_>, Error> {
        self.control()?;
        // Members named `_...` may sit before data.tar (deb(5)); skipping one and then
        // returning a later entry needs the archive's index (Seek), as a loop that
        // returns a borrowed entry does not pass the borrow checker.
        let name = loop {
            let name = match self.next_member() {
                None => None,
                Some(Err(e)) => Some(Err(format!("corrupt ar archive: {e}"))),
                Some(Ok(entry)) => Some(Ok(
                    String::from_utf8_lossy(entry.header().identifier()).into_owned()
                )),
            };
            match name {
                None => return Err(self.error("data.tar", "missing")),
                Some(Err(reason)) => return Err(self.error("data.tar", reason)),
                Some(Ok(name)) if name.starts_with('_') => continue,
                Some(Ok(name)) => break name,
            }
        };
        let compression = match MemberCompression::of(&name, "data.tar") {
            Some(Ok(c)) => c,
            Some(Err(ext)) => {
                return Err(self.error(
                    &name,
                    format!("unknown compression `{ext}` (dpkg accepts .xz, .gz, .zst or none)"),
                ));
            }
            None => {
                return Err(self.error(&name, "unexpected member where data.tar should be"));
            }
        };
        let label = self.label.clone();
        let err = |reason: String| Error::Deb {
            deb: label.clone(),
            member: name.clone(),
            reason,
        };
        let entry = self
            .archive
            .jump_to_entry(self.members_read - 1)
            .map_err(|e| err(format!("corrupt ar archive: {e}")))?;
        compression.decoder(entry).map_err(|e| err(e.to_string()))
    }

    /// The label given at construction.
    pub fn label(&self) -> &str {
        &self.label
    }
}

fn read_control_tar(reader: impl Read) -> Result<DebControl, String> {
    let mut archive = tar::Archive::new(reader);
    let mut files = BTreeMap::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("corrupt tar: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| format!("bad path: {e}"))?
            .to_string_lossy()
            .into_owned();
        let name = path.trim_start_matches("./").to_owned();
        if name.contains('/') || name.is_empty() {
            return Err(format!("unexpected control file `{path}`"));
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read `{name}`: {e}"))?;
        files.insert(name, bytes);
    }
    if !files.contains_key("control") {
        return Err("no `control` file".into());
    }
    Ok(DebControl { files })
}
