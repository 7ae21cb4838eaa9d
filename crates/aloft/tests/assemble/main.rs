//! `aloft assemble` end to end: signed fixture repositories on a loopback server, and the
//! image read back from the oci-archive or layout it writes (index.json -> image index ->
//! manifest -> config and layers), every blob checked against its digest.
// A broken fixture is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod busybox;
#[path = "../common/mod.rs"]
mod common;
mod compression;
mod expect;
mod ld_so_cache;
mod sbom;
mod services;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, UNIX_EPOCH};

use aloft_fetch::sha256_hex;
use aloft_test::{
    DebCompression, DebEntryKind, DebFile, Fault, FixturePackage, SuiteOptions, TestServer,
};
use serde_json::{Value, json};

use common::{Ctx, fails_with, lock_json, ok, stderr};

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
         00112233445566778899aabbccddeeff  usr/share/doc/hello/README\n"
    );
    FixturePackage::new("hello", version)
        .arch(arch)
        .depends("base-files")
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
  - {path: /usr/share/doc/hello/README, type: permissions, uid: 1000, gid: 1000, permissions: 0o600}
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
// Reading images back

/// One entry of a layer.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    path: String,
    kind: tar::EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    uname: Vec<u8>,
    gname: Vec<u8>,
    link: Option<String>,
    data: Vec<u8>,
    pax: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug)]
struct Layer {
    digest: String,
    media_type: String,
    created_by: String,
    entries: Vec<Entry>,
}

impl Layer {
    fn get(&self, path: &str) -> &Entry {
        self.find(path)
            .unwrap_or_else(|| panic!("`{path}` not in layer `{}`", self.created_by))
    }

    fn find(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }

    fn text(&self, path: &str) -> String {
        String::from_utf8(self.get(path).data.clone()).unwrap()
    }

    fn paths(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.path.as_str()).collect()
    }
}

#[derive(Debug)]
struct Platform {
    descriptor: Value,
    manifest: Value,
    config: Value,
    layers: Vec<Layer>,
}

impl Platform {
    fn arch(&self) -> &str {
        self.descriptor["platform"]["architecture"]
            .as_str()
            .unwrap()
    }

    /// The layer whose history line starts with `aloft: <source>:`.
    fn layer(&self, source: &str) -> &Layer {
        let prefix = format!("aloft: {source}:");
        self.layers
            .iter()
            .find(|l| l.created_by.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no layer for `{source}`"))
    }

    fn final_layer(&self) -> &Layer {
        let last = self.layers.last().unwrap();
        assert_eq!(last.created_by, "aloft: accounts, paths and files");
        last
    }

    fn digests(&self) -> BTreeMap<String, String> {
        self.layers
            .iter()
            .map(|l| (l.created_by.clone(), l.digest.clone()))
            .collect()
    }
}

/// An image as written: every file of the archive or layout, by path.
struct Image {
    files: BTreeMap<String, Vec<u8>>,
}

/// The tar of a layer blob, decompressed as its media type says.
fn layer_tar(media_type: &str, blob: &[u8]) -> Vec<u8> {
    match media_type {
        "application/vnd.oci.image.layer.v1.tar+gzip" => {
            let mut tar = Vec::new();
            flate2::read::GzDecoder::new(blob)
                .read_to_end(&mut tar)
                .unwrap();
            tar
        }
        "application/vnd.oci.image.layer.v1.tar+zstd" => zstd::decode_all(blob).unwrap(),
        other => panic!("layer media type {other}"),
    }
}

fn read_layer(tar: &[u8]) -> Vec<Entry> {
    let mut archive = tar::Archive::new(tar);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut pax = BTreeMap::new();
        if let Some(extensions) = entry.pax_extensions().unwrap() {
            for extension in extensions {
                let extension = extension.unwrap();
                pax.insert(
                    extension.key().unwrap().to_owned(),
                    extension.value_bytes().to_vec(),
                );
            }
        }
        let header = entry.header().clone();
        let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
        let link = entry
            .link_name_bytes()
            .map(|b| String::from_utf8(b.into_owned()).unwrap());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push(Entry {
            path: path.trim_end_matches('/').to_owned(),
            kind: header.entry_type(),
            mode: header.mode().unwrap(),
            uid: header.uid().unwrap(),
            gid: header.gid().unwrap(),
            mtime: header.mtime().unwrap(),
            uname: header.username_bytes().unwrap_or_default().to_vec(),
            gname: header.groupname_bytes().unwrap_or_default().to_vec(),
            link,
            data,
            pax,
        });
    }
    out
}

impl Image {
    fn archive(path: &Path) -> Image {
        let mut files = BTreeMap::new();
        let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header();
            // Nothing of the host in the archive's own headers.
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert_eq!(header.mtime().unwrap(), EPOCH);
            let name = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            if !name.ends_with('/') {
                files.insert(name, data);
            }
        }
        Image { files }
    }

    fn layout(dir: &Path) -> Image {
        fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, files);
                } else {
                    let rel = path.strip_prefix(root).unwrap().to_string_lossy().into();
                    files.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(dir, dir, &mut files);
        Image { files }
    }

    /// A blob, checked against its digest (and `size` when given).
    fn blob(&self, descriptor: &Value) -> &[u8] {
        let digest = descriptor["digest"].as_str().unwrap();
        let hex = digest.strip_prefix("sha256:").unwrap();
        let bytes = self
            .files
            .get(&format!("blobs/sha256/{hex}"))
            .unwrap_or_else(|| panic!("no blob {digest}"));
        assert_eq!(sha256_hex(bytes), hex, "blob {digest}");
        assert_eq!(descriptor["size"].as_u64().unwrap(), bytes.len() as u64);
        bytes
    }

    fn json(&self, descriptor: &Value) -> Value {
        serde_json::from_slice(self.blob(descriptor)).unwrap()
    }

    fn index_json(&self) -> Value {
        serde_json::from_slice(&self.files["index.json"]).unwrap()
    }

    /// The image index's digest, as index.json names it.
    fn digest(&self) -> String {
        let index = self.index_json();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
        index["manifests"][0]["digest"].as_str().unwrap().to_owned()
    }

    fn index(&self) -> Value {
        let index_json = self.index_json();
        let index = self.json(&index_json["manifests"][0]);
        assert_eq!(
            index["mediaType"],
            "application/vnd.oci.image.index.v1+json"
        );
        index
    }

    fn platforms(&self) -> Vec<Platform> {
        let index = self.index();
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            // SBOMs attached as referrers have no platform.
            .filter(|descriptor| descriptor.get("platform").is_some())
            .map(|descriptor| {
                let manifest = self.json(descriptor);
                let config = self.json(&manifest["config"]);
                let history = config["history"].as_array().unwrap();
                let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
                let descriptors = manifest["layers"].as_array().unwrap();
                assert_eq!(descriptors.len(), history.len());
                assert_eq!(descriptors.len(), diff_ids.len());
                let layers = descriptors
                    .iter()
                    .zip(history)
                    .zip(diff_ids)
                    .map(|((layer, history), diff_id)| {
                        let media_type = layer["mediaType"].as_str().unwrap().to_owned();
                        let tar = layer_tar(&media_type, self.blob(layer));
                        assert_eq!(
                            diff_id.as_str().unwrap(),
                            format!("sha256:{}", sha256_hex(&tar))
                        );
                        Layer {
                            digest: layer["digest"].as_str().unwrap().to_owned(),
                            media_type,
                            created_by: history["created_by"].as_str().unwrap().to_owned(),
                            entries: read_layer(&tar),
                        }
                    })
                    .collect();
                Platform {
                    descriptor: descriptor.clone(),
                    manifest,
                    config,
                    layers,
                }
            })
            .collect()
    }

    fn platform(&self) -> Platform {
        let mut platforms = self.platforms();
        assert_eq!(platforms.len(), 1);
        platforms.remove(0)
    }
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
// 1. The image

