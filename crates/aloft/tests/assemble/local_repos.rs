//! Local repositories (`path:`): a directory of the user's .debs, or a flat repository,
//! beside the archive; preferred over it, recorded in the lock by hash, and refused when
//! broken, naming the file.

use std::path::Path;

use aloft_test::FixturePackage;
use aloft_test::oci::Image;

use crate::common::{Ctx, fails_with, lock_json, ok, stderr};
use crate::{ctx, ctx_with};

fn sha256(bytes: &[u8]) -> String {
    aloft_fetch::sha256_hex(bytes)
}

/// The user's own build of `hello`, older than the archive's 1.0, with a file of its own.
fn own_hello() -> FixturePackage {
    own_hello_with(b"#!own build\n")
}

fn own_hello_with(tool: &[u8]) -> FixturePackage {
    FixturePackage::new("hello", "0.9+own1")
        .depends("base-files")
        .file("usr/bin/own-tool", tool, 0o755)
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A manifest with the fixture archive and `local` (YAML of one repository entry).
fn manifest(ctx: &Ctx, name: &str, packages: &[&str], local: &str) {
    ctx.manifest(name, packages, "archs: [amd64]\n");
    let path = ctx.path(&format!("manifests/{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("  packages:", &format!("    - {local}\n  packages:"));
    std::fs::write(path, text).unwrap();
}

fn locked<'a>(lock: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not locked: {lock}"))
}

#[test]
fn a_directory_of_debs_is_preferred_over_the_archive_and_locked_by_hash() {
    let ctx = ctx();
    let deb = own_hello().deb();
    write(&ctx.path("debs/hello_0.9+own1_amd64.deb"), &deb);
    manifest(&ctx, "app", &["hello"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let text = ctx.lock_text("app");
    let lock = lock_json(&text);
    let own = lock["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "own")
        .unwrap();
    // Relative to the lockfile's directory (lockfiles/), never absolute; no Release.
    assert_eq!(own["path"], "../debs", "{text}");
    assert!(own.get("date").is_none() && own.get("inrelease_sha256").is_none());
    assert_eq!(own["signed_by"], serde_json::json!([]));
    let hello = locked(&lock, "hello");
    assert_eq!(hello["version"], "0.9+own1");
    assert_eq!(hello["repository"], "own");
    assert_eq!(hello["pool_path"], "hello_0.9+own1_amd64.deb");
    assert_eq!(hello["sha256"], sha256(&deb));
    assert_eq!(hello["size"], deb.len());
    // Its dependency comes from the archive, as any other.
    assert_eq!(locked(&lock, "base-files")["repository"], "trixie");
    assert!(!text.contains(&ctx.project.path().display().to_string()));

    ok(&ctx.aloft(&["assemble", "manifests/app.yaml", "-o", "app.tar", "-q"]));
    let image = Image::archive(&ctx.path("app.tar"));
    let platform = image.platform();
    assert_eq!(
        platform.layer("hello").text("usr/bin/own-tool"),
        "#!own build\n"
    );
    // `--offline` needs nothing from the network for the local package, and the same
    // lock gives the same image.
    ok(&ctx.aloft(&[
        "assemble",
        "manifests/app.yaml",
        "--locked",
        "--offline",
        "-o",
        "again.tar",
        "-q",
    ]));
    assert_eq!(
        Image::archive(&ctx.path("again.tar")).digest(),
        image.digest()
    );
}

#[test]
fn outdated_reports_local_packages_as_local_and_a_lock_with_an_absolute_path_is_refused() {
    let ctx = ctx();
    write(&ctx.path("debs/hello.deb"), &own_hello().deb());
    manifest(&ctx, "app", &["hello"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let output = ctx.aloft(&["outdated", "manifests/app.yaml"]);
    ok(&output);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("up to date") && out.contains("hello 0.9+own1 (own): local, kept as built"),
        "{out}"
    );

    let lock_path = ctx.path("lockfiles/app.lock.json");
    let text = ctx.lock_text("app");
    let home = ctx.path("debs").display().to_string();
    std::fs::write(
        &lock_path,
        text.replace("\"../debs\"", &format!("{home:?}")),
    )
    .unwrap();
    fails_with(
        &ctx.aloft(&["assemble", "manifests/app.yaml", "--locked", "-o", "x.tar"]),
        &[
            "app.lock.json",
            "repositories: `own`",
            "never a URL or an absolute path",
        ],
    );
}

#[test]
fn a_pin_in_the_manifest_takes_the_archive_version_over_the_local_one() {
    let ctx = ctx();
    write(&ctx.path("debs/hello.deb"), &own_hello().deb());
    manifest(&ctx, "app", &["hello=1.0"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let lock = lock_json(&ctx.lock_text("app"));
    assert_eq!(locked(&lock, "hello")["version"], "1.0");
    assert_eq!(locked(&lock, "hello")["repository"], "trixie");
}

#[test]
fn local_packages_resolve_as_any_other_provides_and_conflicts_included() {
    let ctx = ctx();
    // `app` needs a virtual name that only the local `app-config` provides; `app-config`
    // conflicts with a package the manifest also asks for.
    let app = FixturePackage::new("app", "2.0")
        .depends("hello (>= 1.0), app-settings")
        .file("srv/app/run", b"run\n", 0o755);
    let config = FixturePackage::new("app-config", "2.0")
        .arch("all")
        .provides("app-settings")
        .conflicts("tzdata")
        .file("etc/app.conf", b"on\n", 0o644);
    write(&ctx.path("debs/sub/app_2.0_amd64.deb"), &app.deb());
    write(&ctx.path("debs/app-config_2.0_all.deb"), &config.deb());
    manifest(&ctx, "app", &["app"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let lock = lock_json(&ctx.lock_text("app"));
    assert_eq!(locked(&lock, "app")["pool_path"], "sub/app_2.0_amd64.deb");
    assert_eq!(locked(&lock, "app-config")["repository"], "own");
    // The archive's hello (1.0) satisfies `hello (>= 1.0)`: none is local.
    assert_eq!(locked(&lock, "hello")["repository"], "trixie");
    manifest(
        &ctx,
        "clash",
        &["app", "tzdata"],
        "{path: ../debs, name: own}",
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/clash.yaml"]),
        &["app-config", "tzdata"],
    );
}

#[test]
fn a_changed_local_deb_makes_the_lock_stale() {
    let ctx = ctx();
    let deb_path = ctx.path("debs/hello.deb");
    write(&deb_path, &own_hello().deb());
    manifest(&ctx, "app", &["hello"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["assemble", "manifests/app.yaml", "-o", "app.tar", "-q"]));
    let before = ctx.lock_text("app");
    // The user rebuilds the package: same version, other bytes.
    let rebuilt = own_hello_with(b"#!own build, fixed\n").deb();
    write(&deb_path, &rebuilt);
    for args in [
        &[
            "assemble",
            "manifests/app.yaml",
            "--locked",
            "-o",
            "x.tar",
            "-q",
        ][..],
        &["lock", "manifests/app.yaml", "--locked"][..],
    ] {
        let output = ctx.aloft(args);
        fails_with(
            &output,
            &[
                "is stale",
                "debs/hello.deb",
                "hello",
                "changed since it was locked",
            ],
        );
    }
    assert!(!ctx.path("x.tar").exists());
    assert_eq!(
        ctx.lock_text("app"),
        before,
        "a failed --locked wrote the lock"
    );
    // Without --locked the lock follows the new build.
    ok(&ctx.aloft(&["assemble", "manifests/app.yaml", "-o", "app.tar", "-q"]));
    let lock = lock_json(&ctx.lock_text("app"));
    assert_eq!(locked(&lock, "hello")["sha256"], sha256(&rebuilt));
    let image = Image::archive(&ctx.path("app.tar"));
    assert_eq!(
        image.platform().layer("hello").text("usr/bin/own-tool"),
        "#!own build, fixed\n"
    );
}

/// `Packages` as `dpkg-scanpackages .` writes it: `Filename: ./NAME`.
fn flat_index(entries: &[(&FixturePackage, &str, &[u8])]) -> String {
    entries
        .iter()
        .map(|(package, file, deb)| {
            format!(
                "{}Filename: ./{file}\nSize: {}\nSHA256: {}\n\n",
                package.control(),
                deb.len(),
                sha256(deb)
            )
        })
        .collect()
}

#[test]
fn a_flat_repository_signed_or_not() {
    let ctx = ctx();
    let own = own_hello();
    let deb = own.deb();
    write(&ctx.path("flat/pool/hello.deb"), &deb);
    let index = flat_index(&[(&own, "pool/hello.deb", &deb)]);
    write(&ctx.path("flat/Packages"), index.as_bytes());
    manifest(&ctx, "flat", &["hello"], "{path: ../flat}");
    ok(&ctx.aloft(&["lock", "manifests/flat.yaml"]));
    let lock = lock_json(&ctx.lock_text("flat"));
    assert_eq!(locked(&lock, "hello")["pool_path"], "pool/hello.deb");
    assert_eq!(locked(&lock, "hello")["repository"], "flat");

    // Signed: the Release must verify with the keyring and list the index's hash.
    let release = format!(
        "Origin: own\nDate: Thu, 01 Jan 2026 00:00:00 UTC\nSHA256:\n {} {} Packages\n",
        sha256(index.as_bytes()),
        index.len()
    );
    let signed = ctx
        .repo
        .key
        .sign_cleartext(&release, std::time::SystemTime::now());
    write(&ctx.path("flat/InRelease"), signed.as_bytes());
    manifest(
        &ctx,
        "signed",
        &["hello"],
        "{path: ../flat, keyring: ../keys/archive.asc, name: own}",
    );
    ok(&ctx.aloft(&["lock", "manifests/signed.yaml"]));
    let lock = lock_json(&ctx.lock_text("signed"));
    let own = &lock["repositories"][1];
    assert_eq!(own["signed_by"][0], ctx.repo.key.fingerprint());
    assert_eq!(own["inrelease_sha256"], sha256(signed.as_bytes()));
    assert_eq!(own["date"], "2026-01-01T00:00:00Z");

    // `Release` with a detached `Release.gpg` (what `apt-ftparchive release` plus
    // `gpg --detach-sign` make) verifies as well.
    std::fs::remove_file(ctx.path("flat/InRelease")).unwrap();
    write(&ctx.path("flat/Release"), release.as_bytes());
    let detached = ctx
        .repo
        .key
        .sign_detached(release.as_bytes(), std::time::SystemTime::now());
    write(&ctx.path("flat/Release.gpg"), &detached);
    ok(&ctx.aloft(&["lock", "manifests/signed.yaml"]));
    let lock = lock_json(&ctx.lock_text("signed"));
    assert_eq!(
        lock["repositories"][1]["inrelease_sha256"],
        sha256(release.as_bytes())
    );
    // A signature by another key is refused.
    let stranger = aloft_test::TestKey::new("Stranger <s@example.org>", 99);
    write(
        &ctx.path("flat/Release.gpg"),
        &stranger.sign_detached(release.as_bytes(), std::time::SystemTime::now()),
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/signed.yaml", "--lockfile", "other.json"]),
        &["flat/Release"],
    );
    std::fs::remove_file(ctx.path("flat/Release")).unwrap();
    std::fs::remove_file(ctx.path("flat/Release.gpg")).unwrap();
    write(&ctx.path("flat/InRelease"), signed.as_bytes());

    // An index that its Release does not vouch for is refused.
    write(&ctx.path("flat/Packages"), format!("{index}\n").as_bytes());
    fails_with(
        &ctx.aloft(&["lock", "manifests/signed.yaml", "--lockfile", "other.json"]),
        &["flat/Packages", "does not match its Release"],
    );
    assert!(!ctx.path("other.json").exists());
}

#[test]
fn broken_local_repositories_are_refused_naming_the_file_and_nothing_is_written() {
    let ctx = ctx();
    manifest(&ctx, "app", &["hello"], "{path: ../debs, name: own}");
    let lock_path = ctx.path("lockfiles/app.lock.json");
    let check = |needles: &[&str]| {
        let output = ctx.aloft(&["lock", "manifests/app.yaml"]);
        fails_with(&output, needles);
        assert!(!lock_path.exists(), "{}", stderr(&output));
    };

    // A .deb that is not one.
    write(&ctx.path("debs/broken.deb"), b"!<arch>\nnot a deb");
    check(&["debs/broken.deb", "not a readable .deb"]);
    // A .deb whose control paragraph has no Version.
    let no_version = aloft_test::build_deb("Package: hello\nArchitecture: amd64\n", &[]);
    write(&ctx.path("debs/broken.deb"), &no_version);
    check(&["debs/broken.deb", "Version"]);
    std::fs::remove_file(ctx.path("debs/broken.deb")).unwrap();

    // A link to a .deb outside the directory.
    write(&ctx.path("elsewhere/hello.deb"), &own_hello().deb());
    std::os::unix::fs::symlink(ctx.path("elsewhere/hello.deb"), ctx.path("debs/hello.deb"))
        .unwrap();
    check(&["debs/hello.deb", "outside the local repository"]);
    std::fs::remove_file(ctx.path("debs/hello.deb")).unwrap();

    // Flat: an entry pointing outside the directory, then one whose hash is not its file's.
    let own = own_hello();
    let deb = own.deb();
    write(&ctx.path("debs/hello.deb"), &deb);
    let outside = flat_index(&[(&own, "../elsewhere/hello.deb", &deb)]);
    write(&ctx.path("debs/Packages"), outside.as_bytes());
    check(&[
        "debs/Packages",
        "Filename: ../elsewhere/hello.deb",
        "not a plain relative path",
    ]);
    let other = own_hello_with(b"other\n").deb();
    let wrong_hash = flat_index(&[(&own, "hello.deb", &other)]);
    write(&ctx.path("debs/Packages"), wrong_hash.as_bytes());
    check(&[
        "debs/hello.deb",
        "does not match its entry in",
        "debs/Packages",
    ]);

    // The manifest: a missing directory, and `url:` + `path:` together.
    manifest(&ctx, "missing", &["hello"], "{path: ../nowhere}");
    fails_with(
        &ctx.aloft(&["lock", "manifests/missing.yaml"]),
        &["manifests/missing.yaml", "nowhere", "is not a directory"],
    );
    manifest(
        &ctx,
        "both",
        &["hello"],
        "{path: ../debs, url: http://x, suite: x}",
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/both.yaml"]),
        &["exactly one of"],
    );
}

#[test]
fn a_deb_built_with_dpkg_deb_installs() {
    let ctx = ctx_with(Vec::new());
    let root = ctx.path("build/myapp");
    write(
        &root.join("usr/share/myapp/hello.txt"),
        b"hello from my own .deb\n",
    );
    write(
        &root.join("DEBIAN/control"),
        b"Package: myapp\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Me <me@example.org>\nDepends: hello\nDescription: my app\n",
    );
    std::fs::create_dir_all(ctx.path("debs")).unwrap();
    let output = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(ctx.path("debs/myapp_1.0-1_all.deb"))
        .output()
        .expect("dpkg-deb (Debian's dpkg package) builds the user's .deb in this test");
    assert!(output.status.success(), "{output:?}");
    manifest(&ctx, "app", &["myapp"], "{path: ../debs, name: own}");
    ok(&ctx.aloft(&["assemble", "manifests/app.yaml", "-o", "app.tar", "-q"]));
    let image = Image::archive(&ctx.path("app.tar"));
    let platform = image.platform();
    assert_eq!(
        platform.layer("myapp").text("usr/share/myapp/hello.txt"),
        "hello from my own .deb\n"
    );
    let status = platform.layer("myapp").text("var/lib/dpkg/status.d/myapp");
    assert!(status.contains("Version: 1.0-1"), "{status}");
}
