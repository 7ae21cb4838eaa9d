//! `--compression zstd` on a real image: the layers hold the very tars the gzip build
//! holds (so the config, and the image ID, are the same), real clients take them
//! (podman, a registry through skopeo), and the binaries run from the layers as the
//! `zstd` tool unpacks them.

use std::path::Path;

use aloft_test::oci::Image;

use super::{assemble, lock_ok, run, sha256_hex, stdout, workspace_root};

/// The image manifest of the one platform in `layout` (the other entries of the image
/// index are attached SBOMs).
fn platform_manifest(layout: &Path) -> serde_json::Value {
    let mut manifests = Image::layout(layout).platform_manifests();
    assert_eq!(manifests.len(), 1, "{}", layout.display());
    manifests.remove(0).1
}

/// Docker's engine version, major part.
fn docker_major() -> Option<u32> {
    let version = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .ok()?;
    stdout(&version).trim().split('.').next()?.parse().ok()
}

#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn zstd_layers_hold_the_gzip_tars_load_and_run() {
    let root = workspace_root();
    let manifest = root.join("manifests/php-cli.yaml");
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let lockfile = out.path().join("php-cli.lock.json");
    lock_ok(&manifest, &lockfile, cache.path());
    let tag = "aloft-live/php-cli-zstd:test";
    let build = |output: &Path, compression: &str| {
        assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &[
                "-o",
                output.to_str().unwrap(),
                "--arch",
                "amd64",
                "--tag",
                tag,
                "--compression",
                compression,
            ],
        )
    };
    let gzip_layout = out.path().join("gzip/");
    let zstd_layout = out.path().join("zstd/");
    let gzip_digest = build(&gzip_layout, "gzip");
    let zstd_digest = build(&zstd_layout, "zstd");
    assert_ne!(gzip_digest, zstd_digest);

    // The same tars: the configs (diff_ids, history) are byte for byte the same.
    let gzip = platform_manifest(&gzip_layout);
    let zstd = platform_manifest(&zstd_layout);
    assert_eq!(gzip["config"], zstd["config"]);
    let config = Image::layout(&zstd_layout).json(&zstd["config"]);
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    let layers = zstd["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len());

    // Each layer, decompressed by the zstd tool, is the tar its diff_id names; unpacked
    // in order they make the root file system.
    let rootfs = out.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        assert_eq!(
            layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd",
            "{layer}"
        );
        let digest = layer["digest"].as_str().unwrap();
        let path = zstd_layout
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap());
        let tar = run("zstd", &["-dc", path.to_str().unwrap()]).stdout;
        assert_eq!(
            format!("sha256:{}", sha256_hex(&tar)),
            diff_id.as_str().unwrap(),
            "{digest}"
        );
        let script = format!(
            "zstd -dc '{}' | tar --numeric-owner -xpf - -C '{}'",
            path.display(),
            rootfs.display()
        );
        run("sh", &["-c", &script]);
    }
    let root_user = stdout(&run("id", &["-u"])).trim() == "0";
    if root_user {
        let php = run(
            "chroot",
            &[
                rootfs.to_str().unwrap(),
                "/usr/bin/php",
                "-r",
                "echo PHP_VERSION, ' ', extension_loaded('mbstring') ? 'mbstring' : '-';",
            ],
        );
        let printed = stdout(&php);
        assert!(printed.starts_with("8.4."), "{printed}");
        eprintln!("php from the zstd layers under chroot: {printed}");
    } else {
        eprintln!("NOT CHECKED: php under chroot from the zstd layers needs root");
    }

    // An oci-archive of the same build: podman loads it (decompressing every layer and
    // checking it against its diff_id) and gives it the config's ID.
    let archive = out.path().join("php-cli-zstd.tar");
    assert_eq!(build(&archive, "zstd"), zstd_digest);
    let loaded = run("podman", &["load", "-i", archive.to_str().unwrap()]);
    assert!(stdout(&loaded).contains(tag), "{}", stdout(&loaded));
    let id = run("podman", &["image", "inspect", "--format", "{{.Id}}", tag]);
    assert_eq!(
        format!("sha256:{}", stdout(&id).trim()),
        zstd["config"]["digest"].as_str().unwrap()
    );
    run("podman", &["rmi", tag]);

    // A registry keeps the index digest, both ways, even when it already holds the gzip
    // layers of the same tars (which plain `skopeo copy` swaps in for the zstd ones once
    // its blob-info cache knows them; the push uses --preserve-digests).
    match std::env::var("ALOFT_REGISTRY") {
        Ok(registry) => {
            let gzip_archive = out.path().join("php-cli-gzip.tar");
            assert_eq!(build(&gzip_archive, "gzip"), gzip_digest);
            super::registry_round_trip(
                &registry,
                &gzip_archive,
                "aloft-live/php-cli-gzip:test",
                &gzip_digest,
            );
            super::registry_round_trip(
                &registry,
                &archive,
                "aloft-live/php-cli-zstd:test",
                &zstd_digest,
            );
        }
        Err(_) => eprintln!("NOT CHECKED: the zstd registry round trip (ALOFT_REGISTRY unset)"),
    }

    // Docker takes zstd layers from 23.0 on.
    match docker_major() {
        Some(major) if major >= 23 => {
            let loaded = run("docker", &["load", "-i", archive.to_str().unwrap()]);
            assert!(stdout(&loaded).contains(tag), "{}", stdout(&loaded));
            let php = run("docker", &["run", "--rm", tag, "-r", "echo PHP_VERSION;"]);
            assert!(stdout(&php).starts_with("8.4."), "{}", stdout(&php));
            run("docker", &["rmi", tag]);
        }
        other => eprintln!(
            "NOT CHECKED: docker load of zstd layers: this engine ({other:?}) is older than \
             23.0, which first decompresses them; podman loaded the image and chroot ran it"
        ),
    }
}
