//! HTTP(S) and `file://` downloads with retries: timeouts, connection errors and 5xx are
//! retried with exponential backoff; 404 is final and reported with the URL.

use std::io::Write;
use std::time::Duration;

use crate::FetchError;

/// How downloads are made.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Attempts per URL (1 = no retry).
    pub attempts: u32,
    /// First backoff; doubled after every failed attempt.
    pub backoff: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// How long a server may keep us waiting: for the response headers, and beyond the
    /// time the body needs at [`MIN_BYTES_PER_SECOND`]. A stalled mirror fails an
    /// attempt after about this long instead of hanging.
    pub stall_timeout: Duration,
}

/// The slowest transfer that still counts as progress: a body gets `stall_timeout` plus
/// its size at this rate before the attempt is given up.
pub const MIN_BYTES_PER_SECOND: u64 = 32 * 1024;

/// A body of unknown size (InRelease) gets this long past `stall_timeout`.
const UNKNOWN_SIZE_ALLOWANCE: Duration = Duration::from_secs(60);

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            attempts: 4,
            backoff: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// A blocking HTTP client (one per run; cheap to clone).
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    options: HttpOptions,
}

/// Why a single attempt failed.
enum Attempt {
    NotFound,
    Retry(String),
    Fatal(String),
}

impl HttpClient {
    /// A client with `options`.
    pub fn new(options: HttpOptions) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout.min(options.stall_timeout)))
            .timeout_recv_response(Some(options.stall_timeout))
            .user_agent(concat!("aloft/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpClient {
            agent: ureq::Agent::new_with_config(config),
            options,
        }
    }

    /// GETs `url` into memory, retrying transient failures.
    pub fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut bytes = Vec::new();
        self.get_into(url, &mut bytes, None)?;
        Ok(bytes)
    }

    /// GETs `url` into `sink`, rewinding it before each retry. A body shorter than its
    /// Content-Length (or than `expected_len`) is a truncated transfer and retried.
    pub fn get_into(
        &self,
        url: &str,
        sink: &mut (impl Write + Rewind),
        expected_len: Option<u64>,
    ) -> Result<(), FetchError> {
        let mut delay = self.options.backoff;
        let mut last = String::new();
        for attempt in 1..=self.options.attempts.max(1) {
            if attempt > 1 {
                sink.rewind().map_err(|e| FetchError::Http {
                    url: url.to_owned(),
                    reason: format!("cannot restart the download: {e}"),
                })?;
            }
            match self.attempt(url, sink, expected_len) {
                Ok(()) => return Ok(()),
                Err(Attempt::NotFound) => {
                    return Err(FetchError::NotFound {
                        url: url.to_owned(),
                    });
                }
                Err(Attempt::Fatal(reason)) => {
                    return Err(FetchError::Http {
                        url: url.to_owned(),
                        reason,
                    });
                }
                Err(Attempt::Retry(reason)) => {
                    tracing::warn!(%url, attempt, %reason, "download failed; retrying");
                    last = reason;
                    if attempt < self.options.attempts {
                        std::thread::sleep(delay);
                        delay = delay.saturating_mul(2);
                    }
                }
            }
        }
        Err(FetchError::Http {
            url: url.to_owned(),
            reason: format!("{last} (after {} attempts)", self.options.attempts),
        })
    }

    fn attempt(
        &self,
        url: &str,
        sink: &mut impl Write,
        expected_len: Option<u64>,
    ) -> Result<(), Attempt> {
        if let Some(path) = url.strip_prefix("file://") {
            let mut file = match fs_err::File::open(path) {
                Ok(file) => file,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Attempt::NotFound);
                }
                Err(err) => return Err(Attempt::Fatal(err.to_string())),
            };
            return std::io::copy(&mut file, sink)
                .map(|_| ())
                .map_err(|e| Attempt::Fatal(e.to_string()));
        }
        let body_time = expected_len.map_or(UNKNOWN_SIZE_ALLOWANCE, |len| {
            Duration::from_secs(len / MIN_BYTES_PER_SECOND)
        });
        let request = self
            .agent
            .get(url)
            .config()
            .timeout_recv_body(Some(self.options.stall_timeout + body_time))
            .build();
        let mut response = match request.call() {
            Ok(response) => response,
            Err(err) => {
                return Err(match err {
                    ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => {
                        Attempt::Fatal(err.to_string())
                    }
                    other => Attempt::Retry(other.to_string()),
                });
            }
        };
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Err(Attempt::NotFound),
            500..=599 | 408 | 429 => return Err(Attempt::Retry(format!("HTTP {status}"))),
            _ => return Err(Attempt::Fatal(format!("HTTP {status}"))),
        }
        let expected = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .or(expected_len);
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        let copied = match std::io::copy(&mut reader, sink) {
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::StorageFull => {
                return Err(Attempt::Fatal(format!("writing the download: {err}")));
            }
            Err(err) => return Err(Attempt::Retry(format!("reading the body: {err}"))),
        };
        if let Some(expected) = expected
            && copied < expected
        {
            return Err(Attempt::Retry(format!(
                "truncated: {copied} of {expected} bytes"
            )));
        }
        Ok(())
    }
}

/// A download target that can start over (for retries).
pub trait Rewind {
    /// Drops everything written so far.
    fn rewind(&mut self) -> std::io::Result<()>;
}

impl Rewind for Vec<u8> {
    fn rewind(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
    }
}
