//! The command line resolved once (uv's settings.rs): flags, environment variables and
//! `aloft.toml` turned into the values the commands use, so that no command looks
//! anything up twice or rebuilds another command's arguments.

use std::path::{Path, PathBuf};

use aloft_cache::Cache;
use aloft_fetch::HttpOptions;
use aloft_lock::RepositoryOptions;
use aloft_manifest::Manifest;
use miette::{Result, miette};

use crate::cli::{CacheDirArgs, RepoArgs};
use crate::project::{Project, default_lock_path};

/// How the commands that read repositories reach them, and where the cache is: the
/// flags, `ALOFT_MIRROR`, the project's `cache-dir`, the host's apt sources (`/etc/apt`).
pub fn repository_options(args: &RepoArgs, project: Option<&Project>) -> Result<RepositoryOptions> {
    Ok(RepositoryOptions {
        mirrors: args.mirror.clone(),
        apt_etc: Some(PathBuf::from("/etc/apt")),
        cache: cache_dir(args.cache_dir.as_deref(), project)?,
        offline: args.offline,
        allow_expired_release: args.allow_expired_release,
        allow_other_suite: args.allow_other_suite,
        allow_older_release: args.allow_older_release,
        http: http_options(),
    })
}

/// The cache of `aloft cache`, which has no manifest and so no project settings.
pub fn cache_of(args: &CacheDirArgs) -> Result<Cache> {
    cache_dir(args.cache_dir.as_deref(), None)
}

/// The cache directory: the flag (or `ALOFT_CACHE_DIR`, which clap folds into it), else
/// the project's `cache-dir`, else `$XDG_CACHE_HOME/aloft` or `~/.cache/aloft`.
fn cache_dir(flag: Option<&Path>, project: Option<&Project>) -> Result<Cache> {
    if let Some(dir) = flag {
        return Ok(Cache::new(dir));
    }
    if let Some(project) = project
        && let Some(dir) = &project.settings.cache_dir
    {
        return Ok(Cache::new(project.root.join(dir)));
    }
    let env = |name: &str| std::env::var(name).ok();
    Cache::default_root(None, env("XDG_CACHE_HOME"), env("HOME"))
        .map(Cache::new)
        .ok_or_else(|| miette!("No cache directory: set `--cache-dir`, `ALOFT_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`"))
}

/// Layers built and downloads made at once when `--jobs` is not given: the machine's
/// CPUs, within the bound `--jobs` has.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(64))
}

/// Download settings; `ALOFT_HTTP_ATTEMPTS` and `ALOFT_HTTP_BACKOFF_MS` tune retries,
/// `ALOFT_HTTP_TIMEOUT` (seconds, default 30) how long a stalled server is waited for.
fn http_options() -> HttpOptions {
    let mut options = HttpOptions::default();
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(attempts) = number("ALOFT_HTTP_ATTEMPTS") {
        options.attempts = u32::try_from(attempts.clamp(1, 20)).unwrap_or(4);
    }
    if let Some(seconds) = number("ALOFT_HTTP_TIMEOUT") {
        options.stall_timeout = std::time::Duration::from_secs(seconds.clamp(1, 3600));
    }
    if let Some(ms) = number("ALOFT_HTTP_BACKOFF_MS") {
        options.backoff = std::time::Duration::from_millis(ms);
    }
    options
}

/// A manifest, loaded, with its project, architectures and lock path: what every
/// command that takes a manifest needs first.
#[derive(Debug)]
pub struct ManifestTarget {
    /// The manifest path as given.
    pub path: PathBuf,
    /// The loaded, validated manifest.
    pub manifest: Manifest,
    /// The project (nearest `aloft.toml`), if any.
    pub project: Option<Project>,
    /// Architectures: the manifest's, else the project's default, else amd64.
    pub archs: Vec<String>,
    /// Where its lock is: `--lockfile`, else `lockfiles/<stem>.lock.json` under the
    /// project root, else beside the manifest.
    pub lock_path: PathBuf,
}

