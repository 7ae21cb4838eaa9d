//! Where the official archives are: `--mirror`, `ALOFT_MIRROR`, or the host's apt sources.
//!
//! aloft never has a built-in mirror host. The settings name the base URL of the Debian
//! archive (`URL` or `debian=URL`) and optionally of the security archive
//! (`debian-security=URL`); without the latter, the security archive is looked up in the
//! apt sources, else taken as the sibling `<base>-security` of the Debian archive (the
//! layout of Debian's own mirror network).

use std::collections::BTreeMap;
use std::path::Path;

use crate::FetchError;

/// Base URLs of the official archives, by archive name (`debian`, `debian-security`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirrors {
    bases: BTreeMap<String, MirrorBase>,
}

/// A base URL and where it was set (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorBase {
    /// The URL, without a trailing slash.
    pub url: String,
    /// `--mirror`, `ALOFT_MIRROR`, a sources file path, or `derived`.
    pub from: String,
}

/// Parses `URL` or `NAME=URL` items (comma or whitespace separated).
fn parse_settings(
    text: &str,
    from: &str,
    into: &mut BTreeMap<String, MirrorBase>,
) -> Result<(), FetchError> {
    for item in text
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (name, url) = match item.split_once('=') {
            Some((name, url)) if !name.contains("://") => (name.trim(), url.trim()),
            _ => ("debian", item),
        };
        if !(url.starts_with("http://")
            || url.starts_with("https://")
            || url.starts_with("file://"))
        {
            return Err(FetchError::BadMirror {
                setting: from.to_owned(),
                value: item.to_owned(),
            });
        }
        if name != "debian" && name != "debian-security" {
            return Err(FetchError::BadMirror {
                setting: from.to_owned(),
                value: item.to_owned(),
            });
        }
        into.entry(name.to_owned()).or_insert(MirrorBase {
            url: url.trim_end_matches('/').to_owned(),
            from: from.to_owned(),
        });
    }
    Ok(())
}

impl Mirrors {
    /// Collects mirrors from the command line, then the environment, then apt sources under
    /// `apt_etc` (normally `/etc/apt`); earlier settings win per archive.
    pub fn discover(
        cli: &[String],
        env: Option<&str>,
        apt_etc: Option<&Path>,
    ) -> Result<Mirrors, FetchError> {
        let mut bases = BTreeMap::new();
        for item in cli {
            parse_settings(item, "--mirror", &mut bases)?;
        }
        if let Some(env) = env {
            parse_settings(env, "ALOFT_MIRROR", &mut bases)?;
        }
        if let Some(apt_etc) = apt_etc {
            for (archive, base) in apt_sources(apt_etc) {
                bases.entry(archive).or_insert(base);
            }
        }
        if !bases.contains_key("debian-security")
            && let Some(debian) = bases.get("debian")
            && let Some(stem) = debian.url.strip_suffix("/debian")
        {
            let derived = MirrorBase {
                url: format!("{stem}/debian-security"),
                from: format!("derived from {}", debian.from),
            };
            bases.insert("debian-security".to_owned(), derived);
        }
        Ok(Mirrors { bases })
    }

    /// The base URL for `archive`, or an error that says how to set one.
    pub fn base(&self, archive: &str) -> Result<&MirrorBase, FetchError> {
        self.bases.get(archive).ok_or_else(|| FetchError::NoMirror {
            archive: archive.to_owned(),
        })
    }
}

/// One source entry: its URI and suites.
struct SourceEntry {
    uri: String,
    suites: Vec<String>,
    signed_by_debian: bool,
}

/// Official archives found in apt's sources (`sources.list`, `sources.list.d/*.list`, `*.sources`).
fn apt_sources(apt_etc: &Path) -> Vec<(String, MirrorBase)> {
    let mut files = vec![apt_etc.join("sources.list")];
    if let Ok(dir) = fs_err::read_dir(apt_etc.join("sources.list.d")) {
        let mut more: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = fs_err::read_to_string(&file) else {
            continue;
        };
        let entries = match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => deb822_sources(&text),
            Some("list") => one_line_sources(&text),
            _ => continue,
        };
        for entry in entries {
            if let Some(archive) = classify(&entry) {
                found.push((
                    archive.to_owned(),
                    MirrorBase {
                        url: entry.uri.trim_end_matches('/').to_owned(),
                        from: file.display().to_string(),
                    },
                ));
            }
        }
    }
    found
}

