//! `aloft publish`: the image `assemble` builds, pushed to a loopback registry natively.

use aloft_test::{RegistryAuth, TestRegistry, base64_of};

use super::*;

fn publish(ctx: &Ctx, refs: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["publish", "manifests/app.yaml"];
    args.extend_from_slice(refs);
    ctx.aloft_with(&args, env)
}

#[test]
fn publish_pushes_the_digest_assemble_writes_and_sends_nothing_twice() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64, arm64]\n",
    );
    let built = digest_line(&assemble(&ctx, "manifests/app.yaml", "app.tar", &[]));
    let registry = TestRegistry::start(RegistryAuth::Open, false);
    let host = registry.host().to_owned();
    let first = format!("{host}/team/app:1.0");
    let second = format!("{host}/team/app:latest");
    let other = format!("{host}/mirror/app:1.0");
    let output = publish(&ctx, &[&first, &second, &other], &[]);
    let pushed = digest_line(&output);
    assert_eq!(pushed, built, "the pushed image is the one assemble writes");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    for reference in [&first, &second, &other] {
        assert!(
            stdout.contains(&format!("{reference}@{built}\n")),
            "{stdout}"
        );
    }
    // The index as built, under every tag; each blob sent once (the second repository
    // mounts them).
    let archive = read_archive(&ctx.path("app.tar"));
    let index = archive.blob(&archive.index_json()["manifests"][0]).to_vec();
    for (repository, tag) in [
        ("team/app", "1.0"),
        ("team/app", "latest"),
        ("mirror/app", "1.0"),
    ] {
        let (_, stored) = registry.manifest(repository, tag).unwrap();
        assert_eq!(stored, index, "{repository}:{tag}");
    }
    let sent = registry.blob_bytes_received();
    assert!(registry.mounts() > 0);
    let log = stderr(&output);
    // The first repository got every blob uploaded; the second, none.
    assert!(
        log.contains(&format!("{host}/team/app: "))
            && log.contains(&format!(
                "{host}/mirror/app: 0 blobs uploaded (0.0 MB), 0 already there, "
            )),
        "{log}"
    );

    // Again: the registry has everything, nothing is sent.
    let again = publish(&ctx, &[&first], &[]);
    assert_eq!(digest_line(&again), built);
    assert_eq!(registry.blob_bytes_received(), sent);
    assert!(
        stderr(&again).contains(&format!("{host}/team/app: 0 blobs uploaded (0.0 MB)")),
        "{}",
        stderr(&again)
    );
}

#[test]
fn publish_takes_credentials_from_docker_config_and_names_a_refusal() {
    let ctx = ctx();
    ctx.manifest("app", &["base-files", "base-passwd", "hello"], "");
    let registry = TestRegistry::start(RegistryAuth::Bearer("ci".into(), "pw".into()), false);
    let reference = format!("{}/app:1", registry.host());

    // No credentials: the registry's refusal, and what to do.
    fails_with(
        &publish(&ctx, &[&reference], &[]),
        &[registry.host(), "docker login"],
    );

    // docker's config.json in $HOME/.docker, as `docker login` writes it.
    let docker = ctx.path(".docker");
    std::fs::create_dir_all(&docker).unwrap();
    let write_config = |password: &str| {
        let auth = base64_of(&format!("ci:{password}"));
        std::fs::write(
            docker.join("config.json"),
            format!(
                r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
                registry.host()
            ),
        )
        .unwrap();
    };
    write_config("wrong");
    let output = publish(&ctx, &[&reference], &[]);
    fails_with(
        &output,
        &[registry.host(), "refused the credentials of `ci`"],
    );
    assert!(!stderr(&output).contains("wrong"));

    write_config("pw");
    ok(&publish(&ctx, &[&reference], &[]));
    assert!(registry.manifest("app", "1").is_some());
}

#[test]
fn publish_refuses_bad_references_before_building() {
    let ctx = ctx();
    ctx.manifest("app", &["base-files"], "");
    fails_with(
        &publish(&ctx, &["app:1.0"], &[]),
        &["REF `app:1.0` names no registry host"],
    );
    fails_with(
        &publish(&ctx, &["127.0.0.1:1/App:1"], &[]),
        &["REF `127.0.0.1:1/App:1`", "lowercase"],
    );
    // A registry that is not there: named, before the build.
    let output = publish(&ctx, &["127.0.0.1:1/app:1"], &[]);
    fails_with(&output, &["Cannot reach the registry 127.0.0.1:1"]);
    assert!(
        !ctx.path("lockfiles/app.lock.json").exists(),
        "nothing was built"
    );
}

