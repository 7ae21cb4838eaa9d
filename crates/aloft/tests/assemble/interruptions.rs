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

/// `app` assembling in the background, stopped in the download of hello's .deb (the
/// server holds its answer for 5 s); returns the child and hello's cache temp file.
fn assemble_stalled_in_a_download(ctx: &Ctx) -> (std::process::Child, PathBuf, String) {
    let (hello, sha) = pool(ctx, "hello");
    ctx.server
        .fault(&hello, Fault::Delay(std::time::Duration::from_secs(5)), 1);
    let child = ctx
        .command(env!("CARGO_BIN_EXE_aloft"))
        .args([
            "assemble",
            "manifests/app.yaml",
            "-o",
            "app.tar",
            "--locked",
        ])
        .stderr(std::process::Stdio::piped())
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
    let debs = ctx.cache.join("debs-v1/sha256");
    let temps: Vec<String> = files_in(&debs)
        .into_iter()
        .filter(|f| f.starts_with(&format!(".{sha}.aloft-{}-", child.id())))
        .collect();
    assert_eq!(
        temps.len(),
        1,
        "no download temp file: {:?}",
        files_in(&debs)
    );
    (child, debs.join(&temps[0]), sha)
}

/// SIGTERM and SIGINT: the run removes its temp files and exits as the signal would.
#[test]
fn an_interrupted_run_removes_its_temp_files() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let ctx = locked_app();
        let (child, temp, sha) = assemble_stalled_in_a_download(&ctx);
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(code), "SIG{signal}");
        // The stalled download's temp file, and any layer being written beside it at
        // that moment (how far the other layers got is a race).
        let log = stderr(&output);
        let removed = log
            .split_once("interrupted; removed ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse::<usize>().ok());
        assert!(
            removed.is_some_and(|n| n >= 1) && log.contains(" temporary file"),
            "{log}"
        );
        assert!(!temp.exists(), "SIG{signal} left {}", temp.display());
        nothing_left(&ctx, "app.tar", Some(&sha), "hello");
    }
}

/// kill -9 leaves the download's temp file; the next run removes it once it is stale,
/// with other leftovers of dead runs beside the output, and keeps what is not stale.
#[test]
fn a_killed_run_leaves_no_output_and_the_next_run_sweeps_its_temp_files() {
    let ctx = locked_app();
    let (mut child, temp, sha) = assemble_stalled_in_a_download(&ctx);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!ctx.path("app.tar").exists());
    assert!(!ctx.cache.join("debs-v1/sha256").join(&sha).exists());
    assert!(temp.exists(), "kill -9 cannot remove anything");

    // A dead run's half-written image beside the output, and one of a run that may be
    // alive elsewhere (recent): PIDs above the kernel's maximum never exist here.
    let stale = ctx.path(".app.tar.aloft-99999999-AbCdEf.tmp");
    let recent = ctx.path(".app.tar.aloft-99999999-GhIjKl.tmp");
    std::fs::write(&stale, b"half an image").unwrap();
    std::fs::write(&recent, b"half an image").unwrap();
    let old = std::time::SystemTime::now() - aloft_fs::STALE_AFTER - Duration::from_secs(1);
    for path in [&stale, &temp] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let digest = digest_line(&assemble(
        &ctx,
        "manifests/app.yaml",
        "app.tar",
        &["--locked"],
    ));
    assert_eq!(digest, clean_digest(&ctx));
    assert!(!temp.exists() && !stale.exists());
    assert!(recent.exists(), "a recent temp file may be a live run's");
}
