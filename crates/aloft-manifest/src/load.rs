//! Reading manifest files: YAML -> [`RawManifest`] per file, `include:` first, each value
//! validated where it was written, then merged into one [`Manifest`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{NamedSource, SourceSpan};
use serde_saphyr::{Location, Spanned};

use crate::error::{ManifestError, Origin};
use crate::model::*;
use crate::raw::{OneOrMany, RawManifest, Scalar};
use crate::validate;

/// Debian architectures aloft knows (those trixie publishes).
pub const KNOWN_ARCHS: [&str; 10] = [
    "amd64", "arm64", "armel", "armhf", "i386", "loong64", "mips64el", "ppc64el", "riscv64",
    "s390x",
];

/// One file being converted: its path, text and directory (for relative paths).
pub(crate) struct FileContext {
    pub path: PathBuf,
    pub text: String,
}

impl FileContext {
    pub(crate) fn origin(&self, location: &Location) -> Origin {
        let span = location.span();
        Origin {
            file: self.path.clone(),
            line: location.line(),
            column: location.column(),
            offset: span.byte_offset().unwrap_or(span.offset()) as usize,
            len: span.byte_len().unwrap_or(span.len()) as usize,
        }
    }

    pub(crate) fn invalid(
        &self,
        origin: &Origin,
        field: &str,
        message: impl Into<String>,
    ) -> ManifestError {
        let message = message.into();
        ManifestError::Invalid {
            origin: origin.clone(),
            field: field.to_owned(),
            span: SourceSpan::new(origin.offset.into(), origin.len.max(1)),
            src: NamedSource::new(self.path.display().to_string(), self.text.clone()),
            message,
        }
    }

    fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    fn located<T>(&self, spanned: &Spanned<T>) -> Origin {
        self.origin(&spanned.referenced)
    }
}

/// Loads a manifest and its includes, validates and merges them.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let mut files_read = Vec::new();
    let mut merged = Manifest::empty(path.to_path_buf());
    load_into(path, &mut Vec::new(), &mut files_read, &mut merged)?;
    merged.files_read = files_read;
    if merged.packages.is_empty() && merged.slices.is_empty() {
        return Err(ManifestError::NoPackages {
            path: path.to_path_buf(),
        });
    }
    validate::cross_checks(&merged)?;
    Ok(merged)
}

/// Parses a manifest from text (no includes allowed); for tests and tools.
pub fn parse_str(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    let ctx = FileContext {
        path: path.to_path_buf(),
        text: text.to_owned(),
    };
    let raw = parse_raw(&ctx)?;
    if let Some(include) = &raw.include {
        let origin = ctx.located(include);
        return Err(ctx.invalid(
            &origin,
            "include",
            "includes need a file on disk; use `load`",
        ));
    }
    let mut merged = Manifest::empty(path.to_path_buf());
    merge_file(&ctx, raw, &mut merged)?;
    merged.files_read = vec![ManifestFile {
        path: ctx.path,
        text: ctx.text,
    }];
    validate::cross_checks(&merged)?;
    Ok(merged)
}

fn load_into(
    path: &Path,
    stack: &mut Vec<PathBuf>,
    files_read: &mut Vec<ManifestFile>,
    merged: &mut Manifest,
) -> Result<(), ManifestError> {
    let canonical = fs_err::canonicalize(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Checked before reading: `/dev/zero` would never end, a FIFO would block.
    if !canonical.is_file() {
        return Err(ManifestError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if stack.contains(&canonical) {
        let chain = stack
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" -> ");
        return Err(ManifestError::IncludeCycle {
            path: path.to_path_buf(),
            chain,
        });
    }
    let text = fs_err::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let ctx = FileContext {
        path: path.to_path_buf(),
        text,
    };
    let raw = parse_raw(&ctx)?;
    stack.push(canonical);
    if let Some(include) = &raw.include {
        let origin = ctx.located(include);
        for item in include.value.clone().into_vec() {
            let included = ctx.dir().join(&item);
            if !included.is_file() {
                return Err(ctx.invalid(
                    &origin,
                    "include",
                    format!(
                        "`{}` does not exist (paths are relative to this file)",
                        included.display()
                    ),
                ));
            }
            load_into(&included, stack, files_read, merged)?;
        }
    }
    stack.pop();
    merge_file(&ctx, raw, merged)?;
    files_read.push(ManifestFile {
        path: ctx.path,
        text: ctx.text,
    });
    Ok(())
}

fn parse_raw(ctx: &FileContext) -> Result<RawManifest, ManifestError> {
    if ctx.text.trim().is_empty() {
        return Ok(RawManifest::default());
    }
    serde_saphyr::from_str::<RawManifest>(&ctx.text).map_err(|err| {
        let location = err.location();
        let origin = location.as_ref().map(|l| ctx.origin(l));
        // The error's Display carries a location prefix and a snippet; keep only the message line.
        let rendered = err.without_snippet().to_string();
        let message = rendered.lines().next().unwrap_or("invalid YAML");
        // The location is the error's prefix already (`FILE:LINE:COLUMN:`); drop saphyr's own.
        let message = match message.rfind(" at line ") {
            Some(at) if message[at..].contains(", column ") => &message[..at],
            _ => message,
        }
        .to_owned();
        ManifestError::Syntax {
            file: ctx.path.clone(),
            line: origin.as_ref().map_or(0, |o| o.line),
            column: origin.as_ref().map_or(0, |o| o.column),
            message,
            src: NamedSource::new(ctx.path.display().to_string(), ctx.text.clone()),
            span: origin.map(|o| SourceSpan::new(o.offset.into(), o.len.max(1))),
        }
    })
}

fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Int(n) => n.to_string(),
        Scalar::Text(text) => text.clone(),
    }
}

