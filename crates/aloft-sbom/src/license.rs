//! Debian's license short names (DEP-5) as SPDX license expressions.
//!
//! DEP-5 names are close to SPDX's but not the same: `GPL-2+` is `GPL-2.0-or-later`,
//! `Expat` is `MIT`, `BSD-3-clause` is `BSD-3-Clause`; `or`, `and` and `with` combine
//! them. A name SPDX does not know becomes a `LicenseRef-` of its own (the document then
//! says where it was read). The `spdx` crate's license list decides what SPDX knows, and
//! its parser checks every expression made here; one it rejects gives `None`
//! (NOASSERTION) rather than a made-up license.

/// A package's declared license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredLicense {
    /// The SPDX expression.
    pub expression: String,
    /// The `LicenseRef-...` identifiers it uses, with the Debian name each stands for.
    pub refs: Vec<(String, String)>,
}

/// Debian names SPDX spells differently (compared case-insensitively).
const ALIASES: &[(&str, &str)] = &[
    ("Expat", "MIT"),
    ("Apache-2", "Apache-2.0"),
    ("MPL-2", "MPL-2.0"),
    ("PSF-2", "PSF-2.0"),
    ("Python-2", "Python-2.0"),
    ("Artistic-2", "Artistic-2.0"),
    ("CC0", "CC0-1.0"),
    ("BSL-1", "BSL-1.0"),
];

/// The SPDX id of one Debian license name, if SPDX has it.
fn spdx_id(name: &str) -> Option<String> {
    let name = ALIASES
        .iter()
        .find(|(debian, _)| debian.eq_ignore_ascii_case(name))
        .map_or(name, |(_, spdx)| spdx);
    // GNU licenses: `GPL-2`, `GPL-2+`, `LGPL-2.1+`, `GPL-2.0+`.
    let (base, or_later) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, false),
    };
    for family in ["AGPL", "LGPL", "GPL", "GFDL"] {
        if let Some(version) = base
            .strip_prefix(family)
            .and_then(|rest| rest.strip_prefix('-'))
            .filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.') && !v.is_empty())
        {
            let version = if version.contains('.') {
                version.to_owned()
            } else {
                format!("{version}.0")
            };
            return spdx::gnu_license_id(&format!("{family}-{version}"), or_later)
                .map(|id| id.name.to_owned());
        }
    }
    if or_later {
        // `Apache-2.0+` and the like: SPDX's `+` operator.
        return spdx_id(base).map(|id| format!("{id}+"));
    }
    spdx::license_id(name)
        .or_else(|| {
            spdx::identifiers::LICENSES
                .iter()
                .find(|license| license.0.eq_ignore_ascii_case(name))
                .and_then(|license| spdx::license_id(license.0))
        })
        .filter(|id| !id.is_deprecated())
        .map(|id| id.name.to_owned())
}

/// `LicenseRef-` plus `text` made an SPDX id: `+` spelled `-or-later`, every other
/// character SPDX does not allow (anything but letters, digits, `.` and `-`) a `-`.
fn license_ref(text: &str) -> String {
    let mut id = String::with_capacity(text.len() + 8);
    for c in text.replace('+', "-or-later-").chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && id.ends_with('-')) {
            id.push(c);
        }
    }
    format!("LicenseRef-{}", id.trim_matches('-'))
}

