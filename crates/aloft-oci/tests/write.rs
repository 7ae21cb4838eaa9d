//! Hermetic tests of the OCI writer: tiny gzip layers made here, outputs checked byte by byte.
#![allow(clippy::unwrap_used)] // helpers of tests: a failed step is a failing test

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aloft_oci::{
    BuiltImage, Digest, ImageConfig, ImageRef, ImageSpec, Layer, LayerMediaType, OciError,
    Platform, PlatformImage, build, platform_for_debian_arch, write_archive, write_layout_dir,
};
use serde_json::Value;

const EPOCH: i64 = 1_700_000_000;

/// A gzip layer holding `files`, written as `dir/name`; digests computed here.
fn make_layer(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> Layer {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_path(path).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    let tar_bytes = builder.into_inner().unwrap();
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&tar_bytes).unwrap();
    let gz_bytes = gz.finish().unwrap();
    let path = dir.join(name);
    fs::write(&path, &gz_bytes).unwrap();
    Layer {
        path,
        digest: Digest::of_bytes(&gz_bytes),
        diff_id: Digest::of_bytes(&tar_bytes),
        size: gz_bytes.len() as u64,
        media_type: LayerMediaType::Gzip,
        created_by: format!("aloft: {name}"),
    }
}

fn config() -> ImageConfig {
    ImageConfig {
        user: Some("65532:65532".into()),
        env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into(), "TZ=UTC".into()],
        entrypoint: Some(vec!["/usr/bin/php".into()]),
        cmd: Some(vec!["-v".into()]),
        working_dir: Some("/app".into()),
        volumes: BTreeSet::from(["/data".into()]),
        exposed_ports: BTreeSet::from(["9000/tcp".into(), "80/tcp".into()]),
        stop_signal: Some("SIGQUIT".into()),
        labels: BTreeMap::from([
            ("z.last".into(), "1".into()),
            ("a.first".into(), "2".into()),
        ]),
    }
}

fn platform_image(platform: Platform, layers: Vec<Layer>) -> PlatformImage {
    PlatformImage {
        platform,
        config: config(),
        layers,
        created_epoch: EPOCH,
        annotations: BTreeMap::from([(
            "org.opencontainers.image.created".into(),
            "2023-11-14T22:13:20Z".into(),
        )]),
    }
}

/// A one-platform spec (amd64, two layers) with its layers under `dir`.
fn spec_one(dir: &Path) -> ImageSpec {
    let base = make_layer(dir, "base.tar.gz", &[("etc/os-release", b"ID=test\n")]);
    let app = make_layer(dir, "amd64-app.tar.gz", &[("usr/bin/app", b"amd64 binary")]);
    ImageSpec {
        images: vec![platform_image(
            platform_for_debian_arch("amd64").unwrap(),
            vec![base, app],
        )],
        tag: Some(ImageRef::parse("php-cli:8.4").unwrap()),
        annotations: BTreeMap::from([("org.example.b".into(), "x".into())]),
        artifacts: Vec::new(),
    }
}

/// A two-platform spec (amd64, arm64) sharing the base layer.
fn spec_two(dir: &Path) -> ImageSpec {
    let mut spec = spec_one(dir);
    let base = spec.images[0].layers[0].clone();
    let app = make_layer(dir, "arm64-app.tar.gz", &[("usr/bin/app", b"arm64 binary")]);
    spec.images.push(platform_image(
        platform_for_debian_arch("arm64").unwrap(),
        vec![base, app],
    ));
    spec
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Every object's keys are sorted (the workspace's `preserve_order` keeps file order).
fn assert_sorted(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "keys not sorted at {at}");
            for (k, v) in map {
                assert_sorted(v, &format!("{at}.{k}"));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_sorted(v, at)),
        _ => {}
    }
}

/// Canonical: keys sorted and compact (re-serializing gives the same bytes).
fn assert_canonical(bytes: &[u8], what: &str) {
    let value = json(bytes);
    assert_sorted(&value, what);
    assert_eq!(
        serde_json::to_vec(&value).unwrap(),
        bytes,
        "{what} is not compact"
    );
}

