//! `Packages` indexes: the binary packages a suite offers for one architecture.
//!
//! Only the fields a resolver and a fetcher need are kept; relation fields stay raw text
//! and are parsed on demand ([`crate::parse_relations`]), because a resolver visits a few
//! hundred of the ~70,000 packages of a Debian suite.

use std::borrow::Cow;

use crate::Error;
use crate::deb822::paragraphs;

/// `Multi-Arch` of a binary package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultiArch {
    /// No `Multi-Arch` field (or `no`).
    #[default]
    No,
    /// `same`: co-installable across architectures.
    Same,
    /// `foreign`: satisfies dependencies of packages of any architecture.
    Foreign,
    /// `allowed`: satisfies `pkg:any` dependencies.
    Allowed,
}

/// One paragraph of a Packages index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPackage {
    /// `Package`.
    pub name: String,
    /// `Version`, as written.
    pub version: String,
    /// `Architecture` (`amd64`, `all`, ...).
    pub architecture: String,
    /// `Multi-Arch`.
    pub multi_arch: MultiArch,
    /// Source package name (`Source`, else the package name).
    pub source: String,
    /// Source version (from `Source: name (version)`, else the package version).
    pub source_version: String,
    /// `Essential: yes`.
    pub essential: bool,
    /// `Priority` (`required`, `important`, `standard`, `optional`, `extra`).
    pub priority: Option<String>,
    /// `Pre-Depends`, raw.
    pub pre_depends: Option<String>,
    /// `Depends`, raw.
    pub depends: Option<String>,
    /// `Provides`, raw.
    pub provides: Option<String>,
    /// `Conflicts`, raw.
    pub conflicts: Option<String>,
    /// `Breaks`, raw.
    pub breaks: Option<String>,
    /// `Filename`: the pool path, relative to the archive root.
    pub filename: String,
    /// `Size` of the .deb in bytes.
    pub size: u64,
    /// `SHA256` of the .deb, lower-case hex.
    pub sha256: String,
}

/// Parses a whole (uncompressed) Packages index; `name` names it in errors.
pub fn parse_packages(name: &str, text: &str) -> Result<Vec<BinaryPackage>, Error> {
    let mut packages = Vec::with_capacity(text.len() / 900);
    for (index, fields) in paragraphs(name, text).enumerate() {
        let fields = fields?;
        let missing = |field: &str, package: &str| Error::Index {
            file: name.to_owned(),
            paragraph: index + 1,
            package: package.to_owned(),
            reason: format!("missing field `{field}`"),
        };
        let mut p = RawFields::default();
        for (field, value) in fields.iter() {
            match field {
                "Package" => p.name = Some(value),
                "Version" => p.version = Some(value),
                "Architecture" => p.architecture = Some(value),
                "Multi-Arch" => p.multi_arch = Some(value),
                "Source" => p.source = Some(value),
                "Essential" => p.essential = value.trim() == "yes",
                "Priority" => p.priority = Some(value),
                "Pre-Depends" => p.pre_depends = Some(value),
                "Depends" => p.depends = Some(value),
                "Provides" => p.provides = Some(value),
                "Conflicts" => p.conflicts = Some(value),
                "Breaks" => p.breaks = Some(value),
                "Filename" => p.filename = Some(value),
                "Size" => p.size = Some(value),
                "SHA256" => p.sha256 = Some(value),
                _ => {}
            }
        }
        let package = p
            .name
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("Package", "?"))?;
        let version = p
            .version
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("Version", package))?;
        let size_text = p
            .size
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("Size", package))?;
        let size = size_text.parse::<u64>().map_err(|_| Error::Index {
            file: name.to_owned(),
            paragraph: index + 1,
            package: package.to_owned(),
            reason: format!("`Size: {size_text}` is not a number"),
        })?;
        let sha256 = p
            .sha256
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("SHA256", package))?;
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Index {
                file: name.to_owned(),
                paragraph: index + 1,
                package: package.to_owned(),
                reason: format!("`SHA256: {sha256}` is not a sha256"),
            });
        }
        let (source, source_version) = match p.source.as_deref().map(str::trim) {
            Some(source) => match source.split_once('(') {
                Some((name, version)) => (name.trim(), version.trim_end_matches(')').trim()),
                None => (source, version),
            },
            None => (package, version),
        };
        let owned = |value: &Option<Cow<'_, str>>| value.as_deref().map(|v| v.trim().to_owned());
        packages.push(BinaryPackage {
            name: package.to_owned(),
            version: version.to_owned(),
            architecture: owned(&p.architecture).ok_or_else(|| missing("Architecture", package))?,
            multi_arch: match p.multi_arch.as_deref().map(str::trim) {
                Some("same") => MultiArch::Same,
                Some("foreign") => MultiArch::Foreign,
                Some("allowed") => MultiArch::Allowed,
                _ => MultiArch::No,
            },
            source: source.to_owned(),
            source_version: source_version.to_owned(),
            essential: p.essential,
            priority: owned(&p.priority),
            pre_depends: owned(&p.pre_depends),
            depends: owned(&p.depends),
            provides: owned(&p.provides),
            conflicts: owned(&p.conflicts),
            breaks: owned(&p.breaks),
            filename: owned(&p.filename).ok_or_else(|| missing("Filename", package))?,
            size,
            sha256: sha256.to_ascii_lowercase(),
        });
    }
    Ok(packages)
}

