//! The checks distroless's own structure tests make of its base image, made of
//! manifests/base.yaml as aloft builds it from the real archive: the exact account
//! lines, /tmp, the homes, os-release, a dpkg record per package and the CA bundle.

use std::collections::BTreeMap;
use std::path::Path;

use aloft_test::oci::{Entry, Image};

/// Every path of a platform's layers, merged bottom to top (aloft writes no whiteouts).
fn merged(platform: &aloft_test::oci::Platform) -> BTreeMap<String, Entry> {
    let mut files = BTreeMap::new();
    for layer in &platform.layers {
        for entry in &layer.entries {
            files.insert(entry.path.clone(), entry.clone());
        }
    }
    files
}

fn text(files: &BTreeMap<String, Entry>, path: &str) -> String {
    let entry = files
        .get(path)
        .unwrap_or_else(|| panic!("base: no /{path}"));
    String::from_utf8(entry.data.clone()).unwrap()
}

/// Checks the base image at `tar`, whose lock is `lockfile`, for both platforms.
pub fn check_base_structure(tar: &Path, lockfile: &Path) {
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lockfile).unwrap()).unwrap();
    for platform in Image::archive(tar).platforms() {
        let arch = platform.arch().to_owned();
        let files = merged(&platform);
        let passwd = text(&files, "etc/passwd");
        for line in [
            "root:*:0:0:root:/root:/bin/bash",
            "nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
            "nonroot:*:65532:65532::/home/nonroot:/usr/sbin/nologin",
        ] {
            assert!(
                passwd.lines().any(|l| l == line),
                "{arch}: `{line}` not in /etc/passwd:\n{passwd}"
            );
        }
        let group = text(&files, "etc/group");
        for line in [
            "root:*:0:",
            "nogroup:*:65534:",
            "nonroot:*:65532:",
            "tty:*:5:",
        ] {
            assert!(
                group.lines().any(|l| l == line),
                "{arch}: `{line}` not in /etc/group:\n{group}"
            );
        }
        let mode = |path: &str| {
            let entry = files
                .get(path)
                .unwrap_or_else(|| panic!("{arch}: no /{path}"));
            (entry.mode, entry.uid, entry.gid)
        };
        assert_eq!(mode("tmp"), (0o1777, 0, 0), "{arch}: /tmp");
        assert_eq!(mode("root"), (0o700, 0, 0), "{arch}: /root");
        assert_eq!(
            mode("home/nonroot"),
            (0o755, 65532, 65532),
            "{arch}: /home/nonroot"
        );
        assert_eq!(
            files["etc/os-release"].link.as_deref(),
            Some("../usr/lib/os-release"),
            "{arch}"
        );
        let os_release = text(&files, "usr/lib/os-release");
        for line in ["ID=debian", "VERSION_CODENAME=trixie", "VERSION_ID=\"13\""] {
            assert!(
                os_release.lines().any(|l| l == line),
                "{arch}: `{line}`:\n{os_release}"
            );
        }
        // One dpkg record per installed package (distroless's status.d layout); none
        // for those the image leaves out (only maintainer scripts use them).
        let entries = lock["packages"][&arch].as_array().unwrap();
        let locked: Vec<&str> = entries
            .iter()
            .filter(|p| p.get("left_out").is_none())
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for left_out in entries.iter().filter(|p| p.get("left_out").is_some()) {
            let name = left_out["name"].as_str().unwrap();
            assert!(
                !files.contains_key(&format!("var/lib/dpkg/status.d/{name}")),
                "{arch}: {name} is left out but has a dpkg record"
            );
        }
        for name in &locked {
            let record = text(&files, &format!("var/lib/dpkg/status.d/{name}"));
            assert!(
                record.starts_with(&format!("Package: {name}\n")),
                "{arch}: {name}: {record}"
            );
        }
        let records = files
            .keys()
            .filter(|p| p.starts_with("var/lib/dpkg/status.d/") && !p.ends_with(".md5sums"))
            .count();
        assert_eq!(records, locked.len(), "{arch}: status.d records");
        let bundle = text(&files, "etc/ssl/certs/ca-certificates.crt");
        assert!(
            bundle.matches("BEGIN CERTIFICATE").count() >= 100,
            "{arch}: the CA bundle"
        );
        for path in [
            "etc/nsswitch.conf",
            "etc/services",
            "etc/protocols",
            "usr/share/zoneinfo/UTC",
        ] {
            assert!(files.contains_key(path), "{arch}: no /{path}");
        }
        eprintln!(
            "base {arch}: accounts, /tmp, homes, os-release, {records} dpkg records, the CA bundle as distroless's base has them"
        );
    }
}
