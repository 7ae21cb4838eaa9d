//! aloft-fetch against a signed fixture repository on a loopback server: what it verifies,
//! what it caches, and how it fails, without the CLI above it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken fixture is a failing test

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aloft_cache::Cache;
use aloft_deb::{BinaryPackage, Keyring, parse_packages};
use aloft_fetch::{
    DebCache, DebFetchOptions, DebRequest, DebSources, FetchError, FetchOptions, HttpClient,
    HttpOptions, PoolSource, RepositorySpec, fetch_debs, fetch_repository, sha256_hex,
};
use aloft_test::{Fault, FixturePackage, FixtureRepo, SuiteOptions, TestServer};

/// What fetch_debs returned.
type DebsResult = Result<Vec<std::path::PathBuf>, FetchError>;

/// A repository of two packages, its server and an empty cache.
struct Fixture {
    repo: FixtureRepo,
    server: TestServer,
    cache_dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let repo = FixtureRepo::new();
        repo.add_suite(
            &SuiteOptions::new("trixie"),
            &[
                FixturePackage::new("hello", "1.0").file("usr/bin/hello", b"hi", 0o755),
                FixturePackage::new("tzdata", "2025b-4").arch("all"),
            ],
        );
        let server = TestServer::serve(repo.root());
        Fixture {
            repo,
            server,
            cache_dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cache(&self) -> Cache {
        Cache::new(self.cache_dir.path())
    }

    fn client(&self) -> HttpClient {
        HttpClient::new(HttpOptions {
            attempts: 3,
            backoff: Duration::from_millis(1),
            ..HttpOptions::default()
        })
    }

    fn spec(&self) -> RepositorySpec {
        let bytes = std::fs::read(self.repo.keyring_path()).unwrap();
        RepositorySpec {
            name: "trixie".to_owned(),
            base_url: self.server.url().to_owned(),
            suite: "trixie".to_owned(),
            components: vec!["main".to_owned()],
            keyring: Keyring::from_bytes("archive.asc", &bytes).unwrap(),
        }
    }

    fn fetch(&self, offline: bool) -> Result<aloft_fetch::FetchedRepository, FetchError> {
        let options = FetchOptions {
            offline,
            allow_expired: false,
            allow_other_suite: false,
            now: SystemTime::now(),
        };
        fetch_repository(
            &self.client(),
            &self.cache(),
            &self.spec(),
            &["amd64".to_owned()],
            &options,
        )
    }

    /// The amd64 index's packages, as fetched.
    fn packages(&self) -> Vec<BinaryPackage> {
        let fetched = self.fetch(false).unwrap();
        let index = fetched.indexes.iter().find(|i| i.arch == "amd64").unwrap();
        parse_packages("Packages", &index.text).unwrap()
    }

    fn request(&self, name: &str) -> DebRequest {
        let package = self
            .packages()
            .into_iter()
            .find(|p| p.name() == name)
            .unwrap();
        DebRequest {
            package: name.to_owned(),
            version: package.version().to_owned(),
            repository: "trixie".to_owned(),
            pool_path: package.filename().to_owned(),
            sha256: package.sha256().to_owned(),
            size: package.size,
        }
    }

    fn sources(&self, snapshot_url: Option<String>) -> DebSources {
        let mut sources = DebSources::default();
        sources.bases.insert(
            "trixie".to_owned(),
            PoolSource {
                base_url: self.server.url().to_owned(),
                snapshot_url,
            },
        );
        sources
    }

    /// Fetches `requests`; the second value lists (package, downloaded) as reported.
    fn fetch_debs(
        &self,
        requests: &[DebRequest],
        sources: &DebSources,
        offline: bool,
    ) -> (DebsResult, Vec<(String, bool)>) {
        let seen = Mutex::new(Vec::new());
        let result = fetch_debs(
            &self.client(),
            &DebCache::new(&self.cache()),
            requests,
            sources,
            &DebFetchOptions { offline, jobs: 2 },
            &|request, downloaded| {
                seen.lock()
                    .unwrap()
                    .push((request.package.clone(), downloaded))
            },
        );
        (result, seen.into_inner().unwrap())
    }

    fn hits(&self, path: &str) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.as_str() == path)
            .count()
    }
}

#[test]
fn a_repository_is_verified_and_then_read_from_the_cache_offline() {
    let fixture = Fixture::new();
    let fetched = fixture.fetch(false).unwrap();
    assert_eq!(fetched.release.codename.as_deref(), Some("trixie"));
    assert_eq!(fetched.signers, vec![fixture.repo.key.fingerprint()]);
    let inrelease = std::fs::read(fixture.repo.root().join("dists/trixie/InRelease")).unwrap();
    assert_eq!(fetched.inrelease_sha256, sha256_hex(&inrelease));
    let names: Vec<String> = fixture
        .packages()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(names, ["hello", "tzdata"], "arch all is in the amd64 index");

    let before = fixture.server.requests().len();
    let offline = fixture.fetch(true).unwrap();
    assert_eq!(
        fixture.server.requests().len(),
        before,
        "offline: no request"
    );
    assert_eq!(offline.inrelease_sha256, fetched.inrelease_sha256);
    assert_eq!(offline.indexes[0].text, fetched.indexes[0].text);
}

