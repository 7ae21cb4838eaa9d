//! Interruptions: a full disk and a killed run leave no output and a sound cache.

use super::*;

// Interruptions: a full disk and a killed run

/// Incompressible bytes (xorshift), so a layer and the archive are about this large.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A disk that fills while the archive is written (RLIMIT_FSIZE with SIGXFSZ ignored:
/// writes past the limit fail with EFBIG, as on a full disk): an error naming the output,
/// no output and no temp file beside it, and the cache intact: an offline run afterwards
/// builds the same image.
#[test]
fn a_full_disk_while_writing_leaves_no_output_and_the_cache_intact() {
    let ctx = ctx_with(vec![FixturePackage::new("big", "1.0").file(
        "usr/share/big/noise",
        &noise(600_000),
        0o644,
    )]);
    ctx.manifest(
        "big",
        &["base-files", "base-passwd", "big"],
        "archs: [amd64]\n",
    );
    ok(&ctx.aloft(&["lock", "manifests/big.yaml"]));
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/big.yaml",
        "warm.tar",
        &["--locked"],
    ));
    // 512 blocks of at most 1 KiB: the final layer fits, the 600 KB archive does not.
    let output = ctx
        .command("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 512; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_aloft"))
        .args([
            "assemble",
            "manifests/big.yaml",
            "-o",
            "full.tar",
            "--locked",
            "--offline",
        ])
        .output()
        .unwrap();
    fails_with(&output, &["full.tar", "too large"]);
    assert!(!ctx.path("full.tar").exists());
    let beside = files_in(&ctx.path("."));
    assert!(
        beside
            .iter()
            .all(|f| !f.contains(".aloft-") && !f.starts_with(".tmp")),
        "{beside:?}"
    );
    let again = assemble(
        &ctx,
        "manifests/big.yaml",
        "after.tar",
        &["--locked", "--offline"],
    );
    assert_eq!(digest_line(&again), digest);
    assert_eq!(
        std::fs::read(ctx.path("after.tar")).unwrap(),
        std::fs::read(ctx.path("warm.tar")).unwrap()
    );
}

/// A run killed while a .deb downloads leaves no output and no cache entry for it; the
/// next run builds the image.
#[test]
fn a_killed_run_leaves_no_output_and_no_cache_entry() {
    let ctx = locked_app();
    let (hello, sha) = pool(&ctx, "hello");
    ctx.server
        .fault(&hello, Fault::Delay(std::time::Duration::from_secs(3)), 1);
    let mut child = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .args([
            "assemble",
            "manifests/app.yaml",
            "-o",
            "app.tar",
            "--locked",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while requests_of(&ctx.server, &hello) == 0 {
        assert!(
            started.elapsed().as_secs() < 20,
            "the download never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!ctx.path("app.tar").exists());
    assert!(!ctx.cache.join("debs-v1/sha256").join(&sha).exists());
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
    assert_eq!(digest, clean_digest(&ctx));
}
