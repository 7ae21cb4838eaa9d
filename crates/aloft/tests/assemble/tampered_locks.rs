//! A lock edited by hand or by an attacker: `--locked` builds only a lock that its .debs
//! and its manifest agree with, and says which entry is wrong.

use super::*;

/// Edits the amd64 package list of the `app` lock.
fn edit_packages(ctx: &Ctx, edit: impl FnOnce(&mut Vec<Value>)) {
    let path = ctx.path("lockfiles/app.lock.json");
    let mut lock = lock_json(&ctx.lock_text("app"));
    let list = lock["packages"]["amd64"].as_array_mut().unwrap();
    edit(list);
    std::fs::write(&path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
}

fn assemble_app(ctx: &Ctx) -> Output {
    assemble(ctx, "manifests/app.yaml", "app.tar", &["--locked"])
}

/// `app` locked and built once, so that every .deb is in the cache: nothing the checks
/// below find may depend on a download failing.
fn built_app() -> Ctx {
    let ctx = locked_app();
    digest_line(&assemble_app(&ctx));
    std::fs::remove_file(ctx.path("app.tar")).unwrap();
    ctx
}

/// [`built_app`], and the lock entry of tzdata, whose .deb is cached too.
fn built_app_and_tzdata() -> (Ctx, Value) {
    let ctx = built_app();
    ctx.manifest("zone", &["tzdata"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/zone.yaml"]));
    digest_line(&assemble(
        &ctx,
        "manifests/zone.yaml",
        "zone.tar",
        &["--locked"],
    ));
    let tzdata = lock_json(&ctx.lock_text("zone"))["packages"]["amd64"][0].clone();
    (ctx, tzdata)
}

fn without(name: &'static str) -> impl FnOnce(&mut Vec<Value>) {
    move |list| list.retain(|p| p["name"] != name)
}

#[test]
fn a_lock_missing_a_requested_package_or_a_dependency_is_refused() {
    let ctx = built_app();
    edit_packages(&ctx, without("hello"));
    fails_with(
        &assemble_app(&ctx),
        &[
            "The lock `",
            "lockfiles/app.lock.json` does not hold what `manifests/app.yaml` needs for amd64",
            "Package `hello` is not in any repository for amd64",
            "run `aloft lock manifests/app.yaml`",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "no-such-package");

    // base-files is requested too; ask only for hello, which depends on it.
    ctx.manifest("app", &["base-passwd", "hello"], "archs: [amd64]\n");
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    edit_packages(&ctx, without("base-files"));
    fails_with(
        &assemble_app(&ctx),
        &[
            "needs for amd64",
            "`hello 1.0` depends on `base-files`: `base-files` is in no repository",
        ],
    );

    edit_packages(&ctx, |list| list.clear());
    fails_with(
        &assemble_app(&ctx),
        &[
            "needs for amd64",
            "Package `base-passwd` is not in any repository",
        ],
    );
    nothing_left(&ctx, "app.tar", None, "no-such-package");
}

#[test]
fn a_lock_with_a_package_the_manifest_does_not_need_is_refused() {
    let (ctx, tzdata) = built_app_and_tzdata();
    edit_packages(&ctx, |list| list.push(tzdata));
    fails_with(
        &assemble_app(&ctx),
        &["it installs `tzdata`, which the manifest does not need"],
    );
}

#[test]
fn a_lock_entry_naming_another_packages_deb_is_refused_even_from_a_warm_cache() {
    let (ctx, tzdata) = built_app_and_tzdata();
    // "hello" pointed at tzdata's .deb, which the cache holds and whose hash matches.
    edit_packages(&ctx, |list| {
        let hello = list.iter_mut().find(|p| p["name"] == "hello").unwrap();
        for field in ["pool_path", "sha256", "size"] {
            hello[field] = tzdata[field].clone();
        }
    });
    let requests = ctx.server.requests().len();
    fails_with(
        &assemble_app(&ctx),
        &[
            "says amd64 package `hello` has Package `hello`, but its .deb",
            "declares `tzdata`",
            "run `aloft lock` again",
        ],
    );
    assert_eq!(
        ctx.server.requests().len(),
        requests,
        "nothing is downloaded"
    );
    nothing_left(&ctx, "app.tar", None, "no-such-package");
}

#[test]
fn a_lock_version_the_deb_does_not_have_is_refused() {
    let ctx = built_app();
    edit_packages(&ctx, |list| {
        let hello = list.iter_mut().find(|p| p["name"] == "hello").unwrap();
        hello["version"] = json!("1.1");
    });
    fails_with(
        &assemble_app(&ctx),
        &[
            "package `hello` has Version `1.1`, but its .deb",
            "declares `1.0`",
        ],
    );
    edit_packages(&ctx, |list| {
        let hello = list.iter_mut().find(|p| p["name"] == "hello").unwrap();
        hello["version"] = json!("1.0");
        hello["source_version"] = json!("0.9");
    });
    fails_with(
        &assemble_app(&ctx),
        &["package `hello` has Source version `0.9`", "declares `1.0`"],
    );
}

#[test]
fn lock_entries_that_escape_or_repeat_are_refused_when_the_lock_is_read() {
    let ctx = built_app();
    edit_packages(&ctx, |list| {
        list[0]["pool_path"] = json!("pool/../../../etc/passwd");
    });
    fails_with(
        &assemble_app(&ctx),
        &[
            "lockfiles/app.lock.json`:",
            "packages.amd64: `base-files`: pool_path `pool/../../../etc/passwd`: has an empty, `.` or `..` component",
        ],
    );
    edit_packages(&ctx, |list| {
        list[0]["pool_path"] = json!("http://[::1]:1/base-files.deb");
    });
    fails_with(&assemble_app(&ctx), &["never a URL or an absolute path"]);
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    edit_packages(&ctx, |list| {
        let first = list[0].clone();
        list.push(first);
    });
    fails_with(
        &assemble_app(&ctx),
        &["`base-files`: name `base-files`: listed twice for amd64"],
    );
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    edit_packages(&ctx, |list| {
        list[0]["sha256"] = json!("../../../../etc");
    });
    fails_with(
        &assemble_app(&ctx),
        &["not a sha256 (64 lower-case hex digits)"],
    );
    nothing_left(&ctx, "app.tar", None, "no-such-package");
}
