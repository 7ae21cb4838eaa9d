//! Resolution errors: each names the package, the relation and how it was reached.

/// Why a manifest could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A requested package is in no repository.
    #[error(
        "Package `{name}` is not in any repository for {arch}{}",
        did_you_mean(suggestions)
    )]
    UnknownPackage {
        /// The name asked for.
        name: String,
        /// Architecture.
        arch: String,
        /// Near names that exist.
        suggestions: Vec<String>,
    },
    /// A requested virtual package with several providers.
    #[error("`{name}` is a virtual package provided by {}; list the one you want", providers.join(", "))]
    AmbiguousVirtual {
        /// The virtual name.
        name: String,
        /// Real packages providing it.
        providers: Vec<String>,
    },
    /// `name=version` or `name/suite` that no repository has.
    #[error("`{request}` is not available for {arch}; available: {}", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    PinNotFound {
        /// The request as written.
        request: String,
        /// Architecture.
        arch: String,
        /// `version (repository)` of what exists.
        available: Vec<String>,
    },
    /// A requested package that `exclude:` also names.
    #[error("`{name}` is both requested and excluded")]
    RequestedAndExcluded {
        /// The package.
        name: String,
    },
    /// A dependency no package satisfies.
    #[error("Unsatisfiable dependency for {arch}: {}\n  `{package}` depends on `{relation}`: {reason}", chain.join(" -> "))]
    Unsatisfiable {
        /// Architecture.
        arch: String,
        /// The path from the requested package down to `package`.
        chain: Vec<String>,
        /// The package whose dependency fails.
        package: String,
        /// The dependency group as written.
        relation: String,
        /// What is wrong with each alternative.
        reason: String,
    },
    /// Two packages of the closure conflict.
    #[error("Conflict for {arch}: `{package}` has `{relation}`, and `{other}` is to be installed (needed by {})", chain.join(" -> "))]
    Conflict {
        /// Architecture.
        arch: String,
        /// The package declaring the relation (`name version`).
        package: String,
        /// The relation with its field: `Conflicts: foo (<< 2)` or `Breaks: ...`.
        relation: String,
        /// The package it hits (`name version`).
        other: String,
        /// How `other` came in.
        chain: Vec<String>,
    },
    /// A malformed entry in an index (bad version, bad relation field).
    #[error("Package `{package}` in the index is malformed: {reason}")]
    BadIndex {
        /// The package.
        package: String,
        /// Why.
        reason: String,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
