//! The dependency graph of an installed set (a lock's packages for one architecture): who
//! needs whom, for explaining a closure (`aloft why`), not for choosing it.
//!
//! An edge `a -> b` means one of `a`'s Pre-Depends or Depends groups is satisfied by `b`
//! (by name, or through a Provides, with the version constraint checked). A group with
//! several satisfiers in the set gives an edge to each: any of them keeps it satisfied.

use std::collections::{HashMap, VecDeque};

use aloft_deb::{BinaryPackage, Relation, Version, constraint_allows, parse_relations};

use crate::ResolveError;
use crate::universe::version_of;

/// Who depends on whom among a set of packages.
#[derive(Debug)]
pub struct DependencyGraph {
    names: Vec<String>,
    by_name: HashMap<String, usize>,
    /// Per package, the packages its dependency groups are satisfied by (deduplicated).
    needs: Vec<Vec<usize>>,
}

fn bad(package: &BinaryPackage, reason: String) -> ResolveError {
    ResolveError::BadIndex {
        package: package.name().to_owned(),
        reason,
    }
}

impl DependencyGraph {
    /// The graph of `packages` (one architecture's installed set).
    ///
    /// # Errors
    /// A version or relation field that does not parse.
    pub fn new(packages: &[BinaryPackage]) -> Result<DependencyGraph, ResolveError> {
        let mut by_name = HashMap::new();
        let mut versions: Vec<Version> = Vec::new();
        for (index, package) in packages.iter().enumerate() {
            by_name.insert(package.name().to_owned(), index);
            versions.push(
                version_of(package.version()).ok_or_else(|| {
                    bad(package, format!("invalid version `{}`", package.version()))
                })?,
            );
        }
        // Provided name -> (provider, provided version).
        let mut provided: HashMap<String, Vec<(usize, Option<Version>)>> = HashMap::new();
        for (index, package) in packages.iter().enumerate() {
            let Some(text) = package.provides() else {
                continue;
            };
            let relations = parse_relations(package.name(), "Provides", text)
                .map_err(|e| bad(package, e.to_string()))?;
            for group in relations.iter() {
                for relation in group.iter() {
                    let version = relation
                        .version
                        .as_ref()
                        .map(|(_, v)| Version::from(v.clone()));
                    provided
                        .entry(relation.name.clone())
                        .or_default()
                        .push((index, version));
                }
            }
        }
        let satisfiers = |relation: &Relation| -> Vec<usize> {
            let mut out = Vec::new();
            if let Some(&index) = by_name.get(&relation.name)
                && relation.version.as_ref().is_none_or(|(op, bound)| {
                    constraint_allows(op, &Version::from(bound.clone()), &versions[index])
                })
            {
                out.push(index);
            }
            for (provider, version) in provided.get(&relation.name).into_iter().flatten() {
                let allowed = match (&relation.version, version) {
                    (None, _) => true,
                    (Some((op, bound)), Some(version)) => {
                        constraint_allows(op, &Version::from(bound.clone()), version)
                    }
                    (Some(_), None) => false,
                };
                if allowed {
                    out.push(*provider);
                }
            }
            out
        };
        let mut needs = Vec::with_capacity(packages.len());
        for package in packages {
            let mut edges = Vec::new();
            for (field, text) in [
                ("Pre-Depends", package.pre_depends()),
                ("Depends", package.depends()),
            ] {
                let Some(text) = text else { continue };
                let relations = parse_relations(package.name(), field, text)
                    .map_err(|e| bad(package, e.to_string()))?;
                for group in relations.iter() {
                    for relation in group.iter() {
                        for index in satisfiers(relation) {
                            if !edges.contains(&index) {
                                edges.push(index);
                            }
                        }
                    }
                }
            }
            needs.push(edges);
        }
        Ok(DependencyGraph {
            names: packages.iter().map(|p| p.name().to_owned()).collect(),
            by_name,
            needs,
        })
    }

