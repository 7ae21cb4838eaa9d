//! `aloft why`: the chain from a requested package, who needs a package, and what it
//! alone brings in, from the lock and its .debs.

use super::*;

fn why_ctx() -> Ctx {
    let ctx = ctx_with(vec![
        FixturePackage::new("tool", "1.0")
            .depends("libbig (>= 2), mail-transport-agent")
            .field("Installed-Size", "10"),
        FixturePackage::new("libbig", "2.0")
            .depends("base-files")
            .field("Installed-Size", "2048"),
        FixturePackage::new("tinymta", "1.0")
            .provides("mail-transport-agent")
            .depends("libmta")
            .field("Installed-Size", "100"),
        FixturePackage::new("libmta", "1.0").field("Installed-Size", "400"),
    ]);
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello", "tool"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/app.yaml"]));
    ctx
}

fn why(ctx: &Ctx, args: &[&str]) -> String {
    let mut all = vec!["why", "manifests/app.yaml"];
    all.extend_from_slice(args);
    let output = ctx.aloft(&all);
    ok(&output);
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn why_names_the_chain_the_dependents_and_what_a_package_alone_brings_in() {
    let ctx = why_ctx();
    let text = why(&ctx, &["libmta"]);
    assert_eq!(
        text.lines().collect::<Vec<_>>()[1..],
        [
            "  why: tool -> tinymta -> libmta",
            "  needed by: tinymta",
            "  in the image only through it: 1 package (libmta), 0.4 MB unpacked, 0.0 MB of .debs",
        ],
        "{text}"
    );
    assert!(
        text.starts_with("libmta 1.0 (amd64): 0.4 MB unpacked, "),
        "{text}"
    );
    let text = why(&ctx, &["tool"]);
    assert!(text.contains("  why: requested\n"), "{text}");
    assert!(
        text.contains("  needed by: nothing else in the image\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "only through it: 4 packages (libbig, libmta, tinymta, tool), 2.6 MB unpacked"
        ),
        "{text}"
    );
    // base-files is requested and needed by hello and libbig: leaving out libbig keeps it.
    let text = why(&ctx, &["libbig"]);
    assert!(
        text.contains("only through it: 1 package (libbig), 2.1 MB"),
        "{text}"
    );
}

#[test]
fn why_without_a_package_lists_every_package_by_what_it_alone_costs() {
    let ctx = why_ctx();
    let text = why(&ctx, &[]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("amd64: 7 packages, 2.6 MB unpacked, "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("PACKAGE") && lines[1].ends_with("WHY"),
        "{text}"
    );
    // tool first: it alone brings in 2.6 MB.
    assert!(
        lines[2].starts_with("tool 1.0 ") && lines[2].ends_with("requested"),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("libmta 1.0 ") && l.ends_with("tool -> tinymta -> libmta")),
        "{text}"
    );
}

#[test]
fn why_refuses_an_unknown_package_and_a_stale_lock() {
    let ctx = why_ctx();
    fails_with(
        &ctx.aloft(&["why", "manifests/app.yaml", "nope"]),
        &["`nope` is not in the image for amd64"],
    );
    fails_with(
        &ctx.aloft(&["why", "manifests/app.yaml", "--arch", "arm64"]),
        &["--arch arm64: the manifest builds only amd64"],
    );
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64]\n",
    );
    fails_with(
        &ctx.aloft(&["why", "manifests/app.yaml"]),
        &["is stale", "run `aloft lock manifests/app.yaml`"],
    );
}
