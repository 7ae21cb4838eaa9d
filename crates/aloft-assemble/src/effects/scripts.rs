//! Effects read out of the packages' `postinst` scripts (by `aloft-maintscript`, which
//! evaluates the fresh-install path statically) and done natively:
//!
//! - `update-alternatives --install`: per name, the choice with the highest priority wins
//!   (ties: the lowest path, as update-alternatives sorts its choices), as in auto mode:
//!   `LINK -> /etc/alternatives/NAME -> PATH`, slaves likewise when their path exists,
//!   and the state file `/var/lib/dpkg/alternatives/NAME`; `--remove` drops a choice,
//!   `--set` picks one by hand (manual mode), `--auto` returns to auto mode, and a later
//!   script's `--query`/`--list` sees the choices registered so far;
//! - `ucf SRC DEST`: on a fresh install, DEST is a copy of SRC;
//! - `php_invoke enmod VERSION SAPI|ALL MODULE`: `conf.d/<priority>-MODULE.ini` links in
//!   each SAPI of the image that has a conf.d (`ALL`: every one), the priority from the
//!   module ini's `; priority=NN` line (default 20), as phpenmod does, plus phpenmod's
//!   state files under /var/lib/php/modules;
//! - `adduser`, `useradd`, `groupadd`, `usermod -a -G`: see `system_accounts`, applied in
//!   script order so that the script's own `chown` of a new account works;
//! - file-system calls (`ln -s`, `mkdir`, `cp`, `touch`, redirections, `chown`, `chmod`,
//!   `dpkg-statoverride`).
//!
//! Every other command a script runs is recorded as not applied, with its line; nothing
//! is guessed.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aloft_maintscript::{
    Account, Call, Context, FileKind as ScriptFileKind, Metadata, Script, read_script,
};

use crate::effects::system_accounts::{AccountDb, AccountRequest, apply_request};
use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, EffectsRecord, NotApplied, account_id,
    read_image_files,
};
use crate::error::AssembleError;
use crate::exec_facts::ExecFacts;
use crate::final_layer::{FinalLayer, InstalledTree, OwnerMode};
use crate::package::{FileKind, PackageFiles, PackageInput};

/// One `update-alternatives --install` call.
#[derive(Debug, Clone)]
struct Choice {
    package: String,
    link: String,
    path: String,
    priority: i64,
    slaves: Vec<(String, String, String)>,
}

/// Files larger than this are not read when a script sources them.
const MAX_SOURCED_BYTES: u64 = 64 * 1024;

