//! `--locked` and `--arch`.

use super::*;

// 5. --locked

#[test]
fn locked_refuses_a_stale_lock_and_a_plain_assemble_locks_again() {
    let ctx = ctx();
    let manifest = ctx.manifest("app", &["base-files", "base-passwd"], "archs: [amd64]\n");
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "`manifests/app.yaml` has no lockfile",
            "help: run `aloft lock manifests/app.yaml` and commit the lockfile",
        ],
    );
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("base-passwd]", "base-passwd, hello]"),
    )
    .unwrap();
    fails_with(
        &assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]),
        &[
            "is stale: `manifests/app.yaml` changed since it was locked (--locked)",
            "help: run `aloft lock manifests/app.yaml` to update it",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "hello");
    assert!(!ctx.lock_text("app").contains("\"hello\""));

    let output = assemble(&ctx, "manifests/app.yaml", "app.tar", &[]);
    digest_line(&output);
    assert!(stderr(&output).contains("Locked"), "{}", stderr(&output));
    assert_eq!(locked_package(&ctx, "app", "hello")["version"], "1.0");
    let platform = read_archive(&ctx.path("app.tar")).platform();
    assert_eq!(platform.layer("hello").text("usr/bin/tool"), "#!tool\n");
    // Now fresh: --locked builds it.
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
}

// 6. --arch

#[test]
fn arch_builds_one_platform_of_a_two_arch_manifest() {
    let ctx = ctx();
    ctx.manifest("multi", APP, "archs: [amd64, arm64]\n");
    ok(&ctx.aloft(&["lock", "manifests/multi.yaml"]));
    ctx.server.clear_requests();
    let output = assemble(
        &ctx,
        "manifests/multi.yaml",
        "arm.tar",
        &["--locked", "--arch", "arm64"],
    );
    digest_line(&output);
    let requests = ctx.server.requests();
    assert!(
        requests.iter().all(|r| !r.ends_with("_amd64.deb")),
        "{requests:?}"
    );
    assert!(requests.iter().any(|r| r.ends_with("_arm64.deb")));
    let image = read_archive(&ctx.path("arm.tar"));
    let arm = image.platform();
    assert_eq!(arm.arch(), "arm64");
    assert_eq!(arm.config["architecture"], "arm64");
    assert_eq!(
        arm.layer("hello")
            .text("usr/lib/aarch64-linux-gnu/libhello.so.1"),
        "lib\n"
    );

    // Both: two manifests, the arm64 one the same as built alone.
    digest_line(&assemble(
        &ctx,
        "manifests/multi.yaml",
        "both.tar",
        &["--locked"],
    ));
    let both = read_archive(&ctx.path("both.tar")).platforms();
    let archs: Vec<&str> = both.iter().map(Platform::arch).collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    assert_eq!(both[1].descriptor["digest"], arm.descriptor["digest"]);

    fails_with(
        &assemble(
            &ctx,
            "manifests/multi.yaml",
            "s390x.tar",
            &["--locked", "--arch", "s390x"],
        ),
        &["--arch s390x: the manifest builds only amd64, arm64"],
    );
}
