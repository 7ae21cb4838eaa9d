//! Live tests against the real Debian archive, run only with `ALOFT_LIVE=1` (the mirror
//! comes from `ALOFT_MIRROR` or the host's apt sources). Without it they are `#[ignore]`d,
//! with that reason, by the cfg `aloft_live` that build.rs sets (a hermetic run lists
//! them as ignored rather than passing them unrun).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::panic
)]

use std::path::{Path, PathBuf};

mod digests;
mod elf;
mod examples;
mod ld_so_cache;
mod outdated;
mod own_packages;
mod publish;
mod structure;
mod zstd;

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
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn every_manifest_locks_against_the_real_archive() {
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let manifests = example_manifests(&root);
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

/// The manifests in manifests/, sorted.
fn example_manifests(root: &Path) -> Vec<PathBuf> {
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    manifests.sort();
    manifests
}

/// `aloft lock`, which must succeed.
fn lock_ok(manifest: &Path, lockfile: &Path, cache: &Path) {
    let locked = lock(manifest, lockfile, cache, &[]);
    assert!(
        locked.status.success(),
        "{}: {}",
        manifest.display(),
        String::from_utf8_lossy(&locked.stderr)
    );
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

/// `aloft assemble MANIFEST ARGS` with `cache`; asserts it succeeds.
fn assemble_output(
    manifest: &Path,
    cache: &Path,
    args: &[&std::ffi::OsStr],
) -> std::process::Output {
    let output = assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .arg("assemble")
        .arg(manifest)
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
    output
}

/// `aloft assemble --lockfile LOCK --locked ARGS`; returns the image digest.
fn assemble(manifest: &Path, lockfile: &Path, cache: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "--lockfile".as_ref(),
        lockfile.as_os_str(),
        "--locked".as_ref(),
    ];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let text = stdout(&assemble_output(manifest, cache, &all));
    let digest = text.lines().last().unwrap_or_default().to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{text}"
    );
    digest
}

/// `skopeo copy --all --preserve-digests` (as docs/ci-recipe.md pushes) of the
/// oci-archive `tar` to `registry` as `name` and back: the registry shows `digest`, and
/// so does the archive copied back.
fn registry_round_trip(registry: &str, tar: &Path, name: &str, digest: &str) {
    let remote = format!("docker://{registry}/{name}");
    run(
        "skopeo",
        &[
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &format!("oci-archive:{}", tar.display()),
            &remote,
        ],
    );
    let (_, pushed_digest) = skopeo_raw(&["--tls-verify=false", &remote]);
    assert_eq!(pushed_digest, digest, "{name}: registry");
    let back_dir = tempfile::tempdir().unwrap();
    let back = back_dir.path().join("back.tar");
    run(
        "skopeo",
        &[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            &remote,
            &format!("oci-archive:{}", back.display()),
        ],
    );
    let (_, back_digest) = skopeo_raw(&[&format!("oci-archive:{}", back.display())]);
    assert_eq!(back_digest, digest, "{name}: back");
}

/// `aloft assemble MANIFEST ARGS -o OUT` with `cache`; asserts it succeeds.
fn assemble_to(manifest: &Path, out: &Path, cache: &Path, args: &[&str]) {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.extend(["-o".as_ref(), out.as_os_str()]);
    assemble_output(manifest, cache, &all);
}

