//! Machine-readable `debian/copyright` files (DEP-5, "copyright-format/1.0"): the license
//! short names a package declares. Files that are not machine-readable give nothing:
//! their licenses are prose, and reading names out of prose would be guessing.

use crate::deb822::paragraphs;

/// The licenses a machine-readable copyright file declares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyrightLicenses {
    /// The distinct `License:` short names (first line of the field) of the header and
    /// `Files:` paragraphs, in order of first appearance: `GPL-2+`, `Expat`,
    /// `GPL-2+ or Artistic`, `GPL-3+ with Autoconf exception`.
    pub names: Vec<String>,
}

/// The licenses of `text` (a copyright file), or `None` when it is not machine-readable
/// (no `Format:` naming copyright-format in its first paragraph) or does not parse.
pub fn copyright_licenses(text: &str) -> Option<CopyrightLicenses> {
    let mut found = CopyrightLicenses::default();
    for (index, paragraph) in paragraphs("copyright", text).enumerate() {
        let paragraph = paragraph.ok()?;
        let field = |name: &str| {
            paragraph
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.into_owned())
        };
        if index == 0 {
            let format = field("Format")?;
            if !format.contains("copyright-format") {
                return None;
            }
        }
        // Standalone license paragraphs (no `Files:`, after the header) only hold texts.
        if index > 0 && field("Files").is_none() {
            continue;
        }
        let Some(license) = field("License") else {
            continue;
        };
        let name = license.lines().next().unwrap_or("").trim().to_owned();
        if !name.is_empty() && !found.names.contains(&name) {
            found.names.push(name);
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_license_names_of_header_and_files_paragraphs() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: zlib
License: Zlib

Files: *
Copyright: 1995-2024 Jean-loup Gailly and Mark Adler
License: Zlib

Files: contrib/*
Copyright: someone
License: GPL-2+ or Artistic
 Long text that
 .
 goes on.

License: GPL-2+
 This program is free software.
";
        assert_eq!(
            copyright_licenses(text),
            Some(CopyrightLicenses {
                names: vec!["Zlib".into(), "GPL-2+ or Artistic".into()]
            })
        );
    }

    #[test]
    fn prose_files_give_nothing() {
        assert_eq!(
            copyright_licenses("This package was debianized by someone.\n\nIt is GPL.\n"),
            None
        );
    }
}
