//! Resolution semantics on small hand-written indexes (apt's choices, errors).
#![allow(clippy::unwrap_used)] // a malformed fixture index is a failing test

use std::collections::HashMap;

use aloft_deb::parse_packages;
use aloft_manifest::PackageRequest;
use aloft_resolve::{RepositoryPackages, ResolveError, ResolveRequest, resolve_arch};

const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Builds a repository from `Package: x\nVersion: y\n...` paragraphs (Filename/Size/SHA256 added).
fn repo(name: &str, suite: &str, paragraphs: &[&str]) -> RepositoryPackages {
    let mut text = String::new();
    for p in paragraphs {
        let mut p = p.trim().to_owned();
        if !p.contains("Architecture:") {
            p.push_str("\nArchitecture: amd64");
        }
        let package = p
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("Package: ")
            .to_owned();
        text.push_str(&format!(
            "{p}\nFilename: pool/main/{package}.deb\nSize: 1\nSHA256: {SHA}\n\n"
        ));
    }
    RepositoryPackages {
        repository: name.to_owned(),
        suite: suite.to_owned(),
        codename: Some(suite.to_owned()),
        packages: parse_packages("Packages", &text).unwrap(),
        preferred: false,
    }
}

fn request(names: &[&str]) -> ResolveRequest {
    ResolveRequest {
        packages: names
            .iter()
            .map(|n| {
                let (rest, version) = match n.split_once('=') {
                    Some((a, v)) => (a, Some(v.to_owned())),
                    None => (*n, None),
                };
                let (name, suite) = match rest.split_once('/') {
                    Some((a, s)) => (a, Some(s.to_owned())),
                    None => (rest, None),
                };
                PackageRequest {
                    name: name.to_owned(),
                    version,
                    suite,
                }
            })
            .collect(),
        ..ResolveRequest::default()
    }
}

fn names(result: &Result<Vec<aloft_lockfile::LockedPackage>, ResolveError>) -> Vec<String> {
    match result {
        Ok(list) => list
            .iter()
            .map(|p| format!("{}={}", p.name, p.version))
            .collect(),
        Err(err) => vec![format!("error: {err}")],
    }
}

fn main_repo() -> RepositoryPackages {
    repo(
        "debian/trixie",
        "trixie",
        &[
            "Package: libc6\nVersion: 2.41-12\nMulti-Arch: same",
            "Package: php8.4-fpm\nVersion: 8.4.11-1\nDepends: libc6 (>= 2.38), systemd | systemd-tmpfiles, tzdata",
            "Package: systemd\nVersion: 257.8-1\nDepends: libc6, libsystemd-shared (= 257.8-1)",
            "Package: libsystemd-shared\nVersion: 257.8-1",
            "Package: systemd-standalone-tmpfiles\nVersion: 257.8-1\nProvides: systemd-tmpfiles (= 257.8-1)\nConflicts: systemd",
            "Package: tzdata\nVersion: 2025b-4\nArchitecture: all",
            "Package: mawk\nVersion: 1.3.4-1\nProvides: awk\nPriority: required",
            "Package: gawk\nVersion: 5.2.1-2\nProvides: awk\nPriority: optional",
            "Package: needs-awk\nVersion: 1\nDepends: awk",
            "Package: python3\nVersion: 3.13.5-1\nMulti-Arch: allowed",
            "Package: needs-python-any\nVersion: 1\nDepends: python3:any (>= 3.11~)",
            "Package: plain-lib\nVersion: 1\n",
            "Package: needs-plain-any\nVersion: 1\nDepends: plain-lib:any",
            "Package: mail\nVersion: 1\nProvides: mail-transport-agent (= 2)",
            "Package: needs-mta2\nVersion: 1\nDepends: mail-transport-agent (>= 2)",
            "Package: needs-mta3\nVersion: 1\nDepends: mail-transport-agent (>= 3)",
            "Package: top\nVersion: 1\nDepends: middle",
            "Package: middle\nVersion: 1\nDepends: bottom (>= 2)",
            "Package: bottom\nVersion: 1",
            "Package: breaker\nVersion: 1\nBreaks: tzdata (<< 2026)",
            "Package: php8.4-cli\nVersion: 8.4.11-1\nPre-Depends: libc6\nDepends: tzdata",
            "Package: openssl\nVersion: 3.5.1-1\nDepends: libssl3t64 (>= 3.5.1)",
            "Package: libssl3t64\nVersion: 3.5.1-1",
        ],
    )
}

