//! A loopback OCI registry for push tests: the distribution API a push uses (blob HEAD,
//! uploads with mounts, PATCH chunks and the closing PUT, manifests by tag and digest,
//! optionally the referrers API), HTTP basic or bearer-token auth, injectable faults,
//! and counters of what was sent. Plain HTTP on 127.0.0.1; stops when dropped.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// How the registry authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAuth {
    /// Anyone may push.
    Open,
    /// HTTP basic auth with this user and password.
    Basic(String, String),
    /// The token flow: `/token` gives a token to this user and password (basic auth).
    Bearer(String, String),
}

/// What the registry holds and has seen.
#[derive(Default)]
struct State {
    /// Blobs per repository.
    blobs: HashMap<String, HashMap<String, Vec<u8>>>,
    /// Uploads in progress, by id.
    uploads: HashMap<String, (String, Vec<u8>)>,
    next_upload: u64,
    /// Manifests per repository, by tag and by digest: (media type, bytes).
    manifests: HashMap<String, BTreeMap<String, (String, Vec<u8>)>>,
    /// Bytes of blob data received (PATCH and PUT bodies).
    blob_bytes_received: u64,
    /// Blob uploads completed.
    uploads_completed: usize,
    /// Mounts made.
    mounts: usize,
    /// `METHOD path` of every request.
    log: Vec<String>,
    /// Statuses to answer the closing PUT of a blob with, by digest.
    put_faults: HashMap<String, VecDeque<u16>>,
    /// After this many completed uploads, drop every connection unanswered.
    down_after: Option<usize>,
}

/// The registry.
pub struct TestRegistry {
    address: String,
    auth: RegistryAuth,
    referrers_api: bool,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<State>>,
    thread: Option<JoinHandle<()>>,
}

struct Config {
    auth: RegistryAuth,
    referrers_api: bool,
    address: String,
}

