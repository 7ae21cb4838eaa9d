//! Relation fields (`Depends`, `Pre-Depends`, `Provides`, `Conflicts`, `Breaks`).
//!
//! Parsing is done by `debian-control`'s lossy parser; this module adds the version
//! test used by resolvers and a typed view of `Provides` entries.

use std::cmp::Ordering;

pub use debian_control::lossy::{Relation, Relations};
pub use debian_control::relations::VersionConstraint;

use crate::{Error, Version};

/// Parses a relation field of package `package`; `field` names it in errors.
pub fn parse_relations(package: &str, field: &str, text: &str) -> Result<Relations, Error> {
    text.parse::<Relations>().map_err(|reason| Error::Relation {
        package: package.to_owned(),
        field: field.to_owned(),
        text: text.to_owned(),
        reason: reason.to_string(),
    })
}

/// Whether `version` satisfies `constraint version_bound`, dpkg semantics.
pub fn constraint_allows(
    constraint: &VersionConstraint,
    bound: &Version,
    version: &Version,
) -> bool {
    let ordering = version.cmp(bound);
    match constraint {
        VersionConstraint::LessThan => ordering == Ordering::Less,
        VersionConstraint::LessThanEqual => ordering != Ordering::Greater,
        VersionConstraint::Equal => ordering == Ordering::Equal,
        VersionConstraint::GreaterThan => ordering == Ordering::Greater,
        VersionConstraint::GreaterThanEqual => ordering != Ordering::Less,
    }
}

/// The operator as written in control files (`>=`, `<<`, ...).
pub fn constraint_operator(constraint: &VersionConstraint) -> &'static str {
    match constraint {
        VersionConstraint::LessThan => "<<",
        VersionConstraint::LessThanEqual => "<=",
        VersionConstraint::Equal => "=",
        VersionConstraint::GreaterThan => ">>",
        VersionConstraint::GreaterThanEqual => ">=",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_version;

    #[test]
    fn parses_alternatives_archquals_and_versions() -> Result<(), Error> {
        let rels = parse_relations(
            "php8.4-fpm",
            "Depends",
            "libc6 (>= 2.38), systemd | systemd-tmpfiles, python3:any (>= 3.11~), foo:amd64",
        )?;
        assert_eq!(rels.len(), 4);
        let groups: Vec<Vec<&Relation>> = rels.iter().collect();
        assert_eq!(groups[1].len(), 2);
        assert_eq!(groups[1][1].name, "systemd-tmpfiles");
        assert_eq!(groups[2][0].archqual.as_deref(), Some("any"));
        let (op, bound) = groups[0][0].version.clone().ok_or_else(|| Error::Version {
            version: String::new(),
            reason: "no constraint".into(),
        })?;
        assert!(constraint_allows(
            &op,
            &Version::from(bound.clone()),
            &parse_version("2.41-12")?
        ));
        assert!(!constraint_allows(
            &op,
            &Version::from(bound.clone()),
            &parse_version("2.37")?
        ));
        Ok(())
    }

    #[test]
    fn rejects_garbage_with_context() {
        let err = parse_relations("p", "Depends", "foo (>= ").err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("`p`") && msg.contains("Depends"), "{msg}");
    }
}
