//! Errors of the Debian format readers.

/// What went wrong reading a Debian format; each variant names the file, field or package.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A version string dpkg would reject.
    #[error("Invalid version `{version}`: {reason}")]
    Version {
        /// The text.
        version: String,
        /// Why.
        reason: String,
    },
    /// A relation field that does not parse.
    #[error("Invalid `{field}` of `{package}`: `{text}`: {reason}")]
    Relation {
        /// Package whose field it is.
        package: String,
        /// Field name.
        field: String,
        /// The field's text.
        text: String,
        /// Why.
        reason: String,
    },
    /// A deb822 syntax error.
    #[error("`{file}` is not valid deb822 (paragraph {paragraph}): {reason}")]
    Deb822 {
        /// File name.
        file: String,
        /// 1-based paragraph number.
        paragraph: usize,
        /// Why.
        reason: String,
    },
    /// A bad field in a Release file.
    #[error("`{file}`: field `{field}`: {reason}")]
    Release {
        /// File name.
        file: String,
        /// Field name.
        field: String,
        /// Why.
        reason: String,
    },
    /// A bad paragraph in a Packages index.
    #[error("`{file}`, paragraph {paragraph} (package `{package}`): {reason}")]
    Index {
        /// File name.
        file: String,
        /// 1-based paragraph number.
        paragraph: usize,
        /// Package name, `?` when unknown.
        package: String,
        /// Why.
        reason: String,
    },
    /// A keyring that does not parse.
    #[error("Cannot read OpenPGP keyring `{keyring}`: {reason}")]
    Keyring {
        /// Keyring name (file path or built-in name).
        keyring: String,
        /// Why.
        reason: String,
    },
    /// A signed file whose signatures do not verify against the keyring.
    #[error("Bad or missing signature on `{file}`: {reason} (keys tried: {tried})")]
    Signature {
        /// The signed file.
        file: String,
        /// Why.
        reason: String,
        /// Fingerprints of the keys that were tried, comma-separated.
        tried: String,
    },
    /// Decompression failed.
    #[error("Cannot decompress `{file}`")]
    Decompress {
        /// File name.
        file: String,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },
    /// Text that must be UTF-8 is not.
    #[error("`{file}` is not UTF-8 text")]
    NotUtf8 {
        /// File name.
        file: String,
    },
    /// A `.deb` that is not a valid package archive.
    #[error("`{deb}`: member `{member}`: {reason}")]
    Deb {
        /// The package file (or its name).
        deb: String,
        /// The ar member (`debian-binary`, `control.tar.xz`, `data.tar.zst`, ...).
        member: String,
        /// Why.
        reason: String,
    },
}
