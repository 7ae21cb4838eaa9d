//! /etc/passwd and /etc/group: base-passwd's masters (what its postinst would copy), plus
//! the manifest's accounts. Passwords stay locked (`*`); no /etc/shadow is written.

use aloft_manifest::Accounts;

use crate::error::AssembleError;

/// Where base-passwd ships its masters.
pub const PASSWD_MASTER: &str = "usr/share/base-passwd/passwd.master";
/// Where base-passwd ships its group master.
pub const GROUP_MASTER: &str = "usr/share/base-passwd/group.master";

/// Used when no package ships base-passwd: just root, and nogroup for nobody.
/// The home of an account that has none (`nobody`, `_apt`): never created.
pub(crate) const NO_HOME: &str = "/nonexistent";

const FALLBACK_PASSWD: &str = "root:*:0:0:root:/root:/usr/sbin/nologin\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const FALLBACK_GROUP: &str = "root:*:0:\nnogroup:*:65534:\n";

/// The account database of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFiles {
    /// /etc/passwd.
    pub passwd: String,
    /// /etc/group.
    pub group: String,
    /// Home directories to create: (path, uid, gid).
    pub homes: Vec<(String, u32, u32)>,
    /// The config `User` (`uid:gid`), from `run-as`.
    pub run_as: Option<String>,
}

/// (name, id) of each line of a passwd or group text; `id_field` is the id's column.
pub(crate) fn ids(text: &str, id_field: usize) -> Vec<(String, u32)> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let id = fields.get(id_field)?.parse().ok()?;
            Some((fields.first()?.to_string(), id))
        })
        .collect()
}

/// Builds the account files from the masters (`None`: no base-passwd) and `accounts`.
pub fn account_files(
    passwd_master: Option<&str>,
    group_master: Option<&str>,
    accounts: &Accounts,
) -> Result<AccountFiles, AssembleError> {
    let mut passwd = passwd_master.unwrap_or(FALLBACK_PASSWD).to_owned();
    let mut group = group_master.unwrap_or(FALLBACK_GROUP).to_owned();
    for text in [&mut passwd, &mut group] {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    }
    let mut groups = ids(&group, 2);
    let mut users = ids(&passwd, 2);
    let clash = |origin: &aloft_manifest::Origin, message: String| AssembleError::Manifest {
        origin: origin.to_string(),
        message,
    };
    for located in &accounts.groups {
        let g = &located.value;
        if let Some((name, gid)) = groups
            .iter()
            .find(|(n, id)| *n == g.groupname || *id == g.gid)
        {
            return Err(clash(
                &located.origin,
                format!(
                    "group `{}` ({}) clashes with the existing group `{name}` ({gid}) from base-passwd",
                    g.groupname, g.gid
                ),
            ));
        }
        group.push_str(&format!(
            "{}:*:{}:{}\n",
            g.groupname,
            g.gid,
            g.members.join(",")
        ));
        groups.push((g.groupname.clone(), g.gid));
    }
    let mut homes = Vec::new();
    for located in &accounts.users {
        let u = &located.value;
        if let Some((name, uid)) = users
            .iter()
            .find(|(n, id)| *n == u.username || *id == u.uid)
        {
            return Err(clash(
                &located.origin,
                format!(
                    "user `{}` ({}) clashes with the existing user `{name}` ({uid})",
                    u.username, u.uid
                ),
            ));
        }
        // A user whose primary group is no group gets one of its own name, as useradd does.
        if !groups.iter().any(|(_, gid)| *gid == u.gid) {
            if groups.iter().any(|(n, _)| *n == u.username) {
                return Err(clash(
                    &located.origin,
                    format!(
                        "user `{}` has gid {}, which is no group, and a group named `{}` exists with another gid: add the group to accounts.groups",
                        u.username, u.gid, u.username
                    ),
                ));
            }
            group.push_str(&format!("{}:*:{}:\n", u.username, u.gid));
            groups.push((u.username.clone(), u.gid));
        }
        passwd.push_str(&format!(
            "{}:*:{}:{}::{}:{}\n",
            u.username, u.uid, u.gid, u.homedir, u.shell
        ));
        users.push((u.username.clone(), u.uid));
        // Debian's home that must not exist (adduser and useradd never make it).
        if u.homedir != NO_HOME {
            homes.push((u.homedir.clone(), u.uid, u.gid));
        }
    }
    let run_as = match &accounts.run_as {
        None => None,
        Some(located) => {
            let wanted = &located.value;
            if let Some(u) = accounts.users.iter().find(|u| u.value.username == *wanted) {
                Some(format!("{}:{}", u.value.uid, u.value.gid))
            } else if let Some((_, uid)) = users.iter().find(|(n, _)| n == wanted) {
                let gid = passwd
                    .lines()
                    .find(|l| l.split(':').next() == Some(wanted))
                    .and_then(|l| l.split(':').nth(3))
                    .unwrap_or("0");
                Some(format!("{uid}:{gid}"))
            } else {
                // A number, or a user a package's scripts make (postgres, redis):
                // `resolve_run_as` settles it once the effects have run.
                Some(wanted.clone())
            }
        }
    };
    Ok(AccountFiles {
        passwd,
        group,
        homes,
        run_as,
    })
}

/// Settles `run-as` against the image's final /etc/passwd: a user that a package's
/// scripts or sysusers.d made becomes its `uid:gid`; numbers stay as they are.
///
/// # Errors
/// When the name is no user of the image.
pub fn resolve_run_as(
    accounts: &mut AccountFiles,
    origin: &aloft_manifest::Origin,
) -> Result<(), AssembleError> {
    let Some(wanted) = accounts.run_as.clone() else {
        return Ok(());
    };
    if wanted.split(':').all(|p| p.parse::<u32>().is_ok()) {
        return Ok(());
    }
    let entry = accounts
        .passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&wanted.as_str()));
    match entry {
        Some(fields) if fields.len() > 3 => {
            accounts.run_as = Some(format!("{}:{}", fields[2], fields[3]));
            Ok(())
        }
        _ => Err(AssembleError::Manifest {
            origin: origin.to_string(),
            message: format!(
                "run-as `{wanted}` is no user of the image: not in accounts.users, base-passwd's \
                 masters, nor made by a package's scripts or sysusers.d"
            ),
        }),
    }
}
