//! A library directory added by /etc/ld.so.conf.d is found by the real ld.so through the
//! /etc/ld.so.cache aloft writes: libfakeroot's `libfakeroot-0.so`, preloaded by name.

use super::{assemble_to, run, stdout, workspace_root};

/// `LD_PRELOAD=libfakeroot-0.so id -u` prints 0 in an image with busybox and
/// libfakeroot: ld.so found the library in /usr/lib/<triplet>/libfakeroot, a directory
/// only the cache names (without it ld.so says "cannot be preloaded" and `id` prints
/// 65532). On amd64, and on arm64 where the machine emulates it.
#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn a_library_directory_from_ld_so_conf_d_is_found_through_the_cache() {
    let root = workspace_root().canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fakeroot.yaml");
    std::fs::write(
        &manifest,
        format!(
            "include: [{}]\ncontents:\n  packages: [busybox, libfakeroot]\narchs: [amd64, arm64]\nentrypoint:\n  command: [/usr/bin/busybox]\n",
            root.join("manifests/base.yaml").display()
        ),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let emulated = super::digests::arm64_emulation();
    for arch in ["amd64", "arm64"] {
        let tar = dir.path().join(format!("fakeroot-{arch}.tar"));
        let tag = format!("aloft-live/fakeroot:{arch}");
        assemble_to(
            &manifest,
            &tar,
            cache.path(),
            &["-q", "--docker-arch", arch, "--tag", &tag],
        );
        if arch == "arm64"
            && let Err(why) = &emulated
        {
            eprintln!("NOT CHECKED: the arm64 ld.so.cache under ld.so: {why}");
            continue;
        }
        run("docker", &["load", "-i", tar.to_str().unwrap()]);
        let platform = format!("linux/{arch}");
        let preloaded = run(
            "docker",
            &[
                "run",
                "--rm",
                "--platform",
                &platform,
                "-e",
                "LD_PRELOAD=libfakeroot-0.so",
                &tag,
                "id",
                "-u",
            ],
        );
        let stderr = String::from_utf8_lossy(&preloaded.stderr);
        assert!(!stderr.contains("cannot be preloaded"), "{arch}: {stderr}");
        assert_eq!(stdout(&preloaded).trim(), "0", "{arch}: {stderr}");
        // Without the preload, the image's own user.
        let plain = run(
            "docker",
            &["run", "--rm", "--platform", &platform, &tag, "id", "-u"],
        );
        assert_eq!(stdout(&plain).trim(), "65532", "{arch}");
        run("docker", &["rmi", &tag]);
    }
}