fn security_repo() -> RepositoryPackages {
    repo(
        "debian-security/trixie-security",
        "trixie-security",
        &[
            "Package: openssl\nVersion: 3.5.1-1+deb13u1\nDepends: libssl3t64 (>= 3.5.1-1+deb13u1)",
            "Package: libssl3t64\nVersion: 3.5.1-1+deb13u1",
            "Package: libc6\nVersion: 2.40-1",
        ],
    )
}

#[test]
fn first_alternative_is_taken_when_nothing_satisfies_the_group() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["php8.4-fpm"]),
    ));
    assert_eq!(
        got,
        [
            "libc6=2.41-12",
            "libsystemd-shared=257.8-1",
            "php8.4-fpm=8.4.11-1",
            "systemd=257.8-1",
            "tzdata=2025b-4"
        ]
    );
}

#[test]
fn a_requested_provider_satisfies_the_group_and_keeps_systemd_out() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["php8.4-fpm", "systemd-standalone-tmpfiles"]),
    ));
    assert_eq!(
        got,
        [
            "libc6=2.41-12",
            "php8.4-fpm=8.4.11-1",
            "systemd-standalone-tmpfiles=257.8-1",
            "tzdata=2025b-4"
        ]
    );
}

#[test]
fn virtual_packages_go_to_the_most_important_provider() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["needs-awk"]),
    ));
    assert_eq!(got, ["mawk=1.3.4-1", "needs-awk=1"]);
    // ...unless another provider is already asked for.
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["gawk", "needs-awk"]),
    ));
    assert_eq!(got, ["gawk=5.2.1-2", "needs-awk=1"]);
}

#[test]
fn versioned_provides_satisfy_versioned_dependencies_only_when_high_enough() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["needs-mta2"]),
    ));
    assert_eq!(got, ["mail=1", "needs-mta2=1"]);
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["needs-mta3"]),
    ));
    assert!(
        got[0].contains("Unsatisfiable") && got[0].contains("mail-transport-agent (>= 3)"),
        "{got:?}"
    );
}

#[test]
fn any_qualifier_needs_multi_arch_allowed() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["needs-python-any"]),
    ));
    assert_eq!(got, ["needs-python-any=1", "python3=3.13.5-1"]);
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["needs-plain-any"]),
    ));
    assert!(got[0].contains("plain-lib:any"), "{got:?}");
}

#[test]
fn unsatisfiable_prints_the_chain_from_the_request() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["top"]),
    ));
    assert!(got[0].contains("top 1 -> middle 1"), "{got:?}");
    assert!(
        got[0].contains("`bottom (>= 2)`") && got[0].contains("bottom 1` does not satisfy"),
        "{got:?}"
    );
}

#[test]
fn a_dependency_in_no_repository_is_an_error_not_dropped() {
    let repo = repo(
        "main",
        "trixie",
        &[
            "Package: app\nVersion: 1\nDepends: gone-lib",
            "Package: alt\nVersion: 1\nDepends: gone-lib | also-gone",
        ],
    );
    for root in ["app", "alt"] {
        let got = names(&resolve_arch(
            "amd64",
            vec![repo.clone()],
            &request(&[root]),
        ));
        assert!(
            got[0].contains("Unsatisfiable") && got[0].contains("`gone-lib` is in no repository"),
            "{root}: {got:?}"
        );
    }
    // Excluding the missing name drops it, as the user asked.
    let mut req = request(&["app"]);
    req.exclude = vec!["gone-lib".to_owned()];
    assert_eq!(names(&resolve_arch("amd64", vec![repo], &req)), ["app=1"]);
}

