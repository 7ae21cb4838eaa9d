//! Project settings (`aloft.toml`) and where a manifest's lock lives.

use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, WrapErr};
use serde::Deserialize;

/// `aloft.toml`: optional settings of a project.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectSettings {
    /// Architectures for manifests that set none.
    pub archs: Option<Vec<String>>,
    /// Cache directory, relative to the project root.
    pub cache_dir: Option<PathBuf>,
}

/// A project: its root (the directory with `aloft.toml`) and settings.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub settings: ProjectSettings,
}

impl Project {
    /// The nearest ancestor of `manifest` holding an `aloft.toml`, if any.
    pub fn find(manifest: &Path) -> Result<Option<Project>> {
        let absolute = std::path::absolute(manifest).into_diagnostic()?;
        let mut dir = absolute.parent();
        while let Some(current) = dir {
            let file = current.join("aloft.toml");
            if file.is_file() {
                let text = fs_err::read_to_string(&file).into_diagnostic()?;
                let settings: ProjectSettings = toml::from_str(&text)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("Invalid project settings `{}`", file.display()))?;
                return Ok(Some(Project {
                    root: current.to_path_buf(),
                    settings,
                }));
            }
            dir = current.parent();
        }
        Ok(None)
    }
}

/// The project a manifest file belongs to, as a directory: the nearest ancestor holding
/// an `aloft.toml`, else the file's own directory.
pub fn project_root_of(file: &Path) -> PathBuf {
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let parent = absolute
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parent
        .ancestors()
        .find(|dir| dir.join("aloft.toml").is_file())
        .map_or(parent.clone(), Path::to_path_buf)
}

/// The default lock path of `manifest` (see DESIGN: `lockfiles/<stem>.lock.json`).
pub fn default_lock_path(manifest: &Path, project: Option<&Project>) -> PathBuf {
    let stem = manifest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    let name = format!("{stem}.lock.json");
    match project {
        Some(project) => project.root.join("lockfiles").join(name),
        None => manifest.parent().unwrap_or(Path::new("")).join(name),
    }
}
