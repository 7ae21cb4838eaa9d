//! Pushes against the loopback test registry: what is sent, what is not, auth, faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failing fixture is a failing test

use std::path::Path;
use std::time::Duration;

use aloft_oci::{
    Artifact, BuiltImage, Digest, ImageConfig, ImageSpec, Layer, LayerMediaType, Platform,
    PlatformImage,
};
use aloft_registry::{
    BlobOutcome, ClientOptions, Credential, PushOptions, PushReport, Registry, RegistryError,
    push_image,
};
use aloft_test::{RegistryAuth, TestRegistry};
use rand::{RngCore, SeedableRng};

/// A two-layer amd64 image with an SBOM; the layers are `sizes` bytes of noise.
fn image(dir: &Path, sizes: &[usize], seed: u64) -> BuiltImage {
    let platform = Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let layers = sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let mut bytes = vec![0u8; *size];
            rng.fill_bytes(&mut bytes);
            let path = dir.join(format!("layer{i}"));
            std::fs::write(&path, &bytes).unwrap();
            Layer {
                path,
                digest: Digest::of_bytes(&bytes),
                diff_id: Digest::of_bytes(format!("diff{i}").as_bytes()),
                size: *size as u64,
                media_type: LayerMediaType::Gzip,
                created_by: format!("layer {i}"),
            }
        })
        .collect();
    let spec = ImageSpec {
        images: vec![PlatformImage {
            platform: platform.clone(),
            config: ImageConfig::default(),
            layers,
            created_epoch: 1_700_000_000,
            annotations: Default::default(),
        }],
        tag: None,
        annotations: Default::default(),
        artifacts: vec![Artifact {
            subject: platform,
            artifact_type: "application/spdx+json".into(),
            title: "sbom.spdx.json".into(),
            data: br#"{"spdxVersion":"SPDX-2.3"}"#.to_vec(),
        }],
    };
    aloft_oci::build(&spec).unwrap()
}

fn options() -> ClientOptions {
    ClientOptions {
        backoff: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

fn push(
    registry: &Registry,
    repository: &str,
    image: &BuiltImage,
    tags: &[&str],
) -> Result<PushReport, RegistryError> {
    let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    push_image(
        registry,
        repository,
        &image.push_plan(),
        &tags,
        &PushOptions {
            jobs: 2,
            ..PushOptions::default()
        },
        &|_| {},
    )
}

fn index_bytes(image: &BuiltImage) -> Vec<u8> {
    image.json_blob(image.index_digest()).unwrap().to_vec()
}

#[test]
fn a_push_sends_the_exact_bytes_and_a_second_push_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[200_000, 30_000], 1);
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(server.host(), &options()).unwrap();
    assert!(
        registry.base_url().starts_with("http://"),
        "loopback without TLS"
    );

    let report = push(&registry, "team/app", &image, &["1.0", "latest"]).unwrap();
    let (uploaded, bytes) = report.uploaded();
    // two layers, the config, the artifact's empty config and its document
    assert_eq!(uploaded, 5);
    assert_eq!(server.blob_bytes_received(), bytes);
    assert_eq!(report.manifests, 3);
    let (media_type, stored) = server.manifest("team/app", "1.0").unwrap();
    assert_eq!(media_type, aloft_oci::MEDIA_TYPE_INDEX);
    assert_eq!(stored, index_bytes(&image), "the index is pushed as built");
    assert_eq!(
        server.tags("team/app").len(),
        3,
        "1.0, latest, the referrers tag"
    );

    // No referrers API (distribution 2.8): the SBOM is listed under the fallback tag.
    let subject = &image.manifests()[0].digest;
    let tag = format!("sha256-{}", subject.hex());
    assert_eq!(report.referrers_tags, vec![tag.clone()]);
    let (_, referrers) = server.manifest("team/app", &tag).unwrap();
    let referrers: serde_json::Value = serde_json::from_slice(&referrers).unwrap();
    assert_eq!(
        referrers["manifests"][0]["digest"],
        image.artifacts()[0].digest.as_str()
    );
    assert_eq!(
        referrers["manifests"][0]["artifactType"],
        "application/spdx+json"
    );

    let received = server.blob_bytes_received();
    let again = push(&registry, "team/app", &image, &["1.0"]).unwrap();
    assert_eq!(again.uploaded(), (0, 0));
    assert_eq!(again.count(BlobOutcome::Present).0, 5);
    assert_eq!(server.blob_bytes_received(), received, "nothing sent again");
    // The referrers tag is not rewritten with a duplicate.
    let (_, after) = server.manifest("team/app", &tag).unwrap();
    let after: serde_json::Value = serde_json::from_slice(&after).unwrap();
    assert_eq!(after["manifests"].as_array().unwrap().len(), 1);
}

