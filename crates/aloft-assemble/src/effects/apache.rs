//! Apache's a2enmod, a2enconf and a2ensite (and their a2dis* forms, and
//! apache2-maintscript-helper's `apache2_switch_mpm`), done natively with the tools' real
//! semantics: `NAME.load` (and `NAME.conf`) of `mods-available` linked from
//! `mods-enabled` as `../mods-available/NAME.load`; a module's `# Depends:` enabled first,
//! its `# Conflicts:` refused while enabled; `cgi` becomes `cgid` under a threaded MPM;
//! the maintainer-mode marker `/var/lib/apache2/<kind>/enabled_by_maint/NAME` written.
//! Keyed on the files the image has, so any package's module or site works.

use std::collections::{BTreeMap, BTreeSet};

use aloft_maintscript::{ApacheKind, Call};

use crate::effects::{AppliedEffect, EffectsRecord, NotApplied, read_image_files};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};
use crate::package::PackageInput;

const CONF_DIR: &str = "etc/apache2";
const STATE_DIR: &str = "var/lib/apache2";
/// Dependencies deeper than this are taken as a loop.
const MAX_DEPTH: usize = 16;

/// Where a kind's files are: (available, enabled, suffix, state name, tool).
fn layout(kind: ApacheKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        ApacheKind::Module => ("mods-available", "mods-enabled", ".load", "module"),
        ApacheKind::Conf => ("conf-available", "conf-enabled", ".conf", "conf"),
        ApacheKind::Site => ("sites-available", "sites-enabled", ".conf", "site"),
    }
}

fn tool(kind: ApacheKind, enable: bool) -> &'static str {
    match (kind, enable) {
        (ApacheKind::Module, true) => "a2enmod",
        (ApacheKind::Conf, true) => "a2enconf",
        (ApacheKind::Site, true) => "a2ensite",
        (ApacheKind::Module, false) => "a2dismod",
        (ApacheKind::Conf, false) => "a2disconf",
        (ApacheKind::Site, false) => "a2dissite",
    }
}

/// The words of a `# FIELD:` line in the leading comment block of a `.load` file, as
/// a2enmod's `get_deps` reads them.
fn header_field(text: &str, field: &str) -> Vec<String> {
    let prefix = format!("# {field}:");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(&prefix)
            && rest.starts_with(char::is_whitespace)
        {
            return rest.split_whitespace().map(str::to_owned).collect();
        }
        let trimmed = line.trim_start();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            break;
        }
    }
    Vec::new()
}

struct Apache<'a> {
    layer: &'a mut FinalLayer,
    tree: &'a InstalledTree<'a>,
    /// The `.load` files of `mods-available`, by image path.
    loads: BTreeMap<String, Vec<u8>>,
    epoch: u64,
}

