//! `aloft publish` against Debian's docker-registry on loopback with htpasswd (bcrypt)
//! auth and TLS from a CA this test makes: the pushed index is the committed digest,
//! skopeo and docker read it back, docker runs it, and the SBOMs are listed as referrers.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::{make_ca_and_server_cert, run, skopeo_raw, stdout, workspace_root};

/// A docker-registry process serving TLS with htpasswd auth; killed on drop.
struct TlsRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
}

impl Drop for TlsRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const USER: &str = "ci";
const PASSWORD: &str = "s3cret-for-the-test";

/// Starts docker-registry in `d` (CA and server certificate, htpasswd, storage).
fn start_registry(d: &Path) -> TlsRegistry {
    make_ca_and_server_cert(d);
    let htpasswd = run("htpasswd", &["-Bbn", USER, PASSWORD]);
    std::fs::write(d.join("htpasswd"), stdout(&htpasswd).trim()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {dir}/storage\n\
         auth:\n  htpasswd:\n    realm: aloft-test\n    path: {dir}/htpasswd\n\
         http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {dir}/server.crt\n    key: {dir}/server.key\n",
        dir = d.display()
    );
    std::fs::write(d.join("config.yml"), config).unwrap();
    let log = std::fs::File::create(d.join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(d.join("config.yml"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}"));
    let registry = TlsRegistry {
        child,
        host: format!("127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return registry;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "docker-registry did not listen on {}: {}",
        registry.host,
        std::fs::read_to_string(d.join("registry.log")).unwrap_or_default()
    );
}

/// A docker config directory whose config.json holds `user:password` for `host`.
fn docker_config(d: &Path, name: &str, host: &str, password: &str) -> std::path::PathBuf {
    let dir = d.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let auth = aloft_test::base64_of(&format!("{USER}:{password}"));
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({ "auths": { host: { "auth": auth } } }).to_string(),
    )
    .unwrap();
    dir
}

/// `aloft publish ARGS` with `DOCKER_CONFIG=config`.
fn publish(config: &Path, cache: &Path, args: &[&str]) -> Output {
    let root = workspace_root();
    assert_cmd::Command::cargo_bin("aloft")
        .unwrap()
        .current_dir(&root)
        .arg("publish")
        .args(args)
        .env("ALOFT_CACHE_DIR", cache)
        .env("DOCKER_CONFIG", config)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("ALOFT_REGISTRY_CA_FILE")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// php-cli from its committed lock: refused with a wrong password and with an unknown
/// CA (both before anything is built); with the right ones the pushed index is the
/// committed digest under every tag, a second run uploads nothing, skopeo and docker
/// read it back, docker runs it, and each platform's SBOM is listed as its referrer.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn publishes_to_a_tls_registry_with_htpasswd_auth() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cache = d.join("cache");
    let registry = start_registry(d);
    let host = registry.host.clone();
    let ca = d.join("ca.crt");
    let ca = ca.to_str().unwrap();
    let committed: serde_json::Value = serde_json::from_slice(
        &std::fs::read(workspace_root().join("digests/php-cli.json")).unwrap(),
    )
    .unwrap();
    let digest = committed["digest"].as_str().unwrap().to_owned();
    let app = format!("{host}/aloft/php-cli");
    let common = [
        "--locked",
        "--expect-digest",
        "digests/php-cli.json",
        "--ca-file",
        ca,
        "manifests/php-cli.yaml",
    ];

    let wrong = docker_config(d, "wrong", &host, "not-the-password");
    let refused = publish(
        &wrong,
        &cache,
        &[&common[..], &[&format!("{app}:1")]].concat(),
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains(&host) && stderr(&refused).contains("credentials"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !cache.join("debs-v1").exists(),
        "built before the registry was reached"
    );

    let right = docker_config(d, "right", &host, PASSWORD);
    let untrusted = publish(
        &right,
        &cache,
        &["manifests/php-cli.yaml", &format!("{app}:1")],
    );
    assert!(!untrusted.status.success());
    assert!(
        stderr(&untrusted).contains("not trusted") && stderr(&untrusted).contains("--ca-file"),
        "{}",
        stderr(&untrusted)
    );

    let refs = [
        format!("{app}:1"),
        format!("{app}:latest"),
        format!("{host}/aloft/mirror/php-cli:1"),
    ];
    let args: Vec<&str> = common
        .iter()
        .copied()
        .chain(refs.iter().map(String::as_str))
        .collect();
    let first = publish(&right, &cache, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let printed = stdout(&first);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.last().copied(), Some(digest.as_str()), "{printed}");
    for reference in &refs {
        assert!(
            lines.contains(&format!("{reference}@{digest}").as_str()),
            "{printed}"
        );
    }
    // The second repository got every blob by cross-repository mount.
    assert!(
        stderr(&first).contains(&format!("{host}/aloft/mirror/php-cli: 0 blobs uploaded")),
        "{}",
        stderr(&first)
    );
    eprintln!("first publish:\n{}", stderr(&first));

    let again = publish(&right, &cache, &args);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(&format!("{app}: 0 blobs uploaded (0.0 MB)")),
        "{}",
        stderr(&again)
    );
    eprintln!("second publish:\n{}", stderr(&again));

    // Another machine (its own cache with the .debs, no layer): every package layer
    // comes from the layer cache by its index alone; none is built, downloaded or
    // uploaded, and the digest is the committed one.
    let fleet = d.join("fleet-cache");
    std::fs::create_dir_all(&fleet).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(cache.join("debs-v1"))
        .arg(&fleet)
        .status()
        .unwrap();
    assert!(copied.success());
    let fleet_ref = format!("{app}:fleet");
    let fleet_args: Vec<&str> = common.iter().copied().chain([fleet_ref.as_str()]).collect();
    let other = publish(&right, &fleet, &fleet_args);
    let log = stderr(&other);
    assert!(other.status.success(), "{log}");
    assert_eq!(
        stdout(&other).lines().last(),
        Some(digest.as_str()),
        "{log}"
    );
    assert!(log.contains("(0 built, "), "{log}");
    assert!(log.contains("; 0 layer blobs downloaded"), "{log}");
    assert!(log.contains(&format!("{app}: 0 blobs uploaded")), "{log}");
    eprintln!("another machine:\n{log}");

    // skopeo, trusting the CA and logged in, reads the same index under every tag.
    let certs = d.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(d.join("ca.crt"), certs.join("ca.crt")).unwrap();
    let creds = format!("{USER}:{PASSWORD}");
    let skopeo_args = |reference: &str| {
        vec![
            "--cert-dir".to_owned(),
            certs.to_str().unwrap().to_owned(),
            "--creds".to_owned(),
            creds.clone(),
            format!("docker://{reference}"),
        ]
    };
    for reference in &refs {
        let args = skopeo_args(reference);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, pushed) = skopeo_raw(&args);
        assert_eq!(pushed, digest, "{reference}");
    }

    // Each platform manifest's SBOM is its referrer: through the referrers API where the
    // registry has it, else through the OCI fallback tag `sha256-<hex>`.
    for platform in committed["platforms"].as_array().unwrap() {
        let manifest = platform["manifest"].as_str().unwrap();
        let listing = referrers(&host, &certs, &creds, "aloft/php-cli", manifest);
        let listed: Vec<&str> = listing["manifests"]
            .as_array()
            .unwrap_or_else(|| panic!("{manifest}: no referrers listing: {listing}"))
            .iter()
            .filter_map(|m| m["artifactType"].as_str())
            .collect();
        assert!(
            listed.iter().any(|t| t.contains("spdx")),
            "{manifest}: {listing}"
        );
    }

    // docker (which trusts 127.0.0.0/8 registries without verifying them) logs in,
    // pulls and runs it.
    let client = d.join("docker-client");
    std::fs::create_dir_all(&client).unwrap();
    let mut login = Command::new("docker")
        .arg("--config")
        .arg(&client)
        .args(["login", "-u", USER, "--password-stdin", &host])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        login
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
    }
    let logged_in = login.wait_with_output().unwrap();
    assert!(logged_in.status.success(), "{}", stderr(&logged_in));
    let image = format!("{app}:1");
    let config = client.to_str().unwrap();
    run("docker", &["--config", config, "pull", &image]);
    let php = run(
        "docker",
        &["run", "--rm", &image, "-r", "echo PHP_VERSION;"],
    );
    assert!(stdout(&php).starts_with("8.4."), "{}", stdout(&php));
    run("docker", &["rmi", &image]);
}

/// The referrers of `digest` in `repository`: the referrers API's answer, or, where the
/// registry has no such API (404), the index under the fallback tag.
fn referrers(
    host: &str,
    certs: &Path,
    creds: &str,
    repository: &str,
    digest: &str,
) -> serde_json::Value {
    let ca = certs.join("ca.crt");
    let api = Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
        .arg(&ca)
        .args(["-u", creds])
        .arg(format!("https://{host}/v2/{repository}/referrers/{digest}"))
        .output()
        .unwrap();
    let text = stdout(&api);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", ""));
    if status == "200" {
        eprintln!("{digest}: listed by the referrers API");
        return serde_json::from_str(body).unwrap();
    }
    assert_eq!(status, "404", "referrers API: {text}");
    let tag = format!("{host}/{repository}:{}", digest.replace(':', "-"));
    let creds = creds.to_owned();
    let certs = certs.to_str().unwrap().to_owned();
    let (raw, _) = skopeo_raw(&[
        "--cert-dir",
        &certs,
        "--creds",
        &creds,
        &format!("docker://{tag}"),
    ]);
    eprintln!("{digest}: the registry has no referrers API; listed under the fallback tag");
    serde_json::from_slice(&raw).unwrap()
}
