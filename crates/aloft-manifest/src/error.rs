//! Manifest errors: each names the file, line and field, and carries the source text so
//! the CLI can show the offending span.

use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Where a value was written: file, 1-based line and column, and its byte span.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The manifest file (as the user named it, or relative to the including file).
    pub file: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// Byte offset of the value in the file.
    pub offset: usize,
    /// Byte length of the value.
    pub len: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A manifest that cannot be read, parsed or validated.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("Cannot read manifest `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A device, FIFO or directory given as a manifest (`/dev/null`).
    #[error("`{}` is not a regular file; a manifest is a YAML file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A manifest (with its includes) that asks for no package: nothing to build.
    #[error("`{}` asks for no packages: list them under `contents.packages`", path.display())]
    NoPackages {
        /// The manifest.
        path: PathBuf,
    },
    /// YAML syntax, a wrong type, or an unknown field.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line (0 when the parser gave none).
        line: u64,
        /// 1-based column.
        column: u64,
        /// The parser's message.
        message: String,
        /// The file's text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// A value that parses but is not valid.
    #[error("{}:{}:{}: `{field}`: {message}", origin.file.display(), origin.line, origin.column)]
    Invalid {
        /// Where the value was written.
        origin: Origin,
        /// The field, as a path (`contents.packages[2]`).
        field: String,
        /// What is wrong and what to write instead.
        message: String,
        /// The file's text.
        #[source_code]
        src: NamedSource<String>,
        /// The value.
        #[label("{message}")]
        span: SourceSpan,
    },
    /// `include:` forms a cycle.
    #[error("`{}` includes itself (through {chain})", path.display())]
    IncludeCycle {
        /// The file included twice.
        path: PathBuf,
        /// The include chain.
        chain: String,
    },
}