/// Every manifest in manifests/ (freshly locked) builds for all its archs; the image
/// loads into docker and runs; skopeo copies it to a registry on loopback and back with
/// the same index digest; the layout is accepted by skopeo and umoci; a rebuild from a
/// warm cache gives the same bytes.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn every_manifest_assembles_loads_runs_and_copies() {
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let registry = std::env::var("ALOFT_REGISTRY").ok();
    if registry.is_none() {
        eprintln!(
            "ALOFT_REGISTRY is not set (.ci/run starts one): the registry round trip is not checked"
        );
    }
    let manifests = example_manifests(&root);
    let mut built = 0;
    for manifest in manifests {
        let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        let lockfile = out.path().join(format!("{stem}.lock.json"));
        lock_ok(&manifest, &lockfile, cache.path());
        let tar = out.path().join(format!("{stem}.tar"));
        let tag = format!("aloft-live/{stem}:test");
        let digest = assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &[
                "-o",
                tar.to_str().unwrap(),
                "--tag",
                &tag,
                "--sbom-format",
                "both",
            ],
        );
        // Both SBOMs of both platforms: valid to the SPDX and CycloneDX projects' own
        // tools, and listing exactly the lock's packages.
        let sboms: Vec<String> = ["amd64", "arm64"]
            .iter()
            .flat_map(|arch| {
                ["spdx", "cyclonedx"]
                    .map(|kind| out.path().join(format!("{stem}.{arch}.{kind}.json")))
            })
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let validator = root.join("scripts/validate-sbom.py");
        let mut args = vec![lockfile.to_str().unwrap()];
        args.extend(sboms.iter().map(String::as_str));
        let validated = run(validator.to_str().unwrap(), &args);
        eprint!("{}", stdout(&validated));
        // The dpkg database as scanners see it, read back by python-debian.
        let checker = root.join("scripts/check-dpkg-status.py");
        for arch in ["amd64", "arm64"] {
            let checked = run(
                checker.to_str().unwrap(),
                &[tar.to_str().unwrap(), lockfile.to_str().unwrap(), arch],
            );
            eprint!("{}", stdout(&checked));
        }
        if stem == "base" {
            structure::check_base_structure(&tar, &lockfile);
        }
        // Warm cache, another output path: the same bytes.
        let again = out.path().join(format!("{stem}-again.tar"));
        assert_eq!(
            assemble(
                &manifest,
                &lockfile,
                cache.path(),
                &[
                    "-o",
                    again.to_str().unwrap(),
                    "--tag",
                    &tag,
                    "--sbom-format",
                    "both"
                ]
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
        let entries = index["manifests"].as_array().unwrap();
        let archs: Vec<&str> = entries
            .iter()
            .filter_map(|m| m["platform"]["architecture"].as_str())
            .collect();
        assert_eq!(archs, ["amd64", "arm64"], "{stem}");
        // And the four SBOMs, attached as referrers with no platform (copied by
        // `skopeo copy --all` below, and the index digest stays the same).
        let attached = entries
            .iter()
            .filter(|m| m.get("platform").is_none())
            .count();
        assert_eq!(attached, 4, "{stem}");
        // Every ELF file of both platforms is built for it and finds its libraries.
        for (arch, layers) in elf::platform_layers(&tar) {
            let (triplet, machine) = match arch.as_str() {
                "amd64" => ("x86_64-linux-gnu", elf::EM_X86_64),
                "arm64" => ("aarch64-linux-gnu", elf::EM_AARCH64),
                other => panic!("{stem}: unexpected platform {other}"),
            };
            let layers: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
            let (files, entries) = elf::assert_needed_libraries_present(
                &format!("{stem} {arch}"),
                triplet,
                machine,
                &layers,
            );
            eprintln!("{stem} {arch}: {files} ELF files, {entries} DT_NEEDED entries, all present");
        }
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
        image_checks(&stem, &tag);
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
            registry_round_trip(registry, &tar, &format!("aloft-live/{stem}:test"), &digest);
        }
        built += 1;
    }
    assert!(built >= 2, "only {built} manifests were assembled");
}

/// The modules every PHP 8.4 SAPI of these images lists: PHP's own and php8.4-common's.
const PHP_CORE_MODULES: &[&str] = &[
    "calendar",
    "Core",
    "ctype",
    "date",
    "exif",
    "FFI",
    "fileinfo",
    "filter",
    "ftp",
    "gettext",
    "hash",
    "iconv",
    "json",
    "libxml",
    "openssl",
    "pcre",
    "Phar",
    "posix",
    "random",
    "Reflection",
    "session",
    "shmop",
    "sockets",
    "sodium",
    "SPL",
    "standard",
    "sysvmsg",
    "sysvsem",
    "sysvshm",
    "tokenizer",
    "zlib",
];