/// An absolute path of a script as an image path (`/bin/x` -> `usr/bin/x`); empty when it
/// is none.
pub(super) fn rel(path: &str) -> String {
    crate::path::image_path(path)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// What the reader sees of the image: the package files, and the directories above
/// them (a .deb need not list every parent).
fn oracle<'a>(tree: &'a InstalledTree<'a>) -> impl Fn(&str) -> Option<ScriptFileKind> + 'a {
    let mut parents: HashSet<&'a str> = HashSet::new();
    for (path, _, _) in tree.entries() {
        parents.extend(crate::path::ancestors(path));
    }
    move |path: &str| {
        let path = rel(path);
        if path.is_empty() {
            return Some(ScriptFileKind::Dir);
        }
        let Some((_, record)) = tree.get(&path) else {
            return parents
                .contains(path.as_str())
                .then_some(ScriptFileKind::Dir);
        };
        Some(match &record.kind {
            FileKind::Dir => ScriptFileKind::Dir,
            FileKind::Symlink { target } => ScriptFileKind::Symlink(target.clone()),
            _ if record.mode & 0o111 != 0 => ScriptFileKind::Executable,
            _ => ScriptFileKind::File,
        })
    }
}

/// The names in each directory of the packages' files (directories a .deb does not list
/// included), for the reader's pathname expansion.
fn listing<'a>(tree: &'a InstalledTree<'a>) -> impl Fn(&str) -> Option<Vec<String>> + 'a {
    let mut children: HashMap<&'a str, BTreeSet<&'a str>> = HashMap::new();
    for (path, _, _) in tree.entries() {
        let mut child = path;
        loop {
            let (parent, name) = child.rsplit_once('/').unwrap_or(("", child));
            children.entry(parent).or_default().insert(name);
            if parent.is_empty() {
                break;
            }
            child = parent;
        }
    }
    move |dir: &str| {
        let dir = rel(dir);
        children
            .get(dir.as_str())
            .map(|names| names.iter().map(|n| (*n).to_owned()).collect())
    }
}

/// Reads every package's postinst and applies what it can.
pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, files, packages, epoch) = (cx.tree, cx.files, cx.packages, cx.epoch);
    let EffectOutput {
        layer,
        accounts,
        record,
    } = out;
    let files_of = oracle(tree);
    let list_of = listing(tree);
    // phpenmod's registry as the scripts so far made it (`phpquery -M` lists it); its
    // files are written with the modules' links, after every script is read.
    let registry: RefCell<BTreeSet<String>> = RefCell::new(BTreeSet::new());
    // dpkg runs every preinst as it unpacks, and the postinsts once all is unpacked.
    let mut scripts: Vec<(Script, &PackageFiles, &str)> = Vec::new();
    // A slice's scripts would work on files the image does not have.
    let sliced: BTreeSet<&str> = packages
        .iter()
        .filter(|p| p.slice.is_some())
        .map(|p| p.name.as_str())
        .collect();
    for p in files.iter().filter(|p| sliced.contains(p.package.as_str())) {
        for (name, text) in [("preinst", &p.preinst), ("postinst", &p.postinst)] {
            if text.is_some() {
                record.not_applied(
                    &p.package,
                    NotApplied {
                        at_runtime: false,
                        line: 0,
                        what: name.to_owned(),
                        why: "the image keeps a slice of this package (`contents.slices`), so its maintainer scripts are not read; aloft's native effects still apply to the paths kept".to_owned(),
                    },
                );
            }
        }
    }
    for script in [Script::Preinst, Script::Postinst] {
        let mut of_kind: Vec<(Script, &PackageFiles, &str)> = files
            .iter()
            .filter(|p| !sliced.contains(p.package.as_str()))
            .filter_map(|p| {
                let text = match script {
                    Script::Preinst => p.preinst.as_deref(),
                    Script::Postinst => p.postinst.as_deref(),
                }?;
                Some((script, p, text))
            })
            .collect();
        of_kind.sort_by(|a, b| a.1.package.cmp(&b.1.package));
        scripts.extend(of_kind);
    }
    // update-alternatives' database as the scripts make it, in dpkg's order: the choices
    // by name, and the one set by hand (`--set`).
    let choices: RefCell<BTreeMap<String, Vec<Choice>>> = RefCell::new(BTreeMap::new());
    let manual: RefCell<BTreeMap<String, String>> = RefCell::new(BTreeMap::new());
    let registered =
        |name: &str| alternative_state(tree, &choices.borrow(), &manual.borrow(), name);
    let mut copies: Vec<(String, String, String)> = Vec::new();
    let mut enmods: Vec<(String, String, String, String)> = Vec::new();
    let mut fs_calls: Vec<(String, usize, Call)> = Vec::new();
    let mut apache_calls: Vec<(String, usize, Call)> = Vec::new();
    let mut xml_catalog_calls: Vec<(String, usize, Call)> = Vec::new();
    // Files of the image a maintainer script reads, from their .debs, each once: the
    // shell scripts it runs as helpers, and the small files it sources
    // (`. /etc/default/cacerts`; a defaults file is a few lines).
    let texts: RefCell<BTreeMap<String, Option<String>>> = RefCell::new(BTreeMap::new());
    let image_text = |path: &str, wanted: &dyn Fn(&crate::package::FileRecord) -> bool| {
        let path = rel(path);
        if !tree.get(&path).is_some_and(|(_, record)| wanted(record)) {
            return None;
        }
        if let Some(text) = texts.borrow().get(&path) {
            return text.clone();
        }
        let text = read_image_files(tree, packages, [path.clone()])
            .ok()
            .and_then(|mut files| files.remove(&path))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        texts.borrow_mut().insert(path, text.clone());
        text
    };
    let helpers = |path: &str| {
        image_text(path, &|record| {
            matches!(
                &record.exec,
                Some(ExecFacts::Script { interpreter, .. })
                    if matches!(interpreter.as_str(), "/bin/sh" | "/usr/bin/sh" | "/bin/bash" | "/usr/bin/bash" | "/bin/dash" | "/usr/bin/dash")
            )
        })
    };
    let sourced = |path: &str| {
        image_text(
            path,
            &|record| matches!(record.kind, FileKind::File { size } if size <= MAX_SOURCED_BYTES),
        )
    };
    // debconf's questions, each with its owner's default (the first package, in the
    // image's order, that defines it; shared questions carry the same template).
    let mut debconf: BTreeMap<&str, &str> = BTreeMap::new();
    for package in files {
        for (question, default) in &package.debconf_defaults {
            debconf.entry(question).or_insert(default);
        }
    }
    let debconf_default = |question: &str| debconf.get(question).map(|d| (*d).to_owned());
    // dpkg's diversions as the scripts make them, in dpkg's order.
    let diversions: RefCell<BTreeMap<String, (Option<String>, String)>> =
        RefCell::new(BTreeMap::new());
    let diverted = |path: &str| diversions.borrow().get(path).cloned();
    // `dpkg-query -W`: every package of the image, as installed.
    let installed = |name: &str| {
        packages
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.version.clone(), p.architecture.clone()))
    };
    for (script, package, text) in scripts {
        let package_arch = packages
            .iter()
            .find(|p| p.name == package.package)
            .map_or(cx.debian_architecture, |p| p.architecture.as_str());
        // `getent passwd NAME` and friends see the accounts as they are at this point.
        let (passwd, group) = (
            accounts.passwd().to_owned(),
            accounts.group_text().to_owned(),
        );
        let known = |account: Account<'_>| {
            Some(match account {
                Account::User(name) => account_id(&passwd, name).is_some(),
                Account::Group(name) => account_id(&group, name).is_some(),
            })
        };
        // A preinst runs before its package is unpacked: its own files are not there yet
        // (postgresql-common's preinst diverts a pg_config it ships itself).
        let unpacked = |path: &str| {
            let own = script == Script::Preinst
                && tree.get(&rel(path)).is_some_and(|(owner, record)| {
                    owner == package.package && !matches!(record.kind, FileKind::Dir)
                });
            if own {
                return None;
            }
            let made = registry.borrow();
            if made.contains(path) {
                return Some(ScriptFileKind::File);
            }
            let below = format!("{}/", path.trim_end_matches('/'));
            if made.iter().any(|p| p.starts_with(&below)) {
                return Some(ScriptFileKind::Dir);
            }
            files_of(path)
        };
        let listed = |dir: &str| {
            let below = format!("{}/", dir.trim_end_matches('/'));
            let made: Vec<String> = registry
                .borrow()
                .iter()
                .filter_map(|p| p.strip_prefix(&below))
                .filter(|name| !name.contains('/'))
                .map(str::to_owned)
                .collect();
            match (list_of(dir), made.is_empty()) {
                (names, true) => names,
                (names, false) => {
                    let mut all: BTreeSet<String> = names.unwrap_or_default().into_iter().collect();
                    all.extend(made);
                    Some(all.into_iter().collect())
                }
            }
        };
        // `stat`, `chmod --reference`: owners and modes as the packages ship them, for
        // the paths no earlier script changed.
        let changed_earlier = |path: &str| {
            let path = rel(path);
            fs_calls.iter().any(|(_, _, call)| match call {
                Call::Chmod {
                    path: p, recursive, ..
                }
                | Call::Chown {
                    path: p, recursive, ..
                } => {
                    let p = rel(p);
                    p == path || (*recursive && path.starts_with(&format!("{p}/")))
                }
                Call::StatOverride { path: p, .. }
                | Call::WriteFile { path: p, .. }
                | Call::Touch { path: p }
                | Call::Mkdir { path: p, .. }
                | Call::Copy { dest: p, .. }
                | Call::Move { dest: p, .. }
                | Call::Ucf { dest: p, .. } => rel(p) == path,
                _ => false,
            })
        };
        let metadata = |path: &str| {
            if changed_earlier(path) {
                return None;
            }
            let (_, record) = tree.get(&rel(path))?;
            Some(Metadata {
                mode: record.mode & 0o7777,
                uid: record.uid,
                gid: record.gid,
                owner: super::account_name(&passwd, record.uid),
                group: super::account_name(&group, record.gid),
            })
        };
        // `dpkg-query -L`: a package's paths as the image has them (merged-/usr).
        let package_files = |name: &str| {
            files.iter().find(|p| p.package == name).map(|p| {
                p.files
                    .iter()
                    .map(|record| format!("/{}", record.path.trim_end_matches('/')))
                    .collect::<Vec<_>>()
            })
        };
        let context = Context::new(&package.package, &unpacked)
            .with_metadata(&metadata)
            .with_package_files(&package_files)
            .with_accounts(&known)
            .with_account_files(&passwd, &group)
            .with_debconf_defaults(&debconf_default)
            .with_packages(&installed)
            .with_diversions(&diverted)
            .with_alternatives(&registered)
            .with_architectures(package_arch, cx.debian_architecture)
            .with_scripts(&helpers)
            .with_sourced_files(&sourced)
            .with_listing(&listed);
        let reading = match read_script(script, text, &context) {
            Ok(reading) => reading,
            Err(err) => {
                record.not_applied(
                    &package.package,
                    NotApplied {
                        at_runtime: false,
                        line: err.line(),
                        what: script.name().into(),
                        why: format!("cannot be read: {err}"),
                    },
                );
                continue;
            }
        };
        for skipped in &reading.skipped {
            record.not_applied(
                &package.package,
                NotApplied {
                    at_runtime: matches!(skipped.why, aloft_maintscript::Why::AtRuntime(_)),
                    line: skipped.line,
                    what: skipped.text.clone(),
                    why: skipped.why.to_string(),
                },
            );
        }
        for call in &reading.calls {
            match &call.value {
                Call::AlternativeInstall {
                    link,
                    name,
                    path,
                    priority,
                    slaves,
                } => {
                    let mut choices = choices.borrow_mut();
                    let all = choices.entry(name.clone()).or_default();
                    // A second --install of a path replaces its priority and slaves.
                    all.retain(|c| c.path != *path);
                    all.push(Choice {
                        package: package.package.clone(),
                        link: link.clone(),
                        path: path.clone(),
                        priority: *priority,
                        slaves: slaves
                            .iter()
                            .map(|s| (s.link.clone(), s.name.clone(), s.path.clone()))
                            .collect(),
                    });
                }
                Call::AlternativeRemove { name, path } => {
                    let mut choices = choices.borrow_mut();
                    let all = choices.entry(name.clone()).or_default();
                    let before = all.len();
                    all.retain(|c| c.path != *path);
                    let detail = if all.len() < before {
                        format!("{name}: {path} removed")
                    } else {
                        format!("{name}: {path} was not registered: nothing to remove")
                    };
                    if all.is_empty() {
                        choices.remove(name);
                    }
                    let mut manual = manual.borrow_mut();
                    if manual.get(name) == Some(path) {
                        manual.remove(name);
                    }
                    record.add(
                        &package.package,
                        AppliedEffect {
                            effect: "update-alternatives --remove".into(),
                            detail,
                            paths: Vec::new(),
                        },
                    );
                }
                Call::AlternativeAuto { name } => {
                    manual.borrow_mut().remove(name);
                    let detail = if choices.borrow().contains_key(name) {
                        format!("{name}: auto mode")
                    } else {
                        format!("{name}: no such alternative: nothing to do")
                    };
                    record.add(
                        &package.package,
                        AppliedEffect {
                            effect: "update-alternatives --auto".into(),
                            detail,
                            paths: Vec::new(),
                        },
                    );
                }
                Call::AlternativeSet { name, path } => {
                    let known = registered(name)
                        .is_some_and(|a| a.choices.iter().any(|c| c.path == *path));
                    if known {
                        manual.borrow_mut().insert(name.clone(), path.clone());
                        record.add(
                            &package.package,
                            AppliedEffect {
                                effect: "update-alternatives --set".into(),
                                detail: format!("{name}: {path}, manual mode"),
                                paths: Vec::new(),
                            },
                        );
                    } else {
                        record.not_applied(
                            &package.package,
                            NotApplied {
                                at_runtime: false,
                                line: call.line,
                                what: format!("update-alternatives --set {name} {path}"),
                                why: format!("`{path}` is not a registered choice of `{name}` in the image"),
                            },
                        );
                    }
                }
                // A source the script wrote itself (postgresql-common's createcluster.conf
                // from a sed of its template into a temp file) is copied in script order,
                // with the other file-system calls.
                Call::Ucf { source, .. } if tree.get(&rel(source)).is_none() => {
                    fs_calls.push((package.package.clone(), call.line, call.value.clone()));
                }
                Call::Ucf { source, dest } => {
                    copies.push((package.package.clone(), source.clone(), dest.clone()));
                }
                Call::PhpEnmod {
                    version,
                    sapi,
                    module,
                } => {
                    registry
                        .borrow_mut()
                        .insert(format!("/var/lib/php/modules/{version}/registry/{module}"));
                    enmods.push((
                        package.package.clone(),
                        version.clone(),
                        sapi.clone(),
                        module.clone(),
                    ));
                }
                // Accounts at once, in script order, so later calls can use them.
                Call::AddUser(user) => apply_request(
                    accounts,
                    &package.package,
                    call.line,
                    &AccountRequest::User(user.clone()),
                    record,
                ),
                Call::AddGroup(group) => apply_request(
                    accounts,
                    &package.package,
                    call.line,
                    &AccountRequest::Group(group.clone()),
                    record,
                ),
                Call::AddUserToGroup { user, group } => apply_request(
                    accounts,
                    &package.package,
                    call.line,
                    &AccountRequest::Member {
                        user: user.clone(),
                        group: group.clone(),
                    },
                    record,
                ),
                Call::ShadowOn { groups } => {
                    accounts.shadow_on(*groups);
                    let (tool, file) = if *groups {
                        ("grpconv", "/etc/gshadow")
                    } else {
                        ("pwconv", "/etc/shadow")
                    };
                    record.add(
                        &package.package,
                        AppliedEffect {
                            effect: "shadow".into(),
                            detail: format!(
                                "line {}: `{tool}`: {file} written with the accounts, root:shadow 0640",
                                call.line
                            ),
                            paths: vec![file.to_owned()],
                        },
                    );
                }
                // Bookkeeping of ucf, or done elsewhere on purpose.
                Call::Ucfr { .. } | Call::Ignored { .. } => {}
                // dpkg's diversion database: what later scripts' queries see.
                Call::Divert {
                    path,
                    package,
                    divert_to,
                    remove,
                } => {
                    let mut table = diversions.borrow_mut();
                    if *remove {
                        table.remove(path);
                    } else {
                        table.insert(path.clone(), (package.clone(), divert_to.clone()));
                    }
                }
                Call::Link { symbolic: true, .. }
                | Call::Mkdir { .. }
                | Call::Copy { .. }
                | Call::Touch { .. }
                | Call::WriteFile { .. }
                | Call::Chown { .. }
                | Call::Chmod { .. }
                | Call::StatOverride { .. }
                | Call::Move { .. } => {
                    fs_calls.push((package.package.clone(), call.line, call.value.clone()));
                }
                // `rmdir DIR` then `ln -s TARGET DIR` (base-files' /var/run -> /run): the
                // link this layer writes replaces the packaged directory, which no package
                // ships anything in (else rmdir would fail).
                Call::Rmdir { path }
                    if tree.get(&rel(path)).is_some()
                        && !tree.has_below(&rel(path))
                        && reading
                            .calls
                            .iter()
                            .skip_while(|earlier| !std::ptr::eq(*earlier, call))
                            .any(|later| {
                                matches!(&later.value, Call::Link { link, symbolic: true, .. } if link == path)
                            }) =>
                {
                    record.add(
                        &package.package,
                        AppliedEffect {
                            effect: "rmdir".into(),
                            detail: format!(
                                "line {}: the link the script makes there replaces the empty directory",
                                call.line
                            ),
                            paths: vec![path.clone()],
                        },
                    );
                }
                // Removing what the script made itself (`mv` leaves nothing to remove; a
                // temp file): in order with what made it.
                Call::Remove { path, .. } | Call::Rmdir { path }
                    if tree.get(&rel(path)).is_none() =>
                {
                    fs_calls.push((package.package.clone(), call.line, call.value.clone()));
                }
                Call::ApacheEnable { .. }
                | Call::ApacheDisable { .. }
                | Call::ApacheSwitchMpm { .. } => {
                    apache_calls.push((package.package.clone(), call.line, call.value.clone()));
                }
                Call::XmlCatalog { .. } => {
                    xml_catalog_calls.push((
                        package.package.clone(),
                        call.line,
                        call.value.clone(),
                    ));
                }
                other => record.not_applied(
                    &package.package,
                    NotApplied {
                        at_runtime: false,
                        line: call.line,
                        what: format!("{other:?}"),
                        why: "not applied by this aloft yet".into(),
                    },
                ),
            }
        }
    }
    let written = apply_copies(layer, tree, packages, &copies, epoch, record)?;
    // A module's ini is a ucf copy, or shipped by the package itself (php-apcu, ...).
    let shipped = enmods
        .iter()
        .map(|(_, version, _, module)| format!("etc/php/{version}/mods-available/{module}.ini"))
        .filter(|ini| !written.contains_key(ini));
    let mut inis = read_image_files(tree, packages, shipped)?;
    inis.extend(written);
    apply_enmods(layer, tree, &inis, &enmods, epoch, record);
    apply_alternatives(
        layer,
        tree,
        &choices.into_inner(),
        &manual.into_inner(),
        epoch,
        record,
    );
    apply_file_calls(layer, tree, packages, accounts, &fs_calls, epoch, record)?;
    super::apache::apply(layer, tree, packages, &apache_calls, epoch, record)?;
    super::xml_catalog::apply(layer, tree, packages, &xml_catalog_calls, epoch, record)?;
    Ok(())
}

