//! The images of examples/ work as their users use them: each manifest is locked against
//! the archive of the day, assembled, loaded into docker and run (examples/README.md).
//! The images build one after another and run in parallel, sharing one .deb cache.

use std::path::Path;

use super::{
    answer_200, assemble, lock_ok, published_port, run, sha256_hex, start_detached, stdout,
    workspace_root,
};

/// How a loaded image is used, given its ID.
type UseCheck = fn(&str);

/// Builds examples/STEM.yaml (amd64) and loads it; returns the docker image ID.
fn build_and_load(root: &Path, stem: &str, out: &Path, cache: &Path) -> String {
    let manifest = root.join("examples").join(format!("{stem}.yaml"));
    let lockfile = out.join(format!("{stem}.lock.json"));
    lock_ok(&manifest, &lockfile, cache);
    let tar = out.join(format!("{stem}.tar"));
    assemble(
        &manifest,
        &lockfile,
        cache,
        &["--arch", "amd64", "-o", tar.to_str().unwrap()],
    );
    let loaded = stdout(&run("docker", &["load", "-q", "-i", tar.to_str().unwrap()]));
    loaded
        .split_whitespace()
        .last()
        .unwrap_or_else(|| panic!("{stem}: docker load said {loaded:?}"))
        .to_owned()
}

/// `docker exec` in `container`, polling until it succeeds (servers need a moment).
fn exec_until_ok(container: &str, args: &[&str]) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..50 {
        let mut all = vec!["exec", container];
        all.extend_from_slice(args);
        let output = std::process::Command::new("docker")
            .args(&all)
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            return Ok(stdout(&output));
        }
        last = String::from_utf8_lossy(&output.stderr).into_owned();
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Err(last)
}

fn logs(container: &str) -> String {
    let output = std::process::Command::new("docker")
        .args(["logs", container])
        .output()
        .map(|o| format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr)))
        .unwrap_or_default();
    output.lines().rev().take(15).collect::<Vec<_>>().join("\n")
}

/// A database image: `init` (its entrypoint replaced) makes the data in a fresh volume on
/// `data_dir`; then the image runs on that volume and `query` is asked in it until it
/// answers. Returns the answer and the server's log; the container and volume are gone.
fn init_serve_and_query(
    what: &str,
    image: &str,
    data_dir: &str,
    init: &[&str],
    query: &[&str],
) -> (String, String) {
    let volume = format!("aloft-{what}-{}", std::process::id());
    let mount = format!("{volume}:{data_dir}");
    let (entrypoint, args) = init.split_first().unwrap();
    let mut argv = vec![
        "run",
        "--rm",
        "-v",
        &mount,
        "--entrypoint",
        entrypoint,
        image,
    ];
    argv.extend_from_slice(args);
    let made = std::process::Command::new("docker")
        .args(&argv)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{what}: {entrypoint}: {}{}",
        stdout(&made),
        String::from_utf8_lossy(&made.stderr)
    );
    let container = stdout(&run("docker", &["run", "-d", "-v", &mount, image]))
        .trim()
        .to_owned();
    let answer = exec_until_ok(&container, query);
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    run("docker", &["volume", "rm", &volume]);
    let answer = answer.unwrap_or_else(|e| panic!("{what}: {}: {e}\n{log}", query[0]));
    (answer, log)
}

/// PostgreSQL: initdb as postgres (the image's run-as user) into a volume, start it,
/// query it over the default socket directory.
fn postgresql_initdb_starts_and_answers(image: &str) {
    let (answer, log) = init_serve_and_query(
        "postgresql",
        image,
        "/var/lib/postgresql",
        &["initdb"],
        &["psql", "-tA", "-c", "select current_user || ' ' || 40 + 2"],
    );
    assert_eq!(answer.trim(), "postgres 42", "{log}");
    assert!(
        log.contains("/var/run/postgresql/.s.PGSQL.5432"),
        "postgresql: not listening on the default socket:\n{log}"
    );
}

