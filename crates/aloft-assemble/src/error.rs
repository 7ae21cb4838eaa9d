//! Errors of image assembly; each names the package, .deb, path or manifest entry.

use std::path::PathBuf;

/// Why an image could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// A .deb that is not a valid package archive.
    #[error("Package `{package}`")]
    Deb {
        /// The package.
        package: String,
        /// What the reader found.
        #[source]
        source: aloft_deb::Error,
    },
    /// Reading a .deb failed (truncated data, I/O).
    #[error("Cannot read package `{package}` from `{}`", deb.display())]
    Read {
        /// The package.
        package: String,
        /// The .deb file.
        deb: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// An entry a safe assembler refuses: `..`, an absolute hard link, a device node.
    #[error("Package `{package}` ships `{}`, which aloft refuses: {reason} (in `{}`)", path.escape_debug(), deb.display())]
    UnsafeEntry {
        /// The package.
        package: String,
        /// The .deb file.
        deb: PathBuf,
        /// The member name as written in data.tar.
        path: String,
        /// Why.
        reason: String,
    },
    /// A path goes through a symbolic link another package installed (dpkg would follow
    /// it; an image layer cannot).
    #[error(
        "Package `{package}` installs `/{path}` through the symbolic link `/{link}` (-> `{target}`) from package `{link_package}`"
    )]
    ThroughSymlink {
        /// The package.
        package: String,
        /// Its path.
        path: String,
        /// The link.
        link: String,
        /// The link's target.
        target: String,
        /// The package that installs the link.
        link_package: String,
    },
    /// Two things the image would have at one path (or a path below a file) that cannot
    /// both hold: the layer would have the path twice and could not be extracted.
    #[error("`{path}`: {first}, and {second}; change one of them")]
    PathConflict {
        /// The image path.
        path: String,
        /// What put the first thing there.
        first: String,
        /// What contradicts it.
        second: String,
    },
    /// A slice (`contents.slices`) that cannot be cut as written.
    #[error("The slice of `{package}` in `contents.slices`: {message}")]
    Slice {
        /// The package.
        package: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A manifest entry that cannot be applied.
    #[error("{origin}: {message}")]
    Manifest {
        /// Where in the manifest (`file:line:col`).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A `files:` source that cannot be read.
    #[error("{origin}: cannot read `files:` source `{}`", source_path.display().to_string().escape_debug())]
    FileSource {
        /// Where in the manifest.
        origin: String,
        /// The host path.
        source_path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a layer or the layer cache failed.
    #[error("Cannot write {what} under `{}`", dir.display())]
    Write {
        /// What was being written.
        what: String,
        /// Where.
        dir: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The image's Python could not compile its bytecode.
    #[error("Python bytecode for {architecture}: {message}")]
    Bytecode {
        /// The image's Debian architecture.
        architecture: String,
        /// What went wrong, and what to do.
        message: String,
    },
}