/// The file-system calls of the scripts, in script order: symlinks, directories, copies,
/// new and written files, owners and modes (dpkg-statoverride included).
fn apply_file_calls(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    packages: &[PackageInput],
    accounts: &AccountDb<'_>,
    calls: &[(String, usize, Call)],
    epoch: u64,
    record: &mut EffectsRecord,
) -> Result<(), AssembleError> {
    let sources = calls.iter().filter_map(|(_, _, call)| match call {
        Call::Copy { source, .. } => Some(rel(source)),
        _ => None,
    });
    let contents = read_image_files(tree, packages, sources)?;
    // What aloft generates itself (/etc/passwd and /etc/group from base-passwd's masters
    // plus the manifest's accounts) stays: a script's copy over it is not applied.
    let generated: BTreeSet<String> = layer.paths().map(str::to_owned).collect();
    let uid = |name: &str| account_id(accounts.passwd(), name);
    let gid = |name: &str| account_id(accounts.group_text(), name);
    // Optional owner and group names to ids; the error names what the image lacks.
    let ids = |owner: &Option<String>, group: &Option<String>| {
        let owner = match owner.as_deref() {
            Some(o) => Some(uid(o).ok_or_else(|| format!("no user `{o}` in the image"))?),
            None => None,
        };
        let group = match group.as_deref() {
            Some(g) => Some(gid(g).ok_or_else(|| format!("no group `{g}` in the image"))?),
            None => None,
        };
        Ok::<_, String>((owner, group))
    };
    for (package, line, call) in calls {
        let not_applied = |record: &mut EffectsRecord, why: String| {
            record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: *line,
                    what: format!("{call:?}"),
                    why,
                },
            );
        };
        let target = match call {
            Call::Copy { dest, .. } | Call::Ucf { dest, .. } => Some(dest),
            Call::Touch { path }
            | Call::WriteFile { path, .. }
            | Call::Remove { path, .. }
            | Call::Rmdir { path } => Some(path),
            Call::Move { dest, .. } => Some(dest),
            _ => None,
        };
        let target = target.or(match call {
            // chown and chmod of the account files (shadowconfig's root:shadow 0640):
            // aloft writes them so.
            Call::Chown { path, .. } | Call::Chmod { path, .. } if accounts.writes(&rel(path)) => {
                Some(path)
            }
            _ => None,
        });
        if let Some(target) = target
            && (generated.contains(&rel(target)) || accounts.writes(&rel(target)))
        {
            // /etc/passwd and /etc/group: base-passwd's preinst writes its masters when
            // they are missing; aloft writes them from the same masters and the manifest.
            record.add(
                package,
                AppliedEffect {
                    effect: "native".into(),
                    detail: format!("{target} is written by aloft, not by the script"),
                    paths: vec![target.clone()],
                },
            );
            continue;
        }
        let (effect, path) = match call {
            Call::Link { target, link, .. } => {
                layer.add_symlink(&rel(link), target, epoch);
                ("ln -s", link.clone())
            }
            Call::Mkdir {
                path,
                mode,
                owner,
                group,
            } => {
                let (owner_id, group_id) = match ids(owner, group) {
                    Ok(ids) => ids,
                    Err(why) => {
                        not_applied(record, why);
                        continue;
                    }
                };
                let existing = tree.get(&rel(path)).map(|(_, r)| (r.mode, r.uid, r.gid));
                let meta = crate::layer_writer::Meta {
                    mode: mode.or(existing.map(|e| e.0)).unwrap_or(0o755),
                    uid: owner_id.or(existing.map(|e| e.1)).unwrap_or(0),
                    gid: group_id.or(existing.map(|e| e.2)).unwrap_or(0),
                    mtime: epoch,
                };
                layer.add_dir(&rel(path), meta);
                ("mkdir", path.clone())
            }
            // A copy of a package's file, or of one an earlier call wrote.
            Call::Copy { source, dest } | Call::Ucf { source, dest } => {
                let (bytes, mode) = match contents.get(&rel(source)) {
                    Some(bytes) => (
                        bytes.clone(),
                        tree.get(&rel(source)).map_or(0o644, |(_, r)| r.mode),
                    ),
                    None => match layer.file_contents(&rel(source)) {
                        Some(bytes) => (
                            bytes.to_vec(),
                            layer.file_mode(&rel(source)).unwrap_or(0o644),
                        ),
                        None => {
                            not_applied(
                                record,
                                format!("`{source}` is no regular file of the image"),
                            );
                            continue;
                        }
                    },
                };
                layer.add_file(&rel(dest), bytes, mode, epoch);
                let effect = if matches!(call, Call::Ucf { .. }) {
                    "ucf"
                } else {
                    "cp"
                };
                (effect, dest.clone())
            }
            Call::Touch { path } => {
                if tree.get(&rel(path)).is_some() || layer.has(&rel(path)) {
                    continue;
                }
                layer.add_file(&rel(path), Vec::new(), 0o644, epoch);
                ("touch", path.clone())
            }
            Call::WriteFile {
                path,
                content,
                append,
            } => {
                let mut bytes = if *append {
                    layer
                        .file_contents(&rel(path))
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                bytes.extend_from_slice(content.as_bytes());
                layer.add_file(&rel(path), bytes, 0o644, epoch);
                ("write", path.clone())
            }
            Call::Chown { .. } | Call::Chmod { .. } | Call::StatOverride { .. } => {
                let (effect, path, change, recursive) = match call {
                    Call::Chown {
                        owner,
                        group,
                        path,
                        recursive,
                    } => match ids(owner, group) {
                        Ok((uid, gid)) => (
                            "chown",
                            path,
                            OwnerMode {
                                mode: None,
                                uid,
                                gid,
                            },
                            *recursive,
                        ),
                        Err(why) => {
                            not_applied(record, why);
                            continue;
                        }
                    },
                    Call::Chmod {
                        mode,
                        path,
                        recursive,
                    } => (
                        "chmod",
                        path,
                        OwnerMode {
                            mode: Some(*mode),
                            ..OwnerMode::default()
                        },
                        *recursive,
                    ),
                    Call::StatOverride {
                        user,
                        group,
                        mode,
                        path,
                        ..
                    } => {
                        let (Some(uid), Some(gid)) = (uid(user), gid(group)) else {
                            not_applied(
                                record,
                                format!("no account `{user}:{group}` in the image"),
                            );
                            continue;
                        };
                        let change = OwnerMode {
                            mode: Some(*mode),
                            uid: Some(uid),
                            gid: Some(gid),
                        };
                        ("dpkg-statoverride", path, change, false)
                    }
                    _ => continue,
                };
                if let Err(err) = layer.set_owner_mode(
                    package,
                    &rel(path),
                    change,
                    recursive,
                    tree,
                    packages,
                    epoch,
                ) {
                    not_applied(record, err.to_string());
                    continue;
                }
                (effect, path.clone())
            }
            Call::Move { source, dest } => {
                if !layer.rename(&rel(source), &rel(dest)) {
                    not_applied(
                        record,
                        format!(
                            "`{source}` is not a file the scripts made (a package's file is not moved)"
                        ),
                    );
                    continue;
                }
                ("mv", dest.clone())
            }
            // Only what the scripts made: a package's path never reaches here.
            Call::Remove { path, .. } | Call::Rmdir { path } => {
                if !layer.has(&rel(path)) {
                    // Nothing there (`rm -f` of an old conffile) changes nothing.
                    continue;
                }
                layer.remove(&rel(path));
                ("rm", path.clone())
            }
            _ => continue,
        };
        record.add(
            package,
            AppliedEffect {
                effect: effect.into(),
                detail: format!("line {line}"),
                paths: vec![path],
            },
        );
    }
    Ok(())
}

