//! The packages one architecture can install: every repository's Packages for that arch,
//! indexed by name and by what they provide.

use std::collections::HashMap;
use std::sync::OnceLock;

use aloft_deb::{BinaryPackage, Relations, Version, parse_relations, parse_version};

use crate::ResolveError;

/// The packages of one repository for one architecture, as read from its indexes.
#[derive(Debug, Clone)]
pub struct RepositoryPackages {
    /// The repository's name (as in the manifest and lockfile).
    pub repository: String,
    /// Its suite as written in the manifest (for `name/suite` requests).
    pub suite: String,
    /// Its Release `Codename` (also accepted for `name/suite`).
    pub codename: Option<String>,
    /// Every package of every component, arch-specific and `all`.
    pub packages: Vec<BinaryPackage>,
}

/// One installable package version, with lazily parsed fields.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub package: BinaryPackage,
    /// Index of its repository in manifest order (earlier wins ties).
    pub repo: usize,
    version: OnceLock<Option<Version>>,
    relations: OnceLock<ParsedRelations>,
}

#[derive(Debug, Default)]
pub(crate) struct ParsedRelations {
    pub pre_depends: Option<Relations>,
    pub depends: Option<Relations>,
    pub conflicts: Option<Relations>,
    pub breaks: Option<Relations>,
    pub error: Option<String>,
}

impl Candidate {
    pub(crate) fn version(&self) -> Result<&Version, ResolveError> {
        self.version
            .get_or_init(|| parse_version(&self.package.version).ok())
            .as_ref()
            .ok_or_else(|| ResolveError::BadIndex {
                package: self.package.name.clone(),
                reason: format!("invalid version `{}`", self.package.version),
            })
    }

    pub(crate) fn relations(&self) -> Result<&ParsedRelations, ResolveError> {
        let parsed = self.relations.get_or_init(|| {
            let p = &self.package;
            let mut out = ParsedRelations::default();
            let mut parse = |field: &str, text: &Option<String>| match text {
                Some(text) => match parse_relations(&p.name, field, text) {
                    Ok(rels) => Some(rels),
                    Err(err) => {
                        out.error.get_or_insert(err.to_string());
                        None
                    }
                },
                None => None,
            };
            let pre_depends = parse("Pre-Depends", &p.pre_depends);
            let depends = parse("Depends", &p.depends);
            let conflicts = parse("Conflicts", &p.conflicts);
            let breaks = parse("Breaks", &p.breaks);
            ParsedRelations {
                pre_depends,
                depends,
                conflicts,
                breaks,
                error: out.error,
            }
        });
        match &parsed.error {
            Some(reason) => Err(ResolveError::BadIndex {
                package: self.package.name.clone(),
                reason: reason.clone(),
            }),
            None => Ok(parsed),
        }
    }
}

/// A provided name: which candidate provides it, with which version (versioned Provides).
#[derive(Debug, Clone)]
pub(crate) struct Provision {
    pub candidate: usize,
    pub version: Option<Version>,
}

/// Every candidate of one architecture.
pub(crate) struct Universe {
    pub arch: String,
    pub candidates: Vec<Candidate>,
    pub by_name: HashMap<String, Vec<usize>>,
    pub providers: HashMap<String, Vec<Provision>>,
    pub repositories: Vec<RepoInfo>,
}

pub(crate) struct RepoInfo {
    pub name: String,
    pub suite: String,
    pub codename: Option<String>,
}

impl Universe {
    pub(crate) fn new(
        arch: &str,
        repos: Vec<RepositoryPackages>,
    ) -> Result<Universe, ResolveError> {
        let mut candidates = Vec::new();
        let mut repositories = Vec::new();
        for (repo_index, repo) in repos.into_iter().enumerate() {
            repositories.push(RepoInfo {
                name: repo.repository,
                suite: repo.suite,
                codename: repo.codename,
            });
            for package in repo.packages {
                // A Packages file of another arch could be misconfigured in; only native and `all` install.
                if package.architecture != arch && package.architecture != "all" {
                    continue;
                }
                candidates.push(Candidate {
                    package,
                    repo: repo_index,
                    version: OnceLock::new(),
                    relations: OnceLock::new(),
                });
            }
        }
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(candidates.len());
        let mut providers: HashMap<String, Vec<Provision>> = HashMap::new();
        for (index, candidate) in candidates.iter().enumerate() {
            by_name
                .entry(candidate.package.name.clone())
                .or_default()
                .push(index);
            if let Some(text) = &candidate.package.provides {
                let rels =
                    parse_relations(&candidate.package.name, "Provides", text).map_err(|err| {
                        ResolveError::BadIndex {
                            package: candidate.package.name.clone(),
                            reason: err.to_string(),
                        }
                    })?;
                for group in rels.iter() {
                    for rel in group {
                        providers
                            .entry(rel.name.clone())
                            .or_default()
                            .push(Provision {
                                candidate: index,
                                version: rel
                                    .version
                                    .as_ref()
                                    .map(|(_, v)| Version::from(v.clone())),
                            });
                    }
                }
            }
        }
        Ok(Universe {
            arch: arch.to_owned(),
            candidates,
            by_name,
            providers,
            repositories,
        })
    }

    /// Every name a user could ask for (real and virtual), for "did you mean".
    pub(crate) fn all_names(&self) -> impl Iterator<Item = &str> {
        self.by_name
            .keys()
            .chain(self.providers.keys())
            .map(String::as_str)
    }
}

/// Parses `version`, for callers outside this module.
pub(crate) fn version_of(text: &str) -> Option<Version> {
    parse_version(text).ok()
}