/// One Debian license field value (`GPL-2+ or Artistic`, `GPL-2+ with OpenSSL
/// exception`) as an SPDX expression, adding the refs it needs to `refs`.
fn term(value: &str, refs: &mut Vec<(String, String)>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words = value.split_whitespace().peekable();
    let mut operands = 0;
    while let Some(word) = words.next() {
        match word.to_ascii_lowercase().as_str() {
            "or" => out.push("OR".into()),
            "and" => out.push("AND".into()),
            _ => {
                operands += 1;
                let mut name = word.trim_end_matches(',').to_owned();
                // `NAME with SOME exception`: an exception SPDX knows, else one ref for all.
                let mut exception = Vec::new();
                if words.peek().is_some_and(|w| w.eq_ignore_ascii_case("with")) {
                    words.next();
                    while let Some(w) = words.peek() {
                        if w.eq_ignore_ascii_case("or") || w.eq_ignore_ascii_case("and") {
                            break;
                        }
                        exception.push((*w).to_owned());
                        words.next();
                    }
                }
                let id = match (spdx_id(&name), exception.is_empty()) {
                    (Some(id), true) => id,
                    (Some(id), false) => {
                        let phrase = exception.join(" ");
                        let candidate = phrase.trim_end_matches(" exception").replace(' ', "-");
                        match spdx::exception_id(&format!("{candidate}-exception"))
                            .or_else(|| spdx::exception_id(&candidate))
                        {
                            Some(exception) => format!("{id} WITH {}", exception.name),
                            None => {
                                name = format!("{name} with {phrase}");
                                add_ref(&name, refs)
                            }
                        }
                    }
                    (None, _) => {
                        if !exception.is_empty() {
                            name = format!("{name} with {}", exception.join(" "));
                        }
                        add_ref(&name, refs)
                    }
                };
                out.push(id);
            }
        }
    }
    if operands == 0 {
        return None;
    }
    let text = out.join(" ");
    Some(if operands > 1 {
        format!("({text})")
    } else {
        text
    })
}

fn add_ref(name: &str, refs: &mut Vec<(String, String)>) -> String {
    let id = license_ref(name);
    if !refs.iter().any(|(r, _)| *r == id) {
        refs.push((id.clone(), name.to_owned()));
    }
    id
}

/// The declared license of a package whose copyright file names `names` (every one
/// applies to some of its files, so they are joined with AND). `None` when there are
/// none or the result is not a valid SPDX expression.
pub fn declared_license(names: &[String]) -> Option<DeclaredLicense> {
    let mut refs = Vec::new();
    let mut terms = Vec::new();
    for name in names {
        let term = term(name, &mut refs)?;
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    if terms.is_empty() {
        return None;
    }
    let expression = if terms.len() == 1 {
        terms[0]
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_owned()
    } else {
        terms.join(" AND ")
    };
    spdx::Expression::parse(&expression).ok()?;
    Some(DeclaredLicense { expression, refs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(names: &[&str]) -> Option<String> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        declared_license(&names).map(|d| d.expression)
    }

    #[test]
    fn debian_names_become_spdx_ids() {
        assert_eq!(declared(&["GPL-2+"]).as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(declared(&["GPL-2"]).as_deref(), Some("GPL-2.0-only"));
        assert_eq!(
            declared(&["LGPL-2.1+"]).as_deref(),
            Some("LGPL-2.1-or-later")
        );
        assert_eq!(declared(&["Expat"]).as_deref(), Some("MIT"));
        assert_eq!(declared(&["BSD-3-clause"]).as_deref(), Some("BSD-3-Clause"));
        assert_eq!(declared(&["Zlib", "Zlib"]).as_deref(), Some("Zlib"));
        assert_eq!(declared(&[]), None);
    }

    #[test]
    fn combinations_and_unknown_names() {
        assert_eq!(
            declared(&["GPL-2+ or Artistic-2.0", "Expat"]).as_deref(),
            Some("(GPL-2.0-or-later OR Artistic-2.0) AND MIT")
        );
        let license = declared_license(&["public-domain".to_owned(), "PHP-3.01".to_owned()]);
        let license = license.as_ref();
        assert_eq!(
            license.map(|l| l.expression.as_str()),
            Some("LicenseRef-public-domain AND PHP-3.01")
        );
        assert_eq!(
            license.map(|l| l.refs.clone()),
            Some(vec![(
                "LicenseRef-public-domain".to_owned(),
                "public-domain".to_owned()
            )])
        );
        assert_eq!(
            declared(&["GPL-2+ with OpenSSL exception"]).as_deref(),
            Some("LicenseRef-GPL-2-or-later-with-OpenSSL-exception")
        );
    }
}