/// MariaDB: mariadb-install-db as mysql into a volume, start it, query it over the
/// socket Debian's configuration names.
fn mariadb_installs_starts_and_answers(image: &str) {
    let (answer, log) = init_serve_and_query(
        "mariadb",
        image,
        "/var/lib/mysql",
        &[
            "mariadb-install-db",
            "--user=mysql",
            "--datadir=/var/lib/mysql",
            "--skip-test-db",
        ],
        &["mariadb", "-N", "-e", "select current_user(), 40 + 2"],
    );
    assert_eq!(answer.trim(), "mysql@localhost\t42", "{log}");
    assert!(
        log.contains("/run/mysqld/mysqld.sock"),
        "mariadb: not on Debian's socket (my.cnf not read?):\n{log}"
    );
}

/// Apache with Debian's configuration serves Debian's default page.
fn apache2_serves_the_default_page(image: &str) {
    let container = start_detached(image, 80, None, &[]);
    let page = answer_200(published_port("apache2", &container, 80));
    let modules = std::process::Command::new("docker")
        .args(["exec", &container, "apache2", "-t", "-D", "DUMP_MODULES"])
        .output()
        .map(|o| stdout(&o))
        .unwrap_or_default();
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    let page = page.unwrap_or_else(|| panic!("apache2: no page:\n{log}"));
    assert!(
        page.contains("Apache2 Debian Default Page"),
        "apache2: {page:.200}"
    );
    for module in [
        "mpm_event_module",
        "authz_host_module",
        "deflate_module",
        "status_module",
    ] {
        assert!(
            modules.contains(module),
            "apache2: {module} not loaded:\n{modules}"
        );
    }
}

/// Redis answers PONG as the redis user.
fn redis_answers_ping(image: &str) {
    let container = stdout(&run("docker", &["run", "-d", image]))
        .trim()
        .to_owned();
    let answer = exec_until_ok(&container, &["redis-cli", "ping"]);
    let user = exec_until_ok(&container, &["redis-cli", "config", "get", "dir"]);
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    assert_eq!(
        answer
            .unwrap_or_else(|e| panic!("redis: {e}\n{log}"))
            .trim(),
        "PONG"
    );
    assert!(
        user.unwrap_or_default().contains("/var/lib/redis"),
        "redis: not in its data directory:\n{log}"
    );
}

/// `java -version` from PATH, and a trust store of at least 100 CAs through
/// `keytool -cacerts` (Java's default store: the JRE's lib/security/cacerts links to it).
fn java_runs_and_trusts_the_bundle(image: &str) {
    let version = run("docker", &["run", "--rm", image]);
    let version = String::from_utf8_lossy(&version.stderr).into_owned() + &stdout(&version);
    assert!(
        version.contains("openjdk version \"21"),
        "java -version: {version}"
    );
    let listed = stdout(&run(
        "docker",
        &[
            "run",
            "--rm",
            "--entrypoint",
            "keytool",
            image,
            "-list",
            "-cacerts",
            "-storepass",
            "changeit",
        ],
    ));
    let trusted = listed.matches("trustedCertEntry").count();
    assert!(
        listed.contains("Keystore type: JKS") && trusted >= 100,
        "keytool -list -cacerts: {trusted} trusted entries\n{listed}"
    );
    assert!(listed.contains("debian:isrg_root_x1.pem,"), "{listed}");
}

/// Node's TLS roots, ICU and user: what `node -e` reports in the image.
fn node_runs_with_icu_and_the_bundle(image: &str) {
    let script = "console.log([process.versions.node.split('.')[0], require('tls').rootCertificates.length, require('os').userInfo().username, new Intl.NumberFormat('de-DE').format(1234.5)].join(' '))";
    let out = stdout(&run("docker", &["run", "--rm", image, "-e", script]));
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "node: {out}");
    assert!(
        fields[1].parse::<usize>().unwrap_or(0) >= 100,
        "node: {out}"
    );
    assert_eq!(fields[2..], ["nonroot", "1.234,5"], "node: {out}");
}

