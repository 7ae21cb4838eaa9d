//! tmpfiles.d lines, which systemd-tmpfiles would apply at boot and which a container
//! never boots to apply, from `/usr/lib/tmpfiles.d/*.conf` (a file of the same name in
//! `/etc/tmpfiles.d` replaces it), as `systemd-tmpfiles --create --boot` applies them to a
//! fresh image (boot-only `!` lines included; the first line for a path wins):
//! - `d`, `D`, `v`, `q`, `Q`: the directory, with its mode and owner (`-`: 0755, root);
//!   php-fpm's `/run/php`, for one;
//! - `L`: the symbolic link, when nothing is at the path (`L+` over something else is
//!   listed: it would replace a package's file);
//! - `f`, `F`, `w`: the file with the line's text, when nothing is there (`f`), or nothing
//!   to do (`w` of a path the image lacks);
//! - `z`, `Z`: the mode and owner of a path the image has; nothing where it has none;
//! - `r`, `R` (remove) and `x`, `X` (keep from cleaning): nothing to do where the image
//!   has no such path.
//!
//! The specifiers of the system's directories (`%t` /run, `%S` /var/lib, `%C`
//! /var/cache, `%L` /var/log, `%T` /tmp, `%V` /var/tmp, `%%`) are replaced; a line with
//! another (`%m` machine id, `%b` boot id) is listed as not applied unless it only
//! removes or keeps from cleaning below a directory the image leaves empty. A copy (`C`)
//! whose source the image lacks is skipped, as systemd-tmpfiles skips it; other copies,
//! devices and pipes are listed as not applied, with why. What only a booted system has
//! (`%m`, credentials, ACLs and file attributes) is listed as left to the running
//! container (`at_runtime`).

use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, EffectsRecord, account_id, config_lines,
};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree, OwnerMode};
use crate::layer_writer::Meta;

/// Where configuration files live, lowest precedence first.
const DIRS: [&str; 2] = ["usr/lib/tmpfiles.d", "etc/tmpfiles.d"];

/// Specifiers whose value is the same on every system.
const SPECIFIERS: [(char, &str); 7] = [
    ('t', "/run"),
    ('S', "/var/lib"),
    ('C', "/var/cache"),
    ('L', "/var/log"),
    ('T', "/tmp"),
    ('V', "/var/tmp"),
    ('%', "%"),
];

/// `path` with the fixed specifiers replaced; `Err` names one that is not fixed.
fn expand_specifiers(path: &str) -> Result<String, char> {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next().unwrap_or('%');
        match SPECIFIERS.iter().find(|(s, _)| *s == spec) {
            Some((_, value)) => out.push_str(value),
            None => return Err(spec),
        }
    }
    Ok(out)
}

/// The Argument field of a tmpfiles.d line: what follows the sixth field, trimmed;
/// `None` when absent or `-`.
fn argument_of(text: &str) -> Option<&str> {
    let mut rest = text.trim_start();
    for _ in 0..6 {
        let (_, after) = rest.split_once(char::is_whitespace)?;
        rest = after.trim_start();
    }
    let argument = rest.trim();
    (!argument.is_empty() && argument != "-").then_some(argument)
}

/// Whether the image (package layers or this layer) has something at `path` (an image
/// path, its parents' links followed).
fn exists(tree: &InstalledTree<'_>, layer: &FinalLayer, path: &str) -> bool {
    let resolved = layer.resolve(path);
    tree.get(&resolved).is_some() || layer.has(&resolved)
}

/// Whether anything of the image lies below directory `dir` (an image path).
fn has_below(tree: &InstalledTree<'_>, layer: &FinalLayer, dir: &str) -> bool {
    let dir = layer.resolve_all(dir);
    let prefix = format!("{dir}/");
    tree.has_below(&dir) || layer.paths().any(|path| path.starts_with(&prefix))
}

