//! Field checks: each returns an error pointing at the value in its file.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::{ManifestError, Origin};
use crate::load::FileContext;
use crate::model::*;
use crate::raw::{
    RawFile, RawGroup, RawLayering, RawPath, RawRepository, RawSlice, RawUser, Scalar,
};

type Result<T> = std::result::Result<T, ManifestError>;

/// Debian policy 5.6.1: lower-case letters, digits, `+ - .`, at least two characters,
/// starting with a letter or digit.
pub(crate) fn is_package_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
}

pub(crate) fn package_name(
    ctx: &FileContext,
    origin: &Origin,
    field: &str,
    name: &str,
) -> Result<()> {
    if is_package_name(name) {
        Ok(())
    } else {
        Err(ctx.invalid(
            origin,
            field,
            format!("`{name}` is not a Debian package name (lower-case letters, digits, `+-.`)"),
        ))
    }
}

pub(crate) fn package_request(
    ctx: &FileContext,
    origin: &Origin,
    field: &str,
    spec: &str,
) -> Result<PackageRequest> {
    let spec = spec.trim();
    let (rest, version) = match spec.split_once('=') {
        Some((name, version)) => (name, Some(version.trim().to_owned())),
        None => (spec, None),
    };
    let (name, suite) = match rest.split_once('/') {
        Some((name, suite)) => (name.trim(), Some(suite.trim().to_owned())),
        None => (rest.trim(), None),
    };
    package_name(ctx, origin, field, name)?;
    if let Some(version) = &version
        && (version.is_empty() || version.contains(char::is_whitespace))
    {
        return Err(ctx.invalid(
            origin,
            field,
            format!("`{spec}`: write `name=version` with a Debian version"),
        ));
    }
    if suite.as_deref().is_some_and(str::is_empty) {
        return Err(ctx.invalid(
            origin,
            field,
            format!("`{spec}`: write `name/suite` with a suite name"),
        ));
    }
    Ok(PackageRequest {
        name: name.to_owned(),
        version,
        suite,
    })
}

/// A `locales` entry: `language[_TERRITORY][.codeset][@modifier]` (`fr_FR.UTF-8`,
/// `sr_RS@latin`), or `C.UTF-8`.
pub(crate) fn locale(ctx: &FileContext, origin: &Origin, index: usize, name: &str) -> Result<()> {
    let (base, modifier) = name.split_once('@').unwrap_or((name, ""));
    let (language, codeset) = base.split_once('.').unwrap_or((base, ""));
    let (language, territory) = language.split_once('_').unwrap_or((language, ""));
    let letters = |s: &str, min: usize, max: usize, upper: bool| {
        (min..=max).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphabetic() && (!upper || c.is_ascii_uppercase()))
    };
    let well_formed = (name == "C.UTF-8" || name == "C.utf8")
        || (letters(language, 2, 3, false)
            && language.chars().all(|c| c.is_ascii_lowercase())
            && (territory.is_empty() || letters(territory, 2, 2, true))
            && codeset
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && (name.contains('.') != codeset.is_empty())
            && modifier.chars().all(|c| c.is_ascii_alphanumeric())
            && (name.contains('@') != modifier.is_empty()));
    if well_formed {
        Ok(())
    } else {
        Err(ctx.invalid(
            origin,
            &format!("locales[{index}]"),
            format!(
                "`{name}` is not a locale name: write `language_TERRITORY.codeset` (`fr_FR.UTF-8`)"
            ),
        ))
    }
}

/// A `contents.slices` entry: a package and absolute glob patterns, none empty, none
/// with `.` or `..` components.
pub(crate) fn slice(
    ctx: &FileContext,
    origin: &Origin,
    index: usize,
    raw: RawSlice,
) -> Result<Slice> {
    let field = format!("contents.slices[{index}]");
    let package = package_request(ctx, origin, &format!("{field}.package"), &raw.package)?;
    if raw.paths.is_empty() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.paths"),
            "a slice keeps at least one path (e.g. `/usr/lib/locale/C.utf8/**`)",
        ));
    }
    for (i, pattern) in raw.paths.iter().enumerate() {
        let field = format!("{field}.paths[{i}]");
        let relative = pattern.strip_prefix('/').ok_or_else(|| {
            ctx.invalid(
                origin,
                &field,
                format!("`{pattern}` is not absolute: write the image path from `/`"),
            )
        })?;
        if relative.is_empty()
            || relative
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(ctx.invalid(
                origin,
                &field,
                format!("`{pattern}` has an empty, `.` or `..` component"),
            ));
        }
        if let Err(e) = glob_matcher(pattern) {
            return Err(ctx.invalid(
                origin,
                &field,
                format!("`{pattern}` is not a glob pattern: {}", e.kind()),
            ));
        }
    }
    Ok(Slice {
        package,
        paths: raw.paths,
    })
}

