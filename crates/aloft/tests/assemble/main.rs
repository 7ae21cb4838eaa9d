//! `aloft assemble` end to end: signed fixture repositories on a loopback server, and the
//! image read back from the oci-archive or layout it writes (index.json -> image index ->
//! manifest -> config and layers), every blob checked against its digest.
// A broken fixture is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod busybox;
#[path = "../common/mod.rs"]
mod common;
mod compression;
mod effects;
mod expect;
mod image;
mod image_check;
mod interruptions;
mod layer_cache;
mod ld_so_cache;
mod local_repos;
mod locked_and_arch;
mod output_paths;
mod publish;
mod python_bytecode;
mod sbom;
mod script_only;
mod services;
mod slices;
mod tampered_locks;
mod why;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, UNIX_EPOCH};

use aloft_fetch::sha256_hex;
use aloft_test::oci::{Image, Platform};
use aloft_test::{
    DebCompression, DebEntryKind, DebFile, Fault, FixturePackage, SuiteOptions, TestServer,
};
use serde_json::{Value, json};

use common::{Ctx, fails_with, failure, lock_json, ok, stderr};

/// The fixture suite's Release `Date`: with no SOURCE_DATE_EPOCH set, every mtime clamps
/// to it and it is the config's `created`. The fixture .debs' entries are dated
/// 1_700_000_000, later, so every one of them must be clamped.
const EPOCH: u64 = 1_600_000_000;
const RELEASE_DATE: &str = "2020-09-13T12:26:40Z";
/// `cap_net_raw=ep` as a VFS v2 `security.capability` value.
const CAPABILITY: [u8; 20] = [
    0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
const PASSWD_MASTER: &str = "root:*:0:0:root:/root:/bin/sh\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const GROUP_MASTER: &str = "root:*:0:\ndaemon:*:1:\ntty:*:5:\nnogroup:*:65534:\n";
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---------------------------------------------------------------------------------------
// Fixture packages

fn root_owned(entry: DebFile) -> DebFile {
    entry.owner(0, 0, "root", "root")
}

fn dir(path: &str) -> DebFile {
    root_owned(DebFile::new(path, DebEntryKind::Dir, 0o755))
}

fn file(path: &str, contents: &[u8], mode: u32) -> DebFile {
    root_owned(DebFile::file(path, contents, mode))
}

fn symlink(path: &str, target: &str) -> DebFile {
    root_owned(DebFile::new(
        path,
        DebEntryKind::Symlink(target.to_owned()),
        0o777,
    ))
}

/// base-files: the merged-/usr links and the directories they point to.
fn base_files(arch: &str) -> FixturePackage {
    let mut package = FixturePackage::new("base-files", "13.8")
        .arch(arch)
        .field("Essential", "yes")
        .no_files();
    for d in ["etc", "usr", "usr/bin", "usr/lib", "usr/sbin", "usr/share"] {
        package = package.entry(dir(d));
    }
    package
        .entry(file("etc/debian_version", b"13.8\n", 0o644))
        .entry(symlink("bin", "usr/bin"))
        .entry(symlink("lib", "usr/lib"))
        .entry(symlink("sbin", "usr/sbin"))
}

/// base-passwd: the masters /etc/passwd and /etc/group are made from.
fn base_passwd() -> FixturePackage {
    FixturePackage::new("base-passwd", "3.6.7")
        .arch("all")
        .no_files()
        // As the real one does; aloft's own /etc/passwd and /etc/group must win.
        .control_file(
            "postinst",
            b"#!/bin/sh\nset -e\nif [ ! -e /etc/passwd ]; then\n  cp /usr/share/base-passwd/passwd.master /etc/passwd\nfi\nif [ ! -e /etc/group ]; then\n  cp /usr/share/base-passwd/group.master /etc/group\nfi\n",
        )
        .entry(dir("usr/share/base-passwd"))
        .entry(file(
            "usr/share/base-passwd/passwd.master",
            PASSWD_MASTER.as_bytes(),
            0o644,
        ))
        .entry(file(
            "usr/share/base-passwd/group.master",
            GROUP_MASTER.as_bytes(),
            0o644,
        ))
}

fn triplet(arch: &str) -> &'static str {
    match arch {
        "arm64" => "aarch64-linux-gnu",
        _ => "x86_64-linux-gnu",
    }
}

