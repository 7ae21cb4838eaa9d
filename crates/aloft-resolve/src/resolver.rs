//! The dependency closure of one architecture, chosen the way apt chooses.
//!
//! - Every requested package is marked first, then dependencies are followed depth-first
//!   (Pre-Depends, then Depends, in field order), as `apt-get install` does.
//! - A dependency group already satisfied by a marked package (directly or through
//!   Provides) needs nothing more: `systemd | systemd-tmpfiles` is satisfied when
//!   `systemd-standalone-tmpfiles` was asked for.
//! - Otherwise the first alternative whose candidate satisfies the relation wins; a
//!   virtual name goes to its providers ordered as apt's `CompareProviders` (essential,
//!   priority), then by name for determinism.
//! - One candidate per name: the highest version across repositories (earlier repository
//!   on ties; a local repository's package before any other, as apt pins at 1001), or the `name=version` / `name/suite` pin, or the version already locked
//!   unless it is being upgraded. Recommends are not followed.
//! - `Conflicts` and `Breaks` inside the closure are errors; alternatives that would
//!   conflict with what is marked are skipped when another alternative works.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aloft_deb::{
    BinaryPackage, MultiArch, Relation, Version, constraint_allows, constraint_operator,
};
use aloft_lockfile::LockedPackage;
use aloft_manifest::{PackageRequest, Slice};

use crate::universe::{Candidate, RepositoryPackages, Universe, version_of};
use crate::{DependencyGraph, ResolveError, script_only};

/// What to resolve for one architecture.
#[derive(Debug, Clone, Default)]
pub struct ResolveRequest {
    /// Requested packages, in manifest order.
    pub packages: Vec<PackageRequest>,
    /// Names never installed.
    pub exclude: Vec<String>,
    /// Versions to keep (from an existing lock), by package name.
    pub preferences: HashMap<String, String>,
    /// Names whose preference is ignored (`--upgrade-package`).
    pub upgrade: HashSet<String>,
    /// Packages of which the image keeps only some paths: each is locked without its
    /// dependencies, unless the closure needs it whole anyway.
    pub slices: Vec<Slice>,
    /// Slices made when the closure holds a package (`libc6` -> libc-bin's C.UTF-8),
    /// unless it holds the sliced package whole; skipped when no repository has it.
    pub slices_if_installed: Vec<(String, Slice)>,
}

/// Resolves `request` for `arch` against `repositories` (manifest order).
pub fn resolve_arch(
    arch: &str,
    repositories: Vec<RepositoryPackages>,
    request: &ResolveRequest,
) -> Result<Vec<LockedPackage>, ResolveError> {
    let universe = Universe::new(arch, repositories)?;
    let mut upgrade = request.upgrade.clone();
    // A locked version that a newly needed relation rejects is upgraded, then we start over.
    loop {
        let outcome = {
            let mut state = State::new(&universe, request, &upgrade);
            match state.run(request)? {
                Outcome::Done => return state.locked_with_left_out(),
                Outcome::Upgrade(name) => name,
            }
        };
        tracing::debug!(package = %outcome, "locked version does not satisfy a dependency; upgrading it");
        // `choose` only asks for names not yet upgraded, so this terminates.
        upgrade.insert(outcome);
    }
}

/// A `Conflicts` or `Breaks` field: its name and groups.
type Declared<'u> = (&'static str, Vec<Vec<&'u Relation>>);

enum Outcome {
    Done,
    Upgrade(String),
}

enum Choice {
    Chosen(usize),
    /// Every alternative is excluded: the dependency is dropped, as the user asked.
    Excluded,
    Unsatisfiable(String),
    Upgrade(String),
}

struct State<'u> {
    u: &'u Universe,
    selected: HashMap<String, usize>,
    order: Vec<usize>,
    parent: HashMap<String, String>,
    pinned: HashMap<String, usize>,
    excluded: HashSet<String>,
    preferences: &'u HashMap<String, String>,
    upgrade: &'u HashSet<String>,
    /// The requested packages, as marked.
    roots: Vec<usize>,
    /// Packages marked as slices (not whole), with the paths kept.
    sliced: BTreeMap<String, Vec<String>>,
    /// Slices made because the closure holds a package, by name, with that package.
    implied: BTreeMap<String, String>,
}

