use std::fmt;

/// A postinst that could not be parsed as shell.
///
/// Only parsing fails: everything the reader cannot evaluate is reported in
/// [`Reading::skipped`](crate::Reading::skipped) instead.
#[derive(Debug, thiserror::Error)]
#[error("Failed to parse the postinst of `{package}` at line {line}")]
pub struct ScriptError {
    package: String,
    line: usize,
    #[source]
    source: ParseFailure,
}

impl ScriptError {
    pub(crate) fn new(package: &str, line: usize, message: String) -> Self {
        Self {
            package: package.to_owned(),
            line,
            source: ParseFailure(message),
        }
    }

    /// The package whose script failed to parse.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// The 1-based line the parser stopped at.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// The parser's own message (kept as text so the parser crate stays out of the API).
#[derive(Debug)]
struct ParseFailure(String);

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseFailure {}
