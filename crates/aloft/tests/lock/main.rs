//! `aloft lock` end to end against signed fixture repositories on a loopback server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a broken fixture is a failing test

use std::time::{Duration, SystemTime};

use aloft_test::{Fault, FixturePackage, SuiteOptions};

#[path = "../common/mod.rs"]
mod common;
mod snapshots;

use common::{Ctx, fails_with, lock_json, ok};

fn packages() -> Vec<FixturePackage> {
    vec![
        FixturePackage::new("libc6", "2.41-12").field("Multi-Arch", "same"),
        FixturePackage::new("php8.4-fpm", "8.4.11-1")
            .depends("libc6 (>= 2.38), systemd | systemd-tmpfiles, tzdata"),
        FixturePackage::new("systemd", "257.8-1").depends("libc6"),
        FixturePackage::new("systemd-standalone-tmpfiles", "257.8-1")
            .provides("systemd-tmpfiles (= 257.8-1)")
            .conflicts("systemd"),
        FixturePackage::new("tzdata", "2025b-4").arch("all"),
        FixturePackage::new("php8.4-cli", "8.4.11-1")
            .pre_depends("libc6")
            .depends("tzdata"),
        FixturePackage::new("top", "1").depends("middle"),
        FixturePackage::new("middle", "1").depends("bottom (>= 2)"),
        FixturePackage::new("bottom", "1"),
        FixturePackage::new("libc6", "2.41-12")
            .arch("arm64")
            .field("Multi-Arch", "same"),
        FixturePackage::new("php8.4-cli", "8.4.11-1")
            .arch("arm64")
            .pre_depends("libc6")
            .depends("tzdata"),
    ]
}

impl Ctx {
    fn new() -> Ctx {
        Ctx::with_suite(SuiteOptions::new("trixie"))
    }

    fn with_suite(options: SuiteOptions) -> Ctx {
        Ctx::with_packages(&options, &packages())
    }
}

/// Makes the server send the amd64 Packages.xz (by hash) corrupted, once; its sha256.
fn corrupt_amd64_index_once(ctx: &Ctx) -> String {
    let xz = ctx
        .repo
        .root()
        .join("dists/trixie/main/binary-amd64/Packages.xz");
    let hash = aloft_fetch::sha256_hex(&std::fs::read(&xz).unwrap());
    ctx.server.fault(
        &format!("/dists/trixie/main/binary-amd64/by-hash/SHA256/{hash}"),
        Fault::Corrupt,
        1,
    );
    hash
}