#[test]
fn unknown_packages_get_suggestions() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["php8.4-fmp"]),
    ));
    assert!(
        got[0].contains("`php8.4-fmp` is not in any repository") && got[0].contains("php8.4-fpm"),
        "{got:?}"
    );
}

#[test]
fn conflicts_and_breaks_inside_the_closure_are_errors() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["systemd", "systemd-standalone-tmpfiles"]),
    ));
    assert!(
        got[0].contains("Conflict")
            && got[0].contains("Conflicts: systemd")
            && got[0].contains("systemd 257.8-1"),
        "{got:?}"
    );
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["breaker", "tzdata"]),
    ));
    assert!(got[0].contains("Breaks: tzdata (<< 2026)"), "{got:?}");
}

#[test]
fn the_highest_version_wins_across_repositories() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo(), security_repo()],
        &request(&["openssl", "libc6"]),
    ));
    assert_eq!(
        got,
        [
            "libc6=2.41-12",
            "libssl3t64=3.5.1-1+deb13u1",
            "openssl=3.5.1-1+deb13u1"
        ]
    );
}

#[test]
fn pins_by_version_and_suite() {
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo(), security_repo()],
        &request(&["libc6=2.40-1"]),
    ));
    assert_eq!(got, ["libc6=2.40-1"]);
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo(), security_repo()],
        &request(&["openssl/trixie"]),
    ));
    // openssl pinned to trixie; its dependency takes the newest libssl3t64 that satisfies it.
    assert_eq!(got, ["libssl3t64=3.5.1-1+deb13u1", "openssl=3.5.1-1"]);
    let got = names(&resolve_arch(
        "amd64",
        vec![main_repo()],
        &request(&["libc6=9.9"]),
    ));
    assert!(
        got[0].contains("`libc6=9.9` is not available")
            && got[0].contains("2.41-12 (debian/trixie)"),
        "{got:?}"
    );
}

#[test]
fn exclude_drops_dependencies_and_rejects_requests() {
    let mut req = request(&["php8.4-cli"]);
    req.exclude = vec!["tzdata".to_owned()];
    assert_eq!(
        names(&resolve_arch("amd64", vec![main_repo()], &req)),
        ["libc6=2.41-12", "php8.4-cli=8.4.11-1"]
    );
    let mut req = request(&["php8.4-fpm"]);
    req.exclude = vec!["systemd".to_owned()];
    let got = names(&resolve_arch("amd64", vec![main_repo()], &req));
    assert!(
        got.contains(&"systemd-standalone-tmpfiles=257.8-1".to_owned()),
        "{got:?}"
    );
    let mut req = request(&["tzdata"]);
    req.exclude = vec!["tzdata".to_owned()];
    assert!(
        names(&resolve_arch("amd64", vec![main_repo()], &req))[0]
            .contains("both requested and excluded")
    );
}

#[test]
fn locked_versions_are_kept_until_upgraded() {
    let mut req = request(&["openssl"]);
    req.preferences = HashMap::from([
        ("openssl".to_owned(), "3.5.1-1".to_owned()),
        ("libssl3t64".to_owned(), "3.5.1-1".to_owned()),
    ]);
    let repos = || vec![main_repo(), security_repo()];
    assert_eq!(
        names(&resolve_arch("amd64", repos(), &req)),
        ["libssl3t64=3.5.1-1", "openssl=3.5.1-1"]
    );
    // Upgrading openssl drags the newer libssl3t64 in, because the new openssl needs it.
    req.upgrade.insert("openssl".to_owned());
    assert_eq!(
        names(&resolve_arch("amd64", repos(), &req)),
        ["libssl3t64=3.5.1-1+deb13u1", "openssl=3.5.1-1+deb13u1"]
    );
}

