//! Account tools: `adduser`/`addgroup` (Debian's), `useradd`, `groupadd`, `usermod -a -G`,
//! `gpasswd -a`.

use super::{Effect, options, unsupported};
use crate::getopt::{self, Arg, long, opt};
use crate::{AccountTool, Call, NewGroup, NewUser, Why};

fn id_number(value: &str, what: &str) -> Result<u32, Why> {
    value
        .parse()
        .map_err(|_| unsupported(format!("the {what} `{value}` is not a number")))
}

pub(super) fn adduser(name: &str, args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        long("system", Arg::No),
        long("group", Arg::No),
        long("home", Arg::Required),
        long("shell", Arg::Required),
        long("uid", Arg::Required),
        long("gid", Arg::Required),
        long("ingroup", Arg::Required),
        long("gecos", Arg::Required),
        long("comment", Arg::Required),
        long("firstuid", Arg::Required),
        long("lastuid", Arg::Required),
        long("firstgid", Arg::Required),
        long("lastgid", Arg::Required),
        long("no-create-home", Arg::No),
        long("disabled-password", Arg::No),
        long("disabled-login", Arg::No),
        long("add-extra-groups", Arg::No),
        long("add_extra_groups", Arg::No),
        long("allow-badname", Arg::No),
        long("allow-bad-names", Arg::No),
        long("allow-all-names", Arg::No),
        long("force-badname", Arg::No),
        long("encrypt-home", Arg::No),
        opt('q', "quiet", Arg::No),
        long("verbose", Arg::No),
        long("debug", Arg::No),
        opt('c', "conf", Arg::Required),
        long("stdoutmsglevel", Arg::Required),
        long("stderrmsglevel", Arg::Required),
        long("logmsglevel", Arg::Required),
        long("extrausers", Arg::No),
    ];
    // Perl's Getopt::Long also takes `-system`.
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.len() > 2 && a.starts_with('-') && !a.starts_with("--") {
                format!("-{a}")
            } else {
                a.clone()
            }
        })
        .collect();
    let parsed = options(name, &args, OPTS)?;
    if let Some(o) = parsed.first_of(&["conf", "encrypt-home", "extrausers"]) {
        return Err(unsupported(format!("`{name} --{o}` is not modelled")));
    }
    let system = parsed.has("system");
    let gid = parsed
        .value("gid")
        .map(|g| id_number(g, "gid"))
        .transpose()?;
    let group_mode = name == "addgroup" || (parsed.has("group") && !system);
    let call = match (group_mode, parsed.operands.as_slice()) {
        (true, [group]) => Call::AddGroup(NewGroup {
            name: group.clone(),
            tool: AccountTool::Adduser,
            system,
            gid,
        }),
        (_, [user, group]) if !system => Call::AddUserToGroup {
            user: user.clone(),
            group: group.clone(),
        },
        (false, [user]) => Call::AddUser(NewUser {
            name: user.clone(),
            tool: AccountTool::Adduser,
            system,
            uid: parsed
                .value("uid")
                .map(|u| id_number(u, "uid"))
                .transpose()?,
            group: parsed
                .value("ingroup")
                .map(str::to_owned)
                .or_else(|| gid.map(|g| g.to_string())),
            user_group: parsed.has("group").then_some(true),
            home: parsed.value("home").map(str::to_owned),
            create_home: parsed.has("no-create-home").then_some(false),
            shell: parsed.value("shell").map(str::to_owned),
            gecos: parsed
                .value("gecos")
                .or_else(|| parsed.value("comment"))
                .map(str::to_owned),
            extra_groups: Vec::new(),
            disabled_password: parsed.has("disabled-password"),
            disabled_login: parsed.has("disabled-login"),
        }),
        _ => {
            return Err(unsupported(format!(
                "this `{name}` command line is not understood"
            )));
        }
    };
    Effect::ok(vec![call])
}