impl TestRegistry {
    /// Starts a registry with `auth`; `referrers_api` makes it answer
    /// `/v2/<name>/referrers/<digest>` and send `OCI-Subject` (else it behaves as
    /// distribution 2.8, which has neither).
    pub fn start(auth: RegistryAuth, referrers_api: bool) -> TestRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(State::default()));
        let config = Arc::new(Config {
            auth: auth.clone(),
            referrers_api,
            address: address.clone(),
        });
        let (stop2, state2) = (stop.clone(), state.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, config) = (state2.clone(), config.clone());
                std::thread::spawn(move || handle(stream, &state, &config));
            }
        });
        TestRegistry {
            address,
            auth,
            referrers_api,
            stop,
            state,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        &self.address
    }

    /// Its auth mode.
    pub fn auth(&self) -> &RegistryAuth {
        &self.auth
    }

    /// Whether it has the referrers API.
    pub fn has_referrers_api(&self) -> bool {
        self.referrers_api
    }

    /// Bytes of blob data received so far.
    pub fn blob_bytes_received(&self) -> u64 {
        self.state.lock().unwrap().blob_bytes_received
    }

    /// Blob uploads completed so far.
    pub fn uploads_completed(&self) -> usize {
        self.state.lock().unwrap().uploads_completed
    }

    /// Mounts made so far.
    pub fn mounts(&self) -> usize {
        self.state.lock().unwrap().mounts
    }

    /// `METHOD path` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// The manifest `reference` (tag or digest) of `repository`: media type and bytes.
    pub fn manifest(&self, repository: &str, reference: &str) -> Option<(String, Vec<u8>)> {
        let state = self.state.lock().unwrap();
        state.manifests.get(repository)?.get(reference).cloned()
    }

    /// The blob `digest` of `repository`.
    pub fn blob(&self, repository: &str, digest: &str) -> Option<Vec<u8>> {
        let state = self.state.lock().unwrap();
        state.blobs.get(repository)?.get(digest).cloned()
    }

    /// The tags of `repository`.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state
            .manifests
            .get(repository)
            .map(|m| {
                m.keys()
                    .filter(|k| !k.starts_with("sha256:"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Answers the next `times` closing PUTs of blob `digest` with `status`.
    pub fn fail_blob_put(&self, digest: &str, status: u16, times: usize) {
        let mut state = self.state.lock().unwrap();
        let queue = state.put_faults.entry(digest.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(status, times));
    }

    /// After `uploads` more completed blob uploads, drops every connection unanswered
    /// (the registry "goes down"), until [`TestRegistry::come_back`].
    pub fn go_down_after(&self, uploads: usize) {
        let mut state = self.state.lock().unwrap();
        state.down_after = Some(state.uploads_completed + uploads);
    }

    /// Answers again.
    pub fn come_back(&self) {
        self.state.lock().unwrap().down_after = None;
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn error(status: u16, code: &str, message: &str) -> Answer {
        let mut answer = Answer::status(status).header("Content-Type", "application/json");
        answer.body =
            format!(r#"{{"errors":[{{"code":"{code}","message":"{message}"}}]}}"#).into_bytes();
        answer
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = headers.get("content-length") {
        let length: usize = length.parse().ok()?;
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    let (path, query_text) = target.split_once('?').unwrap_or((&target, ""));
    let query = query_text
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    Some(Request {
        method,
        path: path.to_owned(),
        query,
        headers,
        body,
    })
}

fn handle(mut stream: TcpStream, state: &Mutex<State>, config: &Config) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    {
        let mut s = state.lock().unwrap();
        s.log.push(format!("{} {}", request.method, request.path));
        if s.down_after.is_some_and(|n| s.uploads_completed >= n) {
            return; // dropped unanswered
        }
    }
    let answer = route(&request, state, config);
    let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    if request.method != "HEAD" {
        let _ = stream.write_all(&answer.body);
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn authorized(request: &Request, config: &Config) -> bool {
    let given = request.headers.get("authorization").map(String::as_str);
    match &config.auth {
        RegistryAuth::Open => true,
        RegistryAuth::Basic(user, password) => {
            given
                == Some(&format!(
                    "Basic {}",
                    base64_of(&format!("{user}:{password}"))
                ))
        }
        RegistryAuth::Bearer(user, _) => given == Some(&format!("Bearer token-of-{user}")),
    }
}

/// Standard base64 of `text` (for basic-auth headers and docker's config.json).
pub fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn route(request: &Request, state: &Mutex<State>, config: &Config) -> Answer {
    if request.path == "/token" {
        let RegistryAuth::Bearer(user, password) = &config.auth else {
            return Answer::status(404);
        };
        let expected = format!("Basic {}", base64_of(&format!("{user}:{password}")));
        if request.headers.get("authorization") != Some(&expected) {
            return Answer::error(401, "UNAUTHORIZED", "bad credentials");
        }
        let mut answer = Answer::status(200).header("Content-Type", "application/json");
        answer.body = format!(r#"{{"token":"token-of-{user}"}}"#).into_bytes();
        return answer;
    }
    if !request.path.starts_with("/v2/") {
        return Answer::status(404);
    }
    if !authorized(request, config) {
        let challenge = match &config.auth {
            RegistryAuth::Basic(..) => r#"Basic realm="test""#.to_owned(),
            _ => format!(
                r#"Bearer realm="http://{}/token",service="test-registry",scope="repository:x:pull""#,
                config.address
            ),
        };
        return Answer::error(401, "UNAUTHORIZED", "authentication required")
            .header("WWW-Authenticate", challenge);
    }
    if request.path == "/v2/" {
        return Answer::status(200);
    }
    let rest = &request.path["/v2/".len()..];
    let mut s = state.lock().unwrap();
    if let Some((repo, id)) = rest.split_once("/blobs/uploads/") {
        return upload(request, &mut s, repo, id);
    }
    if let Some((repo, digest)) = rest.split_once("/blobs/") {
        return match s.blobs.get(repo).and_then(|b| b.get(digest)) {
            Some(blob) if request.method == "HEAD" || request.method == "GET" => {
                let mut answer = Answer::status(200)
                    .header("Docker-Content-Digest", digest)
                    .header("X-Length", blob.len().to_string());
                if request.method == "GET" {
                    answer.body = blob.clone();
                }
                answer
            }
            _ => Answer::error(404, "BLOB_UNKNOWN", "blob unknown"),
        };
    }
    if let Some((repo, digest)) = rest.split_once("/referrers/") {
        if !config.referrers_api {
            return Answer::status(404);
        }
        let manifests: Vec<serde_json::Value> = s
            .manifests
            .get(repo)
            .into_iter()
            .flatten()
            .filter(|(reference, _)| reference.starts_with("sha256:"))
            .filter_map(|(reference, (media_type, bytes))| {
                let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
                (json["subject"]["digest"] == *digest).then(|| {
                    serde_json::json!({
                        "mediaType": media_type,
                        "digest": reference,
                        "size": bytes.len(),
                        "artifactType": json["artifactType"],
                    })
                })
            })
            .collect();
        let mut answer =
            Answer::status(200).header("Content-Type", "application/vnd.oci.image.index.v1+json");
        answer.body = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        return answer;
    }
    if let Some((repo, reference)) = rest.split_once("/manifests/") {
        return manifest(request, &mut s, repo, reference, config);
    }
    Answer::status(404)
}

fn upload(request: &Request, s: &mut State, repo: &str, id: &str) -> Answer {
    let location = |id: &str| format!("/v2/{repo}/blobs/uploads/{id}");
    match request.method.as_str() {
        "POST" if id.is_empty() => {
            if let (Some(digest), Some(from)) =
                (request.query.get("mount"), request.query.get("from"))
                && let Some(blob) = s.blobs.get(from).and_then(|b| b.get(digest)).cloned()
            {
                s.blobs
                    .entry(repo.to_owned())
                    .or_default()
                    .insert(digest.clone(), blob);
                s.mounts += 1;
                return Answer::status(201)
                    .header("Location", format!("/v2/{repo}/blobs/{digest}"))
                    .header("Docker-Content-Digest", digest.as_str());
            }
            s.next_upload += 1;
            let id = format!("u{}", s.next_upload);
            s.uploads.insert(id.clone(), (repo.to_owned(), Vec::new()));
            Answer::status(202)
                .header("Location", location(&id))
                .header("Range", "0-0")
        }
        "PATCH" => {
            let Some((_, data)) = s.uploads.get_mut(id) else {
                return Answer::error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
            };
            if let Some(range) = request.headers.get("content-range") {
                let start: usize = range
                    .split('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(usize::MAX);
                if start != data.len() {
                    return Answer::error(416, "BLOB_UPLOAD_INVALID", "range out of order");
                }
            }
            data.extend_from_slice(&request.body);
            let end = data.len().saturating_sub(1);
            s.blob_bytes_received += request.body.len() as u64;
            Answer::status(202)
                .header("Location", location(id))
                .header("Range", format!("0-{end}"))
        }
        "GET" => match s.uploads.get(id) {
            Some((_, data)) => Answer::status(204)
                .header("Location", location(id))
                .header("Range", format!("0-{}", data.len().saturating_sub(1))),
            None => Answer::error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown"),
        },
        "PUT" => {
            let Some(digest) = request.query.get("digest").cloned() else {
                return Answer::error(400, "DIGEST_INVALID", "no digest");
            };
            s.blob_bytes_received += request.body.len() as u64;
            if let Some(status) = s.put_faults.get_mut(&digest).and_then(VecDeque::pop_front) {
                // The body was received and is lost, as when a registry's storage fails.
                return Answer::error(status, "UNKNOWN", "injected fault");
            }
            let Some((upload_repo, mut data)) = s.uploads.remove(id) else {
                return Answer::error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
            };
            data.extend_from_slice(&request.body);
            if sha256(&data) != digest {
                return Answer::error(400, "DIGEST_INVALID", "digest mismatch");
            }
            s.blobs
                .entry(upload_repo)
                .or_default()
                .insert(digest.clone(), data);
            s.uploads_completed += 1;
            Answer::status(201)
                .header("Location", format!("/v2/{repo}/blobs/{digest}"))
                .header("Docker-Content-Digest", digest)
        }
        _ => Answer::status(405),
    }
}

fn manifest(
    request: &Request,
    s: &mut State,
    repo: &str,
    reference: &str,
    config: &Config,
) -> Answer {
    match request.method.as_str() {
        "PUT" => {
            let digest = sha256(&request.body);
            if reference.starts_with("sha256:") && reference != digest {
                return Answer::error(400, "DIGEST_INVALID", "manifest digest mismatch");
            }
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
                return Answer::error(400, "MANIFEST_INVALID", "not JSON");
            };
            // Every blob and child manifest it names must be there.
            let known = |d: &serde_json::Value| {
                let d = d.as_str().unwrap_or_default();
                s.blobs.get(repo).is_some_and(|b| b.contains_key(d))
                    || s.manifests.get(repo).is_some_and(|m| m.contains_key(d))
            };
            let mut names: Vec<&serde_json::Value> = Vec::new();
            names.extend(json.get("config").map(|c| &c["digest"]));
            for list in ["layers", "manifests"] {
                for item in json
                    .get(list)
                    .and_then(|l| l.as_array())
                    .into_iter()
                    .flatten()
                {
                    names.push(&item["digest"]);
                }
            }
            if let Some(missing) = names.iter().find(|d| !known(d)) {
                return Answer::error(
                    400,
                    "MANIFEST_BLOB_UNKNOWN",
                    missing.as_str().unwrap_or("?"),
                );
            }
            let media_type = request
                .headers
                .get("content-type")
                .cloned()
                .unwrap_or_default();
            let manifests = s.manifests.entry(repo.to_owned()).or_default();
            manifests.insert(digest.clone(), (media_type.clone(), request.body.clone()));
            manifests.insert(reference.to_owned(), (media_type, request.body.clone()));
            let mut answer = Answer::status(201).header("Docker-Content-Digest", digest.as_str());
            if config.referrers_api
                && let Some(subject) = json["subject"]["digest"].as_str()
            {
                answer = answer.header("OCI-Subject", subject);
            }
            answer
        }
        "GET" | "HEAD" => match s.manifests.get(repo).and_then(|m| m.get(reference)) {
            Some((media_type, bytes)) => {
                let mut answer = Answer::status(200)
                    .header("Content-Type", media_type.as_str())
                    .header("Docker-Content-Digest", sha256(bytes));
                answer.body = bytes.clone();
                answer
            }
            None => Answer::error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
        },
        _ => Answer::status(405),
    }
}
