//! Debian's configuration tools: `update-alternatives`, `ucf`, `ucfr`, `dpkg-statoverride`.

use super::files::octal;
use super::{Effect, options, unsupported};
use crate::getopt::{self, Arg, long, opt};
use crate::paths;
use crate::shell::{Func, Shell, Status};
use crate::{ApacheKind, Call, FileKind, Slave, Why};

pub(super) fn update_alternatives(args: &[String]) -> Result<Effect, Why> {
    let mut install: Option<Call> = None;
    let mut other: Option<Call> = None;
    let mut query = false;
    let mut i = 0;
    let take = |i: &mut usize, n: usize, what: &str| -> Result<Vec<String>, Why> {
        let got = args.get(*i..*i + n).ok_or_else(|| {
            unsupported(format!("update-alternatives {what} needs {n} arguments"))
        })?;
        *i += n;
        Ok(got.to_vec())
    };
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "--install" => {
                let v = take(&mut i, 4, arg)?;
                let priority = v[3].parse::<i64>().map_err(|_| {
                    unsupported(format!("the priority `{}` is not an integer", v[3]))
                })?;
                install = Some(Call::AlternativeInstall {
                    link: paths::normalize(&v[0]),
                    name: v[1].clone(),
                    path: paths::normalize(&v[2]),
                    priority,
                    slaves: Vec::new(),
                });
            }
            "--slave" => {
                let v = take(&mut i, 3, arg)?;
                match &mut install {
                    Some(Call::AlternativeInstall { slaves, .. }) => slaves.push(Slave {
                        link: paths::normalize(&v[0]),
                        name: v[1].clone(),
                        path: paths::normalize(&v[2]),
                    }),
                    _ => return Err(unsupported("`--slave` without `--install`")),
                }
            }
            "--remove" => {
                let v = take(&mut i, 2, arg)?;
                other = Some(Call::AlternativeRemove {
                    name: v[0].clone(),
                    path: paths::normalize(&v[1]),
                });
            }
            "--set" => {
                let v = take(&mut i, 2, arg)?;
                other = Some(Call::AlternativeSet {
                    name: v[0].clone(),
                    path: paths::normalize(&v[1]),
                });
            }
            "--auto" => {
                let v = take(&mut i, 1, arg)?;
                other = Some(Call::AlternativeAuto { name: v[0].clone() });
            }
            "--display" | "--query" | "--list" | "--config" => {
                take(&mut i, 1, arg)?;
                query = true;
            }
            "--get-selections" | "--all" => query = true,
            "--force" | "--quiet" | "--verbose" | "--debug" | "--skip-auto" => {}
            "--log" => {
                take(&mut i, 1, arg)?;
            }
            _ if arg.starts_with("--log=") => {}
            _ => {
                return Err(unsupported(format!(
                    "`update-alternatives {arg}` is not modelled"
                )));
            }
        }
    }
    match (install, other) {
        (Some(call), None) | (None, Some(call)) => Effect::ok(vec![call]),
        (None, None) if query => Ok(Effect {
            calls: Vec::new(),
            status: Status::Unknown,
        }),
        _ => Err(unsupported("update-alternatives needs exactly one action")),
    }
}

/// Why `ucf --purge` and `ucfr --purge` change nothing: they forget a file in ucf's
/// database, which aloft's `ucf` (a copy on a fresh install) does not write.
const PURGE: &str =
    "it forgets the file in ucf's database, which aloft does not write: nothing is recorded for it";

pub(super) fn ucfr(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('h', "help", Arg::No),
        opt('d', "debug", Arg::Optional),
        opt('D', "DEBUG", Arg::Optional),
        opt('f', "force", Arg::No),
        opt('n', "no-action", Arg::No),
        opt('v', "verbose", Arg::No),
        opt('p', "purge", Arg::No),
        long("state-dir", Arg::Required),
    ];
    let parsed = options("ucfr", args, OPTS)?;
    if parsed.has("purge") {
        return Effect::ok(vec![Call::Ignored {
            command: format!("ucfr {}", args.join(" ")),
            reason: PURGE.to_owned(),
        }]);
    }
    if parsed.has("no-action") || parsed.has("help") {
        return Effect::ok(Vec::new());
    }
    let [package, dest] = parsed.operands.as_slice() else {
        return Err(unsupported("ucfr takes a package and a file"));
    };
    Effect::ok(vec![Call::Ucfr {
        package: package.clone(),
        dest: paths::normalize(dest),
    }])
}

