//! xml-core's `update-xmlcatalog`, done natively as the tool does it: each catalog's
//! entries are kept in its data file under `/var/lib/xml-core` (`<KEY><ENTRY>` lines) and
//! the catalog is written whole from them between xml-core's header and footer
//! (`/usr/share/xml-core/catalog.header`, `.footer`), one `<KEY ENTRY/>` line each; the
//! catalog the tool replaced is kept as `CATALOG.old`, as its `create_backup` keeps it.
//! Entries are written in sorted order (the tool sorts with `--sort`, which every
//! debhelper-made call passes; without it the order is Perl's hash order, which no
//! build can reproduce).

use std::collections::BTreeMap;

use aloft_maintscript::Call;

use crate::effects::scripts::rel;
use crate::effects::{AppliedEffect, EffectsRecord, NotApplied, read_image_files};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};
use crate::package::PackageInput;

const HEADER: &str = "usr/share/xml-core/catalog.header";
const FOOTER: &str = "usr/share/xml-core/catalog.footer";

/// One catalog as the calls leave it.
#[derive(Default)]
struct Catalog {
    /// Its data file (an image path).
    data: String,
    /// Key -> entry.
    entries: BTreeMap<String, String>,
    /// The entries as the catalog was last written before the latest write, if it was.
    previous: Option<BTreeMap<String, String>>,
    /// Whether a call wrote it.
    written: bool,
}

/// Applies the `update-xmlcatalog` calls (package, line, call), in script order.
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
    let files = read_image_files(tree, packages, [HEADER.to_owned(), FOOTER.to_owned()])?;
    let (Some(header), Some(footer)) = (files.get(HEADER), files.get(FOOTER)) else {
        for (package, line, call) in calls {
            record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: *line,
                    what: format!("{call:?}"),
                    why: format!("the image has no /{HEADER} and /{FOOTER} (xml-core)"),
                },
            );
        }
        return Ok(());
    };
    let mut catalogs: BTreeMap<String, Catalog> = BTreeMap::new();
    for (package, line, call) in calls {
        let Call::XmlCatalog {
            catalog,
            data,
            key,
            entry,
            add,
            needs,
        } = call
        else {
            continue;
        };
        let not_applied = |record: &mut EffectsRecord, why: String| {
            record.not_applied(
                package,
                NotApplied {
                    at_runtime: false,
                    line: *line,
                    what: format!(
                        "update-xmlcatalog {} {key}",
                        if *add { "--add" } else { "--del" }
                    ),
                    why,
                },
            );
        };
        // `--root --package P` needs P's catalog, which an earlier call writes.
        if let Some(needed) = needs
            && catalogs.get(needed).is_none_or(|c| c.entries.is_empty())
            && tree.get(&rel(needed)).is_none()
        {
            not_applied(
                record,
                format!("the package catalog {needed} is not in the image"),
            );
            continue;
        }
        let state = catalogs.entry(catalog.clone()).or_default();
        state.data.clone_from(data);
        let before = state.entries.clone();
        match (add, state.entries.get(key)) {
            (true, Some(old)) if old != entry => {
                not_applied(
                    record,
                    format!("the entry is registered with a different value: {old}"),
                );
                continue;
            }
            (true, _) => {
                state.entries.insert(key.clone(), entry.clone());
            }
            (false, Some(_)) => {
                state.entries.remove(key);
            }
            (false, None) => {
                not_applied(record, "the entry is not registered".to_owned());
                continue;
            }
        }
        // The tool moves the catalog it replaces to CATALOG.old.
        if state.written {
            state.previous = Some(before);
        }
        state.written = true;
        record.add(
            package,
            AppliedEffect {
                effect: "update-xmlcatalog".into(),
                detail: format!(
                    "line {line}: {} <{key} {entry}/> in {catalog}",
                    if *add { "added" } else { "removed" }
                ),
                paths: vec![catalog.clone(), data.clone()],
            },
        );
    }
    let text = |entries: &BTreeMap<String, String>| {
        let mut out = header.clone();
        for (key, entry) in entries {
            out.extend_from_slice(format!("<{key} {entry}/>\n").as_bytes());
        }
        out.extend_from_slice(footer);
        out
    };
    for (catalog, state) in &catalogs {
        if !state.written {
            continue;
        }
        // An empty catalog and its data file are removed, as the tool removes them.
        if !state.entries.is_empty() {
            layer.add_file(&rel(catalog), text(&state.entries), 0o644, epoch);
            let data: String = state
                .entries
                .iter()
                .map(|(key, entry)| format!("<{key}><{entry}>\n"))
                .collect();
            layer.add_file(&rel(&state.data), data.into_bytes(), 0o644, epoch);
        }
        if let Some(previous) = &state.previous
            && !previous.is_empty()
        {
            layer.add_file(
                &format!("{}.old", rel(catalog)),
                text(previous),
                0o644,
                epoch,
            );
        }
    }
    Ok(())
}
