//! `--compression zstd`: the same tars as gzip in zstd blobs, reproducible, cached apart
//! from the gzip layers, and named in the `--json` report and by `--expect-digest`.

use super::*;

#[test]
fn zstd_layers_hold_the_same_tars_and_rebuild_to_the_same_digest() {
    let ctx = ctx();
    full_manifest(&ctx, "full");
    ok(&ctx.aloft(&["lock", "manifests/full.yaml"]));
    let gzip = assemble(&ctx, "manifests/full.yaml", "gzip.tar", &["--json"]);
    ok(&gzip);
    std::fs::write(ctx.path("gzip.json"), &gzip.stdout).unwrap();
    let zstd = assemble(
        &ctx,
        "manifests/full.yaml",
        "zstd.tar",
        &["--json", "--compression", "zstd"],
    );
    ok(&zstd);
    // The cache holds the gzip layers apart: every zstd layer was built.
    assert!(
        stderr(&zstd).contains("4 layers (4 built, 0 from cache)"),
        "{}",
        stderr(&zstd)
    );
    let report: Value = serde_json::from_slice(&zstd.stdout).unwrap();
    assert_eq!(report["compression"], "zstd");
    let gzip_report: Value = serde_json::from_slice(&gzip.stdout).unwrap();
    assert!(gzip_report.get("compression").is_none(), "{gzip_report}");
    assert_ne!(report["digest"], gzip_report["digest"]);

    let gzip_image = read_archive(&ctx.path("gzip.tar")).platform();
    let zstd_image = read_archive(&ctx.path("zstd.tar")).platform();
    // The same tars, so the same config: diff_ids, history, and so the image ID.
    assert_eq!(gzip_image.manifest["config"], zstd_image.manifest["config"]);
    assert_eq!(gzip_image.layers.len(), zstd_image.layers.len());
    for (g, z) in gzip_image.layers.iter().zip(&zstd_image.layers) {
        assert_eq!(g.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
        assert_eq!(z.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
        assert_ne!(g.digest, z.digest);
        assert_eq!(g.entries, z.entries, "{}", g.created_by);
    }

    // Reproducible as gzip is: a cold cache, another umask, zone and job count.
    let again = assemble_in_env(
        &ctx,
        "077",
        "Asia/Kathmandu",
        "1",
        &[
            "manifests/full.yaml",
            "--locked",
            "--compression",
            "zstd",
            "-o",
            "zstd-again.tar",
            "--cache-dir",
            "cache-cold",
        ],
    );
    assert_eq!(digest_line(&again), report["digest"].as_str().unwrap());
    assert_eq!(
        std::fs::read(ctx.path("zstd-again.tar")).unwrap(),
        std::fs::read(ctx.path("zstd.tar")).unwrap()
    );
    // The gzip layers are still cached next to the zstd ones.
    let gzip_again = assemble(&ctx, "manifests/full.yaml", "gzip-again.tar", &[]);
    assert_eq!(
        digest_line(&gzip_again),
        gzip_report["digest"].as_str().unwrap()
    );
    assert!(
        stderr(&gzip_again).contains("4 layers (0 built, 4 from cache)"),
        "{}",
        stderr(&gzip_again)
    );

    // Expecting the gzip build: refused, the compression named, nothing written.
    let wrong = assemble(
        &ctx,
        "manifests/full.yaml",
        "wrong.tar",
        &["--compression", "zstd", "--expect-digest", "gzip.json"],
    );
    fails_with(
        &wrong,
        &["layers compressed with zstd, expected gzip (see --compression)"],
    );
    nothing_left(&ctx, "wrong.tar", None, "nonexistent");
}