/// ucf copies; returns the files written (image path -> contents) for later rules.
fn apply_copies(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    packages: &[PackageInput],
    copies: &[(String, String, String)],
    epoch: u64,
    record: &mut EffectsRecord,
) -> Result<BTreeMap<String, Vec<u8>>, AssembleError> {
    let contents = read_image_files(
        tree,
        packages,
        copies.iter().map(|(_, source, _)| rel(source)),
    )?;
    let mut written = BTreeMap::new();
    for (package, source, dest) in copies {
        let Some(bytes) = contents.get(&rel(source)) else {
            record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: format!("ucf {source} {dest}"),
                    why: format!("`{source}` is no regular file of the image"),
                },
            );
            continue;
        };
        let mode = tree.get(&rel(source)).map_or(0o644, |(_, r)| r.mode);
        layer.add_file(&rel(dest), bytes.clone(), mode, epoch);
        written.insert(rel(dest), bytes.clone());
        record.add(
            package,
            AppliedEffect {
                effect: "ucf".into(),
                detail: format!("{dest} from {source}"),
                paths: vec![dest.clone()],
            },
        );
    }
    Ok(written)
}

/// phpenmod's priority: the first `; priority=NN` line of the module's ini, else 20.
fn php_priority(ini: &[u8]) -> String {
    String::from_utf8_lossy(ini)
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(';')?.trim_start();
            let rest = rest.strip_prefix("priority")?.trim_start();
            let value = rest.strip_prefix('=')?.trim();
            (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| value.to_owned())
        })
        .unwrap_or_else(|| "20".to_owned())
}