#[test]
fn happy_path_image_holds_normalized_package_layers_and_the_final_layer() {
    let ctx = ctx();
    full_manifest(&ctx, "full");
    std::fs::create_dir_all(ctx.path("out")).unwrap();
    let tag = "registry.test/team/hello:1.0";
    let output = assemble(&ctx, "manifests/full.yaml", "out/full.tar", &["--tag", tag]);
    let digest = digest_line(&output);
    let lock = lock_json(&ctx.lock_text("full"));
    assert_eq!(lock["repositories"][0]["date"], RELEASE_DATE);

    let image = Image::archive(&ctx.path("out/full.tar"));
    // The digest printed is the image index index.json points at.
    assert_eq!(image.digest(), digest);
    let index_json = image.index_json();
    assert_eq!(
        index_json["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "1.0"
    );
    assert_eq!(
        image.files["oci-layout"],
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = image.index();
    assert_eq!(
        index["annotations"]["org.opencontainers.image.title"],
        "hello"
    );
    let platform = image.platform();
    assert_eq!(
        platform.descriptor["platform"],
        json!({"architecture": "amd64", "os": "linux"})
    );

    // Docker's manifest.json: the tag, and the config and layers of that platform.
    let docker: Value = serde_json::from_slice(&image.files["manifest.json"]).unwrap();
    let config_hex = platform.manifest["config"]["digest"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap();
    let layer_paths: Vec<String> = platform
        .layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", l.digest.strip_prefix("sha256:").unwrap()))
        .collect();
    assert_eq!(
        docker,
        json!([{
            "Config": format!("blobs/sha256/{config_hex}"),
            "RepoTags": [tag],
            "Layers": layer_paths,
        }])
    );

    // Config.
    let config = &platform.config;
    assert_eq!(config["created"], RELEASE_DATE);
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["os"], "linux");
    assert_eq!(
        config["config"],
        json!({
            "User": "1000:1000",
            "Env": [format!("PATH={DEFAULT_PATH}"), "APP_MODE=prod", "TZ=UTC"],
            "Entrypoint": ["/usr/bin/tool", "--serve"],
            "Cmd": ["--port", "8080"],
            "WorkingDir": "/data",
            "Volumes": {"/data": {}},
            "ExposedPorts": {"8080/tcp": {}, "9090/udp": {}},
            "StopSignal": "SIGQUIT",
            "Labels": {
                "org.opencontainers.image.title": "hello",
                "org.opencontainers.image.version": "1.0",
            },
        })
    );
    // One layer per source package, then the final layer.
    let created_by: Vec<&str> = platform
        .layers
        .iter()
        .map(|l| l.created_by.as_str())
        .collect();
    assert_eq!(
        created_by,
        [
            "aloft: base-files: base-files",
            "aloft: base-passwd: base-passwd",
            "aloft: hello: hello",
            "aloft: tzdata: tzdata",
            "aloft: accounts, paths and files",
        ]
    );

    // Every header normalized: numeric ids only, mtimes clamped to the Release date (the
    // .debs' entries are newer, so every entry sits exactly at it; generated ones too).
    for layer in &platform.layers {
        for entry in &layer.entries {
            assert!(
                entry.uname.is_empty() && entry.gname.is_empty(),
                "{entry:?}"
            );
            assert!(
                entry.mtime <= EPOCH,
                "{} in {}",
                entry.path,
                layer.created_by
            );
            assert_eq!(entry.mtime, EPOCH, "{} in {}", entry.path, layer.created_by);
        }
    }

    // Merged /usr: base-files' links, and nothing installed at the legacy paths.
    let base = platform.layer("base-files");
    for (link, target) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("sbin", "usr/sbin")] {
        let entry = base.get(link);
        assert_eq!(entry.kind, tar::EntryType::Symlink);
        assert_eq!(entry.link.as_deref(), Some(target));
    }
    for layer in &platform.layers {
        for entry in &layer.entries {
            let first = entry.path.split('/').next().unwrap();
            assert!(
                !["bin", "lib", "sbin"].contains(&first) || layer.created_by.contains("base-files"),
                "`{}` in {}",
                entry.path,
                layer.created_by
            );
        }
    }

    let hello_layer = platform.layer("hello");
    let tool = hello_layer.get("usr/bin/tool");
    assert_eq!(tool.kind, tar::EntryType::Regular);
    assert_eq!(tool.mode, 0o4755, "setuid kept");
    assert_eq!(tool.data, b"#!tool\n");
    let wall = hello_layer.get("usr/bin/wall");
    assert_eq!((wall.uid, wall.gid, wall.mode), (0, 5, 0o2755));
    let pinger = hello_layer.get("usr/bin/pinger");
    assert_eq!(
        pinger.pax.get("SCHILY.xattr.security.capability"),
        Some(&CAPABILITY.to_vec()),
        "file capability kept"
    );
    let lib = hello_layer.get("usr/lib/x86_64-linux-gnu/libhello.so.1");
    assert_eq!(lib.data, b"lib\n");
    let link = hello_layer.get("usr/lib/x86_64-linux-gnu/libhello.so.1.0");
    assert_eq!(link.kind, tar::EntryType::Link);
    assert_eq!(
        link.link.as_deref(),
        Some("usr/lib/x86_64-linux-gnu/libhello.so.1")
    );
    assert_eq!(
        hello_layer.text("usr/share/doc/hello/README"),
        "hello 1.0\n"
    );

    // The dpkg records scanners read.
    assert_eq!(
        hello_layer.text("var/lib/dpkg/status.d/hello"),
        hello("1.0", "amd64").control()
    );
    assert_eq!(
        hello_layer.text("var/lib/dpkg/status.d/hello.md5sums"),
        "0123456789abcdef0123456789abcdef  usr/bin/tool\n\
         fedcba9876543210fedcba9876543210  usr/lib/x86_64-linux-gnu/libhello.so.1\n\
         00112233445566778899aabbccddeeff  usr/share/doc/hello/README\n"
    );
    assert_eq!(
        platform
            .layer("tzdata")
            .text("var/lib/dpkg/status.d/tzdata"),
        tzdata().control()
    );

    // The final layer: accounts, home, paths and files.
    let last = platform.final_layer();
    assert_eq!(
        last.text("etc/passwd"),
        format!("{PASSWD_MASTER}app:*:1000:1000::/home/app:/usr/sbin/nologin\n")
    );
    assert_eq!(
        last.text("etc/group"),
        format!("{GROUP_MASTER}app:*:1000:\n")
    );
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular, Symlink};
    assert_eq!(meta("etc/passwd"), (Regular, 0o644, 0, 0));
    assert_eq!(meta("home/app"), (Directory, 0o755, 1000, 1000));
    assert_eq!(meta("data"), (Directory, 0o750, 1000, 1000));
    assert_eq!(meta("usr/bin/hello-tool"), (Symlink, 0o777, 0, 0));
    assert_eq!(last.get("usr/bin/hello-tool").link.as_deref(), Some("tool"));
    assert_eq!(meta("var/log/app.log"), (Regular, 0o640, 1000, 1000));
    assert!(last.get("var/log/app.log").data.is_empty());
    // `permissions:` on a package file: the file again, with the new owner and mode.
    assert_eq!(
        meta("usr/share/doc/hello/README"),
        (Regular, 0o600, 1000, 1000)
    );
    assert_eq!(last.text("usr/share/doc/hello/README"), "hello 1.0\n");
    // `files:` a host file with mode and group, a host folder with owner.
    assert_eq!(meta("etc/app/app.conf"), (Regular, 0o640, 0, 1000));
    assert_eq!(last.text("etc/app/app.conf"), "listen = 8080\n");
    assert_eq!(meta("srv/static"), (Directory, 0o755, 1000, 1000));
    assert_eq!(meta("srv/static/index.html"), (Regular, 0o644, 1000, 1000));
    assert_eq!(last.text("srv/static/index.html"), "<h1>hi</h1>\n");
    assert_eq!(meta("srv/static/bin/run.sh"), (Regular, 0o755, 1000, 1000));
    // A directory a package layer has is written with that layer's owner and mode.
    assert_eq!(meta("etc"), (Directory, 0o755, 0, 0));
    assert_eq!(
        last.paths(),
        [
            "data",
            "etc",
            "etc/app",
            "etc/app/app.conf",
            "etc/group",
            "etc/localtime",
            "etc/passwd",
            "etc/timezone",
            "home",
            "home/app",
            "srv",
            "srv/static",
            "srv/static/bin",
            "srv/static/bin/run.sh",
            "srv/static/index.html",
            "usr",
            "usr/bin",
            "usr/bin/hello-tool",
            "usr/share",
            "usr/share/aloft",
            "usr/share/aloft/effects.json",
            "usr/share/doc",
            "usr/share/doc/hello",
            "usr/share/doc/hello/README",
            "var",
            "var/log",
            "var/log/app.log",
        ]
    );

    // The same build as an OCI layout directory: the same blobs and index.json.
    let layout = assemble(&ctx, "manifests/full.yaml", "out/layout/", &["--tag", tag]);
    assert_eq!(digest_line(&layout), digest);
    let dir = Image::layout(&ctx.path("out/layout"));
    let mut archive_files = image.files.clone();
    archive_files.remove("manifest.json");
    assert_eq!(dir.files, archive_files);
}

