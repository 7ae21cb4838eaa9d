//! Fixture apt repositories: pool, Packages (plain/.gz/.xz, by-hash), Release, InRelease
//! and Release.gpg, laid out as a Debian mirror is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::deb::{DebBuilder, DebCompression, DebFile, gzip, xz};
use crate::key::TestKey;

/// A binary package to put in a fixture suite.
#[derive(Debug, Clone)]
pub struct FixturePackage {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture (`amd64`, `all`, ...).
    pub arch: String,
    /// Extra control fields (`Depends`, `Provides`, ...), in order.
    pub fields: Vec<(String, String)>,
    /// Files in data.tar.
    pub files: Vec<DebFile>,
    /// Control files besides `control` (maintainer scripts, md5sums).
    pub control_files: Vec<(String, Vec<u8>)>,
    /// data.tar compression.
    pub compression: DebCompression,
    /// A raw data.tar path replacing the files (see [`DebBuilder::raw_data_path`]).
    pub raw_data_path: Option<String>,
    /// Bytes published as the .deb instead of building one (a corrupt package whose
    /// index entry still matches it).
    pub raw_deb: Option<Vec<u8>>,
}

impl FixturePackage {
    /// An amd64 package with one file, `usr/share/doc/<name>/README`.
    pub fn new(name: &str, version: &str) -> FixturePackage {
        FixturePackage {
            name: name.to_owned(),
            version: version.to_owned(),
            arch: "amd64".to_owned(),
            fields: Vec::new(),
            files: vec![DebFile::file(
                &format!("usr/share/doc/{name}/README"),
                format!("{name} {version}\n").as_bytes(),
                0o644,
            )],
            control_files: Vec::new(),
            compression: DebCompression::default(),
            raw_data_path: None,
            raw_deb: None,
        }
    }

    /// Sets the architecture.
    pub fn arch(mut self, arch: &str) -> Self {
        self.arch = arch.to_owned();
        self
    }