#[test]
fn large_blobs_go_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[300_001], 2);
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(
        server.host(),
        &ClientOptions {
            chunk_size: 64 * 1024,
            ..options()
        },
    )
    .unwrap();
    push(&registry, "app", &image, &["t"]).unwrap();
    let patches = server
        .requests()
        .iter()
        .filter(|r| r.starts_with("PATCH "))
        .count();
    assert_eq!(patches, 5, "300,001 bytes in 64 KiB chunks");
    let layer = &image.manifests()[0].layer_digests[0];
    let stored = server.blob("app", layer.as_str()).unwrap();
    assert_eq!(Digest::of_bytes(&stored), *layer);
}

#[test]
fn basic_and_bearer_auth_are_answered_and_bad_credentials_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[1000], 3);
    for auth in [
        RegistryAuth::Basic("ci".into(), "s3cret".into()),
        RegistryAuth::Bearer("ci".into(), "s3cret".into()),
    ] {
        let server = TestRegistry::start(auth.clone(), false);
        let good = ClientOptions {
            credential: Some(Credential::Basic {
                username: "ci".into(),
                password: "s3cret".into(),
            }),
            ..options()
        };
        let registry = Registry::connect(server.host(), &good).unwrap();
        push(&registry, "app", &image, &["t"]).unwrap();
        assert!(server.manifest("app", "t").is_some(), "{auth:?}");

        let bad = ClientOptions {
            credential: Some(Credential::Basic {
                username: "ci".into(),
                password: "wrong".into(),
            }),
            ..options()
        };
        // Checked when connecting, as `docker login` checks them: before any build.
        let Err(error) = Registry::connect(server.host(), &bad) else {
            panic!("{auth:?}: a wrong password was not refused");
        };
        let error = error.to_string();
        assert!(error.contains(server.host()), "{error}");
        assert!(error.contains("refused the credentials of `ci`"), "{error}");
        assert!(!error.contains("wrong"), "no password in messages: {error}");

        let Err(error) = Registry::connect(server.host(), &options()) else {
            panic!("{auth:?}: no credential and no refusal");
        };
        let error = error.to_string();
        assert!(error.contains("docker login"), "{error}");
    }
}

#[test]
fn a_500_on_one_blob_is_retried_and_a_lasting_one_names_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[5000, 7000], 4);
    let layer = image.manifests()[0].layer_digests[1].clone();
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(server.host(), &options()).unwrap();

    server.fail_blob_put(layer.as_str(), 500, 2);
    push(&registry, "app", &image, &["t"]).unwrap();
    assert_eq!(
        server.blob("app", layer.as_str()).map(|b| b.len()),
        Some(7000)
    );

    server.fail_blob_put(layer.as_str(), 500, 100);
    let error = push(&registry, "second", &image, &["t"]).unwrap_err();
    assert!(error.is_transient());
    let message = error.to_string();
    assert!(message.contains(server.host()), "{message}");
    assert!(message.contains(layer.as_str()), "{message}");
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(
        server.manifest("second", "t").is_none(),
        "no tag for a partial push"
    );
}

#[test]
fn a_push_cut_off_midway_resumes_and_sends_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[100_000, 80_000, 60_000], 5);
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(
        server.host(),
        &ClientOptions {
            attempts: 2,
            ..options()
        },
    )
    .unwrap();
    server.go_down_after(2);
    let error = push(&registry, "app", &image, &["t"])
        .unwrap_err()
        .to_string();
    assert!(error.contains(server.host()), "{error}");
    assert!(server.manifest("app", "t").is_none());
    let done_before = server.uploads_completed();
    assert!(done_before >= 2);

    server.come_back();
    let report = push(&registry, "app", &image, &["t"]).unwrap();
    assert_eq!(report.count(BlobOutcome::Present).0, done_before);
    assert_eq!(report.uploaded().0, 6 - done_before);
    let (_, stored) = server.manifest("app", "t").unwrap();
    assert_eq!(Digest::of_bytes(&stored), *image.index_digest());
}