// ---------------------------------------------------------------------------------------
// 2. Reproducibility

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

#[test]
fn rebuilds_are_byte_identical_whatever_the_cache_umask_zone_jobs_locale_paths_and_output() {
    let ctx = ctx();
    full_manifest(&ctx, "full");
    ok(&ctx.aloft(&["lock", "manifests/full.yaml"]));
    for dir in ["a", "b/deeper", "c"] {
        std::fs::create_dir_all(ctx.path(dir)).unwrap();
    }
    let run = |umask: &str, tz: &str, jobs: &str, cache: &str, out: &str| {
        assemble_in_env(
            &ctx,
            umask,
            tz,
            jobs,
            &[
                "manifests/full.yaml",
                "--locked",
                "-o",
                out,
                "--cache-dir",
                cache,
            ],
        )
    };
    // Cold cache.
    let first = run("022", "UTC", "1", "cache-1", "a/image.tar");
    let first_digest = digest_line(&first);
    assert!(
        stderr(&first).contains("4 layers (4 built, 0 from cache) + the final layer"),
        "{}",
        stderr(&first)
    );
    // The same cache, warm: every package layer comes from it; nothing is downloaded.
    ctx.server.clear_requests();
    let second = run("027", "XYZ-5:30", "2", "cache-1", "b/deeper/other.tar");
    assert_eq!(digest_line(&second), first_digest);
    let text = stderr(&second);
    assert!(
        text.contains("4 layers (0 built, 4 from cache) + the final layer")
            && text.contains("(0 .debs downloaded)"),
        "{text}"
    );
    assert!(
        ctx.server.requests().is_empty(),
        "{:?}",
        ctx.server.requests()
    );
    // A cold cache of its own, another umask, zone and job count.
    let third = run("077", "PST8PDT", "2", "cache-2", "c/x.tar");
    assert_eq!(digest_line(&third), first_digest);
    assert!(stderr(&third).contains("(4 .debs downloaded)"));

    // From another working directory, the manifest by absolute path, with TMPDIR and a
    // locale set, and a cold cache.
    std::fs::create_dir_all(ctx.path("tmp-elsewhere")).unwrap();
    let manifest = ctx.path("manifests/full.yaml");
    let fourth = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .current_dir(ctx.path("c"))
        .env("TMPDIR", ctx.path("tmp-elsewhere"))
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "tr_TR.UTF-8")
        .args([
            "assemble",
            "--locked",
            "-o",
            "y.tar",
            "--cache-dir",
            "../cache-3",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(digest_line(&fourth), first_digest);
    // The project copied to another path (a fresh clone elsewhere): the same image.
    let clone = tempfile::tempdir().unwrap();
    for rel in ["aloft.toml", "keys", "manifests", "lockfiles", "host"] {
        aloft_test::copy_tree(&ctx.path(rel), &clone.path().join(rel)).unwrap();
    }
    let fifth = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .current_dir(clone.path())
        .args(["assemble", "manifests/full.yaml", "--locked", "-o", "z.tar"])
        .args(["--cache-dir", "cache"])
        .output()
        .unwrap();
    assert_eq!(digest_line(&fifth), first_digest);

    let bytes = std::fs::read(ctx.path("a/image.tar")).unwrap();
    assert_eq!(
        std::fs::read(ctx.path("b/deeper/other.tar")).unwrap(),
        bytes
    );
    assert_eq!(std::fs::read(ctx.path("c/y.tar")).unwrap(), bytes);
    assert_eq!(std::fs::read(clone.path().join("z.tar")).unwrap(), bytes);
    assert_eq!(std::fs::read(ctx.path("c/x.tar")).unwrap(), bytes);
    // The umask does not reach the archive's own mode either.
    let mode = std::fs::metadata(ctx.path("b/deeper/other.tar"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

// ---------------------------------------------------------------------------------------
// 3. The layer cache

#[test]
fn a_version_bump_rebuilds_only_that_packages_layer() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello", "tzdata"],
        "archs: [amd64]\n",
    );
    let first = assemble(&ctx, "manifests/app.yaml", "one.tar", &[]);
    let first_digest = digest_line(&first);
    let before = Image::archive(&ctx.path("one.tar")).platform().digests();

    // The archive moves on: hello 1.1 is published beside 1.0.
    let mut newer = packages();
    newer.push(hello("1.1", "amd64"));
    ctx.repo.add_suite(&suite(), &newer);
    ok(&ctx.aloft(&["lock", "manifests/app.yaml", "--upgrade-package", "hello"]));
    assert_eq!(locked_package(&ctx, "app", "hello")["version"], "1.1");
    assert_eq!(locked_package(&ctx, "app", "tzdata")["version"], "2025b-1");

    let second = assemble(&ctx, "manifests/app.yaml", "two.tar", &["--locked"]);
    assert_ne!(digest_line(&second), first_digest);
    let text = stderr(&second);
    // hello's layer and the final layer (always built) are built; the rest is reused.
    assert!(
        text.contains("amd64: 4 packages in 4 layers (1 built, 3 from cache)")
            && text.contains("(1 .debs downloaded)"),
        "{text}"
    );
    let image = Image::archive(&ctx.path("two.tar"));
    let platform = image.platform();
    let after = platform.digests();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (layer, digest) in &before {
        match layer.as_str() {
            "aloft: hello: hello" => assert_ne!(&after[layer], digest, "{layer}"),
            "aloft: accounts, paths and files" => {}
            _ => assert_eq!(&after[layer], digest, "{layer}"),
        }
    }
    assert_eq!(
        platform.layer("hello").text("usr/share/doc/hello/README"),
        "hello 1.1\n"
    );
    // Both hello layers are kept; the others once each.
    assert_eq!(cached_layers_of(&ctx, "hello"), 2);
    assert_eq!(cached_layers_of(&ctx, "tzdata"), 1);
}

// ---------------------------------------------------------------------------------------
// 4. Bad input: clear errors, nothing half-written

const APP: &[&str] = &["base-files", "base-passwd", "hello"];

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

#[test]
fn a_truncated_download_is_retried() {
    let ctx = locked_app();
    let (hello, _) = pool(&ctx, "hello");
    ctx.server.fault(&hello, Fault::Truncate(100), 1);
    let output = assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]);
    let digest = digest_line(&output);
    assert_eq!(requests_of(&ctx.server, &hello), 2);
    assert!(
        stderr(&output).contains("download failed; retrying"),
        "{}",
        stderr(&output)
    );
    assert_eq!(digest, clean_digest(&ctx));
}

