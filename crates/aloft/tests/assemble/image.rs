//! The image as written: every layer, the config, the final layer, and rebuilds that
//! give the same bytes whatever the machine.

use super::*;

// 1. The image

#[test]
fn happy_path_image_holds_normalized_package_layers_and_the_final_layer() {
    let ctx = ctx();
    full_manifest(&ctx, "full");
    std::fs::create_dir_all(ctx.path("out")).unwrap();
    let tag = "registry.test/team/hello:1.0";
    let output = assemble(&ctx, "manifests/full.yaml", "out/full.tar", &["--tag", tag]);
    let digest = digest_line(&output);
    let lock = lock_json(&ctx.lock_text("full"));
    assert_eq!(lock["repositories"][0]["date"], RELEASE_DATE);

    let image = read_archive(&ctx.path("out/full.tar"));
    // The digest printed is the image index index.json points at.
    assert_eq!(image.digest(), digest);
    let index_json = image.index_json();
    assert_eq!(
        index_json["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "1.0"
    );
    assert_eq!(
        image.files["oci-layout"],
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = image.index();
    assert_eq!(
        index["annotations"]["org.opencontainers.image.title"],
        "hello"
    );
    let platform = image.platform();
    assert_eq!(
        platform.descriptor["platform"],
        json!({"architecture": "amd64", "os": "linux"})
    );

    // Docker's manifest.json: the tag, and the config and layers of that platform.
    let docker: Value = serde_json::from_slice(&image.files["manifest.json"]).unwrap();
    let config_hex = platform.manifest["config"]["digest"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap();
    let layer_paths: Vec<String> = platform
        .layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", l.digest.strip_prefix("sha256:").unwrap()))
        .collect();
    assert_eq!(
        docker,
        json!([{
            "Config": format!("blobs/sha256/{config_hex}"),
            "RepoTags": [tag],
            "Layers": layer_paths,
        }])
    );

    // Config.
    let config = &platform.config;
    assert_eq!(config["created"], RELEASE_DATE);
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["os"], "linux");
    assert_eq!(
        config["config"],
        json!({
            "User": "1000:1000",
            "Env": [format!("PATH={DEFAULT_PATH}"), "APP_MODE=prod", "TZ=UTC"],
            "Entrypoint": ["/usr/bin/tool", "--serve"],
            "Cmd": ["--port", "8080"],
            "WorkingDir": "/data",
            "Volumes": {"/data": {}},
            "ExposedPorts": {"8080/tcp": {}, "9090/udp": {}},
            "StopSignal": "SIGQUIT",
            "Labels": {
                "org.opencontainers.image.title": "hello",
                "org.opencontainers.image.version": "1.0",
            },
        })
    );
    // One layer per source package, then the final layer.
    let created_by: Vec<&str> = platform
        .layers
        .iter()
        .map(|l| l.created_by.as_str())
        .collect();
    assert_eq!(
        created_by,
        [
            "aloft: base-files: base-files",
            "aloft: base-passwd: base-passwd",
            "aloft: hello: hello",
            "aloft: tzdata: tzdata",
            "aloft: accounts, paths and files",
        ]
    );

    // Every header normalized: numeric ids only, mtimes clamped to the Release date (the
    // .debs' entries are newer, so every entry sits exactly at it; generated ones too).
    for layer in &platform.layers {
        for entry in &layer.entries {
            assert!(
                entry.uname.is_empty() && entry.gname.is_empty(),
                "{entry:?}"
            );
            assert!(
                entry.mtime <= EPOCH,
                "{} in {}",
                entry.path,
                layer.created_by
            );
            assert_eq!(entry.mtime, EPOCH, "{} in {}", entry.path, layer.created_by);
        }
    }

    // Merged /usr: base-files' links, and nothing installed at the legacy paths.
    let base = platform.layer("base-files");
    for (link, target) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("sbin", "usr/sbin")] {
        let entry = base.get(link);
        assert_eq!(entry.kind, tar::EntryType::Symlink);
        assert_eq!(entry.link.as_deref(), Some(target));
    }
    for layer in &platform.layers {
        for entry in &layer.entries {
            let first = entry.path.split('/').next().unwrap();
            assert!(
                !["bin", "lib", "sbin"].contains(&first) || layer.created_by.contains("base-files"),
                "`{}` in {}",
                entry.path,
                layer.created_by
            );
        }
    }

    let hello_layer = platform.layer("hello");
    let tool = hello_layer.get("usr/bin/tool");
    assert_eq!(tool.kind, tar::EntryType::Regular);
    assert_eq!(tool.mode, 0o4755, "setuid kept");
    assert_eq!(tool.data, b"#!tool\n");
    let wall = hello_layer.get("usr/bin/wall");
    assert_eq!((wall.uid, wall.gid, wall.mode), (0, 5, 0o2755));
    let pinger = hello_layer.get("usr/bin/pinger");
    assert_eq!(
        pinger.pax.get("SCHILY.xattr.security.capability"),
        Some(&CAPABILITY.to_vec()),
        "file capability kept"
    );
    let lib = hello_layer.get("usr/lib/x86_64-linux-gnu/libhello.so.1");
    assert_eq!(lib.data, b"lib\n");
    let link = hello_layer.get("usr/lib/x86_64-linux-gnu/libhello.so.1.0");
    assert_eq!(link.kind, tar::EntryType::Link);
    assert_eq!(
        link.link.as_deref(),
        Some("usr/lib/x86_64-linux-gnu/libhello.so.1")
    );
    assert_eq!(hello_layer.text("usr/share/hello/README"), "hello 1.0\n");
    // Slim by default: documentation and manual pages are left out, the copyright stays.
    assert_eq!(
        hello_layer.text("usr/share/doc/hello/copyright"),
        "License: MIT\n"
    );
    for gone in ["usr/share/doc/hello/README", "usr/share/man/man1/tool.1.gz"] {
        assert!(hello_layer.find(gone).is_none(), "{gone} is in the image");
    }

    // The dpkg records scanners read.
    assert_eq!(
        hello_layer.text("var/lib/dpkg/status.d/hello"),
        hello("1.0", "amd64").control()
    );
    assert_eq!(
        hello_layer.text("var/lib/dpkg/status.d/hello.md5sums"),
        "0123456789abcdef0123456789abcdef  usr/bin/tool\n\
         fedcba9876543210fedcba9876543210  usr/lib/x86_64-linux-gnu/libhello.so.1\n\
         8899aabbccddeeff0011223344556677  usr/share/doc/hello/copyright\n\
         aabbccddeeff00112233445566778899  usr/share/hello/README\n"
    );
    assert_eq!(
        platform
            .layer("tzdata")
            .text("var/lib/dpkg/status.d/tzdata"),
        tzdata().control()
    );

    // The final layer: accounts, home, paths and files.
    let last = platform.final_layer();
    assert_eq!(
        last.text("etc/passwd"),
        format!("{PASSWD_MASTER}app:*:1000:1000::/home/app:/usr/sbin/nologin\n")
    );
    assert_eq!(
        last.text("etc/group"),
        format!("{GROUP_MASTER}app:*:1000:\n")
    );
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular, Symlink};
    assert_eq!(meta("etc/passwd"), (Regular, 0o644, 0, 0));
    assert_eq!(meta("home/app"), (Directory, 0o755, 1000, 1000));
    assert_eq!(meta("data"), (Directory, 0o750, 1000, 1000));
    assert_eq!(meta("usr/bin/hello-tool"), (Symlink, 0o777, 0, 0));
    assert_eq!(last.get("usr/bin/hello-tool").link.as_deref(), Some("tool"));
    assert_eq!(meta("var/log/app.log"), (Regular, 0o640, 1000, 1000));
    assert!(last.get("var/log/app.log").data.is_empty());
    // `permissions:` on a package file: the file again, with the new owner and mode.
    assert_eq!(meta("usr/share/hello/README"), (Regular, 0o600, 1000, 1000));
    assert_eq!(last.text("usr/share/hello/README"), "hello 1.0\n");
    // `files:` a host file with mode and group, a host folder with owner.
    assert_eq!(meta("etc/app/app.conf"), (Regular, 0o640, 0, 1000));
    assert_eq!(last.text("etc/app/app.conf"), "listen = 8080\n");
    assert_eq!(meta("srv/static"), (Directory, 0o755, 1000, 1000));
    assert_eq!(meta("srv/static/index.html"), (Regular, 0o644, 1000, 1000));
    assert_eq!(last.text("srv/static/index.html"), "<h1>hi</h1>\n");
    assert_eq!(meta("srv/static/bin/run.sh"), (Regular, 0o755, 1000, 1000));
    // A directory a package layer has is written with that layer's owner and mode.
    assert_eq!(meta("etc"), (Directory, 0o755, 0, 0));
    assert_eq!(
        last.paths(),
        [
            "data",
            "etc",
            "etc/app",
            "etc/app/app.conf",
            "etc/group",
            "etc/localtime",
            "etc/passwd",
            "etc/timezone",
            "home",
            "home/app",
            "srv",
            "srv/static",
            "srv/static/bin",
            "srv/static/bin/run.sh",
            "srv/static/index.html",
            "usr",
            "usr/bin",
            "usr/bin/hello-tool",
            "usr/share",
            "usr/share/aloft",
            "usr/share/aloft/effects.json",
            "usr/share/hello",
            "usr/share/hello/README",
            "var",
            "var/log",
            "var/log/app.log",
        ]
    );

    // The same build as an OCI layout directory: the same blobs and index.json.
    let layout = assemble(&ctx, "manifests/full.yaml", "out/layout/", &["--tag", tag]);
    assert_eq!(digest_line(&layout), digest);
    let dir = Image::layout(&ctx.path("out/layout"));
    let mut archive_files = image.files.clone();
    archive_files.remove("manifest.json");
    assert_eq!(dir.files, archive_files);
}

