//! `contents.slices`: some paths of a package, without its dependencies.

use aloft_test::elf::{EM_X86_64, dynamic_object};
use aloft_test::oci::Image;
use aloft_test::{DebEntryKind, DebFile, FixturePackage};
use serde_json::Value;

use crate::common::{Ctx, fails_with, ok};
use crate::ctx_with;
use crate::effects::mozilla_root;
use crate::script_only::build_with;

fn packages() -> Vec<FixturePackage> {
    vec![
        FixturePackage::new("ca-certificates", "20250419")
            .arch("all")
            .depends("openssl (>= 1.1.1), debconf")
            .no_files()
            .entry(dir("usr/", 0o755))
            .entry(dir("usr/sbin/", 0o755))
            .file("usr/sbin/update-ca-certificates", b"#!/bin/sh\n", 0o755)
            .entry(dir("usr/share/", 0o755))
            .entry(dir("usr/share/ca-certificates/", 0o755))
            .entry(dir("usr/share/ca-certificates/mozilla/", 0o750))
            .file(
                "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt",
                mozilla_root("ACCVRAIZ1.crt").as_bytes(),
                0o644,
            )
            .entry(dir("usr/share/doc/", 0o755))
            .entry(dir("usr/share/doc/ca-certificates/", 0o755))
            .file("usr/share/doc/ca-certificates/README", b"read me\n", 0o644)
            .control_file(
                "md5sums",
                b"0123  usr/sbin/update-ca-certificates\n4567  usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt\n89ab  usr/share/doc/ca-certificates/README\n",
            )
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nupdate-ca-certificates\n",
            ),
        FixturePackage::new("openssl", "3.5.1").file("usr/bin/openssl", b"\x7fELF", 0o755),
        FixturePackage::new("debconf", "1.5.91").arch("all"),
    ]
}

fn dir(path: &str, mode: u32) -> DebFile {
    DebFile::new(path, DebEntryKind::Dir, mode)
}

fn slice_yaml(paths: &str) -> String {
    format!("  slices:\n    - {{package: ca-certificates, paths: [{paths}]}}\narchs: [amd64]\n")
}

fn build(ctx: &Ctx, name: &str, paths: &str) -> (Value, Image) {
    build_with(ctx, name, &["base-files"], &slice_yaml(paths), "spdx")
}

#[test]
fn a_slice_keeps_its_paths_without_the_package_dependencies() {
    let ctx = ctx_with(packages());
    let (lock, image) = build(&ctx, "static", "/usr/share/ca-certificates/**");
    let locked: Vec<(&str, &Value)> = lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), &p["slice"]))
        .collect();
    assert_eq!(
        locked,
        [
            ("base-files", &Value::Null),
            (
                "ca-certificates",
                &serde_json::json!(["/usr/share/ca-certificates/**"])
            ),
        ]
    );
    let platform = image.platform();
    let layer = platform.layer("ca-certificates");
    // The kept file, the directories that hold it (from the .deb, with their modes),
    // and the dpkg record; nothing else of the package.
    let mut paths = layer.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "usr",
            "usr/share",
            "usr/share/ca-certificates",
            "usr/share/ca-certificates/mozilla",
            "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt",
            "var",
            "var/lib",
            "var/lib/dpkg",
            "var/lib/dpkg/status.d",
            "var/lib/dpkg/status.d/ca-certificates",
            "var/lib/dpkg/status.d/ca-certificates.md5sums",
        ]
    );
    assert_eq!(layer.get("usr/share/ca-certificates/mozilla").mode, 0o750);
    let md5sums = layer.text("var/lib/dpkg/status.d/ca-certificates.md5sums");
    assert_eq!(md5sums.lines().count(), 1, "{md5sums}");
    assert!(md5sums.ends_with("  usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt\n"));
    // The bundle is made from the kept certificates; the postinst is not read.
    let last = platform.final_layer();
    assert_eq!(
        last.text("etc/ssl/certs/ca-certificates.crt"),
        mozilla_root("ACCVRAIZ1.crt")
    );
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert_eq!(
        effects["packages"]["ca-certificates"][0]["effect"],
        "update-ca-certificates"
    );
    let why = effects["not_applied"]["ca-certificates"][0]["why"]
        .as_str()
        .unwrap();
    assert!(why.contains("keeps a slice"), "{effects}");
    // The SBOM says which paths are in the image.
    let sbom: Value =
        serde_json::from_slice(&std::fs::read(ctx.path("static.amd64.spdx.json")).unwrap())
            .unwrap();
    let comment = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ca-certificates")
        .unwrap()["comment"]
        .as_str()
        .unwrap();
    assert!(
        comment.contains("/usr/share/ca-certificates/**"),
        "{comment}"
    );
    // `--locked` holds, and a lock whose slice was edited does not.
    ok(&ctx.aloft(&[
        "assemble",
        "manifests/static.yaml",
        "--locked",
        "-o",
        "again.tar",
        "-q",
    ]));
    let edited = ctx
        .lock_text("static")
        .replace("/usr/share/ca-certificates/**", "/usr/**");
    std::fs::write(ctx.path("lockfiles/static.lock.json"), edited).unwrap();
    fails_with(
        &ctx.aloft(&[
            "assemble",
            "manifests/static.yaml",
            "--locked",
            "-o",
            "x.tar",
            "-q",
        ]),
        &["slice of `ca-certificates` keeps other paths than the manifest's"],
    );
}

