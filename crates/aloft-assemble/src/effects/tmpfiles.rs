//! tmpfiles.d directories, which systemd-tmpfiles would create at boot and which a
//! container never boots to make: `d` and `D` lines of `/usr/lib/tmpfiles.d/*.conf`
//! (a file of the same name in `/etc/tmpfiles.d` replaces it), with their mode and owner
//! (`-`: 0755, root). php-fpm's `/run/php`, for one. `r` and `R` lines (remove at boot)
//! are recorded as applied when the image has no such path. Other line types, and paths
//! with `%` specifiers, are listed as not applied.

use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, EffectsRecord, account_id, config_lines,
};
use crate::error::AssembleError;
use crate::layer_writer::Meta;

/// Where configuration files live, lowest precedence first.
const DIRS: [&str; 2] = ["usr/lib/tmpfiles.d", "etc/tmpfiles.d"];

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
    for line in config_lines(tree, packages, &DIRS)? {
        let fields: Vec<&str> = line.text.split_whitespace().collect();
        let not_applied = |record: &mut EffectsRecord, why: String| {
            record.not_applied(&line.package, line.not_applied(why));
        };
        let kind = fields[0].trim_end_matches(['!', '-', '+', '=', '~', '^']);
        let target = fields.get(1).copied().unwrap_or_default();
        // `r`/`R` remove a path at boot (stale lock files): in a fresh image there is
        // nothing to remove unless a package ships the path.
        if matches!(kind, "r" | "R")
            && target.starts_with('/')
            && !target.contains(['%', '*', '?', '['])
        {
            let image_path = crate::path::image_path(target).ok().flatten();
            let present = image_path
                .as_deref()
                .is_some_and(|path| tree.get(path).is_some() || layer.has(path));
            if present {
                not_applied(
                    record,
                    format!(
                        "the image has `{target}`, which systemd-tmpfiles would remove at boot"
                    ),
                );
            } else {
                record.add(
                    &line.package,
                    AppliedEffect {
                        effect: "tmpfiles.d".into(),
                        detail: format!(
                            "/{}: {} (the image has no such path: nothing to remove)",
                            line.path, line.text
                        ),
                        paths: Vec::new(),
                    },
                );
            }
            continue;
        }
        if !matches!(kind, "d" | "D") {
            not_applied(record, format!("tmpfiles.d type `{kind}` is not applied"));
            continue;
        }
        if target.contains('%') || !target.starts_with('/') {
            not_applied(record, "a path with specifiers, or not absolute".into());
            continue;
        }
        let field = |i: usize| fields.get(i).copied().filter(|f| *f != "-");
        let mode = match field(2).map(|m| u32::from_str_radix(m.trim_start_matches('~'), 8)) {
            None => 0o755,
            Some(Ok(mode)) => mode & 0o7777,
            Some(Err(_)) => {
                not_applied(record, "the mode is not octal".into());
                continue;
            }
        };
        let uid = field(3).map(|u| account_id(&accounts.passwd, u).ok_or(u));
        let gid = field(4).map(|g| account_id(&accounts.group, g).ok_or(g));
        let (uid, gid) = match (uid.transpose(), gid.transpose()) {
            (Ok(uid), Ok(gid)) => (uid.unwrap_or(0), gid.unwrap_or(0)),
            (Err(name), _) | (_, Err(name)) => {
                not_applied(record, format!("no account `{name}` in the image"));
                continue;
            }
        };
        let Ok(Some(image_path)) = crate::path::image_path(target) else {
            continue;
        };
        layer.add_dir(
            &image_path,
            Meta {
                mode,
                uid,
                gid,
                mtime: epoch,
            },
        );
        record.add(
            &line.package,
            AppliedEffect {
                effect: "tmpfiles.d".into(),
                detail: format!("/{}: {}", line.path, line.text),
                paths: vec![target.to_owned()],
            },
        );
    }
    Ok(())
}