fn locked_names(text: &str, arch: &str) -> Vec<String> {
    lock_json(text)["packages"][arch]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn locks_a_closure_and_is_byte_identical_on_rerun() {
    let ctx = Ctx::new();
    ctx.manifest(
        "fpm",
        &["php8.4-fpm", "systemd-standalone-tmpfiles"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/fpm.yaml"]));
    let first = ctx.lock_text("fpm");
    assert_eq!(
        locked_names(&first, "amd64"),
        [
            "libc6=2.41-12",
            "php8.4-fpm=8.4.11-1",
            "systemd-standalone-tmpfiles=257.8-1",
            "tzdata=2025b-4"
        ]
    );
    let json = lock_json(&first);
    let tz = &json["packages"]["amd64"][3];
    assert_eq!(tz["pool_path"], "pool/main/t/tzdata/tzdata_2025b-4_all.deb");
    assert_eq!(tz["architecture"], "all");
    assert_eq!(
        json["repositories"][0]["signed_by"][0],
        ctx.repo.key.fingerprint()
    );
    assert_eq!(json["manifest"]["files"][0], "../manifests/fpm.yaml");
    // Pool paths only: no URL, no host.
    assert!(
        !first.contains("127.0.0.1") && !first.contains("http"),
        "{first}"
    );
    // Indexes came by hash, and the uncompressed index was never downloaded.
    let requests = ctx.server.requests();
    assert!(
        requests.iter().any(|r| r.contains("/by-hash/SHA256/")),
        "{requests:?}"
    );
    ok(&ctx.aloft(&["lock", "manifests/fpm.yaml"]));
    assert_eq!(ctx.lock_text("fpm"), first);
}

/// A lock is a file to commit: 0644 whatever the umask (the temp file it is renamed from
/// is made 0600).
#[test]
fn the_lock_is_readable_by_all_under_a_strict_umask() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    let output = ctx
        .command("sh")
        .arg("-c")
        .arg("umask 077; exec \"$0\" lock manifests/cli.yaml")
        .arg(env!("CARGO_BIN_EXE_aloft"))
        .output()
        .unwrap();
    ok(&output);
    let mode = std::fs::metadata(ctx.path("lockfiles/cli.lock.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn offline_uses_the_cache_and_fails_without_it() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "");
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml", "--offline"]),
        &["not in the cache", "--offline"],
    );
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    let online = ctx.lock_text("cli");
    ctx.server.clear_requests();
    std::fs::remove_file(ctx.path("lockfiles/cli.lock.json")).unwrap();
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--offline"]));
    assert!(
        ctx.server.requests().is_empty(),
        "{:?}",
        ctx.server.requests()
    );
    assert_eq!(ctx.lock_text("cli"), online);
    // Default archs are amd64 only; arm64 would need its own lock.
    assert_eq!(
        locked_names(&online, "amd64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.11-1", "tzdata=2025b-4"]
    );
}

#[test]
fn locked_flag_rejects_missing_and_stale_locks() {
    let ctx = Ctx::new();
    let manifest = ctx.manifest("cli", &["php8.4-cli"], "");
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml", "--locked"]),
        &["has no lockfile", "cli.yaml", "--locked"],
    );
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--locked"]));
    // Configuration changes do not make a lock stale; package changes do.
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}cmd: -v\n")).unwrap();
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--locked"]));
    std::fs::write(&manifest, text.replace("php8.4-cli", "php8.4-cli, top")).unwrap();
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml", "--locked"]),
        &["is stale", "cli.yaml"],
    );
}

#[test]
fn resolution_errors_name_packages_and_chains() {
    let ctx = Ctx::new();
    ctx.manifest("typo", &["php8.4-fmp"], "archs: [amd64]\n");
    fails_with(
        &ctx.aloft(&["lock", "manifests/typo.yaml"]),
        &[
            "`php8.4-fmp` is not in any repository",
            "did you mean",
            "php8.4-fpm",
        ],
    );
    ctx.manifest("chain", &["top"], "archs: [amd64]\n");
    fails_with(
        &ctx.aloft(&["lock", "manifests/chain.yaml"]),
        &["top 1 -> middle 1", "bottom (>= 2)"],
    );
    ctx.manifest(
        "conflict",
        &["systemd", "systemd-standalone-tmpfiles"],
        "archs: [amd64]\n",
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/conflict.yaml"]),
        &[
            "Conflict",
            "systemd-standalone-tmpfiles 257.8-1",
            "Conflicts: systemd",
        ],
    );
    assert!(
        !ctx.path("lockfiles/conflict.lock.json").exists(),
        "nothing half-written"
    );
}

#[test]
fn manifest_errors_name_file_line_and_field() {
    let ctx = Ctx::new();
    std::fs::create_dir_all(ctx.path("manifests")).unwrap();
    std::fs::write(
        ctx.path("manifests/bad.yaml"),
        "contents:\n  packages: [a1]\n  pakages: [b1]\n",
    )
    .unwrap();
    fails_with(
        &ctx.aloft(&["lock", "manifests/bad.yaml"]),
        &["bad.yaml:3", "pakages"],
    );
    std::fs::write(ctx.path("manifests/bad.yaml"), "contents: [\n").unwrap();
    fails_with(&ctx.aloft(&["lock", "manifests/bad.yaml"]), &["bad.yaml:"]);
    fails_with(
        &ctx.aloft(&["lock", "manifests/none.yaml"]),
        &["Cannot read manifest", "none.yaml"],
    );
}