#[test]
fn a_server_error_is_retried() {
    let ctx = locked_app();
    let (hello, _) = pool(&ctx, "hello");
    ctx.server.fault(&hello, Fault::Status(500), 1);
    let output = assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]);
    let digest = digest_line(&output);
    assert_eq!(requests_of(&ctx.server, &hello), 2);
    assert!(stderr(&output).contains("HTTP 500"), "{}", stderr(&output));
    assert_eq!(digest, clean_digest(&ctx));
}

#[test]
fn a_deb_that_does_not_match_the_lock_is_refused_and_not_cached() {
    let ctx = locked_app();
    let (hello, sha) = pool(&ctx, "hello");
    let file = ctx.repo.root().join(hello.trim_start_matches('/'));
    let good = std::fs::read(&file).unwrap();
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    std::fs::write(&file, &bad).unwrap();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "Package `hello`",
            &format!("{hello}` does not match the lock"),
            &format!("with sha256 {sha}"),
            &sha256_hex(&bad),
        ],
    );
    // Not retried: the server answered, with the wrong file.
    assert_eq!(requests_of(&ctx.server, &hello), 1);
    nothing_left(&ctx, "app.tar", Some(&sha), "hello");
    std::fs::write(&file, &good).unwrap();
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
}

#[test]
fn a_deb_missing_from_the_mirror_names_the_package_and_pool_path() {
    let ctx = locked_app();
    let (hello, sha) = pool(&ctx, "hello");
    std::fs::remove_file(ctx.repo.root().join(hello.trim_start_matches('/'))).unwrap();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "Package `hello` (1.0)",
            "`pool/main/h/hello/hello_1.0_amd64.deb` not found (404)",
            &format!("{}{hello}", ctx.server.url()),
        ],
    );
    assert_eq!(requests_of(&ctx.server, &hello), 1, "a 404 is final");
    nothing_left(&ctx, "app.tar", Some(&sha), "hello");
}

