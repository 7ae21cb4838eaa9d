//! `aloft assemble`: lock (if needed) -> fetch and verify the .debs -> layers per arch ->
//! an OCI image layout or oci-archive; the image digest is the last line on stdout.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use aloft_assemble::{AssembleOptions, LayerCache, PackageInput, assemble_image};
use aloft_fetch::{DebCache, DebFetchOptions, DebRequest, HttpClient, fetch_debs};
use aloft_lockfile::Lockfile;
use aloft_oci::{ImageRef, ImageSpec, platform_for_debian_arch};
use indicatif::{ProgressBar, ProgressStyle};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::{AssembleArgs, LockArgs};
use crate::commands::digest_report::{
    AttachedEntry, DigestReport, Expected, LayerEntry, PlatformEntry, mismatch,
};
use crate::commands::lock::{archs_of, load_manifest, lock_manifest};
use crate::commands::{assemble_sboms, repositories};
use crate::project::Project;

/// SOURCE_DATE_EPOCH if set, else the newest Release date in the lock, so two builds of
/// one lock agree without any variable set.
fn source_date_epoch(lock: &Lockfile) -> Result<u64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH")
        && !value.is_empty()
    {
        return value
            .trim()
            .parse::<u64>()
            .map_err(|_| miette!("SOURCE_DATE_EPOCH=`{value}` is not a number of seconds"));
    }
    let mut newest = 0u64;
    for repo in &lock.repositories {
        let date =
            time::OffsetDateTime::parse(&repo.date, &time::format_description::well_known::Rfc3339)
                .map_err(|e| {
                    miette!(
                        "Repository `{}` in the lock has a bad date `{}`: {e}",
                        repo.name,
                        repo.date
                    )
                })?;
        newest = newest.max(u64::try_from(date.unix_timestamp()).unwrap_or(0));
    }
    Ok(newest)
}

fn host_debian_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "i386",
        "arm" => "armhf",
        "powerpc64" => "ppc64el",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

fn is_layout_output(output: &Path) -> bool {
    output.as_os_str().to_string_lossy().ends_with('/') || output.is_dir()
}