/// `cmd: -v` or `cmd: [-v, --foo]`: a string is split on whitespace (no shell quoting).
fn argv(value: OneOrMany<String>) -> Vec<String> {
    match value {
        OneOrMany::One(text) => text.split_whitespace().map(str::to_owned).collect(),
        OneOrMany::Many(args) => args,
    }
}

/// Why `cmd:` and `entrypoint.services` exclude each other.
const SERVICES_TAKE_NO_CMD: &str =
    "`entrypoint.services` takes no `cmd`: s6-svscan is the entrypoint and starts the services";

/// Merges one file's values into `merged`: lists append, maps merge, scalars override.
fn merge_file(
    ctx: &FileContext,
    raw: RawManifest,
    merged: &mut Manifest,
) -> Result<(), ManifestError> {
    if let Some(contents) = raw.contents {
        for (index, repo) in contents
            .repositories
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let origin = ctx.located(&repo);
            let value = validate::repository(ctx, &origin, index, repo.value)?;
            merged.repositories.push(Located { value, origin });
        }
        for (index, spec) in contents
            .packages
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let origin = ctx.located(&spec);
            let value = validate::package_request(
                ctx,
                &origin,
                &format!("contents.packages[{index}]"),
                &spec.value,
            )?;
            merged.packages.push(Located { value, origin });
        }
        for (index, name) in contents.exclude.unwrap_or_default().into_iter().enumerate() {
            let origin = ctx.located(&name);
            validate::package_name(
                ctx,
                &origin,
                &format!("contents.exclude[{index}]"),
                &name.value,
            )?;
            merged.exclude.push(Located {
                value: name.value,
                origin,
            });
        }
        for (index, slice) in contents.slices.unwrap_or_default().into_iter().enumerate() {
            let origin = ctx.located(&slice);
            let value = validate::slice(ctx, &origin, index, slice.value)?;
            merged.slices.push(Located { value, origin });
        }
    }
    if let Some(accounts) = raw.accounts {
        for (index, group) in accounts.groups.unwrap_or_default().into_iter().enumerate() {
            let origin = ctx.located(&group);
            let value = validate::group(ctx, &origin, index, group.value)?;
            merged.accounts.groups.push(Located { value, origin });
        }
        for (index, user) in accounts.users.unwrap_or_default().into_iter().enumerate() {
            let origin = ctx.located(&user);
            let value = validate::user(ctx, &origin, index, user.value)?;
            merged.accounts.users.push(Located { value, origin });
        }
        if let Some(run_as) = accounts.run_as {
            let origin = ctx.located(&run_as);
            merged.accounts.run_as = Some(Located {
                value: scalar_text(&run_as.value),
                origin,
            });
        }
    }
    if let Some(entrypoint) = raw.entrypoint {
        let origin = ctx.located(&entrypoint);
        let value = match (entrypoint.value.command, entrypoint.value.services) {
            (Some(command), None) => Entrypoint::Command(argv(command)),
            (None, Some(services)) => {
                // Maps merge: services from an included file stay unless redefined.
                let mut all = match merged.entrypoint.take().map(|e| e.value) {
                    Some(Entrypoint::Services(previous)) => previous,
                    _ => BTreeMap::new(),
                };
                for (name, command) in services {
                    all.insert(name, argv(command));
                }
                Entrypoint::Services(all)
            }
            _ => {
                return Err(ctx.invalid(
                    &origin,
                    "entrypoint",
                    "give exactly one of `command` or `services`",
                ));
            }
        };
        validate::entrypoint(ctx, &origin, &value)?;
        if matches!(value, Entrypoint::Services(_)) && merged.cmd.is_some() {
            return Err(ctx.invalid(&origin, "entrypoint.services", SERVICES_TAKE_NO_CMD));
        }
        merged.entrypoint = Some(Located { value, origin });
    }
    if let Some(cmd) = raw.cmd {
        let origin = ctx.located(&cmd);
        if matches!(
            merged.entrypoint,
            Some(Located {
                value: Entrypoint::Services(_),
                ..
            })
        ) {
            return Err(ctx.invalid(&origin, "cmd", SERVICES_TAKE_NO_CMD));
        }
        merged.cmd = Some(argv(cmd.value));
    }
    if let Some(work_dir) = raw.work_dir {
        let origin = ctx.located(&work_dir);
        validate::absolute_path(ctx, &origin, "work-dir", &work_dir.value)?;
        merged.work_dir = Some(work_dir.value);
    }
    for (key, value) in raw.environment.unwrap_or_default() {
        let origin = ctx.located(&value);
        validate::environment_key(ctx, &origin, &key)?;
        merged.environment.insert(key, scalar_text(&value.value));
    }
    for (index, path) in raw.paths.unwrap_or_default().into_iter().enumerate() {
        let origin = ctx.located(&path);
        let value = validate::path_spec(ctx, &origin, index, path.value)?;
        merged.paths.push(Located { value, origin });
    }
    for (index, file) in raw.files.unwrap_or_default().into_iter().enumerate() {
        let origin = ctx.located(&file);
        let value = validate::file_spec(ctx, &origin, index, &ctx.dir(), file.value)?;
        merged.files.push(Located { value, origin });
    }
    if let Some(archs) = raw.archs {
        let mut list = Vec::new();
        for arch in archs {
            let origin = ctx.located(&arch);
            if !KNOWN_ARCHS.contains(&arch.value.as_str()) {
                return Err(ctx.invalid(
                    &origin,
                    "archs",
                    format!(
                        "unknown architecture `{}`; known: {}",
                        arch.value,
                        KNOWN_ARCHS.join(", ")
                    ),
                ));
            }
            if !list.iter().any(|a: &Located<String>| a.value == arch.value) {
                list.push(Located {
                    value: arch.value,
                    origin,
                });
            }
        }
        merged.archs = Some(list);
    }
    merged
        .annotations
        .extend(raw.annotations.unwrap_or_default());
    for volume in raw.volumes.unwrap_or_default() {
        let origin = ctx.located(&volume);
        validate::absolute_path(ctx, &origin, "volumes", &volume.value)?;
        if !merged.volumes.contains(&volume.value) {
            merged.volumes.push(volume.value);
        }
    }
    if let Some(signal) = raw.stop_signal {
        let origin = ctx.located(&signal);
        merged.stop_signal = Some(validate::stop_signal(ctx, &origin, &signal.value)?);
    }
    if let Some(layering) = raw.layering {
        let origin = ctx.located(&layering);
        merged.layering = validate::layering(ctx, &origin, &layering.value)?;
    }
    for (index, locale) in raw.locales.unwrap_or_default().into_iter().enumerate() {
        let origin = ctx.located(&locale);
        validate::locale(ctx, &origin, index, &locale.value)?;
        merged.locales.push(Located {
            value: locale.value,
            origin,
        });
    }
    if let Some(slim) = raw.slim {
        merged.slim = slim;
    }
    if let Some(bytecode) = raw.python_bytecode {
        merged.python_bytecode = bytecode;
    }
    for port in raw.ports.unwrap_or_default() {
        let origin = ctx.located(&port);
        merged
            .ports
            .push(validate::port(ctx, &origin, &port.value)?);
    }
    Ok(())
}

impl Manifest {
    fn empty(path: PathBuf) -> Manifest {
        Manifest {
            path,
            files_read: Vec::new(),
            repositories: Vec::new(),
            packages: Vec::new(),
            exclude: Vec::new(),
            slices: Vec::new(),
            accounts: Accounts::default(),
            entrypoint: None,
            cmd: None,
            work_dir: None,
            environment: BTreeMap::new(),
            paths: Vec::new(),
            files: Vec::new(),
            archs: None,
            annotations: BTreeMap::new(),
            volumes: Vec::new(),
            stop_signal: None,
            layering: Layering::default(),
            ports: Vec::new(),
            slim: true,
            python_bytecode: true,
            locales: Vec::new(),
        }
    }
}
