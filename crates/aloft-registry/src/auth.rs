//! Credentials (docker's config.json and credential helpers, then podman's auth.json) and
//! the `WWW-Authenticate` challenges of the distribution spec's token flow.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use docker_credential::{CredentialRetrievalError, DockerCredential};

use crate::RegistryError;

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or access token used as one).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An identity (refresh) token, exchanged at the token endpoint (OAuth2).
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    // Never print a secret, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credential::IdentityToken(_) => write!(f, "IdentityToken(***)"),
        }
    }
}

impl Credential {
    /// The `Authorization` header value of HTTP basic auth, if this is a password.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

/// The credential docker, skopeo and crane would use for `registry` (`host[:port]`):
/// docker's config.json (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
/// with its `credHelpers` and `credsStore` run as `docker-credential-NAME get`; then
/// podman's auth.json (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`).
/// `None` when neither has an entry for the registry.
pub fn credential_for(registry: &str) -> Result<Option<Credential>, RegistryError> {
    let failed = |e: CredentialRetrievalError| RegistryError::Credentials {
        registry: registry.to_owned(),
        message: e.to_string(),
    };
    // docker_credential reports a missing file as a read error: look first, so that no
    // config file means no credential rather than a failure.
    let docker_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")));
    if docker_dir.is_some_and(|dir| dir.join("config.json").is_file()) {
        match docker_credential::get_credential(registry) {
            Ok(credential) => return Ok(Some(convert(credential))),
            Err(CredentialRetrievalError::NoCredentialConfigured) => {}
            Err(e) => return Err(failed(e)),
        }
    }
    let podman_files = [
        std::env::var_os("REGISTRY_AUTH_FILE").map(PathBuf::from),
        std::env::var_os("XDG_RUNTIME_DIR")
            .map(|dir| PathBuf::from(dir).join("containers/auth.json")),
    ];
    if podman_files.iter().flatten().any(|file| file.is_file()) {
        match docker_credential::get_podman_credential(registry) {
            Ok(credential) => return Ok(Some(convert(credential))),
            Err(CredentialRetrievalError::NoCredentialConfigured) => {}
            Err(e) => return Err(failed(e)),
        }
    }
    Ok(None)
}

fn convert(credential: DockerCredential) -> Credential {
    match credential {
        DockerCredential::UsernamePassword(username, password) => {
            Credential::Basic { username, password }
        }
        DockerCredential::IdentityToken(token) => Credential::IdentityToken(token),
    }
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `bearer` or `basic`, lowercased.
    pub(crate) scheme: String,
    /// Its parameters (`realm`, `service`, `scope`), names lowercased.
    pub(crate) params: BTreeMap<String, String>,
}

/// Parses `Bearer realm="https://auth/token",service="registry",scope="..."` (RFC 7235:
/// a scheme, then comma-separated `name=value` pairs, values optionally quoted with
/// backslash escapes). Only the first challenge is read; registries send one.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() {
            break;
        }
        if chars.next_if_eq(&'=').is_none() {
            // A token68 or a second scheme: not a parameter of this challenge.
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        params.insert(name, value);
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_parsed_with_quotes_and_commas_in_values() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.test/token",service="reg, test",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.test/token");
        assert_eq!(c.params["service"], "reg, test");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
    }

    #[test]
    fn basic_challenges_and_unquoted_values_are_parsed() {
        let c = parse_challenge(r#"Basic realm=Registry"#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "Registry");
        let c = parse_challenge(r#"Bearer realm="a\"b""#).unwrap();
        assert_eq!(c.params["realm"], "a\"b");
        assert_eq!(parse_challenge("  "), None);
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let c = Credential::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic_header().unwrap(), "Basic dTpodW50ZXIy");
    }
}
