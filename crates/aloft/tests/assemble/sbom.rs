//! SBOMs: one SPDX (and CycloneDX) document per architecture, written beside the output
//! and attached to the image as a referrer of that architecture's manifest.

use super::*;

const COPYRIGHT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: greet

Files: *
Copyright: 2020 Someone
License: GPL-2+

Files: contrib/*
Copyright: 2021 Someone Else
License: Expat or public-domain
";

fn greet(arch: &str) -> FixturePackage {
    FixturePackage::new("libgreet1", "1:2.0-1")
        .arch(arch)
        .field("Source", "greet (2.0-1)")
        .field("Maintainer", "Debian Greeting Team <greet@example.org>")
        .field("Homepage", "https://greet.example.org/")
        .depends("base-files, libc6 | base-passwd")
        .file(
            "usr/share/doc/libgreet1/copyright",
            COPYRIGHT.as_bytes(),
            0o644,
        )
}

fn sbom_ctx() -> Ctx {
    ctx_with(vec![greet("amd64"), greet("arm64")])
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

#[test]
fn spdx_documents_are_written_beside_the_output_and_attached_per_platform() {
    let ctx = sbom_ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello", "libgreet1"],
        "archs: [amd64, arm64]\n",
    );
    std::fs::create_dir_all(ctx.path("out")).unwrap();
    let output = assemble(
        &ctx,
        "manifests/app.yaml",
        "out/app.tar",
        &["--tag", "greeter:1"],
    );
    digest_line(&output);
    let lock = lock_json(&ctx.lock_text("app"));
    let image = read_archive(&ctx.path("out/app.tar"));
    let index = image.index();
    let platforms = image.platforms();
    for (arch, platform) in ["amd64", "arm64"].into_iter().zip(&platforms) {
        let path = ctx.path(&format!("out/app.{arch}.spdx.json"));
        let document = read_json(&path);
        assert_eq!(document["spdxVersion"], "SPDX-2.3");
        assert_eq!(document["documentDescribes"], json!(["SPDXRef-Image"]));
        // One package per locked .deb, plus the image.
        let locked: Vec<String> = lock["packages"][arch]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let packages = document["packages"].as_array().unwrap();
        let names: Vec<String> = packages[1..]
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, locked, "{arch}");
        let image_package = &packages[0];
        assert_eq!(image_package["name"], "greeter");
        assert_eq!(image_package["primaryPackagePurpose"], "CONTAINER");
        assert_eq!(image_package["versionInfo"], platform.descriptor["digest"]);
        let greet = packages.iter().find(|p| p["name"] == "libgreet1").unwrap();
        assert_eq!(greet["versionInfo"], "1:2.0-1");
        assert_eq!(
            greet["licenseDeclared"],
            "GPL-2.0-or-later AND (MIT OR LicenseRef-public-domain)"
        );
        assert_eq!(greet["licenseConcluded"], "NOASSERTION");
        assert_eq!(
            greet["supplier"],
            "Organization: Debian Greeting Team (greet@example.org)"
        );
        assert_eq!(greet["sourceInfo"], "built package from: greet 2.0-1");
        let locked_greet = lock["packages"][arch]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "libgreet1")
            .unwrap();
        assert_eq!(
            greet["checksums"][0]["checksumValue"],
            locked_greet["sha256"]
        );
        assert_eq!(
            greet["externalRefs"],
            json!([
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": format!("pkg:deb/debian/libgreet1@1%3A2.0-1?arch={arch}&distro=trixie")},
                {"referenceCategory": "OTHER", "referenceType": "debian-pool-path",
                 "referenceLocator": locked_greet["pool_path"]}
            ])
        );
        // No machine-readable copyright: no license is made up.
        let hello = packages.iter().find(|p| p["name"] == "hello").unwrap();
        assert_eq!(hello["licenseDeclared"], "NOASSERTION");
        let relationships = document["relationships"].as_array().unwrap();
        let has = |from: &str, kind: &str, to: &str| {
            relationships.iter().any(|r| {
                r["spdxElementId"] == from
                    && r["relationshipType"] == kind
                    && r["relatedSpdxElement"] == to
            })
        };
        assert!(has(
            "SPDXRef-Image",
            "CONTAINS",
            "SPDXRef-Package-deb-libgreet1"
        ));
        assert!(has(
            "SPDXRef-Package-deb-libgreet1",
            "DEPENDS_ON",
            "SPDXRef-Package-deb-base-files"
        ));
        let extracted = document["hasExtractedLicensingInfos"].as_array().unwrap();
        assert_eq!(extracted[0]["licenseId"], "LicenseRef-public-domain");

        // Attached: an artifact manifest in the index whose subject is this platform's.
        let referrer = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                let manifest = image.json(d);
                manifest["artifactType"] == "application/spdx+json"
                    && manifest["subject"]["digest"] == platform.descriptor["digest"]
            })
            .unwrap_or_else(|| panic!("no SPDX referrer for {arch}: {index}"));
        let artifact = image.json(referrer);
        assert!(referrer.get("platform").is_none());
        assert_eq!(
            artifact["config"]["mediaType"],
            "application/vnd.oci.empty.v1+json"
        );
        assert_eq!(artifact["layers"][0]["mediaType"], "application/spdx+json");
        assert_eq!(
            artifact["layers"][0]["annotations"]["org.opencontainers.image.title"],
            format!("greeter.{arch}.spdx.json")
        );
        assert_eq!(
            image.blob(&artifact["layers"][0]),
            std::fs::read(&path).unwrap()
        );
    }
    assert!(!ctx.path("out/app.amd64.cyclonedx.json").exists());
}

#[test]
fn cyclonedx_too_or_no_sbom_at_all() {
    let ctx = sbom_ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "libgreet1"],
        "archs: [amd64]\n",
    );
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "both.tar",
        &["--sbom-format", "both"],
    ));
    let bom = read_json(&ctx.path("both.amd64.cyclonedx.json"));
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    assert_eq!(bom["metadata"]["component"]["name"], "app");
    let greet = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libgreet1")
        .unwrap();
    assert_eq!(
        greet["purl"],
        "pkg:deb/debian/libgreet1@1%3A2.0-1?arch=amd64&distro=trixie"
    );
    assert_eq!(
        greet["licenses"],
        json!([{"expression": "GPL-2.0-or-later AND (MIT OR LicenseRef-public-domain)"}])
    );
    assert!(ctx.path("both.amd64.spdx.json").exists());
    let both = read_archive(&ctx.path("both.tar"));
    let types: Vec<Value> = both.index()["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("platform").is_none())
        .map(|d| both.json(d)["artifactType"].clone())
        .collect();
    assert_eq!(
        types,
        [
            json!("application/spdx+json"),
            json!("application/vnd.cyclonedx+json")
        ]
    );

    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "none.tar",
        &["--sbom-format", "none"],
    ));
    assert!(!ctx.path("none.amd64.spdx.json").exists());
    let index = read_archive(&ctx.path("none.tar")).index();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
}

#[test]
fn aloft_sbom_reads_the_attached_documents_back() {
    let ctx = sbom_ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "libgreet1"],
        "archs: [amd64, arm64]\n",
    );
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--sbom-format", "both"],
    ));
    digest_line(&assemble(&ctx, "manifests/app.yaml", "layout/", &[]));
    let written = std::fs::read(ctx.path("app.arm64.spdx.json")).unwrap();
    let printed = ctx.aloft(&["sbom", "app.tar", "--arch", "arm64"]);
    ok(&printed);
    assert_eq!(printed.stdout, written);
    // From a layout, into a file; CycloneDX on request.
    ok(&ctx.aloft(&["sbom", "layout", "--arch", "amd64", "-o", "copy.json"]));
    assert_eq!(
        std::fs::read(ctx.path("copy.json")).unwrap(),
        std::fs::read(ctx.path("layout.amd64.spdx.json")).unwrap()
    );
    let bom = ctx.aloft(&[
        "sbom",
        "app.tar",
        "--arch",
        "amd64",
        "--format",
        "cyclonedx",
    ]);
    ok(&bom);
    assert_eq!(
        bom.stdout,
        std::fs::read(ctx.path("app.amd64.cyclonedx.json")).unwrap()
    );
    // Two platforms and no --arch; no SBOM; not an image: each said plainly.
    fails_with(
        &ctx.aloft(&["sbom", "app.tar"]),
        &["linux/amd64, linux/arm64/v8", "--arch"],
    );
    digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "bare.tar",
        &["--sbom-format", "none"],
    ));
    fails_with(
        &ctx.aloft(&["sbom", "bare.tar", "--arch", "amd64"]),
        &["has no application/spdx+json document attached"],
    );
    std::fs::write(ctx.path("junk.tar"), b"not a tar").unwrap();
    fails_with(&ctx.aloft(&["sbom", "junk.tar"]), &["junk.tar"]);
}
