//! Shared by the CLI tests: a project directory using a signed fixture repository served
//! on loopback, and helpers to run `aloft` in it hermetically.
#![allow(dead_code)] // each test binary uses its own part

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

use aloft_test::{FixturePackage, FixtureRepo, SuiteOptions, TestServer};

pub struct Ctx {
    pub project: tempfile::TempDir,
    pub cache: PathBuf,
    pub repo: FixtureRepo,
    pub server: TestServer,
}

impl Ctx {
    /// A project (`aloft.toml`, `keys/archive.asc`) and a repository with one suite of
    /// `packages`, served on loopback.
    pub fn with_packages(options: &SuiteOptions, packages: &[FixturePackage]) -> Ctx {
        let repo = FixtureRepo::new();
        repo.add_suite(options, packages);
        let server = TestServer::serve(repo.root());
        let project = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(project.path().join("keys")).unwrap();
        std::fs::copy(repo.keyring_path(), project.path().join("keys/archive.asc")).unwrap();
        std::fs::write(project.path().join("aloft.toml"), "").unwrap();
        let cache = project.path().join(".cache");
        Ctx {
            project,
            cache,
            repo,
            server,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.project.path().join(rel)
    }

    /// A manifest using the fixture repository.
    pub fn manifest(&self, name: &str, packages: &[&str], extra: &str) -> PathBuf {
        let text = format!(
            "contents:\n  repositories:\n    - url: {}\n      suite: trixie\n      keyring: ../keys/archive.asc\n  packages: [{}]\n{extra}",
            self.server.url(),
            packages.join(", ")
        );
        let path = self.path(&format!("manifests/{name}.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `program` run in the project with a clean aloft environment (no variable of the
    /// caller's that changes what aloft does).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.project.path())
            .env("HOME", self.project.path())
            .env("ALOFT_CACHE_DIR", &self.cache)
            .env("ALOFT_HTTP_BACKOFF_MS", "1")
            .env("NO_COLOR", "1");
        for name in [
            "ALOFT_MIRROR",
            "ALOFT_SNAPSHOT_MIRROR",
            "ALOFT_JOBS",
            "ALOFT_LOG",
            "ALOFT_HTTP_ATTEMPTS",
            "ALOFT_HTTP_TIMEOUT",
            "XDG_CACHE_HOME",
            "SOURCE_DATE_EPOCH",
            "DOCKER_CONFIG",
            "REGISTRY_AUTH_FILE",
            "XDG_RUNTIME_DIR",
            "ALOFT_REGISTRY_CA_FILE",
            "ALOFT_LAYER_CACHE",
        ] {
            command.env_remove(name);
        }
        command
    }

    pub fn aloft(&self, args: &[&str]) -> Output {
        self.aloft_with(args, &[])
    }

    /// Runs aloft in the project with extra environment variables.
    pub fn aloft_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(env!("CARGO_BIN_EXE_aloft"))
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    pub fn lock_text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("lockfiles/{name}.lock.json"))).unwrap()
    }
}

pub fn stderr(output: &Output) -> String {
    // miette wraps long lines; join them so assertions see whole messages.
    String::from_utf8_lossy(&output.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "aloft failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn fails_with(output: &Output, needles: &[&str]) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected failure, got:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stderr(output);
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` not in:\n{text}");
    }
}

/// `text` as a snapshot sees it: the project directory, the cache and the loopback
/// server's address replaced by names, so that it is the same on every run and machine.
pub fn redacted(ctx: &Ctx, text: &str) -> String {
    let project = ctx.project.path().to_string_lossy().into_owned();
    let canonical = ctx
        .project
        .path()
        .canonicalize()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| project.clone());
    let server = ctx.server.url();
    text.replace(server, "[server]")
        .replace(&ctx.cache.to_string_lossy().into_owned(), "[cache]")
        .replace(&canonical, "[project]")
        .replace(&project, "[project]")
}

/// What a failing aloft run printed, redacted (see [`redacted`]); it must have failed.
pub fn failure(ctx: &Ctx, output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected failure, got:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    redacted(ctx, &String::from_utf8_lossy(&output.stderr))
}

pub fn lock_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}