// 2. Reproducibility

#[test]
fn rebuilds_are_byte_identical_whatever_the_cache_umask_zone_jobs_locale_paths_and_output() {
    let ctx = ctx();
    full_manifest(&ctx, "full");
    ok(&ctx.aloft(&["lock", "manifests/full.yaml"]));
    for dir in ["a", "b/deeper", "c"] {
        std::fs::create_dir_all(ctx.path(dir)).unwrap();
    }
    let run = |umask: &str, tz: &str, jobs: &str, cache: &str, out: &str| {
        assemble_in_env(
            &ctx,
            umask,
            tz,
            jobs,
            &[
                "manifests/full.yaml",
                "--locked",
                "-o",
                out,
                "--cache-dir",
                cache,
            ],
        )
    };
    // Cold cache.
    let first = run("022", "UTC", "1", "cache-1", "a/image.tar");
    let first_digest = digest_line(&first);
    assert!(
        stderr(&first).contains("4 layers (4 built, 0 from cache) + the final layer"),
        "{}",
        stderr(&first)
    );
    // The same cache, warm: every package layer comes from it; nothing is downloaded.
    ctx.server.clear_requests();
    let second = run("027", "XYZ-5:30", "2", "cache-1", "b/deeper/other.tar");
    assert_eq!(digest_line(&second), first_digest);
    let text = stderr(&second);
    assert!(
        text.contains("4 layers (0 built, 4 from cache) + the final layer")
            && text.contains("(0 .debs downloaded)"),
        "{text}"
    );
    assert!(
        ctx.server.requests().is_empty(),
        "{:?}",
        ctx.server.requests()
    );
    // A cold cache of its own, another umask, zone and job count.
    let third = run("077", "PST8PDT", "2", "cache-2", "c/x.tar");
    assert_eq!(digest_line(&third), first_digest);
    assert!(stderr(&third).contains("(4 .debs downloaded)"));

    // From another working directory, the manifest by absolute path, with TMPDIR and a
    // locale set, and a cold cache.
    std::fs::create_dir_all(ctx.path("tmp-elsewhere")).unwrap();
    let manifest = ctx.path("manifests/full.yaml");
    let fourth = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .current_dir(ctx.path("c"))
        .env("TMPDIR", ctx.path("tmp-elsewhere"))
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "tr_TR.UTF-8")
        .args([
            "assemble",
            "--locked",
            "-o",
            "y.tar",
            "--cache-dir",
            "../cache-3",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(digest_line(&fourth), first_digest);
    // The project copied to another path (a fresh clone elsewhere): the same image.
    let clone = tempfile::tempdir().unwrap();
    for rel in ["aloft.toml", "keys", "manifests", "lockfiles", "host"] {
        aloft_test::copy_tree(&ctx.path(rel), &clone.path().join(rel)).unwrap();
    }
    let fifth = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .current_dir(clone.path())
        .args(["assemble", "manifests/full.yaml", "--locked", "-o", "z.tar"])
        .args(["--cache-dir", "cache"])
        .output()
        .unwrap();
    assert_eq!(digest_line(&fifth), first_digest);

    let bytes = std::fs::read(ctx.path("a/image.tar")).unwrap();
    assert_eq!(
        std::fs::read(ctx.path("b/deeper/other.tar")).unwrap(),
        bytes
    );
    assert_eq!(std::fs::read(ctx.path("c/y.tar")).unwrap(), bytes);
    assert_eq!(std::fs::read(clone.path().join("z.tar")).unwrap(), bytes);
    assert_eq!(std::fs::read(ctx.path("c/x.tar")).unwrap(), bytes);
    // The umask does not reach the archive's own mode either.
    let mode = std::fs::metadata(ctx.path("b/deeper/other.tar"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

/// A manifest user whose home is `/nonexistent` (Debian's home that must not exist) gets
/// none, as adduser and useradd leave it; another user's home is made and owned.
#[test]
fn a_nonexistent_home_is_never_made() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        APP,
        "archs: [amd64]\naccounts:\n  users:\n    - {username: svc, uid: 901, homedir: /nonexistent}\n    - {username: app, uid: 902}\n",
    );
    digest_line(&assemble(&ctx, "manifests/app.yaml", "app.tar", &[]));
    let image = read_archive(&ctx.path("app.tar"));
    let platform = image.platform();
    let last = platform.final_layer();
    assert!(
        last.text("etc/passwd")
            .contains("svc:*:901:901::/nonexistent:")
    );
    assert!(last.find("nonexistent").is_none(), "{:?}", last.paths());
    assert_eq!(last.get("home/app").uid, 902);
}

/// `slim: false` keeps documentation and manual pages (and their md5sums lines); the
/// slim and full layers of one package are cached apart.
#[test]
fn slim_false_keeps_documentation_and_manual_pages() {
    let ctx = ctx();
    ctx.manifest("slim", &["hello"], "archs: [amd64]\n");
    ctx.manifest("full", &["hello"], "archs: [amd64]\nslim: false\n");
    for name in ["slim", "full"] {
        let manifest = format!("manifests/{name}.yaml");
        let out = format!("{name}.tar");
        ok(&ctx.aloft(&["assemble", &manifest, "-o", &out, "-q"]));
    }
    let slim = Image::archive(&ctx.path("slim.tar"));
    let full = Image::archive(&ctx.path("full.tar"));
    let (slim, full) = (slim.platform(), full.platform());
    let (slim_hello, full_hello) = (slim.layer("hello"), full.layer("hello"));
    for path in ["usr/share/doc/hello/README", "usr/share/man/man1/tool.1.gz"] {
        assert!(slim_hello.find(path).is_none(), "{path} in the slim image");
        assert!(full_hello.find(path).is_some(), "{path} not kept");
    }
    let md5sums = full_hello.text("var/lib/dpkg/status.d/hello.md5sums");
    assert!(
        md5sums.contains("usr/share/doc/hello/README")
            && md5sums.contains("usr/share/man/man1/tool.1.gz"),
        "{md5sums}"
    );
    assert_ne!(slim_hello.digest, full_hello.digest);
}
