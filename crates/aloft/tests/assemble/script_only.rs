//! Packages only maintainer scripts run (ucf, debconf, ...) stay in the lock, as apt
//! would install them, and out of the image, with what only they bring in.

use aloft_test::FixturePackage;
use aloft_test::oci::Image;
use serde_json::Value;

use crate::common::{Ctx, fails_with, lock_json, ok};
use crate::ctx_with;

fn tools() -> Vec<FixturePackage> {
    vec![
        FixturePackage::new("ucf", "3.0050")
            .arch("all")
            .depends("debconf (>= 1.5) | debconf-2.0")
            .file("usr/bin/ucf", b"#!/bin/sh\n", 0o755),
        FixturePackage::new("debconf", "1.5.91")
            .arch("all")
            .provides("debconf-2.0")
            .pre_depends("perl-base")
            .file("usr/share/debconf/confmodule", b"# debconf\n", 0o644),
        FixturePackage::new("perl-base", "5.40.1-6").file("usr/bin/perl", b"perl\n", 0o755),
        FixturePackage::new("app", "1.0")
            .depends("ucf, base-files")
            .file("usr/share/app/app.conf", b"listen = 80\n", 0o644)
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  ucf /usr/share/app/app.conf /etc/app.conf\nfi\n",
            ),
    ]
}

fn entry<'a>(lock: &'a Value, name: &str) -> &'a Value {
    lock["packages"]["amd64"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not locked"))
}

/// Builds `packages` from a manifest with `extra` appended, the `sbom` SBOM beside it.
pub(crate) fn build_with(
    ctx: &Ctx,
    name: &str,
    packages: &[&str],
    extra: &str,
    sbom: &str,
) -> (Value, Image) {
    ctx.manifest(name, packages, extra);
    let manifest = format!("manifests/{name}.yaml");
    let out = format!("{name}.tar");
    ok(&ctx.aloft(&[
        "assemble",
        &manifest,
        "-o",
        &out,
        "-q",
        "--sbom-format",
        sbom,
    ]));
    (
        lock_json(&ctx.lock_text(name)),
        Image::archive(&ctx.path(&out)),
    )
}

fn build(ctx: &Ctx, name: &str, packages: &[&str]) -> (Value, Image) {
    build_with(ctx, name, packages, "archs: [amd64]\n", "cyclonedx")
}

#[test]
fn script_tools_are_locked_but_left_out_of_the_image_and_their_work_is_done() {
    let ctx = ctx_with(tools());
    let (lock, image) = build(&ctx, "app", &["app"]);
    assert_eq!(entry(&lock, "app").get("left_out"), None);
    let ucf = entry(&lock, "ucf")["left_out"].as_str().unwrap();
    assert!(ucf.contains("aloft copies them itself"), "{ucf}");
    assert!(entry(&lock, "debconf")["left_out"].is_string());
    assert_eq!(
        entry(&lock, "perl-base")["left_out"],
        "needed only by `debconf`, which the image leaves out"
    );
    let platform = image.platform();
    let sources: Vec<&str> = platform
        .layers
        .iter()
        .map(|l| l.created_by.as_str())
        .collect();
    for tool in ["ucf", "debconf", "perl-base"] {
        assert!(
            !sources.iter().any(|s| s.contains(tool)),
            "{tool} is in the image: {sources:?}"
        );
    }
    // The postinst's `ucf` copy is made all the same, by aloft.
    assert_eq!(platform.final_layer().text("etc/app.conf"), "listen = 80\n");
    // The SBOM lists the image's packages and says what was left out and why.
    let sbom: Value =
        serde_json::from_slice(&std::fs::read(ctx.path("app.amd64.cyclonedx.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"app") && !names.contains(&"ucf"),
        "{names:?}"
    );
    let left: Vec<&str> = sbom["metadata"]["component"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "aloft:left-out")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        left.iter().any(|v| v.starts_with("ucf 3.0050: ")),
        "{left:?}"
    );
}

#[test]
fn a_tool_asked_for_by_name_is_installed() {
    let ctx = ctx_with(tools());
    let (lock, image) = build(&ctx, "with-ucf", &["app", "ucf"]);
    assert_eq!(entry(&lock, "ucf").get("left_out"), None);
    assert!(entry(&lock, "debconf")["left_out"].is_string());
    assert_eq!(
        image.platform().layer("ucf").text("usr/bin/ucf"),
        "#!/bin/sh\n"
    );
}

#[test]
fn a_lock_that_leaves_out_what_the_image_needs_or_keeps_a_tool_is_refused() {
    let ctx = ctx_with(tools());
    build(&ctx, "app", &["app"]);
    let path = ctx.path("lockfiles/app.lock.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let edit = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut lock = lock_json(&original);
        f(lock["packages"]["amd64"].as_array_mut().unwrap());
        std::fs::write(&path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
    };
    let assemble = || ctx.aloft(&["assemble", "manifests/app.yaml", "--locked", "-o", "x.tar"]);
    edit(&|list| {
        for p in list.iter_mut().filter(|p| p["name"] == "base-files") {
            p["left_out"] = "edited".into();
        }
    });
    fails_with(
        &assemble(),
        &["leaves out `base-files`, which the image needs"],
    );
    // A lock from before aloft left script tools out.
    edit(&|list| {
        for p in list.iter_mut() {
            p.as_object_mut().unwrap().remove("left_out");
        }
    });
    fails_with(
        &assemble(),
        &[
            "installs `debconf`, `perl-base`, `ucf`",
            "run `aloft lock` again",
        ],
    );
    assert!(!ctx.path("x.tar").exists());
}