/// Whether a name in the pattern's directory matches its last component, when only that
/// component has glob characters (`/tmp/.X[0-9]*-lock`); `None` otherwise.
fn last_component_matches(
    tree: &InstalledTree<'_>,
    layer: &FinalLayer,
    pattern: &str,
) -> Option<bool> {
    let (dir, name) = pattern.rsplit_once('/')?;
    if dir.contains(['*', '?', '[', '%']) || name.contains('%') {
        return None;
    }
    let matcher = globset::GlobBuilder::new(name)
        .literal_separator(true)
        .build()
        .ok()?
        .compile_matcher();
    let dir = layer.resolve_all(&crate::path::image_path(dir).ok().flatten()?);
    let prefix = format!("{dir}/");
    let child = |path: &str| {
        path.strip_prefix(&prefix)
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .is_some_and(|rest| matcher.is_match(rest))
    };
    Some(tree.entries().any(|(path, _, _)| child(path)) || layer.paths().any(child))
}

/// The directory part of a pattern: the components before the first with a glob or a
/// specifier (`/tmp/systemd-private-%b-*` -> `/tmp`).
fn literal_parent(pattern: &str) -> &str {
    let cut = pattern
        .find(['*', '?', '[', '%'])
        .map_or(pattern.len(), |at| pattern[..at].rfind('/').unwrap_or(0));
    &pattern[..cut]
}

pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, packages, epoch) = (cx.tree, cx.packages, cx.epoch);
    let EffectOutput {
        layer,
        accounts,
        record,
    } = out;
    let accounts = accounts.files();
    // systemd-tmpfiles takes the first line for a path (of a create type) and warns of
    // the others.
    let mut claimed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for line in config_lines(tree, packages, &DIRS)? {
        let fields: Vec<&str> = line.text.split_whitespace().collect();
        let not_applied = |record: &mut EffectsRecord, why: String| {
            record.not_applied(&line.package, line.not_applied(why));
        };
        // What only a booted system has: systemd-tmpfiles applies the line when a
        // container boots systemd.
        let at_runtime = |record: &mut EffectsRecord, why: &str| {
            let mut item = line.not_applied(format!(
                "{why}; systemd-tmpfiles applies it when a container boots systemd"
            ));
            item.at_runtime = true;
            record.not_applied(&line.package, item);
        };
        let applied = |record: &mut EffectsRecord, note: &str, paths: Vec<String>| {
            let detail = if note.is_empty() {
                format!("/{}: {}", line.path, line.text)
            } else {
                format!("/{}: {} ({note})", line.path, line.text)
            };
            record.add(
                &line.package,
                AppliedEffect {
                    effect: "tmpfiles.d".into(),
                    detail,
                    paths,
                },
            );
        };
        let type_field = fields[0];
        let kind = type_field.trim_end_matches(['!', '-', '+', '=', '~', '^', '$', '?']);
        let modifiers = &type_field[kind.len()..];
        let raw_target = fields.get(1).copied().unwrap_or_default();
        // `%t/NAME` is absolute once expanded.
        if !raw_target.starts_with(['/', '%']) {
            not_applied(record, "the path is not absolute".into());
            continue;
        }
        // Removing, or keeping from cleaning, below a directory the image leaves empty:
        // nothing to do, whatever the specifiers (`/tmp/systemd-private-%b-*`).
        if matches!(kind, "r" | "R" | "x" | "X") {
            let what = if matches!(kind, "r" | "R") {
                "nothing to remove"
            } else {
                "nothing to keep from cleaning"
            };
            let pattern = expand_specifiers(raw_target).unwrap_or_else(|_| raw_target.to_owned());
            let literal = !pattern.contains(['%', '*', '?', '[']);
            let present = if literal {
                crate::path::image_path(&pattern)
                    .ok()
                    .flatten()
                    .is_some_and(|path| exists(tree, layer, &path))
            } else if let Some(present) = last_component_matches(tree, layer, &pattern) {
                present
            } else {
                crate::path::image_path(literal_parent(&pattern))
                    .ok()
                    .flatten()
                    .is_some_and(|dir| has_below(tree, layer, &dir))
            };
            if !present {
                applied(
                    record,
                    &format!("the image has no such path: {what}"),
                    Vec::new(),
                );
            } else if matches!(kind, "x" | "X") {
                applied(record, "only keeps paths from cleaning", Vec::new());
            } else {
                not_applied(
                    record,
                    format!(
                        "the image has `{raw_target}`, which systemd-tmpfiles would remove at boot"
                    ),
                );
            }
            continue;
        }
        let target = match expand_specifiers(raw_target) {
            Ok(target) if target.starts_with('/') => target,
            Ok(_) => {
                not_applied(record, "the path is not absolute".into());
                continue;
            }
            Err(spec) => {
                at_runtime(
                    record,
                    &format!(
                        "the path has the specifier `%{spec}`, which only a running system knows"
                    ),
                );
                continue;
            }
        };
        let Ok(Some(image_path)) = crate::path::image_path(&target) else {
            not_applied(record, "the path is not a path of the image".into());
            continue;
        };
        let field = |i: usize| fields.get(i).copied().filter(|f| *f != "-");
        // `:MODE`, `:USER`: used only when the path is created (as here).
        let mode = match field(2).map(|m| m.trim_start_matches(':')) {
            None => None,
            Some(m) if m.starts_with('~') => {
                not_applied(record, "a masked mode (`~`) is not applied".into());
                continue;
            }
            Some(m) => match u32::from_str_radix(m, 8) {
                Ok(mode) => Some(mode & 0o7777),
                Err(_) => {
                    not_applied(record, "the mode is not octal".into());
                    continue;
                }
            },
        };
        let uid = field(3).map(|u| {
            let u = u.trim_start_matches(':');
            account_id(&accounts.passwd, u).ok_or(u)
        });
        let gid = field(4).map(|g| {
            let g = g.trim_start_matches(':');
            account_id(&accounts.group, g).ok_or(g)
        });
        let (uid, gid) = match (uid.transpose(), gid.transpose()) {
            (Ok(uid), Ok(gid)) => (uid, gid),
            (Err(name), _) | (_, Err(name)) => {
                not_applied(record, format!("no account `{name}` in the image"));
                continue;
            }
        };
        // The argument: the rest of the line after the age, its fixed specifiers
        // replaced (tmpfiles.d expands them there too).
        let argument = match argument_of(&line.text).map(expand_specifiers).transpose() {
            Ok(argument) => argument,
            Err(spec) => {
                at_runtime(
                    record,
                    &format!(
                        "the argument has the specifier `%{spec}`, which only a running system knows"
                    ),
                );
                continue;
            }
        };
        let argument = argument.as_deref();
        let meta = |default_mode: u32| Meta {
            mode: mode.unwrap_or(default_mode),
            uid: uid.unwrap_or(0),
            gid: gid.unwrap_or(0),
            mtime: epoch,
        };
        let present = exists(tree, layer, &image_path);
        let copy_source_present = || {
            let source = argument
                .map(str::to_owned)
                .unwrap_or_else(|| format!("/usr/share/factory{target}"));
            crate::path::image_path(&source)
                .ok()
                .flatten()
                .is_some_and(|source| exists(tree, layer, &source))
        };
        let creates = matches!(
            kind,
            "d" | "D" | "v" | "q" | "Q" | "L" | "f" | "F" | "w" | "C"
        );
        if creates && !claimed.insert(image_path.clone()) {
            applied(
                record,
                "an earlier line for this path wins, as in systemd-tmpfiles",
                Vec::new(),
            );
            continue;
        }
        match kind {
            "d" | "D" | "v" | "q" | "Q" => {
                layer.add_dir(&image_path, meta(0o755));
                applied(record, "", vec![target]);
            }
            "L" => {
                let link_target = argument
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("/usr/share/factory{target}"));
                if present {
                    if modifiers.contains('+')
                        && layer.link_target(&image_path) != Some(link_target.as_str())
                    {
                        not_applied(
                            record,
                            format!(
                                "the image has `{target}`, which `L+` would replace by a link at boot"
                            ),
                        );
                    } else {
                        applied(record, "the image has it already", Vec::new());
                    }
                    continue;
                }
                make_parents(tree, layer, &image_path, epoch);
                layer.add_symlink(&image_path, &link_target, epoch);
                applied(record, "", vec![target]);
            }
            "f" | "F" | "w" => {
                if modifiers.contains('^') || modifiers.contains('~') {
                    at_runtime(
                        record,
                        "its contents come from a service credential or base64 (`^`, `~`), which only a running system has",
                    );
                    continue;
                }
                let replaces = kind == "F" || modifiers.contains('+');
                if kind == "w" && !present {
                    applied(
                        record,
                        "the image has no such file: nothing to write to",
                        Vec::new(),
                    );
                    continue;
                }
                if present && !(kind == "w" || replaces) {
                    applied(record, "the image has it already", Vec::new());
                    continue;
                }
                if present {
                    not_applied(
                        record,
                        format!(
                            "the image has `{target}`, which systemd-tmpfiles would write to at boot"
                        ),
                    );
                    continue;
                }
                let contents = argument.unwrap_or_default();
                if contents.contains('\\') {
                    not_applied(record, "an argument with escapes is not applied".into());
                    continue;
                }
                make_parents(tree, layer, &image_path, epoch);
                layer.add_file(&image_path, contents.as_bytes().to_vec(), 0o644, epoch);
                layer.set_meta(&image_path, meta(0o644));
                applied(record, "", vec![target]);
            }
            "z" | "Z" => {
                if !present {
                    applied(
                        record,
                        "the image has no such path: nothing to adjust",
                        Vec::new(),
                    );
                    continue;
                }
                let change = OwnerMode { mode, uid, gid };
                // A link whose target the image lacks: nothing to adjust, and no reason
                // to fail the build.
                match layer.set_owner_mode(
                    &format!("/{}", line.path),
                    &image_path,
                    change,
                    kind == "Z",
                    tree,
                    packages,
                    epoch,
                ) {
                    Ok(()) => applied(record, "", vec![target]),
                    Err(err) => not_applied(record, err.to_string()),
                }
            }
            "a" | "A" | "h" | "H" => at_runtime(
                record,
                "ACLs and file attributes are not kept in image layers",
            ),
            "C" if present => applied(
                record,
                "the image has it already: nothing to copy",
                Vec::new(),
            ),
            // systemd-tmpfiles skips a copy whose source is missing (systemd-stub's
            // `/.extra` files exist only when the system booted through it).
            "C" if !copy_source_present() => {
                applied(
                    record,
                    "the image has no such source: nothing to copy",
                    Vec::new(),
                );
            }
            _ => not_applied(record, format!("tmpfiles.d type `{kind}` is not applied")),
        }
    }
    Ok(())
}