fn blob(root: &Path, digest: &str) -> PathBuf {
    root.join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// Every file under `root`: relative path (directories end in `/`) -> (mode, bytes).
type Tree = BTreeMap<String, (u32, Vec<u8>)>;

fn tree(root: &Path) -> Tree {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(format!("{rel}/"), (mode, Vec::new()));
                stack.push(path);
            } else {
                out.insert(rel, (mode, fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Checks a layout directory against the built image: every blob named by its sha256,
/// every reference resolvable, JSON canonical, config and manifest contents.
fn check_layout(root: &Path, image: &BuiltImage, spec: &ImageSpec) {
    assert_eq!(
        fs::read(root.join("oci-layout")).unwrap(),
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index_json = fs::read(root.join("index.json")).unwrap();
    assert_eq!(index_json, image.layout_index_json());
    assert_canonical(&index_json, "index.json");

    for (name, (mode, bytes)) in tree(root) {
        if name.ends_with('/') {
            assert_eq!(mode, 0o755, "{name}");
            continue;
        }
        assert_eq!(mode, 0o644, "{name}");
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            assert_eq!(Digest::of_bytes(&bytes).hex(), hex, "blob {name} digest");
        }
    }

    let layout = json(&index_json);
    assert_eq!(layout["schemaVersion"], 2);
    assert_eq!(
        layout["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let entries = layout["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["digest"], image.index_digest().as_str());
    assert_eq!(
        entries[0]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );

    let index_path = blob(root, image.index_digest().as_str());
    let index_bytes = fs::read(&index_path).unwrap();
    assert_eq!(entries[0]["size"], index_bytes.len() as u64);
    assert_canonical(&index_bytes, "image index");
    let index = json(&index_bytes);
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["annotations"]["org.example.b"], "x");
    let descriptors = index["manifests"].as_array().unwrap();
    assert_eq!(descriptors.len(), spec.images.len());

    for ((desc, built), img) in descriptors.iter().zip(image.manifests()).zip(&spec.images) {
        assert_eq!(desc["digest"], built.digest.as_str());
        assert_eq!(
            desc["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(desc["platform"]["os"], img.platform.os.as_str());
        assert_eq!(
            desc["platform"]["architecture"],
            img.platform.architecture.as_str()
        );
        assert_eq!(
            desc["platform"].get("variant").and_then(Value::as_str),
            img.platform.variant.as_deref()
        );
        let manifest_bytes = fs::read(blob(root, built.digest.as_str())).unwrap();
        assert_eq!(desc["size"], manifest_bytes.len() as u64);
        assert_eq!(
            image.json_blob(&built.digest).unwrap(),
            manifest_bytes.as_slice()
        );
        assert_canonical(&manifest_bytes, "manifest");
        let manifest = json(&manifest_bytes);
        assert_eq!(manifest["schemaVersion"], 2);
        assert_eq!(
            manifest["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(
            manifest["annotations"]["org.opencontainers.image.created"],
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            manifest["config"]["mediaType"],
            "application/vnd.oci.image.config.v1+json"
        );
        assert_eq!(manifest["config"]["digest"], built.config_digest.as_str());
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), img.layers.len());
        for (desc, layer) in layers.iter().zip(&img.layers) {
            assert_eq!(
                desc["mediaType"],
                "application/vnd.oci.image.layer.v1.tar+gzip"
            );
            assert_eq!(desc["digest"], layer.digest.as_str());
            assert_eq!(desc["size"], layer.size);
            assert_eq!(
                fs::read(blob(root, layer.digest.as_str())).unwrap(),
                fs::read(&layer.path).unwrap()
            );
        }

        let config_bytes = fs::read(blob(root, built.config_digest.as_str())).unwrap();
        assert_eq!(manifest["config"]["size"], config_bytes.len() as u64);
        assert_canonical(&config_bytes, "config");
        let config = json(&config_bytes);
        assert_eq!(config["architecture"], img.platform.architecture.as_str());
        assert_eq!(config["os"], "linux");
        assert_eq!(config["created"], "2023-11-14T22:13:20Z");
        let c = &config["config"];
        assert_eq!(c["User"], "65532:65532");
        assert_eq!(
            c["Env"],
            serde_json::json!(["PATH=/usr/local/bin:/usr/bin:/bin", "TZ=UTC"])
        );
        assert_eq!(c["Entrypoint"], serde_json::json!(["/usr/bin/php"]));
        assert_eq!(c["Cmd"], serde_json::json!(["-v"]));
        assert_eq!(c["WorkingDir"], "/app");
        assert_eq!(c["StopSignal"], "SIGQUIT");
        assert_eq!(c["Volumes"], serde_json::json!({"/data": {}}));
        assert_eq!(
            c["ExposedPorts"],
            serde_json::json!({"80/tcp": {}, "9000/tcp": {}})
        );
        assert_eq!(
            c["Labels"],
            serde_json::json!({"a.first": "2", "z.last": "1"})
        );
        assert_eq!(config["rootfs"]["type"], "layers");
        let diff_ids: Vec<&str> = img.layers.iter().map(|l| l.diff_id.as_str()).collect();
        assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
        let history = config["history"].as_array().unwrap();
        assert_eq!(history.len(), img.layers.len());
        for (h, layer) in history.iter().zip(&img.layers) {
            assert_eq!(h["created"], "2023-11-14T22:13:20Z");
            assert_eq!(h["created_by"], layer.created_by.as_str());
        }
    }
}

#[test]
fn one_platform_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec_one(tmp.path());
    let image = build(&spec).unwrap();
    let out = tmp.path().join("layout");
    write_layout_dir(&image, &out).unwrap();
    check_layout(&out, &image, &spec);
    // index, manifest, config, two layers.
    assert_eq!(names_in(&out.join("blobs/sha256")).len(), 5);
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // Nothing left beside it but the inputs.
    let leftovers: Vec<String> = names_in(tmp.path())
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn two_platform_layout_shares_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec_two(tmp.path());
    let image = build(&spec).unwrap();
    let out = tmp.path().join("layout");
    write_layout_dir(&image, &out).unwrap();
    check_layout(&out, &image, &spec);
    // index + 2 × (manifest, config) + shared base + 2 app layers.
    assert_eq!(names_in(&out.join("blobs/sha256")).len(), 8);
    let platforms: Vec<String> = image
        .manifests()
        .iter()
        .map(|m| m.platform.to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    let config = json(
        image
            .json_blob(&image.manifests()[1].config_digest)
            .unwrap(),
    );
    assert_eq!(config["variant"], "v8");
}

#[test]
fn name_annotations() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = spec_one(tmp.path());
    let annotations = |spec: &ImageSpec| {
        let layout = json(build(spec).unwrap().layout_index_json());
        layout["manifests"][0].get("annotations").cloned()
    };
    assert_eq!(
        annotations(&spec).unwrap(),
        serde_json::json!({
            "io.containerd.image.name": "docker.io/library/php-cli:8.4",
            "org.opencontainers.image.ref.name": "8.4",
        })
    );
    spec.tag = Some(ImageRef::parse("registry.example:5000/team/php").unwrap());
    assert_eq!(
        annotations(&spec).unwrap(),
        serde_json::json!({
            "io.containerd.image.name": "registry.example:5000/team/php:latest",
            "org.opencontainers.image.ref.name": "latest",
        })
    );
    spec.tag = None;
    assert_eq!(annotations(&spec), None);
}

/// Writes spec_two's image (layers made in a fresh dir) as layout and archive under a
/// fresh temp dir; returns the layout tree and the archive bytes.
fn write_everything() -> (Tree, Vec<u8>, Digest) {
    let tmp = tempfile::tempdir().unwrap();
    let layers = tmp.path().join("some/where/else");
    fs::create_dir_all(&layers).unwrap();
    let image = build(&spec_two(&layers)).unwrap();
    let layout = tmp.path().join("layout");
    write_layout_dir(&image, &layout).unwrap();
    let archive = tmp.path().join("image.tar");
    write_archive(&image, &archive, None).unwrap();
    (
        tree(&layout),
        fs::read(&archive).unwrap(),
        image.index_digest().clone(),
    )
}

#[test]
fn byte_identical_across_runs_and_dirs() {
    let (tree_a, tar_a, digest_a) = write_everything();
    let (tree_b, tar_b, digest_b) = write_everything();
    assert_eq!(digest_a, digest_b);
    assert_eq!(tree_a, tree_b);
    assert!(tar_a == tar_b, "archives differ");
}

/// The archive's entries in order: (path, type, header, data).
fn archive_entries(bytes: &[u8]) -> Vec<(String, tar::EntryType, tar::Header, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push((path, header.entry_type(), header, data));
    }
    out
}

#[test]
fn archive_is_a_layout_and_a_docker_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec_two(tmp.path());
    let image = build(&spec).unwrap();
    let out = tmp.path().join("image.tar");
    write_archive(&image, &out, None).unwrap();
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let bytes = fs::read(&out).unwrap();
    let entries = archive_entries(&bytes);

    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let mut blob_names: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with("blobs/sha256/") && n.len() > "blobs/sha256/".len())
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        names[..5],
        [
            "oci-layout",
            "index.json",
            "manifest.json",
            "blobs/",
            "blobs/sha256/"
        ]
    );
    assert_eq!(names.len(), 5 + blob_names.len());
    let unsorted = blob_names.clone();
    blob_names.sort();
    blob_names.dedup();
    assert_eq!(unsorted, blob_names, "blobs sorted, each once");
    assert_eq!(blob_names.len(), 8);

    for (path, kind, header, data) in &entries {
        assert_eq!(header.uid().unwrap(), 0, "{path}");
        assert_eq!(header.gid().unwrap(), 0, "{path}");
        assert_eq!(header.username_bytes().unwrap_or_default(), b"", "{path}");
        assert_eq!(header.groupname_bytes().unwrap_or_default(), b"", "{path}");
        assert_eq!(header.mtime().unwrap(), EPOCH as u64, "{path}");
        assert!(header.as_ustar().is_some(), "{path}: ustar header");
        if kind.is_dir() {
            assert_eq!(header.mode().unwrap(), 0o755, "{path}");
        } else {
            assert_eq!(header.mode().unwrap(), 0o644, "{path}");
            if let Some(hex) = path.strip_prefix("blobs/sha256/") {
                assert_eq!(Digest::of_bytes(data).hex(), hex);
            }
        }
    }

    // Unpacked, it is the same layout as write_layout_dir's, plus manifest.json.
    let unpacked = tmp.path().join("unpacked");
    tar::Archive::new(bytes.as_slice())
        .unpack(&unpacked)
        .unwrap();
    check_layout(&unpacked, &image, &spec);
    let layout = tmp.path().join("layout");
    write_layout_dir(&image, &layout).unwrap();
    let mut from_tar = tree(&unpacked);
    let docker = from_tar.remove("manifest.json").unwrap().1;
    let from_dir = tree(&layout);
    let strip_modes =
        |t: Tree| -> BTreeMap<String, Vec<u8>> { t.into_iter().map(|(k, v)| (k, v.1)).collect() };
    assert_eq!(strip_modes(from_tar), strip_modes(from_dir));

    assert_canonical(&docker, "manifest.json");
    let first = &image.manifests()[0];
    let expected_layers: Vec<String> = first
        .layer_digests
        .iter()
        .map(|d| format!("blobs/sha256/{}", d.hex()))
        .collect();
    assert_eq!(
        json(&docker),
        serde_json::json!([{
            "Config": format!("blobs/sha256/{}", first.config_digest.hex()),
            "Layers": expected_layers,
            "RepoTags": ["php-cli:8.4"],
        }])
    );
}