#[test]
fn an_unreachable_mirror_is_reported() {
    let mut ctx = locked_app();
    let dead = ctx.server.url().to_owned();
    // The manifest's port closes: the old server is dropped.
    ctx.server = TestServer::serve(ctx.repo.root());
    let output = ctx.aloft_with(
        &[
            "assemble",
            "manifests/app.yaml",
            "-o",
            "app.tar",
            "--locked",
        ],
        &[("ALOFT_HTTP_ATTEMPTS", "2")],
    );
    fails_with(
        &output,
        &[
            "Cannot fetch the packages of `manifests/app.yaml`",
            "Cannot fetch package `",
            "Cannot download",
            &format!("{dead}/pool/main/"),
            "(after 2 attempts)",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "hello");
}

/// `url:` repositories have no place on a snapshot service, so this builds the lock an
/// `archive: debian` manifest would have (the fixture is not signed with Debian's keys,
/// so `aloft lock` cannot write it) from the lock of a `url:` manifest.
fn official_lock(ctx: &Ctx) {
    let manifest = ctx.path("manifests/official.yaml");
    std::fs::write(
        &manifest,
        format!(
            "contents:\n  repositories: [{{archive: debian, suite: trixie}}]\n  packages: [{}]\narchs: [amd64]\n",
            APP.join(", ")
        ),
    )
    .unwrap();
    let loaded = aloft_manifest::load(&manifest).unwrap();
    let mut lock = lock_json(&ctx.lock_text("app"));
    lock["manifest"]["inputs_digest"] =
        json!(aloft_manifest::lock_inputs_digest(&loaded, &["amd64".to_owned()]).unwrap());
    lock["manifest"]["files"] = json!(["../manifests/official.yaml"]);
    lock["repositories"][0]["name"] = json!("debian/trixie");
    lock["repositories"][0]["archive"] = json!("debian");
    for package in lock["packages"]["amd64"].as_array_mut().unwrap() {
        package["repository"] = json!("debian/trixie");
    }
    std::fs::write(
        ctx.path("lockfiles/official.lock.json"),
        serde_json::to_string_pretty(&lock).unwrap(),
    )
    .unwrap();
}

#[test]
fn the_snapshot_mirror_serves_what_the_mirror_no_longer_has() {
    let ctx = locked_app();
    official_lock(&ctx);
    let (hello, sha) = pool(&ctx, "hello");
    // The snapshot service: <root>/archive/<archive>/<Release date>/pool/...
    let snapshot_root = tempfile::tempdir().unwrap();
    let stamped = format!("/archive/debian/20200913T122640Z{hello}");
    let on_mirror = ctx.repo.root().join(hello.trim_start_matches('/'));
    let in_snapshot = snapshot_root.path().join(stamped.trim_start_matches('/'));
    std::fs::create_dir_all(in_snapshot.parent().unwrap()).unwrap();
    std::fs::rename(&on_mirror, &in_snapshot).unwrap();
    let snapshot = TestServer::serve(snapshot_root.path().to_path_buf());
    let mirror = format!("--mirror={}", ctx.server.url());
    let snapshot_mirror = format!("--snapshot-mirror={}", snapshot.url());

    // Without the snapshot mirror: the 404 of the mirror.
    fails_with(
        &assemble(
            &ctx,
            "manifests/official.yaml",
            "official.tar",
            &["--locked", &mirror],
        ),
        &[
            "Package `hello` (1.0)",
            &format!("not found (404) at `{}{hello}`", ctx.server.url()),
        ],
    );
    nothing_left(&ctx, "official.tar", Some(&sha), "hello");
    assert!(snapshot.requests().is_empty());

    // Named `app` as the `url:` build is (the name is in the SBOM).
    let output = assemble(
        &ctx,
        "manifests/official.yaml",
        "official.tar",
        &["--locked", &mirror, &snapshot_mirror, "--tag", "app:1"],
    );
    let digest = digest_line(&output);
    assert_eq!(snapshot.requests(), [stamped]);
    assert_eq!(requests_of(&ctx.server, &hello), 2);
    // The same packages, so the same image as from the `url:` repository.
    std::fs::rename(&in_snapshot, &on_mirror).unwrap();
    assert_eq!(digest, clean_digest(&ctx));

    // A `url:` repository has no snapshot: only its own URL is tried.
    std::fs::rename(&on_mirror, &in_snapshot).unwrap();
    fails_with(
        &assemble(
            &ctx,
            "manifests/app.yaml",
            "app.tar",
            &["--locked", "--cache-dir", "other-cache", &snapshot_mirror],
        ),
        &[&format!("not found (404) at `{}{hello}`", ctx.server.url())],
    );
    assert_eq!(snapshot.requests().len(), 1);
}

/// A .deb whose data.tar.xz member is replaced by garbage of the same length.
fn garbled_data_member(name: &str) -> Vec<u8> {
    let mut deb = FixturePackage::new(name, "1.0").deb();
    let at = deb
        .windows(11)
        .position(|w| w == b"data.tar.xz")
        .expect("a data.tar.xz member");
    let size: usize = std::str::from_utf8(&deb[at + 48..at + 58])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let start = at + 60;
    deb[start..start + size].fill(b'Z');
    deb
}

/// Locks and assembles a manifest of base-files, base-passwd and `package`, and expects
/// an error with `needles` that leaves nothing behind.
fn refused(ctx: &Ctx, package: &str, needles: &[&str]) {
    ctx.manifest(
        package,
        &["base-files", "base-passwd", package],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", &format!("manifests/{package}.yaml")]));
    let out = format!("{package}.tar");
    fails_with(
        &assemble(
            ctx,
            &format!("manifests/{package}.yaml"),
            &out,
            &["--locked"],
        ),
        needles,
    );
    nothing_left(ctx, &out, None, package);
}

#[test]
fn corrupt_debs_with_matching_hashes_are_refused() {
    let ctx = ctx_with(vec![
        FixturePackage::new("garbage", "1.0").raw_deb(b"this is not a Debian package\n"),
        FixturePackage::new("garbled", "1.0").raw_deb(&garbled_data_member("garbled")),
    ]);
    refused(&ctx, "garbage", &["Package `garbage`", "not an ar archive"]);
    refused(
        &ctx,
        "garbled",
        &["Cannot read package `garbled`", "debs-v1/sha256/"],
    );
}

#[test]
fn an_unknown_data_tar_compression_is_refused() {
    let ctx = ctx_with(vec![
        FixturePackage::new("bzipped", "1.0").compression(DebCompression::Bzip2Name),
    ]);
    refused(
        &ctx,
        "bzipped",
        &[
            "Package `bzipped`",
            "data.tar.bz2",
            "unknown compression `.bz2`",
        ],
    );
}

#[test]
fn entries_that_could_escape_or_are_devices_are_refused() {
    let ctx = ctx_with(vec![
        FixturePackage::new("escape", "1.0").raw_data_path("./../etc/evil"),
        FixturePackage::new("abslink", "1.0").entry(DebFile::new(
            "usr/bin/shadow",
            DebEntryKind::Hardlink("/etc/shadow".into()),
            0o644,
        )),
        FixturePackage::new("climb", "1.0").entry(DebFile::new(
            "usr/bin/passwd",
            DebEntryKind::Hardlink("./usr/../../etc/passwd".into()),
            0o644,
        )),
        FixturePackage::new("devnode", "1.0").entry(DebFile::new(
            "dev/null",
            DebEntryKind::CharDevice(1, 3),
            0o666,
        )),
    ]);
    refused(
        &ctx,
        "escape",
        &[
            "Package `escape` ships `./../etc/evil`, which aloft refuses",
            "`..` in the path would escape the image root",
        ],
    );
    refused(
        &ctx,
        "abslink",
        &[
            "Package `abslink` ships `usr/bin/shadow`",
            "hard link to the absolute path `/etc/shadow`",
        ],
    );
    refused(
        &ctx,
        "climb",
        &[
            "Package `climb` ships `usr/bin/passwd`",
            "hard link target `./usr/../../etc/passwd`",
        ],
    );
    refused(
        &ctx,
        "devnode",
        &[
            "Package `devnode` ships `dev/null`",
            "device nodes are not installed into images",
        ],
    );
}

#[test]
fn a_missing_files_source_names_the_manifest_line() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        APP,
        "archs: [amd64]\nfiles:\n  - {source: ../host/nope.conf, path: /etc/nope.conf}\n",
    );
    let line = std::fs::read_to_string(ctx.path("manifests/app.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("nope.conf"))
        .unwrap()
        + 1;
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &[]),
        &[
            &format!("manifests/app.yaml:{line}:"),
            "files[0].source",
            "host/nope.conf` does not exist",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "hello");
    assert!(ctx.server.requests().is_empty());
}

#[test]
fn an_output_in_a_missing_directory_fails_before_any_work() {
    let ctx = ctx();
    ctx.manifest("app", APP, "archs: [amd64]\n");
    for out in ["missing/app.tar", "missing/layout/"] {
        fails_with(
            &assemble(&ctx, "manifests/app.yaml", out, &[]),
            &[
                &format!("Cannot write `{out}`"),
                "the directory `missing` does not exist",
            ],
        );
        assert!(!ctx.path("missing").exists());
        assert!(!ctx.path("lockfiles").exists(), "nothing locked");
        assert!(!ctx.cache.exists(), "nothing fetched");
        assert!(ctx.server.requests().is_empty());
    }
}

#[test]
fn offline_needs_the_debs_in_the_cache() {
    let ctx = locked_app();
    ctx.server.clear_requests();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--offline"]),
        &[
            "is not in the cache and `--offline` forbids the network",
            "Package `",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "hello");
    assert!(ctx.server.requests().is_empty());
    let online = digest_line(&assemble(&ctx, "manifests/app.yaml", "app.tar", &[]));
    ctx.server.clear_requests();
    let offline = assemble(&ctx, "manifests/app.yaml", "again.tar", &["--offline"]);
    assert_eq!(digest_line(&offline), online);
    assert!(ctx.server.requests().is_empty());
}

#[test]
fn a_corrupt_cached_deb_is_fetched_again() {
    let ctx = locked_app();
    let first = digest_line(&assemble(&ctx, "manifests/app.yaml", "one.tar", &[]));
    let (hello, sha) = pool(&ctx, "hello");
    let cached = ctx.cache.join("debs-v1/sha256").join(&sha);
    let good = std::fs::read(&cached).unwrap();
    let mut bad = good.clone();
    bad[0] ^= 0xff;
    std::fs::write(&cached, &bad).unwrap();
    ctx.server.clear_requests();
    let output = assemble(&ctx, "manifests/app.yaml", "two.tar", &[]);
    assert_eq!(digest_line(&output), first);
    let text = stderr(&output);
    assert!(
        text.contains("cached .deb is corrupt") && text.contains("(1 .debs downloaded)"),
        "{text}"
    );
    assert_eq!(ctx.server.requests(), [hello]);
    assert_eq!(std::fs::read(&cached).unwrap(), good);
}

// ---------------------------------------------------------------------------------------
// 5. --locked

#[test]
fn locked_refuses_a_stale_lock_and_a_plain_assemble_locks_again() {
    let ctx = ctx();
    let manifest = ctx.manifest("app", &["base-files", "base-passwd"], "archs: [amd64]\n");
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "`manifests/app.yaml` has no lockfile",
            "help: run `aloft lock manifests/app.yaml` and commit the lockfile",
        ],
    );
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("base-passwd]", "base-passwd, hello]"),
    )
    .unwrap();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "is stale: `manifests/app.yaml` changed since it was locked (--locked)",
            "help: run `aloft lock manifests/app.yaml` to update it",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "hello");
    assert!(!ctx.lock_text("app").contains("\"hello\""));

    let output = assemble(&ctx, "manifests/app.yaml", "app.tar", &[]);
    digest_line(&output);
    assert!(stderr(&output).contains("Locked"), "{}", stderr(&output));
    assert_eq!(locked_package(&ctx, "app", "hello")["version"], "1.0");
    let platform = Image::archive(&ctx.path("app.tar")).platform();
    assert_eq!(platform.layer("hello").text("usr/bin/tool"), "#!tool\n");
    // Now fresh: --locked builds it.
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
}

// ---------------------------------------------------------------------------------------
// 6. --arch

