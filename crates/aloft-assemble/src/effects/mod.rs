//! Native replacements for what maintainer scripts would have done, applied to the final
//! layer. Each rule is keyed on what the installed packages ship, never on package
//! names, and every effect applied is recorded, per package, in
//! `/usr/share/aloft/effects.json` inside the image ([`EFFECTS_PATH`]).

mod apache;
mod busybox;
mod ca_certificates;
mod java_cacerts;
mod ld_so_cache;
mod localtime;
mod scripts;
pub mod subject_hash;
mod system_accounts;
mod tmpfiles;
mod xml_catalog;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};

/// Where the record of applied effects goes in the image.
pub const EFFECTS_PATH: &str = "usr/share/aloft/effects.json";

/// One effect applied for a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedEffect {
    /// What was done (`localtime`, ...).
    pub effect: String,
    /// What it means, in a few words (`/etc/localtime -> Etc/UTC`).
    pub detail: String,
    /// The image paths written.
    pub paths: Vec<String>,
}

/// Something a package's script does that aloft did not do, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotApplied {
    /// The script line (0 when the effect was understood but could not be applied).
    pub line: usize,
    /// The command or construct.
    pub what: String,
    /// Why it was not applied.
    pub why: String,
    /// Known, and deliberately left to the running container (a key pair, a machine id,
    /// a database, what only a booted system has); written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_runtime: bool,
}

/// The effects applied, by package, and what was not applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EffectsRecord {
    /// Package name -> its effects, in the order applied.
    pub packages: BTreeMap<String, Vec<AppliedEffect>>,
    /// Package name -> what its postinst does that aloft did not do.
    pub not_applied: BTreeMap<String, Vec<NotApplied>>,
}

impl EffectsRecord {
    fn not_applied(&mut self, package: &str, item: NotApplied) {
        self.not_applied
            .entry(package.to_owned())
            .or_default()
            .push(item);
    }

    /// Records `effect` as doing natively all that `package`'s postinst is for (it runs a
    /// program aloft does not run to make one file): what the reader could not decide
    /// in the script is then no gap, and the script's own bookkeeping effects (state
    /// markers) are dropped with it.
    fn replace_script(&mut self, package: &str, effect: AppliedEffect) {
        self.not_applied
            .entry(package.to_owned())
            .or_default()
            .retain(|item| item.line == 0);
        if self.not_applied.get(package).is_some_and(Vec::is_empty) {
            self.not_applied.remove(package);
        }
        self.packages.insert(package.to_owned(), vec![effect]);
    }

    fn add(&mut self, package: &str, effect: AppliedEffect) {
        self.packages
            .entry(package.to_owned())
            .or_default()
            .push(effect);
    }
}