#[test]
fn official_archives_are_checked_against_the_shipped_debian_keys() {
    let ctx = Ctx::new();
    let path = ctx.path("manifests/official.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "contents:\n  repositories: [{archive: debian, suite: trixie}]\n  packages: [tzdata]\n",
    )
    .unwrap();
    // The fixture is signed with a test key, not Debian's: that must be refused.
    let mirror = format!("--mirror={}", ctx.server.url());
    fails_with(
        &ctx.aloft(&["lock", "manifests/official.yaml", &mirror]),
        &[
            "Bad or missing signature",
            "/dists/trixie/InRelease",
            "unknown key",
            "04B54C3CDCA79751B16BC6B5225629DF75B188BD",
        ],
    );
    // Without any mirror, the message saying how to set one is asserted in aloft-fetch's
    // mirror tests (this machine's apt sources always supply one).
}

#[test]
fn wrong_key_and_tampered_release_are_refused() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "");
    let other = aloft_test::TestKey::new("someone else", 99);
    std::fs::write(ctx.path("keys/archive.asc"), other.public_armored()).unwrap();
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &[
            "Bad or missing signature",
            "InRelease",
            &other.fingerprint(),
        ],
    );
    std::fs::copy(ctx.repo.keyring_path(), ctx.path("keys/archive.asc")).unwrap();
    let inrelease = ctx.repo.root().join("dists/trixie/InRelease");
    let text = std::fs::read_to_string(&inrelease).unwrap();
    std::fs::write(
        &inrelease,
        text.replace("Codename: trixie", "Codename: trixiE"),
    )
    .unwrap();
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &["Bad or missing signature", "BAD signature"],
    );
}

#[test]
fn expired_release_is_refused_unless_allowed() {
    let mut options = SuiteOptions::new("trixie");
    options.date = SystemTime::now() - Duration::from_secs(30 * 86_400);
    options.valid_until = Some(SystemTime::now() - Duration::from_secs(23 * 86_400));
    let ctx = Ctx::with_suite(options);
    ctx.manifest("cli", &["php8.4-cli"], "");
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &["expired", "--allow-expired-release"],
    );
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--allow-expired-release"]));
}

/// bookworm's genuinely signed Release served under `dists/trixie/`: a downgrade.
#[test]
fn another_suites_release_under_this_name_is_refused_unless_allowed() {
    let ctx = Ctx::new();
    let mut bookworm = SuiteOptions::new("bookworm");
    bookworm.suite = "oldstable".to_owned();
    ctx.repo.add_suite(&bookworm, &packages());
    let dists = ctx.repo.root().join("dists");
    std::fs::remove_dir_all(dists.join("trixie")).unwrap();
    std::fs::rename(dists.join("oldstable"), dists.join("trixie")).unwrap();
    ctx.manifest("cli", &["php8.4-cli"], "");
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &[
            "/dists/trixie/InRelease` is the Release of Suite: oldstable, Codename: bookworm, not of `trixie`",
            "--allow-other-suite",
        ],
    );
    assert!(!ctx.path("lockfiles/cli.lock.json").exists());
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--allow-other-suite"]));
}

/// A Release older than the lock's: apt's rollback protection, for `lock` and
/// `lock --upgrade` alike.
#[test]
fn a_release_older_than_the_locks_is_refused_unless_allowed() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    let lock = ctx.lock_text("cli");
    let mut older = SuiteOptions::new("trixie");
    older.date = SystemTime::now() - Duration::from_secs(2 * 86_400);
    ctx.repo.add_suite(&older, &packages());
    for extra in [&[][..], &["--upgrade"][..]] {
        let mut args = vec!["lock", "manifests/cli.yaml"];
        args.extend_from_slice(extra);
        fails_with(
            &ctx.aloft(&args),
            &[
                "Repository `",
                "the Release is dated",
                "before the",
                "of the one the lock was made from",
                "--allow-older-release",
            ],
        );
        assert_eq!(ctx.lock_text("cli"), lock, "{extra:?}");
    }
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--allow-older-release"]));
    assert_ne!(ctx.lock_text("cli"), lock, "the older Release is recorded");
}