#[test]
fn a_slice_that_matches_nothing_is_an_error_naming_its_patterns() {
    let ctx = ctx_with(packages());
    ctx.manifest(
        "none",
        &["base-files"],
        &slice_yaml("/usr/share/ca-certs/**"),
    );
    fails_with(
        &ctx.aloft(&["assemble", "manifests/none.yaml", "-o", "none.tar", "-q"]),
        &[
            "The slice of `ca-certificates` in `contents.slices`",
            "no file of ca-certificates 20250419 matches `/usr/share/ca-certs/**`",
        ],
    );
    assert!(!ctx.path("none.tar").exists());
}

#[test]
fn slice_patterns_are_checked_where_they_are_written() {
    let ctx = ctx_with(packages());
    for (paths, needle) in [
        ("usr/share/x", "is not absolute"),
        ("/usr/../etc", "has an empty, `.` or `..` component"),
        ("'/usr/[x'", "is not a glob pattern"),
    ] {
        ctx.manifest("bad", &["base-files"], &slice_yaml(paths));
        fails_with(
            &ctx.aloft(&["lock", "manifests/bad.yaml"]),
            &["contents.slices[0].paths[0]", needle],
        );
    }
    // Asked for by name as well (a manifest including a base that slices it): whole.
    ctx.manifest(
        "both",
        &["base-files", "ca-certificates"],
        &slice_yaml("/usr/share/ca-certificates/**"),
    );
    ok(&ctx.aloft(&["lock", "manifests/both.yaml"]));
    let lock = crate::common::lock_json(&ctx.lock_text("both"));
    let certs = lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ca-certificates")
        .unwrap();
    assert!(certs.get("slice").is_none(), "{certs}");
    assert!(
        lock["packages"]["amd64"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "openssl"),
        "whole, with its dependencies"
    );
}

fn glibc() -> Vec<FixturePackage> {
    vec![
        FixturePackage::new("libc6", "2.41-12").file(
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            b"libc",
            0o644,
        ),
        FixturePackage::new("libc-bin", "2.41-12")
            .depends("libc6")
            .file("usr/bin/locale", b"\x7fELF", 0o755)
            .file("usr/lib/locale/C.utf8/LC_CTYPE", b"C.UTF-8 ctype", 0o644),
        FixturePackage::new("app", "1").depends("libc6"),
        FixturePackage::new("locales-all", "2.41-12")
            .depends("libc-bin")
            .no_files()
            .file("usr/lib/locale/aa_DJ.utf8/LC_CTYPE", b"utf-8 ctype", 0o644)
            .file("usr/lib/locale/aa_DJ.utf8/LC_TIME", b"aa time", 0o644)
            .file("usr/lib/locale/fr_FR.utf8/LC_TIME", b"fr time", 0o644)
            .entry(DebFile::new(
                "usr/lib/locale/fr_FR.utf8/LC_CTYPE",
                DebEntryKind::Symlink("../aa_DJ.utf8/LC_CTYPE".into()),
                0o777,
            )),
    ]
}