/// The regular files at image `paths`, read from the .debs of the packages that ship
/// them (one pass per package); paths no package ships as a file are absent.
fn read_image_files(
    tree: &InstalledTree<'_>,
    packages: &[crate::package::PackageInput],
    paths: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, Vec<u8>>, AssembleError> {
    let mut wanted: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    for path in paths {
        if let Some((owner, _)) = tree.get(&path) {
            wanted.entry(owner).or_default().insert(path);
        }
    }
    let mut contents = BTreeMap::new();
    for (owner, paths) in wanted {
        if let Some(package) = packages.iter().find(|p| p.name == owner) {
            contents.extend(crate::package::read_package_files(package, &paths)?);
        }
    }
    Ok(contents)
}

/// The contents of a regular file of the final layer (generated, or copied from the host
/// by `files:`), for the effect `what`.
fn read_layer_file(
    layer: &FinalLayer,
    path: &str,
    what: &str,
) -> Result<Option<Vec<u8>>, AssembleError> {
    layer
        .read_file(path)
        .map_err(|source| AssembleError::Write {
            what: format!("/{path} for {what}"),
            dir: path.into(),
            source,
        })
}

/// The `*.conf` files of `dirs` (lowest precedence first), by base name: a file in a
/// later directory replaces one of the same name in an earlier one, as systemd does.
/// Values: (image path, owning package).
fn config_files(tree: &InstalledTree<'_>, dirs: &[&str]) -> BTreeMap<String, (String, String)> {
    let mut confs = BTreeMap::new();
    for dir in dirs {
        let prefix = format!("{dir}/");
        for (path, owner, entry) in tree.entries() {
            if let Some(name) = path.strip_prefix(&prefix)
                && !name.contains('/')
                && name.ends_with(".conf")
                && matches!(entry.kind, crate::package::FileKind::File { .. })
            {
                confs.insert(name.to_owned(), (path.to_owned(), owner.to_owned()));
            }
        }
    }
    confs
}

/// One meaningful line (not blank, not a comment) of a config file.
struct ConfigLine {
    /// The file, an image path.
    path: String,
    /// The package that ships it.
    package: String,
    /// 1-based.
    number: usize,
    /// The line, trimmed.
    text: String,
}

impl ConfigLine {
    /// What is recorded when the line is not applied.
    fn not_applied(&self, why: String) -> NotApplied {
        NotApplied {
            at_runtime: false,
            line: self.number,
            what: format!("/{}: {}", self.path, self.text),
            why,
        }
    }
}

/// The meaningful lines of the `*.conf` files of `dirs` (see [`config_files`]), file by
/// file in name order.
fn config_lines(
    tree: &InstalledTree<'_>,
    packages: &[crate::package::PackageInput],
    dirs: &[&str],
) -> Result<Vec<ConfigLine>, AssembleError> {
    let confs = config_files(tree, dirs);
    let contents = read_image_files(tree, packages, confs.values().map(|(path, _)| path.clone()))?;
    let mut lines = Vec::new();
    for (path, package) in confs.values() {
        let Some(bytes) = contents.get(path) else {
            continue;
        };
        for (index, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
            let text = line.trim();
            if !text.is_empty() && !text.starts_with('#') {
                lines.push(ConfigLine {
                    path: path.clone(),
                    package: package.clone(),
                    number: index + 1,
                    text: text.to_owned(),
                });
            }
        }
    }
    Ok(lines)
}

/// A user or group id: a number, `#N` (dpkg-statoverride), or a name in the image's
/// /etc/passwd or /etc/group (`database`).
fn account_id(database: &str, name: &str) -> Option<u64> {
    let name = name.strip_prefix('#').unwrap_or(name);
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    database.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next() == Some(name))
            .then(|| fields.nth(1).and_then(|id| id.parse().ok()))
            .flatten()
    })
}

/// The name of user or group `id` in the image's /etc/passwd or /etc/group
/// (`database`): the first line with that id, as getpwuid finds it.
fn account_name(database: &str, id: u64) -> Option<String> {
    database.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u64>().ok()? == id).then(|| name.to_owned())
    })
}

/// What every effect reads: the installed tree, the packages and the build's settings.
pub(crate) struct EffectContext<'a> {
    /// Every path the packages install, with its owner.
    pub(crate) tree: &'a InstalledTree<'a>,
    /// The packages' control files (maintainer scripts, conffiles).
    pub(crate) files: &'a [crate::package::PackageFiles],
    /// The packages' .debs, to read installed files from.
    pub(crate) packages: &'a [crate::package::PackageInput],
    /// The image's environment (`TZ`).
    pub(crate) environment: &'a BTreeMap<String, String>,
    /// The platform's (OCI) architecture.
    pub(crate) architecture: &'a str,
    /// The image's Debian architecture (`dpkg --print-architecture`).
    pub(crate) debian_architecture: &'a str,
    /// SOURCE_DATE_EPOCH: the mtime of everything written.
    pub(crate) epoch: u64,
}

/// What effects write: the final layer, the account database and the record.
pub(crate) struct EffectOutput<'a> {
    /// The final layer the files go into.
    pub(crate) layer: &'a mut FinalLayer,
    /// /etc/passwd and /etc/group as packages add to them.
    pub(crate) accounts: system_accounts::AccountDb<'a>,
    /// What was applied and what was not.
    pub(crate) record: EffectsRecord,
}

/// One effect: reads the context, writes into the output.
type Effect = fn(&EffectContext<'_>, &mut EffectOutput<'_>) -> Result<(), AssembleError>;

/// The effects that come before `files:`, in order: sysusers.d before the scripts (whose
/// `getent` sees those accounts), the account files once both have added to them, and
/// tmpfiles.d last (its owners may be any of those accounts).
const EARLY_EFFECTS: [Effect; 6] = [
    localtime::apply,
    system_accounts::apply_sysusers,
    scripts::apply,
    system_accounts::write_accounts,
    busybox::apply,
    tmpfiles::apply,
];

