//! Manifest parsing, include merging and validation errors.

use std::path::Path;

use aloft_manifest::{Entrypoint, ManifestError, PathKind, RepositorySource, load, parse_str};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

const FULL: &str = r#"
contents:
  repositories:
    - archive: debian
      suite: trixie
      components: [main]
    - archive: debian-security
      suite: trixie-security
  packages: [php8.4-cli, "tzdata=2025b-4", ca-certificates/trixie]
  exclude: [systemd]
accounts:
  groups: [{groupname: nonroot, gid: 65532}]
  users: [{username: nonroot, uid: 65532, gid: 65532, homedir: /home/nonroot, shell: /usr/sbin/nologin}]
  run-as: nonroot
entrypoint: {command: /usr/bin/php}
cmd: -v
work-dir: /app
environment: {TZ: UTC, PORT: 8080}
paths:
  - {path: /app, type: directory, uid: 65532, gid: 65532, permissions: 0o755}
archs: [amd64, arm64]
annotations: {org.opencontainers.image.source: https://example.org/app}
volumes: [/data]
stop-signal: SIGQUIT
layering: {budget: 30}
ports: [8080]
"#;

#[test]
fn parses_every_field() -> TestResult {
    let m = parse_str(Path::new("m.yaml"), FULL)?;
    assert_eq!(m.repositories.len(), 2);
    assert_eq!(
        m.repositories[1].value.name,
        "debian-security/trixie-security"
    );
    assert_eq!(m.repositories[1].value.components, ["main"]);
    assert_eq!(m.packages[1].value.version.as_deref(), Some("2025b-4"));
    assert_eq!(m.packages[2].value.suite.as_deref(), Some("trixie"));
    assert_eq!(m.packages[0].origin.line, 9);
    assert_eq!(m.accounts.users[0].value.gid, 65532);
    assert_eq!(
        m.entrypoint.map(|e| e.value),
        Some(Entrypoint::Command(vec!["/usr/bin/php".into()]))
    );
    assert_eq!(m.cmd, Some(vec!["-v".to_owned()]));
    assert_eq!(m.environment["PORT"], "8080");
    assert_eq!(m.paths[0].value.kind, PathKind::Directory);
    assert_eq!(m.paths[0].value.permissions, Some(0o755));
    assert_eq!(m.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!(m.layering.budget, 30);
    assert_eq!(m.ports, ["8080/tcp"]);
    let archs: Vec<_> = m
        .archs
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.value)
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    Ok(())
}

fn error_text(text: &str) -> String {
    match parse_str(Path::new("bad.yaml"), text) {
        Ok(_) => "no error".into(),
        Err(err) => err.to_string(),
    }
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let msg = error_text("contents:\n  packages: [a1]\n  pakages: [b1]\n");
    assert!(msg.starts_with("bad.yaml:3:"), "{msg}");
    assert!(msg.contains("pakages"), "{msg}");
    let msg = error_text("archs: [amd64]\nentrypont: {command: /bin/x}\n");
    assert!(
        msg.starts_with("bad.yaml:2:") && msg.contains("entrypont"),
        "{msg}"
    );
}

#[test]
fn invalid_values_name_the_field() {
    let cases = [
        ("archs: [amd46]\n", "archs", "amd46"),
        (
            "contents:\n  repositories: [{archive: ubuntu, suite: noble}]\n",
            "archive",
            "ubuntu",
        ),
        (
            "contents:\n  repositories: [{url: https://x.invalid/deb, suite: s}]\n",
            "keyring",
            "keyring",
        ),
        (
            "contents:\n  repositories: [{archive: debian}]\n",
            "suite",
            "suite",
        ),
        (
            "contents:\n  repositories: [{archive: debian, suite: trixie}]\n  packages: [Bad_Name]\n",
            "contents.packages[0]",
            "Bad_Name",
        ),
        (
            "paths: [{path: app, type: directory}]\n",
            "paths[0].path",
            "absolute",
        ),
        (
            "paths: [{path: /a, type: socket}]\n",
            "paths[0].type",
            "socket",
        ),
        (
            "paths: [{path: /a, type: symlink}]\n",
            "paths[0].source",
            "target",
        ),
        (
            "paths: [{path: /a, type: directory, permissions: 0o17777}]\n",
            "permissions",
            "0o7777",
        ),
        ("stop-signal: SIGFOO\n", "stop-signal", "SIGFOO"),
        ("accounts: {run-as: Nobody!}\n", "run-as", "Nobody!"),
        (
            "entrypoint: {command: /a, services: {x: /b}}\n",
            "entrypoint",
            "exactly one",
        ),
        ("environment: {1X: a}\n", "environment", "1X"),
        ("layering: {budget: 0}\n", "layering.budget", "1 to 120"),
    ];
    for (text, field, word) in cases {
        let msg = error_text(text);
        assert!(
            msg.contains(field) && msg.contains(word) && msg.starts_with("bad.yaml:"),
            "{text:?} gave {msg}"
        );
    }
}

#[test]
fn includes_merge_maps_append_lists_and_override_scalars() -> TestResult {
    let dir = tempfile::tempdir()?;
    write(
        dir.path(),
        "base.yaml",
        "contents:\n  repositories: [{archive: debian, suite: trixie}]\n  packages: [base-files]\nenvironment: {TZ: UTC, A: base}\nwork-dir: /base\nentrypoint: {services: {one: /bin/one}}\n",
    )?;
    write(dir.path(), "files/f.conf", "x")?;
    let top = write(
        dir.path(),
        "img/top.yaml",
        "include: ../base.yaml\ncontents:\n  packages: [php8.4-cli]\nenvironment: {A: top}\nwork-dir: /top\nentrypoint: {services: {two: /bin/two}}\nfiles: [{source: ../files/f.conf, path: /etc/f.conf}]\n",
    )?;
    let m = load(&top)?;
    let packages: Vec<_> = m.packages.iter().map(|p| p.value.name.as_str()).collect();
    assert_eq!(packages, ["base-files", "php8.4-cli"]);
    assert_eq!(m.environment["TZ"], "UTC");
    assert_eq!(m.environment["A"], "top");
    assert_eq!(m.work_dir.as_deref(), Some("/top"));
    match m.entrypoint.map(|e| e.value) {
        Some(Entrypoint::Services(s)) => assert_eq!(s.keys().collect::<Vec<_>>(), ["one", "two"]),
        other => panic!("services not merged: {other:?}"),
    }
    assert_eq!(m.files_read.len(), 2);
    assert!(m.files[0].value.source.ends_with("files/f.conf"));
    assert!(matches!(
        m.repositories[0].value.source,
        RepositorySource::Archive(_)
    ));
    Ok(())
}

#[test]
fn include_cycles_and_missing_files_are_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let a = write(dir.path(), "a.yaml", "include: b.yaml\n")?;
    write(dir.path(), "b.yaml", "include: a.yaml\n")?;
    assert!(matches!(load(&a), Err(ManifestError::IncludeCycle { .. })));
    let c = write(dir.path(), "c.yaml", "include: nope.yaml\n")?;
    let msg = load(&c).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("c.yaml:1") && msg.contains("nope.yaml"),
        "{msg}"
    );
    let d = write(
        dir.path(),
        "d.yaml",
        "files: [{source: missing.txt, path: /x}]\n",
    )?;
    let msg = load(&d).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("files[0].source") && msg.contains("missing.txt"),
        "{msg}"
    );
    Ok(())
}

#[test]
fn malformed_yaml_is_a_syntax_error_with_location() {
    let msg = error_text("contents:\n  packages: [a1\n");
    assert!(msg.starts_with("bad.yaml:"), "{msg}");
    let msg = error_text("archs: 7\n");
    assert!(msg.starts_with("bad.yaml:1:"), "{msg}");
}