/// Every image with glibc gets libc-bin's C.UTF-8 (not its programs); `locales` takes
/// named locales from locales-all, with what their links point to.
#[test]
fn glibc_images_get_c_utf8_and_the_named_locales() {
    let ctx = ctx_with(glibc());
    let (lock, image) = build_with(
        &ctx,
        "app",
        &["app"],
        "archs: [amd64]\nlocales: [fr_FR.UTF-8]\n",
        "none",
    );
    let slices: Vec<(&str, &Value)> = lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["slice"].is_null())
        .map(|p| (p["name"].as_str().unwrap(), &p["slice"]))
        .collect();
    assert_eq!(
        slices,
        [
            (
                "libc-bin",
                &serde_json::json!(["/usr/lib/locale/C.utf8/**"])
            ),
            (
                "locales-all",
                &serde_json::json!(["/usr/lib/locale/fr_FR.utf8/**"])
            ),
        ]
    );
    let platform = image.platform();
    let libc_bin = platform.layer("libc-bin");
    assert_eq!(
        libc_bin.text("usr/lib/locale/C.utf8/LC_CTYPE"),
        "C.UTF-8 ctype"
    );
    assert!(libc_bin.find("usr/bin/locale").is_none());
    let locales = platform.layer("locales-all");
    let mut paths = locales.paths();
    paths.retain(|p| p.starts_with("usr/lib/locale/"));
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "usr/lib/locale/aa_DJ.utf8/LC_CTYPE",
            "usr/lib/locale/fr_FR.utf8/LC_CTYPE",
            "usr/lib/locale/fr_FR.utf8/LC_TIME",
        ]
    );
    // `why` says what a slice keeps and where it comes from.
    let why = ctx.aloft(&["why", "manifests/app.yaml", "libc-bin"]);
    ok(&why);
    let text = String::from_utf8_lossy(&why.stdout);
    assert!(
        text.contains("a slice: the image keeps only /usr/lib/locale/C.utf8/**, without its dependencies (C.UTF-8"),
        "{text}"
    );
    // Asked for whole, libc-bin is no slice.
    let (lock, _) = build_with(
        &ctx,
        "whole",
        &["app", "libc-bin"],
        "archs: [amd64]\n",
        "none",
    );
    let libc_bin = lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libc-bin")
        .unwrap();
    assert!(libc_bin.get("slice").is_none(), "{libc_bin}");
    // A locale name that is not one is refused where it is written.
    ctx.manifest("bad", &["app"], "locales: [french]\n");
    fails_with(
        &ctx.aloft(&["lock", "manifests/bad.yaml"]),
        &["locales[0]", "`french` is not a locale name"],
    );
}

/// A slice whose program needs a library the image lacks fails the build, naming both.
#[test]
fn a_slice_whose_program_lacks_a_library_is_an_error() {
    let program = dynamic_object(EM_X86_64, None, &["libc.so.6"], None);
    let ctx = ctx_with(vec![
        FixturePackage::new("tool", "1")
            .depends("libc6")
            .file("usr/bin/true", &program, 0o755),
    ]);
    ctx.manifest(
        "cut",
        &["base-files"],
        "  slices:\n    - {package: tool, paths: [/usr/bin/true]}\narchs: [amd64]\n",
    );
    fails_with(
        &ctx.aloft(&["assemble", "manifests/cut.yaml", "-o", "cut.tar", "-q"]),
        &[
            "is not written (a slice lacks a library)",
            "the library `libc.so.6` is not in the image: needed by /usr/bin/true (tool)",
            "leave the file out of the slice",
        ],
    );
    assert!(!ctx.path("cut.tar").exists());
}