/// Several manifests in one run: each image is the one a run of its own builds (same
/// digest), written to `OUT/<stem>.tar`; a layer two images share is one blob, built
/// once, and the run says how many bytes are shared. Published with `{stem}` refs, the
/// second image mounts the blobs the first pushed instead of sending them again.
#[test]
fn several_manifests_build_and_publish_in_one_run_sharing_layers() {
    let ctx = ctx();
    ctx.manifest("app", &["base-files", "base-passwd", "hello"], "");
    ctx.manifest("tool", &["base-files", "base-passwd"], "");
    let alone: Vec<String> = ["app", "tool"]
        .iter()
        .map(|stem| {
            digest_line(&assemble(
                &ctx,
                &format!("manifests/{stem}.yaml"),
                &format!("{stem}-alone.tar"),
                &[],
            ))
        })
        .collect();
    // A fresh layer cache, so that the shared layer is built in this run.
    std::fs::remove_dir_all(ctx.cache.join("layers-v1")).unwrap();
    std::fs::create_dir_all(ctx.path("out")).unwrap();
    let output = ctx.aloft(&[
        "assemble",
        "manifests/app.yaml",
        "manifests/tool.yaml",
        "-o",
        "out",
        "--tag",
        "example/{stem}:1",
    ]);
    ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        stdout,
        format!("out/app.tar {}\nout/tool.tar {}\n", alone[0], alone[1])
    );
    let log = stderr(&output);
    assert!(log.contains("2 images: "), "{log}");
    let app = read_archive(&ctx.path("out/app.tar"));
    let tool = read_archive(&ctx.path("out/tool.tar"));
    let layers = |archive: &Image| -> Vec<String> {
        let index = archive.index_json();
        let top = archive.json(&index["manifests"][0]);
        let manifest = archive.json(&top["manifests"][0]);
        manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_owned())
            .collect()
    };
    let shared: Vec<String> = layers(&app)
        .into_iter()
        .filter(|d| layers(&tool).contains(d))
        .collect();
    assert!(!shared.is_empty(), "no layer shared: {log}");
    // Built once: the run's layer cache holds one blob per distinct layer.
    let cached = std::fs::read_dir(ctx.cache.join("layers-v1/blobs/sha256"))
        .unwrap()
        .count();
    let mut distinct = layers(&app);
    distinct.extend(layers(&tool));
    distinct.sort();
    distinct.dedup();
    assert_eq!(cached, distinct.len(), "{log}");

    // Several manifests need `{stem}` in every tag and reference.
    fails_with(
        &ctx.aloft(&[
            "assemble",
            "manifests/app.yaml",
            "manifests/tool.yaml",
            "-o",
            "out",
            "--tag",
            "example/app:1",
        ]),
        &["needs `{stem}`"],
    );
    let registry = TestRegistry::start(RegistryAuth::Open, false);
    let host = registry.host().to_owned();
    fails_with(
        &ctx.aloft(&[
            "publish",
            "manifests/app.yaml",
            "manifests/tool.yaml",
            &format!("{host}/team/app:1"),
        ]),
        &["needs `{stem}`"],
    );
    assert_eq!(registry.blob_bytes_received(), 0);

    // Options may stand between the manifests and the references.
    let published = ctx.aloft(&[
        "publish",
        "manifests/app.yaml",
        "manifests/tool.yaml",
        "--jobs",
        "2",
        &format!("{host}/team/{{stem}}:1"),
    ]);
    ok(&published);
    let printed = String::from_utf8_lossy(&published.stdout).into_owned();
    assert_eq!(
        printed,
        format!(
            "{host}/team/app:1@{}\n{host}/team/tool:1@{}\n",
            alone[0], alone[1]
        )
    );
    assert!(registry.mounts() >= shared.len(), "{}", stderr(&published));
    assert!(registry.manifest("team/tool", "1").is_some());
}