fn apply_enmods(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    inis: &BTreeMap<String, Vec<u8>>,
    enmods: &[(String, String, String, String)],
    epoch: u64,
    record: &mut EffectsRecord,
) {
    for (package, version, sapi, module) in enmods {
        let php_dir = format!("etc/php/{version}");
        let ini = format!("{php_dir}/mods-available/{module}.ini");
        let Some(contents) = inis.get(&ini) else {
            record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: format!("php_invoke enmod {version} {sapi} {module}"),
                    why: format!("/{ini} is not in the image"),
                },
            );
            continue;
        };
        // The SAPIs of the image: directories of /etc/php/VERSION with a conf.d.
        let sapis: Vec<String> = if sapi == "ALL" {
            let mut found: BTreeSet<String> = BTreeSet::new();
            for (path, _, record) in tree.entries() {
                if record.kind == FileKind::Dir
                    && let Some(rest) = path.strip_prefix(&format!("{php_dir}/"))
                    && let Some(name) = rest.strip_suffix("/conf.d")
                    && !name.contains('/')
                {
                    found.insert(name.to_owned());
                }
            }
            found.into_iter().collect()
        } else if tree
            .get(&format!("{php_dir}/{sapi}/conf.d"))
            .is_some_and(|(_, r)| r.kind == FileKind::Dir)
        {
            vec![sapi.clone()]
        } else {
            Vec::new()
        };
        let priority = php_priority(contents);
        let mut paths = Vec::new();
        for sapi in &sapis {
            let link = format!("{php_dir}/{sapi}/conf.d/{priority}-{module}.ini");
            layer.add_symlink(&link, &format!("/{ini}"), epoch);
            let state = format!("var/lib/php/modules/{version}/{sapi}/enabled_by_maint/{module}");
            layer.add_file(&state, Vec::new(), 0o644, epoch);
            paths.push(format!("/{link}"));
        }
        layer.add_file(
            &format!("var/lib/php/modules/{version}/registry/{module}"),
            Vec::new(),
            0o644,
            epoch,
        );
        record.add(
            package,
            AppliedEffect {
                effect: "php-enmod".into(),
                detail: format!("{module} (priority {priority}) for {}", sapis.join(", ")),
                paths,
            },
        );
    }
}