/// `a2enmod`/`a2enconf`/`a2ensite` and their `a2dis*` counterparts, as the tools parse
/// their arguments (`-q` quiet, `-m` maintainer mode, `-f` force; `-p` purges state only).
pub(super) fn apache_tool(tool: &str, args: &[String]) -> Result<Effect, Why> {
    let (enable, kind) = match tool {
        "a2enmod" => (true, ApacheKind::Module),
        "a2enconf" => (true, ApacheKind::Conf),
        "a2ensite" => (true, ApacheKind::Site),
        "a2dismod" => (false, ApacheKind::Module),
        "a2disconf" => (false, ApacheKind::Conf),
        _ => (false, ApacheKind::Site),
    };
    let mut names = Vec::new();
    let mut purge = false;
    for arg in args {
        match arg.as_str() {
            "-q" | "--quiet" | "-m" | "--maintmode" | "-f" | "--force" => {}
            "-p" | "--purge" => purge = true,
            flag if flag.starts_with('-') => {
                return Err(unsupported(format!("`{tool} {flag}` is not modelled")));
            }
            name => names.push(
                name.trim_end_matches(".load")
                    .trim_end_matches(".conf")
                    .to_owned(),
            ),
        }
    }
    if names.is_empty() {
        return Err(unsupported(format!(
            "`{tool}` without a name asks interactively"
        )));
    }
    if names.iter().any(|n| n.contains(['*', '?', '['])) {
        return Err(unsupported(format!(
            "`{tool}` with a wildcard is not modelled"
        )));
    }
    if purge {
        return Effect::ok(Vec::new());
    }
    Effect::ok(
        names
            .into_iter()
            .map(|name| {
                if enable {
                    Call::ApacheEnable { kind, name }
                } else {
                    Call::ApacheDisable { kind, name }
                }
            })
            .collect(),
    )
}

/// apache2-maintscript-helper's functions on a fresh install: `apache2_invoke enmod|enconf|
/// ensite NAME` enables; its `dis*` forms act only on a removal; `apache2_switch_mpm MPM`.
pub(super) fn apache_helper(func: &Func<'_>, args: &[String]) -> Result<Option<Call>, Why> {
    if matches!(func, Func::ApacheSwitchMpm) {
        return match args {
            [mpm] => Ok(Some(Call::ApacheSwitchMpm {
                mpm: mpm.trim_start_matches("mpm_").to_owned(),
            })),
            _ => Err(unsupported("`apache2_switch_mpm` takes one MPM")),
        };
    }
    let [command, name, rest @ ..] = args else {
        return Err(unsupported("`apache2_invoke` takes a command and a name"));
    };
    if rest.len() > 1 {
        return Err(unsupported(
            "`apache2_invoke` takes at most an action after the name",
        ));
    }
    let kind = match command.as_str() {
        "enmod" | "dismod" => ApacheKind::Module,
        "enconf" | "disconf" => ApacheKind::Conf,
        "ensite" | "dissite" => ApacheKind::Site,
        other => {
            return Err(unsupported(format!(
                "`apache2_invoke {other}` is not modelled"
            )));
        }
    };
    if command.starts_with("dis") {
        // Only on a removal (APACHE2_MAINTSCRIPT_METHOD=remove or purge).
        return Ok(None);
    }
    Ok(Some(Call::ApacheEnable {
        kind,
        name: name.clone(),
    }))
}

