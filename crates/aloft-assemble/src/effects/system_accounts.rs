//! System users and groups that packages ask for: sysusers.d lines (`u`, `g`, `m`) and the
//! `adduser`/`useradd`/`groupadd`/`usermod -a -G` calls of their postinst scripts, added
//! to the image's /etc/passwd and /etc/group before any script's `chown` needs them.
//!
//! Ids are allocated deterministically, as Debian's adduser and systemd-sysusers do on a
//! fresh system: system ids from 999 down to 100 (a user and its own group share one id
//! when both are free), other users from 1000 up. sysusers.d files are applied first
//! (sorted by name, `/etc/sysusers.d` replacing `/usr/lib/sysusers.d`), then the scripts
//! in package-name order, so the same packages always get the same ids.

use aloft_maintscript::{AccountTool, NewGroup, NewUser};

use crate::accounts::{AccountFiles, ids};
use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, EffectsRecord, NotApplied, account_id, config_lines,
};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};
use crate::layer_writer::Meta;

/// Where sysusers.d files live, lowest precedence first.
const SYSUSERS_DIRS: [&str; 2] = ["usr/lib/sysusers.d", "etc/sysusers.d"];
const FIRST_SYSTEM_ID: u32 = 100;
const LAST_SYSTEM_ID: u32 = 999;
const FIRST_USER_ID: u32 = 1000;
const NOGROUP: u32 = 65534;

/// The account database while packages add to it.
pub(crate) struct AccountDb<'a> {
    accounts: &'a mut AccountFiles,
    /// Home directories of added users, to make: (image path, uid, gid).
    homes: Vec<(String, u32, u32)>,
    changed: bool,
    /// `pwconv` was run: /etc/shadow is written (and `grpconv`: /etc/gshadow).
    shadow: bool,
    gshadow: bool,
}

/// A user that was added, and the home directory to make if it is to be created.
struct Added {
    uid: u32,
    gid: u32,
    home: Option<String>,
}

