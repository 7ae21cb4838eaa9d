//! The .deb reader against fixture packages in every compression dpkg writes, and
//! against broken ones.
#![allow(clippy::unwrap_used)] // a broken fixture is a failing test

use std::io::{Cursor, Read};

use aloft_deb::DebReader;
use aloft_test::{DebBuilder, DebCompression, DebFile};

const CONTROL: &str = "Package: hello\nVersion: 1.0\nArchitecture: amd64\n";

fn data_paths(deb: Vec<u8>) -> Result<Vec<String>, aloft_deb::Error> {
    let mut reader = DebReader::new(Cursor::new(deb), "hello_1.0_amd64.deb");
    assert_eq!(reader.control()?.control(), Some(CONTROL));
    let data = reader.data()?;
    let mut archive = tar::Archive::new(data);
    let mut paths = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        paths.push(format!("{}={contents}", entry.path().unwrap().display()));
    }
    Ok(paths)
}

#[test]
fn reads_every_compression_dpkg_writes() {
    for compression in [
        DebCompression::Xz,
        DebCompression::Gzip,
        DebCompression::Zstd,
        DebCompression::None,
    ] {
        let deb = DebBuilder::new(CONTROL)
            .control_file("postinst", b"#!/bin/sh\nexit 0\n")
            .entries(&[DebFile::file("usr/bin/hello", b"hi", 0o755)])
            .compression(compression)
            .build();
        assert_eq!(
            data_paths(deb).unwrap(),
            vec!["usr/bin/hello=hi"],
            "{compression:?}"
        );
    }
}

#[test]
fn control_files_are_kept_by_name() {
    let deb = DebBuilder::new(CONTROL)
        .control_file("postinst", b"#!/bin/sh\n")
        .control_file("md5sums", b"abc  usr/bin/hello\n")
        .build();
    let mut reader = DebReader::new(Cursor::new(deb), "hello.deb");
    let control = reader.control().unwrap();
    assert_eq!(
        control.names().collect::<Vec<_>>(),
        ["control", "md5sums", "postinst"]
    );
    assert_eq!(control.text("postinst"), Some("#!/bin/sh\n"));
}

#[test]
fn unknown_data_compression_is_named() {
    let deb = DebBuilder::new(CONTROL)
        .compression(DebCompression::Bzip2Name)
        .build();
    let err = data_paths(deb).unwrap_err().to_string();
    assert_eq!(
        err,
        "`hello_1.0_amd64.deb`: member `data.tar.bz2`: unknown compression `.bz2` (dpkg accepts .xz, .gz, .zst or none)"
    );
}

#[test]
fn corrupt_archives_are_errors_not_panics() {
    let deb = DebBuilder::new(CONTROL)
        .entries(&[DebFile::file("usr/bin/hello", &[7u8; 4000], 0o755)])
        .build();
    // Not an ar archive at all.
    let err = DebReader::new(Cursor::new(b"hello".to_vec()), "x.deb")
        .control()
        .unwrap_err()
        .to_string();
    assert!(err.contains("`x.deb`: member `debian-binary`"), "{err}");
    // Every truncation and a flipped byte at every offset of the headers: an error or
    // (for a flip inside compressed data the decoder does not check) different bytes,
    // never a panic.
    for cut in (0..deb.len()).step_by(7) {
        let mut reader = DebReader::new(Cursor::new(deb[..cut].to_vec()), "x.deb");
        if reader.control().is_ok()
            && let Ok(mut data) = reader.data()
        {
            let _ = std::io::copy(&mut data, &mut std::io::sink());
        }
    }
    for at in 0..deb.len().min(400) {
        let mut bad = deb.clone();
        bad[at] ^= 0x55;
        let mut reader = DebReader::new(Cursor::new(bad), "x.deb");
        if reader.control().is_ok()
            && let Ok(mut data) = reader.data()
        {
            let _ = std::io::copy(&mut data, &mut std::io::sink());
        }
    }
}
