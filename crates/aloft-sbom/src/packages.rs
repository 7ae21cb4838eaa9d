//! [`SbomPackage`]s from what an image holds: the lock's record of each .deb, its
//! control paragraph and its copyright file.

use std::collections::{BTreeMap, BTreeSet};

use aloft_lockfile::LockedPackage;

use crate::SbomPackage;

/// One installed .deb, as the assembler saw it.
#[derive(Debug, Clone, Copy)]
pub struct InstalledDeb<'a> {
    /// Its lock entry.
    pub locked: &'a LockedPackage,
    /// Its `control` paragraph.
    pub control: &'a str,
    /// Its `/usr/share/doc/<name>/copyright`, if it ships one (or its doc directory
    /// links to a package that does).
    pub copyright: Option<&'a str>,
}

/// The control fields the SBOM uses.
#[derive(Default)]
struct ControlFields {
    maintainer: Option<String>,
    homepage: Option<String>,
    summary: Option<String>,
    depends: Vec<String>,
    provides: Vec<String>,
}

fn control_fields(name: &str, control: &str) -> ControlFields {
    let mut out = ControlFields::default();
    let Some(Ok(paragraph)) = aloft_deb::paragraphs(name, control).next() else {
        return out;
    };
    out.maintainer = paragraph.get("Maintainer");
    out.homepage = paragraph.get("Homepage");
    out.summary = paragraph
        .get("Description")
        .and_then(|d| d.lines().next().map(str::to_owned));
    let groups = |field: &str| -> Vec<String> {
        let Some(text) = paragraph.get(field) else {
            return Vec::new();
        };
        let Ok(relations) = aloft_deb::parse_relations(name, field, &text) else {
            return Vec::new();
        };
        // Alternatives are kept together as `a|b`; resolved against the image later.
        relations
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    out.depends = groups("Pre-Depends");
    out.depends.extend(groups("Depends"));
    out.provides = groups("Provides");
    out
}

/// The SBOM view of `debs`, in name order, each with the image's packages it depends
/// on: for every `Depends`/`Pre-Depends` group, the first alternative the image has
/// (by name, else the first package in name order that provides it).
pub fn sbom_packages(debs: &[InstalledDeb<'_>]) -> Vec<SbomPackage> {
    let fields: Vec<ControlFields> = debs
        .iter()
        .map(|deb| control_fields(&deb.locked.name, deb.control))
        .collect();
    let installed: BTreeSet<&str> = debs.iter().map(|d| d.locked.name.as_str()).collect();
    let mut providers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (deb, fields) in debs.iter().zip(&fields) {
        for provided in &fields.provides {
            providers
                .entry(provided.as_str())
                .or_default()
                .insert(deb.locked.name.as_str());
        }
    }
    let mut packages: Vec<SbomPackage> = debs
        .iter()
        .zip(fields.iter())
        .map(|(deb, fields)| {
            let mut depends_on = BTreeSet::new();
            for group in &fields.depends {
                let found = group.split('|').find_map(|alternative| {
                    if installed.contains(alternative) {
                        Some(alternative)
                    } else {
                        providers
                            .get(alternative)
                            .and_then(|p| p.iter().next().copied())
                    }
                });
                if let Some(found) = found.filter(|f| *f != deb.locked.name) {
                    depends_on.insert(found.to_owned());
                }
            }
            let p = deb.locked;
            SbomPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                architecture: p.architecture.clone(),
                source: p.source.clone(),
                source_version: p.source_version.clone(),
                pool_path: p.pool_path.clone(),
                sha256: p.sha256.clone(),
                maintainer: fields.maintainer.clone(),
                homepage: fields.homepage.clone(),
                summary: fields.summary.clone(),
                licenses: deb
                    .copyright
                    .and_then(aloft_deb::copyright_licenses)
                    .map(|c| c.names),
                depends_on: depends_on.into_iter().collect(),
                slice: p.slice.clone(),
            }
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}