fn apply_alternatives(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    choices: &BTreeMap<String, Vec<Choice>>,
    manual: &BTreeMap<String, String>,
    epoch: u64,
    record: &mut EffectsRecord,
) {
    let exists = |path: &str| tree.get(&rel(path)).is_some();
    for (name, all) in choices {
        let mut candidates: Vec<&Choice> = all.iter().filter(|c| exists(&c.path)).collect();
        candidates.sort_by(|a, b| a.path.cmp(&b.path));
        candidates.dedup_by(|a, b| a.path == b.path);
        let set_by_hand = manual
            .get(name)
            .and_then(|path| candidates.iter().copied().find(|c| c.path == *path));
        let Some(best) = set_by_hand.or_else(|| {
            candidates
                .iter()
                .copied()
                .reduce(|best, c| if c.priority > best.priority { c } else { best })
        }) else {
            continue;
        };
        // A real file at the generic name stays (update-alternatives would refuse).
        if let Some((_, r)) = tree.get(&rel(&best.link))
            && !matches!(r.kind, FileKind::Symlink { .. })
        {
            record.not_applied(
                &best.package,
                NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: format!(
                        "update-alternatives --install {} {name} {}",
                        best.link, best.path
                    ),
                    why: format!("{} is a file of the image, not a link", best.link),
                },
            );
            continue;
        }
        let mut paths = Vec::new();
        let mut link = |generic: &str, alt_name: &str, target: &str| {
            layer.add_symlink(
                &rel(generic),
                &format!("/etc/alternatives/{alt_name}"),
                epoch,
            );
            layer.add_symlink(&format!("etc/alternatives/{alt_name}"), target, epoch);
            paths.push(generic.to_owned());
        };
        link(&best.link, name, &best.path);
        let mut slave_names: Vec<&(String, String, String)> = best.slaves.iter().collect();
        slave_names.sort_by(|a, b| a.1.cmp(&b.1));
        for (slave_link, slave_name, slave_path) in &slave_names {
            if exists(slave_path) {
                link(slave_link, slave_name, slave_path);
            }
        }
        // The state file, in update-alternatives' format.
        let mut all_slaves: BTreeMap<&str, &str> = BTreeMap::new();
        for c in &candidates {
            for (slave_link, slave_name, _) in &c.slaves {
                all_slaves.entry(slave_name).or_insert(slave_link);
            }
        }
        let mode = if set_by_hand.is_some() {
            "manual"
        } else {
            "auto"
        };
        let mut state = format!("{mode}\n{}\n", best.link);
        for (slave_name, slave_link) in &all_slaves {
            state.push_str(&format!("{slave_name}\n{slave_link}\n"));
        }
        state.push('\n');
        for c in &candidates {
            state.push_str(&format!("{}\n{}\n", c.path, c.priority));
            for slave_name in all_slaves.keys() {
                let path = c
                    .slaves
                    .iter()
                    .find(|(_, n, _)| n == slave_name)
                    .map_or("", |(_, _, p)| p.as_str());
                state.push_str(path);
                state.push('\n');
            }
        }
        state.push('\n');
        layer.add_file(
            &format!("var/lib/dpkg/alternatives/{name}"),
            state.into_bytes(),
            0o644,
            epoch,
        );
        record.add(
            &best.package,
            AppliedEffect {
                effect: "update-alternatives".into(),
                detail: format!(
                    "{name}: {} -> {} (priority {})",
                    best.link, best.path, best.priority
                ),
                paths,
            },
        );
    }
}

/// The alternative `name` as update-alternatives would answer `--query` now: its choices
/// whose path the image has.
fn alternative_state(
    tree: &InstalledTree<'_>,
    choices: &BTreeMap<String, Vec<Choice>>,
    manual: &BTreeMap<String, String>,
    name: &str,
) -> Option<aloft_maintscript::Alternative> {
    let all = choices.get(name)?;
    let mut alternative = aloft_maintscript::Alternative {
        manual: manual.get(name).cloned(),
        ..Default::default()
    };
    for choice in all.iter().filter(|c| tree.get(&rel(&c.path)).is_some()) {
        alternative.link.clone_from(&choice.link);
        let slaves = choice
            .slaves
            .iter()
            .map(|(_, slave, path)| (slave.clone(), path.clone()))
            .collect();
        alternative
            .choices
            .push(aloft_maintscript::AlternativeChoice {
                path: choice.path.clone(),
                priority: choice.priority,
                slaves,
            });
        for (link, slave, _) in &choice.slaves {
            if !alternative.slaves.iter().any(|(n, _)| n == slave) {
                alternative.slaves.push((slave.clone(), link.clone()));
            }
        }
    }
    (!alternative.choices.is_empty()).then_some(alternative)
}