    /// Adds a control field.
    pub fn field(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Depends`.
    pub fn depends(self, value: &str) -> Self {
        self.field("Depends", value)
    }

    /// `Pre-Depends`.
    pub fn pre_depends(self, value: &str) -> Self {
        self.field("Pre-Depends", value)
    }

    /// `Provides`.
    pub fn provides(self, value: &str) -> Self {
        self.field("Provides", value)
    }

    /// `Conflicts`.
    pub fn conflicts(self, value: &str) -> Self {
        self.field("Conflicts", value)
    }

    /// `Breaks`.
    pub fn breaks(self, value: &str) -> Self {
        self.field("Breaks", value)
    }

    /// Adds a file to data.tar.
    pub fn file(mut self, path: &str, contents: &[u8], mode: u32) -> Self {
        self.files.push(DebFile::file(path, contents, mode));
        self
    }

    /// Adds any data.tar entry.
    pub fn entry(mut self, entry: DebFile) -> Self {
        self.files.push(entry);
        self
    }

    /// Removes every data.tar entry (the default README included).
    pub fn no_files(mut self) -> Self {
        self.files.clear();
        self
    }

    /// Adds a control file (`postinst`, `md5sums`, ...).
    pub fn control_file(mut self, name: &str, contents: &[u8]) -> Self {
        self.control_files
            .push((name.to_owned(), contents.to_vec()));
        self
    }

    /// Sets the data.tar compression.
    pub fn compression(mut self, compression: DebCompression) -> Self {
        self.compression = compression;
        self
    }

    /// Replaces data.tar by one file with this raw tar path (`./../evil`).
    pub fn raw_data_path(mut self, path: &str) -> Self {
        self.raw_data_path = Some(path.to_owned());
        self
    }

    /// Publishes these bytes as the .deb (the index lists their size and sha256).
    pub fn raw_deb(mut self, bytes: &[u8]) -> Self {
        self.raw_deb = Some(bytes.to_vec());
        self
    }

    /// The .deb bytes.
    pub fn deb(&self) -> Vec<u8> {
        if let Some(bytes) = &self.raw_deb {
            return bytes.clone();
        }
        let mut builder = DebBuilder::new(&self.control())
            .entries(&self.files)
            .compression(self.compression);
        for (name, contents) in &self.control_files {
            builder = builder.control_file(name, contents);
        }
        if let Some(path) = &self.raw_data_path {
            builder = builder.raw_data_path(path);
        }
        builder.build()
    }

    fn source(&self) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == "Source")
            .map(|(_, v)| v.split_whitespace().next().unwrap_or(&self.name).to_owned())
            .unwrap_or_else(|| self.name.clone())
    }

    /// The `control` paragraph, as in the .deb and (with Filename, Size, SHA256) the index.
    pub fn control(&self) -> String {
        let mut text = format!(
            "Package: {}\nVersion: {}\nArchitecture: {}\n",
            self.name, self.version, self.arch
        );
        for (k, v) in &self.fields {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push_str(&format!(
            "Maintainer: aloft tests <tests@aloft.invalid>\nDescription: fixture package {}\n",
            self.name
        ));
        text
    }

    fn pool_path(&self, component: &str) -> String {
        let source = self.source();
        let prefix = if source.starts_with("lib") && source.len() > 3 {
            &source[..4]
        } else {
            &source[..1]
        };
        let version = self
            .version
            .split_once(':')
            .map_or(self.version.as_str(), |(_, v)| v);
        format!(
            "pool/{component}/{prefix}/{source}/{}_{version}_{}.deb",
            self.name, self.arch
        )
    }
}

/// How a suite is published.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// `Codename`.
    pub codename: String,
    /// `Suite`.
    pub suite: String,
    /// Architectures (Packages indexes written).
    pub archs: Vec<String>,
    /// Component (one per suite here).
    pub component: String,
    /// `Date`.
    pub date: SystemTime,
    /// `Valid-Until`.
    pub valid_until: Option<SystemTime>,
    /// `Acquire-By-Hash: yes` and by-hash copies.
    pub by_hash: bool,
    /// `No-Support-for-Architecture-all: Packages` (arch `all` packages in each arch index),
    /// else a separate binary-all index and `all` in `Architectures`.
    pub all_in_arch_indexes: bool,
    /// Write InRelease.
    pub inrelease: bool,
    /// Write Release.gpg.
    pub release_gpg: bool,
}

impl SuiteOptions {
    /// Defaults like trixie's: amd64 + arm64, main, by-hash, dated an hour ago, valid a week.
    pub fn new(codename: &str) -> SuiteOptions {
        let now = SystemTime::now();
        SuiteOptions {
            codename: codename.to_owned(),
            suite: codename.to_owned(),
            archs: vec!["amd64".to_owned(), "arm64".to_owned()],
            component: "main".to_owned(),
            date: now - Duration::from_secs(3600),
            valid_until: Some(now + Duration::from_secs(7 * 86_400)),
            by_hash: true,
            all_in_arch_indexes: true,
            inrelease: true,
            release_gpg: true,
        }
    }
}

/// A fixture repository in a temp directory: `repo/` is the archive root, `keys/` holds
/// the public key of the signing key.
pub struct FixtureRepo {
    dir: tempfile::TempDir,
    /// The key that signs every suite (unless a test swaps the files).
    pub key: TestKey,
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn rfc2822(t: SystemTime) -> String {
    let formatted = time::OffsetDateTime::from(t)
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    formatted.replace("+0000", "UTC")
}

impl Default for FixtureRepo {
    fn default() -> Self {
        FixtureRepo::new()
    }
}

impl FixtureRepo {
    /// An empty repository signed with a fresh test key.
    pub fn new() -> FixtureRepo {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo")).unwrap();
        std::fs::create_dir_all(dir.path().join("keys")).unwrap();
        let key = TestKey::new("aloft fixture archive <fixture@aloft.invalid>", 7);
        std::fs::write(dir.path().join("keys/archive.asc"), key.public_armored()).unwrap();
        FixtureRepo { dir, key }
    }

    /// The archive root (serve this).
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The armored public key file.
    pub fn keyring_path(&self) -> PathBuf {
        self.dir.path().join("keys/archive.asc")
    }

    /// Writes a suite with `packages` (replacing a previous suite of that name).
    pub fn add_suite(&self, options: &SuiteOptions, packages: &[FixturePackage]) {
        let root = self.root();
        let dists = root.join("dists").join(&options.suite);
        let _ = std::fs::remove_dir_all(&dists);
        let component = &options.component;
        let mut stanzas: BTreeMap<String, String> = BTreeMap::new();
        let mut index_archs: Vec<String> = options.archs.clone();
        if !options.all_in_arch_indexes {
            index_archs.push("all".to_owned());
        }
        for arch in &index_archs {
            stanzas.insert(arch.clone(), String::new());
        }
        for package in packages {
            let deb = package.deb();
            let pool_path = package.pool_path(component);
            write(&root.join(&pool_path), &deb);
            let stanza = format!(
                "{}Filename: {pool_path}\nSize: {}\nSHA256: {}\n\n",
                package.control(),
                deb.len(),
                sha256(&deb)
            );
            for arch in &index_archs {
                let belongs = package.arch == *arch
                    || (package.arch == "all" && options.all_in_arch_indexes && arch != "all");
                if belongs {
                    stanzas.get_mut(arch).unwrap().push_str(&stanza);
                }
            }
        }
        let mut hashes = Vec::new();
        for (arch, text) in &stanzas {
            let dir_rel = format!("{component}/binary-{arch}");
            let plain = text.as_bytes().to_vec();
            let (gz, xz) = (gzip(&plain), xz(&plain));
            for (name, bytes) in [
                ("Packages", plain),
                ("Packages.gz", gz),
                ("Packages.xz", xz),
            ] {
                let rel = format!("{dir_rel}/{name}");
                write(&dists.join(&rel), &bytes);
                if options.by_hash {
                    write(
                        &dists.join(format!("{dir_rel}/by-hash/SHA256/{}", sha256(&bytes))),
                        &bytes,
                    );
                }
                hashes.push(format!(" {} {:>8} {rel}", sha256(&bytes), bytes.len()));
            }
        }
        let mut archs = options.archs.clone();
        if !options.all_in_arch_indexes {
            archs.insert(0, "all".to_owned());
        }
        let mut release = format!(
            "Origin: aloft-fixture\nLabel: aloft-fixture\nSuite: {}\nCodename: {}\nDate: {}\n",
            options.suite,
            options.codename,
            rfc2822(options.date)
        );
        if let Some(valid_until) = options.valid_until {
            release.push_str(&format!("Valid-Until: {}\n", rfc2822(valid_until)));
        }
        if options.by_hash {
            release.push_str("Acquire-By-Hash: yes\n");
        }
        if options.all_in_arch_indexes {
            release.push_str("No-Support-for-Architecture-all: Packages\n");
        }
        release.push_str(&format!(
            "Architectures: {}\nComponents: {component}\nDescription: fixture\nSHA256:\n",
            archs.join(" ")
        ));
        for line in hashes {
            release.push_str(&line);
            release.push('\n');
        }
        write(&dists.join("Release"), release.as_bytes());
        let signed_at = SystemTime::now() - Duration::from_secs(60);
        if options.inrelease {
            write(
                &dists.join("InRelease"),
                self.key.sign_cleartext(&release, signed_at).as_bytes(),
            );
        }
        if options.release_gpg {
            write(
                &dists.join("Release.gpg"),
                &self.key.sign_detached(release.as_bytes(), signed_at),
            );
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}