/// The matcher of one slice pattern, as aloft-assemble applies it: `*` and `?` stay
/// within a path component, `**` crosses them.
pub fn glob_matcher(pattern: &str) -> std::result::Result<globset::GlobMatcher, globset::Error> {
    Ok(globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()?
        .compile_matcher())
}

pub(crate) fn repository(
    ctx: &FileContext,
    origin: &Origin,
    index: usize,
    raw: RawRepository,
) -> Result<Repository> {
    let field = format!("contents.repositories[{index}]");
    if let Some(path) = raw.path.clone() {
        return local_repository(ctx, origin, &field, raw, path);
    }
    let suite = raw.suite.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        ctx.invalid(
            origin,
            &format!("{field}.suite"),
            "every repository needs a `suite` (e.g. `trixie`)",
        )
    })?;
    if suite.contains('/') || suite.contains(char::is_whitespace) {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.suite"),
            format!("`{suite}` is not a suite name"),
        ));
    }
    let components = raw.components.unwrap_or_else(|| vec!["main".to_owned()]);
    if components.is_empty()
        || components
            .iter()
            .any(|c| c.is_empty() || c.contains(char::is_whitespace))
    {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.components"),
            "list at least one component, e.g. `[main]`",
        ));
    }
    let source = match (raw.archive, raw.url) {
        (Some(archive), None) => {
            let archive = match archive.as_str() {
                "debian" => OfficialArchive::Debian,
                "debian-security" => OfficialArchive::DebianSecurity,
                other => {
                    return Err(ctx.invalid(
                        origin,
                        &format!("{field}.archive"),
                        format!("unknown archive `{other}`: use `debian` or `debian-security`, or `url:` + `keyring:` for other repositories"),
                    ));
                }
            };
            if raw.keyring.is_some() {
                return Err(ctx.invalid(
                    origin,
                    &format!("{field}.keyring"),
                    "official archives are verified with the Debian keys shipped with aloft; `keyring` is for `url:` repositories",
                ));
            }
            RepositorySource::Archive(archive)
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ctx.invalid(
                    origin,
                    &format!("{field}.url"),
                    format!("`{url}` is not an http(s) URL"),
                ));
            }
            let Some(keyring) = raw.keyring else {
                return Err(ctx.invalid(
                    origin,
                    &format!("{field}.keyring"),
                    "a `url:` repository needs `keyring:` (its OpenPGP public key file, relative to this manifest)",
                ));
            };
            RepositorySource::Url {
                url: url.trim_end_matches('/').to_owned(),
                keyring: keyring_file(ctx, origin, &field, &keyring)?,
            }
        }
        _ => {
            return Err(ctx.invalid(
                origin,
                &field,
                "give exactly one of `archive:` (debian, debian-security), `url:` or `path:`",
            ));
        }
    };
    let name = match (raw.name, &source) {
        (Some(name), _) => name,
        (None, RepositorySource::Archive(archive)) => format!("{}/{suite}", archive.name()),
        (None, _) => suite.clone(),
    };
    Ok(Repository {
        source,
        suite,
        components,
        name,
    })
}

/// A `path:` repository: local .debs (a directory aloft indexes, or a flat repository).
fn local_repository(
    ctx: &FileContext,
    origin: &Origin,
    field: &str,
    raw: RawRepository,
    path: String,
) -> Result<Repository> {
    let refuse = |key: &str, message: &str| {
        Err(ctx.invalid(origin, &format!("{field}.{key}"), message.to_owned()))
    };
    if raw.archive.is_some() || raw.url.is_some() {
        return refuse(
            "path",
            "give exactly one of `archive:` (debian, debian-security), `url:` or `path:`",
        );
    }
    if raw.suite.is_some() || raw.components.is_some() {
        return refuse(
            if raw.suite.is_some() {
                "suite"
            } else {
                "components"
            },
            "a `path:` repository has no suites or components: it is one directory (name it with `name:`)",
        );
    }
    let as_written = path.trim().trim_end_matches('/').to_owned();
    if as_written.is_empty() || as_written.contains(['\n', '\r']) {
        return refuse(
            "path",
            "give the directory of the local packages, relative to this manifest",
        );
    }
    let dir = ctx_dir(ctx).join(&as_written);
    if !dir.is_dir() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.path"),
            format!(
                "`{}` is not a directory (paths are relative to this manifest)",
                dir.display()
            ),
        ));
    }
    let keyring = raw
        .keyring
        .map(|keyring| keyring_file(ctx, origin, field, &keyring))
        .transpose()?;
    // By default the directory's own name (`debs` for `../debs`).
    let name = raw.name.unwrap_or_else(|| {
        Path::new(&as_written)
            .file_name()
            .map_or_else(|| as_written.clone(), |n| n.to_string_lossy().into_owned())
    });
    if name.is_empty() || name.contains(char::is_whitespace) {
        return refuse("name", "a repository name has no spaces");
    }
    Ok(Repository {
        source: RepositorySource::Local {
            dir,
            as_written,
            keyring,
        },
        suite: name.clone(),
        components: Vec::new(),
        name,
    })
}