/// Python's ssl loads the CA bundle; the standard library imports; UTF-8 throughout.
fn python_runs_with_ssl_and_the_bundle(image: &str) {
    let script = "import ssl, json, asyncio, email, http.client, sqlite3, sys, getpass, locale; s = ssl.create_default_context().cert_store_stats(); print(sys.version_info[0], s['x509_ca'], getpass.getuser(), sys.getfilesystemencoding(), locale.setlocale(locale.LC_ALL, ''), locale.setlocale(locale.LC_ALL, 'de_DE.UTF-8'), locale.format_string('%.1f', 1234.5, grouping=True))";
    let out = stdout(&run(
        "docker",
        &["run", "--rm", "-e", "LANG=C.UTF-8", image, "-c", script],
    ));
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.len(), 7, "python3: {out}");
    assert_eq!(fields[0], "3", "python3: {out}");
    assert!(
        fields[1].parse::<usize>().unwrap_or(0) >= 100,
        "python3: {out}"
    );
    assert_eq!(
        fields[2..],
        ["nonroot", "utf-8", "C.UTF-8", "de_DE.UTF-8", "1.234,5"],
        "python3: {out}"
    );
    // The standard library's bytecode is in the image and current: imports read it and
    // compile nothing (as nonroot, a compile could not be kept).
    let verbose = run(
        "docker",
        &[
            "run",
            "--rm",
            image,
            "-v",
            "-c",
            "import json, asyncio, email, http.client, ssl",
        ],
    );
    let log = String::from_utf8_lossy(&verbose.stderr);
    for module in [
        "json/__init__.py",
        "asyncio/base_events.py",
        "email/parser.py",
        "ssl.py",
    ] {
        assert!(
            log.contains(&format!(" matches /usr/lib/python3.13/{module}")),
            "python3: no current bytecode for {module}:\n{log}"
        );
    }
    for stale in [
        "could not create",
        "bad mtime",
        "bytecode is stale",
        "code object from /usr",
    ] {
        assert!(!log.contains(stale), "python3: `{stale}`:\n{log}");
    }
}

/// Compiles `source` (named `file`) on the host with `compiler` and `flags`, runs the
/// program in `image` bind-mounted as users copy theirs in, and returns its stdout.
fn run_host_program(
    image: &str,
    compiler: &str,
    flags: &[&str],
    file: &str,
    source: &str,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let source_path = dir.path().join(file);
    std::fs::write(&source_path, source).unwrap();
    let binary = dir.path().join("program");
    let mut args = flags.to_vec();
    args.extend([
        "-o",
        binary.to_str().unwrap(),
        source_path.to_str().unwrap(),
    ]);
    run(compiler, &args);
    let mount = format!("{}:/app/program:ro", binary.display());
    stdout(&run(
        "docker",
        &[
            "run",
            "--rm",
            "-v",
            &mount,
            "--entrypoint",
            "/app/program",
            image,
        ],
    ))
}

/// A C++ program built on the host (exceptions, threads, iostreams: libstdc++ and
/// libgcc_s) runs in the image, as distroless cc's users copy theirs in.
fn a_cpp_program_runs_on_the_cc_runtime(image: &str) {
    let out = run_host_program(
        image,
        "g++",
        &["-O2", "-pthread"],
        "hello.cpp",
        "#include <iostream>\n#include <stdexcept>\n#include <thread>\nint main() {\n  int n = 0;\n  std::thread t([&] { try { throw std::runtime_error(\"x\"); } catch (const std::exception&) { n = 42; } });\n  t.join();\n  std::cout << \"hello from C++ \" << n << std::endl;\n}\n",
    );
    assert_eq!(out.trim(), "hello from C++ 42");
}

/// A statically linked C program built on the host finds what distroless static
/// promises: at least 100 CAs in the bundle, time zones, its nonroot account,
/// /etc/services, /tmp 1777 and os-release; the image holds no libc and no shell.
fn a_static_program_finds_its_files(image: &str) {
    let out = run_host_program(image, "gcc", &["-static", "-O2"], "probe.c", STATIC_PROBE);
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.len(), 6, "static: {out}");
    assert!(
        fields[0].parse::<usize>().unwrap_or(0) >= 100,
        "static: {out}"
    );
    assert_eq!(
        fields[1..],
        ["CEST", "nonroot", "443", "1777", "1"],
        "static: {out}"
    );
    for absent in ["/bin/sh", "/usr/lib/x86_64-linux-gnu/libc.so.6"] {
        let status = std::process::Command::new("docker")
            .args(["run", "--rm", "--entrypoint", absent, image])
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "static: {absent} runs");
    }
}

