//! Image names (`name:tag`), parsed and normalized the way Docker and containerd do.

use std::fmt;
use std::str::FromStr;

use crate::OciError;

/// The registry a name without a host belongs to. Normalizing to it is what containerd
/// expects in `io.containerd.image.name`; nothing is ever fetched from it.
const DEFAULT_DOMAIN: &str = "docker.io";
/// The namespace of one-component names on [`DEFAULT_DOMAIN`].
const OFFICIAL_NAMESPACE: &str = "library/";
const DEFAULT_TAG: &str = "latest";

/// A tagged image name such as `php-cli:8.4` or `registry.example:5000/team/app:1.0`.
///
/// Parsed by the rules of Docker's reference grammar: the first path component is a
/// registry host when it holds a `.` or `:` or is `localhost`; otherwise the name is on
/// the default registry, and a one-component name is in its `library/` namespace. A
/// missing tag is `latest`. Digest references (`@sha256:...`) are refused: aloft names
/// the image it builds, whose digest it does not know in advance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    domain: String,
    path: String,
    tag: String,
}

impl ImageRef {
    /// Parses `[host[:port]/]path[:tag]`.
    pub fn parse(text: &str) -> Result<ImageRef, OciError> {
        let invalid = |reason: &str| OciError::InvalidReference {
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.contains('@') {
            return Err(invalid(
                "digest references are not supported here; give name:tag",
            ));
        }
        let last_slash = text.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match text[last_slash..].rfind(':') {
            Some(i) => (&text[..last_slash + i], &text[last_slash + i + 1..]),
            None => (text, DEFAULT_TAG),
        };
        if !valid_tag(tag) {
            return Err(invalid(
                "the tag must be 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'",
            ));
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (first, rest.to_owned())
            }
            _ if !name.contains('/') => (DEFAULT_DOMAIN, format!("{OFFICIAL_NAMESPACE}{name}")),
            _ => (DEFAULT_DOMAIN, name.to_owned()),
        };
        if !valid_domain(domain) {
            return Err(invalid("the registry host is not a valid host[:port]"));
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid("the repository name must be lowercase"));
        }
        if !path.split('/').all(valid_path_component) {
            return Err(invalid(
                "each path component must be lowercase letters and digits, \
                 separated by '.', '_', '__' or dashes",
            ));
        }
        if domain.len() + 1 + path.len() > 255 {
            return Err(invalid("the name is longer than 255 characters"));
        }
        Ok(ImageRef {
            domain: domain.to_owned(),
            path,
            tag: tag.to_owned(),
        })
    }

    /// The registry host, with its port if given.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path on the registry (`library/php-cli`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag (`latest` when none was given).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The fully normalized name `domain/path:tag`, as `io.containerd.image.name` wants it.
    pub fn normalized(&self) -> String {
        format!("{}/{}:{}", self.domain, self.path, self.tag)
    }

    /// The short ("familiar") name Docker shows and writes in `RepoTags`: `php-cli:8.4`,
    /// `team/app:1`, or the full name on any other registry.
    pub fn familiar(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.normalized();
        }
        let path = match self.path.strip_prefix(OFFICIAL_NAMESPACE) {
            Some(rest) if !rest.contains('/') => rest,
            _ => &self.path,
        };
        format!("{path}:{}", self.tag)
    }
}

impl fmt::Display for ImageRef {
    /// The normalized name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

impl FromStr for ImageRef {
    type Err = OciError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

fn valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = tag.bytes();
    tag.len() <= 128
        && bytes.next().is_some_and(word)
        && bytes.all(|b| word(b) || b == b'.' || b == b'-')
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut rest = component;
    loop {
        let run = rest.find(|c: char| !alnum(c)).unwrap_or(rest.len());
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let sep = rest.find(alnum).unwrap_or(rest.len());
        let separator = &rest[..sep];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
        rest = &rest[sep..];
    }
}

/// `host(.host)*(:port)?` with host labels of letters, digits and inner dashes, or a
/// bracketed IPv6 address with an optional port.
fn valid_domain(domain: &str) -> bool {
    let valid_port = |port: &str| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    if let Some(bracketed) = domain.strip_prefix('[') {
        let Some((addr, rest)) = bracketed.split_once(']') else {
            return false;
        };
        let addr_ok = !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
        return addr_ok && (rest.is_empty() || rest.strip_prefix(':').is_some_and(valid_port));
    }
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if valid_port(port) => host,
        Some(_) => return false,
        None => domain,
    };
    host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_docker() {
        let cases = [
            (
                "php-cli:8.4",
                "docker.io/library/php-cli:8.4",
                "php-cli:8.4",
            ),
            (
                "php-cli",
                "docker.io/library/php-cli:latest",
                "php-cli:latest",
            ),
            ("team/app:1", "docker.io/team/app:1", "team/app:1"),
            (
                "localhost/app:dev",
                "localhost/app:dev",
                "localhost/app:dev",
            ),
            (
                "localhost:5000/a/b/c:v1.2-rc_3",
                "localhost:5000/a/b/c:v1.2-rc_3",
                "localhost:5000/a/b/c:v1.2-rc_3",
            ),
            (
                "registry.example/team/app",
                "registry.example/team/app:latest",
                "registry.example/team/app:latest",
            ),
            ("[::1]:5000/app:x", "[::1]:5000/app:x", "[::1]:5000/app:x"),
            (
                "team/a__b.c-d---e:T",
                "docker.io/team/a__b.c-d---e:T",
                "team/a__b.c-d---e:T",
            ),
        ];
        for (input, normalized, familiar) in cases {
            let r = ImageRef::parse(input).unwrap();
            assert_eq!(r.normalized(), normalized, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
            assert_eq!(r.to_string(), normalized);
        }
        let r = ImageRef::parse("registry.example:5000/team/app:1.0").unwrap();
        assert_eq!(
            (r.domain(), r.path(), r.tag()),
            ("registry.example:5000", "team/app", "1.0")
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            ":tag",
            "PHP:8.4",
            "php:",
            "php:.x",
            "php:-x",
            "a//b",
            "a/b/",
            "a..b",
            "a-",
            "-a",
            "a___b",
            "a__b.c/app",
            "app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "host:port/app",
            "-host.example/app",
            "[zz]/app",
            "[::1]x/app",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_tag = format!("app:{}", "t".repeat(129));
        assert!(ImageRef::parse(&long_tag).is_err());
        let long_name = "a".repeat(250);
        assert!(ImageRef::parse(&long_name).is_err());
    }
}
