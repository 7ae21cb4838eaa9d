//! The image check every build makes: missing ELF libraries, script interpreters, the
//! entrypoint, owners and foreign ELF files are named with the files and packages that
//! need them; warnings by default, and with `--strict` an error that writes nothing.

use super::*;

use aloft_test::elf::{EM_AARCH64, EM_X86_64, dynamic_object, shared_object};

fn checked_packages() -> Vec<FixturePackage> {
    vec![
        FixturePackage::new("app", "1.0")
            .file(
                "usr/bin/app",
                &dynamic_object(EM_X86_64, None, &["libfoo.so.1", "libmissing.so.2"], None),
                0o755,
            )
            .file(
                "usr/lib/app/plugin.so",
                &dynamic_object(EM_X86_64, None, &["libpriv.so"], Some("$ORIGIN/private")),
                0o644,
            )
            .file(
                "usr/lib/app/private/libpriv.so",
                &shared_object(EM_X86_64, Some("libpriv.so")),
                0o644,
            )
            .file(
                "usr/lib/app/wrong.so",
                &dynamic_object(EM_AARCH64, None, &["libfoo.so.1"], None),
                0o644,
            )
            // A private library the package's own program loads first (the JVM's
            // lib/server/libjvm.so): its soname satisfies its siblings' DT_NEEDED.
            .file(
                "usr/lib/app/libattach.so",
                &dynamic_object(EM_X86_64, None, &["libjvm.so"], None),
                0o644,
            )
            .file(
                "usr/lib/app/server/libjvm.so",
                &shared_object(EM_X86_64, Some("libjvm.so")),
                0o644,
            )
            .file("usr/bin/tool", b"#!/usr/bin/env python3\nprint()\n", 0o755)
            .file("usr/bin/run.sh", b"#!/bin/sh\nexec app\n", 0o755)
            .file(
                "usr/share/doc/app/example.sh",
                b"#!/usr/bin/make -f\n",
                0o755,
            )
            .entry(DebFile::file("var/lib/app/state", b"", 0o644).owner(4242, 0, "", "root")),
        FixturePackage::new("libfoo1", "1.0").file(
            "usr/lib/x86_64-linux-gnu/libfoo.so.1",
            &shared_object(EM_X86_64, Some("libfoo.so.1")),
            0o644,
        ),
        FixturePackage::new("coreutils", "9.7-3").file(
            "usr/bin/env",
            &shared_object(EM_X86_64, None),
            0o755,
        ),
    ]
}

#[test]
fn missing_libraries_interpreters_entrypoint_and_owners_are_named() {
    let ctx = ctx_with(checked_packages());
    ctx.manifest(
        "checked",
        &["base-files", "base-passwd", "app", "libfoo1", "coreutils"],
        "archs: [amd64]\nentrypoint:\n  command: [/usr/bin/missing-prog, --serve]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/checked.yaml"]));

    // Warnings by default: the image is written.
    let output = assemble(&ctx, "manifests/checked.yaml", "c.tar", &["--locked"]);
    ok(&output);
    assert!(ctx.path("c.tar").exists());
    let warnings = stderr(&output);
    for needle in [
        "the library `libmissing.so.2` is not in the image: needed by /usr/bin/app (app)",
        "ELF files are built for machine 183, not the platform's 62: /usr/lib/app/wrong.so (app)",
        "the script interpreter `/bin/sh` is not in the image: needed by /usr/bin/run.sh (app) (add `dash (or busybox)`",
        "`python3` (run through `/usr/bin/env`) is not on the image's PATH: needed by /usr/bin/tool (app) (add `python3`",
        "the entrypoint's program `/usr/bin/missing-prog` is not in the image",
        "uid 4242 owns paths but is not in /etc/passwd: owning /var/lib/app/state (app)",
    ] {
        assert!(warnings.contains(needle), "`{needle}` not in:\n{warnings}");
    }
    // Found where ld.so looks, or not checked: no finding.
    for absent in [
        "libfoo.so.1` is not",
        "libpriv.so",
        "libjvm.so",
        "example.sh",
        "/usr/bin/make",
    ] {
        assert!(!warnings.contains(absent), "`{absent}` in:\n{warnings}");
    }

    // --strict: the same findings are an error, and nothing is written.
    let strict = assemble(
        &ctx,
        "manifests/checked.yaml",
        "s.tar",
        &["--locked", "--strict"],
    );
    insta::assert_snapshot!("strict_findings", failure(&ctx, &strict));
    assert!(!ctx.path("s.tar").exists());
}

#[test]
fn a_complete_image_has_no_findings_even_when_strict() {
    let mut packages = checked_packages();
    packages[0] = FixturePackage::new("app", "1.0")
        .file(
            "usr/bin/app",
            &dynamic_object(EM_X86_64, None, &["libfoo.so.1"], None),
            0o755,
        )
        .file("usr/bin/tool", b"#!/usr/bin/env app\n", 0o755);
    let ctx = ctx_with(packages);
    ctx.manifest(
        "complete",
        &["base-files", "base-passwd", "app", "libfoo1", "coreutils"],
        "archs: [amd64]\nentrypoint:\n  command: [app]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/complete.yaml"]));
    let output = assemble(
        &ctx,
        "manifests/complete.yaml",
        "ok.tar",
        &["--locked", "--strict"],
    );
    ok(&output);
    assert!(!stderr(&output).contains("WARN"), "{}", stderr(&output));
}