#[test]
fn arch_all_and_other_archs() {
    let got = names(&resolve_arch(
        "arm64",
        vec![main_repo()],
        &request(&["tzdata"]),
    ));
    assert_eq!(got, ["tzdata=2025b-4"]);
    let got = names(&resolve_arch(
        "arm64",
        vec![main_repo()],
        &request(&["libc6"]),
    ));
    assert!(
        got[0].contains("not in any repository for arm64"),
        "{got:?}"
    );
}

#[test]
fn resolution_is_deterministic() {
    let first = names(&resolve_arch(
        "amd64",
        vec![main_repo(), security_repo()],
        &request(&["php8.4-fpm", "needs-awk", "openssl"]),
    ));
    for _ in 0..5 {
        let again = names(&resolve_arch(
            "amd64",
            vec![main_repo(), security_repo()],
            &request(&["php8.4-fpm", "needs-awk", "openssl"]),
        ));
        assert_eq!(again, first);
    }
}

fn slice(name: &str) -> aloft_manifest::Slice {
    aloft_manifest::Slice {
        package: PackageRequest {
            name: name.to_owned(),
            version: None,
            suite: None,
        },
        paths: vec!["/usr/share/x/**".to_owned()],
    }
}

#[test]
fn a_slice_is_locked_without_its_dependencies() {
    let repos = vec![repo(
        "main",
        "trixie",
        &[
            "Package: base\nVersion: 1",
            "Package: certs\nVersion: 2\nDepends: ssl, debconf",
            "Package: ssl\nVersion: 3\nDepends: libc",
            "Package: libc\nVersion: 4",
            "Package: debconf\nVersion: 5",
        ],
    )];
    let request = ResolveRequest {
        slices: vec![slice("certs")],
        ..request(&["base"])
    };
    let locked = resolve_arch("amd64", repos, &request).unwrap();
    let summary: Vec<(String, Option<Vec<String>>, Option<String>)> = locked
        .into_iter()
        .map(|p| (p.name, p.slice, p.left_out))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("base".to_owned(), None, None),
            (
                "certs".to_owned(),
                Some(vec!["/usr/share/x/**".to_owned()]),
                None
            ),
        ]
    );
}

#[test]
fn a_slice_of_a_package_the_closure_needs_installs_it_whole() {
    let repos = vec![repo(
        "main",
        "trixie",
        &[
            "Package: app\nVersion: 1\nDepends: libc",
            "Package: libc\nVersion: 4",
        ],
    )];
    let request = ResolveRequest {
        slices: vec![slice("libc")],
        ..request(&["app"])
    };
    let locked = resolve_arch("amd64", repos, &request).unwrap();
    assert!(locked.iter().all(|p| p.slice.is_none()), "{locked:?}");
    assert_eq!(names(&Ok(locked)), ["app=1", "libc=4"]);
}

#[test]
fn an_implied_slice_follows_its_package_into_the_image_only() {
    let repos = || {
        vec![repo(
            "main",
            "trixie",
            &[
                "Package: app\nVersion: 1\nDepends: libc6",
                "Package: tool\nVersion: 1\nDepends: ucf",
                "Package: ucf\nVersion: 1\nDepends: libc6",
                "Package: libc6\nVersion: 2",
                "Package: libc-bin\nVersion: 2\nDepends: libc6",
            ],
        )]
    };
    let implied = vec![("libc6".to_owned(), slice("libc-bin"))];
    let wanted = ResolveRequest {
        slices_if_installed: implied.clone(),
        ..request(&["app"])
    };
    let locked = resolve_arch("amd64", repos(), &wanted).unwrap();
    assert_eq!(
        names(&Ok(locked.clone())),
        ["app=1", "libc-bin=2", "libc6=2"]
    );
    assert!(
        locked
            .iter()
            .any(|p| p.name == "libc-bin" && p.slice.is_some())
    );
    // libc6 only through a script tool: left out, and no slice for it.
    let wanted = ResolveRequest {
        slices_if_installed: implied,
        ..request(&["tool"])
    };
    let locked = resolve_arch("amd64", repos(), &wanted).unwrap();
    assert_eq!(names(&Ok(locked)), ["libc6=2", "tool=1", "ucf=1"]);
}
