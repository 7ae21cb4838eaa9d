//! /etc/ld.so.cache for the directories /etc/ld.so.conf.d adds (and /usr/local/lib, for a
//! library `files:` copies there).

use aloft_test::elf::{EM_AARCH64, EM_X86_64, shared_object};

use super::*;

const MULTIARCH: &str = "usr/lib/x86_64-linux-gnu";

/// The entries of an ld.so.cache (new format), read as ld.so reads them: soname, path
/// and flags, in file order.
fn cache_entries(file: &[u8]) -> Vec<(String, String, u32)> {
    assert_eq!(&file[..20], b"glibc-ld.so.cache1.1");
    let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
    let string = |at: u32| {
        let rest = &file[at as usize..];
        String::from_utf8(rest[..rest.iter().position(|b| *b == 0).unwrap()].to_vec()).unwrap()
    };
    (0..word(20) as usize)
        .map(|n| {
            let at = 48 + 24 * n;
            (string(word(at + 4)), string(word(at + 8)), word(at))
        })
        .collect()
}

fn libc6_confs() -> FixturePackage {
    FixturePackage::new("libc6-confs", "2.41-12")
        .file(
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            b"# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
            0o644,
        )
        .file("etc/ld.so.conf.d/libc.conf", b"/usr/local/lib\n", 0o644)
        .file(
            &format!("{MULTIARCH}/libdup.so.1"),
            &shared_object(EM_X86_64, Some("libdup.so.1")),
            0o644,
        )
}

#[test]
fn added_library_directories_get_an_ld_so_cache() {
    let ctx = ctx_with(vec![
        libc6_confs(),
        FixturePackage::new("libfake", "1.37-1")
            .file(
                "etc/ld.so.conf.d/fake-x86_64-linux-gnu.conf",
                b"/usr/lib/x86_64-linux-gnu/libfake   # the preload library\n",
                0o644,
            )
            .file(
                &format!("{MULTIARCH}/libfake/libfake-sysv.so"),
                &shared_object(EM_X86_64, Some("libfake-sysv.so")),
                0o644,
            )
            // A linker script and another architecture's library are not libraries here.
            .file(
                &format!("{MULTIARCH}/libfake/libfake.so"),
                b"INPUT(-lfake)\n",
                0o644,
            )
            .file(
                &format!("{MULTIARCH}/libfake/libarm.so.1"),
                &shared_object(EM_AARCH64, Some("libarm.so.1")),
                0o644,
            ),
        // Listed after the multiarch directory, which has libdup.so.1 too: ld.so must
        // find the multiarch one, so the cache leaves it out.
        FixturePackage::new("late", "1")
            .file("etc/ld.so.conf.d/zz-late.conf", b"/opt/late/\n", 0o644)
            .file(
                "opt/late/libdup.so.1",
                &shared_object(EM_X86_64, Some("libdup.so.1")),
                0o644,
            )
            .file(
                "opt/late/liblate.so.2.1",
                &shared_object(EM_X86_64, Some("liblate.so.2")),
                0o644,
            )
            .entry(DebFile::new(
                "opt/late/liblate.so.2",
                DebEntryKind::Symlink("liblate.so.2.1".into()),
                0o777,
            )),
    ]);
    write_mode(
        &ctx.path("host/libmine.so.3"),
        &shared_object(EM_X86_64, Some("libmine.so.3")),
        0o644,
    );
    ctx.manifest(
        "preload",
        &["base-files", "base-passwd", "libc6-confs", "libfake", "late"],
        "archs: [amd64]\nfiles:\n  - {source: ../host/libmine.so.3, path: /usr/local/lib/libmine.so.3}\n",
    );
    digest_line(&assemble(&ctx, "manifests/preload.yaml", "p.tar", &[]));
    let image = read_archive(&ctx.path("p.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    let cache = &last.get("etc/ld.so.cache");
    assert_eq!(cache.mode, 0o644);
    assert_eq!(
        cache_entries(&cache.data),
        [
            (
                "libmine.so.3".to_owned(),
                "/usr/local/lib/libmine.so.3".to_owned(),
                0x0303
            ),
            (
                "liblate.so.2".into(),
                "/opt/late/liblate.so.2".into(),
                0x0303
            ),
            (
                "libfake-sysv.so".into(),
                format!("/{MULTIARCH}/libfake/libfake-sysv.so"),
                0x0303
            ),
        ]
    );
    // The host's own ldconfig reads it the same way, where there is one.
    let cache_file = ctx.path("ld.so.cache");
    std::fs::write(&cache_file, &cache.data).unwrap();
    if let Ok(printed) = std::process::Command::new("/sbin/ldconfig")
        .args(["-p", "-C"])
        .arg(&cache_file)
        .output()
    {
        let printed = String::from_utf8_lossy(&printed.stdout);
        assert!(printed.starts_with("3 libs found in cache"), "{printed}");
        assert!(
            printed.contains(&format!(
                "libfake-sysv.so (libc6,x86-64) => /{MULTIARCH}/libfake/libfake-sysv.so"
            )),
            "{printed}"
        );
    }
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert_eq!(
        effects["packages"]["libfake"][0]["detail"],
        format!(
            "/etc/ld.so.cache: 1 library of /{MULTIARCH}/libfake (/etc/ld.so.conf.d/fake-x86_64-linux-gnu.conf)"
        )
    );
    assert_eq!(effects["packages"]["libfake"][0]["effect"], "ldconfig");
    assert_eq!(
        effects["packages"]["libc6-confs"][0]["detail"],
        "/etc/ld.so.cache: 1 library of /usr/local/lib (/etc/ld.so.conf.d/libc.conf)"
    );
}

#[test]
fn no_cache_when_the_added_directories_hold_no_library() {
    let ctx = ctx_with(vec![libc6_confs()]);
    ctx.manifest(
        "plain",
        &["base-files", "base-passwd", "libc6-confs"],
        "archs: [amd64]\n",
    );
    digest_line(&assemble(&ctx, "manifests/plain.yaml", "p.tar", &[]));
    let image = read_archive(&ctx.path("p.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    assert!(last.find("etc/ld.so.cache").is_none());
}
