//! Live tests against the real Debian archive, run only with `ALOFT_LIVE=1` (the mirror
//! comes from `ALOFT_MIRROR` or the host's apt sources). Without it they say so and pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

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
