//! Busybox applet links, read from the binary's applet table.

use super::*;

#[test]
fn busybox_applets_are_linked_unless_a_package_ships_the_name() {
    let ctx = ctx_with(vec![
        FixturePackage::new("busybox", "1:1.37.0-6").file(
            "usr/bin/busybox",
            b"\x7fELF\0code\0[\0[[\0ash\0id\0ls\0sh\0wget\0\0more code",
            0o755,
        ),
        FixturePackage::new("coreutils", "9.7-3").file("usr/bin/ls", b"\x7fELF ls", 0o755),
    ]);
    ctx.manifest(
        "debug",
        &["base-files", "base-passwd", "busybox", "coreutils"],
        "archs: [amd64]\n",
    );
    digest_line(&assemble(&ctx, "manifests/debug.yaml", "d.tar", &[]));
    let image = read_archive(&ctx.path("d.tar"));
    let platform = image.platform();
    let last = platform.layers.last().unwrap();
    for applet in ["[", "[[", "ash", "id", "sh", "wget"] {
        assert_eq!(
            last.get(&format!("usr/bin/{applet}")).link.as_deref(),
            Some("busybox"),
            "{applet}"
        );
    }
    // coreutils' ls stays.
    assert!(last.find("usr/bin/ls").is_none());
    let effects: Value = serde_json::from_str(&last.text("usr/share/aloft/effects.json")).unwrap();
    assert_eq!(
        effects["packages"]["busybox"][0]["detail"],
        "6 of 7 applets linked to /usr/bin/busybox (the others are installed by packages)"
    );
}
