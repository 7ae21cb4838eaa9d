//! `Packages` indexes: the binary packages a suite offers for one architecture.
//!
//! Only the fields a resolver and a fetcher need are kept; relation fields stay raw text
//! and are parsed on demand ([`crate::parse_relations`]), because a resolver visits a few
//! hundred of the ~70,000 packages of a Debian suite.

use std::borrow::Cow;

use crate::Error;

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

/// The text fields of a [`BinaryPackage`], in the order they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Version,
    Architecture,
    Source,
    SourceVersion,
    Priority,
    PreDepends,
    Depends,
    Provides,
    Conflicts,
    Breaks,
    Filename,
    Sha256,
}

const FIELDS: usize = 13;
/// The span of an absent field.
const ABSENT: (u32, u32) = (u32::MAX, u32::MAX);

/// One paragraph of a Packages index.
///
/// Its text fields live in one buffer (one allocation per package rather than one per
/// field: an index has ~70,000 paragraphs, and allocating and freeing their fields was a
/// quarter of `aloft lock`'s time); the accessors borrow from it.
#[derive(Clone, PartialEq, Eq)]
pub struct BinaryPackage {
    // A String, not a Box<str>: shrinking it would reallocate.
    text: String,
    spans: [(u32, u32); FIELDS],
    /// `Multi-Arch`.
    pub multi_arch: MultiArch,
    /// `Essential: yes`.
    pub essential: bool,
    /// `Size` of the .deb in bytes.
    pub size: u64,
}

impl std::fmt::Debug for BinaryPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinaryPackage")
            .field("name", &self.name())
            .field("version", &self.version())
            .field("architecture", &self.architecture())
            .finish_non_exhaustive()
    }
}

impl BinaryPackage {
    fn get(&self, field: Field) -> Option<&str> {
        let (start, end) = self.spans[field as usize];
        (start != u32::MAX).then(|| &self.text[start as usize..end as usize])
    }

    fn required(&self, field: Field) -> &str {
        self.get(field).unwrap_or_default()
    }

    /// `Package`.
    pub fn name(&self) -> &str {
        self.required(Field::Name)
    }
    /// `Version`, as written.
    pub fn version(&self) -> &str {
        self.required(Field::Version)
    }
    /// `Architecture` (`amd64`, `all`, ...).
    pub fn architecture(&self) -> &str {
        self.required(Field::Architecture)
    }
    /// Source package name (`Source`, else the package name).
    pub fn source(&self) -> &str {
        self.required(Field::Source)
    }
    /// Source version (from `Source: name (version)`, else the package version).
    pub fn source_version(&self) -> &str {
        self.required(Field::SourceVersion)
    }
    /// `Priority` (`required`, `important`, `standard`, `optional`, `extra`).
    pub fn priority(&self) -> Option<&str> {
        self.get(Field::Priority)
    }
    /// `Pre-Depends`, raw.
    pub fn pre_depends(&self) -> Option<&str> {
        self.get(Field::PreDepends)
    }
    /// `Depends`, raw.
    pub fn depends(&self) -> Option<&str> {
        self.get(Field::Depends)
    }
    /// `Provides`, raw.
    pub fn provides(&self) -> Option<&str> {
        self.get(Field::Provides)
    }
    /// `Conflicts`, raw.
    pub fn conflicts(&self) -> Option<&str> {
        self.get(Field::Conflicts)
    }
    /// `Breaks`, raw.
    pub fn breaks(&self) -> Option<&str> {
        self.get(Field::Breaks)
    }
    /// `Filename`: the pool path, relative to the archive root.
    pub fn filename(&self) -> &str {
        self.required(Field::Filename)
    }
    /// `SHA256` of the .deb, lower-case hex.
    pub fn sha256(&self) -> &str {
        self.required(Field::Sha256)
    }
}

/// Collects a package's fields into one buffer.
struct PackageBuilder {
    text: String,
    spans: [(u32, u32); FIELDS],
}