impl Apache<'_> {
    fn exists(&self, path: &str) -> bool {
        self.layer.has(path) || self.tree.get(path).is_some()
    }

    fn paths(kind: ApacheKind, name: &str) -> (String, String) {
        let (available, enabled, suffix, _) = layout(kind);
        (
            format!("{CONF_DIR}/{available}/{name}{suffix}"),
            format!("{CONF_DIR}/{enabled}/{name}{suffix}"),
        )
    }

    fn is_enabled(&self, kind: ApacheKind, name: &str) -> bool {
        self.exists(&Self::paths(kind, name).1)
    }

    /// The enabled MPMs (`mpm_event`, ...).
    fn enabled_mpms(&self) -> Vec<String> {
        ["mpm_event", "mpm_worker", "mpm_prefork"]
            .into_iter()
            .filter(|m| self.is_enabled(ApacheKind::Module, m))
            .map(str::to_owned)
            .collect()
    }

    fn load_text(&self, name: &str) -> String {
        let (load, _) = Self::paths(ApacheKind::Module, name);
        let bytes = self
            .layer
            .file_contents(&load)
            .map(<[u8]>::to_vec)
            .or_else(|| self.loads.get(&load).cloned())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Enables `name` of `kind` (dependencies first); the links made, or why not.
    fn enable(
        &mut self,
        kind: ApacheKind,
        name: &str,
        depth: usize,
        made: &mut Vec<String>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("the dependencies of `{name}` loop"));
        }
        let threaded = !self.enabled_mpms().iter().any(|m| m == "mpm_prefork")
            && !self.enabled_mpms().is_empty();
        let name = if kind == ApacheKind::Module && name == "cgi" && threaded {
            "cgid"
        } else {
            name
        };
        let (available, enabled) = Self::paths(kind, name);
        if !self.exists(&available) {
            return Err(format!("`/{available}` does not exist"));
        }
        if self.exists(&enabled) {
            return Ok(());
        }
        let (available_dir, _, suffix, state) = layout(kind);
        if kind == ApacheKind::Module {
            let text = self.load_text(name);
            for dependency in header_field(&text, "Depends") {
                self.enable(kind, &dependency, depth + 1, made)
                    .map_err(|why| format!("dependency `{dependency}` of `{name}`: {why}"))?;
            }
            if let Some(conflict) = header_field(&text, "Conflicts")
                .into_iter()
                .find(|c| self.is_enabled(kind, c))
            {
                return Err(format!(
                    "`{name}` conflicts with the enabled module `{conflict}`"
                ));
            }
            let conf = format!("{CONF_DIR}/{available_dir}/{name}.conf");
            if self.exists(&conf) {
                let link = format!("{CONF_DIR}/mods-enabled/{name}.conf");
                self.layer.add_symlink(
                    &link,
                    &format!("../{available_dir}/{name}.conf"),
                    self.epoch,
                );
                made.push(format!("/{link}"));
            }
        }
        self.layer.add_symlink(
            &enabled,
            &format!("../{available_dir}/{name}{suffix}"),
            self.epoch,
        );
        made.push(format!("/{enabled}"));
        self.layer.add_file(
            &format!("{STATE_DIR}/{state}/enabled_by_maint/{name}"),
            Vec::new(),
            0o644,
            self.epoch,
        );
        Ok(())
    }

    /// Disables `name` of `kind` where this build enabled it.
    fn disable(
        &mut self,
        kind: ApacheKind,
        name: &str,
        gone: &mut Vec<String>,
    ) -> Result<(), String> {
        let (_, enabled) = Self::paths(kind, name);
        if !self.exists(&enabled) {
            return Ok(());
        }
        if !self.layer.has(&enabled) {
            return Err(format!(
                "`/{enabled}` is shipped by a package; removing a package's file is not applied"
            ));
        }
        let (_, enabled_dir, _, state) = layout(kind);
        self.layer.remove(&enabled);
        gone.push(format!("/{enabled}"));
        let conf = format!("{CONF_DIR}/{enabled_dir}/{name}.conf");
        if kind == ApacheKind::Module && self.layer.has(&conf) {
            self.layer.remove(&conf);
            gone.push(format!("/{conf}"));
        }
        self.layer
            .remove(&format!("{STATE_DIR}/{state}/enabled_by_maint/{name}"));
        Ok(())
    }
}

/// Applies the Apache calls of the scripts, in script order.
pub(super) fn apply(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    packages: &[PackageInput],
    calls: &[(String, usize, Call)],
    epoch: u64,
    record: &mut EffectsRecord,
) -> Result<(), AssembleError> {
    if calls.is_empty() {
        return Ok(());
    }
    let prefix = format!("{CONF_DIR}/mods-available/");
    let wanted: BTreeSet<String> = tree
        .entries()
        .map(|(path, _, _)| path)
        .filter(|p| p.starts_with(&prefix) && p.ends_with(".load"))
        .map(str::to_owned)
        .collect();
    let loads = read_image_files(tree, packages, wanted)?;
    let mut apache = Apache {
        layer,
        tree,
        loads,
        epoch,
    };
    for (package, line, call) in calls {
        let mut changed = Vec::new();
        let (result, what) = match call {
            Call::ApacheEnable { kind, name } => (
                apache.enable(*kind, name, 0, &mut changed),
                format!("{} {name}", tool(*kind, true)),
            ),
            Call::ApacheDisable { kind, name } => (
                apache.disable(*kind, name, &mut changed),
                format!("{} {name}", tool(*kind, false)),
            ),
            Call::ApacheSwitchMpm { mpm } => {
                let mut result = Ok(());
                for current in apache.enabled_mpms() {
                    if current != format!("mpm_{mpm}") {
                        result =
                            result.and(apache.disable(ApacheKind::Module, &current, &mut changed));
                    }
                }
                let result = result.and_then(|()| {
                    apache.enable(ApacheKind::Module, &format!("mpm_{mpm}"), 0, &mut changed)
                });
                (result, format!("apache2_switch_mpm {mpm}"))
            }
            _ => continue,
        };
        match result {
            Ok(()) if changed.is_empty() => {}
            Ok(()) => record.add(
                package,
                AppliedEffect {
                    effect: what.split(' ').next().unwrap_or_default().to_owned(),
                    detail: what.clone(),
                    paths: changed,
                },
            ),
            Err(why) => record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: *line,
                    what,
                    why,
                },
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_read_from_the_leading_comments_only() {
        let load = "# Depends: authn_core  session\n# Conflicts: mpm_event\nLoadModule x y\n# Depends: late\n";
        assert_eq!(header_field(load, "Depends"), ["authn_core", "session"]);
        assert_eq!(header_field(load, "Conflicts"), ["mpm_event"]);
        assert!(header_field("LoadModule x y\n# Depends: a\n", "Depends").is_empty());
        assert!(header_field("# Depends:\n", "Depends").is_empty());
    }
}
