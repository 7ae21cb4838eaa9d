//! /etc/localtime and /etc/timezone, as tzdata's postinst sets them: the zone from the
//! manifest's `TZ` when the image has it, else `Etc/UTC` (tzdata's non-interactive
//! default). Applies whenever a package ships the zone files.

use crate::effects::{AppliedEffect, EffectContext, EffectOutput};
use crate::error::AssembleError;

const ZONEINFO: &str = "usr/share/zoneinfo";
const DEFAULT_ZONE: &str = "Etc/UTC";

pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let (tree, environment, epoch) = (cx.tree, cx.environment, cx.epoch);
    let EffectOutput { layer, record, .. } = out;
    let zone_file = |zone: &str| format!("{ZONEINFO}/{zone}");
    let Some((default_owner, _)) = tree.get(&zone_file(DEFAULT_ZONE)) else {
        return Ok(());
    };
    // `TZ=:Europe/Paris` is the POSIX spelling of a zone file name.
    let wanted = environment
        .get("TZ")
        .map(|tz| tz.trim_start_matches(':'))
        .filter(|tz| !tz.is_empty() && !tz.contains(".."));
    let (zone, owner) = match wanted.and_then(|tz| tree.get(&zone_file(tz)).map(|(p, _)| (tz, p))) {
        Some(found) => found,
        None => {
            if let Some(tz) = wanted {
                tracing::warn!(
                    tz,
                    "TZ names no zone file of the image; /etc/localtime is {DEFAULT_ZONE}"
                );
            }
            (DEFAULT_ZONE, default_owner)
        }
    };
    layer.add_symlink("etc/localtime", &format!("/{ZONEINFO}/{zone}"), epoch);
    layer.add_file(
        "etc/timezone",
        format!("{zone}\n").into_bytes(),
        0o644,
        epoch,
    );
    record.add(
        owner,
        AppliedEffect {
            effect: "localtime".into(),
            detail: format!("/etc/localtime -> /{ZONEINFO}/{zone}"),
            paths: vec!["/etc/localtime".into(), "/etc/timezone".into()],
        },
    );
    Ok(())
}
