//! A staged copy of part of the image in a host directory, for the one build step that
//! runs a program of the image (Python's compiler, see [`crate::bytecode`]): each kept
//! path of a package written under the stage root as it will be in the image, regular
//! files with their mode and their mtime as the layer clamps it (Python records a
//! source's mtime in its bytecode), symbolic links with absolute targets made relative
//! so that they stay inside the stage.

use std::io::BufReader;
use std::path::Path;

use crate::error::AssembleError;
use crate::package::{PackageInput, data_error};
use crate::path;

/// `target` of a link at image path `link`, relative to the link's directory when it is
/// absolute (`/usr/lib/x` at `usr/lib64/y` -> `../lib/x`), so it resolves in the stage.
fn staged_link_target(link: &str, target: &str) -> String {
    let Some(absolute) = target.strip_prefix('/') else {
        return target.to_owned();
    };
    let depth = link.matches('/').count();
    let mut relative = "../".repeat(depth);
    relative.push_str(absolute);
    if relative.is_empty() {
        relative.push('.');
    }
    relative
}

/// Writes the entries of `package`'s .deb whose image path `keep` accepts under `root`:
/// regular files (mtime clamped to `epoch`), symbolic links and hard links. Directories
/// are made as needed.
pub(crate) fn stage_package(
    package: &PackageInput,
    root: &Path,
    keep: &dyn Fn(&str) -> bool,
    epoch: u64,
) -> Result<(), AssembleError> {
    let io = |e| data_error(package, e);
    let file = fs_err::File::open(&package.deb).map_err(io)?;
    let mut reader = aloft_deb::DebReader::new(BufReader::new(file), package.name.clone());
    let data = reader.data().map_err(|source| AssembleError::Deb {
        package: package.name.clone(),
        source,
    })?;
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        // Unsafe paths were refused when the package's layer was written.
        let Ok(Some(image_path)) = path::image_path(&raw) else {
            continue;
        };
        if !keep(&image_path) {
            continue;
        }
        let dest = root.join(&image_path);
        if let Some(parent) = dest.parent() {
            fs_err::create_dir_all(parent).map_err(io)?;
        }
        let kind = entry.header().entry_type();
        if kind.is_file() {
            let mode = entry.header().mode().map_err(io)? & 0o777;
            let mtime = entry.header().mtime().map_err(io)?.min(epoch);
            let mut file = fs_err::File::create(&dest).map_err(io)?;
            std::io::copy(&mut entry, &mut file).map_err(io)?;
            file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime))
                .map_err(io)?;
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode | 0o600))
                .map_err(io)?;
        } else if kind.is_symlink() || kind.is_hard_link() {
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let target = String::from_utf8_lossy(&target).into_owned();
            if kind.is_symlink() {
                std::os::unix::fs::symlink(staged_link_target(&image_path, &target), &dest)
                    .map_err(|e| {
                        io(std::io::Error::new(
                            e.kind(),
                            format!("{}: {e}", dest.display()),
                        ))
                    })?;
            } else if let Ok(Some(target)) = path::image_path(&target) {
                let from = root.join(target);
                if from.exists() {
                    fs_err::hard_link(from, &dest).map_err(io)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::staged_link_target;

    #[test]
    fn absolute_link_targets_stay_inside_the_stage() {
        assert_eq!(
            staged_link_target(
                "usr/lib64/ld-linux-x86-64.so.2",
                "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
            ),
            "../../usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
        );
        assert_eq!(staged_link_target("bin", "/usr/bin"), "usr/bin");
        assert_eq!(
            staged_link_target("usr/bin/python3", "python3.13"),
            "python3.13"
        );
    }
}