/// Makes the missing parent directories of `path` (an image path) as systemd-tmpfiles
/// does: 0755, root.
fn make_parents(tree: &InstalledTree<'_>, layer: &mut FinalLayer, path: &str, epoch: u64) {
    let mut parents = Vec::new();
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if parent.is_empty() || exists(tree, layer, parent) {
            break;
        }
        parents.push(parent.to_owned());
        dir = parent;
    }
    for parent in parents.iter().rev() {
        layer.add_dir(parent, Meta::root(0o755, epoch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_specifiers_expand_and_others_are_named() {
        assert_eq!(
            expand_specifiers("%t/postgresql"),
            Ok("/run/postgresql".to_owned())
        );
        assert_eq!(
            expand_specifiers("/var/log/100%%"),
            Ok("/var/log/100%".to_owned())
        );
        assert_eq!(expand_specifiers("/var/log/journal/%m"), Err('m'));
    }

    #[test]
    fn the_argument_is_the_rest_after_six_fields() {
        assert_eq!(
            argument_of("L+ /etc/mtab   -    -    -    -  ../proc/self/mounts"),
            Some("../proc/self/mounts")
        );
        assert_eq!(
            argument_of("f /etc/x - - - - two words "),
            Some("two words")
        );
        assert_eq!(argument_of("d /run/x 0755 root root -"), None);
        assert_eq!(argument_of("L /run/x - - - -"), None);
        assert_eq!(argument_of("L /run/x - - - - -"), None);
    }

    #[test]
    fn the_literal_parent_of_a_pattern() {
        assert_eq!(literal_parent("/tmp/x-%b"), "/tmp");
        assert_eq!(literal_parent("/tmp/systemd-private-%b-*"), "/tmp");
        assert_eq!(literal_parent("/tmp/.X[0-9]*-lock"), "/tmp");
        assert_eq!(
            literal_parent("/var/lib/systemd/coredump/.#*"),
            "/var/lib/systemd/coredump"
        );
    }
}