#[test]
fn archive_docker_platform_and_no_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = spec_two(tmp.path());
    spec.tag = None;
    let image = build(&spec).unwrap();
    let out = tmp.path().join("image.tar");
    write_archive(&image, &out, Some(&Platform::linux("arm64", None))).unwrap();
    let entries = archive_entries(&fs::read(&out).unwrap());
    let docker = json(&entries[2].3);
    let arm = &image.manifests()[1];
    assert_eq!(
        docker[0]["Config"],
        format!("blobs/sha256/{}", arm.config_digest.hex())
    );
    assert_eq!(docker[0]["RepoTags"], serde_json::json!([]));
    let layout = json(&entries[1].3);
    assert!(layout["manifests"][0].get("annotations").is_none());

    let before = names_in(tmp.path());
    let err = write_archive(
        &image,
        &tmp.path().join("other.tar"),
        Some(&Platform::linux("riscv64", None)),
    )
    .unwrap_err();
    assert!(matches!(err, OciError::PlatformNotFound { .. }), "{err}");
    assert!(
        err.to_string().contains(
            "linux/riscv64 to name in manifest.json (the image has: linux/amd64, linux/arm64/v8)"
        ),
        "{err}"
    );
    assert_eq!(names_in(tmp.path()), before);
}

#[test]
fn replaces_an_existing_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("layout");
    let first = build(&spec_two(tmp.path())).unwrap();
    write_layout_dir(&first, &out).unwrap();
    fs::write(out.join("stray"), b"left by someone").unwrap();

    let spec = spec_one(tmp.path());
    let second = build(&spec).unwrap();
    assert_ne!(first.index_digest(), second.index_digest());
    write_layout_dir(&second, &out).unwrap();
    check_layout(&out, &second, &spec);
    assert!(!out.join("stray").exists());
    assert_eq!(names_in(&out.join("blobs/sha256")).len(), 5);
    let leftovers: Vec<String> = names_in(tmp.path())
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An empty directory is taken over too.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    write_layout_dir(&second, &empty).unwrap();
    check_layout(&empty, &second, &spec);
}