#[test]
fn arch_builds_one_platform_of_a_two_arch_manifest() {
    let ctx = ctx();
    ctx.manifest("multi", APP, "archs: [amd64, arm64]\n");
    ok(&ctx.aloft(&["lock", "manifests/multi.yaml"]));
    ctx.server.clear_requests();
    let output = assemble(
        &ctx,
        "manifests/multi.yaml",
        "arm.tar",
        &["--locked", "--arch", "arm64"],
    );
    digest_line(&output);
    let requests = ctx.server.requests();
    assert!(
        requests.iter().all(|r| !r.ends_with("_amd64.deb")),
        "{requests:?}"
    );
    assert!(requests.iter().any(|r| r.ends_with("_arm64.deb")));
    let image = Image::archive(&ctx.path("arm.tar"));
    let arm = image.platform();
    assert_eq!(arm.arch(), "arm64");
    assert_eq!(arm.config["architecture"], "arm64");
    assert_eq!(
        arm.layer("hello")
            .text("usr/lib/aarch64-linux-gnu/libhello.so.1"),
        "lib\n"
    );

    // Both: two manifests, the arm64 one the same as built alone.
    digest_line(&assemble(
        &ctx,
        "manifests/multi.yaml",
        "both.tar",
        &["--locked"],
    ));
    let both = Image::archive(&ctx.path("both.tar")).platforms();
    let archs: Vec<&str> = both.iter().map(Platform::arch).collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    assert_eq!(both[1].descriptor["digest"], arm.descriptor["digest"]);

    fails_with(
        &assemble(
            &ctx,
            "manifests/multi.yaml",
            "s390x.tar",
            &["--locked", "--arch", "s390x"],
        ),
        &["--arch s390x: the manifest builds only amd64, arm64"],
    );
}

// ---------------------------------------------------------------------------------------
// Interruptions: a full disk and a killed run

/// Incompressible bytes (xorshift), so a layer and the archive are about this large.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A disk that fills while the archive is written (RLIMIT_FSIZE with SIGXFSZ ignored:
/// writes past the limit fail with EFBIG, as on a full disk): an error naming the output,
/// no output and no temp file beside it, and the cache intact: an offline run afterwards
/// builds the same image.
#[test]
fn a_full_disk_while_writing_leaves_no_output_and_the_cache_intact() {
    let ctx = ctx_with(vec![FixturePackage::new("big", "1.0").file(
        "usr/share/big/noise",
        &noise(600_000),
        0o644,
    )]);
    ctx.manifest(
        "big",
        &["base-files", "base-passwd", "big"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/big.yaml"]));
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/big.yaml",
        "warm.tar",
        &["--locked"],
    ));
    // 512 blocks of at most 1 KiB: the final layer fits, the 600 KB archive does not.
    let output = ctx
        .command("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 512; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_aloft"))
        .args([
            "assemble",
            "manifests/big.yaml",
            "-o",
            "full.tar",
            "--locked",
            "--offline",
        ])
        .output()
        .unwrap();
    fails_with(&output, &["full.tar", "too large"]);
    assert!(!ctx.path("full.tar").exists());
    let beside = files_in(&ctx.path("."));
    assert!(
        beside
            .iter()
            .all(|f| !f.contains(".aloft-") && !f.starts_with(".tmp")),
        "{beside:?}"
    );
    let again = assemble(
        &ctx,
        "manifests/big.yaml",
        "after.tar",
        &["--locked", "--offline"],
    );
    assert_eq!(digest_line(&again), digest);
    assert_eq!(
        std::fs::read(ctx.path("after.tar")).unwrap(),
        std::fs::read(ctx.path("warm.tar")).unwrap()
    );
}

