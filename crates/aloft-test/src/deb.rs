//! Tiny but real `.deb` files (dpkg-deb accepts them).

use std::io::Write;

/// A file inside a fixture package.
#[derive(Debug, Clone)]
pub struct DebFile {
    /// Path without the leading `./` (e.g. `usr/bin/hello`).
    pub path: String,
    /// Contents.
    pub contents: Vec<u8>,
    /// Mode bits.
    pub mode: u32,
}

fn tar(entries: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents, mode) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, format!("./{path}"), contents.as_slice())
            .unwrap();
    }
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

/// Builds a .deb: `debian-binary`, `control.tar.gz` (the `control` paragraph) and
/// `data.tar.xz` (the files).
pub fn build_deb(control: &str, files: &[DebFile]) -> Vec<u8> {
    let control_tar = gzip(&tar(&[(
        "control".to_owned(),
        control.as_bytes().to_vec(),
        0o644,
    )]));
    let data: Vec<(String, Vec<u8>, u32)> = files
        .iter()
        .map(|f| (f.path.clone(), f.contents.clone(), f.mode))
        .collect();
    let data_tar = xz(&tar(&data));
    let mut out = Vec::new();
    {
        let mut ar = ar::Builder::new(&mut out);
        for (name, bytes) in [
            ("debian-binary", b"2.0\n".to_vec()),
            ("control.tar.gz", control_tar),
            ("data.tar.xz", data_tar),
        ] {
            let mut header = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
            header.set_mode(0o100644);
            header.set_mtime(1_700_000_000);
            ar.append(&header, bytes.as_slice()).unwrap();
        }
    }
    out
}