impl<'a> AccountDb<'a> {
    pub(super) fn new(accounts: &'a mut AccountFiles) -> AccountDb<'a> {
        AccountDb {
            accounts,
            homes: Vec::new(),
            changed: false,
            shadow: false,
            gshadow: false,
        }
    }

    /// Shadow passwords on (`pwconv`, or `grpconv` with `groups`): written with the
    /// account files, as shadowconfig's own chrootless path writes them.
    pub(super) fn shadow_on(&mut self, groups: bool) {
        if groups {
            self.gshadow = true;
        } else {
            self.shadow = true;
        }
        self.changed = true;
    }

    /// Whether aloft writes the image path `path` with the accounts (the account files,
    /// and the shadow files once asked for).
    pub(super) fn writes(&self, path: &str) -> bool {
        match path {
            "etc/passwd" | "etc/group" => true,
            "etc/shadow" => self.shadow,
            "etc/gshadow" => self.gshadow,
            _ => false,
        }
    }

    /// The passwd database text.
    pub(super) fn passwd(&self) -> &str {
        &self.accounts.passwd
    }

    /// The group database text.
    pub(super) fn group_text(&self) -> &str {
        &self.accounts.group
    }

    /// The account files as they are now.
    pub(super) fn files(&self) -> &AccountFiles {
        self.accounts
    }

    /// Writes /etc/passwd and /etc/group when packages added to them, and the new users'
    /// home directories that no package ships.
    fn write(&mut self, layer: &mut FinalLayer, tree: &InstalledTree<'_>, epoch: u64) {
        if !std::mem::take(&mut self.changed) {
            return;
        }
        // What pwconv and grpconv make (shadowconfig's chrootless path, "bit-by-bit
        // identical"): a `*` password becomes `x` and moves to the shadow file, every
        // account `*` there, last changed on the build's day.
        let shadow_gid = account_id(&self.accounts.group, "shadow").unwrap_or(0);
        let shadow_meta = Meta {
            mode: 0o640,
            uid: 0,
            gid: shadow_gid,
            mtime: epoch,
        };
        if self.shadow {
            let days = epoch / 86_400;
            let shadow: String = names(&self.accounts.passwd)
                .map(|name| format!("{name}:*:{days}:0:99999:7:::\n"))
                .collect();
            self.accounts.passwd = star_to_x(&self.accounts.passwd);
            layer.add_file("etc/shadow", shadow.into_bytes(), 0o640, epoch);
            layer.set_meta("etc/shadow", shadow_meta);
        }
        if self.gshadow {
            let gshadow: String = names(&self.accounts.group)
                .map(|name| format!("{name}:*::\n"))
                .collect();
            self.accounts.group = star_to_x(&self.accounts.group);
            layer.add_file("etc/gshadow", gshadow.into_bytes(), 0o640, epoch);
            layer.set_meta("etc/gshadow", shadow_meta);
        }
        layer.add_file(
            "etc/passwd",
            self.accounts.passwd.clone().into_bytes(),
            0o644,
            epoch,
        );
        layer.add_file(
            "etc/group",
            self.accounts.group.clone().into_bytes(),
            0o644,
            epoch,
        );
        for (home, uid, gid) in std::mem::take(&mut self.homes) {
            if let Ok(Some(path)) = crate::path::image_path(&home)
                && tree.get(&path).is_none()
                && !layer.has(&path)
            {
                let meta = Meta {
                    mode: 0o755,
                    uid: u64::from(uid),
                    gid: u64::from(gid),
                    mtime: epoch,
                };
                layer.add_dir(&path, meta);
            }
        }
    }

    fn user(&self, name: &str) -> Option<u32> {
        ids(&self.accounts.passwd, 2)
            .into_iter()
            .find_map(|(n, id)| (n == name).then_some(id))
    }

    fn group(&self, name: &str) -> Option<u32> {
        ids(&self.accounts.group, 2)
            .into_iter()
            .find_map(|(n, id)| (n == name).then_some(id))
    }

    fn uid_free(&self, id: u32) -> bool {
        !ids(&self.accounts.passwd, 2).iter().any(|(_, u)| *u == id)
    }

    fn gid_free(&self, id: u32) -> bool {
        !ids(&self.accounts.group, 2).iter().any(|(_, g)| *g == id)
    }

    /// The highest free system id; with `pair`, free as a uid and as a gid.
    fn system_id(&self, user: bool, group: bool) -> Option<u32> {
        (FIRST_SYSTEM_ID..=LAST_SYSTEM_ID)
            .rev()
            .find(|id| (!user || self.uid_free(*id)) && (!group || self.gid_free(*id)))
    }

    fn push_group(&mut self, name: &str, gid: u32) {
        self.changed = true;
        self.accounts.group.push_str(&format!("{name}:*:{gid}:\n"));
    }

    /// Adds group `name` (no-op when it exists); the gid used.
    fn add_group(&mut self, name: &str, gid: Option<u32>, system: bool) -> Result<u32, String> {
        if let Some(existing) = self.group(name) {
            return Ok(existing);
        }
        let gid = match gid {
            Some(gid) if !self.gid_free(gid) => {
                return Err(format!("gid {gid} for group `{name}` is taken"));
            }
            Some(gid) => gid,
            None if system => self
                .system_id(false, true)
                .ok_or_else(|| format!("no free system gid for group `{name}`"))?,
            None => (FIRST_USER_ID..NOGROUP)
                .find(|id| self.gid_free(*id))
                .ok_or_else(|| format!("no free gid for group `{name}`"))?,
        };
        self.push_group(name, gid);
        Ok(gid)
    }

    /// Adds `user` (no-op when the name exists: the scripts run `adduser` on every
    /// configure and it succeeds for an existing system user).
    fn add_user(&mut self, user: &NewUser) -> Result<Option<Added>, String> {
        if self.user(&user.name).is_some() {
            return Ok(None);
        }
        let adduser = user.tool == AccountTool::Adduser;
        // adduser --system puts a user without --group in nogroup; useradd makes a user
        // group unless told not to (USERGROUPS_ENAB yes); adduser without --system does.
        let own_group = match (user.group.as_deref(), user.user_group) {
            (Some(_), _) => false,
            (None, Some(flag)) => flag,
            (None, None) => !(adduser && user.system),
        };
        let uid = match user.uid {
            Some(uid) if !self.uid_free(uid) => {
                return Err(format!("uid {uid} for user `{}` is taken", user.name));
            }
            Some(uid) => uid,
            None if user.system => self
                .system_id(true, own_group && self.group(&user.name).is_none())
                .or_else(|| self.system_id(true, false))
                .ok_or_else(|| format!("no free system uid for user `{}`", user.name))?,
            None => (FIRST_USER_ID..NOGROUP)
                .find(|id| self.uid_free(*id) && (!own_group || self.gid_free(*id)))
                .ok_or_else(|| format!("no free uid for user `{}`", user.name))?,
        };
        let gid = match (user.group.as_deref(), own_group) {
            (Some(group), _) => match group.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => self
                    .group(group)
                    .ok_or_else(|| format!("no group `{group}` in the image"))?,
            },
            (None, true) => {
                let wanted = self.gid_free(uid).then_some(uid);
                self.add_group(&user.name, wanted, user.system)?
            }
            (None, false) => NOGROUP,
        };
        for extra in &user.extra_groups {
            self.add_member(&user.name, extra)?;
        }
        let default_home = if adduser && user.system {
            crate::accounts::NO_HOME.to_owned()
        } else {
            format!("/home/{}", user.name)
        };
        let home = user.home.clone().unwrap_or(default_home);
        let shell = user.shell.clone().unwrap_or_else(|| {
            if adduser && user.system {
                "/usr/sbin/nologin".into()
            } else if adduser {
                "/bin/bash".into()
            } else {
                // useradd's default: an empty field, which login reads as /bin/sh.
                String::new()
            }
        });
        let gecos = user.gecos.clone().unwrap_or_default();
        self.changed = true;
        self.accounts.passwd.push_str(&format!(
            "{}:*:{uid}:{gid}:{gecos}:{home}:{shell}\n",
            user.name
        ));
        // adduser creates the home unless --no-create-home (or it is /nonexistent);
        // useradd -r only with -m, useradd without -r when login.defs says so (Debian: no).
        let create = match (user.tool, user.create_home) {
            (_, Some(flag)) => flag,
            (AccountTool::Adduser, None) => true,
            (AccountTool::Useradd, None) => false,
        };
        let home = (create && home != crate::accounts::NO_HOME).then_some(home);
        Ok(Some(Added { uid, gid, home }))
    }

