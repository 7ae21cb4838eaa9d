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
    /// The user's own packages (a local repository): a name it has comes from it even
    /// where another repository has a higher version, as an apt pin of 1001 would.
    pub preferred: bool,
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
    pub provides: Option<Relations>,
    pub error: Option<String>,
}

impl Candidate {
    pub(crate) fn version(&self) -> Result<&Version, ResolveError> {
        self.version
            .get_or_init(|| parse_version(self.package.version()).ok())
            .as_ref()
            .ok_or_else(|| ResolveError::BadIndex {
                package: self.package.name().to_owned(),
                reason: format!("invalid version `{}`", self.package.version()),
            })
    }

    pub(crate) fn relations(&self) -> Result<&ParsedRelations, ResolveError> {
        let parsed = self.relations.get_or_init(|| {
            let p = &self.package;
            let mut out = ParsedRelations::default();
            let mut parse = |field: &str, text: Option<&str>| match text {
                Some(text) => match parse_relations(p.name(), field, text) {
                    Ok(rels) => Some(rels),
                    Err(err) => {
                        out.error.get_or_insert(err.to_string());
                        None
                    }
                },
                None => None,
            };
            let pre_depends = parse("Pre-Depends", p.pre_depends());
            let depends = parse("Depends", p.depends());
            let conflicts = parse("Conflicts", p.conflicts());
            let breaks = parse("Breaks", p.breaks());
            let provides = parse("Provides", p.provides());
            ParsedRelations {
                pre_depends,
                depends,
                conflicts,
                breaks,
                provides,
                error: out.error,
            }
        });
        match &parsed.error {
            Some(reason) => Err(ResolveError::BadIndex {
                package: self.package.name().to_owned(),
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
    /// Hash of a package name -> its first candidate; `next_by_name` chains the others
    /// (and any whose name hashes alike) in repository order. No allocation per package,
    /// which a `HashMap<String, Vec<usize>>` of ~70,000 names costs.
    by_name: HashMap<u64, usize>,
    next_by_name: Vec<usize>,
    /// Provided name -> the candidates whose Provides name it (found by a cheap scan;
    /// [`Universe::provisions`] parses the versions when a name is looked up).
    pub providers: HashMap<String, Vec<usize>>,
    pub repositories: Vec<RepoInfo>,
}

pub(crate) struct RepoInfo {
    pub name: String,
    pub suite: String,
    pub codename: Option<String>,
    pub preferred: bool,
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
                preferred: repo.preferred,
            });
            for package in repo.packages {
                // A Packages file of another arch could be misconfigured in; only native and `all` install.
                if package.architecture() != arch && package.architecture() != "all" {
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
        let mut by_name: HashMap<u64, usize> = HashMap::with_capacity(candidates.len());
        let mut next_by_name = vec![usize::MAX; candidates.len()];
        // Backwards, so that each chain ends up in candidate (repository) order.
        for index in (0..candidates.len()).rev() {
            let key = name_hash(candidates[index].package.name());
            if let Some(previous) = by_name.insert(key, index) {
                next_by_name[index] = previous;
            }
        }
        let mut providers: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, candidate) in candidates.iter().enumerate() {
            // Only the names: parsing every Provides of ~70,000 packages (and the
            // versions in them) costs more than the few lookups a resolution makes.
            if let Some(text) = &candidate.package.provides() {
                for item in text.split(',') {
                    let name = item
                        .trim()
                        .split(|c: char| c.is_whitespace() || c == '(' || c == ':')
                        .next()
                        .unwrap_or_default();
                    if !name.is_empty() {
                        let list = providers.entry(name.to_owned()).or_default();
                        if list.last() != Some(&index) {
                            list.push(index);
                        }
                    }
                }
            }
        }
        Ok(Universe {
            arch: arch.to_owned(),
            candidates,
            by_name,
            next_by_name,
            providers,
            repositories,
        })
    }

    /// The candidates providing `name`, with the version each provides it at.
    pub(crate) fn provisions(&self, name: &str) -> Result<Vec<Provision>, ResolveError> {
        let mut out = Vec::new();
        for &index in self.providers.get(name).into_iter().flatten() {
            let relations = self.candidates[index].relations()?;
            for group in relations.provides.iter().flat_map(|r| r.iter()) {
                for rel in group.iter().filter(|rel| rel.name == name) {
                    out.push(Provision {
                        candidate: index,
                        version: rel.version.as_ref().map(|(_, v)| Version::from(v.clone())),
                    });
                }
            }
        }
        Ok(out)
    }

    fn name_of(&self, index: usize) -> &str {
        self.candidates[index].package.name()
    }

    /// The candidates named `name`, in repository order.
    pub(crate) fn named(&self, name: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let mut next = self.by_name.get(&name_hash(name)).copied();
        while let Some(index) = next.filter(|&i| i != usize::MAX) {
            if self.name_of(index) == name {
                out.push(index);
            }
            next = self.next_by_name.get(index).copied();
        }
        out
    }

    /// Whether a real package is named `name`.
    pub(crate) fn has_package(&self, name: &str) -> bool {
        !self.named(name).is_empty()
    }

    /// Every name a user could ask for (real and virtual), for "did you mean".
    pub(crate) fn all_names(&self) -> impl Iterator<Item = &str> {
        self.candidates
            .iter()
            .map(|c| c.package.name())
            .chain(self.providers.keys().map(String::as_str))
    }
}

/// The hash `by_name` is keyed on (collisions are told apart by comparing names).
fn name_hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name)
}

/// Parses `version`, for callers outside this module.
pub(crate) fn version_of(text: &str) -> Option<Version> {
    parse_version(text).ok()
}
