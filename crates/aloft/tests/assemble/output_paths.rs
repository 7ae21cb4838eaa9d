//! Where aloft writes: never over a device or a directory, never over one of the build's
//! own inputs, and never from a manifest that is not a file with packages in it.

use super::*;

fn app_with_files() -> Ctx {
    let ctx = ctx();
    host_files(&ctx);
    ctx.manifest(
        "app",
        APP,
        "archs: [amd64]\nfiles:\n  - {source: ../host/static, path: /srv/static}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    ctx
}

#[test]
fn an_output_that_is_a_device_is_refused_and_left_alone() {
    let ctx = app_with_files();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "/dev/null", &["--locked"]),
        &["`/dev/null` exists and is not a regular file (a character device)"],
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn an_output_that_is_an_input_of_the_build_is_refused() {
    let ctx = app_with_files();
    let manifest = std::fs::read(ctx.path("manifests/app.yaml")).unwrap();
    let lock = ctx.lock_text("app");
    for (output, input) in [
        ("manifests/app.yaml", "manifests/app.yaml"),
        // The same file by another name.
        ("manifests/../manifests/app.yaml", "manifests/app.yaml"),
        ("lockfiles/app.lock.json", "lockfiles/app.lock.json"),
        ("keys/archive.asc", "keys/../keys/archive.asc"),
        ("aloft.toml", "aloft.toml"),
    ] {
        fails_with(
            &assemble(&ctx, "manifests/app.yaml", output, &["--locked"]),
            &[
                &format!("The output `{output}` would replace `"),
                "which this build of `manifests/app.yaml` reads",
            ],
        );
        assert!(ctx.path(input).exists());
    }
    fails_with(
        &assemble(
            &ctx,
            "manifests/app.yaml",
            "host/static/app.tar",
            &["--locked"],
        ),
        &["would be written into `", "host/static`"],
    );
    assert!(!ctx.path("host/static/app.tar").exists());
    assert_eq!(
        std::fs::read(ctx.path("manifests/app.yaml")).unwrap(),
        manifest
    );
    assert_eq!(ctx.lock_text("app"), lock);

    fails_with(
        &ctx.aloft(&[
            "lock",
            "manifests/app.yaml",
            "--lockfile",
            "manifests/app.yaml",
        ]),
        &["The lockfile `manifests/app.yaml` would replace `"],
    );
    assert_eq!(
        std::fs::read(ctx.path("manifests/app.yaml")).unwrap(),
        manifest
    );
}

#[test]
fn a_manifest_that_is_not_a_file_or_asks_for_nothing_is_refused() {
    let ctx = ctx();
    fails_with(
        &ctx.aloft(&["assemble", "/dev/null", "-o", "app.tar"]),
        &["`/dev/null` is not a regular file; a manifest is a YAML file"],
    );
    assert!(!Path::new("/dev/null.lock.json").exists());
    std::fs::create_dir_all(ctx.path("manifests")).unwrap();
    for (name, text) in [
        ("empty", ""),
        ("comment", "# nothing yet\n"),
        (
            "no-packages",
            &format!(
                "contents:\n  repositories:\n    - url: {}\n      suite: trixie\n      keyring: ../keys/archive.asc\n",
                ctx.server.url()
            ),
        ),
    ] {
        let path = format!("manifests/{name}.yaml");
        std::fs::write(ctx.path(&path), text).unwrap();
        fails_with(
            &ctx.aloft(&["lock", &path]),
            &[&format!("`{path}` asks for no packages")],
        );
        assert!(!ctx.path(&format!("lockfiles/{name}.lock.json")).exists());
    }
    fails_with(
        &ctx.aloft(&["lock", "manifests"]),
        &["`manifests` is not a regular file"],
    );
}

/// `paths:` and `files:` that contradict each other or a package: refused with both
/// sides named, instead of a layer holding one path twice.
#[test]
fn paths_and_files_that_contradict_each_other_or_a_package_are_refused() {
    let ctx = ctx();
    write_mode(&ctx.path("host/app.conf"), b"x = 1\n", 0o644);
    let cases: [(&str, &[&str]); 5] = [
        (
            "paths:\n  - {path: /data/f, type: empty-file}\n  - {path: /data/f/sub, type: directory}\n",
            &[
                "`/data/f`: `paths:` at manifests/clash.yaml:",
                "makes it a file, and `paths:` at manifests/clash.yaml:",
                "puts a directory at `/data/f/sub` below it",
            ],
        ),
        (
            "paths:\n  - {path: /srv/app.conf, type: directory}\nfiles:\n  - {source: ../host/app.conf, path: /srv/app.conf}\n",
            &[
                // `files:` are applied first, then `paths:`.
                "`/srv/app.conf`: `files:` at manifests/clash.yaml:11:5 makes it a file, and `paths:` at manifests/clash.yaml:9:5 makes it a directory",
            ],
        ),
        (
            "paths:\n  - {path: /loop, type: symlink, source: /loop}\n  - {path: /loop/x, type: directory}\n",
            &["`/loop`: `paths:` at", "makes it a symbolic link, and"],
        ),
        (
            "paths:\n  - {path: /etc/passwd/x, type: directory}\n",
            &[
                "`/etc/passwd`: aloft (accounts",
                "makes it a file, and `paths:` at",
            ],
        ),
        (
            "files:\n  - {source: ../host/app.conf, path: /usr/bin/pinger/app.conf}\n",
            &[
                "`/usr/bin/pinger`: package `hello` ships it as a file, and `files:` at",
                "puts a file at `/usr/bin/pinger/app.conf` below it",
            ],
        ),
    ];
    for (extra, needles) in cases {
        ctx.manifest("clash", APP, &format!("archs: [amd64]\n{extra}"));
        fails_with(
            &assemble(&ctx, "manifests/clash.yaml", "clash.tar", &[]),
            needles,
        );
        assert!(!ctx.path("clash.tar").exists(), "{extra}");
    }
}

/// `files:` copies the project's files, not the host's: a source outside the project
/// (by `..` or through a link among its parents) needs `--allow-outside-files`.
#[test]
fn files_from_outside_the_project_need_a_flag() {
    let ctx = ctx();
    let outside = tempfile::tempdir().unwrap();
    write_mode(&outside.path().join("secret"), b"not for images\n", 0o600);
    std::fs::create_dir_all(ctx.path("host")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ctx.path("host/escape")).unwrap();
    let relative = pathdiff_from_manifests(&ctx, &outside.path().join("secret"));
    for source in [relative.as_str(), "../host/escape/secret"] {
        ctx.manifest(
            "app",
            APP,
            &format!("archs: [amd64]\nfiles:\n  - {{source: {source}, path: /etc/secret}}\n"),
        );
        fails_with(
            &assemble(&ctx, "manifests/app.yaml", "app.tar", &[]),
            &[
                "manifests/app.yaml:",
                &format!("`files:` source `{source}` is outside the project"),
                "--allow-outside-files",
            ],
        );
        assert!(!ctx.path("app.tar").exists());
        digest_line(&assemble(
            &ctx,
            "manifests/app.yaml",
            "app.tar",
            &["--allow-outside-files"],
        ));
        std::fs::remove_file(ctx.path("app.tar")).unwrap();
    }
}

/// A manifest elsewhere (no project of its own) may include a base from a project, and
/// the base's `files:` come from the base's project.
#[test]
fn an_included_base_copies_files_from_its_own_project() {
    let ctx = app_with_host_conf(
        "archs: [amd64]\nfiles:\n  - {source: ../host/app.conf, path: /etc/app.conf}\n",
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let top = elsewhere.path().join("top.yaml");
    std::fs::write(
        &top,
        format!("include: [{}]\n", ctx.path("manifests/app.yaml").display()),
    )
    .unwrap();
    let out = elsewhere.path().join("top.tar");
    digest_line(&ctx.aloft(&[
        "assemble",
        top.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]));
}

/// A project whose `host/app.conf` exists, with manifest `app` (APP and `extra`).
fn app_with_host_conf(extra: &str) -> Ctx {
    let ctx = ctx();
    write_mode(&ctx.path("host/app.conf"), b"x = 1\n", 0o644);
    ctx.manifest("app", APP, extra);
    ctx
}

/// `path` relative to the project's `manifests/` directory (`../../..../secret`).
fn pathdiff_from_manifests(ctx: &Ctx, path: &Path) -> String {
    let depth = ctx.path("manifests").components().count() - 1;
    format!(
        "{}{}",
        "../".repeat(depth),
        path.strip_prefix("/").unwrap().display()
    )
}

/// A host file whose name has a line break cannot be listed in status.d's md5sums.
#[test]
fn files_with_a_line_break_in_the_name_are_refused() {
    let ctx = ctx();
    write_mode(&ctx.path("host/static/a\nb.html"), b"x\n", 0o644);
    ctx.manifest(
        "app",
        APP,
        "archs: [amd64]\nfiles:\n  - {source: ../host/static, path: /srv/static}\n",
    );
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &[]),
        &[
            "manifests/app.yaml:",
            "host/static/a\\nb.html",
            "a line break in the name",
        ],
    );
    assert!(!ctx.path("app.tar").exists());
}

/// What does not contradict is resolved as the kernel would: a file written below a
/// `paths:` link lands where the link points, once, and the link stays a link.
#[test]
fn a_file_below_a_link_lands_where_the_link_points_once() {
    let ctx = app_with_host_conf(
        "archs: [amd64]\npaths:\n  - {path: /srv/data, type: directory}\n  - {path: /data, type: symlink, source: /srv/data}\nfiles:\n  - {source: ../host/app.conf, path: /data/app.conf}\n",
    );
    digest_line(&assemble(&ctx, "manifests/app.yaml", "app.tar", &[]));
    let image = read_archive(&ctx.path("app.tar"));
    let platform = image.platform();
    let last = platform.final_layer();
    let paths = last.paths();
    let unique: BTreeSet<&str> = paths.iter().copied().collect();
    assert_eq!(unique.len(), paths.len(), "a path twice: {paths:?}");
    assert_eq!(last.text("srv/data/app.conf"), "x = 1\n");
    assert!(last.find("data/app.conf").is_none(), "{paths:?}");
    assert!(last.find("data").is_some());
}