#[test]
fn offline_without_a_cache_names_the_repository() {
    let fixture = Fixture::new();
    let err = fixture.fetch(true).unwrap_err();
    assert!(
        matches!(&err, FetchError::NotCached { repository } if repository == "trixie"),
        "{err}"
    );
    assert!(fixture.server.requests().is_empty());
}

#[test]
fn a_corrupt_index_is_refused_and_not_cached_and_a_server_error_is_retried() {
    let fixture = Fixture::new();
    fixture
        .server
        .fault("/dists/trixie/InRelease", Fault::Status(503), 2);
    let xz = fixture
        .repo
        .root()
        .join("dists/trixie/main/binary-amd64/Packages.xz");
    let hash = sha256_hex(&std::fs::read(&xz).unwrap());
    let by_hash = format!("/dists/trixie/main/binary-amd64/by-hash/SHA256/{hash}");
    fixture.server.fault(&by_hash, Fault::Corrupt, 1);
    let err = fixture.fetch(false).unwrap_err();
    assert_eq!(
        fixture.hits("/dists/trixie/InRelease"),
        3,
        "two 503s, then 200"
    );
    match &err {
        FetchError::HashMismatch { url, expected, .. } => {
            assert!(url.ends_with(&by_hash), "{url}");
            assert!(expected.contains(&hash), "{expected}");
        }
        other => panic!("expected a hash mismatch, got {other}"),
    }
    // Nothing of the corrupt index was kept: offline still has no index.
    assert!(fixture.fetch(true).is_err());
    fixture.fetch(false).unwrap();
}

#[test]
fn debs_are_verified_into_the_cache_and_reused() {
    let fixture = Fixture::new();
    let requests = [fixture.request("hello"), fixture.request("tzdata")];
    let sources = fixture.sources(None);
    let (paths, seen) = fixture.fetch_debs(&requests, &sources, false);
    let paths = paths.unwrap();
    for (path, request) in paths.iter().zip(&requests) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(sha256_hex(&bytes), request.sha256);
        assert_eq!(bytes.len() as u64, request.size);
    }
    let mut seen = seen;
    seen.sort();
    assert_eq!(
        seen,
        [("hello".to_owned(), true), ("tzdata".to_owned(), true)]
    );

    let before = fixture.server.requests().len();
    let (again, seen) = fixture.fetch_debs(&requests, &sources, true);
    assert_eq!(again.unwrap(), paths);
    assert!(seen.iter().all(|(_, downloaded)| !downloaded));
    assert_eq!(fixture.server.requests().len(), before);
}

#[test]
fn a_deb_that_does_not_match_is_refused_and_not_cached() {
    let fixture = Fixture::new();
    let mut request = fixture.request("hello");
    let good = request.sha256.clone();
    request.sha256 = "0".repeat(64);
    let (result, _) = fixture.fetch_debs(
        std::slice::from_ref(&request),
        &fixture.sources(None),
        false,
    );
    let err = result.unwrap_err();
    let text = format!(
        "{err}: {}",
        std::error::Error::source(&err).map_or(String::new(), |s| s.to_string())
    );
    assert!(text.contains("hello"), "{text}");
    assert!(text.contains(&good), "the sha256 received is named: {text}");
    let cached = DebCache::new(&fixture.cache()).path(&request.sha256);
    assert!(!cached.exists());
    let debs_dir = cached.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(debs_dir)
        .map(|dir| dir.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "no temp file left: {leftovers:?}");
}

#[test]
fn a_deb_gone_from_the_mirror_comes_from_the_snapshot() {
    let fixture = Fixture::new();
    let request = fixture.request("hello");
    let pool = format!("/{}", request.pool_path);
    fixture.server.fault(&pool, Fault::NotFound, 1);
    // The snapshot "service" is the same server under another path: serve it there too.
    let snapshot_root = fixture.repo.root().join("snapshot");
    let target = snapshot_root.join(&request.pool_path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(fixture.repo.root().join(&request.pool_path), &target).unwrap();
    let sources = fixture.sources(Some(format!("{}/snapshot", fixture.server.url())));
    let (paths, _) = fixture.fetch_debs(std::slice::from_ref(&request), &sources, false);
    paths.unwrap();
    assert_eq!(fixture.hits(&pool), 1);
    assert_eq!(fixture.hits(&format!("/snapshot{pool}")), 1);

    let (missing, _) =
        fixture.fetch_debs(std::slice::from_ref(&request), &fixture.sources(None), true);
    missing.unwrap();
}
