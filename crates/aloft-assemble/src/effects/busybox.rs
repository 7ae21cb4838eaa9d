//! Busybox's applet links, which `busybox --install` would make at run time and Debian's
//! busybox package does not ship: one link `/usr/bin/<applet> -> busybox` per applet
//! that no package already installs (in /usr/bin or /usr/sbin), so a debug image has
//! `sh`, `ls`, `wget`, `id`...
//!
//! The applet names are read from the binary, not run: busybox keeps them as one table of
//! NUL-terminated names, sorted, starting with `[` and `[[`, ending with an empty name.
//! The table is taken only if it looks exactly like that; otherwise nothing is linked and
//! the reason is recorded.

use crate::effects::{AppliedEffect, EffectContext, EffectOutput, NotApplied, read_image_files};
use crate::error::AssembleError;
use crate::package::FileKind;

/// Where Debian's busybox is, as an image path.
const BUSYBOX: &str = "usr/bin/busybox";

/// The applet names in a busybox binary, or why they cannot be read.
pub fn applet_names(binary: &[u8]) -> Result<Vec<String>, String> {
    const START: &[u8] = b"\0[\0[[\0";
    let at = memchr::memmem::find(binary, START).ok_or("no applet table found")?;
    let mut names: Vec<String> = Vec::new();
    let mut rest = &binary[at + 1..];
    loop {
        let end = memchr::memchr(0, rest).ok_or("the applet table has no end")?;
        let name = &rest[..end];
        if name.is_empty() {
            break;
        }
        let valid = name
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"[]_.-".contains(b));
        let name = String::from_utf8_lossy(name).into_owned();
        if !valid || names.last().is_some_and(|last| *last >= name) {
            return Err(format!(
                "the applet table is not a sorted list of names (at `{name}`)"
            ));
        }
        names.push(name);
        rest = &rest[end + 1..];
    }
    if names.len() < 3 {
        return Err("the applet table is too short".into());
    }
    Ok(names)
}

pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, packages, epoch) = (cx.tree, cx.packages, cx.epoch);
    let EffectOutput { layer, record, .. } = out;
    let Some((owner, entry)) = tree.get(BUSYBOX) else {
        return Ok(());
    };
    if !matches!(entry.kind, FileKind::File { .. }) {
        return Ok(());
    }
    let contents = read_image_files(tree, packages, [BUSYBOX.to_owned()])?;
    let Some(binary) = contents.get(BUSYBOX) else {
        return Ok(());
    };
    let names = match applet_names(binary) {
        Ok(names) => names,
        Err(why) => {
            record.not_applied(
                owner,
                NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: "busybox --install".into(),
                    why,
                },
            );
            return Ok(());
        }
    };
    let mut linked = Vec::new();
    for name in names.iter().filter(|n| n.as_str() != "busybox") {
        let taken = ["usr/bin", "usr/sbin"].iter().any(|dir| {
            let path = format!("{dir}/{name}");
            tree.get(&path).is_some() || layer.has(&path)
        });
        if !taken {
            layer.add_symlink(&format!("usr/bin/{name}"), "busybox", epoch);
            linked.push(format!("/usr/bin/{name}"));
        }
    }
    record.add(
        owner,
        AppliedEffect {
            effect: "busybox --install".into(),
            detail: format!(
                "{} of {} applets linked to /usr/bin/busybox (the others are installed by packages)",
                linked.len(),
                names.len()
            ),
            paths: linked,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sorted_table_after_brackets_is_read() {
        let binary = b"\x7fELF junk\0more\0[\0[[\0ash\0ls\0sh\0wget\0\0tail data";
        assert_eq!(
            applet_names(binary).unwrap(),
            ["[", "[[", "ash", "ls", "sh", "wget"]
        );
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(applet_names(b"no table here").is_err());
        assert!(applet_names(b"\0[\0[[\0ls\0ash\0\0").is_err(), "unsorted");
        assert!(
            applet_names(b"\0[\0[[\0ls\0B\xff\0\0").is_err(),
            "not a name"
        );
        assert!(applet_names(b"\0[\0[[\0ls\0sh").is_err(), "no end");
    }
}