    /// The index of the package named `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The name of package `index`.
    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// How many packages.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The packages whose dependencies `index` satisfies, by name.
    pub fn dependents(&self, index: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.len())
            .filter(|&i| i != index && self.needs[i].contains(&index))
            .collect();
        out.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        out
    }

    /// A shortest chain from one of `roots` to `target` (both ends included), the roots
    /// tried in order, so the first requested package that leads there names the chain.
    pub fn path_from(&self, roots: &[usize], target: usize) -> Option<Vec<usize>> {
        let mut parent: Vec<Option<usize>> = vec![None; self.len()];
        let mut seen = vec![false; self.len()];
        let mut queue = VecDeque::new();
        for &root in roots {
            if !seen[root] {
                seen[root] = true;
                queue.push_back(root);
            }
        }
        while let Some(at) = queue.pop_front() {
            if at == target {
                let mut path = vec![at];
                let mut cursor = at;
                while let Some(previous) = parent[cursor] {
                    path.push(previous);
                    cursor = previous;
                }
                path.reverse();
                return Some(path);
            }
            for &next in &self.needs[at] {
                if !seen[next] {
                    seen[next] = true;
                    parent[next] = Some(at);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// What `roots` reach, `without` (and what only it leads to) left out.
    fn reachable(&self, roots: &[usize], without: Option<usize>) -> Vec<bool> {
        let roots: Vec<usize> = roots
            .iter()
            .copied()
            .filter(|&r| Some(r) != without)
            .collect();
        self.reachable_by(&roots, |_, next| Some(next) != without)
    }

    /// What `roots` reach through the edges `follow(from, to)` allows.
    pub fn reachable_by(
        &self,
        roots: &[usize],
        follow: impl Fn(usize, usize) -> bool,
    ) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        for &root in &stack {
            seen[root] = true;
        }
        while let Some(at) = stack.pop() {
            for &next in &self.needs[at] {
                if !seen[next] && follow(at, next) {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// The packages that are in the set only because of `target`: `target` itself and
    /// what `roots` no longer reach once it is gone (for a requested package, everything
    /// only it brings in).
    pub fn only_through(&self, roots: &[usize], target: usize) -> Vec<usize> {
        let with = self.reachable(roots, None);
        let without = self.reachable(roots, Some(target));
        (0..self.len())
            .filter(|&i| with[i] && !without[i])
            .collect()
    }
}

/// Packages from index paragraphs of name, version and relations (the other fields
/// filled in), for tests.
#[cfg(test)]
pub(crate) fn test_packages(paragraphs: &[&str]) -> Vec<BinaryPackage> {
    let sha = "0".repeat(64);
    let text: String = paragraphs
        .iter()
        .map(|p| {
            format!("{p}\nArchitecture: amd64\nFilename: pool/x.deb\nSize: 1\nSHA256: {sha}\n\n")
        })
        .collect();
    aloft_deb::parse_packages("Packages", &text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(paragraphs: &[&str]) -> Vec<BinaryPackage> {
        test_packages(paragraphs)
    }

    #[test]
    fn paths_dependents_and_what_a_package_alone_brings() {
        let set = packages(&[
            "Package: app\nVersion: 1\nDepends: libfoo (>= 2), mta",
            "Package: libfoo\nVersion: 2\nDepends: libc6",
            "Package: postfix\nVersion: 3\nProvides: mta\nDepends: libc6, libdb",
            "Package: libdb\nVersion: 5",
            "Package: libc6\nVersion: 2.41",
            "Package: old\nVersion: 1\nDepends: libfoo (>= 3)",
        ]);
        let graph = DependencyGraph::new(&set).unwrap_or_else(|e| panic!("{e}"));
        let id = |name| graph.index(name).unwrap_or(usize::MAX);
        let names =
            |list: Vec<usize>| -> Vec<&str> { list.into_iter().map(|i| graph.name(i)).collect() };
        let roots = [id("app")];
        assert_eq!(
            names(graph.path_from(&roots, id("libdb")).unwrap_or_default()),
            ["app", "postfix", "libdb"]
        );
        assert_eq!(names(graph.dependents(id("libc6"))), ["libfoo", "postfix"]);
        // `old` wants libfoo >= 3: 2 does not satisfy it, so no edge.
        assert!(
            graph
                .dependents(id("libfoo"))
                .iter()
                .all(|&i| graph.name(i) != "old")
        );
        assert_eq!(
            names(graph.only_through(&roots, id("postfix"))),
            ["postfix", "libdb"]
        );
        assert_eq!(names(graph.only_through(&roots, id("libc6"))), ["libc6"]);
        assert_eq!(graph.path_from(&roots, id("old")), None);
    }
}