/// Which official archive a source entry carries, if any.
fn classify(entry: &SourceEntry) -> Option<&'static str> {
    let path = entry.uri.trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or("");
    if last == "debian-security"
        || entry
            .suites
            .iter()
            .any(|s| s.ends_with("-security") || s.ends_with("/updates"))
    {
        return Some("debian-security");
    }
    if last == "debian" || entry.signed_by_debian {
        return Some("debian");
    }
    None
}

fn deb822_sources(text: &str) -> Vec<SourceEntry> {
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut types = String::new();
        let mut uris = String::new();
        let mut suites = String::new();
        let mut signed_by = String::new();
        let mut enabled = true;
        for line in paragraph
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
        {
            if let Some((key, value)) = line.split_once(':') {
                let value = value.trim();
                match key.trim().to_ascii_lowercase().as_str() {
                    "types" => types = value.to_owned(),
                    "uris" => uris = value.to_owned(),
                    "suites" => suites = value.to_owned(),
                    "signed-by" => signed_by = value.to_owned(),
                    "enabled" => enabled = value != "no",
                    _ => {}
                }
            }
        }
        if !enabled || !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        for uri in uris.split_whitespace() {
            out.push(SourceEntry {
                uri: uri.to_owned(),
                suites: suites.split_whitespace().map(str::to_owned).collect(),
                signed_by_debian: signed_by.contains("debian-archive-keyring"),
            });
        }
    }
    out
}

fn one_line_sources(text: &str) -> Vec<SourceEntry> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut rest = rest.trim_start();
        let mut signed_by_debian = false;
        if rest.starts_with('[') {
            let Some(end) = rest.find(']') else { continue };
            signed_by_debian = rest[..end].contains("debian-archive-keyring");
            rest = rest[end + 1..].trim_start();
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(SourceEntry {
            uri: uri.to_owned(),
            suites: vec![suite.to_owned()],
            signed_by_debian,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_then_env_then_apt_sources() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs_err::create_dir_all(dir.path().join("sources.list.d"))?;
        fs_err::write(
            dir.path().join("sources.list.d/debian.sources"),
            "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.invalid/debian-security\nSuites: trixie-security\nComponents: main\n",
        )?;
        let from_apt = Mirrors::discover(&[], None, Some(dir.path()))?;
        assert_eq!(from_apt.base("debian")?.url, "http://mirror.invalid/debian");
        assert_eq!(
            from_apt.base("debian-security")?.url,
            "http://security.invalid/debian-security"
        );
        let env = Mirrors::discover(&[], Some("http://env.invalid/debian/"), Some(dir.path()))?;
        assert_eq!(env.base("debian")?.url, "http://env.invalid/debian");
        let cli = Mirrors::discover(
            &["http://cli.invalid/debian".into()],
            Some("http://env.invalid/x"),
            None,
        )?;
        assert_eq!(cli.base("debian")?.url, "http://cli.invalid/debian");
        assert_eq!(
            cli.base("debian-security")?.url,
            "http://cli.invalid/debian-security"
        );
        Ok(())
    }

    #[test]
    fn one_line_sources_and_missing_mirror() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs_err::write(
            dir.path().join("sources.list"),
            "# c\ndeb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m.invalid/pub/deb trixie main\ndeb-src http://x.invalid/debian trixie main\n",
        )?;
        let m = Mirrors::discover(&[], None, Some(dir.path()))?;
        assert_eq!(m.base("debian")?.url, "http://m.invalid/pub/deb");
        let none = Mirrors::discover(&[], None, None)?;
        let msg = none
            .base("debian")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("--mirror") && msg.contains("ALOFT_MIRROR"),
            "{msg}"
        );
        assert!(Mirrors::discover(&["ftp://x".into()], None, None).is_err());
        Ok(())
    }
}