pub(super) fn useradd(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('b', "base-dir", Arg::Required),
        opt('c', "comment", Arg::Required),
        opt('d', "home-dir", Arg::Required),
        opt('D', "defaults", Arg::No),
        opt('e', "expiredate", Arg::Required),
        opt('f', "inactive", Arg::Required),
        opt('F', "add-subids-for-system", Arg::No),
        opt('g', "gid", Arg::Required),
        opt('G', "groups", Arg::Required),
        opt('k', "skel", Arg::Required),
        opt('K', "key", Arg::Required),
        opt('l', "no-log-init", Arg::No),
        opt('m', "create-home", Arg::No),
        opt('M', "no-create-home", Arg::No),
        opt('N', "no-user-group", Arg::No),
        opt('o', "non-unique", Arg::No),
        opt('p', "password", Arg::Required),
        opt('r', "system", Arg::No),
        opt('R', "root", Arg::Required),
        opt('P', "prefix", Arg::Required),
        opt('s', "shell", Arg::Required),
        opt('u', "uid", Arg::Required),
        opt('U', "user-group", Arg::No),
        opt('Z', "selinux-user", Arg::Required),
    ];
    let parsed = options("useradd", args, OPTS)?;
    if let Some(o) = parsed.first_of(&["defaults", "root", "prefix", "base-dir", "skel"]) {
        return Err(unsupported(format!("`useradd --{o}` is not modelled")));
    }
    let [user] = parsed.operands.as_slice() else {
        return Err(unsupported("useradd takes one login name"));
    };
    let user_group = match (parsed.has("user-group"), parsed.has("no-user-group")) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let create_home = match (parsed.has("create-home"), parsed.has("no-create-home")) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    Effect::ok(vec![Call::AddUser(NewUser {
        name: user.clone(),
        tool: AccountTool::Useradd,
        system: parsed.has("system"),
        uid: parsed
            .value("uid")
            .map(|u| id_number(u, "uid"))
            .transpose()?,
        group: parsed.value("gid").map(str::to_owned),
        user_group,
        home: parsed.value("home-dir").map(str::to_owned),
        create_home,
        shell: parsed.value("shell").map(str::to_owned),
        gecos: parsed.value("comment").map(str::to_owned),
        extra_groups: parsed
            .value("groups")
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        disabled_password: false,
        disabled_login: false,
    })])
}

pub(super) fn groupadd(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('f', "force", Arg::No),
        opt('g', "gid", Arg::Required),
        opt('K', "key", Arg::Required),
        opt('o', "non-unique", Arg::No),
        opt('p', "password", Arg::Required),
        opt('r', "system", Arg::No),
        opt('R', "root", Arg::Required),
        opt('P', "prefix", Arg::Required),
        opt('U', "users", Arg::Required),
    ];
    let parsed = options("groupadd", args, OPTS)?;
    if let Some(o) = parsed.first_of(&["root", "prefix", "users"]) {
        return Err(unsupported(format!("`groupadd --{o}` is not modelled")));
    }
    let [group] = parsed.operands.as_slice() else {
        return Err(unsupported("groupadd takes one group name"));
    };
    Effect::ok(vec![Call::AddGroup(NewGroup {
        name: group.clone(),
        tool: AccountTool::Useradd,
        system: parsed.has("system"),
        gid: parsed
            .value("gid")
            .map(|g| id_number(g, "gid"))
            .transpose()?,
    })])
}

pub(super) fn usermod(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('a', "append", Arg::No),
        opt('G', "groups", Arg::Required),
    ];
    let parsed = getopt::parse(args, OPTS).map_err(|o| {
        unsupported(format!(
            "usermod: {o} (only `-a -G GROUPS USER` is modelled)"
        ))
    })?;
    match (
        parsed.has("append"),
        parsed.value("groups"),
        parsed.operands.as_slice(),
    ) {
        (true, Some(groups), [user]) => Effect::ok(
            groups
                .split(',')
                .filter(|g| !g.is_empty())
                .map(|g| Call::AddUserToGroup {
                    user: user.clone(),
                    group: g.to_owned(),
                })
                .collect(),
        ),
        _ => Err(unsupported("only `usermod -a -G GROUPS USER` is modelled")),
    }
}

pub(super) fn gpasswd(args: &[String]) -> Result<Effect, Why> {
    match args {
        [flag, user, group] if flag == "-a" || flag == "--add" => {
            Effect::ok(vec![Call::AddUserToGroup {
                user: user.clone(),
                group: group.clone(),
            }])
        }
        _ => Err(unsupported("only `gpasswd -a USER GROUP` is modelled")),
    }
}
