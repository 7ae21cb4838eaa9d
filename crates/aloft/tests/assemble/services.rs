//! `entrypoint.services`: the s6 tree, the packages it adds to the lock, and its errors.

use super::*;

/// s6 and execline as Debian lays them out: s6's programs in /usr/bin, execline's in
/// /usr/lib/execline/bin.
fn s6_packages() -> Vec<FixturePackage> {
    let mut s6 = FixturePackage::new("s6", "2.13.1.0-1").depends("execline");
    for tool in [
        "s6-svscan",
        "s6-svscanctl",
        "s6-supervise",
        "s6-svc",
        "s6-svwait",
    ] {
        s6 = s6.file(&format!("usr/bin/{tool}"), b"\x7fELF s6", 0o755);
    }
    let mut execline = FixturePackage::new("execline", "2.9.6.1-1");
    for tool in ["execlineb", "foreground"] {
        execline = execline.file(
            &format!("usr/lib/execline/bin/{tool}"),
            b"\x7fELF execline",
            0o755,
        );
    }
    vec![s6, execline]
}

const SERVICES: &str = r#"archs: [amd64]
accounts:
  groups:
    - {groupname: nonroot, gid: 65532}
  users:
    - {username: nonroot, uid: 65532, gid: 65532}
  run-as: nonroot
entrypoint:
  services:
    web: [/bin/tool, --serve, "daemon off;", "say \"hi\" \\ {"]
    ping: /usr/bin/pinger -q
"#;

#[test]
fn services_build_an_s6_tree_owned_by_the_run_as_user() {
    let ctx = ctx_with(s6_packages());
    ctx.manifest("svc", &["base-files", "base-passwd", "hello"], SERVICES);
    let digest = digest_line(&assemble(&ctx, "manifests/svc.yaml", "svc.tar", &[]));
    // s6 and execline are locked although the manifest does not name them.
    assert_eq!(locked_package(&ctx, "svc", "s6")["version"], "2.13.1.0-1");
    assert_eq!(
        locked_package(&ctx, "svc", "execline")["version"],
        "2.9.6.1-1"
    );

    let image = read_archive(&ctx.path("svc.tar"));
    assert_eq!(image.digest(), digest);
    let platform = image.platform();
    assert_eq!(
        platform.config["config"]["Entrypoint"],
        json!(["/usr/bin/s6-svscan", "/run/service"])
    );
    assert!(platform.config["config"].get("Cmd").is_none());
    assert_eq!(platform.config["config"]["User"], "65532:65532");
    let last = platform.layers.last().unwrap();
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular};
    // s6-svscan and s6-supervise write their control files here, as the run-as user.
    for dir in [
        "run/service",
        "run/service/.s6-svscan",
        "run/service/web",
        "run/service/ping",
    ] {
        assert_eq!(meta(dir), (Directory, 0o755, 65532, 65532), "{dir}");
    }
    assert_eq!(meta("run/service/web/run"), (Regular, 0o755, 0, 0));
    assert_eq!(
        last.text("run/service/web/run"),
        "#!/usr/lib/execline/bin/execlineb -P\n\"/bin/tool\" \"--serve\" \"daemon off;\" \"say \\\"hi\\\" \\\\ {\"\n"
    );
    assert_eq!(
        last.text("run/service/ping/run"),
        "#!/usr/lib/execline/bin/execlineb -P\n\"/usr/bin/pinger\" \"-q\"\n"
    );
    let sigquit = last.text("run/service/.s6-svscan/SIGQUIT");
    assert_eq!(
        meta("run/service/.s6-svscan/SIGQUIT"),
        (Regular, 0o755, 0, 0)
    );
    assert!(sigquit.starts_with("#!/usr/lib/execline/bin/execlineb -P\n"));
    for name in ["ping", "web"] {
        assert!(sigquit.contains(&format!("/usr/bin/s6-svc -O -q \"/run/service/{name}\"")));
    }
    assert!(sigquit.ends_with("/usr/bin/s6-svscanctl -t /run/service\n"));
}

#[test]
fn switching_to_services_makes_the_lock_stale() {
    let ctx = ctx_with(s6_packages());
    let manifest = |entrypoint: &str| {
        ctx.manifest(
            "svc",
            &["base-files", "base-passwd", "hello"],
            &format!("archs: [amd64]\nentrypoint:\n{entrypoint}"),
        )
    };
    manifest("  command: /bin/tool\n");
    ok(&ctx.aloft(&["lock", "manifests/svc.yaml"]));
    assert!(!ctx.lock_text("svc").contains("\"s6\""));
    manifest("  services:\n    web: /bin/tool\n");
    fails_with(
        &assemble(&ctx, "manifests/svc.yaml", "svc.tar", &["--locked"]),
        &["stale"],
    );
    ok(&ctx.aloft(&["lock", "manifests/svc.yaml"]));
    assert_eq!(locked_package(&ctx, "svc", "s6")["version"], "2.13.1.0-1");
}

#[test]
fn bad_services_are_refused_with_the_manifest_line() {
    let ctx = ctx_with(s6_packages());
    // A program that is not in the image: found at assemble time, nothing written.
    ctx.manifest(
        "missing",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64]\nentrypoint:\n  services:\n    web: /usr/sbin/httpd\n",
    );
    fails_with(
        &assemble(&ctx, "manifests/missing.yaml", "m.tar", &[]),
        &["missing.yaml:9", "service `web` runs `/usr/sbin/httpd`"],
    );
    nothing_left(&ctx, "m.tar", None, "nonexistent");
    // `cmd` would become arguments of s6-svscan: refused when the manifest is read.
    ctx.manifest(
        "cmd",
        &["hello"],
        "entrypoint:\n  services:\n    web: /bin/tool\ncmd: --serve\n",
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/cmd.yaml"]),
        &["cmd.yaml", "takes no `cmd`"],
    );
    // Hidden names are skipped by s6-svscan, so they are not service names.
    ctx.manifest(
        "hidden",
        &["hello"],
        "entrypoint:\n  services:\n    .web: /bin/tool\n",
    );
    fails_with(
        &ctx.aloft(&["lock", "manifests/hidden.yaml"]),
        &["hidden.yaml", "`.web` is not a service name"],
    );
}
