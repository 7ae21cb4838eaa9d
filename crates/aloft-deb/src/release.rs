//! `Release` files: what a suite is, when it was made, and the hashes of its indexes.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::Error;
use crate::deb822::paragraphs;

/// One index file listed in a Release's `SHA256` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex sha256.
    pub sha256: String,
}

/// A parsed Release (the signed text of an InRelease).
#[derive(Debug, Clone)]
pub struct Release {
    /// `Origin`, e.g. `Debian`.
    pub origin: Option<String>,
    /// `Label`.
    pub label: Option<String>,
    /// `Suite`, e.g. `stable`.
    pub suite: Option<String>,
    /// `Codename`, e.g. `trixie`.
    pub codename: Option<String>,
    /// `Version`, e.g. `13.2`.
    pub version: Option<String>,
    /// `Date`: when the archive generated this Release.
    pub date: OffsetDateTime,
    /// `Valid-Until`, when present.
    pub valid_until: Option<OffsetDateTime>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `Components`.
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`.
    pub acquire_by_hash: bool,
    /// `No-Support-for-Architecture-all: Packages`: arch `all` packages are listed in
    /// every architecture's Packages file and there is no separate binary-all to read.
    pub no_arch_all_index: bool,
    /// The `SHA256` field, by path relative to the suite's `dists/` directory.
    pub sha256: BTreeMap<String, ReleaseFile>,
}

impl Release {
    /// Parses the text of a Release file; `name` names it in errors.
    pub fn parse(name: &str, text: &str) -> Result<Release, Error> {
        let bad = |field: &str, reason: String| Error::Release {
            file: name.to_owned(),
            field: field.to_owned(),
            reason,
        };
        let mut iter = paragraphs(name, text);
        let fields = match iter.next() {
            Some(fields) => fields?,
            None => return Err(bad("Date", "the file has no fields".into())),
        };
        let get = |field: &str| fields.get(field).map(|value| value.trim().to_owned());
        let date_text = get("Date").ok_or_else(|| bad("Date", "missing".into()))?;
        let date = parse_release_date(&date_text).map_err(|reason| bad("Date", reason))?;
        let valid_until = match get("Valid-Until") {
            Some(text) => {
                Some(parse_release_date(&text).map_err(|reason| bad("Valid-Until", reason))?)
            }
            None => None,
        };
        let words = |field: &str| -> Vec<String> {
            get(field)
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut sha256 = BTreeMap::new();
        if let Some(value) = fields.get("SHA256") {
            for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let mut parts = line.split_whitespace();
                let (Some(hash), Some(size), Some(path), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(bad("SHA256", format!("malformed line `{line}`")));
                };
                let size = size
                    .parse::<u64>()
                    .map_err(|_| bad("SHA256", format!("bad size in `{line}`")))?;
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("SHA256", format!("bad hash in `{line}`")));
                }
                sha256.insert(
                    path.to_owned(),
                    ReleaseFile {
                        size,
                        sha256: hash.to_ascii_lowercase(),
                    },
                );
            }
        }
        Ok(Release {
            origin: get("Origin"),
            label: get("Label"),
            suite: get("Suite"),
            codename: get("Codename"),
            version: get("Version"),
            date,
            valid_until,
            architectures: words("Architectures"),
            components: words("Components"),
            acquire_by_hash: get("Acquire-By-Hash").is_some_and(|v| v.eq_ignore_ascii_case("yes")),
            no_arch_all_index: get("No-Support-for-Architecture-all")
                .is_some_and(|v| v.split_whitespace().any(|w| w == "Packages")),
            sha256,
        })
    }

    /// The `Date` as RFC 3339, as recorded in lockfiles.
    pub fn date_rfc3339(&self) -> String {
        aloft_fs::rfc3339(self.date)
    }
}

/// Parses Release dates: RFC 2822 with the zone written `UTC`, `GMT`, `Z` or `+0000`.
pub fn parse_release_date(text: &str) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    let normalized = ["UTC", "GMT", "Z"]
        .iter()
        .find_map(|zone| text.strip_suffix(zone).map(|head| format!("{}+0000", head)))
        .unwrap_or_else(|| text.to_owned());
    OffsetDateTime::parse(&normalized, &time::format_description::well_known::Rfc2822)
        .map_err(|err| format!("`{text}` is not an RFC 2822 date: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 13.2\nCodename: trixie\nDate: Sat, 09 Aug 2025 09:56:44 UTC\nValid-Until: Sat, 16 Aug 2025 09:56:44 UTC\nAcquire-By-Hash: yes\nNo-Support-for-Architecture-all: Packages\nArchitectures: all amd64 arm64\nComponents: main contrib\nDescription: Debian 13.2\nSHA256:\n 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1234 main/binary-amd64/Packages\n 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee 99 main/binary-amd64/Packages.xz\n";

    #[test]
    fn parses_fields_and_hashes() -> Result<(), Error> {
        let release = Release::parse("InRelease", RELEASE)?;
        assert_eq!(release.codename.as_deref(), Some("trixie"));
        assert_eq!(release.date_rfc3339(), "2025-08-09T09:56:44Z");
        assert!(release.valid_until.is_some());
        assert!(release.acquire_by_hash && release.no_arch_all_index);
        assert_eq!(release.architectures, ["all", "amd64", "arm64"]);
        assert_eq!(release.sha256["main/binary-amd64/Packages"].size, 1234);
        Ok(())
    }

    #[test]
    fn names_the_bad_field() {
        let text = RELEASE.replace("Date: Sat, 09 Aug 2025 09:56:44 UTC", "Date: yesterday");
        let msg = Release::parse("InRelease", &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("Date") && msg.contains("InRelease"), "{msg}");
    }
}
