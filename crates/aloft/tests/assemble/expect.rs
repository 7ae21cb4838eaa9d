//! `--json` and `--expect-digest`.

use super::*;

#[test]
fn json_reports_every_digest_of_the_image() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64, arm64]\n",
    );
    let output = assemble(&ctx, "manifests/app.yaml", "app.tar", &["--json"]);
    ok(&output);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Every digest of the fixture image: a change of layer bytes, config or SBOM shows
    // here, and must be meant.
    insta::assert_snapshot!("json_report", String::from_utf8_lossy(&output.stdout));
    let image = read_archive(&ctx.path("app.tar"));
    assert_eq!(report["digest"], image.digest());
    assert_eq!(report["source_date_epoch"], EPOCH);
    let index = image.index();
    let platforms = image.platforms();
    assert_eq!(report["platforms"].as_array().unwrap().len(), 2);
    for (entry, (descriptor, platform)) in report["platforms"].as_array().unwrap().iter().zip(
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&platforms),
    ) {
        let arch = descriptor["platform"]["architecture"].as_str().unwrap();
        assert!(
            entry["platform"]
                .as_str()
                .unwrap()
                .starts_with(&format!("linux/{arch}"))
        );
        assert_eq!(entry["manifest"], descriptor["digest"]);
        assert_eq!(entry["config"], platform.manifest["config"]["digest"]);
        // Its SPDX document, attached as a referrer the index lists.
        assert_eq!(
            entry["attached"][0]["artifact_type"],
            "application/spdx+json"
        );
        assert!(
            index["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["digest"] == entry["attached"][0]["manifest"])
        );
        let layers: Vec<&Value> = entry["layers"].as_array().unwrap().iter().collect();
        assert_eq!(layers.len(), platform.layers.len());
        for (reported, layer) in layers.iter().zip(&platform.layers) {
            assert_eq!(reported["digest"], layer.digest.as_str());
            assert_eq!(reported["created_by"], layer.created_by.as_str());
        }
    }
}

#[test]
fn expect_digest_passes_on_a_match_and_writes_nothing_otherwise() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64]\nenvironment: {MODE: one}\n",
    );
    let first = assemble(&ctx, "manifests/app.yaml", "one.tar", &["--json"]);
    ok(&first);
    std::fs::write(ctx.path("one.json"), &first.stdout).unwrap();
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    let digest = report["digest"].as_str().unwrap().to_owned();

    // The same build: accepted, by digest or by report.
    let again = assemble(
        &ctx,
        "manifests/app.yaml",
        "two.tar",
        &["--expect-digest", &digest],
    );
    assert_eq!(digest_line(&again), digest);
    ok(&assemble(
        &ctx,
        "manifests/app.yaml",
        "three.tar",
        &["--expect-digest", "one.json"],
    ));

    // A changed config: both digests, a hint, no output.
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64]\nenvironment: {MODE: two}\n",
    );
    let wrong = assemble(
        &ctx,
        "manifests/app.yaml",
        "four.tar",
        &["--expect-digest", &digest],
    );
    fails_with(
        &wrong,
        &[
            "not the expected",
            &digest,
            "four.tar` is not written",
            "hint:",
        ],
    );
    nothing_left(&ctx, "four.tar", None, "nonexistent");
    // With the report, the message says what differs: the config, not a package layer.
    let wrong = assemble(
        &ctx,
        "manifests/app.yaml",
        "five.tar",
        &["--expect-digest", "one.json"],
    );
    fails_with(&wrong, &["linux/amd64: manifest", "the config differs"]);
    assert!(
        !stderr(&wrong).contains("layer sha256"),
        "{}",
        stderr(&wrong)
    );
    nothing_left(&ctx, "five.tar", None, "nonexistent");

    // Not a digest, not a report: refused before any work.
    fails_with(
        &assemble(
            &ctx,
            "manifests/app.yaml",
            "six.tar",
            &["--expect-digest", "sha256:12"],
        ),
        &["--expect-digest", "sha256:12"],
    );
}