impl PackageBuilder {
    fn with_capacity(capacity: usize) -> PackageBuilder {
        PackageBuilder {
            text: String::with_capacity(capacity),
            spans: [ABSENT; FIELDS],
        }
    }

    fn set(&mut self, field: Field, value: Option<&str>) {
        if let Some(value) = value {
            let start = self.text.len();
            self.text.push_str(value);
            self.spans[field as usize] = (start as u32, self.text.len() as u32);
        }
    }
}

/// Parses a whole (uncompressed) Packages index; `name` names it in errors.
pub fn parse_packages(name: &str, text: &str) -> Result<Vec<BinaryPackage>, Error> {
    let mut packages = Vec::with_capacity(text.len() / 900);
    for (index, p) in raw_paragraphs(name, text).enumerate() {
        let p = p?;
        let missing = |field: &str, package: &str| Error::Index {
            file: name.to_owned(),
            paragraph: index + 1,
            package: package.to_owned(),
            reason: format!("missing field `{field}`"),
        };
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
        let architecture = p
            .architecture
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("Architecture", package))?;
        let filename = p
            .filename
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| missing("Filename", package))?;
        let mut builder = PackageBuilder::with_capacity(
            package.len()
                + version.len() * 2
                + source.len()
                + 96
                + filename.len()
                + [
                    &p.depends,
                    &p.pre_depends,
                    &p.provides,
                    &p.conflicts,
                    &p.breaks,
                ]
                .iter()
                .map(|v| v.as_deref().map_or(0, str::len))
                .sum::<usize>(),
        );
        builder.set(Field::Name, Some(package));
        builder.set(Field::Version, Some(version));
        builder.set(Field::Architecture, Some(architecture));
        builder.set(Field::Source, Some(source));
        builder.set(Field::SourceVersion, Some(source_version));
        builder.set(Field::Priority, p.priority.as_deref().map(str::trim));
        builder.set(Field::PreDepends, p.pre_depends.as_deref().map(str::trim));
        builder.set(Field::Depends, p.depends.as_deref().map(str::trim));
        builder.set(Field::Provides, p.provides.as_deref().map(str::trim));
        builder.set(Field::Conflicts, p.conflicts.as_deref().map(str::trim));
        builder.set(Field::Breaks, p.breaks.as_deref().map(str::trim));
        builder.set(Field::Filename, Some(filename));
        let start = builder.text.len();
        builder.text.push_str(sha256);
        builder.text[start..].make_ascii_lowercase();
        builder.spans[Field::Sha256 as usize] = (start as u32, builder.text.len() as u32);
        packages.push(BinaryPackage {
            text: builder.text,
            spans: builder.spans,
            multi_arch: match p.multi_arch.as_deref().map(str::trim) {
                Some("same") => MultiArch::Same,
                Some("foreign") => MultiArch::Foreign,
                Some("allowed") => MultiArch::Allowed,
                _ => MultiArch::No,
            },
            essential: p.essential,
            size,
        });
    }
    Ok(packages)
}

/// Where a kept field's value goes in [`RawFields`].
type Slot<'a> = for<'f> fn(&'f mut RawFields<'a>) -> &'f mut Option<Cow<'a, str>>;