#[test]
fn corrupt_index_is_a_hash_mismatch_and_nothing_is_cached() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    let hash = corrupt_amd64_index_once(&ctx);
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &["does not match its Release", "expected sha256", &hash],
    );
    assert!(!ctx.path("lockfiles/cli.lock.json").exists());
    // The next run fetches again and succeeds.
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
}

#[test]
fn server_errors_are_retried_and_404_names_the_url() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    ctx.server
        .fault("/dists/trixie/InRelease", Fault::Status(500), 2);
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    let hits = ctx
        .server
        .requests()
        .iter()
        .filter(|r| r.as_str() == "/dists/trixie/InRelease")
        .count();
    assert_eq!(hits, 3);
    // A suite that does not exist: InRelease and Release are 404.
    let text = std::fs::read_to_string(ctx.path("manifests/cli.yaml"))
        .unwrap()
        .replace("suite: trixie", "suite: bookworm");
    std::fs::write(ctx.path("manifests/cli.yaml"), text).unwrap();
    fails_with(
        &ctx.aloft(&["lock", "manifests/cli.yaml"]),
        &["Not found (404)", "/dists/bookworm/Release"],
    );
}

#[test]
fn unreachable_mirror_is_reported() {
    let ctx = Ctx::new();
    let path = ctx.path("manifests/dead.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "contents:\n  repositories: [{url: 'http://127.0.0.1:9', suite: trixie, keyring: ../keys/archive.asc}]\n  packages: [tzdata]\n").unwrap();
    let out = ctx.aloft_with(
        &["lock", "manifests/dead.yaml"],
        &[("ALOFT_HTTP_BACKOFF_MS", "1"), ("ALOFT_HTTP_ATTEMPTS", "2")],
    );
    fails_with(
        &out,
        &[
            "Cannot download",
            "127.0.0.1:9/dists/trixie/InRelease",
            "after 2 attempts",
        ],
    );
}

#[test]
fn release_gpg_is_used_when_there_is_no_inrelease() {
    let mut options = SuiteOptions::new("trixie");
    options.inrelease = false;
    let ctx = Ctx::with_suite(options);
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64, arm64]\n");
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    let text = ctx.lock_text("cli");
    assert_eq!(
        locked_names(&text, "arm64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.11-1", "tzdata=2025b-4"]
    );
}

#[test]
fn upgrade_package_moves_one_package() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    // The archive moves on: new php and tzdata.
    let mut newer = packages();
    newer.push(
        FixturePackage::new("php8.4-cli", "8.4.12-1")
            .pre_depends("libc6")
            .depends("tzdata"),
    );
    newer.push(FixturePackage::new("tzdata", "2025c-1").arch("all"));
    ctx.repo.add_suite(&SuiteOptions::new("trixie"), &newer);
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    assert_eq!(
        locked_names(&ctx.lock_text("cli"), "amd64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.11-1", "tzdata=2025b-4"]
    );
    ok(&ctx.aloft(&[
        "lock",
        "manifests/cli.yaml",
        "--upgrade-package",
        "php8.4-cli",
    ]));
    assert_eq!(
        locked_names(&ctx.lock_text("cli"), "amd64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.12-1", "tzdata=2025b-4"]
    );
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--upgrade"]));
    assert_eq!(
        locked_names(&ctx.lock_text("cli"), "amd64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.12-1", "tzdata=2025c-1"]
    );
}

