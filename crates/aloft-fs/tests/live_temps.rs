//! The interruption registry is process-wide, so it is tested in a process of its own.
#![allow(clippy::unwrap_used)]

use aloft_fs::{LiveTemp, remove_live_temps};

#[test]
fn live_temps_are_removed_on_interruption_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".x.aloft-1-a.tmp");
    let folder = dir.path().join(".y.aloft-1-b");
    let kept = dir.path().join(".z.aloft-1-c.tmp");
    std::fs::write(&file, b"x").unwrap();
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("blob"), b"y").unwrap();
    std::fs::write(&kept, b"z").unwrap();
    let _file = LiveTemp::register(&file);
    let _folder = LiveTemp::register(&folder);
    drop(LiveTemp::register(&kept));
    assert_eq!(remove_live_temps(), 2);
    assert!(!file.exists() && !folder.exists() && kept.exists());
    assert_eq!(remove_live_temps(), 0);
}