#[test]
fn refuses_a_directory_that_is_not_a_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let image = build(&spec_one(tmp.path())).unwrap();
    let precious = tmp.path().join("precious");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("notes.txt"), b"keep me").unwrap();
    let before = names_in(tmp.path());
    let err = write_layout_dir(&image, &precious).unwrap_err();
    assert!(matches!(err, OciError::NotALayout { .. }), "{err}");
    assert!(err.to_string().contains("precious"), "{err}");
    assert_eq!(
        names_in(&precious),
        BTreeSet::from(["notes.txt".to_owned()])
    );
    assert_eq!(fs::read(precious.join("notes.txt")).unwrap(), b"keep me");
    assert_eq!(names_in(tmp.path()), before);

    // A regular file is not a layout either.
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    let err = write_layout_dir(&image, &file).unwrap_err();
    assert!(matches!(err, OciError::NotALayout { .. }), "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn missing_parent_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let image = build(&spec_one(tmp.path())).unwrap();
    let missing = tmp.path().join("no/such/dir");
    let before = names_in(tmp.path());

    let err = write_archive(&image, &missing.join("x.tar"), None).unwrap_err();
    assert!(matches!(err, OciError::MissingParent { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "Output directory {} does not exist: create it first",
            missing.display()
        )
    );
    let err = write_layout_dir(&image, &missing.join("layout")).unwrap_err();
    assert!(matches!(err, OciError::MissingParent { .. }), "{err}");
    assert_eq!(names_in(tmp.path()), before);

    // A directory is not an archive path.
    let err = write_archive(&image, tmp.path(), None).unwrap_err();
    assert!(matches!(err, OciError::OutputIsDirectory { .. }), "{err}");
}

#[test]
fn wrong_layer_size_is_refused_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = spec_one(tmp.path());
    spec.images[0].layers[1].size += 1;
    let image = build(&spec).unwrap();
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();

    let err = write_archive(&image, &out_dir.join("x.tar"), None).unwrap_err();
    match &err {
        OciError::SizeMismatch {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, &spec.images[0].layers[1].path);
            assert_eq!(*expected, *actual + 1);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("amd64-app.tar.gz"), "{err}");
    assert!(names_in(&out_dir).is_empty(), "temp file removed");

    let err = write_layout_dir(&image, &out_dir.join("layout")).unwrap_err();
    assert!(matches!(err, OciError::SizeMismatch { .. }), "{err}");
    assert!(names_in(&out_dir).is_empty(), "temp dir removed");

    // A missing layer file names the file.
    let mut spec = spec_one(tmp.path());
    spec.images[0].layers[0].path = tmp.path().join("gone.tar.gz");
    let image = build(&spec).unwrap();
    let err = write_archive(&image, &out_dir.join("x.tar"), None).unwrap_err();
    assert!(err.to_string().contains("gone.tar.gz"), "{err}");
    assert!(names_in(&out_dir).is_empty());
}