/// The paragraphs of a Packages index with only the fields kept above.
///
/// Hand-written rather than through `deb822-fast`: a generic paragraph parser builds
/// every field of all ~70,000 paragraphs (descriptions included), which was a fifth of
/// `aloft lock`'s time; this scans lines (SIMD memchr) and looks at a
/// field only when its name is one of the fifteen kept. Continuation lines of a kept
/// field are joined with `\n`, as deb822 folds them.
fn raw_paragraphs<'a>(
    name: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Result<RawFields<'a>, Error>> + 'a {
    let mut rest = text;
    let mut lines = std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, tail) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = tail;
        Some(line)
    });
    let mut number = 0usize;
    std::iter::from_fn(move || {
        let mut fields = RawFields::default();
        let mut started = false;
        // The kept field that continuation lines extend.
        let mut current: Option<Slot<'a>> = None;
        for line in lines.by_ref() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let indented = line.starts_with([' ', '\t']);
            if line.is_empty() || (indented && line.trim_start_matches([' ', '\t']).is_empty()) {
                if started {
                    return Some(Ok(fields));
                }
                continue;
            }
            if !started {
                started = true;
                number += 1;
            }
            if indented {
                if let Some(field) = current {
                    let slot = field(&mut fields);
                    if let Some(value) = slot.take() {
                        let mut joined = value.into_owned();
                        joined.push('\n');
                        joined.push_str(line.trim());
                        *slot = Some(Cow::Owned(joined));
                    }
                }
                continue;
            }
            let Some((key, value)) =
                memchr::memchr(b':', line.as_bytes()).map(|i| (&line[..i], &line[i + 1..]))
            else {
                return Some(Err(Error::Deb822 {
                    file: name.to_owned(),
                    paragraph: number,
                    reason: format!("line `{line}` is neither `Field: value` nor a continuation"),
                }));
            };
            current = None;
            let slot: Slot<'a> = match key {
                "Package" => |f| &mut f.name,
                "Version" => |f| &mut f.version,
                "Architecture" => |f| &mut f.architecture,
                "Multi-Arch" => |f| &mut f.multi_arch,
                "Source" => |f| &mut f.source,
                "Priority" => |f| &mut f.priority,
                "Pre-Depends" => |f| &mut f.pre_depends,
                "Depends" => |f| &mut f.depends,
                "Provides" => |f| &mut f.provides,
                "Conflicts" => |f| &mut f.conflicts,
                "Breaks" => |f| &mut f.breaks,
                "Filename" => |f| &mut f.filename,
                "Size" => |f| &mut f.size,
                "SHA256" => |f| &mut f.sha256,
                "Essential" => {
                    fields.essential = value.trim() == "yes";
                    continue;
                }
                _ => continue,
            };
            *slot(&mut fields) = Some(Cow::Borrowed(value.trim()));
            current = Some(slot);
        }
        started.then_some(Ok(fields))
    })
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
        assert_eq!(packages[0].source(), "php8.4");
        assert_eq!(packages[0].source_version(), "8.4.11-1");
        assert_eq!(packages[0].multi_arch, MultiArch::Foreign);
        assert_eq!(packages[1].source(), "tzdata");
        assert_eq!(packages[1].source_version(), "2025b-4");
        assert_eq!(packages[1].priority(), Some("required"));
        Ok(())
    }

    #[test]
    fn multi_line_relation_fields_are_kept_whole() -> Result<(), Error> {
        let packages = parse_packages("Packages", INDEX)?;
        // deb822 folds continuation lines; a Depends broken over lines must not lose its tail.
        assert!(
            packages[0].depends().is_some_and(|d| d.contains("libxml2")),
            "{:?}",
            packages[0].depends()
        );
        Ok(())
    }

    #[test]
    fn crlf_blank_lines_and_unkept_continuations_are_handled() -> Result<(), Error> {
        let text =
            format!("\n\n{}", INDEX.replace('\n', "\r\n")).replace("\r\n\r\n", "\r\n \t \r\n");
        let packages = parse_packages("Packages", &text)?;
        assert_eq!(packages.len(), 2, "{text:?}");
        assert_eq!(packages[1].name(), "tzdata");
        assert_eq!(
            packages[0].depends(),
            Some("libc6 (>= 2.38),\nlibxml2 (>= 2.9)")
        );
        assert_eq!(packages[0].sha256().len(), 64);
        Ok(())
    }

    #[test]
    fn a_line_that_is_no_field_is_an_error() {
        let text = INDEX.replace("Size: 10\n", "Size 10\n");
        let msg = parse_packages("Packages", &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("paragraph 2") && msg.contains("`Size 10`"),
            "{msg}"
        );
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