/// The registry as the fleet's layer cache: a machine with an empty cache publishing a
/// lock another machine published takes every package layer from the registry
/// (recorded under `layer-<key>` in `<namespace>/aloft-layer-cache`), compresses none,
/// uploads no layer, and pushes the same digest. With `--layer-cache none` it builds.
#[test]
fn a_second_machine_takes_the_layers_from_the_registry() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello"],
        "archs: [amd64, arm64]\n",
    );
    let registry = TestRegistry::start(RegistryAuth::Open, false);
    let reference = format!("{}/team/app:1", registry.host());
    let first = publish(&ctx, &[&reference], &[]);
    let digest = digest_line(&first);
    assert!(
        stderr(&first).contains("aloft-layer-cache: 0 layers taken from it, "),
        "{}",
        stderr(&first)
    );
    let records: Vec<String> = registry
        .tags("team/aloft-layer-cache")
        .into_iter()
        .filter(|t| t.starts_with("layer-"))
        .collect();
    assert!(!records.is_empty(), "no layer recorded");
    let sent = registry.blob_bytes_received();

    // Another machine: its own, empty cache.
    let other = ctx.path("other-cache");
    let second = publish(
        &ctx,
        &[&reference],
        &[("ALOFT_CACHE_DIR", other.to_str().unwrap())],
    );
    assert_eq!(digest_line(&second), digest);
    let log = stderr(&second);
    assert!(
        log.contains(&format!(
            "aloft-layer-cache: {} layers taken from it, 0 recorded",
            records.len()
        )),
        "{log}"
    );
    for arch in ["amd64", "arm64"] {
        assert!(log.contains(&format!("{arch}: ")), "{log}");
    }
    assert!(
        !log.contains(" built, ") || log.contains("(0 built, "),
        "{log}"
    );
    assert_eq!(
        registry.blob_bytes_received(),
        sent,
        "nothing uploaded: {log}"
    );
    // The registry has the blobs: they are not even downloaded, only the indexes.
    assert!(log.contains("; 0 layer blobs downloaded"), "{log}");
    let blobs = std::fs::read_dir(other.join("layers-v1/blobs/sha256"))
        .unwrap()
        .count();
    assert!(blobs <= 2, "only the final layers are here: {log}");

    // A new repository on the same registry mounts them from the layer cache.
    let mounts = registry.mounts();
    let fourth = ctx.path("fourth-cache");
    let elsewhere = format!("{}/team/other:1", registry.host());
    let mounted = publish(
        &ctx,
        &[&elsewhere],
        &[("ALOFT_CACHE_DIR", fourth.to_str().unwrap())],
    );
    assert_eq!(digest_line(&mounted), digest);
    assert!(
        registry.mounts() >= mounts + records.len(),
        "{}",
        stderr(&mounted)
    );
    assert!(stderr(&mounted).contains("; 0 layer blobs downloaded"));

    // Another registry has none of them: they are downloaded from the layer cache, checked
    // and uploaded there; the digest is the same.
    let second_registry = TestRegistry::start(RegistryAuth::Open, false);
    let fifth = ctx.path("fifth-cache");
    let cache_repository = format!("{}/team/aloft-layer-cache", registry.host());
    let copied = publish(
        &ctx,
        &[
            &format!("{}/team/app:1", second_registry.host()),
            "--layer-cache",
            &cache_repository,
        ],
        &[("ALOFT_CACHE_DIR", fifth.to_str().unwrap())],
    );
    assert_eq!(digest_line(&copied), digest, "{}", stderr(&copied));
    assert!(
        stderr(&copied).contains(&format!(
            "{} layers taken from it, 0 recorded; {} layer blobs downloaded",
            records.len(),
            records.len()
        )),
        "{}",
        stderr(&copied)
    );

    // Without the shared cache, a third machine builds every layer itself.
    let third = ctx.path("third-cache");
    let built = publish(
        &ctx,
        &[&reference, "--layer-cache", "none"],
        &[("ALOFT_CACHE_DIR", third.to_str().unwrap())],
    );
    assert_eq!(digest_line(&built), digest);
    assert!(!stderr(&built).contains("(0 built, "), "{}", stderr(&built));
}
