//! Command-line arguments (clap types only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Builds minimal OCI images from Debian packages, without Docker, chroot or maintainer scripts.
#[derive(Debug, Parser)]
#[command(name = "aloft", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log output (-v info, -vv debug); `ALOFT_LOG` takes a tracing filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve a manifest against the signed archives and write its lockfile.
    Lock(LockArgs),
    /// Fetch and verify the lock's packages and build the OCI image (locking first if needed).
    Assemble(AssembleArgs),
    /// Build the image as `assemble` does and push it to registries: only the blobs they
    /// lack, the exact bytes built, every tag given.
    Publish(PublishArgs),
    /// Show or empty the cache (verified indexes, .debs, layers).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Show the packages two locks differ in (added, removed, changed, with their source).
    Diff(DiffArgs),
    /// List the locked packages the archive has newer versions of (exit 2: updates,
    /// 3: security updates, 0: up to date).
    Outdated(OutdatedArgs),
    /// Print (or write) the SBOM attached to an image aloft built.
    Sbom(SbomArgs),
    /// Why a package is in the image, and what it costs: with PACKAGE, the chain from a
    /// requested package, who needs it and what it alone brings in; without, every
    /// package by size.
    Why(WhyArgs),
}

/// An SBOM format `aloft sbom` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomKind {
    /// SPDX 2.3 JSON.
    Spdx,
    /// CycloneDX 1.5 JSON.
    Cyclonedx,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image: an oci-archive (`.tar`) or an OCI layout directory.
    pub image: PathBuf,
    /// The architecture (Debian's name) whose SBOM to print; needed when there are several.
    #[arg(long)]
    pub arch: Option<String>,
    /// Which document.
    #[arg(long, value_enum, default_value_t = SbomKind::Spdx)]
    pub format: SbomKind,
    /// Write it here instead of printing it.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// The manifest (YAML).
    pub manifest: PathBuf,
    /// Its lock [default: as for `aloft lock`].
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The manifest (YAML); its lock must be up to date.
    pub manifest: PathBuf,
    /// The package to explain [default: list every package].
    pub package: Option<String>,
    /// The architecture [default: the manifest's first].
    #[arg(long)]
    pub arch: Option<String>,
    /// Its lock [default: as for `aloft lock`].
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old lock.
    pub old: PathBuf,
    /// The new lock.
    pub new: PathBuf,
    /// Print the differences as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Dir(CacheDirArgs),
    /// Empty the cache (everything, or only the layers).
    Clean(CacheCleanArgs),
}

#[derive(Debug, Args)]
pub struct CacheDirArgs {
    /// Cache directory [default: `$XDG_CACHE_HOME/aloft` or `~/.cache/aloft`].
    #[arg(long, env = "ALOFT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CacheCleanArgs {
    /// Remove only the built layers (keep indexes and .debs).
    #[arg(long)]
    pub layers: bool,
    #[command(flatten)]
    pub dir: CacheDirArgs,
}

/// Options shared by every command that reads repositories.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// Base URL of the Debian archive (`URL`), or `debian-security=URL`; repeatable.
    #[arg(long, env = "ALOFT_MIRROR", value_delimiter = ',')]
    pub mirror: Vec<String>,
    /// Cache directory [default: `$XDG_CACHE_HOME/aloft` or `~/.cache/aloft`].
    #[arg(long, env = "ALOFT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Never touch the network: use cached indexes only.
    #[arg(long)]
    pub offline: bool,
    /// Accept a Release past its Valid-Until (or dated in the future).
    #[arg(long)]
    pub allow_expired_release: bool,
    /// Accept a Release whose Suite and Codename both differ from the suite asked for.
    #[arg(long)]
    pub allow_other_suite: bool,
    /// Accept a Release dated before the one the existing lock was made from (a mirror
    /// behind the one that made the lock; otherwise refused as a rollback).
    #[arg(long)]
    pub allow_older_release: bool,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// The manifest (YAML).
    pub manifest: PathBuf,
    /// Where the lock goes [default: `lockfiles/<stem>.lock.json` under the project root
    /// (the nearest directory with `aloft.toml`), else `<stem>.lock.json` beside the manifest].
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    /// Fail if the lock is missing or stale instead of writing it.
    #[arg(long)]
    pub locked: bool,
    /// Ignore every locked version: take the newest candidates.
    #[arg(long, conflicts_with = "locked")]
    pub upgrade: bool,
    /// Re-resolve this package (and what it newly needs) to its newest version; repeatable.
    #[arg(
        long = "upgrade-package",
        value_name = "PACKAGE",
        conflicts_with = "locked"
    )]
    pub upgrade_package: Vec<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// Which SBOM documents `aloft assemble` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// SPDX 2.3 JSON.
    Spdx,
    /// CycloneDX 1.5 JSON.
    Cyclonedx,
    /// Both.
    Both,
    /// None.
    None,
}

/// How `aloft assemble` compresses layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CompressionArg {
    /// gzip -6: every client loads it.
    #[default]
    Gzip,
    /// zstd -3 (multithreaded mode): faster to build, smaller; Docker loads it from 23.0
    /// and containerd from 1.5 (podman 4.3 and skopeo 1.9 take it; Docker 20.10 does not).
    Zstd,
}