#[derive(Default)]
struct RawFields<'a> {
    name: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    architecture: Option<Cow<'a, str>>,
    multi_arch: Option<Cow<'a, str>>,
    source: Option<Cow<'a, str>>,
    essential: bool,
    priority: Option<Cow<'a, str>>,
    pre_depends: Option<Cow<'a, str>>,
    depends: Option<Cow<'a, str>>,
    provides: Option<Cow<'a, str>>,
    conflicts: Option<Cow<'a, str>>,
    breaks: Option<Cow<'a, str>>,
    filename: Option<Cow<'a, str>>,
    size: Option<Cow<'a, str>>,
    sha256: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "Package: php8.4-cli\nSource: php8.4 (8.4.11-1)\nVersion: 8.4.11-1+b1\nArchitecture: amd64\nMulti-Arch: foreign\nDepends: libc6 (>= 2.38),\n libxml2 (>= 2.9)\nFilename: pool/main/p/php8.4/php8.4-cli_8.4.11-1+b1_amd64.deb\nSize: 1000\nSHA256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nDescription: command-line interpreter\n long text\n\nPackage: tzdata\nVersion: 2025b-4\nArchitecture: all\nEssential: no\nPriority: required\nFilename: pool/main/t/tzdata/tzdata_2025b-4_all.deb\nSize: 10\nSHA256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

    #[test]
    fn parses_packages() -> Result<(), Error> {
        let packages = parse_packages("Packages", INDEX)?;
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].source, "php8.4");
        assert_eq!(packages[0].source_version, "8.4.11-1");
        assert_eq!(packages[0].multi_arch, MultiArch::Foreign);
        assert_eq!(packages[1].source, "tzdata");
        assert_eq!(packages[1].source_version, "2025b-4");
        assert_eq!(packages[1].priority.as_deref(), Some("required"));
        Ok(())
    }

    #[test]
    fn multi_line_relation_fields_are_kept_whole() -> Result<(), Error> {
        let packages = parse_packages("Packages", INDEX)?;
        // deb822 folds continuation lines; a Depends broken over lines must not lose its tail.
        assert!(
            packages[0]
                .depends
                .as_deref()
                .is_some_and(|d| d.contains("libxml2")),
            "{:?}",
            packages[0].depends
        );
        Ok(())
    }

    #[test]
    fn missing_field_names_package_and_paragraph() {
        let text = INDEX.replace("Size: 10\n", "");
        let msg = parse_packages("main/binary-amd64/Packages", &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("tzdata") && msg.contains("Size") && msg.contains("paragraph 2"),
            "{msg}"
        );
    }
}