/// The modules of manifests/include/php-extensions.yaml's packages (xml brings dom,
/// SimpleXML, xmlreader, xmlwriter and xsl; mysql brings mysqli, mysqlnd and pdo_mysql;
/// redis needs igbinary and msgpack).
const PHP_EXTENSION_MODULES: &[&str] = &[
    "apcu",
    "curl",
    "dom",
    "gd",
    "igbinary",
    "intl",
    "mbstring",
    "memcached",
    "msgpack",
    "mysqli",
    "mysqlnd",
    "PDO",
    "pdo_mysql",
    "pdo_pgsql",
    "pgsql",
    "redis",
    "SimpleXML",
    "xml",
    "xmlreader",
    "xmlwriter",
    "xsl",
    "Zend OPcache",
    "zip",
];

/// `php -m` (or `php-fpm -m`) lists exactly the core modules, the extensions and the
/// SAPI's own, loaded without a warning or startup error.
fn assert_php_modules(stem: &str, output: &std::process::Output, sapi_modules: &[&str]) {
    let text = format!(
        "{}{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
    for bad in ["Warning", "Error", "Startup", "Unable to load"] {
        assert!(!text.contains(bad), "{stem}: `{bad}` in php -m:\n{text}");
    }
    let mut listed: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("[Zend Modules]"))
        .filter(|l| !l.is_empty() && !l.starts_with('['))
        .collect();
    listed.sort_unstable();
    let mut expected: Vec<&str> = PHP_CORE_MODULES
        .iter()
        .chain(PHP_EXTENSION_MODULES)
        .chain(sapi_modules)
        .copied()
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected, "{stem}: php -m");
    assert!(
        text.contains("[Zend Modules]\nZend OPcache"),
        "{stem}: {text}"
    );
}

