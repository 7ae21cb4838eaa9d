//! Effects done natively in place of maintainer scripts.

use super::*;

// Effects done natively in place of maintainer scripts

/// /etc/localtime follows the manifest's TZ when the image has that zone, else Etc/UTC
/// (tzdata's default); the effect is recorded for tzdata in effects.json.
#[test]
fn localtime_follows_tz_and_is_recorded() {
    let ctx = ctx();
    for (name, tz, zone) in [
        ("paris", "environment: {TZ: Europe/Paris}\n", "Europe/Paris"),
        (
            "posix",
            "environment: {TZ: ':Europe/Paris'}\n",
            "Europe/Paris",
        ),
        ("unset", "", "Etc/UTC"),
        ("unknown", "environment: {TZ: Mars/Olympus}\n", "Etc/UTC"),
    ] {
        ctx.manifest(
            name,
            &["base-files", "base-passwd", "tzdata"],
            &format!("archs: [amd64]\n{tz}"),
        );
        ok(&ctx.aloft(&["lock", &format!("manifests/{name}.yaml")]));
        let out = format!("{name}.tar");
        digest_line(&assemble(
            &ctx,
            &format!("manifests/{name}.yaml"),
            &out,
            &["--locked"],
        ));
        let image = read_archive(&ctx.path(&out));
        let platform = image.platform();
        let last = platform.layers.last().unwrap();
        let localtime = last.get("etc/localtime");
        assert_eq!(
            localtime.link.as_deref(),
            Some(format!("/usr/share/zoneinfo/{zone}").as_str()),
            "{name}"
        );
        assert_eq!(last.text("etc/timezone"), format!("{zone}\n"), "{name}");
        let effects: Value =
            serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
        assert_eq!(
            effects["packages"]["tzdata"][0]["effect"], "localtime",
            "{name}: {effects}"
        );
    }
    // Without zone files, no /etc/localtime and no localtime effect (base-passwd's copy of
    // its masters is recorded as done natively).
    ctx.manifest(
        "nozones",
        &["base-files", "base-passwd"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/nozones.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/nozones.yaml",
        "nozones.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("nozones.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert!(last.find("etc/localtime").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let kinds: Vec<&str> = effects["packages"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|list| list.as_array().unwrap())
        .map(|e| e["effect"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["native", "native"], "{effects}");
}

/// The first PEM certificate after `# mozilla/<name>` in aloft-assemble's test data.
pub(crate) fn mozilla_root(name: &str) -> String {
    let roots = include_str!("../../../aloft-assemble/tests/data/mozilla-roots.txt");
    let start = roots.find(&format!("# mozilla/{name}\n")).unwrap();
    let pem = &roots[start..];
    let pem = &pem[pem.find('\n').unwrap() + 1..];
    let end =
        pem.find("-----END CERTIFICATE-----\n").unwrap() + "-----END CERTIFICATE-----\n".len();
    pem[..end].to_owned()
}

/// ca-certificates' effect: every shipped .crt enabled in /etc/ca-certificates.conf
/// (sorted), the bundle in that order (a missing final newline added), a .pem link per
/// certificate (spaces and commas to `_`, parentheses to `=`), and OpenSSL's
/// `<subject hash>.0` links; a local CA copied in with `files:` is trusted too.
#[test]
fn the_ca_bundle_and_its_links_are_made() {
    let accv = mozilla_root("ACCVRAIZ1.crt");
    let amazon = mozilla_root("Amazon_Root_CA_1.crt");
    let ctx = ctx_with(vec![
        FixturePackage::new("ca-certificates", "20250419")
            .arch("all")
            .file("usr/sbin/update-ca-certificates", b"#!/bin/sh\n", 0o755)
            .file(
                "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt",
                accv.as_bytes(),
                0o644,
            )
            .file(
                "usr/share/ca-certificates/mozilla/Amazon Root (CA), 1.crt",
                amazon.trim_end().as_bytes(),
                0o644,
            )
            .file(
                "usr/share/ca-certificates/mozilla/README",
                b"not a cert\n",
                0o644,
            )
            // The real postinst writes the .conf's header, then appends what a pipeline
            // computes; aloft's whole .conf must replace the header-only file.
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  echo '# header only' > /etc/ca-certificates.conf\nfi\n",
            ),
    ]);
    // A local CA through `files:`, as update-ca-certificates finds it.
    let local = mozilla_root("Actalis_Authentication_Root_CA.crt");
    std::fs::create_dir_all(ctx.path("host")).unwrap();
    std::fs::write(ctx.path("host/our-ca.crt"), &local).unwrap();
    ctx.manifest(
        "ca",
        &["base-files", "base-passwd", "ca-certificates"],
        "archs: [amd64]\nfiles:\n  - {source: ../host/our-ca.crt, path: /usr/local/share/ca-certificates/our-ca.crt}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/ca.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/ca.yaml",
        "ca.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("ca.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let conf = last.text("etc/ca-certificates.conf");
    assert!(conf.starts_with("# This file lists certificates"), "{conf}");
    assert!(
        conf.ends_with("#\nmozilla/ACCVRAIZ1.crt\nmozilla/Amazon Root (CA), 1.crt\n"),
        "{conf}"
    );
    // The local CA comes after the system ones, and is not in the .conf.
    assert_eq!(
        last.text("etc/ssl/certs/ca-certificates.crt"),
        format!("{accv}{amazon}{local}")
    );
    assert!(!conf.contains("our-ca"), "{conf}");
    let link = |path: &str| last.get(path).link.clone().unwrap();
    assert_eq!(
        link("etc/ssl/certs/ACCVRAIZ1.pem"),
        "/usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt"
    );
    assert_eq!(
        link("etc/ssl/certs/Amazon_Root_=CA=__1.pem"),
        "/usr/share/ca-certificates/mozilla/Amazon Root (CA), 1.crt"
    );
    // The hashes OpenSSL gives these two roots (tests/data of aloft-assemble).
    assert_eq!(link("etc/ssl/certs/a94d09e5.0"), "ACCVRAIZ1.pem");
    assert_eq!(link("etc/ssl/certs/ce5e74ef.0"), "Amazon_Root_=CA=__1.pem");
    assert_eq!(
        link("etc/ssl/certs/our-ca.pem"),
        "/usr/local/share/ca-certificates/our-ca.crt"
    );
    assert_eq!(link("etc/ssl/certs/930ac5d2.0"), "our-ca.pem");
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(
        effects["packages"]["ca-certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["effect"] == "update-ca-certificates"),
        "{effects}"
    );
}

/// ca-certificates-java's keystore: every `.pem` link of /etc/ssl/certs (system and
/// local CAs) as a trusted certificate of a JKS keystore under `debian:<link name>`,
/// protected by /etc/default/cacerts' storepass, dated the build's epoch; the postinst
/// (which would run Java) leaves no gap and no marker behind.
#[test]
fn the_java_keystore_holds_every_ca_of_the_bundle() {
    let accv = mozilla_root("ACCVRAIZ1.crt");
    let local = mozilla_root("Actalis_Authentication_Root_CA.crt");
    let ctx = ctx_with(vec![
        FixturePackage::new("ca-certificates", "20250419")
            .arch("all")
            .file("usr/sbin/update-ca-certificates", b"#!/bin/sh\n", 0o755)
            .file("usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt", accv.as_bytes(), 0o644),
        FixturePackage::new("ca-certificates-java", "20240118")
            .arch("all")
            .depends("ca-certificates")
            .file("etc/ca-certificates/update.d/jks-keystore", b"#!/bin/sh\n", 0o755)
            .file(
                "etc/default/cacerts",
                b"#storepass=''\ncacerts_updates=yes\nstorepass='s3cret!'\n",
                0o600,
            )
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nstorepass='changeit'\nif [ -f /etc/default/cacerts ]; then\n    . /etc/default/cacerts\nfi\nif [ \"$1\" = configure ] && [ -z \"$2\" ]; then\n  touch /var/lib/ca-certificates-java/fresh\n  if [ \"$cacerts_updates\" = yes ]; then java -jar /usr/share/ca-certificates-java/ca-certificates-java.jar; fi\nfi\n",
            ),
    ]);
    write_mode(&ctx.path("host/our-ca.crt"), local.as_bytes(), 0o644);
    ctx.manifest(
        "java",
        &["base-files", "base-passwd", "ca-certificates-java"],
        "archs: [amd64]\nfiles:\n  - {source: ../host/our-ca.crt, path: /usr/local/share/ca-certificates/our-ca.crt}\n",
    );
    digest_line(&assemble(&ctx, "manifests/java.yaml", "java.tar", &[]));
    let image = read_archive(&ctx.path("java.tar"));
    let platform = image.platform();
    let last = platform.final_layer();
    let entry = last.get("etc/ssl/certs/java/cacerts");
    assert_eq!(entry.mode, 0o644);
    let mut keystore = jks::KeyStore::with_options(jks::KeyStoreOptions {
        ordered_aliases: true,
        ..jks::KeyStoreOptions::default()
    });
    keystore
        .load(entry.data.as_slice(), b"s3cret!")
        .expect("a JKS keystore with the storepass of /etc/default/cacerts");
    assert_eq!(
        keystore.aliases(),
        ["debian:accvraiz1.pem", "debian:our-ca.pem"]
    );
    let trusted = keystore
        .get_trusted_certificate_entry("debian:accvraiz1.pem")
        .unwrap();
    assert_eq!(trusted.certificate.cert_type, "X.509");
    assert_eq!(
        trusted.creation_time,
        UNIX_EPOCH + Duration::from_secs(EPOCH)
    );
    assert!(last.find("var/lib/ca-certificates-java/fresh").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert_eq!(
        effects["packages"]["ca-certificates-java"][0]["effect"],
        "java cacerts"
    );
    assert!(
        effects["not_applied"].get("ca-certificates-java").is_none(),
        "{effects}"
    );
}

/// Effects read from postinst scripts: update-alternatives (highest priority wins, slaves
/// only where their path exists, the state file), ucf copies, and php modules enabled in
/// every SAPI of the image with the ini's priority; what a script does that aloft does
/// not do is listed, with its line.
#[test]
fn postinst_alternatives_ucf_and_php_modules_are_applied() {
    let alternative = |pkg: &str, prio: u32| {
        format!(
            "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  update-alternatives --install /usr/bin/awk awk /usr/bin/{pkg} {prio} \\\n    --slave /usr/bin/nawk nawk /usr/bin/{pkg} \\\n    --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/{pkg}.1.gz\nfi\nexit 0\n"
        )
    };
    let php_common = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  inidir=/etc/php/8.4/mods-available\n  if [ -e /usr/lib/php/php-maintscript-helper ] ; then\n    . /usr/lib/php/php-maintscript-helper\n    for dsoname in ctype posix; do\n      inifile=${dsoname}.ini\n      ucf /usr/share/php8.4-common/common/${inifile} ${inidir}/${inifile}\n      ucfr --force php8.4-common ${inidir}/${inifile}\n      php_invoke enmod 8.4 ALL ${dsoname}\n    done\n  fi\n  frobnicate --all\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("mawk", "1.3")
            .file("usr/bin/mawk", b"\x7fELF mawk", 0o755)
            .control_file("postinst", alternative("mawk", 5).as_bytes()),
        FixturePackage::new("gawk", "5.2")
            .file("usr/bin/gawk", b"\x7fELF gawk", 0o755)
            .file("usr/share/man/man1/gawk.1.gz", b"man", 0o644)
            .control_file("postinst", alternative("gawk", 10).as_bytes()),
        FixturePackage::new("php-common", "96").arch("all").file(
            "usr/lib/php/php-maintscript-helper",
            b"# helper\n",
            0o644,
        ),
        FixturePackage::new("php8.4-common", "8.4.1")
            .file(
                "usr/share/php8.4-common/common/ctype.ini",
                b"; configuration for php ctype module\n; priority=20\nextension=ctype.so\n",
                0o644,
            )
            .file(
                "usr/share/php8.4-common/common/posix.ini",
                b"; priority=15\nextension=posix.so\n",
                0o644,
            )
            .entry(dir("etc/php/8.4/mods-available"))
            .control_file("postinst", php_common.as_bytes()),
        // Ships its ini itself (no ucf), as php-apcu's packages do.
        FixturePackage::new("php8.4-apcu", "5.1.24")
            .file(
                "etc/php/8.4/mods-available/apcu.ini",
                b"extension=apcu.so\n",
                0o644,
            )
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif [ -e /usr/lib/php/php-maintscript-helper ] ; then\n    . /usr/lib/php/php-maintscript-helper\n    for version in 8.4 ; do\n        for name in apcu ; do\n            php_invoke enmod \"$version\" ALL \"$name\" || exit 1\n\tdone\n    done\nfi\n",
            ),
        FixturePackage::new("php8.4-cli", "8.4.1")
            .entry(dir("etc/php/8.4/cli/conf.d"))
            .file("usr/bin/php8.4", b"\x7fELF php", 0o755),
        FixturePackage::new("php8.4-fpm", "8.4.1")
            .entry(dir("etc/php/8.4/fpm/conf.d"))
            .file("usr/sbin/php-fpm8.4", b"\x7fELF fpm", 0o755),
    ]);
    ctx.manifest(
        "scripts",
        &[
            "base-files",
            "base-passwd",
            "mawk",
            "gawk",
            "php-common",
            "php8.4-common",
            "php8.4-apcu",
            "php8.4-cli",
            "php8.4-fpm",
        ],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/scripts.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/scripts.yaml",
        "s.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("s.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let link = |path: &str| last.get(path).link.clone().unwrap();
    // gawk (10) beats mawk (5). A slim image has no man page, so that slave is not
    // linked, as update-alternatives skips a slave whose file is missing.
    assert_eq!(link("usr/bin/awk"), "/etc/alternatives/awk");
    assert_eq!(link("etc/alternatives/awk"), "/usr/bin/gawk");
    assert_eq!(link("usr/bin/nawk"), "/etc/alternatives/nawk");
    assert_eq!(link("etc/alternatives/nawk"), "/usr/bin/gawk");
    assert!(last.find("etc/alternatives/awk.1.gz").is_none());
    assert!(last.find("usr/share/man/man1/awk.1.gz").is_none());
    assert_eq!(
        last.text("var/lib/dpkg/alternatives/awk"),
        "auto\n/usr/bin/awk\nawk.1.gz\n/usr/share/man/man1/awk.1.gz\nnawk\n/usr/bin/nawk\n\n\
         /usr/bin/gawk\n10\n/usr/share/man/man1/gawk.1.gz\n/usr/bin/gawk\n\
         /usr/bin/mawk\n5\n/usr/share/man/man1/mawk.1.gz\n/usr/bin/mawk\n\n"
    );
    // ucf copies, and the modules in both SAPIs with their priorities.
    assert_eq!(
        last.text("etc/php/8.4/mods-available/posix.ini"),
        "; priority=15\nextension=posix.so\n"
    );
    for sapi in ["cli", "fpm"] {
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/15-posix.ini")),
            "/etc/php/8.4/mods-available/posix.ini"
        );
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/20-ctype.ini")),
            "/etc/php/8.4/mods-available/ctype.ini"
        );
        assert_eq!(
            link(&format!("etc/php/8.4/{sapi}/conf.d/20-apcu.ini")),
            "/etc/php/8.4/mods-available/apcu.ini"
        );
    }
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    // The whole record as the image holds it: what was applied, per package, and what
    // was not, with the line and the reason.
    insta::assert_snapshot!(
        "effects_of_postinsts",
        last.text("usr/share/aloft/effects.json")
    );
    let kinds = |package: &str| -> Vec<String> {
        effects["packages"][package]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["effect"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds("gawk"), ["update-alternatives"]);
    assert_eq!(
        kinds("php8.4-common"),
        ["ucf", "ucf", "php-enmod", "php-enmod"]
    );
    // The unknown command is listed with its line, not guessed at.
    let not_applied = effects["not_applied"]["php8.4-common"].as_array().unwrap();
    assert!(
        not_applied
            .iter()
            .any(|n| n["line"] == 14 && n["what"].as_str().unwrap().contains("frobnicate")),
        "{not_applied:?}"
    );
}

/// File-system calls of postinst scripts, in script order: owners and modes of package
/// paths (names from the image's /etc/passwd and /etc/group), new files, symlinks,
/// directories, copies, redirections and dpkg-statoverride; an unknown account is listed
/// as not applied.
#[test]
fn postinst_file_calls_are_applied() {
    let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  if [ -z \"$2\" ]; then\n    chown daemon:tty /var/log/web\n    chmod 0750 /var/log/web\n    touch /var/log/web/access.log\n    chmod 640 /var/log/web/access.log\n    chown daemon:tty /var/log/web/access.log\n    ln -s /etc/web/sites-available/default /etc/web/sites-enabled/default\n    mkdir -p /var/www/html\n    cp /usr/share/web/index.html /var/www/html/index.web.html\n    echo \"welcome\" > /etc/web/motd\n    dpkg-statoverride --add --update root tty 1733 /var/lib/web/sessions\n    chown www-data /var/log/web\n  fi\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("web", "1.0")
            .entry(dir("var/log/web"))
            .entry(dir("var/lib/web/sessions"))
            .entry(dir("etc/web/sites-available"))
            .entry(dir("etc/web/sites-enabled"))
            .file("etc/web/sites-available/default", b"server {}\n", 0o644)
            .file("usr/share/web/index.html", b"<h1>web</h1>\n", 0o644)
            .file(
                "usr/lib/tmpfiles.d/web.conf",
                b"#Type Path Mode UID GID Age Argument\n    d /run/web 0750 daemon tty -\nd /run/web-default\nL /run/web-link - - - - /run/web\nL+ /usr/share/web/index.html - - - - /dev/null\nd %t/web-spec :0700 :daemon - -\nd /var/log/web/%m\nz /var/log/web 0700 daemon daemon\nr! /tmp/web-*.lock\nf /etc/web/made - - - - made by tmpfiles\na+ /run/web - - - - d:group:tty:r-x\nR /var/log/web/*.old\nr /var/log/web/access.*\nC /run/web/profile 0444 root root - /.extra/profile\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "web",
        &["base-files", "base-passwd", "web"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/web.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/web.yaml",
        "w.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("w.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular};
    // The postinst's chown and chmod, then tmpfiles.d's `z` (applied last, as at boot).
    assert_eq!(meta("var/log/web"), (Directory, 0o700, 1, 1));
    assert_eq!(meta("var/log/web/access.log"), (Regular, 0o640, 1, 5));
    assert_eq!(
        last.get("etc/web/sites-enabled/default").link.as_deref(),
        Some("/etc/web/sites-available/default")
    );
    assert_eq!(meta("var/www/html"), (Directory, 0o755, 0, 0));
    assert_eq!(last.text("var/www/html/index.web.html"), "<h1>web</h1>\n");
    assert_eq!(last.text("etc/web/motd"), "welcome\n");
    assert_eq!(meta("var/lib/web/sessions"), (Directory, 0o1733, 0, 5));
    // tmpfiles.d as `systemd-tmpfiles --create` applies it to a fresh image: `d` lines
    // made (with `-` as 0755 root, `:MODE` and `:USER` used), `%t` is /run; a link; a file
    // with its text; `z` adjusts a path the packages ship; what cannot be made is listed.
    assert_eq!(meta("run/web"), (Directory, 0o750, 1, 5));
    assert_eq!(meta("run/web-default"), (Directory, 0o755, 0, 0));
    assert_eq!(meta("run/web-spec"), (Directory, 0o700, 1, 0));
    assert_eq!(last.get("run/web-link").link.as_deref(), Some("/run/web"));
    assert_eq!(last.text("etc/web/made"), "made by tmpfiles");
    assert!(last.find("var/log/web/%m").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let not_applied = effects["not_applied"]["web"].as_array().unwrap();
    assert!(
        not_applied
            .iter()
            .any(|n| n["line"] == 15 && n["why"].as_str().unwrap().contains("www-data")),
        "{not_applied:?}"
    );
    for (line, why, at_runtime) in [
        (5, "`L+` would replace", false),
        // What only a booted system has is marked as left to the running container.
        (7, "specifier `%m`", true),
        (11, "ACLs and file attributes", true),
        // The postinst's access.log matches; `*.old` matches nothing (line 12, applied).
        (13, "would remove at boot", false),
    ] {
        assert!(
            not_applied.iter().any(|n| n["line"] == line
                && n["why"].as_str().unwrap().contains(why)
                && n.get("at_runtime").is_some() == at_runtime),
            "line {line}: {not_applied:?}"
        );
    }
    // A copy whose source the image lacks is skipped, as systemd-tmpfiles skips it.
    assert!(last.find("run/web/profile").is_none());
    // `r` of a pattern below a directory the image leaves empty, or whose names it
    // does not match: nothing to remove.
    let applied = effects["packages"]["web"].to_string();
    assert!(
        applied.contains("/tmp/web-*.lock (the image has no such path: nothing to remove)"),
        "{applied}"
    );
    assert!(
        applied.contains("/.extra/profile (the image has no such source: nothing to copy)"),
        "{applied}"
    );
    assert!(
        applied.contains("/var/log/web/*.old (the image has no such path: nothing to remove)"),
        "{applied}"
    );
}

/// System accounts: a sysusers.d file and a postinst's `adduser --system --group`, with
/// ids counted down from 999, the home made and owned, and the script's later `chown`
/// by the new name applied.
#[test]
fn system_users_from_sysusers_and_scripts_get_deterministic_ids() {
    let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n  if ! getent passwd svc >/dev/null; then\n    adduser --system --group --home /var/lib/svc --gecos \"svc daemon\" svc\n  fi\n  chown svc:svc /var/log/svc\n  usermod -a -G tty svc\nfi\nexit 0\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("svc", "1.0")
            .entry(dir("var/log/svc"))
            .file(
                "usr/lib/sysusers.d/svc.conf",
                b"# the helper account\nu svc-helper - \"svc helper\" /run/svc-helper\ng svc-extra 555\nm svc-helper svc-extra\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "svc",
        &["base-files", "base-passwd", "svc"],
        "archs: [amd64]\n",
    );
    let first = digest_line(&assemble(&ctx, "manifests/svc.yaml", "a.tar", &[]));
    let image = read_archive(&ctx.path("a.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let passwd = last.text("etc/passwd");
    let group = last.text("etc/group");
    // sysusers.d first: 999; then the script's user and its group: 998.
    assert!(
        passwd.contains("svc-helper:*:999:999:svc helper:/run/svc-helper:/usr/sbin/nologin\n"),
        "{passwd}"
    );
    assert!(
        passwd.contains("svc:*:998:998:svc daemon:/var/lib/svc:/usr/sbin/nologin\n"),
        "{passwd}"
    );
    assert!(group.contains("svc-extra:*:555:svc-helper\n"), "{group}");
    assert!(group.contains("svc:*:998:\n"), "{group}");
    assert!(group.contains("tty:*:5:svc\n"), "{group}");
    let meta = |path: &str| {
        let e = last.get(path);
        (e.mode, e.uid, e.gid)
    };
    assert_eq!(meta("var/lib/svc"), (0o755, 998, 998));
    assert_eq!(meta("var/log/svc"), (0o755, 998, 998));
    // sysusers.d creates no home.
    assert!(last.find("run/svc-helper").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let details: Vec<&str> = effects["packages"]["svc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details[..4],
        [
            "svc-helper 999:999",
            "svc-extra 555",
            "svc-helper in svc-extra",
            "svc 998:998"
        ]
    );
    // The same ids on every build.
    let again = digest_line(&assemble(&ctx, "manifests/svc.yaml", "b.tar", &[]));
    assert_eq!(first, again);
}

/// Paths are resolved through the image's own links, as the kernel resolves them for a
/// script: base-files' postinst turns /var/run into a link to /run, and what another
/// package's postinst makes under /var/run lands under /run, whether it ran before or
/// after; `files:` under a linked directory too. No path is written twice in a layer
/// (docker refuses such a layer: "duplicates of file paths not supported").
#[test]
fn effects_follow_the_images_links_and_write_each_path_once() {
    let base = "#!/bin/sh\nset -e\nmigrate_directory() {\n  if [ ! -L \"$DPKG_ROOT$1\" ]; then\n    rmdir \"$DPKG_ROOT$1\"\n    ln -s \"$2\" \"$DPKG_ROOT$1\"\n  fi\n}\nif [ \"$1\" = configure ] && [ -z \"$2\" ]; then\n  migrate_directory /var/run /run\nfi\n";
    let early = "#!/bin/sh\nset -e\ninstall -d -m 2775 -o daemon -g tty /var/run/aa-daemon\n";
    let late = "#!/bin/sh\nset -e\nmkdir -p /var/run\nmkdir -p /var/run/zz\ntouch /var/run/zz/ready\nchown daemon /var/run/zz\nln -sf /srv/data /opt/app/data\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("basefs", "1")
            .entry(dir("var/run"))
            .entry(dir("run"))
            .entry(dir("srv/data"))
            .control_file("postinst", base.as_bytes()),
        FixturePackage::new("aa-daemon", "1")
            .entry(dir("opt/app"))
            .control_file("postinst", early.as_bytes()),
        FixturePackage::new("zz-daemon", "1").control_file("postinst", late.as_bytes()),
    ]);
    host_files(&ctx);
    ctx.manifest(
        "links",
        &["base-files", "base-passwd", "basefs", "aa-daemon", "zz-daemon"],
        "archs: [amd64]\nfiles:\n  - {source: ../host/app.conf, path: /var/run/app.conf}\n  - {source: ../host/app.conf, path: /opt/app/data/app.conf}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/links.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/links.yaml",
        "l.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("l.tar"));
    let platform = image.platform();
    for layer in &platform.layers {
        let mut seen = BTreeSet::new();
        for path in layer.paths() {
            assert!(
                seen.insert(path),
                "`{path}` twice in `{}`",
                layer.created_by
            );
        }
    }
    let last = platform.layers.last().unwrap();
    assert_eq!(last.get("var/run").link.as_deref(), Some("/run"));
    let under_var_run: Vec<&str> = last
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("var/run/"))
        .collect();
    assert!(under_var_run.is_empty(), "{under_var_run:?}");
    let meta = |path: &str| {
        let e = last.get(path);
        (e.kind, e.mode, e.uid, e.gid)
    };
    use tar::EntryType::{Directory, Regular};
    assert_eq!(meta("run/aa-daemon"), (Directory, 0o2775, 1, 5));
    assert_eq!(meta("run/zz"), (Directory, 0o755, 1, 0));
    assert_eq!(meta("run/zz/ready").0, Regular);
    assert_eq!(last.text("run/app.conf"), "listen = 8080\n");
    assert_eq!(last.get("opt/app/data").link.as_deref(), Some("/srv/data"));
    assert_eq!(last.text("srv/data/app.conf"), "listen = 8080\n");
}

/// Preinsts are read (`preinst install`, before every postinst, with the package's own
/// files not unpacked yet): mariadb-server makes its `mysql` user there. `$DPKG_MAINTSCRIPT_ARCH` and `$(dpkg --print-architecture)` are the
/// package's and the image's: openjdk's postinst installs its alternatives at full priority
/// only when they are equal, and only then is `/usr/bin/java` made (amd64 and arm64).
#[test]
fn preinsts_are_read_and_the_architecture_is_known() {
    let preinst = "#!/bin/bash\nset -e\nif [ \"$1\" = \"install\" ] || [ \"$1\" = \"upgrade\" ]; then\n  if ! getent group mysql >/dev/null; then\n    addgroup --system mysql >/dev/null\n  fi\n  if ! getent passwd mysql >/dev/null; then\n    adduser --system --disabled-login --ingroup mysql --no-create-home --home /nonexistent --gecos \"MariaDB Server\" --shell /bin/false mysql >/dev/null\n  fi\n  dpkg-divert --package dbserver --rename --divert /usr/bin/dbtool.distrib --add /usr/bin/dbtool\nfi\n";
    let postinst = "#!/bin/sh\nset -e\nchown mysql:mysql /var/lib/mysql\n";
    let java = |arch: &str| {
        let postinst = format!(
            "#!/bin/sh\nset -e\npriority=2111\nif [ \"$DPKG_MAINTSCRIPT_ARCH\" != $(dpkg --print-architecture) ]; then\n  priority=$(expr $priority - 1)\nfi\nupdate-alternatives --install /usr/bin/java java /usr/lib/jvm/java-21-openjdk-{arch}/bin/java $priority\n"
        );
        FixturePackage::new("jre", "21")
            .arch(arch)
            .file(
                &format!("usr/lib/jvm/java-21-openjdk-{arch}/bin/java"),
                b"\x7fELF java",
                0o755,
            )
            .control_file("postinst", postinst.as_bytes())
    };
    let ctx = ctx_with(vec![
        FixturePackage::new("dbserver", "1")
            .arch("all")
            .entry(dir("var/lib/mysql"))
            // Its preinst diverts another package's dbtool: its own is not unpacked
            // yet, so nothing is renamed.
            .file("usr/bin/dbtool", b"#!/bin/sh\n", 0o755)
            .control_file("preinst", preinst.as_bytes())
            .control_file("postinst", postinst.as_bytes()),
        java("amd64"),
        java("arm64"),
    ]);
    // run-as names the user the preinst makes: settled once the scripts have run.
    ctx.manifest(
        "db",
        &["base-files", "base-passwd", "dbserver", "jre"],
        "archs: [amd64, arm64]\naccounts: {run-as: mysql}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/db.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/db.yaml",
        "db.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("db.tar"));
    for platform in image.platforms() {
        let arch = platform.arch().to_owned();
        let last = platform.layers.last().unwrap();
        let passwd = last.text("etc/passwd");
        let mysql = passwd
            .lines()
            .find(|l| l.starts_with("mysql:"))
            .unwrap_or_else(|| panic!("{arch}: no mysql user:\n{passwd}"));
        assert_eq!(
            mysql,
            "mysql:*:999:999:MariaDB Server:/nonexistent:/bin/false"
        );
        let data = last.get("var/lib/mysql");
        assert_eq!((data.uid, data.gid), (999, 999), "{arch}");
        assert!(last.find("usr/bin/dbtool.distrib").is_none(), "{arch}");
        assert_eq!(
            last.get("etc/alternatives/java").link.as_deref(),
            Some(format!("/usr/lib/jvm/java-21-openjdk-{arch}/bin/java").as_str()),
            "{arch}"
        );
        assert_eq!(
            last.get("usr/bin/java").link.as_deref(),
            Some("/etc/alternatives/java")
        );
        assert_eq!(platform.config["config"]["User"], "999:999", "{arch}");
        let effects: Value =
            serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
        assert!(
            effects["not_applied"].get("jre").is_none()
                && effects["not_applied"].get("dbserver").is_none(),
            "{arch}: {effects}"
        );
    }
    // A name no account of the image has is an error naming the manifest line.
    ctx.manifest(
        "ghost",
        &["base-files", "base-passwd", "dbserver"],
        "archs: [amd64]\naccounts: {run-as: ghost}\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/ghost.yaml"]));
    fails_with(
        &assemble(&ctx, "manifests/ghost.yaml", "g.tar", &["--locked"]),
        &["ghost.yaml", "run-as `ghost` is no user of the image"],
    );
}

/// a2enmod, a2enconf, a2ensite (apache2's postinst) and apache2-maintscript-helper's
/// `apache2_switch_mpm` and `apache2_invoke enmod` (a module package's postinst), with the
/// tools' semantics: relative links from *-enabled, `.conf` beside a module's `.load`,
/// `# Depends:` enabled first, `# Conflicts:` refused, maintainer-mode markers.
#[test]
fn apache_modules_confs_and_sites_are_enabled_as_a2enmod_does() {
    let server = "#!/bin/sh\nset -e\nis_fresh_install()\n{\n\tif [ -z \"$2\" ] ; then\n\t\treturn 0\n\tfi\n\treturn 1\n}\nif [ \"$1\" = configure ]; then\n  if is_fresh_install $@; then\n    a2enmod -m -q mpm_event\n    for module in authz_host dir; do\n      a2enmod -m -q $module\n    done\n    a2enconf -m -q security\n    if [ ! -L /etc/apache2/sites-enabled/000-default.conf -a ! -f /etc/apache2/sites-enabled/000-default.conf ]; then\n      a2ensite -q 000-default\n    fi\n    a2enmod -q nosuchmod || true\n  fi\nfi\n";
    let module = "#!/bin/sh\nset -e\nif [ -e /usr/share/apache2/apache2-maintscript-helper ] ; then\n  . /usr/share/apache2/apache2-maintscript-helper\n  apache2_switch_mpm prefork\n  apache2_invoke enmod php8.4\nfi\n";
    let avail = |name: &str, text: &str| {
        file(
            &format!("etc/apache2/mods-available/{name}"),
            text.as_bytes(),
            0o644,
        )
    };
    let ctx = ctx_with(vec![
        FixturePackage::new("webserver", "2.4")
            .entry(dir("etc/apache2/mods-enabled"))
            .entry(dir("etc/apache2/conf-enabled"))
            .entry(dir("etc/apache2/sites-enabled"))
            .entry(avail("mpm_event.load", "# Conflicts: mpm_worker mpm_prefork\nLoadModule mpm_event_module x\n"))
            .entry(avail("mpm_event.conf", "<IfModule mpm_event_module>\n</IfModule>\n"))
            .entry(avail("mpm_prefork.load", "# Conflicts: mpm_event mpm_worker\nLoadModule mpm_prefork_module x\n"))
            .entry(avail("authz_core.load", "LoadModule authz_core_module x\n"))
            .entry(avail("authz_host.load", "# Depends: authz_core\nLoadModule authz_host_module x\n"))
            .entry(avail("dir.load", "LoadModule dir_module x\n"))
            .entry(avail("dir.conf", "DirectoryIndex index.html\n"))
            .file("etc/apache2/conf-available/security.conf", b"ServerTokens OS\n", 0o644)
            .file("etc/apache2/sites-available/000-default.conf", b"<VirtualHost *:80>\n</VirtualHost>\n", 0o644)
            .file("usr/share/apache2/apache2-maintscript-helper", b"# sourced\n", 0o644)
            .control_file("postinst", server.as_bytes()),
        FixturePackage::new("modphp", "8.4")
            .entry(avail("php8.4.load", "# Conflicts: mpm_event mpm_worker\n# Depends: mpm_prefork\nLoadModule php_module x\n"))
            .entry(avail("php8.4.conf", "<FilesMatch \".+\\.php$\">\n</FilesMatch>\n"))
            .control_file("postinst", module.as_bytes()),
    ]);
    ctx.manifest(
        "web",
        &["base-files", "base-passwd", "webserver", "modphp"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/web.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/web.yaml",
        "a.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("a.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let link = |path: &str| last.get(path).link.clone().unwrap_or_default();
    let enabled: Vec<&str> = last
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("etc/apache2/mods-enabled/"))
        .collect();
    assert_eq!(
        enabled,
        [
            "etc/apache2/mods-enabled/authz_core.load",
            "etc/apache2/mods-enabled/authz_host.load",
            "etc/apache2/mods-enabled/dir.conf",
            "etc/apache2/mods-enabled/dir.load",
            "etc/apache2/mods-enabled/mpm_prefork.load",
            "etc/apache2/mods-enabled/php8.4.conf",
            "etc/apache2/mods-enabled/php8.4.load",
        ],
        "mpm_event switched to prefork for php"
    );
    assert_eq!(
        link("etc/apache2/mods-enabled/dir.load"),
        "../mods-available/dir.load"
    );
    assert_eq!(
        link("etc/apache2/mods-enabled/php8.4.conf"),
        "../mods-available/php8.4.conf"
    );
    assert_eq!(
        link("etc/apache2/conf-enabled/security.conf"),
        "../conf-available/security.conf"
    );
    assert_eq!(
        link("etc/apache2/sites-enabled/000-default.conf"),
        "../sites-available/000-default.conf"
    );
    assert!(
        last.find("var/lib/apache2/module/enabled_by_maint/dir")
            .is_some()
    );
    assert!(
        last.find("var/lib/apache2/module/enabled_by_maint/mpm_event")
            .is_none()
    );
    assert!(
        last.find("var/lib/apache2/site/enabled_by_maint/000-default")
            .is_some()
    );
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let not_applied = effects["not_applied"]["webserver"].as_array().unwrap();
    assert!(
        not_applied.iter().any(|n| n["what"] == "a2enmod nosuchmod"
            && n["why"].as_str().unwrap().contains("does not exist")),
        "{not_applied:?}"
    );
    assert!(effects["not_applied"].get("modphp").is_none(), "{effects}");
}

/// A helper script of the image that a maintainer script runs is read with its arguments:
/// mysql-common's configure-symlinks installs the `my.cnf` alternative that mariadb-common
/// asks for, which outranks mysql-common's own fallback.
#[test]
fn helper_scripts_the_image_ships_are_read_when_run() {
    let helper = "#!/bin/sh\nset -e\ncase \"$1\" in\n  install)\n    variant=\"$2\"\n    my_cnf_path=\"$3\"\n    update-alternatives --install /etc/mysql/my.cnf my.cnf \"$my_cnf_path\" 200\n  ;;\n  remove)\n    update-alternatives --remove my.cnf \"$3\"\n  ;;\nesac\n";
    let common = "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  update-alternatives --install /etc/mysql/my.cnf my.cnf /etc/mysql/my.cnf.fallback 100\nfi\n";
    // mariadb-common's check that its my.cnf won (it did: no second install at 500), and
    // perl's and python3's clean-ups of alternatives that a fresh image never had.
    let server = "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  /usr/share/mysql-common/configure-symlinks install mariadb \"/etc/mysql/mariadb.cnf\"\n  if ! update-alternatives --query my.cnf | grep --quiet \"Value: /etc/mysql/mariadb.cnf\"; then\n    update-alternatives --install /etc/mysql/my.cnf my.cnf \"/etc/mysql/mariadb.cnf\" 500 || true\n  fi\n  update-alternatives --remove rename /usr/bin/prename\n  update-alternatives --auto /usr/bin/python3 >/dev/null 2>&1 || true\nfi\n";
    // A later package (scripts are read in name order) sets the fallback by hand.
    let local = "#!/bin/sh\nset -e\nupdate-alternatives --set my.cnf /etc/mysql/my.cnf.fallback\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("mysql-common", "1")
            .arch("all")
            .file(
                "usr/share/mysql-common/configure-symlinks",
                helper.as_bytes(),
                0o755,
            )
            .file("etc/mysql/my.cnf.fallback", b"[mysqld]\n", 0o644)
            .control_file("postinst", common.as_bytes()),
        FixturePackage::new("mariadb-common", "1")
            .arch("all")
            .file(
                "etc/mysql/mariadb.cnf",
                b"!includedir /etc/mysql/mariadb.conf.d/\n",
                0o644,
            )
            .control_file("postinst", server.as_bytes()),
        FixturePackage::new("site-cnf", "1")
            .arch("all")
            .depends("mariadb-common, mysql-common")
            .control_file("postinst", local.as_bytes()),
    ]);
    ctx.manifest(
        "db",
        &[
            "base-files",
            "base-passwd",
            "mysql-common",
            "mariadb-common",
            "site-cnf",
        ],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/db.yaml"]));
    digest_line(&assemble(&ctx, "manifests/db.yaml", "h.tar", &["--locked"]));
    let image = read_archive(&ctx.path("h.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert_eq!(
        last.get("etc/alternatives/my.cnf").link.as_deref(),
        Some("/etc/mysql/my.cnf.fallback")
    );
    assert_eq!(
        last.get("etc/mysql/my.cnf").link.as_deref(),
        Some("/etc/alternatives/my.cnf")
    );
    assert_eq!(
        last.text("var/lib/dpkg/alternatives/my.cnf"),
        "manual\n/etc/mysql/my.cnf\n\n/etc/mysql/mariadb.cnf\n200\n/etc/mysql/my.cnf.fallback\n100\n\n"
    );
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(
        effects["not_applied"].get("mariadb-common").is_none(),
        "{effects}"
    );
    assert!(
        effects["not_applied"].get("site-cnf").is_none(),
        "{effects}"
    );
    let applied = effects["packages"].to_string();
    for detail in [
        "rename: /usr/bin/prename was not registered: nothing to remove",
        "/usr/bin/python3: no such alternative: nothing to do",
        "my.cnf: /etc/mysql/my.cnf.fallback, manual mode",
    ] {
        assert!(applied.contains(detail), "{detail}: {applied}");
    }
}

/// passwd's `shadowconfig on` (pwck and grpck read-only, pwconv, grpconv, then root:shadow
/// 0640): /etc/shadow and /etc/gshadow written with the accounts, as shadowconfig's own
/// chrootless path writes them, and the `*` passwords of /etc/passwd and /etc/group
/// become `x`.
#[test]
fn shadow_passwords_are_turned_on_natively() {
    let passwd = FixturePackage::new("passwd", "1:4.17.4-2")
        .depends("base-passwd")
        .control_file(
            "postinst",
            b"#!/bin/sh\nset -e\npwck -q -r\ngrpck -r\npwconv\ngrpconv\nchown root:root /etc/passwd /etc/group\nchmod 644 /etc/passwd /etc/group\nchown root:shadow /etc/shadow /etc/gshadow\nchmod 640 /etc/shadow /etc/gshadow\n",
        );
    let ctx = ctx_with(vec![passwd]);
    ctx.manifest(
        "shadow",
        &["base-files", "base-passwd", "passwd"],
        "archs: [amd64]\naccounts:\n  groups: [{groupname: shadow, gid: 42}]\n  users: [{username: app, uid: 1000}]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/shadow.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/shadow.yaml",
        "shadow.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("shadow.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let days = EPOCH / 86_400;
    assert_eq!(
        last.text("etc/shadow"),
        format!(
            "root:*:{days}:0:99999:7:::\ndaemon:*:{days}:0:99999:7:::\nnobody:*:{days}:0:99999:7:::\napp:*:{days}:0:99999:7:::\n"
        )
    );
    assert_eq!(
        last.text("etc/gshadow"),
        "root:*::\ndaemon:*::\ntty:*::\nnogroup:*::\nshadow:*::\napp:*::\n"
    );
    for file in ["etc/shadow", "etc/gshadow"] {
        let entry = last.get(file);
        assert_eq!((entry.mode, entry.uid, entry.gid), (0o640, 0, 42), "{file}");
    }
    let passwd = last.text("etc/passwd");
    assert!(
        passwd.starts_with("root:x:0:0:root:/root:/bin/sh\n"),
        "{passwd}"
    );
    assert!(!passwd.contains(":*:"), "{passwd}");
    assert!(last.text("etc/group").starts_with("root:x:0:\n"));
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(effects["not_applied"]["passwd"].is_null(), "{effects}");
    let applied = effects["packages"]["passwd"].to_string();
    assert!(applied.contains("`pwconv`: /etc/shadow"), "{applied}");
    assert!(applied.contains("`grpconv`: /etc/gshadow"), "{applied}");
}

/// debconf as a non-interactive install answers it: `db_get` gives the default of the
/// question's template, from the control files of any package of the image.
#[test]
fn db_get_answers_with_the_templates_defaults() {
    let postinst = "#!/bin/sh\nset -e\n. /usr/share/debconf/confmodule\ndb_get fonts/hinting\ncase \"$RET\" in\n  Slight) ln -sf /usr/share/fonts/10-slight.conf /etc/fonts/conf.d/10-hinting.conf ;;\n  *) ln -sf /usr/share/fonts/10-none.conf /etc/fonts/conf.d/10-hinting.conf ;;\nesac\ndb_get shared/enable\nif [ \"$RET\" = true ]; then\n  touch /etc/fonts/enabled\nfi\n";
    let templates = "Template: fonts/hinting\nType: select\nChoices: Native, Slight, None\nDefault: Slight\nDescription: hinting\n\nTemplate: fonts/note\nType: note\nDescription: a note\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("fonts", "1.0")
            .entry(dir("etc/fonts/conf.d"))
            .file("usr/share/fonts/10-slight.conf", b"<slight/>\n", 0o644)
            .control_file("postinst", postinst.as_bytes())
            .control_file("templates", templates.as_bytes()),
        FixturePackage::new("shared", "1.0").control_file(
            "templates",
            b"Template: shared/enable\nType: boolean\nDefault: true\nDescription: enable\n",
        ),
    ]);
    ctx.manifest(
        "fonts",
        &["base-files", "base-passwd", "fonts", "shared"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/fonts.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/fonts.yaml",
        "f.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("f.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert_eq!(
        last.get("etc/fonts/conf.d/10-hinting.conf").link.as_deref(),
        Some("/usr/share/fonts/10-slight.conf")
    );
    assert!(last.find("etc/fonts/enabled").is_some());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(
        effects["not_applied"].get("fonts").is_none(),
        "{}",
        effects["not_applied"]
    );
}

/// base-files' `migrate_directory`: `rmdir /var/run; ln -s /run /var/run` of a directory
/// it ships empty: the link replaces the directory, and both calls count as applied.
#[test]
fn an_empty_packaged_directory_is_replaced_by_the_link_the_script_makes() {
    let postinst = "#!/bin/sh\nset -e\nmigrate_directory() {\n  if [ ! -L \"$1\" ]; then\n    rmdir \"$1\"\n    ln -s \"$2\" \"$1\"\n  fi\n}\nmigrate_directory /var/run /run\nmigrate_directory /var/spool/full /srv/spool\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("base-dirs", "1.0")
            .entry(dir("run"))
            .entry(dir("var/run"))
            .entry(dir("var/spool/full"))
            .file("var/spool/full/job", b"queued\n", 0o644)
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "dirs",
        &["base-files", "base-passwd", "base-dirs"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/dirs.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/dirs.yaml",
        "d.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("d.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert_eq!(last.get("var/run").link.as_deref(), Some("/run"));
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let applied = effects["packages"]["base-dirs"].to_string();
    assert!(
        applied.contains("replaces the empty directory"),
        "{applied}"
    );
    // A directory with a file in it: rmdir would fail, so it is listed, not replaced.
    let not_applied = effects["not_applied"]["base-dirs"].to_string();
    assert!(not_applied.contains("/var/spool/full"), "{not_applied}");
    assert!(!not_applied.contains("\"/var/run\""), "{not_applied}");
}

/// ucf from a file the script wrote itself (postgresql-common's createcluster.conf: its
/// template through sed into a mktemp file, then `ucf TEMP CONF` and `rm -f TEMP`): the
/// configuration file is the edited copy, with the temp file's mode, and no temp file
/// is left in the image.
#[test]
fn ucf_copies_a_file_the_script_wrote() {
    let postinst = "#!/bin/sh\nset -e\nSSL=on\nCCTMP=`mktemp --tmpdir pgc.XXXXXX`\nsed -e \"s/^ssl =.*/ssl = $SSL/\" /usr/share/pgc/createcluster.conf > $CCTMP\nchmod 644 $CCTMP\nucf --debconf-ok $CCTMP /etc/pgc/createcluster.conf\nucfr pgc /etc/pgc/createcluster.conf\nrm -f $CCTMP\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("pgc", "1")
            .arch("all")
            // /tmp, as trixie's base-files ships it (the fixture's does not).
            .entry(dir("tmp"))
            .entry(dir("etc/pgc"))
            .file(
                "usr/share/pgc/createcluster.conf",
                b"# defaults\nssl = off\ncreate_main_cluster = true\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "pgc",
        &["base-files", "base-passwd", "pgc"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/pgc.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/pgc.yaml",
        "p.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("p.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert_eq!(
        last.text("etc/pgc/createcluster.conf"),
        "# defaults\nssl = on\ncreate_main_cluster = true\n"
    );
    assert_eq!(last.get("etc/pgc/createcluster.conf").mode, 0o644);
    assert!(
        platform
            .layers
            .iter()
            .all(|layer| layer.find("tmp/pgc.aloft1").is_none())
    );
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(effects["not_applied"].get("pgc").is_none(), "{effects}");
}

/// xml-core's update-xmlcatalog, done natively: the package catalog and the root catalog
/// written whole between xml-core's header and footer, their data files, and the
/// catalogs they replaced as `.old`, byte for byte as the tool writes them (the expected
/// text is what xml-core 0.19's update-xmlcatalog wrote for the same calls).
#[test]
fn xml_catalogs_are_written_as_update_xmlcatalog_writes_them() {
    let header = "<?xml version=\"1.0\"?>\n<!DOCTYPE catalog PUBLIC \"-//OASIS//DTD XML Catalogs V1.0//EN\"\n  \"file:///usr/share/xml/schema/xml-core/catalog.dtd\">\n<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n";
    let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n\tupdate-xmlcatalog --sort --add --type system --id \"http://www.oasis-open.org/committees/entity/release/1.0/catalog.dtd\" --package xml-core --local /usr/share/xml/schema/xml-core/catalog.xml\n\tupdate-xmlcatalog --sort --add --type public --id \"-//OASIS//DTD XML Catalogs V1.0//EN\" --package xml-core --local /usr/share/xml/schema/xml-core/catalog.xml\n\n\tupdate-xmlcatalog --sort --add --type system --id \"http://www.oasis-open.org/committees/entity/release/1.0/catalog.dtd\" --package xml-core --root\n\tupdate-xmlcatalog --sort --add --type public --id \"-//OASIS//DTD XML Catalogs V1.0//EN\" --package xml-core --root\nfi\n";
    let ctx = ctx_with(vec![
        FixturePackage::new("xml-core", "0.19")
            .arch("all")
            .entry(dir("etc/xml"))
            .entry(dir("var/lib/xml-core"))
            .file(
                "usr/share/xml-core/catalog.header",
                header.as_bytes(),
                0o644,
            )
            .file("usr/share/xml-core/catalog.footer", b"</catalog>\n", 0o644)
            .file(
                "usr/share/xml/schema/xml-core/catalog.xml",
                b"<catalog/>\n",
                0o644,
            )
            .control_file("postinst", postinst.as_bytes()),
    ]);
    ctx.manifest(
        "xml",
        &["base-files", "base-passwd", "xml-core"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/xml.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/xml.yaml",
        "x.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("x.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let public = "<delegatePublic publicIdStartString=\"-//OASIS//DTD XML Catalogs V1.0//EN\"";
    let system = "<delegateSystem systemIdStartString=\"http://www.oasis-open.org/committees/entity/release/1.0/catalog.dtd\"";
    let local = "catalog=\"file:///usr/share/xml/schema/xml-core/catalog.xml\"";
    let package = "catalog=\"file:///etc/xml/xml-core.xml\"";
    let catalog = |lines: &[String]| format!("{header}{}</catalog>\n", lines.concat());
    let line = |key: &str, entry: &str| format!("{key} {entry}/>\n");
    assert_eq!(
        last.text("etc/xml/xml-core.xml"),
        catalog(&[line(public, local), line(system, local)])
    );
    assert_eq!(
        last.text("etc/xml/xml-core.xml.old"),
        catalog(&[line(system, local)])
    );
    assert_eq!(
        last.text("etc/xml/catalog"),
        catalog(&[line(public, package), line(system, package)])
    );
    assert_eq!(
        last.text("etc/xml/catalog.old"),
        catalog(&[line(system, package)])
    );
    assert_eq!(
        last.text("var/lib/xml-core/xml-core"),
        format!("{public}><{local}>\n{system}><{local}>\n")
    );
    assert_eq!(
        last.text("var/lib/xml-core/catalog"),
        format!("{public}><{package}>\n{system}><{package}>\n")
    );
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert!(
        effects["not_applied"].get("xml-core").is_none(),
        "{effects}"
    );
}

/// `stat` answers with the owner a package ships, unless an earlier script changed it:
/// then it is not known, and what depends on it is listed.
#[test]
fn stat_does_not_answer_for_paths_earlier_scripts_changed() {
    let ctx = ctx_with(vec![
        FixturePackage::new("aaa", "1")
            .arch("all")
            .entry(dir("srv/data"))
            .entry(dir("srv/other"))
            .control_file("postinst", b"#!/bin/sh\nset -e\nchown daemon /srv/data\n"),
        FixturePackage::new("bbb", "1").arch("all").control_file(
            "postinst",
            b"#!/bin/sh\nset -e\nif [ \"$(stat -c %U /srv/other)\" = root ]; then touch /srv/other/root-owned; fi\nif [ \"$(stat -c %U /srv/data)\" = root ]; then touch /srv/data/root-owned; fi\n",
        ),
    ]);
    ctx.manifest(
        "st",
        &["base-files", "base-passwd", "aaa", "bbb"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/st.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/st.yaml",
        "st.tar",
        &["--locked"],
    ));
    let image = read_archive(&ctx.path("st.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert!(last.find("srv/other/root-owned").is_some());
    assert!(last.find("srv/data/root-owned").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    let listed = effects["not_applied"]["bbb"].to_string();
    assert!(listed.contains("/srv/data"), "{effects}");
}
