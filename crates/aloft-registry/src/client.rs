//! One registry: the connection (HTTPS, or plain HTTP where allowed), authentication per
//! repository scope, and the distribution API calls a push needs.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::Response;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Body, SendBody};

use crate::RegistryError;
use crate::auth::{Credential, parse_challenge};

/// Builds and sends one request with the given agent and `Authorization` header.
type MakeRequest<'a> =
    dyn FnMut(&ureq::Agent, Option<&str>) -> Result<Response<Body>, ureq::Error> + 'a;
/// How to reach and talk to a registry.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// PEM file of CAs trusted for the registry's certificate, beside the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Use plain HTTP even for a registry that is not on loopback.
    pub plain_http: bool,
    /// The credential; `None` looks it up in docker's and podman's config.
    pub credential: Option<Credential>,
    /// Attempts per request or blob (1 = no retry).
    pub attempts: u32,
    /// First backoff between attempts; doubled after each.
    pub backoff: Duration,
    /// Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size.
    pub chunk_size: u64,
    /// Connect timeout.
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            ca_file: None,
            plain_http: false,
            credential: None,
            attempts: 4,
            backoff: Duration::from_millis(250),
            chunk_size: 32 << 20,
            connect_timeout: Duration::from_secs(15),
        }
    }
}

/// What a repository scope grants: `repository:NAME:pull,push`, plus `pull` on the
/// repository a blob is mounted from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Scope(Vec<String>);

impl Scope {
    pub(crate) fn push(repository: &str) -> Scope {
        Scope(vec![format!("repository:{repository}:pull,push")])
    }

    pub(crate) fn push_and_pull_from(repository: &str, from: &str) -> Scope {
        Scope(vec![
            format!("repository:{repository}:pull,push"),
            format!("repository:{from}:pull"),
        ])
    }
}

/// A connected registry. Cheap to share between threads (`&Registry`).
pub struct Registry {
    host: String,
    base: String,
    agent: ureq::Agent,
    credential: Option<Credential>,
    /// `Authorization` header per scope, from the last challenge answered.
    authorizations: Mutex<HashMap<Scope, String>>,
    options: ClientOptions,
}

/// Where a blob upload stands after a cross-repository mount was asked for.
pub(crate) enum Mount {
    /// The registry linked the blob: nothing to send.
    Mounted,
    /// The registry started an upload instead (it has not the blob there, or does not
    /// mount); the upload URL.
    Started(String),
}

/// What the registry said to a manifest PUT.
pub(crate) struct PutManifest {
    /// It sent `OCI-Subject`: it keeps the referrers of the subject itself.
    pub(crate) subject_acknowledged: bool,
}

fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The system's CA roots and those of `ca_file`.
fn root_certs(options: &ClientOptions) -> Result<RootCerts, RegistryError> {
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!("system CA roots: {error}");
    }
    certs.extend(
        native
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
    );
    if let Some(path) = &options.ca_file {
        let ca_error = |message: String| RegistryError::CaFile {
            path: path.clone(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let mut found = 0;
        for item in ureq::tls::parse_pem(&pem) {
            match item.map_err(|e| ca_error(format!("not PEM: {e}")))? {
                PemItem::Certificate(cert) => {
                    certs.push(cert.to_owned());
                    found += 1;
                }
                PemItem::PrivateKey(_) => {
                    return Err(ca_error(
                        "holds a private key; give the CA's certificate only".into(),
                    ));
                }
                _ => {}
            }
        }
        if found == 0 {
            return Err(ca_error("holds no PEM certificate".into()));
        }
    }
    if certs.is_empty() {
        // No system store (a minimal container): the bundled Mozilla roots.
        return Ok(RootCerts::WebPki);
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// Whether `error` says the peer's certificate was refused (not that it spoke no TLS).
fn is_certificate_error(error: &ureq::Error) -> bool {
    matches!(
        rustls_error(error),
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
    )
}

/// The rustls error behind `error`, if any.
fn rustls_error(error: &ureq::Error) -> Option<&rustls::Error> {
    match error {
        ureq::Error::Rustls(e) => Some(e),
        // ureq hands some handshake failures over as the I/O error rustls wrapped them in.
        ureq::Error::Io(e) => e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()),
        _ => None,
    }
}

/// `request` with the `Authorization` header `send` chose, if any.
fn authorized<B>(request: ureq::RequestBuilder<B>, auth: Option<&str>) -> ureq::RequestBuilder<B> {
    match auth {
        Some(auth) => request.header("Authorization", auth),
        None => request,
    }
}

/// Whether a TLS handshake failed the way it does against a plain-HTTP server: an
/// answer in plain text, or the connection closed on the ClientHello. (The plain-HTTP
/// probe that follows must then get a registry's answer.)
fn speaks_no_tls(error: &ureq::Error) -> bool {
    if let Some(
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. },
    ) = rustls_error(error)
    {
        return true;
    }
    match error {
        ureq::Error::Io(e) => matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        _ => false,
    }
}

/// Whether an answer to `GET /v2/` comes from a registry: 200 or 401, as the
/// distribution spec says.
fn is_registry_answer(response: &Response<Body>) -> bool {
    matches!(response.status().as_u16(), 200 | 401)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub(crate) fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with `name=value` appended to its query.
fn with_query(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={}", query_value(value))
}

/// The first 300 characters of an error body: the OCI error JSON's messages, else text.
fn error_detail(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(errors) = json.get("errors").and_then(|e| e.as_array())
    {
        let parts: Vec<String> = errors
            .iter()
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
                format!("{code} {message}").trim().to_owned()
            })
            .collect();
        return parts.join("; ");
    }
    let text = String::from_utf8_lossy(body);
    text.trim().chars().take(300).collect()
}