/// A repository's `keyring:` file, resolved against the manifest naming it.
fn keyring_file(
    ctx: &FileContext,
    origin: &Origin,
    field: &str,
    keyring: &str,
) -> Result<std::path::PathBuf> {
    let keyring_path = ctx_dir(ctx).join(keyring);
    if !keyring_path.is_file() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.keyring"),
            format!(
                "`{}` does not exist (paths are relative to this manifest)",
                keyring_path.display()
            ),
        ));
    }
    Ok(keyring_path)
}

fn ctx_dir(ctx: &FileContext) -> &Path {
    ctx.path.parent().unwrap_or(Path::new(""))
}

fn account_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

pub(crate) fn group(
    ctx: &FileContext,
    origin: &Origin,
    index: usize,
    raw: RawGroup,
) -> Result<Group> {
    if !account_name(&raw.groupname) {
        return Err(ctx.invalid(
            origin,
            &format!("accounts.groups[{index}].groupname"),
            format!("`{}` is not a valid group name", raw.groupname),
        ));
    }
    Ok(Group {
        groupname: raw.groupname,
        gid: raw.gid,
        members: raw.members.unwrap_or_default(),
    })
}

pub(crate) fn user(ctx: &FileContext, origin: &Origin, index: usize, raw: RawUser) -> Result<User> {
    if !account_name(&raw.username) {
        return Err(ctx.invalid(
            origin,
            &format!("accounts.users[{index}].username"),
            format!("`{}` is not a valid user name", raw.username),
        ));
    }
    let homedir = raw
        .homedir
        .unwrap_or_else(|| format!("/home/{}", raw.username));
    absolute_path(
        ctx,
        origin,
        &format!("accounts.users[{index}].homedir"),
        &homedir,
    )?;
    let shell = raw.shell.unwrap_or_else(|| "/usr/sbin/nologin".to_owned());
    absolute_path(
        ctx,
        origin,
        &format!("accounts.users[{index}].shell"),
        &shell,
    )?;
    Ok(User {
        username: raw.username,
        uid: raw.uid,
        gid: raw.gid.unwrap_or(raw.uid),
        homedir,
        shell,
    })
}

pub(crate) fn entrypoint(ctx: &FileContext, origin: &Origin, value: &Entrypoint) -> Result<()> {
    match value {
        Entrypoint::Command(argv) if argv.is_empty() => {
            Err(ctx.invalid(origin, "entrypoint.command", "the command is empty"))
        }
        Entrypoint::Services(services) => {
            for (name, argv) in services {
                if name.is_empty()
                    || name.starts_with('.')
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
                {
                    return Err(ctx.invalid(
                        origin,
                        "entrypoint.services",
                        format!("`{name}` is not a service name (letters, digits, `_-.`, not starting with `.`)"),
                    ));
                }
                if argv.is_empty() {
                    return Err(ctx.invalid(
                        origin,
                        &format!("entrypoint.services.{name}"),
                        "the command is empty",
                    ));
                }
            }
            Ok(())
        }
        Entrypoint::Command(_) => Ok(()),
    }
}

pub(crate) fn absolute_path(
    ctx: &FileContext,
    origin: &Origin,
    field: &str,
    path: &str,
) -> Result<()> {
    if !path.starts_with('/') {
        return Err(ctx.invalid(origin, field, format!("`{path}` must be an absolute path")));
    }
    if path.split('/').any(|part| part == "..") || path.contains('\0') {
        return Err(ctx.invalid(origin, field, format!("`{path}` must not contain `..`")));
    }
    Ok(())
}