/// The compressed bytes of the layers of an oci-archive's (first) platform.
fn layer_bytes(archive: &Path) -> u64 {
    aloft_test::oci::Image::archive(archive).platform().manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|layer| layer["size"].as_u64().unwrap())
        .sum()
}

/// PHP with php:8.4-cli-alpine's extension set loads every one of them.
fn php_has_the_alpine_extension_set(image: &str) {
    let out = stdout(&run("docker", &["run", "--rm", image, "-m"]));
    let loaded: Vec<&str> = out.lines().map(str::trim).collect();
    for extension in [
        "Core",
        "ctype",
        "curl",
        "date",
        "dom",
        "fileinfo",
        "filter",
        "hash",
        "iconv",
        "json",
        "libxml",
        "mbstring",
        "mysqlnd",
        "openssl",
        "pcre",
        "PDO",
        "pdo_sqlite",
        "Phar",
        "posix",
        "random",
        "readline",
        "Reflection",
        "session",
        "SimpleXML",
        "sodium",
        "SPL",
        "sqlite3",
        "standard",
        "tokenizer",
        "xml",
        "xmlreader",
        "xmlwriter",
        "zlib",
    ] {
        assert!(loaded.contains(&extension), "php: no {extension} in {out}");
    }
}

/// What the static probe prints: CA certificates in the bundle, the zone name of a June
/// time in Europe/Paris, the user's name, https's port, /tmp's mode, os-release says Debian.
const STATIC_PROBE: &str = r#"#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
int main(void) {
  int certs = 0, debian = 0; char line[4096];
  FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
  while (f && fgets(line, sizeof line, f)) certs += !strncmp(line, "-----BEGIN CERTIFICATE-----", 27);
  f = fopen("/etc/os-release", "r");
  while (f && fgets(line, sizeof line, f)) debian |= !strcmp(line, "ID=debian\n");
  setenv("TZ", "Europe/Paris", 1); tzset();
  time_t t = 1750000000; struct tm tm; localtime_r(&t, &tm);
  char zone[16]; strftime(zone, sizeof zone, "%Z", &tm);
  struct passwd *pw = getpwuid(getuid());
  struct servent *s = getservbyname("https", "tcp");
  struct stat st; stat("/tmp", &st);
  printf("%d %s %s %d %o %d\n", certs, zone, pw ? pw->pw_name : "?", s ? ntohs(s->s_port) : 0, st.st_mode & 07777, debian);
  return 0;
}
"#;

/// nginx with Debian's configuration serves Debian's default page, workers as www-data.
fn nginx_serves_the_default_page(image: &str) {
    let container = start_detached(image, 80, None, &[]);
    let page = answer_200(published_port("nginx", &container, 80));
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    let page = page.unwrap_or_else(|| panic!("nginx: no page:\n{log}"));
    assert!(page.contains("Welcome to nginx!"), "nginx: {page:.200}");
}

/// HAProxy with Debian's global section (chroot, user haproxy) and a user's frontend
/// answers on it.
fn haproxy_answers_with_debians_global_section(image: &str) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cfg");
    std::fs::write(
        &site,
        "frontend web\n    bind :8080\n    http-request return status 200 content-type text/plain string \"ok from haproxy\"\n",
    )
    .unwrap();
    // Files a container reads are readable by its users whatever the umask was.
    std::fs::set_permissions(&site, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let mount = format!("{}:/etc/haproxy/site.cfg:ro", site.display());
    let container = start_detached(image, 8080, Some(&mount), &["-f", "/etc/haproxy/site.cfg"]);
    let page = answer_200(published_port("haproxy", &container, 8080));
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    let page = page.unwrap_or_else(|| panic!("haproxy: no answer:\n{log}"));
    assert_eq!(page.trim(), "ok from haproxy");
}