/// A run killed while a .deb downloads leaves no output and no cache entry for it; the
/// next run builds the image.
#[test]
fn a_killed_run_leaves_no_output_and_no_cache_entry() {
    let ctx = locked_app();
    let (hello, sha) = pool(&ctx, "hello");
    ctx.server
        .fault(&hello, Fault::Delay(std::time::Duration::from_secs(3)), 1);
    let mut child = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .args([
            "assemble",
            "manifests/app.yaml",
            "-o",
            "app.tar",
            "--locked",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while requests_of(&ctx.server, &hello) == 0 {
        assert!(
            started.elapsed().as_secs() < 20,
            "the download never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!ctx.path("app.tar").exists());
    assert!(!ctx.cache.join("debs-v1/sha256").join(&sha).exists());
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
    assert_eq!(digest, clean_digest(&ctx));
}

// ---------------------------------------------------------------------------------------
// The cache command

#[test]
fn cache_clean_empties_the_layers_or_everything() {
    let ctx = locked_app();
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "a.tar",
        &["--locked"],
    ));
    let dir = ctx.aloft(&["cache", "dir"]);
    ok(&dir);
    assert_eq!(
        String::from_utf8_lossy(&dir.stdout).trim(),
        ctx.cache.display().to_string()
    );
    ok(&ctx.aloft(&["cache", "clean", "--layers"]));
    assert!(!ctx.cache.join("layers-v1").exists());
    assert!(!files_in(&ctx.cache.join("debs-v1/sha256")).is_empty());
    // The .debs are still there: an offline build makes the layers again, the same bytes.
    let again = assemble(
        &ctx,
        "manifests/app.yaml",
        "b.tar",
        &["--locked", "--offline"],
    );
    assert_eq!(digest_line(&again), digest);
    assert!(
        stderr(&again).contains("(3 built, 0 from cache)"),
        "{}",
        stderr(&again)
    );
    ok(&ctx.aloft(&["cache", "clean"]));
    for bucket in ["indexes-v1", "debs-v1", "layers-v1"] {
        assert!(!ctx.cache.join(bucket).exists(), "{bucket}");
    }
    fails_with(
        &assemble(
            &ctx,
            "manifests/app.yaml",
            "c.tar",
            &["--locked", "--offline"],
        ),
        &["--offline"],
    );
}

// ---------------------------------------------------------------------------------------
// Effects done natively in place of maintainer scripts

/// /etc/localtime follows the manifest's TZ when the image has that zone, else Etc/UTC
/// (tzdata's default); the effect is recorded for tzdata in effects.json.
#[test]
fn localtime_follows_tz_and_is_recorded() {
    let ctx = ctx();
    for (name, tz, zone) in [
        ("paris", "environment: {TZ: Europe/Paris}\n", "Europe/Paris"),
        (
            "posix",
            "environment: {TZ: ':Europe/Paris'}\n",
            "Europe/Paris",
        ),
        ("unset", "", "Etc/UTC"),
        ("unknown", "environment: {TZ: Mars/Olympus}\n", "Etc/UTC"),
    ] {
        ctx.manifest(
            name,
            &["base-files", "base-passwd", "tzdata"],
            &format!("archs: [amd64]\n{tz}"),
        );
        ok(&ctx.aloft(&["lock", &format!("manifests/{name}.yaml")]));
        let out = format!("{name}.tar");
        digest_line(&assemble(
            &ctx,
            &format!("manifests/{name}.yaml"),
            &out,
            &["--locked"],
        ));
        let image = Image::archive(&ctx.path(&out));
        let platform = image.platform();
        let last = platform.layers.last().unwrap();
        let localtime = last.get("etc/localtime");
        assert_eq!(
            localtime.link.as_deref(),
            Some(format!("/usr/share/zoneinfo/{zone}").as_str()),
            "{name}"
        );
        assert_eq!(last.text("etc/timezone"), format!("{zone}\n"), "{name}");
        let effects: Value =
            serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
        assert_eq!(
            effects["packages"]["tzdata"][0]["effect"], "localtime",
            "{name}: {effects}"
        );
    }
    // Without zone files, no /etc/localtime and an empty record.
    ctx.manifest(
        "nozones",
        &["base-files", "base-passwd"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/nozones.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/nozones.yaml",
        "nozones.tar",
        &["--locked"],
    ));
    let image = Image::archive(&ctx.path("nozones.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert!(last.find("etc/localtime").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert_eq!(effects["packages"], json!({}));
}

/// The first PEM certificate after `# mozilla/<name>` in aloft-assemble's test data.
fn mozilla_root(name: &str) -> String {
    let roots = include_str!("../../../aloft-assemble/tests/data/mozilla-roots.txt");
    let start = roots.find(&format!("# mozilla/{name}\n")).unwrap();
    let pem = &roots[start..];
    let pem = &pem[pem.find('\n').unwrap() + 1..];
    let end =
        pem.find("-----END CERTIFICATE-----\n").unwrap() + "-----END CERTIFICATE-----\n".len();
    pem[..end].to_owned()
}

/// ca-certificates' effect: every shipped .crt enabled in /etc/ca-certificates.conf
/// (sorted), the bundle in that order (a missing final newline added), a .pem link per
/// certificate (spaces and commas to `_`, parentheses to `=`), and OpenSSL's
/// `<subject hash>.0` links; a local CA copied in with `files:` is trusted too.
#[test]
fn the_ca_bundle_and_its_links_are_made() {
    let accv = mozilla_root("ACCVRAIZ1.crt");
    let amazon = mozilla_root("Amazon_Root_CA_1.crt");
    let ctx = ctx_with(vec![
        FixturePackage::new("ca-certificates", "20250419")
            .arch("all")
            .file("usr/sbin/update-ca-certificates", b"#!/bin/sh\n", 0o755)
            .file(
                "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt",
                accv.as_bytes(),
                0o644,
            )
            .file(
                "usr/share/ca-certificates/mozilla/Amazon Root (CA), 1.crt",
                amazon.trim_end().as_bytes(),
                0o644,
            )
            .file(
                "usr/share/ca-certificates/mozilla/README",
                b"not a cert\n",
                0o644,
            )
            // The real postinst writes the .conf's header, then appends what a pipeline
            // computes; aloft's whole .conf must replace the header-only file.
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  echo '# header only' > /etc/ca-certificates.conf\nfi\n",
            ),
    ]);
    // A local CA through `files:`, as update-ca-certificates finds it.
    let local = mozilla_root("Actalis_Authentication_Root_CA.crt");
    std::fs::create_dir_all(ctx.path("host")).unwrap();
    std::fs::write(ctx.path("host/our-ca.crt"), &local).unwrap();
    ctx.manifest(
        "ca",
        &["base-files", "base-passwd", "ca-certificates"],
        "archs: [amd64]\nfiles:\n  - {source: ../host/our-ca.crt, path: /usr/local/share/ca-certificates/our-ca.crt}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/ca.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/ca.yaml",
        "ca.tar",
        &["--locked"],
    ));
    let image = Image::archive(&ctx.path("ca.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let conf = last.text("etc/ca-certificates.conf");
    assert!(conf.starts_with("# This file lists certificates"), "{conf}");
    assert!(
        conf.ends_with("#\nmozilla/ACCVRAIZ1.crt\nmozilla/Amazon Root (CA), 1.crt\n"),
        "{conf}"
    );
    // The local CA comes after the system ones, and is not in the .conf.
    assert_eq!(
        last.text("etc/ssl/certs/ca-certificates.crt"),
        format!("{accv}{amazon}{local}")
    );
    assert!(!conf.contains("our-ca"), "{conf}");
    let link = |path: &str| last.get(path).link.clone().unwrap();
    assert_eq!(
        link("etc/ssl/certs/ACCVRAIZ1.pem"),
        "/usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt"
    );
    assert_eq!(
        link("etc/ssl/certs/Amazon_Root_=CA=__1.pem"),
        "/usr/share/ca-certificates/mozilla/Amazon Root (CA), 1.crt"
    );
    // The hashes OpenSSL gives these two roots (tests/data of aloft-assemble).
    assert_eq!(link("etc/ssl/certs/a94d09e5.0"), "ACCVRAIZ1.pem");
    assert_eq!(link("etc/ssl/certs/ce5e74ef.0"), "Amazon_Root_=CA=__1.pem");
    assert_eq!(
        link("etc/ssl/certs/our-ca.pem"),
        "/usr/local/share/ca-certificates/our-ca.crt"
    );
    assert_eq!(link("etc/ssl/certs/930ac5d2.0"), "our-ca.pem");
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(
        effects["packages"]["ca-certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["effect"] == "update-ca-certificates"),
        "{effects}"
    );
}

/// Effects read from postinst scripts: update-alternatives (highest priority wins, slaves
/// only where their path exists, the state file), ucf copies, and php modules enabled in
/// every SAPI of the image with the ini's priority; what a script does that aloft does
/// not do is listed, with its line.
#[test]
fn postinst_alternatives_ucf_and_php_modules_are_applied() {
    let alternative = |pkg: &str, prio: u32| {
        format!(
            "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  update-alternatives --install /usr/bin/awk awk /usr/bin/{pkg} {prio} \\\n    --slave /usr/bin/nawk nawk /usr/bin/{pkg} \\\n    --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/{pkg}.1.gz\nfi\nexit 0\n"
        )
    };
    let php_common = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  inidir=/etc/php/8.4/mods-available\n  if [ -e /usr/lib/php/php-maintscript-helper ] ; then\n    . /usr/lib/php/php-maintscript-helper\n    for dsoname in ctype posix; do\n      inifile=${dsoname}.ini\n      ucf /usr/share/php8.4-common/common/${inifile} ${inidir}/${inifile}\n      ucfr --force php8.4-common ${inidir}/${inifile}\n      php_invoke enmod 8.4 ALL ${dsoname}\n    done\n  fi\n  frobnicate --all\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("mawk", "1.3")
            .file("usr/bin/mawk", b"\x7fELF mawk", 0o755)
            .control_file("postinst", alternative("mawk", 5).as_bytes()),
        FixturePackage::new("gawk", "5.2")
            .file("usr/bin/gawk", b"\x7fELF gawk", 0o755)
            .file("usr/share/man/man1/gawk.1.gz", b"man", 0o644)
            .control_file("postinst", alternative("gawk", 10).as_bytes()),
        FixturePackage::new("php-common", "96").arch("all").file(
            "usr/lib/php/php-maintscript-helper",
            b"# helper\n",
            0o644,
        ),
        FixturePackage::new("php8.4-common", "8.4.1")
            .file(
                "usr/share/php8.4-common/common/ctype.ini",
                b"; configuration for php ctype module\n; priority=20\nextension=ctype.so\n",
                0o644,
            )
            .file(
                "usr/share/php8.4-common/common/posix.ini",
                b"; priority=15\nextension=posix.so\n",
                0o644,
            )
            .entry(dir("etc/php/8.4/mods-available"))
            .control_file("postinst", php_common.as_bytes()),
        // Ships its ini itself (no ucf), as php-apcu's packages do.
        FixturePackage::new("php8.4-apcu", "5.1.24")
            .file(
                "etc/php/8.4/mods-available/apcu.ini",
                b"extension=apcu.so\n",
                0o644,
            )
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif [ -e /usr/lib/php/php-maintscript-helper ] ; then\n    . /usr/lib/php/php-maintscript-helper\n    for version in 8.4 ; do\n        for name in apcu ; do\n            php_invoke enmod \"$version\" ALL \"$name\" || exit 1\n\tdone\n    done\nfi\n",
            ),
        FixturePackage::new("php8.4-cli", "8.4.1")
            .entry(dir("etc/php/8.4/cli/conf.d"))
            .file("usr/bin/php8.4", b"\x7fELF php", 0o755),
        FixturePackage::new("php8.4-fpm", "8.4.1")
            .entry(dir("etc/php/8.4/fpm/conf.d"))
            .file("usr/sbin/php-fpm8.4", b"\x7fELF fpm", 0o755),
    ]);
    ctx.manifest(
        "scripts",
        &[
            "base-files",
            "base-passwd",
            "mawk",
            "gawk",
            "php-common",
            "php8.4-common",
            "php8.4-apcu",
            "php8.4-cli",
            "php8.4-fpm",
        ],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/scripts.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/scripts.yaml",
        "s.tar",
        &["--locked"],
    ));
    let image = Image::archive(&ctx.path("s.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let link = |path: &str| last.get(path).link.clone().unwrap();
    // gawk (10) beats mawk (5); its man page exists, so that slave is linked too.
    assert_eq!(link("usr/bin/awk"), "/etc/alternatives/awk");
    assert_eq!(link("etc/alternatives/awk"), "/usr/bin/gawk");
    assert_eq!(link("usr/bin/nawk"), "/etc/alternatives/nawk");
    assert_eq!(link("etc/alternatives/nawk"), "/usr/bin/gawk");
    assert_eq!(
        link("etc/alternatives/awk.1.gz"),
        "/usr/share/man/man1/gawk.1.gz"
    );
    assert_eq!(
        last.text("var/lib/dpkg/alternatives/awk"),
        "auto\n/usr/bin/awk\nawk.1.gz\n/usr/share/man/man1/awk.1.gz\nnawk\n/usr/bin/nawk\n\n\
         /usr/bin/gawk\n10\n/usr/share/man/man1/gawk.1.gz\n/usr/bin/gawk\n\
         /usr/bin/mawk\n5\n/usr/share/man/man1/mawk.1.gz\n/usr/bin/mawk\n\n"
    );
    // ucf copies, and the modules in both SAPIs with their priorities.
    assert_eq!(
        last.text("etc/php/8.4/mods-available/posix.ini"),
        "; priority=15\nextension=posix.so\n"
    );
    for sapi in ["cli", "fpm"] {
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/15-posix.ini")),
            "/etc/php/8.4/mods-available/posix.ini"
        );
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/20-ctype.ini")),
            "/etc/php/8.4/mods-available/ctype.ini"
        );
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/20-apcu.ini")),
            "/etc/php/8.4/mods-available/apcu.ini"
        );
    }
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let kinds = |package: &str| -> Vec<String> {
        effects["packages"][package]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["effect"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds("gawk"), ["update-alternatives"]);
    assert_eq!(
        kinds("php8.4-common"),
        ["ucf", "ucf", "php-enmod", "php-enmod"]
    );
    // The unknown command is listed with its line, not guessed at.
    let not_applied = effects["not_applied"]["php8.4-common"].as_array().unwrap();
    assert!(
        not_applied
            .iter()
            .any(|n| n["line"] == 14 && n["what"].as_str().unwrap().contains("frobnicate")),
        "{not_applied:?}"
    );
}

/// File-system calls of postinst scripts, in script order: owners and modes of package
/// paths (names from the image's /etc/passwd and /etc/group), new files, symlinks,
/// directories, copies, redirections and dpkg-statoverride; an unknown account is listed
/// as not applied.
#[test]
fn postinst_file_calls_are_applied() {
    let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  if [ -z \"$2\" ]; then\n    chown daemon:tty /var/log/web\n    chmod 0750 /var/log/web\n    touch /var/log/web/access.log\n    chmod 640 /var/log/web/access.log\n    chown daemon:tty /var/log/web/access.log\n    ln -s /etc/web/sites-available/default /etc/web/sites-enabled/default\n    mkdir -p /var/www/html\n    cp /usr/share/web/index.html /var/www/html/index.web.html\n    echo \"welcome\" > /etc/web/motd\n    dpkg-statoverride --add --update root tty 1733 /var/lib/web/sessions\n    chown www-data /var/log/web\n  fi\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("web", "1.0")
            .entry(dir("var/log/web"))
            .entry(dir("var/lib/web/sessions"))
            .entry(dir("etc/web/sites-available"))
            .entry(dir("etc/web/sites-enabled"))
            .file("etc/web/sites-available/default", b"server {}\n", 0o644)
            .file("usr/share/web/index.html", b"<h1>web</h1>\n", 0o644)
            .file(
                "usr/lib/tmpfiles.d/web.conf",
                b"#Type Path Mode UID GID Age Argument\n    d /run/web 0750 daemon tty -\nd /run/web-default\nL /run/web-link - - - - /run/web\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "web",
        &["base-files", "base-passwd", "web"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/web.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/web.yaml",
        "w.tar",
        &["--locked"],
    ));
    let image = Image::archive(&ctx.path("w.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular};
    assert_eq!(meta("var/log/web"), (Directory, 0o750, 1, 5));
    assert_eq!(meta("var/log/web/access.log"), (Regular, 0o640, 1, 5));
    assert_eq!(
        last.get("etc/web/sites-enabled/default").link.as_deref(),
        Some("/etc/web/sites-available/default")
    );
    assert_eq!(meta("var/www/html"), (Directory, 0o755, 0, 0));
    assert_eq!(last.text("var/www/html/index.web.html"), "<h1>web</h1>\n");
    assert_eq!(last.text("etc/web/motd"), "welcome\n");
    assert_eq!(meta("var/lib/web/sessions"), (Directory, 0o1733, 0, 5));
    // tmpfiles.d: `d` lines made (with `-` as 0755 root), other types listed.
    assert_eq!(meta("run/web"), (Directory, 0o750, 1, 5));
    assert_eq!(meta("run/web-default"), (Directory, 0o755, 0, 0));
    assert!(last.find("run/web-link").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let not_applied = effects["not_applied"]["web"].as_array().unwrap();
    assert!(
        not_applied
            .iter()
            .any(|n| n["line"] == 15 && n["why"].as_str().unwrap().contains("www-data")),
        "{not_applied:?}"
    );
    assert!(
        not_applied
            .iter()
            .any(|n| n["line"] == 4 && n["why"].as_str().unwrap().contains("type `L`")),
        "{not_applied:?}"
    );
}

/// System accounts: a sysusers.d file and a postinst's `adduser --system --group`, with
/// ids counted down from 999, the home made and owned, and the script's later `chown`
/// by the new name applied.
#[test]
fn system_users_from_sysusers_and_scripts_get_deterministic_ids() {
    let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  if ! getent passwd svc >/dev/null; then\n    adduser --system --group --home /var/lib/svc --gecos \"svc daemon\" svc\n  fi\n  chown svc:svc /var/log/svc\n  usermod -a -G tty svc\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("svc", "1.0")
            .entry(dir("var/log/svc"))
            .file(
                "usr/lib/sysusers.d/svc.conf",
                b"# the helper account\nu svc-helper - \"svc helper\" /run/svc-helper\ng svc-extra 555\nm svc-helper svc-extra\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "svc",
        &["base-files", "base-passwd", "svc"],
        "archs: [amd64]\n",
    );
    let first = digest_line(&assemble(&ctx, "manifests/svc.yaml", "a.tar", &[]));
    let image = Image::archive(&ctx.path("a.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let passwd = last.text("etc/passwd");
    let group = last.text("etc/group");
    // sysusers.d first: 999; then the script's user and its group: 998.
    assert!(
        passwd.contains("svc-helper:*:999:999:svc helper:/run/svc-helper:/usr/sbin/nologin\n"),
        "{passwd}"
    );
    assert!(
        passwd.contains("svc:*:998:998:svc daemon:/var/lib/svc:/usr/sbin/nologin\n"),
        "{passwd}"
    );
    assert!(group.contains("svc-extra:*:555:svc-helper\n"), "{group}");
    assert!(group.contains("svc:*:998:\n"), "{group}");
    assert!(group.contains("tty:*:5:svc\n"), "{group}");
    let meta = |path: &str| {
        let e = last.get(path);
        (e.mode, e.uid, e.gid)
    };
    assert_eq!(meta("var/lib/svc"), (0o755, 998, 998));
    assert_eq!(meta("var/log/svc"), (0o755, 998, 998));
    // sysusers.d creates no home.
    assert!(last.find("run/svc-helper").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let details: Vec<&str> = effects["packages"]["svc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details[..4],
        [
            "svc-helper 999:999",
            "svc-extra 555",
            "svc-helper in svc-extra",
            "svc 998:998"
        ]
    );
    // The same ids on every build.
    let again = digest_line(&assemble(&ctx, "manifests/svc.yaml", "b.tar", &[]));
    assert_eq!(first, again);
}