    /// Adds `user` to the member list of `group`.
    fn add_member(&mut self, user: &str, group: &str) -> Result<(), String> {
        let mut found = false;
        let lines: Vec<String> = self
            .accounts
            .group
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                if fields.first() != Some(&group) || fields.len() < 4 {
                    return line.to_owned();
                }
                found = true;
                let mut members: Vec<&str> =
                    fields[3].split(',').filter(|m| !m.is_empty()).collect();
                if !members.contains(&user) {
                    members.push(user);
                }
                format!(
                    "{}:{}:{}:{}",
                    fields[0],
                    fields[1],
                    fields[2],
                    members.join(",")
                )
            })
            .collect();
        if !found {
            return Err(format!("no group `{group}` in the image"));
        }
        self.changed = true;
        self.accounts.group = lines.join("\n") + "\n";
        Ok(())
    }
}

/// What a package asks for.
pub(super) enum AccountRequest {
    User(NewUser),
    Group(NewGroup),
    Member { user: String, group: String },
}

/// Applies `request` of `package` (script `line`; 0 for sysusers.d) to `db`.
pub(super) fn apply_request(
    db: &mut AccountDb<'_>,
    package: &str,
    line: usize,
    request: &AccountRequest,
    record: &mut EffectsRecord,
) {
    let (effect, outcome) = match request {
        AccountRequest::User(user) => (
            "add user",
            db.add_user(user).map(|added| {
                let added = added?;
                if let Some(home) = &added.home {
                    db.homes.push((home.clone(), added.uid, added.gid));
                }
                Some(format!("{} {}:{}", user.name, added.uid, added.gid))
            }),
        ),
        AccountRequest::Group(group) => {
            let existed = db.group(&group.name).is_some();
            (
                "add group",
                db.add_group(&group.name, group.gid, group.system)
                    .map(|gid| (!existed).then(|| format!("{} {gid}", group.name))),
            )
        }
        AccountRequest::Member { user, group } => (
            "add to group",
            db.add_member(user, group)
                .map(|()| Some(format!("{user} in {group}"))),
        ),
    };
    match outcome {
        Ok(Some(detail)) => record.add(
            package,
            AppliedEffect {
                effect: effect.into(),
                detail,
                paths: vec!["/etc/passwd".into(), "/etc/group".into()],
            },
        ),
        Ok(None) => {}
        Err(why) => record.not_applied(
            package,
            NotApplied {
                at_runtime: false,
                line,
                what: effect.into(),
                why,
            },
        ),
    }
}