pub(crate) fn environment_key(ctx: &FileContext, origin: &Origin, key: &str) -> Result<()> {
    let valid = !key.is_empty()
        && !key.as_bytes()[0].is_ascii_digit()
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ctx.invalid(
            origin,
            "environment",
            format!("`{key}` is not a variable name (letters, digits, `_`)"),
        ))
    }
}

/// Modes: an integer (YAML `0o755` is octal) or a string `"0755"`/`"0o755"` read as octal.
fn mode(ctx: &FileContext, origin: &Origin, field: &str, value: &Scalar) -> Result<u32> {
    let parsed = match value {
        Scalar::Int(n) => u32::try_from(*n).ok(),
        Scalar::Text(text) => {
            let digits = text.trim().trim_start_matches("0o");
            u32::from_str_radix(digits, 8).ok()
        }
    };
    match parsed {
        Some(mode) if mode <= 0o7777 => Ok(mode),
        _ => Err(ctx.invalid(
            origin,
            field,
            "a mode is octal, at most 0o7777: write `0o755`",
        )),
    }
}

pub(crate) fn path_spec(
    ctx: &FileContext,
    origin: &Origin,
    index: usize,
    raw: RawPath,
) -> Result<PathSpec> {
    let field = format!("paths[{index}]");
    absolute_path(ctx, origin, &format!("{field}.path"), &raw.path)?;
    let kind = match raw.kind.as_str() {
        "directory" => PathKind::Directory,
        "symlink" => PathKind::Symlink,
        "hardlink" => PathKind::Hardlink,
        "empty-file" => PathKind::EmptyFile,
        "permissions" => PathKind::Permissions,
        other => {
            return Err(ctx.invalid(
                origin,
                &format!("{field}.type"),
                format!("unknown type `{other}`: directory, symlink, hardlink, empty-file or permissions"),
            ));
        }
    };
    if matches!(kind, PathKind::Symlink | PathKind::Hardlink) && raw.source.is_none() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.source"),
            "a link needs `source:` (its target)",
        ));
    }
    if kind == PathKind::Hardlink
        && let Some(source) = &raw.source
    {
        absolute_path(ctx, origin, &format!("{field}.source"), source)?;
    }
    let permissions = match &raw.permissions {
        Some(value) => Some(mode(ctx, origin, &format!("{field}.permissions"), value)?),
        None => None,
    };
    Ok(PathSpec {
        path: raw.path,
        kind,
        uid: raw.uid.unwrap_or(0),
        gid: raw.gid.unwrap_or(0),
        permissions,
        source: raw.source,
        recursive: raw.recursive.unwrap_or(false),
    })
}

pub(crate) fn file_spec(
    ctx: &FileContext,
    origin: &Origin,
    index: usize,
    dir: &Path,
    raw: RawFile,
) -> Result<FileSpec> {
    let field = format!("files[{index}]");
    absolute_path(ctx, origin, &format!("{field}.path"), &raw.path)?;
    if Path::new(&raw.source).is_absolute() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.source"),
            "write the host path relative to this manifest, so the project builds anywhere",
        ));
    }
    let source = dir.join(&raw.source);
    if !source.exists() {
        return Err(ctx.invalid(
            origin,
            &format!("{field}.source"),
            format!(
                "`{}` does not exist (paths are relative to this manifest)",
                source.display()
            ),
        ));
    }
    let mode = match &raw.mode {
        Some(value) => Some(mode(ctx, origin, &format!("{field}.mode"), value)?),
        None => None,
    };
    Ok(FileSpec {
        source,
        source_as_written: raw.source,
        path: raw.path,
        mode,
        uid: raw.uid.unwrap_or(0),
        gid: raw.gid.unwrap_or(0),
    })
}

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

pub(crate) fn stop_signal(ctx: &FileContext, origin: &Origin, value: &Scalar) -> Result<String> {
    match value {
        Scalar::Int(n) if (1..=64).contains(n) => Ok(n.to_string()),
        Scalar::Text(text) => {
            let upper = text.trim().to_ascii_uppercase();
            let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
            if SIGNALS.contains(&bare) {
                Ok(format!("SIG{bare}"))
            } else {
                Err(ctx.invalid(
                    origin,
                    "stop-signal",
                    format!("`{text}` is not a signal name (e.g. SIGQUIT)"),
                ))
            }
        }
        Scalar::Int(n) => {
            Err(ctx.invalid(origin, "stop-signal", format!("{n} is not a signal number")))
        }
    }
}