/// The effects that read what `files:` added: the CA bundle and Java's keystore made
/// from it (local certificates under /usr/local/share/ca-certificates are trusted too)
/// and /etc/ld.so.cache (libraries under /usr/local/lib are found too).
const LATE_EFFECTS: [Effect; 3] = [
    ca_certificates::apply,
    java_cacerts::apply,
    ld_so_cache::apply,
];

/// Applies [`EARLY_EFFECTS`]; [`apply_late_effects`] does the rest and writes the record.
pub(crate) fn apply_effects(
    cx: &EffectContext<'_>,
    layer: &mut FinalLayer,
    accounts: &mut crate::accounts::AccountFiles,
) -> Result<EffectsRecord, AssembleError> {
    let mut out = EffectOutput {
        layer,
        accounts: system_accounts::AccountDb::new(accounts),
        record: EffectsRecord::default(),
    };
    for effect in EARLY_EFFECTS {
        effect(cx, &mut out)?;
    }
    Ok(out.record)
}

/// Applies [`LATE_EFFECTS`], then writes the record into the final layer.
pub(crate) fn apply_late_effects(
    cx: &EffectContext<'_>,
    layer: &mut FinalLayer,
    accounts: &mut crate::accounts::AccountFiles,
    record: EffectsRecord,
) -> Result<EffectsRecord, AssembleError> {
    let mut out = EffectOutput {
        layer,
        accounts: system_accounts::AccountDb::new(accounts),
        record,
    };
    for effect in LATE_EFFECTS {
        effect(cx, &mut out)?;
    }
    let json = serde_json::to_vec_pretty(&out.record).map_err(|e| AssembleError::Write {
        what: "the effects record".into(),
        dir: EFFECTS_PATH.into(),
        source: std::io::Error::other(e),
    })?;
    out.layer.add_file(EFFECTS_PATH, json, 0o644, cx.epoch);
    Ok(out.record)
}

/// Records the Python bytecode step (see [`crate::bytecode`]) for each package whose
/// sources it compiled, the sources it could not compile, or, with `index` `None` (the
/// manifest's `python-bytecode: false`), that the interpreters' packages got none.
pub(crate) fn record_python_bytecode(
    record: &mut EffectsRecord,
    tree: &InstalledTree<'_>,
    plan: &crate::bytecode::BytecodePlan,
    index: Option<&[crate::package::PackageFiles]>,
) {
    let Some(index) = index else {
        for interpreter in plan.interpreters.iter().filter(|i| !i.sources.is_empty()) {
            if let Some((owner, _)) = tree.get(&interpreter.path) {
                record.not_applied(
                    owner,
                    NotApplied {
                        at_runtime: false,
                        line: 0,
                        what: format!("bytecode of /{}'s modules", interpreter.path),
                        why: "the manifest says `python-bytecode: false`: each container compiles what it imports, and cannot keep it unless it may write there".into(),
                    },
                );
            }
        }
        return;
    };
    let made: std::collections::BTreeSet<&str> = index
        .iter()
        .flat_map(|p| p.files.iter().map(|f| f.path.as_str()))
        .collect();
    for interpreter in &plan.interpreters {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for source in &interpreter.sources {
            let Some((owner, _)) = tree.get(source) else {
                continue;
            };
            if made.contains(crate::bytecode::cache_path(source, &interpreter.version).as_str()) {
                *counts.entry(owner).or_default() += 1;
            } else {
                record.not_applied(
                    owner,
                    NotApplied {
                        at_runtime: false,
                        line: 0,
                        what: format!("bytecode of /{source}"),
                        why: format!(
                            "/{} does not compile it (the build's log says why)",
                            interpreter.path
                        ),
                    },
                );
            }
        }
        for (owner, count) in counts {
            record.add(
                owner,
                AppliedEffect {
                    effect: "python-bytecode".into(),
                    detail: format!(
                        "{count} modules compiled by /{} (py3compile; the interpreter's own postinst for the standard library), in the image's bytecode layer",
                        interpreter.path
                    ),
                    paths: Vec::new(),
                },
            );
        }
    }
}

pub(crate) use ld_so_cache::abi;