/// One sysusers.d line as a request; `Err` says why it is not applied.
fn sysusers_line(line: &str) -> Result<Option<AccountRequest>, String> {
    let fields = split_quoted(line);
    let field = |i: usize| {
        fields
            .get(i)
            .map(String::as_str)
            .filter(|f| *f != "-" && !f.is_empty())
    };
    let Some(kind) = field(0) else {
        return Ok(None);
    };
    // Ranges only steer allocation; aloft's range is fixed.
    if kind == "r" {
        return Ok(None);
    }
    let name = field(1).ok_or("no name")?.to_owned();
    if name.contains('%') {
        return Err("`%` specifiers are not expanded".into());
    }
    let number = |text: &str| {
        text.parse::<u32>()
            .map_err(|_| format!("id `{text}` is not a number"))
    };
    match kind {
        "u" | "u!" => {
            let (uid, group) = match field(2) {
                None => (None, None),
                Some(id) if id.starts_with('/') => {
                    return Err(format!("ids taken from a file (`{id}`) are not supported"));
                }
                Some(id) => match id.split_once(':') {
                    Some((uid, gid)) => (Some(number(uid)?), Some(gid.to_owned())),
                    None => (Some(number(id)?), None),
                },
            };
            Ok(Some(AccountRequest::User(NewUser {
                name,
                tool: AccountTool::Useradd,
                system: true,
                uid,
                user_group: Some(group.is_none()),
                group,
                home: Some(field(4).unwrap_or("/").to_owned()),
                create_home: Some(false),
                shell: Some(field(5).unwrap_or("/usr/sbin/nologin").to_owned()),
                gecos: field(3).map(str::to_owned),
                extra_groups: Vec::new(),
                disabled_password: true,
                disabled_login: true,
            })))
        }
        "g" => Ok(Some(AccountRequest::Group(NewGroup {
            name,
            tool: AccountTool::Useradd,
            system: true,
            gid: field(2).map(number).transpose()?,
        }))),
        "m" => Ok(Some(AccountRequest::Member {
            user: name,
            group: field(2).ok_or("no group")?.to_owned(),
        })),
        other => Err(format!("line type `{other}` is not supported")),
    }
}

/// Splits a sysusers.d line into fields; double-quoted fields keep their spaces.
fn split_quoted(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut field = String::new();
        if c == '"' {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                field.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
    }
    fields
}

/// The account names of a passwd or group text, in order.
fn names(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter_map(|line| line.split(':').next())
        .filter(|name| !name.is_empty())
}