#[test]
fn build_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = spec_one(tmp.path());
    spec.images.clear();
    assert!(matches!(build(&spec), Err(OciError::NoImages)));

    let mut spec = spec_one(tmp.path());
    spec.images.push(spec.images[0].clone());
    let err = build(&spec).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Platform linux/amd64 appears twice in the image spec"
    );

    let mut spec = spec_two(tmp.path());
    spec.images[1].layers[0].size += 1;
    let err = build(&spec).unwrap_err();
    assert!(matches!(err, OciError::ConflictingBlob { .. }), "{err}");

    let mut spec = spec_one(tmp.path());
    spec.images[0].created_epoch = i64::MAX;
    assert!(matches!(build(&spec), Err(OciError::Timestamp(_))));
}

#[test]
fn minimal_config_leaves_out_empty_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = spec_one(tmp.path());
    spec.images[0].config = ImageConfig::default();
    spec.images[0].annotations.clear();
    spec.images[0].created_epoch = 0;
    spec.annotations.clear();
    let image = build(&spec).unwrap();
    let config = json(
        image
            .json_blob(&image.manifests()[0].config_digest)
            .unwrap(),
    );
    assert_eq!(config["config"], serde_json::json!({}));
    assert_eq!(config["created"], "1970-01-01T00:00:00Z");
    let manifest = json(image.json_blob(&image.manifests()[0].digest).unwrap());
    assert!(manifest.get("annotations").is_none());
    let index = json(image.json_blob(image.index_digest()).unwrap());
    assert!(index.get("annotations").is_none());
    assert_eq!(image.archive_mtime(), 0);
}