/// The `--json` report of `image`, whose platforms' layers are `layers` (in order).
fn digest_report(
    image: &aloft_oci::BuiltImage,
    layers: &[Vec<aloft_assemble::LayerReport>],
    epoch: u64,
    compression: aloft_assemble::LayerCompression,
) -> DigestReport {
    let platforms = image
        .manifests()
        .iter()
        .zip(layers)
        .map(|(manifest, layers)| {
            let p = &manifest.platform;
            PlatformEntry {
                platform: match &p.variant {
                    Some(variant) => format!("{}/{}/{variant}", p.os, p.architecture),
                    None => format!("{}/{}", p.os, p.architecture),
                },
                manifest: manifest.digest.to_string(),
                config: manifest.config_digest.to_string(),
                attached: image
                    .artifacts()
                    .iter()
                    .filter(|a| a.subject == manifest.platform)
                    .map(|a| AttachedEntry {
                        artifact_type: a.artifact_type.clone(),
                        manifest: a.digest.to_string(),
                        document: a.data.to_string(),
                    })
                    .collect(),
                layers: layers
                    .iter()
                    .map(|l| LayerEntry {
                        // The assembler reports bare hex.
                        digest: format!("sha256:{}", l.digest),
                        size: l.size,
                        created_by: l.description.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    DigestReport {
        digest: image.index_digest().to_string(),
        source_date_epoch: epoch,
        compression: compression.name().to_owned(),
        platforms,
    }
}

/// Runs `aloft assemble`.
pub fn assemble(args: &AssembleArgs, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let manifest = load_manifest(&args.manifest)?;
    let project = Project::find(&args.manifest)?;
    let tag = args
        .tag
        .as_deref()
        .map(ImageRef::parse)
        .transpose()
        .into_diagnostic()
        .wrap_err("--tag")?;
    let expected = args
        .expect_digest
        .as_deref()
        .map(Expected::parse)
        .transpose()
        .map_err(|e| miette!("--expect-digest: {e}"))?;
    // Fail on an unusable output before any work: an archive and a layout directory
    // alike are written (by rename) into an existing parent directory.
    let output_parent = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !output_parent.is_dir() {
        return Err(miette!(
            "Cannot write `{}`: the directory `{}` does not exist",
            args.output.display(),
            output_parent.display()
        ));
    }

    let lock_args = LockArgs {
        manifest: args.manifest.clone(),
        lockfile: args.lockfile.clone(),
        locked: true,
        upgrade: false,
        upgrade_package: Vec::new(),
        repo: crate::cli::RepoArgs {
            mirror: args.repo.mirror.clone(),
            cache_dir: args.repo.cache_dir.clone(),
            offline: args.repo.offline,
            allow_expired_release: args.repo.allow_expired_release,
        },
    };
    // With a fresh lock nothing is resolved again; a stale or missing one is an error
    // under --locked and is (re)written otherwise.
    let lock = match lock_manifest(&lock_args, &manifest, true) {
        Ok(lock) => lock,
        Err(err) if args.locked => return Err(err),
        Err(_) => lock_manifest(
            &LockArgs {
                locked: false,
                ..lock_args
            },
            &manifest,
            quiet,
        )?,
    };

    let all_archs = archs_of(&manifest, project.as_ref());
    let archs: Vec<String> = if args.arch.is_empty() {
        all_archs.clone()
    } else {
        for arch in &args.arch {
            if !all_archs.contains(arch) {
                return Err(miette!(
                    "--arch {arch}: the manifest builds only {}",
                    all_archs.join(", ")
                ));
            }
        }
        all_archs
            .iter()
            .filter(|a| args.arch.contains(a))
            .cloned()
            .collect()
    };

    // Every .deb of the selected archs, once.
    let mut requests: Vec<DebRequest> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for arch in &archs {
        for p in lock.packages.get(arch).into_iter().flatten() {
            if seen.insert(p.sha256.clone()) {
                requests.push(DebRequest {
                    package: p.name.clone(),
                    version: p.version.clone(),
                    repository: p.repository.clone(),
                    pool_path: p.pool_path.clone(),
                    sha256: p.sha256.clone(),
                    size: p.size,
                });
            }
        }
    }
    let cache = repositories::cache(&args.repo, project.as_ref())?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let sources = if args.repo.offline {
        aloft_fetch::DebSources::default()
    } else {
        repositories::pool_sources(
            &manifest,
            &lock,
            &args.repo,
            args.snapshot_mirror.as_deref(),
        )?
    };
    let deb_cache = DebCache::new(&cache);
    let total: u64 = requests.iter().map(|r| r.size).sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {eta}")
            .into_diagnostic()?
            .progress_chars("=> "),
    );
    bar.set_message("packages");
    let downloaded = std::sync::atomic::AtomicUsize::new(0);
    let client = HttpClient::new(repositories::http_options());
    fetch_debs(
        &client,
        &deb_cache,
        &requests,
        &sources,
        &DebFetchOptions {
            offline: args.repo.offline,
            jobs: jobs.max(4),
        },
        &|request, fetched| {
            if fetched {
                downloaded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(package = request.package, "downloaded");
            }
            bar.inc(request.size);
        },
    )
    .into_diagnostic()
    .wrap_err_with(|| format!("Cannot fetch the packages of `{}`", args.manifest.display()))?;
    bar.finish_and_clear();

    let epoch = source_date_epoch(&lock)?;
    let options = AssembleOptions {
        epoch,
        jobs,
        cache: LayerCache::in_cache(&cache),
        compression: args.compression.layer_compression(),
    };
    let mut images = Vec::new();
    let mut installed = Vec::new();
    let mut summaries = Vec::new();
    let mut layer_reports = Vec::new();
    for arch in &archs {
        let platform = platform_for_debian_arch(arch)
            .ok_or_else(|| miette!("No OCI platform is known for Debian architecture `{arch}`"))?;
        let packages: Vec<PackageInput> = lock
            .packages
            .get(arch)
            .into_iter()
            .flatten()
            .map(|p| PackageInput {
                name: p.name.clone(),
                version: p.version.clone(),
                architecture: p.architecture.clone(),
                source: p.source.clone(),
                sha256: p.sha256.clone(),
                size: p.size,
                deb: deb_cache.path(&p.sha256),
            })
            .collect();
        let assembled = assemble_image(platform, &packages, &manifest, &options)
            .into_diagnostic()
            .wrap_err_with(|| {
                format!("Cannot assemble `{}` for {arch}", args.manifest.display())
            })?;
        // The final layer is made on every run; count the package layers.
        let package_layers = &assembled.layers[..assembled.layers.len().saturating_sub(1)];
        let built = package_layers
            .iter()
            .filter(|l| l.compressed_bytes > 0)
            .count();
        let recompressed: u64 = assembled.layers.iter().map(|l| l.compressed_bytes).sum();
        let size: u64 = assembled.layers.iter().map(|l| l.size).sum();
        summaries.push(format!(
            "{arch}: {} packages in {} layers ({built} built, {} from cache) + the final layer, {:.1} MB compressed, {:.1} MB recompressed",
            packages.len(),
            package_layers.len(),
            package_layers.len() - built,
            size as f64 / 1e6,
            recompressed as f64 / 1e6,
        ));
        layer_reports.push(assembled.layers);
        installed.push(assembled.packages);
        images.push(assembled.image);
    }
    // The image name the SBOMs describe: the tag's last path component, else the stem.
    let name = tag
        .as_ref()
        .map(|t| t.path().rsplit('/').next().unwrap_or(t.path()).to_owned())
        .unwrap_or_else(|| {
            args.manifest
                .file_stem()
                .map_or_else(|| "image".to_owned(), |s| s.to_string_lossy().into_owned())
        });
    let mut spec = ImageSpec {
        images,
        tag,
        annotations: manifest.annotations.clone(),
        artifacts: Vec::new(),
    };
    // The SBOMs name each platform's manifest, so the manifests come first; attaching
    // them changes only the index.
    let sboms = {
        let unattached = aloft_oci::build(&spec).into_diagnostic()?;
        assemble_sboms::documents(
            args.sbom_format,
            &unattached,
            &archs,
            &installed,
            &lock,
            &name,
            epoch,
        )?
    };
    spec.artifacts = sboms.iter().map(|file| file.artifact(&name)).collect();
    let image = aloft_oci::build(&spec).into_diagnostic()?;
    let report = digest_report(&image, &layer_reports, epoch, options.compression);
    if let Some(expected) = &expected
        && let Some(message) = mismatch(expected, &report)
    {
        return Err(miette!("{message}"))
            .wrap_err_with(|| format!("`{}` is not written", args.output.display()));
    }
    if is_layout_output(&args.output) {
        aloft_oci::write_layout_dir(&image, &args.output).into_diagnostic()?;
    } else {
        let docker_arch = args.docker_arch.as_deref().unwrap_or_else(|| {
            let host = host_debian_arch();
            if archs.iter().any(|a| a == host) {
                host
            } else {
                archs[0].as_str()
            }
        });
        let docker_platform = platform_for_debian_arch(docker_arch)
            .ok_or_else(|| miette!("--docker-arch {docker_arch}: unknown architecture"))?;
        aloft_oci::write_archive(&image, &args.output, Some(&docker_platform)).into_diagnostic()?;
    }
    let mut sbom_paths = Vec::new();
    for file in &sboms {
        sbom_paths.push(assemble_sboms::write_beside(file, &args.output)?);
    }
    #[allow(clippy::print_stderr, clippy::print_stdout)]
    {
        if !quiet {
            for line in &summaries {
                eprintln!("{line}");
            }
            for path in &sbom_paths {
                eprintln!("SBOM: {}", path.display());
            }
            eprintln!(
                "Wrote {} in {:.2}s ({} .debs downloaded)",
                args.output.display(),
                started.elapsed().as_secs_f64(),
                downloaded.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
        if args.json {
            let json = serde_json::to_string_pretty(&report).into_diagnostic()?;
            println!("{json}");
        } else {
            println!("{}", image.index_digest());
        }
    }
    Ok(ExitCode::SUCCESS)
}