/// `name:*:...` -> `name:x:...` on every line (`sed 's/^\([^:]\+\):\*:/\1:x:/'`).
fn star_to_x(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(":*:") {
            Some((name, rest)) if !name.is_empty() && !name.contains(':') => {
                format!("{name}:x:{rest}\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Applies the sysusers.d files of the image.
/// Writes /etc/passwd, /etc/group and the new users' homes once the packages' sysusers.d
/// files and scripts have added their accounts.
pub(super) fn write_accounts(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    out.accounts.write(out.layer, cx.tree, cx.epoch);
    Ok(())
}

pub(super) fn apply_sysusers(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, packages) = (cx.tree, cx.packages);
    let EffectOutput {
        accounts: db,
        record,
        ..
    } = out;
    for line in config_lines(tree, packages, &SYSUSERS_DIRS)? {
        match sysusers_line(&line.text) {
            Ok(Some(request)) => apply_request(db, &line.package, line.number, &request, record),
            Ok(None) => {}
            Err(why) => record.not_applied(&line.package, line.not_applied(why)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> AccountFiles {
        AccountFiles {
            passwd:
                "root:*:0:0:root:/root:/bin/sh\nsystemd-network:*:998:998::/:/usr/sbin/nologin\n"
                    .into(),
            group: "root:*:0:\nsystemd-network:*:998:\nadm:*:4:\nnogroup:*:65534:\n".into(),
            homes: Vec::new(),
            run_as: None,
        }
    }

    fn system_user(name: &str, group: bool) -> NewUser {
        NewUser {
            name: name.into(),
            tool: AccountTool::Adduser,
            system: true,
            uid: None,
            group: None,
            user_group: group.then_some(true),
            home: Some(format!("/var/lib/{name}")),
            create_home: None,
            shell: None,
            gecos: Some("Caddy web server".into()),
            extra_groups: Vec::new(),
            disabled_password: true,
            disabled_login: false,
        }
    }

    #[test]
    fn system_ids_count_down_from_999_and_pair_user_and_group() {
        let mut accounts = files();
        let mut db = AccountDb::new(&mut accounts);
        let added = db.add_user(&system_user("caddy", true)).unwrap().unwrap();
        assert_eq!((added.uid, added.gid), (999, 999));
        assert_eq!(added.home.as_deref(), Some("/var/lib/caddy"));
        // 998 is taken as a uid and a gid: the next pair is 997.
        let added = db.add_user(&system_user("redis", true)).unwrap().unwrap();
        assert_eq!((added.uid, added.gid), (997, 997));
        // Without --group: nogroup.
        let added = db.add_user(&system_user("lone", false)).unwrap().unwrap();
        assert_eq!((added.uid, added.gid), (996, NOGROUP));
        // Again: a no-op.
        assert!(db.add_user(&system_user("caddy", true)).unwrap().is_none());
        db.add_member("caddy", "adm").unwrap();
        assert!(
            accounts
                .passwd
                .contains("caddy:*:999:999:Caddy web server:/var/lib/caddy:/usr/sbin/nologin\n")
        );
        assert!(accounts.group.contains("caddy:*:999:\n"));
        assert!(accounts.group.contains("adm:*:4:caddy\n"));
    }

    #[test]
    fn sysusers_lines_become_requests() {
        let mut accounts = files();
        let mut db = AccountDb::new(&mut accounts);
        let request = sysusers_line(r#"u  _apt  -  "APT user" /nonexistent"#).unwrap();
        let Some(AccountRequest::User(user)) = request else {
            panic!("not a user")
        };
        let added = db.add_user(&user).unwrap().unwrap();
        assert_eq!((added.uid, added.gid), (999, 999));
        assert!(added.home.is_none());
        assert!(
            accounts
                .passwd
                .contains("_apt:*:999:999:APT user:/nonexistent:/usr/sbin/nologin\n")
        );
        assert!(matches!(
            sysusers_line("g input 101"),
            Ok(Some(AccountRequest::Group(NewGroup { gid: Some(101), .. })))
        ));
        assert!(sysusers_line("u foo /etc/foo").is_err());
        assert!(sysusers_line("x foo").is_err());
        assert!(matches!(sysusers_line("r - 500-900"), Ok(None)));
    }
}
