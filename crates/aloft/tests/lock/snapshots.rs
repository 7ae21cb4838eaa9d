//! The errors `aloft lock` prints, whole, as a user sees them (insta snapshots under
//! `snapshots/`; temp paths and the server's port redacted). A change of wording, of the
//! source span or of the cause chain shows up here for review.

use super::common::{Ctx, failure};

#[test]
fn manifest_errors() {
    let ctx = Ctx::new();
    std::fs::create_dir_all(ctx.path("manifests")).unwrap();
    std::fs::write(
        ctx.path("manifests/bad.yaml"),
        "contents:\n  packages: [a1]\n  pakages: [b1]\n",
    )
    .unwrap();
    insta::assert_snapshot!(
        "unknown_field",
        failure(&ctx, &ctx.aloft(&["lock", "manifests/bad.yaml"]))
    );
    std::fs::write(
        ctx.path("manifests/bad.yaml"),
        "archs: [amd64, sparc]\ncontents:\n  packages: [a1]\n",
    )
    .unwrap();
    insta::assert_snapshot!(
        "unknown_arch",
        failure(&ctx, &ctx.aloft(&["lock", "manifests/bad.yaml"]))
    );
    insta::assert_snapshot!(
        "missing_manifest",
        failure(&ctx, &ctx.aloft(&["lock", "manifests/none.yaml"]))
    );
}

#[test]
fn resolution_errors() {
    let ctx = Ctx::new();
    ctx.manifest("typo", &["php8.4-fmp"], "archs: [amd64]\n");
    insta::assert_snapshot!(
        "not_in_any_repository",
        failure(&ctx, &ctx.aloft(&["lock", "manifests/typo.yaml"]))
    );
    ctx.manifest("chain", &["top"], "archs: [amd64]\n");
    insta::assert_snapshot!(
        "unsatisfiable_chain",
        failure(&ctx, &ctx.aloft(&["lock", "manifests/chain.yaml"]))
    );
}

#[test]
fn fetch_faults() {
    let ctx = Ctx::new();
    ctx.manifest("cli", &["php8.4-cli"], "archs: [amd64]\n");
    super::corrupt_amd64_index_once(&ctx);
    let corrupt = failure(&ctx, &ctx.aloft(&["lock", "manifests/cli.yaml"]));
    insta::assert_snapshot!("corrupt_index", corrupt);

    let other = aloft_test::TestKey::new("someone else", 99);
    std::fs::write(ctx.path("keys/archive.asc"), other.public_armored()).unwrap();
    // Test keys are made afresh each run: their fingerprints differ.
    insta::with_settings!({filters => vec![(r"\b[0-9A-F]{40}\b", "[fingerprint]")]}, {
        insta::assert_snapshot!(
            "wrong_key",
            failure(&ctx, &ctx.aloft(&["lock", "manifests/cli.yaml"]))
        );
    });
}
