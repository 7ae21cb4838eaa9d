//! `aloft outdated` against the real archive: a lock made from trixie alone is what a
//! project locked before trixie-security's updates had; against both suites, `outdated`
//! must report exactly what a fresh lock changes, with the security ones flagged.

use super::{lock_ok, stdout};

#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn outdated_reports_the_updates_the_archive_has_over_an_older_lock() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let manifest = |name: &str, security: bool| {
        let path = dir.path().join(format!("{name}.yaml"));
        let mut text = String::from(
            "contents:\n  repositories:\n    - {archive: debian, suite: trixie, components: [main]}\n",
        );
        if security {
            text.push_str(
                "    - {archive: debian-security, suite: trixie-security, components: [main]}\n",
            );
        }
        text.push_str(
            "  packages: [php8.4-cli, php8.4-curl, php8.4-xml, ca-certificates, tzdata]\narchs: [amd64, arm64]\n",
        );
        std::fs::write(&path, text).unwrap();
        path
    };
    let (old_manifest, new_manifest) = (manifest("old", false), manifest("new", true));
    let old_lock = dir.path().join("old.lock.json");
    let new_lock = dir.path().join("new.lock.json");
    lock_ok(&old_manifest, &old_lock, cache.path());
    lock_ok(&new_manifest, &new_lock, cache.path());

    let aloft = |args: &[&std::ffi::OsStr]| {
        assert_cmd::Command::cargo_bin("aloft")
            .unwrap()
            .args(args)
            .env("ALOFT_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let diff = aloft(&[
        "diff".as_ref(),
        old_lock.as_os_str(),
        new_lock.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(
        diff.status.success(),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    let diff: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    let outdated = aloft(&[
        "outdated".as_ref(),
        new_manifest.as_os_str(),
        "--lockfile".as_ref(),
        old_lock.as_os_str(),
        "--json".as_ref(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&outdated.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&outdated.stderr)));
    // Every package the fresh lock changes or adds, on each architecture, is reported.
    let mut expected = Vec::new();
    for (arch, changes) in diff["archs"].as_object().into_iter().flatten() {
        for kind in ["changed", "added"] {
            for package in changes[kind].as_array().into_iter().flatten() {
                expected.push(format!("{} {arch}", package["name"].as_str().unwrap()));
            }
        }
    }
    expected.sort();
    let mut reported = Vec::new();
    for update in report["updates"].as_array().unwrap() {
        for arch in update["archs"].as_array().unwrap() {
            reported.push(format!(
                "{} {}",
                update["name"].as_str().unwrap(),
                arch.as_str().unwrap()
            ));
        }
    }
    reported.sort();
    assert_eq!(reported, expected);
    // An update is flagged as security exactly when it comes from trixie-security.
    let security = report["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["security"] == true)
        .count();
    for update in report["updates"].as_array().unwrap() {
        assert_eq!(
            update["security"] == true,
            update["repository"]
                .as_str()
                .unwrap()
                .starts_with("debian-security/"),
            "{update}"
        );
    }
    let status = outdated.status.code();
    match (security, expected.len()) {
        (0, 0) => assert_eq!(status, Some(0)),
        (0, _) => assert_eq!(status, Some(2)),
        _ => assert_eq!(status, Some(3)),
    }
    eprintln!(
        "trixie alone vs trixie + trixie-security: {} updates ({security} from security), exit {status:?}\n{}",
        expected.len(),
        stdout(&outdated)
            .lines()
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// On the repository's own example locks: `aloft outdated` of a committed lock answers
/// (up to date, or updates with the right exit status), and `aloft diff` of php-cli's
/// lock against php-cli-debug's shows busybox and nothing else.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn outdated_and_diff_work_on_the_example_locks() {
    let root = super::workspace_root().canonicalize().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .args(["outdated", "--json"])
        .arg(root.join("manifests/php-fpm-nginx.yaml"))
        .env("ALOFT_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    let updates = report["updates"].as_array().unwrap().len();
    let security = report["security_updates"].as_u64().unwrap();
    let expected = match (updates, security) {
        (0, _) if report["up_to_date"] == true => 0,
        (_, 0) => 2,
        _ => 3,
    };
    assert_eq!(output.status.code(), Some(expected), "{report}");
    eprintln!("php-fpm-nginx's committed lock: {updates} updates, {security} from security");

    let diff = assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .arg("diff")
        .arg(root.join("lockfiles/php-cli.lock.json"))
        .arg(root.join("lockfiles/php-cli-debug.lock.json"))
        .output()
        .unwrap();
    assert!(diff.status.success());
    let text = stdout(&diff);
    for arch in ["amd64", "arm64"] {
        assert!(
            text.contains(&format!(
                "{arch}: 1 added, 0 removed, 0 changed\n  + busybox "
            )),
            "{text}"
        );
    }
}