/// memcached, as memcache, answers the text protocol's `version`.
fn memcached_answers_version(image: &str) {
    use std::io::{Read, Write};
    let container = start_detached(image, 11211, None, &[]);
    let port = published_port("memcached", &container, 11211);
    let mut answer = String::new();
    for _ in 0..50 {
        let reply = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
            stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            stream.write_all(b"version\r\n")?;
            let mut buffer = [0u8; 64];
            let n = stream.read(&mut buffer)?;
            Ok(String::from_utf8_lossy(&buffer[..n]).into_owned())
        });
        if let Ok(reply) = reply
            && !reply.is_empty()
        {
            answer = reply;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let log = logs(&container);
    run("docker", &["rm", "-f", &container]);
    assert!(
        answer.starts_with("VERSION 1."),
        "memcached: {answer:?}\n{log}"
    );
}

#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn the_examples_work_as_built() {
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let checks: [(&str, UseCheck); 13] = [
        ("static", a_static_program_finds_its_files),
        ("php-cli-alpine-set", php_has_the_alpine_extension_set),
        ("postgresql", postgresql_initdb_starts_and_answers),
        ("mariadb", mariadb_installs_starts_and_answers),
        ("apache2", apache2_serves_the_default_page),
        ("redis", redis_answers_ping),
        ("java", java_runs_and_trusts_the_bundle),
        ("nodejs", node_runs_with_icu_and_the_bundle),
        ("python3", python_runs_with_ssl_and_the_bundle),
        ("cc", a_cpp_program_runs_on_the_cc_runtime),
        ("nginx", nginx_serves_the_default_page),
        ("haproxy", haproxy_answers_with_debians_global_section),
        ("memcached", memcached_answers_version),
    ];
    let images: Vec<String> = checks
        .iter()
        .map(|(stem, _)| build_and_load(&root, stem, out.path(), cache.path()))
        .collect();
    // Issue 17's target: distroless static's size (about 2 MiB), compressed.
    let compressed = layer_bytes(&out.path().join("static.tar"));
    assert!(
        compressed <= 2 << 20,
        "static: {compressed} bytes of layers"
    );
    // And 0.6x php:8.4-cli-alpine (44.1 MB) for its extension set.
    let compressed = layer_bytes(&out.path().join("php-cli-alpine-set.tar"));
    assert!(
        compressed <= 26_000_000,
        "php-cli-alpine-set: {compressed} bytes of layers"
    );
    std::thread::scope(|scope| {
        for ((_, check), image) in checks.iter().zip(&images) {
            scope.spawn(move || check(image));
        }
    });
    for image in &images {
        let _ = std::process::Command::new("docker")
            .args(["rmi", "-f", image])
            .output();
    }
}

/// The Python bytecode of the architecture the host does not run, compiled by that
/// architecture's python3.13 under qemu, is the same bytes as the host's compiled
/// natively, but for each architecture's own sources (`_sysconfigdata_*`): what
/// docs/assemble.md says of the bytecode's reproducibility.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn python_bytecode_is_the_same_under_emulation() {
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let manifest = root.join("examples/python3.yaml");
    let lockfile = out.path().join("python3.lock.json");
    lock_ok(&manifest, &lockfile, cache.path());
    let mut bytecode = Vec::new();
    for arch in ["amd64", "arm64"] {
        let tar = out.path().join(format!("{arch}.tar"));
        assemble(
            &manifest,
            &lockfile,
            cache.path(),
            &["--arch", arch, "-o", tar.to_str().unwrap()],
        );
        let image = aloft_test::oci::Image::archive(&tar);
        let platform = image.platform();
        let layer = platform
            .layers
            .iter()
            .find(|layer| layer.created_by == "aloft: Python bytecode (python3.13)")
            .unwrap_or_else(|| panic!("{arch}: no bytecode layer"));
        let files: std::collections::BTreeMap<String, String> = layer
            .entries
            .iter()
            .filter(|entry| entry.kind.is_file())
            .map(|entry| (entry.path.clone(), sha256_hex(&entry.data)))
            .collect();
        assert!(files.len() > 500, "{arch}: {} .pyc files", files.len());
        bytecode.push(files);
    }
    let differing: std::collections::BTreeSet<&String> = bytecode[0]
        .keys()
        .chain(bytecode[1].keys())
        .filter(|path| bytecode[0].get(*path) != bytecode[1].get(*path))
        .collect();
    assert!(
        differing
            .iter()
            .all(|path| path.contains("/_sysconfigdata_")),
        "{differing:#?}"
    );
}