/// The package under test: a setuid tool under the legacy /bin, a setgid file owned by
/// group tty, a file with a capability, a library and a hard link to it under /lib, and
/// md5sums naming the legacy paths.
fn hello(version: &str, arch: &str) -> FixturePackage {
    let lib = format!("lib/{}", triplet(arch));
    let md5sums = format!(
        "0123456789abcdef0123456789abcdef  bin/tool\n\
         fedcba9876543210fedcba9876543210  {lib}/libhello.so.1\n\
         00112233445566778899aabbccddeeff  usr/share/doc/hello/README\n\
         8899aabbccddeeff0011223344556677  usr/share/doc/hello/copyright\n\
         aabbccddeeff00112233445566778899  usr/share/hello/README\n\
         33445566778899aabbccddeeff001122  usr/share/man/man1/tool.1.gz\n"
    );
    FixturePackage::new("hello", version)
        .arch(arch)
        .depends("base-files")
        .file("usr/share/doc/hello/copyright", b"License: MIT\n", 0o644)
        .file(
            "usr/share/hello/README",
            format!("hello {version}\n").as_bytes(),
            0o644,
        )
        .file("usr/share/man/man1/tool.1.gz", b"man\n", 0o644)
        .entry(dir("bin"))
        .entry(file("bin/tool", b"#!tool\n", 0o4755))
        .entry(file("usr/bin/pinger", b"ping\n", 0o755).xattr("security.capability", &CAPABILITY))
        .entry(DebFile::file("usr/bin/wall", b"wall\n", 0o2755).owner(0, 5, "root", "tty"))
        .entry(file(&format!("{lib}/libhello.so.1"), b"lib\n", 0o644))
        .entry(root_owned(DebFile::new(
            &format!("{lib}/libhello.so.1.0"),
            DebEntryKind::Hardlink(format!("./{lib}/libhello.so.1")),
            0o644,
        )))
        .control_file("md5sums", md5sums.as_bytes())
}

fn tzdata() -> FixturePackage {
    FixturePackage::new("tzdata", "2025b-1")
        .arch("all")
        .file("usr/share/zoneinfo/Etc/UTC", b"TZif2 UTC\n", 0o644)
        .entry(symlink("usr/share/zoneinfo/UTC", "Etc/UTC"))
        .file("usr/share/zoneinfo/Europe/Paris", b"TZif2 CET\n", 0o644)
}

fn packages() -> Vec<FixturePackage> {
    vec![
        base_files("amd64"),
        base_files("arm64"),
        base_passwd(),
        hello("1.0", "amd64"),
        hello("1.0", "arm64"),
        tzdata(),
    ]
}

/// A suite dated EPOCH (before the .debs' mtimes), never expiring.
fn suite() -> SuiteOptions {
    let mut options = SuiteOptions::new("trixie");
    options.date = UNIX_EPOCH + Duration::from_secs(EPOCH);
    options.valid_until = None;
    options
}

fn ctx_with(extra: Vec<FixturePackage>) -> Ctx {
    let mut all = packages();
    all.extend(extra);
    Ctx::with_packages(&suite(), &all)
}

fn ctx() -> Ctx {
    ctx_with(Vec::new())
}

/// Everything the image configuration can set.
const FULL: &str = r#"accounts:
  groups:
    - {groupname: app, gid: 1000}
  users:
    - {username: app, uid: 1000, gid: 1000}
  run-as: app
entrypoint:
  command: [/usr/bin/tool, --serve]
cmd: [--port, "8080"]
work-dir: /data
environment:
  TZ: UTC
  APP_MODE: prod
paths:
  - {path: /data, type: directory, uid: 1000, gid: 1000, permissions: 0o750}
  - {path: /usr/bin/hello-tool, type: symlink, source: tool}
  - {path: /var/log/app.log, type: empty-file, uid: 1000, gid: 1000, permissions: 0o640}
  - {path: /usr/share/hello/README, type: permissions, uid: 1000, gid: 1000, permissions: 0o600}
files:
  - {source: ../host/app.conf, path: /etc/app/app.conf, mode: 0o640, gid: 1000}
  - {source: ../host/static, path: /srv/static, uid: 1000, gid: 1000}
volumes: [/data]
stop-signal: QUIT
ports: [8080, 9090/udp]
annotations:
  org.opencontainers.image.title: hello
  org.opencontainers.image.version: "1.0"
"#;