#[test]
fn a_second_repository_mounts_the_blobs_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[50_000], 6);
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(server.host(), &options()).unwrap();
    push(&registry, "first", &image, &["t"]).unwrap();
    let received = server.blob_bytes_received();
    let report = push_image(
        &registry,
        "second",
        &image.push_plan(),
        &["t".to_owned()],
        &PushOptions {
            jobs: 1,
            mount_from: image
                .push_plan()
                .blobs
                .iter()
                .map(|b| (b.digest.to_string(), "first".to_owned()))
                .collect(),
            ..PushOptions::default()
        },
        &|_| {},
    )
    .unwrap();
    assert_eq!(report.count(BlobOutcome::Mounted).0, 4);
    assert_eq!(server.mounts(), 4);
    assert_eq!(server.blob_bytes_received(), received);
    assert!(server.manifest("second", "t").is_some());
}

#[test]
fn a_registry_with_the_referrers_api_gets_no_referrers_tag() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[1000], 7);
    let server = TestRegistry::start(RegistryAuth::Open, true);
    let registry = Registry::connect(server.host(), &options()).unwrap();
    let report = push(&registry, "app", &image, &["t"]).unwrap();
    assert!(report.referrers_tags.is_empty());
    assert_eq!(server.tags("app"), vec!["t".to_owned()]);
    let subject = image.manifests()[0].digest.as_str();
    let listed = registry.referrers("app", subject).unwrap().unwrap();
    assert_eq!(
        listed["manifests"][0]["digest"],
        image.artifacts()[0].digest.as_str()
    );
}

#[test]
fn a_layer_file_changed_since_the_build_is_not_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[1000], 8);
    std::fs::write(dir.path().join("layer0"), vec![1u8; 1000]).unwrap();
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(server.host(), &options()).unwrap();
    let error = push(&registry, "app", &image, &["t"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("its digest is now"), "{error}");
    assert!(error.contains("layer0"), "{error}");
    assert!(server.manifest("app", "t").is_none());
}

/// Writes the bytes it was given for a digest, and counts the fetches.
struct FetchFrom {
    blobs: std::collections::HashMap<String, Vec<u8>>,
    fetched: std::sync::atomic::AtomicUsize,
}

impl aloft_registry::FetchBlob for FetchFrom {
    fn fetch(&self, digest: &Digest, path: &Path) -> Result<(), RegistryError> {
        self.fetched
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::fs::write(path, &self.blobs[digest.as_str()]).unwrap();
        Ok(())
    }
}

/// A layer known by its digest alone (its file absent, as a layer another machine
/// built) is fetched only when it must be uploaded, and then checked like any other.
#[test]
fn a_missing_layer_file_is_fetched_only_when_the_registry_lacks_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let image = image(dir.path(), &[1000, 2000], 9);
    let bytes: std::collections::HashMap<String, Vec<u8>> = (0..2)
        .map(|i| {
            let path = dir.path().join(format!("layer{i}"));
            let data = std::fs::read(&path).unwrap();
            (Digest::of_bytes(&data).to_string(), data)
        })
        .collect();
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let registry = Registry::connect(server.host(), &options()).unwrap();
    // The registry holds layer0 already; layer1 is nowhere but with the fetcher.
    push(&registry, "app", &image, &["t"]).unwrap();
    for i in 0..2 {
        std::fs::remove_file(dir.path().join(format!("layer{i}"))).unwrap();
    }
    let without = push(&registry, "other", &image, &["t"])
        .unwrap_err()
        .to_string();
    assert!(
        without.contains("layer0") || without.contains("layer1"),
        "{without}"
    );

    let fetcher = FetchFrom {
        blobs: bytes,
        fetched: Default::default(),
    };
    let push_fetching = |repository: &str| {
        push_image(
            &registry,
            repository,
            &image.push_plan(),
            &["t".to_owned()],
            &PushOptions {
                jobs: 2,
                fetch_missing: Some(&fetcher),
                ..PushOptions::default()
            },
            &|_| {},
        )
        .unwrap()
    };
    let report = push_fetching("app");
    assert_eq!(report.uploaded().0, 0);
    assert_eq!(fetcher.fetched.load(std::sync::atomic::Ordering::SeqCst), 0);

    let report = push_fetching("third");
    assert_eq!(
        report.count(BlobOutcome::Uploaded).0,
        image.push_plan().blobs.len(),
        "{report:?}"
    );
    assert_eq!(fetcher.fetched.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(
        server.manifest("third", "t").unwrap().1,
        index_bytes(&image)
    );
}

#[test]
fn a_ca_file_that_is_not_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let server = TestRegistry::start(RegistryAuth::Open, false);
    let error = Registry::connect(
        server.host(),
        &ClientOptions {
            ca_file: Some(path.clone()),
            ..options()
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("ca.pem"), "{error}");
    assert!(error.contains("no PEM certificate"), "{error}");
}
