//! Live tests against the real Debian archive, run only with `ALOFT_LIVE=1` (the mirror
//! comes from `ALOFT_MIRROR` or the host's apt sources). Without it they say so and pass.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::panic
)]

use std::path::{Path, PathBuf};

fn live() -> bool {
    let on = std::env::var("ALOFT_LIVE").is_ok_and(|v| v == "1");
    if !on {
        eprintln!(
            "skipped: set ALOFT_LIVE=1 to run the live tests against the real Debian archive"
        );
    }
    on
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lock(manifest: &Path, lockfile: &Path, cache: &Path, extra: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .arg("lock")
        .arg(manifest)
        .arg("--lockfile")
        .arg(lockfile)
        .args(extra)
        .env("ALOFT_CACHE_DIR", cache)
        .output()
        .unwrap()
}

/// Every manifest in manifests/ locks against the real archive, verified with the shipped
/// Debian keys; a second run (offline, from the cache) gives a byte-identical lock.
#[test]
fn every_manifest_locks_against_the_real_archive() {
    if !live() {
        return;
    }
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    manifests.sort();
    assert!(manifests.len() >= 3, "{manifests:?}");
    for manifest in manifests {
        let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        let lockfile = out.path().join(format!("{stem}.lock.json"));
        let first = lock(&manifest, &lockfile, cache.path(), &[]);
        assert!(
            first.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        let text = std::fs::read_to_string(&lockfile).unwrap();
        assert!(!text.contains("://"), "{stem}: a URL in the lock");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let amd64 = json["packages"]["amd64"].as_array().unwrap();
        assert!(amd64.iter().any(|p| p["name"] == "base-files"), "{stem}");
        assert!(
            amd64
                .iter()
                .all(|p| p["pool_path"].as_str().unwrap().starts_with("pool/")),
            "{stem}"
        );
        assert!(
            json["repositories"][0]["signed_by"]
                .as_array()
                .unwrap()
                .len()
                >= 2,
            "{stem}"
        );
        if stem.contains("fpm") {
            assert!(
                !amd64.iter().any(|p| p["name"] == "systemd"),
                "{stem}: systemd-standalone-tmpfiles must keep systemd out"
            );
        }
        std::fs::remove_file(&lockfile).unwrap();
        let again = lock(&manifest, &lockfile, cache.path(), &["--offline"]);
        assert!(
            again.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&lockfile).unwrap(),
            text,
            "{stem}: not byte-identical"
        );
    }
}

fn run(program: &str, args: &[&str]) -> std::process::Output {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `skopeo inspect --raw ARGS`: the top document and its digest.
fn skopeo_raw(args: &[&str]) -> (Vec<u8>, String) {
    let mut all = vec!["inspect", "--raw"];
    all.extend_from_slice(args);
    let raw = run("skopeo", &all).stdout;
    let digest = format!("sha256:{}", sha256_hex(&raw));
    (raw, digest)
}

fn assemble(manifest: &Path, lockfile: &Path, cache: &Path, args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .arg("assemble")
        .arg(manifest)
        .arg("--lockfile")
        .arg(lockfile)
        .arg("--locked")
        .args(args)
        .env("ALOFT_CACHE_DIR", cache)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "assemble {}: {}",
        manifest.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    let digest = text.lines().last().unwrap_or_default().to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{text}"
    );
    digest
}

/// Every manifest in manifests/ (freshly locked) builds for all its archs; the image
/// loads into docker and runs; skopeo copies it to a registry on loopback and back with
/// the same index digest; the layout is accepted by skopeo and umoci; a rebuild from a
/// warm cache gives the same bytes.
#[test]
fn every_manifest_assembles_loads_runs_and_copies() {
    if !live() {
        return;
    }
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let registry = std::env::var("ALOFT_REGISTRY").ok();
    if registry.is_none() {
        eprintln!(
            "ALOFT_REGISTRY is not set (.ci/run starts one): the registry round trip is not checked"
        );
    }
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    manifests.sort();
    let mut built = 0;
    for manifest in manifests {
        let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        if std::fs::read_to_string(&manifest)
            .unwrap()
            .contains("services:")
        {
            // Not built yet (the s6 tree is issue 5): checked to be refused clearly, before
            // anything is fetched, rather than skipped.
            let output = assert_cmd::Command::cargo_bin("aloft")
                .unwrap()
                .args(["assemble", manifest.to_str().unwrap(), "--offline", "-o"])
                .arg(out.path().join(format!("{stem}.tar")))
                .env("ALOFT_CACHE_DIR", cache.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success() && stderr.contains("entrypoint.services"),
                "{stem}: {stderr}"
            );
            eprintln!("{stem}: NOT ASSEMBLED: `entrypoint.services` needs the s6 tree (issue 5)");
            continue;
        }
        let lockfile = out.path().join(format!("{stem}.lock.json"));
        let locked = lock(&manifest, &lockfile, cache.path(), &[]);
        assert!(
            locked.status.success(),
            "{}",
            String::from_utf8_lossy(&locked.stderr)
        );
        let tar = out.path().join(format!("{stem}.tar"));
        let tag = format!("aloft-live/{stem}:test");
        let digest = assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &["-o", tar.to_str().unwrap(), "--tag", &tag],
        );
        // Warm cache, another output path: the same bytes.
        let again = out.path().join(format!("{stem}-again.tar"));
        assert_eq!(
            assemble(
                &manifest,
                &lockfile,
                cache.path(),
                &["-o", again.to_str().unwrap(), "--tag", &tag]
            ),
            digest
        );
        assert_eq!(
            std::fs::read(&tar).unwrap(),
            std::fs::read(&again).unwrap(),
            "{stem}"
        );
        // Both platforms are in the index.
        let (raw, raw_digest) = skopeo_raw(&[&format!("oci-archive:{}", tar.display())]);
        assert_eq!(raw_digest, digest, "{stem}");
        let index: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let archs: Vec<&str> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["platform"]["architecture"].as_str().unwrap())
            .collect();
        assert_eq!(archs, ["amd64", "arm64"], "{stem}");
        // An amd64-only layout: skopeo and umoci read it.
        let layout = out.path().join(format!("{stem}-layout/"));
        assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &[
                "-o",
                layout.to_str().unwrap(),
                "--arch",
                "amd64",
                "--tag",
                &tag,
            ],
        );
        run("skopeo", &["inspect", &format!("oci:{}", layout.display())]);
        let tags = run("umoci", &["ls", "--layout", layout.to_str().unwrap()]);
        assert_eq!(stdout(&tags).trim(), "test", "{stem}");
        // docker load names it; the files are where they belong.
        let loaded = run("docker", &["load", "-i", tar.to_str().unwrap()]);
        assert!(
            stdout(&loaded).contains(&format!("Loaded image: {tag}")),
            "{}",
            stdout(&loaded)
        );
        let container = stdout(&run("docker", &["create", "--entrypoint", "/none", &tag]))
            .trim()
            .to_owned();
        let passwd = run("docker", &["cp", &format!("{container}:/etc/passwd"), "-"]);
        // The CA bundle aloft made in place of update-ca-certificates (a tar stream).
        let bundle = run(
            "docker",
            &[
                "cp",
                &format!("{container}:/etc/ssl/certs/ca-certificates.crt"),
                "-",
            ],
        );
        let roots = stdout(&bundle).matches("BEGIN CERTIFICATE").count();
        assert!(roots >= 100, "{stem}: {roots} certificates in the bundle");
        run("docker", &["rm", &container]);
        assert!(stdout(&passwd).contains("nonroot"), "{stem}: /etc/passwd");
        if stem == "php-cli" {
            let version = run("docker", &["run", "--rm", &tag]);
            assert!(
                stdout(&version).starts_with("PHP 8.4"),
                "{}",
                stdout(&version)
            );
            // /usr/bin/php comes from update-alternatives, the modules from phpenmod.
            let modules = run("docker", &["run", "--rm", &tag, "-m"]);
            for module in [
                "mbstring",
                "intl",
                "curl",
                "xml",
                "zip",
                "Zend OPcache",
                "posix",
            ] {
                assert!(
                    stdout(&modules).contains(module),
                    "{module}: {}",
                    stdout(&modules)
                );
            }
            let hello = run(
                "docker",
                &[
                    "run",
                    "--rm",
                    &tag,
                    "-r",
                    "echo getcwd(), ' ', PHP_OS, PHP_EOL;",
                ],
            );
            assert_eq!(stdout(&hello), "/app Linux\n");
        }
        run("docker", &["rmi", &tag]);
        // podman load names it too (podman cannot run containers in every sandbox, so
        // only the load and the name are checked).
        let podman = run("podman", &["load", "-i", tar.to_str().unwrap()]);
        assert!(
            stdout(&podman).contains(&tag),
            "podman: {}",
            stdout(&podman)
        );
        run("podman", &["rmi", &tag]);
        if let Some(registry) = &registry {
            let remote = format!("docker://{registry}/aloft-live/{stem}:test");
            run(
                "skopeo",
                &[
                    "copy",
                    "--all",
                    "--dest-tls-verify=false",
                    &format!("oci-archive:{}", tar.display()),
                    &remote,
                ],
            );
            let (_, pushed_digest) = skopeo_raw(&["--tls-verify=false", &remote]);
            assert_eq!(pushed_digest, digest, "{stem}: registry");
            let back = out.path().join(format!("{stem}-back.tar"));
            run(
                "skopeo",
                &[
                    "copy",
                    "--all",
                    "--src-tls-verify=false",
                    &remote,
                    &format!("oci-archive:{}", back.display()),
                ],
            );
            let (_, back_digest) = skopeo_raw(&[&format!("oci-archive:{}", back.display())]);
            assert_eq!(back_digest, digest, "{stem}: back");
        }
        built += 1;
    }
    assert!(built >= 2, "only {built} manifests were assembled");
}