fn write_mode(path: &Path, contents: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The host files `FULL` copies in.
fn host_files(ctx: &Ctx) {
    write_mode(&ctx.path("host/app.conf"), b"listen = 8080\n", 0o600);
    write_mode(&ctx.path("host/static/index.html"), b"<h1>hi</h1>\n", 0o644);
    write_mode(&ctx.path("host/static/bin/run.sh"), b"#!/bin/sh\n", 0o700);
}

fn full_manifest(ctx: &Ctx, name: &str) -> PathBuf {
    host_files(ctx);
    ctx.manifest(
        name,
        &["base-files", "base-passwd", "hello", "tzdata"],
        &format!("archs: [amd64]\n{FULL}"),
    )
}

// ---------------------------------------------------------------------------------------
// Reading images back (aloft_test::oci)

/// The oci-archive at `path`, read back; its own tar headers are dated EPOCH.
fn read_archive(path: &Path) -> Image {
    let image = Image::archive(path);
    assert_eq!(
        image.archive_mtimes,
        BTreeSet::from([EPOCH]),
        "{}",
        path.display()
    );
    image
}

// ---------------------------------------------------------------------------------------
// Running

fn assemble(ctx: &Ctx, manifest: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["assemble", manifest, "-o", out];
    args.extend_from_slice(extra);
    ctx.aloft(&args)
}

/// The last stdout line of a successful run: the image digest.
fn digest_line(output: &Output) -> String {
    ok(output);
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let last = stdout.lines().last().unwrap_or_default().to_owned();
    let hex = last.strip_prefix("sha256:").unwrap_or_default();
    assert!(
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "last stdout line is not a digest: {stdout:?}"
    );
    last
}

fn locked_package(ctx: &Ctx, lock: &str, name: &str) -> Value {
    let json = lock_json(&ctx.lock_text(lock));
    json["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("`{name}` not locked"))
        .clone()
}

fn requests_of(server: &TestServer, path: &str) -> usize {
    server.requests().iter().filter(|r| *r == path).count()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            out.push(entry.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

/// After a failed run: no output (nor a temp file beside it), no temp file in the .deb
/// or layer cache, no .deb cached under `bad_sha256`, and no layer that holds `package`.
fn nothing_left(ctx: &Ctx, out: &str, bad_sha256: Option<&str>, package: &str) {
    let out = ctx.path(out);
    assert!(!out.exists(), "{} was written", out.display());
    let beside = files_in(out.parent().unwrap());
    assert!(
        beside.iter().all(|f| !f.contains(".aloft-")),
        "temp files left beside the output: {beside:?}"
    );
    let debs = ctx.cache.join("debs-v1/sha256");
    let cached = files_in(&debs);
    assert!(
        cached.iter().all(|f| !f.starts_with(".tmp")),
        "temp files in the .deb cache: {cached:?}"
    );
    if let Some(sha) = bad_sha256 {
        assert!(!debs.join(sha).exists(), "the bad .deb was cached");
    }
    let layers = ctx.cache.join("layers-v1");
    assert!(
        files_in(&layers.join("tmp")).is_empty(),
        "temp files in the layer cache"
    );
    assert_eq!(
        cached_layers_of(ctx, package),
        0,
        "a layer of `{package}` was cached"
    );
}

/// How many entries of the layer cache hold `package`.
fn cached_layers_of(ctx: &Ctx, package: &str) -> usize {
    let keys = ctx.cache.join("layers-v1/keys");
    files_in(&keys)
        .iter()
        .filter(|key| {
            std::fs::read_to_string(keys.join(key))
                .unwrap()
                .contains(&format!("\"package\":\"{package}\""))
        })
        .count()
}

// ---------------------------------------------------------------------------------------
// Shared by several topics

const APP: &[&str] = &["base-files", "base-passwd", "hello"];

/// `aloft assemble` under `sh` with a umask, a time zone and a job count.
fn assemble_in_env(ctx: &Ctx, umask: &str, tz: &str, jobs: &str, args: &[&str]) -> Output {
    ctx.command("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_aloft"))
        .arg("assemble")
        .args(args)
        .env("TZ", tz)
        .env("ALOFT_JOBS", jobs)
        .output()
        .unwrap()
}

/// A locked manifest `app` of base-files, base-passwd and hello.
fn locked_app() -> Ctx {
    let ctx = ctx();
    ctx.manifest("app", APP, "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    ctx
}

/// The URL path and sha256 of a locked package's .deb.
fn pool(ctx: &Ctx, name: &str) -> (String, String) {
    let package = locked_package(ctx, "app", name);
    (
        format!("/{}", package["pool_path"].as_str().unwrap()),
        package["sha256"].as_str().unwrap().to_owned(),
    )
}

/// The image digest of `app` built without any fault, in a cache of its own.
fn clean_digest(ctx: &Ctx) -> String {
    digest_line(&assemble(
        ctx,
        "manifests/app.yaml",
        "clean.tar",
        &["--locked", "--cache-dir", "clean-cache"],
    ))
}