pub(crate) fn layering(ctx: &FileContext, origin: &Origin, raw: &RawLayering) -> Result<Layering> {
    if let Some(strategy) = &raw.strategy
        && strategy != "origin"
    {
        return Err(ctx.invalid(
            origin,
            "layering.strategy",
            format!("unknown strategy `{strategy}`: only `origin` (by source package)"),
        ));
    }
    let budget = raw.budget.unwrap_or(Layering::default().budget);
    if !(1..=120).contains(&budget) {
        return Err(ctx.invalid(origin, "layering.budget", "the budget is 1 to 120 layers"));
    }
    Ok(Layering { budget })
}

pub(crate) fn port(ctx: &FileContext, origin: &Origin, value: &Scalar) -> Result<String> {
    let text = match value {
        Scalar::Int(n) => n.to_string(),
        Scalar::Text(text) => text.trim().to_owned(),
    };
    let (number, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
    match (number.parse::<u16>(), proto) {
        (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Ok(format!("{n}/{proto}")),
        _ => Err(ctx.invalid(
            origin,
            "ports",
            format!("`{text}` is not a port (e.g. `8080` or `8080/tcp`)"),
        )),
    }
}

/// Checks across fields, after merging.
pub(crate) fn cross_checks(manifest: &Manifest) -> Result<()> {
    let ctx_for = |origin: &Origin| FileContext {
        path: origin.file.clone(),
        text: manifest
            .files_read
            .iter()
            .find(|f| f.path == origin.file)
            .map(|f| f.text.clone())
            .unwrap_or_default(),
    };
    let first = (manifest.packages.first().map(|p| &p.origin))
        .or(manifest.slices.first().map(|s| &s.origin));
    if let Some(first) = first
        && manifest.repositories.is_empty()
    {
        return Err(ctx_for(first).invalid(
            first,
            "contents.repositories",
            "packages are listed but no repository",
        ));
    }
    if let Some(locale) = manifest
        .locales
        .iter()
        .find(|l| l.value != "C.UTF-8" && l.value != "C.utf8")
        && let Some(slice) = manifest
            .slices
            .iter()
            .find(|s| s.value.package.name == LOCALES_PACKAGE)
    {
        return Err(ctx_for(&slice.origin).invalid(
            &slice.origin,
            "contents.slices",
            format!(
                "`locales` ({}) slices {LOCALES_PACKAGE} already; name the locales there, or the paths here",
                locale.value
            ),
        ));
    }
    let mut sliced = BTreeSet::new();
    for slice in &manifest.slices {
        let name = &slice.value.package.name;
        // A package also in `contents.packages` is installed whole: an image that
        // includes a base with a slice (openssl's /usr/lib/ssl) may still ask for all of it.
        let problem = if !sliced.insert(name.clone()) {
            Some(format!(
                "a second slice of `{name}`; list all its paths in one"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(ctx_for(&slice.origin).invalid(&slice.origin, "contents.slices", message));
        }
    }
    let mut names = BTreeSet::new();
    for repo in &manifest.repositories {
        if !names.insert(repo.value.name.clone()) {
            return Err(ctx_for(&repo.origin).invalid(
                &repo.origin,
                "contents.repositories",
                format!(
                    "a second repository named `{}`; give one a `name:`",
                    repo.value.name
                ),
            ));
        }
    }
    let mut uids = BTreeSet::new();
    for user in &manifest.accounts.users {
        if !uids.insert(user.value.uid) {
            return Err(ctx_for(&user.origin).invalid(
                &user.origin,
                "accounts.users",
                format!("uid {} is used twice", user.value.uid),
            ));
        }
    }
    if let Some(run_as) = &manifest.accounts.run_as {
        let known = manifest
            .accounts
            .users
            .iter()
            .any(|u| u.value.username == run_as.value)
            || run_as.value == "root"
            || run_as
                .value
                .split(':')
                .all(|part| part.parse::<u32>().is_ok())
            // A user a package makes (postgres): checked when the image is assembled.
            || is_user_name(&run_as.value);
        if !known {
            return Err(ctx_for(&run_as.origin).invalid(
                &run_as.origin,
                "accounts.run-as",
                format!(
                    "`{}` is neither a user name nor a numeric uid[:gid]",
                    run_as.value
                ),
            ));
        }
    }
    Ok(())
}

/// A name `useradd` accepts by default: `[a-z_][a-z0-9_-]*`, at most 32 characters.
fn is_user_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 32
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}
