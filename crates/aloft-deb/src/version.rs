//! Debian versions: parsed by the `debversion` crate, ordered by dpkg's own algorithm.
//!
//! `debversion` 0.5 orders `1.0a` before `1.0a0`, which dpkg calls equal (a missing digit
//! run counts as 0); the dpkg fixture test caught it. Ordering is therefore done here, as
//! dpkg's `verrevcmp` does it (lib/dpkg/version.c), about thirty lines.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A Debian version (`[epoch:]upstream[-revision]`), ordered as dpkg orders it.
#[derive(Debug, Clone)]
pub struct Version(debversion::Version);

impl Version {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.0.epoch.unwrap_or(0)
    }

    /// The upstream part.
    pub fn upstream(&self) -> &str {
        &self.0.upstream_version
    }

    /// The Debian revision (`""` when absent).
    pub fn revision(&self) -> &str {
        self.0.debian_revision.as_deref().unwrap_or("")
    }
}

impl From<debversion::Version> for Version {
    fn from(version: debversion::Version) -> Self {
        Version(version)
    }
}

impl FromStr for Version {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        parse_version(text)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch()
            .cmp(&other.epoch())
            .then_with(|| verrevcmp(self.upstream(), other.upstream()))
            .then_with(|| verrevcmp(self.revision(), other.revision()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// dpkg's weight of one character in a non-digit run: `~` sorts before everything, even
/// the end of the string; letters before other characters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternate non-digit runs (by [`order`]) and digit runs (numerically).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Parses a Debian version string, naming it in the error.
pub fn parse_version(text: &str) -> Result<Version, Error> {
    text.parse::<debversion::Version>()
        .map(Version)
        .map_err(|err| Error::Version {
            version: text.to_owned(),
            reason: err.to_string(),
        })
}

/// Compares two version strings as `dpkg --compare-versions` does.
pub fn compare_versions(a: &str, b: &str) -> Result<Ordering, Error> {
    Ok(parse_version(a)?.cmp(&parse_version(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_corner_cases() -> Result<(), Error> {
        for (a, b, expected) in [
            ("1.0a", "1.0a0", Ordering::Equal),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1.0", "0:1.0", Ordering::Equal),
            ("1.0-0", "1.0", Ordering::Equal),
            ("1:0.1", "2.0", Ordering::Greater),
            ("1.0+b1", "1.0", Ordering::Greater),
            ("1.0~~", "1.0~", Ordering::Less),
            ("2.41-12+deb13u5", "2.41-12", Ordering::Greater),
        ] {
            assert_eq!(compare_versions(a, b)?, expected, "{a} vs {b}");
        }
        Ok(())
    }
}