impl ManifestTarget {
    /// Loads `path` (errors rendered with their source span) and resolves the rest.
    pub fn load(path: &Path, lockfile: Option<&Path>) -> Result<ManifestTarget> {
        let manifest = aloft_manifest::load(path).map_err(miette::Report::new)?;
        let project = Project::find(path)?;
        let archs = match (
            &manifest.archs,
            project.as_ref().and_then(|p| p.settings.archs.clone()),
        ) {
            (Some(archs), _) => archs.iter().map(|a| a.value.clone()).collect(),
            (None, Some(archs)) => archs,
            (None, None) => vec!["amd64".to_owned()],
        };
        let lock_path = lockfile
            .map(Path::to_path_buf)
            .unwrap_or_else(|| default_lock_path(path, project.as_ref()));
        let target = ManifestTarget {
            path: path.to_path_buf(),
            manifest,
            project,
            archs,
            lock_path,
        };
        target.refuse_overwriting_an_input(&target.lock_path, "The lockfile", false)?;
        Ok(target)
    }

    /// Every file the build reads besides the lock and the archives' .debs: the manifest
    /// and its includes, keyrings, local repositories' directories, `files:` sources
    /// (files or folders), `aloft.toml`.
    fn inputs(&self) -> Vec<PathBuf> {
        let manifest = &self.manifest;
        let mut inputs: Vec<PathBuf> = manifest.files_read.iter().map(|f| f.path.clone()).collect();
        for repo in &manifest.repositories {
            match &repo.value.source {
                aloft_manifest::RepositorySource::Url { keyring, .. } => {
                    inputs.push(keyring.clone());
                }
                aloft_manifest::RepositorySource::Local { dir, keyring, .. } => {
                    inputs.push(dir.clone());
                    inputs.extend(keyring.clone());
                }
                aloft_manifest::RepositorySource::Archive(_) => {}
            }
        }
        inputs.extend(manifest.files.iter().map(|f| f.value.source.clone()));
        if let Some(project) = &self.project {
            inputs.push(project.root.join("aloft.toml"));
        }
        inputs
    }

    /// Refuses a `files:` source outside the project of the manifest file that names it
    /// (the nearest directory with `aloft.toml` above that file, else the file's own
    /// directory; links in the source's parents followed): a manifest, or a base it
    /// includes from another project, copies its project's files, not the host's.
    pub fn refuse_files_outside_the_project(&self) -> Result<()> {
        for file in &self.manifest.files {
            let source = &file.value.source;
            // The source itself is copied as it is (a link stays a link); its parents
            // are followed, as the copy follows them.
            let parent = source.parent().unwrap_or(Path::new("."));
            let Ok(parent) = parent.canonicalize() else {
                continue; // A missing source is reported, with its line, when it is copied.
            };
            let root = crate::project::project_root_of(&file.origin.file);
            let canonical_root = root.canonicalize().unwrap_or_else(|_| root.clone());
            if !parent.starts_with(&canonical_root) {
                return Err(miette!(
                    help = "copy the file into the project, or pass --allow-outside-files",
                    "{}: `files:` source `{}` is outside the project `{}`",
                    file.origin,
                    file.value.source_as_written,
                    root.display()
                ));
            }
        }
        Ok(())
    }

    /// Refuses `output` (named `what` in the error) when writing it would replace or
    /// add to one of the build's own inputs (`-o manifests/app.yaml`, `--lockfile
    /// keys/archive.asc`, an image written into a folder that `files:` copies).
    /// `lock_is_input`: whether the lock counts among the inputs (it does for `-o`, not
    /// when `output` is the lock being written).
    pub fn refuse_overwriting_an_input(
        &self,
        output: &Path,
        what: &str,
        lock_is_input: bool,
    ) -> Result<()> {
        let lock = lock_is_input.then_some(&self.lock_path);
        for input in self.inputs().iter().chain(lock) {
            let clash = if input.is_dir() {
                is_inside(output, input)
            } else {
                same_file(output, input)
            };
            if clash {
                return Err(miette!(
                    help = "write it somewhere else",
                    "{what} `{}` would {} `{}`, which this build of `{}` reads",
                    output.display(),
                    if input.is_dir() {
                        "be written into"
                    } else {
                        "replace"
                    },
                    input.display(),
                    self.path.display()
                ));
            }
        }
        Ok(())
    }

    /// The directory the lock is in (lock paths of manifest files are relative to it).
    pub fn lock_dir(&self) -> PathBuf {
        self.lock_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Whether `a` and `b` are one existing file (by device and inode: links and `..` in
/// either path do not hide it).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` (which need not exist yet) would be inside the directory `dir`.
fn is_inside(path: &Path, dir: &Path) -> bool {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (parent.canonicalize(), dir.canonicalize()) {
        (Ok(parent), Ok(dir)) => parent.starts_with(&dir) || same_file(path, &dir),
        _ => false,
    }
}