impl CompressionArg {
    /// The assembler's setting.
    pub fn layer_compression(self) -> aloft_assemble::LayerCompression {
        match self {
            CompressionArg::Gzip => aloft_assemble::LayerCompression::Gzip,
            CompressionArg::Zstd => aloft_assemble::LayerCompression::Zstd,
        }
    }
}

/// What to build and how: shared by `aloft assemble` and `aloft publish`, so that one
/// manifest and lock give one digest whichever writes it.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Image name (`name:tag`): what `docker load` / `podman load` call an oci-archive,
    /// and what the SBOMs name the image (else the manifest's file stem). `{stem}` is
    /// replaced by the manifest's file stem (needed with several manifests).
    #[arg(long)]
    pub tag: Option<String>,
    /// The lockfile [default: as for `aloft lock`].
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    /// Fail if the lock is missing or stale instead of locking first.
    #[arg(long)]
    pub locked: bool,
    /// Build only these of the manifest's architectures; repeatable or comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub arch: Vec<String>,
    /// Snapshot service for pool paths the mirror no longer serves
    /// (`URL/archive/<archive>/<Release date>/<pool path>`).
    #[arg(long, env = "ALOFT_SNAPSHOT_MIRROR")]
    pub snapshot_mirror: Option<String>,
    /// Layers built and downloads made at once, 1 to 64 [default: the number of CPUs];
    /// registry requests go 4 times as many at once (at most 16).
    #[arg(long, env = "ALOFT_JOBS", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Fail, writing nothing, unless the image digest is this (`sha256:...`), or the one
    /// in this report of an earlier `--json` (then the message names the layers that
    /// differ); a directory means `DIR/<stem>.json` for each manifest.
    #[arg(long, value_name = "DIGEST|REPORT")]
    pub expect_digest: Option<String>,
    /// Print a JSON report (the image digest, each platform's manifest and config digest,
    /// each layer) on stdout instead of the digest line.
    #[arg(long)]
    pub json: bool,
    /// SBOMs per architecture, attached to the image (and, for assemble, written beside
    /// the output: `OUT.<arch>.spdx.json`, `OUT.<arch>.cyclonedx.json`).
    #[arg(long, value_enum, default_value_t = SbomFormat::Spdx)]
    pub sbom_format: SbomFormat,
    /// How layers are compressed; the digest depends on it (the diff_ids do not).
    #[arg(long, value_enum, default_value_t = CompressionArg::Gzip)]
    pub compression: CompressionArg,
    /// Fail, writing nothing, when the image check finds something missing (an ELF
    /// library, a script interpreter, the entrypoint, an owner); without it they are
    /// warnings.
    #[arg(long)]
    pub strict: bool,
    /// Let `files:` copy host files from outside the project (the directory holding
    /// `aloft.toml`, else the manifest's directory); refused otherwise, so that a
    /// manifest from elsewhere cannot copy `/etc/shadow` into an image.
    #[arg(long)]
    pub allow_outside_files: bool,
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Debug, Args)]
pub struct AssembleArgs {
    /// The manifests (YAML). Several are built in one run, sharing downloads and
    /// layers; each is written to `OUT/<stem>.tar`.
    #[arg(required = true, value_name = "MANIFEST")]
    pub manifests: Vec<PathBuf>,
    #[command(flatten)]
    pub build: BuildArgs,
    /// Output: `image.tar` writes an oci-archive (also loadable by `docker load`);
    /// a path ending in `/` or an existing directory gets an OCI image layout. With
    /// several manifests, a directory that gets one oci-archive per manifest.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The architecture `docker load` gets from an oci-archive [default: the host's if
    /// built, else the first].
    #[arg(long)]
    pub docker_arch: Option<String>,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The manifests (the leading arguments that are files), then where to push each:
    /// `HOST[:PORT]/NAME:TAG`, one or more; every tag points at the image index. With
    /// several manifests each REF holds `{stem}`, the manifest's file stem. References
    /// on one registry share its blobs (mounted, not sent twice).
    #[arg(required = true, value_name = "MANIFEST|REF")]
    pub manifests_and_refs: Vec<String>,
    #[command(flatten)]
    pub build: BuildArgs,
    /// PEM file of CAs to trust for the registries' certificates, beside the system's.
    #[arg(long, env = "ALOFT_REGISTRY_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The repository (`HOST/PATH`) that serves as the fleet's layer cache: layers built
    /// and pushed are recorded there (`layer-<key>` tags), and a machine lacking a layer
    /// takes it from there instead of building it; `none` turns it off [default: the
    /// first REF's registry, `<its namespace>/aloft-layer-cache`].
    #[arg(long, env = "ALOFT_LAYER_CACHE", value_name = "HOST/PATH|none")]
    pub layer_cache: Option<String>,
    /// Talk plain HTTP to registries that are not on loopback (a loopback registry
    /// that does not speak TLS gets plain HTTP without it).
    #[arg(long)]
    pub plain_http: bool,
}
