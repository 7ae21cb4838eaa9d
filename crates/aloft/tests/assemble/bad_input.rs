//! Bad input: clear errors naming the package, file or URL, and nothing half-written.

use super::*;

// 4. Bad input: clear errors, nothing half-written

/// `assemble manifests/app.yaml -o app.tar --locked` with `env` set.
fn assemble_app_with(ctx: &Ctx, env: &[(&str, &str)]) -> Output {
    ctx.aloft_with(
        &[
            "assemble",
            "manifests/app.yaml",
            "-o",
            "app.tar",
            "--locked",
        ],
        env,
    )
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

/// A server that stops answering: the attempt is given up after ALOFT_HTTP_TIMEOUT (1 s
/// here; the server holds its answer 3 s) and retried, instead of hanging for minutes.
#[test]
fn a_stalled_server_times_out_and_is_retried() {
    let ctx = locked_app();
    let (hello, _) = pool(&ctx, "hello");
    ctx.server
        .fault(&hello, Fault::Delay(std::time::Duration::from_secs(3)), 1);
    let output = assemble_app_with(&ctx, &[("ALOFT_HTTP_TIMEOUT", "1")]);
    let digest = digest_line(&output);
    assert_eq!(requests_of(&ctx.server, &hello), 2);
    let text = stderr(&output);
    assert!(
        text.contains("download failed; retrying") && text.contains("imeout"),
        "{text}"
    );
    assert_eq!(digest, clean_digest(&ctx));
}

/// A job count is bounded: thousands of connections at once would fail on DNS and
/// sockets, not on the count.
#[test]
fn job_counts_outside_one_to_sixty_four_are_refused() {
    let ctx = locked_app();
    for (flag, env) in [(Some("10000"), None), (Some("0"), None), (None, Some("65"))] {
        let mut args = vec!["assemble", "manifests/app.yaml", "-o", "app.tar"];
        if let Some(jobs) = flag {
            args.extend(["--jobs", jobs]);
        }
        let vars: Vec<(&str, &str)> = env.map(|jobs| ("ALOFT_JOBS", jobs)).into_iter().collect();
        let output = ctx.aloft_with(&args, &vars);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("not in 1..=64"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!ctx.path("app.tar").exists());
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--jobs", "64"],
    ));
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
    insta::assert_snapshot!(
        "deb_does_not_match_the_lock",
        failure(
            &ctx,
            &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"])
        )
    );
    assert_eq!(requests_of(&ctx.server, &hello), 1);
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
    assert_eq!(requests_of(&ctx.server, &hello), 2);
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
    let output = assemble_app_with(&ctx, &[("ALOFT_HTTP_ATTEMPTS", "2")]);
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
        FixturePackage::new("dangling", "1.0").entry(DebFile::new(
            "usr/bin/tool2",
            DebEntryKind::Hardlink("./usr/bin/tool".into()),
            0o755,
        )),
        FixturePackage::new("newline", "1.0").file("usr/share/newline/a\nb", b"x", 0o644),
        FixturePackage::new("tolink", "1.0")
            .entry(DebFile::new("usr/bin", DebEntryKind::Dir, 0o755))
            .entry(DebFile::new(
                "usr/bin/ln-to-dir",
                DebEntryKind::Hardlink("./usr/bin".into()),
                0o755,
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
    refused(
        &ctx,
        "newline",
        &[
            "Package `newline` ships `usr/share/newline/a\\nb`",
            "a line break in the name (dpkg refuses such names",
        ],
    );
    for package in ["dangling", "tolink"] {
        refused(
            &ctx,
            package,
            &[
                &format!("Package `{package}` ships `usr/bin/"),
                "which is no regular file the package ships before it",
            ],
        );
    }
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