/// `dpkg-divert`: with `--no-rename` (merged-/usr's bookkeeping in preinsts) or as a
/// query it changes no file, only dpkg's database, which the image does not carry.
/// `--rename` moves a file only when there is one to move: adding a diversion of a path
/// the image lacks (`exists`), or removing a diversion that was never made (`diverted`),
/// is the database change alone. A diversion that moves a file is not modelled.
pub(super) fn dpkg_divert(
    args: &[String],
    exists: &dyn Fn(&str) -> bool,
    diverted: &dyn Fn(&str) -> Option<bool>,
) -> Result<Effect, Why> {
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let query = ["--list", "--listpackage", "--truename"]
        .iter()
        .any(|q| has(q));
    let divert = (!query).then(|| divert_call(args)).flatten();
    let nothing_to_move = match &divert {
        _ if !has("--rename") => true,
        Some(Call::Divert {
            path,
            divert_to,
            remove: false,
            ..
        }) => !exists(path) && !exists(divert_to),
        Some(Call::Divert {
            path, remove: true, ..
        }) => diverted(path) == Some(false),
        _ => false,
    };
    if let Some(divert) = divert
        && nothing_to_move
    {
        return Effect::ok(vec![divert]);
    }
    if query {
        return Effect::ok(vec![Call::Ignored {
            command: format!("dpkg-divert {}", args.join(" ")),
            reason: "dpkg's diversion database (no file is moved)".to_owned(),
        }]);
    }
    Err(unsupported(
        "a diversion that moves a file (`dpkg-divert --rename`) is not applied",
    ))
}

/// The [`Call::Divert`] of a `dpkg-divert --add|--remove` command line; `None` for one
/// it does not read (an option it does not know, a second path).
fn divert_call(args: &[String]) -> Option<Call> {
    let mut package = None;
    let mut divert_to = None;
    let mut remove = false;
    let mut path = None;
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "--add" => remove = false,
            "--remove" => remove = true,
            "--package" => package = Some(words.next()?.clone()),
            "--divert" => divert_to = Some(words.next()?.clone()),
            "--local" | "--quiet" | "--no-rename" | "--rename" => {}
            a if a.starts_with("--package=") => package = Some(a["--package=".len()..].to_owned()),
            a if a.starts_with("--divert=") => divert_to = Some(a["--divert=".len()..].to_owned()),
            a if a.starts_with('-') => return None,
            a if path.is_none() => path = Some(a.to_owned()),
            _ => return None,
        }
    }
    let path = path?;
    Some(Call::Divert {
        divert_to: divert_to.unwrap_or_else(|| format!("{path}.distrib")),
        path,
        package,
        remove,
    })
}

pub(super) fn dpkg_statoverride(args: &[String]) -> Result<Effect, Why> {
    let mut action = None;
    let mut update = false;
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "--add" | "--remove" | "--list" => action = Some(arg),
            "--update" => update = true,
            "--quiet" | "--force" => {}
            _ if arg.starts_with("--force-") || arg.starts_with("--no-force-") => {}
            "--root" | "--admindir" | "--instdir" => {
                return Err(unsupported(format!(
                    "`dpkg-statoverride {arg}` is not modelled"
                )));
            }
            "--" => {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            _ if arg.starts_with("--") => {
                return Err(unsupported(format!(
                    "`dpkg-statoverride {arg}` is not modelled"
                )));
            }
            _ => operands.push(args[i - 1].clone()),
        }
    }
    match (action, operands.as_slice()) {
        // A fresh image has no overrides: `--list` prints nothing and fails.
        (Some("--list"), _) => Ok(Effect {
            calls: Vec::new(),
            status: Status::FAIL,
        }),
        (Some("--add"), [user, group, mode, path]) => Effect::ok(vec![Call::StatOverride {
            user: user.clone(),
            group: group.clone(),
            mode: octal(mode)?,
            path: paths::normalize(path),
            update,
        }]),
        (Some("--remove"), _) => Err(unsupported("`dpkg-statoverride --remove` is not modelled")),
        _ => Err(unsupported(
            "this dpkg-statoverride command line is not understood",
        )),
    }
}

