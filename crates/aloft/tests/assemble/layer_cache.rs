//! The layer cache: a bump rebuilds one layer; `aloft cache clean`.

use super::*;

// 3. The layer cache

#[test]
fn a_version_bump_rebuilds_only_that_packages_layer() {
    let ctx = ctx();
    ctx.manifest(
        "app",
        &["base-files", "base-passwd", "hello", "tzdata"],
        "archs: [amd64]\n",
    );
    let first = assemble(&ctx, "manifests/app.yaml", "one.tar", &[]);
    let first_digest = digest_line(&first);
    let before = read_archive(&ctx.path("one.tar")).platform().digests();

    // The archive moves on: hello 1.1 is published beside 1.0.
    let mut newer = packages();
    newer.push(hello("1.1", "amd64"));
    ctx.repo.add_suite(&suite(), &newer);
    ok(&ctx.aloft(&["lock", "manifests/app.yaml", "--upgrade-package", "hello"]));
    assert_eq!(locked_package(&ctx, "app", "hello")["version"], "1.1");
    assert_eq!(locked_package(&ctx, "app", "tzdata")["version"], "2025b-1");

    let second = assemble(&ctx, "manifests/app.yaml", "two.tar", &["--locked"]);
    assert_ne!(digest_line(&second), first_digest);
    let text = stderr(&second);
    // hello's layer and the final layer (always built) are built; the rest is reused.
    assert!(
        text.contains("amd64: 4 packages in 4 layers (1 built, 3 from cache)")
            && text.contains("(1 .debs downloaded)"),
        "{text}"
    );
    let image = read_archive(&ctx.path("two.tar"));
    let platform = image.platform();
    let after = platform.digests();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (layer, digest) in &before {
        match layer.as_str() {
            "aloft: hello: hello" => assert_ne!(&after[layer], digest, "{layer}"),
            "aloft: accounts, paths and files" => {}
            _ => assert_eq!(&after[layer], digest, "{layer}"),
        }
    }
    assert_eq!(
        platform.layer("hello").text("usr/share/hello/README"),
        "hello 1.1\n"
    );
    // Both hello layers are kept; the others once each.
    assert_eq!(cached_layers_of(&ctx, "hello"), 2);
    assert_eq!(cached_layers_of(&ctx, "tzdata"), 1);
}

// The cache command

#[test]
fn cache_clean_empties_the_layers_or_everything() {
    let ctx = locked_app();
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "a.tar",
        &["--locked"],
    ));
    let dir = ctx.aloft(&["cache", "dir"]);
    ok(&dir);
    assert_eq!(
        String::from_utf8_lossy(&dir.stdout).trim(),
        ctx.cache.display().to_string()
    );
    ok(&ctx.aloft(&["cache", "clean", "--layers"]));
    assert!(!ctx.cache.join("layers-v1").exists());
    assert!(!files_in(&ctx.cache.join("debs-v1/sha256")).is_empty());
    // The .debs are still there: an offline build makes the layers again, the same bytes.
    let again = assemble(
        &ctx,
        "manifests/app.yaml",
        "b.tar",
        &["--locked", "--offline"],
    );
    assert_eq!(digest_line(&again), digest);
    assert!(
        stderr(&again).contains("(3 built, 0 from cache)"),
        "{}",
        stderr(&again)
    );
    ok(&ctx.aloft(&["cache", "clean"]));
    for bucket in ["indexes-v1", "debs-v1", "layers-v1"] {
        assert!(!ctx.cache.join(bucket).exists(), "{bucket}");
    }
    fails_with(
        &assemble(
            &ctx,
            "manifests/app.yaml",
            "c.tar",
            &["--locked", "--offline"],
        ),
        &["--offline"],
    );
}

/// Four builds of one lock at once into one cold cache: every one succeeds with the
/// clean digest (each .deb and layer is written to a temp file of its own and renamed),
/// no temp file is left, and a warm build afterwards agrees.
#[test]
fn concurrent_builds_into_one_cache_agree_and_leave_it_sound() {
    let ctx = locked_app();
    let clean = clean_digest(&ctx);
    let children: Vec<_> = (0..4)
        .map(|i| {
            ctx.command(env!("CARGO_BIN_EXE_aloft"))
                .args([
                    "assemble",
                    "manifests/app.yaml",
                    "-o",
                    &format!("app-{i}.tar"),
                    "--locked",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        assert_eq!(digest_line(&child.wait_with_output().unwrap()), clean);
    }
    for dir in [
        "debs-v1/sha256",
        "layers-v1/tmp",
        "layers-v1/keys",
        "layers-v1/blobs/sha256",
    ] {
        let leftovers: Vec<String> = files_in(&ctx.cache.join(dir))
            .into_iter()
            .filter(|f| f.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{dir}: {leftovers:?}");
    }
    let warm = assemble(&ctx, "manifests/app.yaml", "app.tar", &["--locked"]);
    assert_eq!(digest_line(&warm), clean);
    assert!(
        stderr(&warm).contains("(0 .debs downloaded)"),
        "{}",
        stderr(&warm)
    );
}