#[test]
fn lock_path_follows_the_project_root_or_sits_beside_the_manifest() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    assert!(ctx.path("lockfiles/cli.lock.json").exists());
    std::fs::remove_file(ctx.path("aloft.toml")).unwrap();
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    assert!(ctx.path("manifests/cli.lock.json").exists());
    ok(&ctx.aloft(&[
        "lock",
        "manifests/cli.yaml",
        "--lockfile",
        "elsewhere/x.json",
    ]));
    assert!(ctx.path("elsewhere/x.json").exists());
}

#[test]
fn an_arch_behind_on_a_source_version_is_named() {
    let mut behind = packages();
    // The archive has built php8.4 8.4.12-1 for amd64 only (and its `all` data).
    behind.push(
        FixturePackage::new("php8.4-cli", "8.4.12-1")
            .pre_depends("libc6")
            .depends("tzdata"),
    );
    let ctx = Ctx::with_packages(&SuiteOptions::new("trixie"), &behind);
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64, arm64]\n");
    let output = ctx.aloft(&["lock", "manifests/cli.yaml"]);
    ok(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "source `php8.4-cli` is 8.4.12-1 for amd64, 8.4.11-1 for arm64: arm64 lacks 8.4.12-1 in the indexes"
        ),
        "{stderr}"
    );
    let text = ctx.lock_text("cli");
    assert_eq!(
        locked_names(&text, "amd64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.12-1", "tzdata=2025b-4"]
    );
    assert_eq!(
        locked_names(&text, "arm64"),
        ["libc6=2.41-12", "php8.4-cli=8.4.11-1", "tzdata=2025b-4"]
    );
    // Matching architectures say nothing.
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64, arm64]\n");
    let output = ctx.aloft(&["lock", "manifests/cli.yaml"]);
    ok(&output);
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("lacks"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn diff_shows_what_a_lock_bump_changes() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml"]));
    std::fs::copy(
        ctx.path("lockfiles/cli.lock.json"),
        ctx.path("old.lock.json"),
    )
    .unwrap();
    let same = ctx.aloft(&["diff", "old.lock.json", "lockfiles/cli.lock.json"]);
    ok(&same);
    assert_eq!(
        String::from_utf8_lossy(&same.stdout),
        "No differences: the same packages from the same Releases.\n"
    );
    // The archive moves on: php gets a new version and a new dependency; tzdata leaves.
    let mut newer: Vec<FixturePackage> = packages()
        .into_iter()
        .filter(|p| !p.control().starts_with("Package: php8.4-cli\n"))
        .collect();
    newer.push(
        FixturePackage::new("php8.4-cli", "8.4.12-1")
            .field("Source", "php8.4")
            .pre_depends("libc6")
            .depends("bottom (>= 1)"),
    );
    ctx.repo.add_suite(&SuiteOptions::new("trixie"), &newer);
    ok(&ctx.aloft(&["lock", "manifests/cli.yaml", "--upgrade"]));
    let output = ctx.aloft(&["diff", "old.lock.json", "lockfiles/cli.lock.json"]);
    ok(&output);
    let text = String::from_utf8_lossy(&output.stdout);
    for line in [
        "amd64: 1 added, 1 removed, 1 changed\n",
        "  + bottom 1 (source bottom 1)\n",
        "  - tzdata 2025b-4 (source tzdata 2025b-4)\n",
        "  ~ php8.4-cli 8.4.11-1 -> 8.4.12-1 (source php8.4 8.4.12-1)\n",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    assert!(text.starts_with("repository "), "{text}");
    let json = ctx.aloft(&["diff", "old.lock.json", "lockfiles/cli.lock.json", "--json"]);
    ok(&json);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value["archs"]["amd64"]["changed"][0]["new_version"],
        "8.4.12-1"
    );
    // A lock that is not one: named.
    std::fs::write(ctx.path("bad.lock.json"), "{").unwrap();
    fails_with(
        &ctx.aloft(&["diff", "bad.lock.json", "old.lock.json"]),
        &["bad.lock.json"],
    );
}