fn priority_rank(priority: Option<&str>) -> u8 {
    match priority {
        Some("required") => 0,
        Some("important") => 1,
        Some("standard") => 2,
        Some("optional") => 3,
        Some("extra") => 4,
        _ => 5,
    }
}

fn relation_text(rel: &Relation) -> String {
    let mut text = rel.name.clone();
    if let Some(q) = &rel.archqual {
        text.push(':');
        text.push_str(q);
    }
    if let Some((op, version)) = &rel.version {
        text.push_str(&format!(" ({} {})", constraint_operator(op), version));
    }
    text
}

fn group_text(group: &[Relation]) -> String {
    group
        .iter()
        .map(relation_text)
        .collect::<Vec<_>>()
        .join(" | ")
}

impl<'u> State<'u> {
    fn new(
        u: &'u Universe,
        request: &'u ResolveRequest,
        upgrade: &'u HashSet<String>,
    ) -> State<'u> {
        State {
            u,
            selected: HashMap::new(),
            order: Vec::new(),
            parent: HashMap::new(),
            pinned: HashMap::new(),
            excluded: request.exclude.iter().cloned().collect(),
            preferences: &request.preferences,
            upgrade,
            roots: Vec::new(),
            sliced: BTreeMap::new(),
            implied: BTreeMap::new(),
        }
    }

    fn cand(&self, index: usize) -> &'u Candidate {
        &self.u.candidates[index]
    }

    fn label(&self, index: usize) -> String {
        let p = &self.cand(index).package;
        format!("{} {}", p.name(), p.version())
    }

    /// A preferred (local) repository's package first, then the highest version, then
    /// the earlier repository, then index order.
    fn better(&self, a: usize, b: usize) -> Result<Ordering, ResolveError> {
        let (ca, cb) = (self.cand(a), self.cand(b));
        let preferred = |c: &Candidate| self.u.repositories[c.repo].preferred;
        Ok(preferred(cb)
            .cmp(&preferred(ca))
            .then(cb.version()?.cmp(ca.version()?))
            .then(ca.repo.cmp(&cb.repo))
            .then(a.cmp(&b)))
    }

    fn best_of(&self, indexes: impl Iterator<Item = usize>) -> Result<Option<usize>, ResolveError> {
        let mut best: Option<usize> = None;
        for index in indexes {
            best = match best {
                Some(current) if self.better(current, index)? != Ordering::Greater => Some(current),
                _ => Some(index),
            };
        }
        Ok(best)
    }

    fn highest(&self, name: &str) -> Result<Option<usize>, ResolveError> {
        self.best_of(self.u.named(name).into_iter())
    }

    /// apt's candidate: the pin, else the locked version, else the highest.
    fn candidate(&self, name: &str) -> Result<Option<usize>, ResolveError> {
        if self.excluded.contains(name) {
            return Ok(None);
        }
        if let Some(&pinned) = self.pinned.get(name) {
            return Ok(Some(pinned));
        }
        if !self.upgrade.contains(name)
            && let Some(preferred) = self.preferences.get(name)
            && let list = self.u.named(name)
            && !list.is_empty()
        {
            let preferred_version = version_of(preferred);
            let matching = list.iter().copied().filter(|&i| {
                let c = self.cand(i);
                c.package.version() == *preferred
                    || matches!((&preferred_version, c.version()), (Some(p), Ok(v)) if p == v)
            });
            if let Some(best) = self.best_of(matching)? {
                return Ok(Some(best));
            }
        }
        self.highest(name)
    }

    fn archqual_ok(&self, rel: &Relation, index: usize) -> bool {
        let c = self.cand(index);
        match rel.archqual.as_deref() {
            None | Some("native") => true,
            Some("any") => c.package.multi_arch == MultiArch::Allowed,
            Some(arch) => arch == self.u.arch || c.package.architecture() == "all",
        }
    }

    fn matches_real(&self, rel: &Relation, index: usize) -> Result<bool, ResolveError> {
        let c = self.cand(index);
        if c.package.name() != rel.name || !self.archqual_ok(rel, index) {
            return Ok(false);
        }
        Ok(match &rel.version {
            Some((op, bound)) => constraint_allows(op, &Version::from(bound.clone()), c.version()?),
            None => true,
        })
    }

    fn matches_provision(
        &self,
        rel: &Relation,
        provided: &Option<Version>,
        provider: usize,
    ) -> bool {
        let arch_ok = match rel.archqual.as_deref() {
            Some("any") => matches!(
                self.cand(provider).package.multi_arch,
                MultiArch::Allowed | MultiArch::Foreign
            ),
            _ => true,
        };
        arch_ok
            && match (&rel.version, provided) {
                (Some((op, bound)), Some(version)) => {
                    constraint_allows(op, &Version::from(bound.clone()), version)
                }
                (Some(_), None) => false,
                (None, _) => true,
            }
    }

    /// Does a marked package satisfy `rel` (itself or through Provides)?
    fn satisfied(&self, rel: &Relation) -> Result<bool, ResolveError> {
        if let Some(&index) = self.selected.get(&rel.name)
            && self.matches_real(rel, index)?
        {
            return Ok(true);
        }
        {
            for p in &self.u.provisions(&rel.name)? {
                let provider = self.cand(p.candidate).package.name();
                if self.selected.get(provider) == Some(&p.candidate)
                    && self.matches_provision(rel, &p.version, p.candidate)
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Would marking `index` conflict with (or be broken by) what is marked?
    fn conflicts_with_selection(&self, index: usize) -> Result<Option<String>, ResolveError> {
        for (kind, rels) in self.declared(index)? {
            for group in rels {
                for rel in group {
                    if let Some(hit) = self.hits(index, rel, self.selected.values().copied())? {
                        return Ok(Some(format!(
                            "{kind} `{}` ({})",
                            relation_text(rel),
                            self.label(hit)
                        )));
                    }
                }
            }
        }
        for &other in self.selected.values() {
            for (kind, rels) in self.declared(other)? {
                for group in rels {
                    for rel in group {
                        if self.hits(other, rel, std::iter::once(index))?.is_some() {
                            return Ok(Some(format!(
                                "{} {kind} `{}`",
                                self.label(other),
                                relation_text(rel)
                            )));
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn declared(&self, index: usize) -> Result<Vec<Declared<'u>>, ResolveError> {
        let rels = self.cand(index).relations()?;
        let mut out = Vec::new();
        if let Some(c) = &rels.conflicts {
            out.push(("Conflicts", c.iter().collect()));
        }
        if let Some(b) = &rels.breaks {
            out.push(("Breaks", b.iter().collect()));
        }
        Ok(out)
    }

    /// Which of `others` does `rel` (a Conflicts/Breaks entry of `owner`) hit? A package
    /// never conflicts with itself, nor with a virtual name it provides itself.
    fn hits(
        &self,
        owner: usize,
        rel: &Relation,
        others: impl Iterator<Item = usize>,
    ) -> Result<Option<usize>, ResolveError> {
        let owner_name = self.cand(owner).package.name();
        for other in others {
            let other_pkg = &self.cand(other).package;
            if other_pkg.name() == owner_name {
                continue;
            }
            if other_pkg.name() == rel.name && self.matches_real(rel, other)? {
                return Ok(Some(other));
            }
            {
                let provisions = self.u.provisions(&rel.name)?;
                for p in provisions.iter().filter(|p| p.candidate == other) {
                    if self.matches_provision(rel, &p.version, other) {
                        return Ok(Some(other));
                    }
                }
            }
        }
        Ok(None)
    }

    fn provider_order(&self, a: usize, b: usize) -> Result<Ordering, ResolveError> {
        let (pa, pb) = (&self.cand(a).package, &self.cand(b).package);
        Ok(pb
            .essential
            .cmp(&pa.essential)
            .then(priority_rank(pa.priority()).cmp(&priority_rank(pb.priority())))
            .then(pa.name().cmp(pb.name()))
            .then(self.better(a, b)?))
    }

    fn choose(&self, group: &[&Relation]) -> Result<Choice, ResolveError> {
        let mut reasons = Vec::new();
        let mut all_excluded = true;
        for rel in group {
            // The real package of that name, through its candidate version.
            if self.excluded.contains(&rel.name) {
                reasons.push(format!("`{}` is excluded", rel.name));
            } else if let Some(index) = self.candidate(&rel.name)? {
                all_excluded = false;
                if self.matches_real(rel, index)? {
                    match self.conflicts_with_selection(index)? {
                        None => return Ok(Choice::Chosen(index)),
                        Some(why) => reasons.push(format!("`{}` {why}", self.label(index))),
                    }
                } else {
                    // A locked version that is too old for a new relation: upgrade it.
                    if self.preferences.contains_key(&rel.name)
                        && !self.upgrade.contains(&rel.name)
                        && !self.pinned.contains_key(&rel.name)
                        && let Some(highest) = self.highest(&rel.name)?
                        && highest != index
                        && self.matches_real(rel, highest)?
                    {
                        return Ok(Choice::Upgrade(rel.name.clone()));
                    }
                    reasons.push(format!("`{}` does not satisfy it", self.label(index)));
                }
            }
            // Providers, through their own candidate versions.
            let mut providers = Vec::new();
            {
                for p in &self.u.provisions(&rel.name)? {
                    let name = self.cand(p.candidate).package.name();
                    if self.excluded.contains(name) {
                        continue;
                    }
                    all_excluded = false;
                    if self.candidate(name)? == Some(p.candidate)
                        && self.matches_provision(rel, &p.version, p.candidate)
                    {
                        providers.push(p.candidate);
                    }
                }
            }
            let mut sort_error = None;
            providers.sort_by(|&a, &b| {
                self.provider_order(a, b).unwrap_or_else(|err| {
                    sort_error.get_or_insert(err);
                    Ordering::Equal
                })
            });
            if let Some(err) = sort_error {
                return Err(err);
            }
            providers.dedup();
            for provider in providers {
                match self.conflicts_with_selection(provider)? {
                    None => return Ok(Choice::Chosen(provider)),
                    Some(why) => reasons.push(format!("provider `{}` {why}", self.label(provider))),
                }
            }
            if !self.excluded.contains(&rel.name)
                && !self.u.has_package(&rel.name)
                && !self.u.providers.contains_key(&rel.name)
            {
                // Missing, not excluded: only what the user excludes may be dropped.
                all_excluded = false;
                reasons.push(format!("`{}` is in no repository", rel.name));
            }
        }
        if all_excluded {
            return Ok(Choice::Excluded);
        }
        Ok(Choice::Unsatisfiable(reasons.join("; ")))
    }

    fn mark(&mut self, index: usize, parent: Option<String>) {
        let name = self.cand(index).package.name().to_owned();
        if let Some(parent) = parent {
            self.parent.insert(name.clone(), parent);
        }
        self.selected.insert(name, index);
        self.order.push(index);
    }

    fn chain(&self, index: usize) -> Vec<String> {
        let mut chain = vec![self.label(index)];
        let mut name = self.cand(index).package.name().to_owned();
        let mut seen = HashSet::new();
        while let Some(parent) = self.parent.get(&name) {
            if !seen.insert(parent.clone()) {
                break;
            }
            match self.selected.get(parent) {
                Some(&p) => chain.push(self.label(p)),
                None => chain.push(parent.clone()),
            }
            name = parent.clone();
        }
        chain.reverse();
        chain
    }

    fn request_candidate(&self, request: &PackageRequest) -> Result<usize, ResolveError> {
        let arch = self.u.arch.clone();
        if self.excluded.contains(&request.name) {
            return Err(ResolveError::RequestedAndExcluded {
                name: request.name.clone(),
            });
        }
        let list: Vec<usize> = self.u.named(&request.name);
        if request.version.is_none() && request.suite.is_none() {
            if let Some(index) = self.candidate(&request.name)? {
                return Ok(index);
            }
            // A virtual package with a single provider is installed through it, as apt does.
            if let Some(provisions) = self.u.providers.get(&request.name) {
                let names: BTreeSet<&str> = provisions
                    .iter()
                    .map(|p| self.cand(*p).package.name())
                    .collect();
                if names.len() == 1
                    && let Some(name) = names.first()
                    && let Some(index) = self.candidate(name)?
                {
                    return Ok(index);
                }
                return Err(ResolveError::AmbiguousVirtual {
                    name: request.name.clone(),
                    providers: names.into_iter().map(str::to_owned).collect(),
                });
            }
            return Err(ResolveError::UnknownPackage {
                name: request.name.clone(),
                arch,
                suggestions: suggestions(&request.name, self.u.all_names()),
            });
        }
        if list.is_empty() {
            return Err(ResolveError::UnknownPackage {
                name: request.name.clone(),
                arch,
                suggestions: suggestions(&request.name, self.u.all_names()),
            });
        }
        let wanted_version = request.version.as_deref().map(|v| (v, version_of(v)));
        let matching = list.iter().copied().filter(|&i| {
            let c = self.cand(i);
            let repo = &self.u.repositories[c.repo];
            let suite_ok = request.suite.as_deref().is_none_or(|s| {
                repo.suite == s || repo.codename.as_deref() == Some(s) || repo.name == s
            });
            let version_ok = match &wanted_version {
                None => true,
                Some((text, parsed)) => {
                    c.package.version() == *text
                        || matches!((parsed, c.version()), (Some(p), Ok(v)) if p == v)
                }
            };
            suite_ok && version_ok
        });
        match self.best_of(matching)? {
            Some(index) => Ok(index),
            None => {
                let mut available: Vec<String> = list
                    .iter()
                    .map(|&i| {
                        let c = self.cand(i);
                        format!(
                            "{} ({})",
                            c.package.version(),
                            self.u.repositories[c.repo].name
                        )
                    })
                    .collect();
                available.sort();
                available.dedup();
                Err(ResolveError::PinNotFound {
                    request: request.to_string(),
                    arch,
                    available,
                })
            }
        }
    }

    fn run(&mut self, request: &ResolveRequest) -> Result<Outcome, ResolveError> {
        // First pass: mark every requested package (and pin it), as apt-get install does.
        let mut roots = Vec::new();
        for req in &request.packages {
            let index = self.request_candidate(req)?;
            let name = self.cand(index).package.name().to_owned();
            if req.version.is_some() || req.suite.is_some() {
                self.pinned.insert(name.clone(), index);
            }
            if !self.selected.contains_key(&name) {
                self.mark(index, None);
                roots.push(index);
            }
        }
        self.roots.clone_from(&roots);
        // Second pass: dependencies, depth-first.
        for root in roots {
            if let Some(outcome) = self.install_dependencies(root)? {
                return Ok(outcome);
            }
        }
        self.check_conflicts()?;
        // Slices last: a package the closure needs is installed whole, and its slice
        // narrows nothing. A slice's own dependencies are not followed.
        for slice in &request.slices {
            let index = self.request_candidate(&slice.package)?;
            let name = self.cand(index).package.name().to_owned();
            if let Some(&whole) = self.selected.get(&name) {
                if self.roots.contains(&whole) {
                    // Asked for by name as well: whole, as asked.
                    continue;
                }
                tracing::warn!(
                    "`{name}` is installed whole ({}), so its slice in `contents.slices` keeps nothing out",
                    self.chain(whole).join(" -> ")
                );
                continue;
            }
            self.mark(index, None);
            self.sliced.insert(name, slice.paths.clone());
        }
        for (when, slice) in &request.slices_if_installed {
            let wanted = &slice.package.name;
            if !self.selected.contains_key(when)
                || self.selected.contains_key(wanted)
                || self.u.named(wanted).is_empty()
            {
                continue;
            }
            let index = self.request_candidate(&slice.package)?;
            self.mark(index, None);
            self.sliced.insert(wanted.clone(), slice.paths.clone());
            self.implied.insert(wanted.clone(), when.clone());
        }
        Ok(Outcome::Done)
    }

    fn dependency_groups(&self, index: usize) -> Result<Vec<Vec<&'u Relation>>, ResolveError> {
        let rels = self.cand(index).relations()?;
        let mut groups: Vec<Vec<&'u Relation>> = Vec::new();
        for field in [&rels.pre_depends, &rels.depends].into_iter().flatten() {
            groups.extend(field.iter());
        }
        Ok(groups)
    }

    fn install_dependencies(&mut self, root: usize) -> Result<Option<Outcome>, ResolveError> {
        let mut stack: Vec<(usize, Vec<Vec<&'u Relation>>, usize)> =
            vec![(root, self.dependency_groups(root)?, 0)];
        while let Some((index, groups, next)) = stack.last_mut() {
            let index = *index;
            let Some(group) = groups.get(*next).cloned() else {
                stack.pop();
                continue;
            };
            *next += 1;
            let mut satisfied = false;
            for rel in &group {
                if self.satisfied(rel)? {
                    satisfied = true;
                    break;
                }
            }
            if satisfied {
                continue;
            }
            let unsatisfiable = |reason: String| ResolveError::Unsatisfiable {
                arch: self.u.arch.clone(),
                chain: self.chain(index),
                package: self.label(index),
                relation: group_text(&group.iter().map(|r| (*r).clone()).collect::<Vec<_>>()),
                reason,
            };
            match self.choose(&group)? {
                Choice::Chosen(chosen) => {
                    let parent = self.cand(index).package.name().to_owned();
                    if self.selected.contains_key(self.cand(chosen).package.name()) {
                        // Another version of that name is marked and does not satisfy this relation.
                        return Err(unsatisfiable(format!(
                            "another version is already marked: {}",
                            self.label(self.selected[self.cand(chosen).package.name()])
                        )));
                    }
                    self.mark(chosen, Some(parent));
                    let groups = self.dependency_groups(chosen)?;
                    stack.push((chosen, groups, 0));
                }
                Choice::Excluded => {
                    tracing::info!(
                        package = %self.label(index),
                        relation = %group_text(&group.iter().map(|r| (*r).clone()).collect::<Vec<_>>()),
                        "dependency dropped: every alternative is excluded"
                    );
                }
                Choice::Upgrade(name) => return Ok(Some(Outcome::Upgrade(name))),
                Choice::Unsatisfiable(reason) => return Err(unsatisfiable(reason)),
            }
        }
        Ok(None)
    }

    fn check_conflicts(&self) -> Result<(), ResolveError> {
        let mut marked: Vec<usize> = self.selected.values().copied().collect();
        marked.sort_by(|&a, &b| self.cand(a).package.name().cmp(self.cand(b).package.name()));
        for &owner in &marked {
            for (kind, rels) in self.declared(owner)? {
                for group in rels {
                    for rel in group {
                        if let Some(hit) = self.hits(owner, rel, marked.iter().copied())? {
                            return Err(ResolveError::Conflict {
                                arch: self.u.arch.clone(),
                                package: self.label(owner),
                                relation: format!("{kind}: {}", relation_text(rel)),
                                other: self.label(hit),
                                chain: self.chain(hit),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The closure as locked, each package the image leaves out saying why
    /// ([`script_only`]), each slice with its paths.
    fn locked_with_left_out(&self) -> Result<Vec<LockedPackage>, ResolveError> {
        // Slices stand outside the dependency graph: nothing needs them, and they need
        // nothing.
        let packages: Vec<BinaryPackage> = self
            .order
            .iter()
            .map(|&i| self.cand(i).package.clone())
            .filter(|p| !self.sliced.contains_key(p.name()))
            .collect();
        let graph = DependencyGraph::new(&packages)?;
        let roots: Vec<usize> = self
            .roots
            .iter()
            .filter_map(|&i| graph.index(self.cand(i).package.name()))
            .collect();
        let mut left_out = script_only::left_out(&graph, &roots);
        let mut locked = self.locked();
        // A slice implied by a package the image leaves out is not needed at all.
        locked.retain(|p| {
            self.implied
                .get(&p.name)
                .is_none_or(|when| !left_out.contains_key(when))
        });
        for package in &mut locked {
            package.left_out = left_out.remove(&package.name);
            package.slice = self.sliced.get(&package.name).cloned();
        }
        Ok(locked)
    }

    fn locked(&self) -> Vec<LockedPackage> {
        let mut out: BTreeMap<&str, LockedPackage> = BTreeMap::new();
        for &index in &self.order {
            let c = self.cand(index);
            let p = &c.package;
            out.insert(
                p.name(),
                LockedPackage {
                    name: p.name().to_owned(),
                    version: p.version().to_owned(),
                    architecture: p.architecture().to_owned(),
                    source: p.source().to_owned(),
                    source_version: p.source_version().to_owned(),
                    repository: self.u.repositories[c.repo].name.clone(),
                    pool_path: p.filename().to_owned(),
                    size: p.size,
                    sha256: p.sha256().to_owned(),
                    left_out: None,
                    slice: None,
                },
            );
        }
        out.into_values().collect()
    }
}

/// Up to three names close to `wanted`, closest first.
fn suggestions<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = names
        .filter_map(|name| {
            let score = strsim::jaro_winkler(wanted, name);
            let close = score >= 0.88 || strsim::damerau_levenshtein(wanted, name) <= 2;
            close.then_some((score, name))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(b.1))
    });
    let mut out: Vec<String> = Vec::new();
    for (_, name) in scored {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}