impl Registry {
    /// Connects to `host` (`host[:port]`): HTTPS with the system's roots and
    /// `ca_file`'s; a loopback registry that does not speak TLS is used over plain HTTP,
    /// any other only with `plain_http`. No credential is sent until the registry asks.
    pub fn connect(host: &str, options: &ClientOptions) -> Result<Registry, RegistryError> {
        let tls = TlsConfig::builder()
            .root_certs(root_certs(options)?)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .tls_config(tls)
            .user_agent(concat!("aloft/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::new_with_config(config);
        let credential = match &options.credential {
            Some(c) => Some(c.clone()),
            None => crate::auth::credential_for(host)?,
        };
        let mut registry = Registry {
            host: host.to_owned(),
            base: String::new(),
            agent,
            credential,
            authorizations: Mutex::new(HashMap::new()),
            options: options.clone(),
        };
        registry.base = registry.choose_scheme()?;
        registry.log_in()?;
        Ok(registry)
    }

    /// Checks the credential as `docker login` does, by answering `GET /v2/`'s challenge
    /// (no repository scope), so a wrong password or a missing login stops the run
    /// before anything is built.
    fn log_in(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        let what = "logging in";
        match self.get_document(&Scope(Vec::new()), &url, what, "application/json", 1 << 20)? {
            Some(_) => Ok(()),
            None => Err(RegistryError::Protocol {
                registry: self.host.clone(),
                what: what.to_owned(),
                message: "GET /v2/ answered 404: this is not an OCI registry".to_owned(),
            }),
        }
    }

    /// `https://host` if `/v2/` answers over TLS; `http://host` where plain HTTP is allowed
    /// and the server plainly does not speak TLS. Any other TLS failure is the error: a
    /// server that speaks TLS is never talked to in the clear.
    fn choose_scheme(&self) -> Result<String, RegistryError> {
        let https = format!("https://{}", self.host);
        let http = format!("http://{}", self.host);
        if self.options.plain_http {
            return Ok(http);
        }
        let error = match self.agent.get(format!("{https}/v2/")).call() {
            Ok(mut response) => {
                // Drain the body so the pooled connection is clean for the next request.
                let _ = response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec();
                return Ok(https);
            }
            Err(e) => e,
        };
        tracing::debug!("{https}/v2/: {error:?}");
        if is_certificate_error(&error) {
            return Err(RegistryError::UntrustedCertificate {
                registry: self.host.clone(),
                message: error.to_string(),
            });
        }
        if !speaks_no_tls(&error) {
            return Err(self.transport("connecting over TLS", &error));
        }
        if !is_loopback(&self.host) {
            return Err(RegistryError::PlainHttpRefused {
                registry: self.host.clone(),
            });
        }
        match self.agent.get(format!("{http}/v2/")).call() {
            Ok(mut response) if is_registry_answer(&response) => {
                let _ = response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec();
                tracing::debug!("{}: no TLS on loopback, using plain HTTP", self.host);
                Ok(http)
            }
            Ok(response) => Err(RegistryError::Protocol {
                registry: self.host.clone(),
                what: "connecting".to_owned(),
                message: format!(
                    "neither TLS ({error}) nor a registry over plain HTTP (HTTP {} to GET /v2/)",
                    response.status().as_u16()
                ),
            }),
            Err(_) => Err(self.transport("connecting", &error)),
        }
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The base URL, `https://host[:port]` or `http://...`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.options.attempts.max(1)
    }

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        self.options.backoff * 2u32.saturating_pow(attempt.saturating_sub(1))
    }

    pub(crate) fn chunk_size(&self) -> u64 {
        self.options.chunk_size.max(1)
    }

    fn transport(&self, what: &str, error: &ureq::Error) -> RegistryError {
        RegistryError::Transport {
            registry: self.host.clone(),
            what: what.to_owned(),
            message: error.to_string(),
        }
    }

    pub(crate) fn status_error(&self, what: &str, response: &mut Response<Body>) -> RegistryError {
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        RegistryError::Status {
            registry: self.host.clone(),
            what: what.to_owned(),
            status: response.status().as_u16(),
            detail: error_detail(&body),
        }
    }

    /// `url` made absolute: registries send upload locations relative or absolute.
    pub(crate) fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            format!("{}/{location}", self.base)
        }
    }

    /// Sends a request built by `make` (given the `Authorization` header, if any); on
    /// 401 answers the registry's challenge once and sends it again.
    pub(crate) fn send(
        &self,
        scope: &Scope,
        what: &str,
        make: &mut MakeRequest<'_>,
    ) -> Result<Response<Body>, RegistryError> {
        let cached = self
            .authorizations
            .lock()
            .ok()
            .and_then(|m| m.get(scope).cloned());
        let response =
            make(&self.agent, cached.as_deref()).map_err(|e| self.transport(what, &e))?;
        if response.status().as_u16() != 401 {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge)
            .ok_or_else(|| RegistryError::Unauthorized {
                registry: self.host.clone(),
                what: what.to_owned(),
                reason: "HTTP 401 without a WWW-Authenticate challenge".to_owned(),
            })?;
        let authorization = self.answer(&challenge, scope, what)?;
        if let Ok(mut map) = self.authorizations.lock() {
            map.insert(scope.clone(), authorization.clone());
        }
        let mut response =
            make(&self.agent, Some(&authorization)).map_err(|e| self.transport(what, &e))?;
        if response.status().as_u16() == 401 {
            let detail = self.status_error(what, &mut response);
            return Err(RegistryError::Unauthorized {
                registry: self.host.clone(),
                what: what.to_owned(),
                reason: format!("{} ({detail})", self.refusal()),
            });
        }
        Ok(response)
    }

    /// What to tell the user when the registry refuses: whose credential was tried.
    fn refusal(&self) -> String {
        match &self.credential {
            Some(Credential::Basic { username, .. }) => format!(
                "the registry refused the credentials of `{username}` (from docker's or podman's config); log in again"
            ),
            Some(Credential::IdentityToken(_)) => {
                "the registry refused the identity token from docker's config; log in again"
                    .to_owned()
            }
            None => format!(
                "the registry wants credentials and docker's and podman's config have none for {}; log in first (docker login {})",
                self.host, self.host
            ),
        }
    }

    /// The `Authorization` header that answers `challenge` for `scope`.
    fn answer(
        &self,
        challenge: &crate::auth::Challenge,
        scope: &Scope,
        what: &str,
    ) -> Result<String, RegistryError> {
        let unauthorized = |reason: String| RegistryError::Unauthorized {
            registry: self.host.clone(),
            what: what.to_owned(),
            reason,
        };
        match challenge.scheme.as_str() {
            "basic" => self
                .credential
                .as_ref()
                .and_then(Credential::basic_header)
                .ok_or_else(|| unauthorized(self.refusal())),
            "bearer" => {
                let realm = challenge
                    .params
                    .get("realm")
                    .ok_or_else(|| unauthorized("a Bearer challenge without a realm".into()))?;
                let token = self.fetch_token(realm, challenge.params.get("service"), scope)?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(unauthorized(format!(
                "unsupported authentication scheme `{other}`"
            ))),
        }
    }

    /// A bearer token for `scope` from the token endpoint `realm` (the distribution
    /// spec's token flow; OAuth2 refresh-token grant for an identity token).
    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&String>,
        scope: &Scope,
    ) -> Result<String, RegistryError> {
        let what = format!("getting a token from {realm}");
        let mut response = match &self.credential {
            Some(Credential::IdentityToken(token)) => {
                let mut form: Vec<(&str, &str)> = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token),
                    ("client_id", "aloft"),
                ];
                if let Some(service) = service {
                    form.push(("service", service));
                }
                let scopes = scope.0.join(" ");
                form.push(("scope", &scopes));
                self.agent.post(realm).send_form(form)
            }
            credential => {
                let mut url = realm.to_owned();
                if let Some(service) = service {
                    url = with_query(&url, "service", service);
                }
                for s in &scope.0 {
                    url = with_query(&url, "scope", s);
                }
                let mut request = self.agent.get(&url);
                if let Some(header) = credential.as_ref().and_then(|c| c.basic_header()) {
                    request = request.header("Authorization", header);
                }
                request.call()
            }
        }
        .map_err(|e| self.transport(&what, &e))?;
        match response.status().as_u16() {
            200 => {}
            401 | 403 => {
                let detail = self.status_error(&what, &mut response);
                return Err(RegistryError::Unauthorized {
                    registry: self.host.clone(),
                    what,
                    reason: format!("{} ({detail})", self.refusal()),
                });
            }
            _ => return Err(self.status_error(&what, &mut response)),
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| self.transport(&what, &e))?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                registry: self.host.clone(),
                what: what.clone(),
                message: format!("the token answer is not JSON: {e}"),
            })?;
        json.get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_owned)
            .ok_or_else(|| RegistryError::Protocol {
                registry: self.host.clone(),
                what,
                message: "the token answer has no `token`".into(),
            })
    }

    /// Whether `repository` has the blob `digest`.
    pub fn has_blob(&self, repository: &str, digest: &str) -> Result<bool, RegistryError> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", self.base);
        let what = format!("checking blob {digest} in {repository}");
        let mut response = self.send(&Scope::push(repository), &what, &mut |agent, auth| {
            authorized(agent.head(&url), auth).call()
        })?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            // A registry that stores blobs elsewhere redirects HEAD there: it has it.
            307 | 302 => Ok(true),
            _ => Err(self.status_error(&what, &mut response)),
        }
    }

    /// Starts an upload to `repository`, asking to mount `digest` from `from` when given.
    pub(crate) fn start_upload(
        &self,
        repository: &str,
        mount: Option<(&str, &str)>,
    ) -> Result<Mount, RegistryError> {
        let mut url = format!("{}/v2/{repository}/blobs/uploads/", self.base);
        let (scope, what) = match mount {
            Some((digest, from)) => {
                url = with_query(&url, "mount", digest);
                url = with_query(&url, "from", from);
                (
                    Scope::push_and_pull_from(repository, from),
                    format!("mounting blob {digest} from {from} into {repository}"),
                )
            }
            None => (
                Scope::push(repository),
                format!("starting an upload to {repository}"),
            ),
        };
        let mut response = self.send(&scope, &what, &mut |agent, auth| {
            authorized(agent.post(&url).header("Content-Length", "0"), auth).send_empty()
        })?;
        match response.status().as_u16() {
            201 if mount.is_some() => Ok(Mount::Mounted),
            202 => Ok(Mount::Started(self.location(&what, &response)?)),
            _ => Err(self.status_error(&what, &mut response)),
        }
    }

    /// The absolute `Location` of a response.
    pub(crate) fn location(
        &self,
        what: &str,
        response: &Response<Body>,
    ) -> Result<String, RegistryError> {
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| self.absolute(l))
            .ok_or_else(|| RegistryError::Protocol {
                registry: self.host.clone(),
                what: what.to_owned(),
                message: "the answer has no Location header".into(),
            })
    }

    /// Sends `length` bytes of `path` from `offset` (or all of `bytes`) to the upload
    /// at `location`: as the final PUT when `digest` is given, else as one PATCH chunk.
    /// Returns the next upload location (PATCH) or nothing (PUT).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_chunk(
        &self,
        repository: &str,
        location: &str,
        source: ChunkSource<'_>,
        offset: u64,
        length: u64,
        digest: Option<&str>,
        what: &str,
    ) -> Result<Option<String>, RegistryError> {
        let url = match digest {
            Some(digest) => with_query(location, "digest", digest),
            None => location.to_owned(),
        };
        let mut response = self.send(&Scope::push(repository), what, &mut |agent, auth| {
            let request = match digest {
                Some(_) => agent.put(&url),
                None => agent.patch(&url),
            };
            let mut request = request
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", length.to_string());
            if digest.is_none() && length > 0 {
                request =
                    request.header("Content-Range", format!("{offset}-{}", offset + length - 1));
            }
            request = authorized(request, auth);
            match source {
                ChunkSource::Bytes(bytes) => {
                    let start = usize::try_from(offset)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    let end = usize::try_from(offset + length)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    request.send(&bytes[start..end])
                }
                ChunkSource::File(path) => {
                    let mut file = std::fs::File::open(path).map_err(ureq::Error::Io)?;
                    file.seek(SeekFrom::Start(offset))
                        .map_err(ureq::Error::Io)?;
                    let mut limited = file.take(length);
                    request.send(SendBody::from_reader(&mut limited))
                }
            }
        })?;
        match (digest, response.status().as_u16()) {
            (Some(_), 201) => Ok(None),
            (None, 202) => Ok(Some(self.location(what, &response)?)),
            _ => Err(self.status_error(what, &mut response)),
        }
    }

    /// How many bytes the upload at `location` holds (its `Range: 0-N`); `None` when
    /// the registry no longer knows the upload.
    pub(crate) fn upload_offset(
        &self,
        repository: &str,
        location: &str,
        what: &str,
    ) -> Result<Option<(u64, String)>, RegistryError> {
        let mut response = self.send(&Scope::push(repository), what, &mut |agent, auth| {
            authorized(agent.get(location), auth).call()
        })?;
        match response.status().as_u16() {
            204 | 200 => {
                let end = response
                    .headers()
                    .get("range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|r| r.rsplit('-').next())
                    .and_then(|n| n.trim().parse::<u64>().ok());
                let location = self
                    .location(what, &response)
                    .unwrap_or_else(|_| location.to_owned());
                // `0-0` is sent both for nothing and for one byte; restart from 0 then.
                Ok(Some((
                    end.map_or(0, |e| if e == 0 { 0 } else { e + 1 }),
                    location,
                )))
            }
            404 => Ok(None),
            _ => Err(self.status_error(what, &mut response)),
        }
    }

    /// GETs a small blob (at most 64 MiB) into memory; `None` if absent.
    pub fn get_small_blob(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", self.base);
        let what = format!("downloading blob {digest} from {repository}");
        Ok(self
            .get_document(&Scope::push(repository), &url, &what, "*/*", 64 << 20)?
            .map(|(_, bytes)| bytes))
    }

    /// GETs a blob into `dest` (created or truncated), following a redirect to
    /// storage elsewhere (without the registry's `Authorization`); returns its size.
    /// The caller checks the digest.
    pub fn get_blob(
        &self,
        repository: &str,
        digest: &str,
        dest: &Path,
    ) -> Result<u64, RegistryError> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", self.base);
        let what = format!("downloading blob {digest} from {repository}");
        let mut response = self.send(&Scope::push(repository), &what, &mut |agent, auth| {
            authorized(agent.get(&url), auth).call()
        })?;
        if matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
            let location = self.location(&what, &response)?;
            response = self
                .agent
                .get(&location)
                .call()
                .map_err(|e| self.transport(&what, &e))?;
        }
        if response.status().as_u16() != 200 {
            return Err(self.status_error(&what, &mut response));
        }
        let io = |e: std::io::Error| RegistryError::Transport {
            registry: self.host.clone(),
            what: what.clone(),
            message: e.to_string(),
        };
        let mut file = std::fs::File::create(dest).map_err(io)?;
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        std::io::copy(&mut reader, &mut file).map_err(io)
    }

    /// PUTs a manifest (the exact bytes) under `reference` (a tag or its digest).
    pub(crate) fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &str,
    ) -> Result<PutManifest, RegistryError> {
        let url = format!("{}/v2/{repository}/manifests/{reference}", self.base);
        let what = format!("putting manifest {digest} as {repository}:{reference}");
        let mut response = self.send(&Scope::push(repository), &what, &mut |agent, auth| {
            authorized(agent.put(&url).header("Content-Type", media_type), auth).send(bytes)
        })?;
        if response.status().as_u16() != 201 {
            return Err(self.status_error(&what, &mut response));
        }
        if let Some(answered) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && answered != digest
        {
            return Err(RegistryError::Protocol {
                registry: self.host.clone(),
                what,
                message: format!("the registry stored it as {answered}: it changed the bytes"),
            });
        }
        Ok(PutManifest {
            subject_acknowledged: response.headers().contains_key("oci-subject"),
        })
    }

    /// GETs a manifest by tag or digest: its media type and bytes, `None` if absent.
    pub fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
        accept: &str,
    ) -> Result<Option<(String, Vec<u8>)>, RegistryError> {
        let url = format!("{}/v2/{repository}/manifests/{reference}", self.base);
        let what = format!("getting manifest {repository}:{reference}");
        self.get_document(&Scope::push(repository), &url, &what, accept, 4 << 20)
    }

    /// The referrers of `digest` by the referrers API; `None` if the registry has no
    /// such API.
    pub fn referrers(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<serde_json::Value>, RegistryError> {
        let url = format!("{}/v2/{repository}/referrers/{digest}", self.base);
        let what = format!("listing the referrers of {digest} in {repository}");
        let Some((_, bytes)) = self.get_document(
            &Scope::push(repository),
            &url,
            &what,
            aloft_oci::MEDIA_TYPE_INDEX,
            4 << 20,
        )?
        else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RegistryError::Protocol {
                registry: self.host.clone(),
                what,
                message: format!("not JSON: {e}"),
            })
    }

    /// GETs a document of at most `limit` bytes: its media type and bytes, `None` on 404.
    fn get_document(
        &self,
        scope: &Scope,
        url: &str,
        what: &str,
        accept: &str,
        limit: u64,
    ) -> Result<Option<(String, Vec<u8>)>, RegistryError> {
        let mut response = self.send(scope, what, &mut |agent, auth| {
            authorized(agent.get(url).header("Accept", accept), auth).call()
        })?;
        match response.status().as_u16() {
            200 => {
                let media_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let bytes = response
                    .body_mut()
                    .with_config()
                    .limit(limit)
                    .read_to_vec()
                    .map_err(|e| self.transport(what, &e))?;
                Ok(Some((media_type, bytes)))
            }
            404 => Ok(None),
            _ => Err(self.status_error(what, &mut response)),
        }
    }
}

/// The bytes of a blob being uploaded.
#[derive(Clone, Copy)]
pub(crate) enum ChunkSource<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognized_with_and_without_ports() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["registry.test:5000", "10.0.0.1:5000", "[2001:db8::1]:5000"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            with_query("https://a/token?x=1", "scope", "repository:a/b:pull,push"),
            "https://a/token?x=1&scope=repository%3Aa%2Fb%3Apull%2Cpush"
        );
        assert_eq!(
            with_query("/v2/u", "digest", "sha256:ab"),
            "/v2/u?digest=sha256%3Aab"
        );
    }

    #[test]
    fn oci_error_bodies_are_summarized() {
        let body =
            br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match"}]}"#;
        assert_eq!(
            error_detail(body),
            "DIGEST_INVALID provided digest did not match"
        );
        assert_eq!(error_detail(b"  oops \n"), "oops");
    }
}