impl<'p> Shell<'p, '_> {
    pub(super) fn ucf(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('h', "help", Arg::No),
            opt('s', "src-dir", Arg::Required),
            long("sum-file", Arg::Required),
            long("dest-dir", Arg::Required),
            opt('d', "debug", Arg::Optional),
            opt('D', "DEBUG", Arg::Optional),
            opt('n', "no-action", Arg::No),
            opt('P', "package", Arg::Required),
            opt('p', "purge", Arg::No),
            opt('v', "verbose", Arg::No),
            long("three-way", Arg::No),
            long("debconf-ok", Arg::No),
            long("debconf-template", Arg::Required),
            long("state-dir", Arg::Required),
            opt('Z', "selinux", Arg::No),
        ];
        let parsed = options("ucf", args, OPTS)?;
        if parsed.has("purge") {
            return Effect::ok(vec![Call::Ignored {
                command: format!("ucf {}", args.join(" ")),
                reason: PURGE.to_owned(),
            }]);
        }
        if parsed.has("dest-dir") {
            return Err(unsupported("`ucf --dest-dir` is not modelled"));
        }
        if parsed.has("no-action") || parsed.has("help") {
            return Effect::ok(Vec::new());
        }
        let [source, dest] = parsed.operands.as_slice() else {
            return Err(unsupported("ucf takes a source and a destination"));
        };
        let source = self.operand(source)?;
        let dest = self.operand(dest)?;
        if self.file(&dest, true).is_none() {
            self.put_file(&dest, Some(FileKind::File));
        }
        Effect::ok(vec![Call::Ucf { source, dest }])
    }
}

/// `update-xmlcatalog` (xml-core) with `--root` or `--package`: the catalog entry as the
/// tool keys it. A `--local` catalog (a file of a package) is not modelled.
pub(super) fn update_xmlcatalog(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        long("add", Arg::No),
        long("del", Arg::No),
        long("file", Arg::Required),
        long("help", Arg::No),
        long("id", Arg::Required),
        long("local", Arg::Required),
        long("package", Arg::Required),
        long("root", Arg::No),
        long("type", Arg::Required),
        long("verbose", Arg::No),
        long("sort", Arg::No),
    ];
    let parsed = options("update-xmlcatalog", args, OPTS)?;
    let add = parsed.has("add");
    if add == parsed.has("del") {
        return Err(unsupported(
            "update-xmlcatalog needs one of --add and --del",
        ));
    }
    let (Some(kind), Some(id)) = (parsed.value("type"), parsed.value("id")) else {
        return Err(unsupported("update-xmlcatalog needs --type and --id"));
    };
    if !matches!(kind, "public" | "system" | "uri") {
        return Err(unsupported(format!(
            "the catalog entry type `{kind}` is not one update-xmlcatalog knows"
        )));
    }
    // `delegateSystem systemIdStartString="ID"`, `delegatePublic publicIdStartString=`,
    // `delegateURI uriStartString=`.
    let start = match kind {
        "uri" => "uriStartString".to_owned(),
        other => format!("{other}IdStartString"),
    };
    let element = match kind {
        "uri" => "delegateURI".to_owned(),
        other => {
            let mut chars = other.chars();
            let first = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .unwrap_or_default();
            format!("delegate{first}{}", chars.as_str())
        }
    };
    let key = format!("{element} {start}=\"{id}\"");
    let package = parsed.value("package");
    let call = match (parsed.has("root"), package, parsed.value("local")) {
        (true, Some(package), _) => Call::XmlCatalog {
            catalog: "/etc/xml/catalog".to_owned(),
            data: "/var/lib/xml-core/catalog".to_owned(),
            key,
            entry: format!("catalog=\"file:///etc/xml/{package}.xml\""),
            add,
            needs: Some(format!("/etc/xml/{package}.xml")),
        },
        (true, None, _) if !add => Call::XmlCatalog {
            catalog: "/etc/xml/catalog".to_owned(),
            data: "/var/lib/xml-core/catalog".to_owned(),
            key,
            entry: String::new(),
            add,
            needs: None,
        },
        (false, Some(package), local) if local.is_some() || !add => Call::XmlCatalog {
            catalog: format!("/etc/xml/{package}.xml"),
            data: format!("/var/lib/xml-core/{package}"),
            key,
            entry: local.map_or_else(String::new, |l| format!("catalog=\"file://{l}\"")),
            add,
            needs: None,
        },
        _ => {
            return Err(unsupported(
                "update-xmlcatalog of a --local catalog file is not modelled",
            ));
        }
    };
    Effect::ok(vec![call])
}