/// What each image must do, by its name: debug variants have busybox's `id` and a shell,
/// the others no /bin/sh at all; PHP images list exactly their modules.
fn image_checks(stem: &str, tag: &str) {
    let docker = |args: &[&str]| {
        std::process::Command::new("docker")
            .args(args)
            .output()
            .unwrap()
    };
    if stem.ends_with("-debug") {
        let id = run("docker", &["run", "--rm", "--entrypoint", "id", tag]);
        assert!(
            stdout(&id).starts_with("uid=65532(nonroot) gid=65532(nonroot)"),
            "{stem}: {}",
            stdout(&id)
        );
        let sh = run(
            "docker",
            &[
                "run",
                "--rm",
                "--entrypoint",
                "sh",
                tag,
                "-c",
                "ls /usr/bin/busybox && wget --help 2>&1 | head -1",
            ],
        );
        assert!(stdout(&sh).contains("BusyBox"), "{stem}: {}", stdout(&sh));
    } else {
        let sh = docker(&["run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "true"]);
        assert!(!sh.status.success(), "{stem}: /bin/sh exists");
        assert!(
            String::from_utf8_lossy(&sh.stderr).contains("no such file or directory"),
            "{stem}: {}",
            String::from_utf8_lossy(&sh.stderr)
        );
    }
    if stem.starts_with("php-cli") {
        let version = run("docker", &["run", "--rm", tag]);
        assert!(
            stdout(&version).starts_with("PHP 8.4"),
            "{}",
            stdout(&version)
        );
        // /usr/bin/php comes from update-alternatives, the modules from phpenmod.
        let modules = docker(&["run", "--rm", tag, "-m"]);
        assert_php_modules(stem, &modules, &["pcntl", "readline"]);
        let hello = run(
            "docker",
            &[
                "run",
                "--rm",
                tag,
                "-r",
                "echo getcwd(), ' ', PHP_OS, PHP_EOL;",
            ],
        );
        assert_eq!(stdout(&hello), "/app Linux\n");
        serves_with_php_builtin_server(stem, tag);
    }
    if stem.starts_with("php-apache") {
        // mod_php's modules show in the served page; the CLI that comes with it here.
        let modules = docker(&["run", "--rm", "--entrypoint", "/usr/bin/php", tag, "-m"]);
        assert_php_modules(stem, &modules, &["pcntl", "readline"]);
        let config = docker(&["run", "--rm", tag, "-t"]);
        assert!(
            config.status.success()
                && String::from_utf8_lossy(&config.stderr).contains("Syntax OK"),
            "{stem}: apache2 -t: {}",
            String::from_utf8_lossy(&config.stderr)
        );
    }
    if stem.starts_with("php-fpm") || stem.starts_with("php-caddy") {
        let fpm = |arg: &str| {
            docker(&[
                "run",
                "--rm",
                "--entrypoint",
                "/usr/sbin/php-fpm8.4",
                tag,
                arg,
            ])
        };
        assert_php_modules(stem, &fpm("-m"), &["cgi-fcgi", "readline"]);
        let test = fpm("-t");
        assert!(
            test.status.success()
                && String::from_utf8_lossy(&test.stderr).contains("test is successful"),
            "{stem}: php-fpm -t: {}",
            String::from_utf8_lossy(&test.stderr)
        );
    }
}

/// `php -S` in the php-cli image serves a directory mounted at /app/public.
fn serves_with_php_builtin_server(stem: &str, tag: &str) {
    use std::os::unix::fs::PermissionsExt;
    let docroot = tempfile::tempdir().unwrap();
    std::fs::write(docroot.path().join("index.php"), INDEX_PHP).unwrap();
    // Readable by the image's nonroot user through the bind mount.
    std::fs::set_permissions(docroot.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mount = format!("{}:/app/public:ro", docroot.path().display());
    let container = start_detached(
        tag,
        8080,
        Some(&mount),
        &["-S", "0.0.0.0:8080", "-t", "/app/public"],
    );
    let body = answer_200(published_port(stem, &container, 8080));
    run("docker", &["rm", "-f", &container]);
    let body = body.unwrap_or_else(|| panic!("{stem}: php -S did not answer"));
    assert!(
        body.starts_with("aloft 8.4.") && body.ends_with(" cli-server uid=65532\n"),
        "{stem}: {body:?}"
    );
}

/// The body of the first `200` answer to `GET /` on `port`, polling for ten seconds
/// (servers start in well under one).
fn answer_200(port: u16) -> Option<String> {
    for _ in 0..50 {
        if let Ok((status, body)) = http_get(port)
            && status.contains(" 200")
        {
            return Some(body);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    None
}

/// Starts `image` detached with its `port` published on loopback, `mount` (a `-v`
/// value) bind-mounted and `args` after the image; returns the container ID.
fn start_detached(image: &str, port: u16, mount: Option<&str>, args: &[&str]) -> String {
    let publish = format!("127.0.0.1::{port}");
    let mut all = vec!["run", "-d", "-p", &publish];
    if let Some(mount) = mount {
        all.extend(["-v", mount]);
    }
    all.push(image);
    all.extend_from_slice(args);
    stdout(&run("docker", &all)).trim().to_owned()
}

/// The host port docker published for the container's `port`.
fn published_port(stem: &str, container: &str, port: u16) -> u16 {
    let line = stdout(&run("docker", &["port", container, &format!("{port}/tcp")]));
    line.lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{stem}: docker port said {line:?}"))
}

/// An HTTP/1.0 GET of `/` on 127.0.0.1:`port`: the status line and the body.
fn http_get(port: u16) -> std::io::Result<(String, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    Ok((status, body.to_owned()))
}

/// The PHP page every web image serves in these tests.
const INDEX_PHP: &str =
    "<?php\necho 'aloft ', PHP_VERSION, ' ', PHP_SAPI, ' uid=', posix_getuid(), \"\\n\";\n";

/// Every image on port 8080 (the web images: php-fpm-nginx, php-caddy, ...) serves an index.php
/// copied in through `files:` as the nonroot user, logs no error or warning, and stops
/// on `docker stop` with status 0 within 5 s.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn web_images_serve_php_and_stop_promptly() {
    let root = workspace_root().canonicalize().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("index.php"), INDEX_PHP).unwrap();
    let manifests: Vec<PathBuf> = example_manifests(&root)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("\nports: [8080]")
        })
        .collect();
    assert!(!manifests.is_empty(), "no web image in manifests/");
    for manifest in manifests {
        let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        let app = out.path().join(format!("{stem}-app.yaml"));
        std::fs::write(
            &app,
            format!(
                "include: {}\narchs: [amd64]\nfiles:\n  - {{source: index.php, path: /app/public/index.php, mode: 0o644}}\n",
                manifest.display()
            ),
        )
        .unwrap();
        let lockfile = out.path().join(format!("{stem}-app.lock.json"));
        lock_ok(&app, &lockfile, cache.path());
        let tar = out.path().join(format!("{stem}-app.tar"));
        let tag = format!("aloft-live/{stem}-app:test");
        assemble(
            &app,
            &lockfile,
            cache.path(),
            &["-o", tar.to_str().unwrap(), "--tag", &tag],
        );
        run("docker", &["load", "-i", tar.to_str().unwrap()]);
        let container = stdout(&run(
            "docker",
            &["run", "-d", "-p", "127.0.0.1::8080", &tag],
        ))
        .trim()
        .to_owned();
        let port = published_port(&stem, &container, 8080);
        let logs = |container: &str| {
            let output = run("docker", &["logs", container]);
            format!(
                "{}{}",
                stdout(&output),
                String::from_utf8_lossy(&output.stderr)
            )
        };
        // nginx may start before php-fpm has made its socket and answer 502 meanwhile, as
        // with any supervisor that starts services side by side: wait for php-fpm's
        // readiness line, as a health check would.
        if std::fs::read_to_string(&manifest)
            .unwrap()
            .contains("php-fpm")
        {
            for _ in 0..50 {
                if logs(&container).contains("ready to handle connections") {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        let answer = answer_200(port);
        let body =
            answer.unwrap_or_else(|| panic!("{stem}: no answer; logs:\n{}", logs(&container)));
        assert!(
            body.starts_with("aloft 8.4.") && body.ends_with(" uid=65532\n"),
            "{stem}: {body:?}"
        );
        let started = std::time::Instant::now();
        run("docker", &["stop", "-t", "10", &container]);
        let stopped_in = started.elapsed();
        let exit = stdout(&run(
            "docker",
            &["inspect", "--format", "{{.State.ExitCode}}", &container],
        ));
        let log_text = logs(&container);
        run("docker", &["rm", &container]);
        run("docker", &["rmi", &tag]);
        assert_eq!(exit.trim(), "0", "{stem}: exit status; logs:\n{log_text}");
        assert!(
            stopped_in < std::time::Duration::from_secs(5),
            "{stem}: docker stop took {stopped_in:?}"
        );
        for bad in [
            "[emerg]", "[alert]", "[crit]", "[error]", "ERROR", "WARNING", "Warning:",
        ] {
            assert!(
                !log_text.contains(bad),
                "{stem}: `{bad}` in the logs:\n{log_text}"
            );
        }
        eprintln!("{stem}: served {body:?}, stopped in {stopped_in:?}");
    }
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A private CA (`ca.crt`, `ca.key`) and a server certificate it signed for localhost and
/// 127.0.0.1 (`server.crt`, `server.key`), made by openssl in `d`.
fn make_ca_and_server_cert(d: &Path) {
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=aloft test CA",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        d.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// PHP's curl and openssl stream wrapper verify a local TLS server whose private CA the
/// image trusts through `files:` (into /usr/local/share/ca-certificates, as
/// update-ca-certificates reads it), with no SSL_CERT_FILE; the same request from the
/// plain php-cli image fails verification, so the CA is what made the difference.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn php_trusts_a_private_ca_added_through_files() {
    let root = workspace_root().canonicalize().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_ca_and_server_cert(d);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("openssl")
        .current_dir(d)
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "server.crt",
            "-key",
            "server.key",
            "-www",
            "-quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let build = |name: &str, extra: &str| {
        let manifest = d.join(format!("{name}.yaml"));
        std::fs::write(
            &manifest,
            format!(
                "include: {}\narchs: [amd64]\n{extra}",
                root.join("manifests/php-cli.yaml").display()
            ),
        )
        .unwrap();
        let lockfile = d.join(format!("{name}.lock.json"));
        lock_ok(&manifest, &lockfile, cache.path());
        let tar = d.join(format!("{name}.tar"));
        let tag = format!("aloft-live/{name}:test");
        assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &["-o", tar.to_str().unwrap(), "--tag", &tag],
        );
        run("docker", &["load", "-i", tar.to_str().unwrap()]);
        tag
    };
    let trusting = build(
        "php-private-ca",
        "files:\n  - {source: ca.crt, path: /usr/local/share/ca-certificates/aloft-test.crt}\n",
    );
    let plain = build("php-plain", "");
    let script = format!(
        "$u = 'https://localhost:{port}/';\n\
         $c = curl_init($u); curl_setopt($c, CURLOPT_RETURNTRANSFER, true);\n\
         $r = curl_exec($c);\n\
         echo $r === false ? 'curl: ' . curl_error($c) : 'curl: ok', PHP_EOL;\n\
         $s = @file_get_contents($u);\n\
         echo $s === false ? 'stream: failed' : 'stream: ok', PHP_EOL;"
    );
    let request = |tag: &str| {
        let output = std::process::Command::new("docker")
            .args(["run", "--rm", "--network", "host", tag, "-r", &script])
            .output()
            .unwrap();
        stdout(&output)
    };
    let trusted = request(&trusting);
    let untrusted = request(&plain);
    let _ = server.kill();
    let _ = server.wait();
    run("docker", &["rmi", &trusting, &plain]);
    assert_eq!(trusted, "curl: ok\nstream: ok\n");
    assert!(
        untrusted.contains("curl: SSL certificate problem") && untrusted.contains("stream: failed"),
        "without the CA: {untrusted}"
    );
}

/// php-fpm-nginx against mmdebstrap's install of the same lock with the real maintainer
/// scripts (scripts/compare-with-mmdebstrap.sh --relock: a lock made now, since apt installs
/// only what the archive's index lists today): every difference in the file list is
/// one docs/differences.md explains, and the CA bundle and /etc/ca-certificates.conf are
/// byte-identical to what update-ca-certificates made.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn php_fpm_nginx_matches_mmdebstrap_but_for_documented_differences() {
    let root = workspace_root().canonicalize().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(root.join("scripts/compare-with-mmdebstrap.sh"))
        .args(["--relock", "manifests/php-fpm-nginx.yaml", "amd64"])
        .current_dir(&root)
        .env("ALOFT_BIN", assert_cmd::cargo::cargo_bin("aloft"))
        .env("ALOFT_CACHE_DIR", cache.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/compare-with-mmdebstrap.sh: {e}"));
    let report = stdout(&output);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "differences not explained, or the CA files differ (exit {:?}):\n{report}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("== unexplained (0)"), "{report}");
    assert!(
        report.contains("/etc/ssl/certs/ca-certificates.crt: identical"),
        "{report}"
    );
}
