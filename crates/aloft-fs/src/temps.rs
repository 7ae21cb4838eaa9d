//! aloft's own temporary files: named so that they can be told apart, registered while
//! they live so that an interrupted run can remove them, and swept when a killed run
//! (`kill -9`, a power cut) left them behind.
//!
//! Every temp name is `.NAME.aloft-PID-RANDOM.tmp` (a directory: without `.tmp`), where
//! PID is the process that made it. A later run removes one whose process is gone and
//! which has not been written for [`STALE_AFTER`]: two runs may share a cache or an
//! output directory, and another machine's process (a shared volume) has a PID that means
//! nothing here, so the age is what keeps a live temp of another run safe.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How every temp file aloft makes ends.
pub const TEMP_SUFFIX: &str = ".tmp";

/// How long a temp file of a dead process must have been untouched to be removed.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// The temp-file prefix for a target named `name`: `.NAME.aloft-PID-`.
pub fn temp_prefix(name: &std::ffi::OsStr) -> String {
    format!(".{}.aloft-{}-", name.to_string_lossy(), std::process::id())
}

/// The temp paths of this process that exist now.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A temp path registered for removal on interruption; dropping it unregisters the
/// path (it does not remove it: the owner renamed or removed it already).
#[derive(Debug)]
pub struct LiveTemp(PathBuf);

impl LiveTemp {
    /// Registers `path`.
    pub fn register(path: &Path) -> LiveTemp {
        if let Ok(mut live) = LIVE.lock() {
            live.insert(path.to_path_buf());
        }
        LiveTemp(path.to_path_buf())
    }
}

impl Drop for LiveTemp {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.remove(&self.0);
        }
    }
}

/// Removes every registered temp path (files, and directories with what is in them),
/// for a run that is being interrupted; returns how many it removed.
pub fn remove_live_temps() -> usize {
    let paths: Vec<PathBuf> = match LIVE.lock() {
        Ok(mut live) => std::mem::take(&mut *live).into_iter().collect(),
        Err(_) => return 0,
    };
    paths.iter().filter(|path| remove_path(path)).count()
}

fn remove_path(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path).is_ok(),
        Ok(_) => std::fs::remove_file(path).is_ok(),
        Err(_) => false,
    }
}

/// The PID in an aloft temp name, if `name` is one.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, after) = rest.rsplit_once(".aloft-")?;
    let (pid, random) = after.split_once('-')?;
    // `old-`: a layout moved aside while its replacement is renamed in; if a run died
    // between the two renames it is the user's previous image, never swept.
    if random.is_empty() || random.contains('/') || random.starts_with("old-") {
        return None;
    }
    pid.parse().ok()
}

fn process_is_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes, from `dir`, aloft temp files and directories whose process is gone and that
/// have not changed for [`STALE_AFTER`]; returns how many. Errors are ignored: sweeping
/// is a courtesy, never a reason to fail a build.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if process_is_alive(pid) {
            continue;
        }
        let untouched = entry
            .metadata()
            .ok()
            .and_then(|meta| meta.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if untouched && remove_path(&entry.path()) {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn names_carry_the_process() {
        let prefix = temp_prefix(std::ffi::OsStr::new("app.tar"));
        assert_eq!(prefix, format!(".app.tar.aloft-{}-", std::process::id()));
        assert_eq!(temp_owner(".app.tar.aloft-42-Xy12.tmp"), Some(42));
        assert_eq!(temp_owner(".a.aloft-b.aloft-7-Q"), Some(7));
        assert_eq!(temp_owner(".app.tar.aloft-Xy12.tmp"), None);
        assert_eq!(temp_owner("app.tar"), None);
        assert_eq!(temp_owner(".app.tar.aloft-42-"), None);
        assert_eq!(temp_owner(".out.aloft-42-old-Xy12"), None);
    }

    #[test]
    fn stale_temps_of_dead_processes_go_and_the_rest_stay() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        // PIDs above the kernel's maximum (4194304) never exist.
        let dead = ".app.tar.aloft-99999999-abc.tmp";
        let dead_dir = ".out.aloft-99999999-def";
        let fresh_dead = ".other.tar.aloft-99999999-ghi.tmp";
        let mine = format!(".app.tar.aloft-{}-jkl.tmp", std::process::id());
        let user = "notes.aloft-1-x.tmp";
        for name in [dead, fresh_dead, mine.as_str(), user] {
            std::fs::write(dir.path().join(name), b"partial")?;
        }
        std::fs::create_dir(dir.path().join(dead_dir))?;
        std::fs::write(dir.path().join(dead_dir).join("index.json"), b"{}")?;
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(5);
        for name in [dead, mine.as_str(), user, dead_dir] {
            std::fs::File::open(dir.path().join(name))?.set_modified(old)?;
        }
        assert_eq!(remove_stale_temps(dir.path()), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![fresh_dead.to_owned(), mine, user.to_owned()];
        expected.sort();
        assert_eq!(left, expected);
        Ok(())
    }
}