/// A manifest using the fixture's `trixie` and `trixie-security` suites.
fn two_suite_manifest(ctx: &Ctx) {
    let text = format!(
        "contents:\n  repositories:\n    - {{url: {url}, suite: trixie, keyring: ../keys/archive.asc}}\n    - {{url: {url}, suite: trixie-security, keyring: ../keys/archive.asc}}\n  packages: [php8.4-cli]\narchs: [amd64, arm64]\n",
        url = ctx.server.url()
    );
    std::fs::create_dir_all(ctx.path("manifests")).unwrap();
    std::fs::write(ctx.path("manifests/web.yaml"), text).unwrap();
}

#[test]
fn outdated_names_updates_and_security_updates_by_exit_status() {
    let ctx = Ctx::new();
    ctx.repo.add_suite(
        &SuiteOptions::new("trixie-security"),
        &[FixturePackage::new("bottom", "1")],
    );
    two_suite_manifest(&ctx);
    ok(&ctx.aloft(&["lock", "manifests/web.yaml"]));
    let lock_before = ctx.lock_text("web");

    let current = ctx.aloft(&["outdated", "manifests/web.yaml"]);
    assert_eq!(
        current.status.code(),
        Some(0),
        "{}",
        common::stderr(&current)
    );
    assert!(String::from_utf8_lossy(&current.stdout).contains("up to date"));

    // A regular update in trixie: exit 2.
    let mut newer = packages();
    newer.push(FixturePackage::new("tzdata", "2025c-1").arch("all"));
    ctx.repo.add_suite(&SuiteOptions::new("trixie"), &newer);
    let regular = ctx.aloft(&["outdated", "manifests/web.yaml"]);
    assert_eq!(
        regular.status.code(),
        Some(2),
        "{}",
        common::stderr(&regular)
    );
    let text = String::from_utf8_lossy(&regular.stdout);
    assert!(
        text.contains("  tzdata 2025b-4 -> 2025c-1 (tzdata 2025c-1; ")
            && text.contains("[amd64, arm64]"),
        "{text}"
    );
    assert!(text.contains("0 from a security suite"), "{text}");

    // A security update of php in trixie-security: exit 3.
    ctx.repo.add_suite(
        &SuiteOptions::new("trixie-security"),
        &[
            FixturePackage::new("php8.4-cli", "8.4.11-1+deb13u1")
                .pre_depends("libc6")
                .depends("tzdata"),
            FixturePackage::new("php8.4-cli", "8.4.11-1+deb13u1")
                .arch("arm64")
                .pre_depends("libc6")
                .depends("tzdata"),
        ],
    );
    let security = ctx.aloft(&["outdated", "manifests/web.yaml", "--json"]);
    assert_eq!(
        security.status.code(),
        Some(3),
        "{}",
        common::stderr(&security)
    );
    let report: serde_json::Value = serde_json::from_slice(&security.stdout).unwrap();
    assert_eq!(report["up_to_date"], false);
    assert_eq!(report["security_updates"], 1);
    let php = report["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "php8.4-cli")
        .unwrap();
    assert_eq!(php["locked"], "8.4.11-1");
    assert_eq!(php["candidate"], "8.4.11-1+deb13u1");
    assert_eq!(php["security"], true);
    assert_eq!(php["archs"], serde_json::json!(["amd64", "arm64"]));
    // Nothing was written.
    assert_eq!(ctx.lock_text("web"), lock_before);
    // `lock --upgrade` takes them.
    ok(&ctx.aloft(&["lock", "manifests/web.yaml", "--upgrade"]));
    let after = ctx.aloft(&["outdated", "manifests/web.yaml"]);
    assert_eq!(after.status.code(), Some(0), "{}", common::stderr(&after));
}
