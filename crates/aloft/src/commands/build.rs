//! The build both `aloft assemble` and `aloft publish` make: lock (if needed) -> fetch and
//! verify the .debs -> the package layers of every image in one pool -> per image and arch
//! the final layer and the image check -> the image with its SBOMs and the digest report,
//! in memory (layers on disk), ready to be written or pushed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use aloft_assemble::{AssembleOptions, LayerCache, PackageInput, assemble_image};
use aloft_fetch::DebCache;
use aloft_lockfile::Lockfile;
use aloft_oci::{ImageRef, ImageSpec, platform_for_debian_arch};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::BuildArgs;
use crate::commands::assemble_sboms;
use crate::commands::fetch::{FetchPlan, fetch_packages, locked_debs};
use crate::commands::lock::{check_lock, write_lock};
use aloft_lock::{RepositoryOptions, Upgrade};
use aloft_oci::{AttachedEntry, DigestReport, Expected, LayerEntry, PlatformEntry, mismatch};

use crate::settings::{ManifestTarget, repository_options};

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
    // A local repository without a Release has no date: its .debs' own times would make
    // the image depend on when the user built them.
    for repo in &lock.repositories {
        let Some(repo_date) = &repo.date else {
            continue;
        };
        let date =
            time::OffsetDateTime::parse(repo_date, &time::format_description::well_known::Rfc3339)
                .map_err(|e| {
                    miette!(
                        "Repository `{}` in the lock has a bad date `{}`: {e}",
                        repo.name,
                        repo_date
                    )
                })?;
        newest = newest.max(u64::try_from(date.unix_timestamp()).unwrap_or(0));
    }
    Ok(newest)
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

/// The build's arguments, resolved once.
pub(crate) struct BuildSettings {
    pub(crate) target: ManifestTarget,
    pub(crate) repo: RepositoryOptions,
    /// The architectures to build: the manifest's, or those of them `--arch` names.
    pub(crate) archs: Vec<String>,
    pub(crate) tag: Option<ImageRef>,
    expected: Option<Expected>,
    /// Layers built, downloads made and blobs pushed at once.
    pub(crate) jobs: usize,
}

/// The file stem of `manifest`: what `{stem}` stands for, and the default image name.
pub(crate) fn manifest_stem(manifest: &Path) -> String {
    manifest
        .file_stem()
        .map_or_else(|| "image".to_owned(), |s| s.to_string_lossy().into_owned())
}

/// Refuses what cannot apply to several manifests at once, and two manifests that
/// would write or push one name.
pub(crate) fn check_several(args: &BuildArgs, manifests: &[PathBuf]) -> Result<()> {
    if manifests.len() < 2 {
        return Ok(());
    }
    if args.lockfile.is_some() {
        return Err(miette!(
            "--lockfile names one lock; with several manifests each uses its own"
        ));
    }
    if let Some(tag) = &args.tag
        && !tag.contains("{stem}")
    {
        return Err(miette!(
            help = "write `--tag 'NAME-{{stem}}:TAG'`",
            "--tag `{tag}` would name every image alike; with several manifests it needs `{{stem}}`"
        ));
    }
    if let Some(expected) = &args.expect_digest
        && !Path::new(expected).is_dir()
    {
        return Err(miette!(
            "--expect-digest `{expected}`: with several manifests, give the directory of their reports (`DIR/<stem>.json`)"
        ));
    }
    let mut stems = std::collections::BTreeMap::new();
    for manifest in manifests {
        if let Some(other) = stems.insert(manifest_stem(manifest), manifest) {
            return Err(miette!(
                "`{}` and `{}` have one file stem; their images would get one name",
                other.display(),
                manifest.display()
            ));
        }
    }
    Ok(())
}

impl BuildSettings {
    /// Registry requests at once: waiting on the network costs no CPU, and a registry
    /// serves many small requests at once (4 per job, at most 16).
    pub(crate) fn network_jobs(&self) -> usize {
        (self.jobs * 4).min(16)
    }

    /// Loads `manifest` and checks the arguments, before any work.
    pub(crate) fn resolve(args: &BuildArgs, manifest: &Path) -> Result<BuildSettings> {
        let target = ManifestTarget::load(manifest, args.lockfile.as_deref())?;
        let stem = manifest_stem(manifest);
        let repo = repository_options(&args.repo, target.project.as_ref())?;
        let tag = args
            .tag
            .as_deref()
            .map(|tag| ImageRef::parse(&tag.replace("{stem}", &stem)))
            .transpose()
            .into_diagnostic()
            .wrap_err("--tag")?;
        let expected = args
            .expect_digest
            .as_deref()
            .map(|given| {
                let dir = Path::new(given);
                if dir.is_dir() {
                    Expected::parse(&dir.join(format!("{stem}.json")).to_string_lossy())
                } else {
                    Expected::parse(given)
                }
            })
            .transpose()
            .map_err(|e| miette!("--expect-digest: {e}"))?;
        if !args.allow_outside_files {
            target.refuse_files_outside_the_project()?;
        }
        for arch in &args.arch {
            if !target.archs.contains(arch) {
                return Err(miette!(
                    "--arch {arch}: the manifest builds only {}",
                    target.archs.join(", ")
                ));
            }
        }
        let archs = target
            .archs
            .iter()
            .filter(|a| args.arch.is_empty() || args.arch.contains(a))
            .cloned()
            .collect();
        let jobs = args
            .jobs
            .map_or_else(crate::settings::default_jobs, usize::from);
        Ok(BuildSettings {
            target,
            repo,
            archs,
            tag,
            expected,
            jobs,
        })
    }
}

/// A layer cache shared by a fleet (a registry): asked, before anything is built, for
/// the package layers the local cache lacks.
pub(crate) trait SharedLayers {
    /// Imports into `cache` what it holds of `keys`; returns how many it had.
    fn import(&self, cache: &LayerCache, keys: &[String], jobs: usize) -> usize;
}

/// A package layer of a built image, as a shared cache records it.
pub(crate) struct BuiltLayer {
    /// Its cache key.
    pub(crate) key: String,
    /// Its blob digest (hex).
    pub(crate) digest: String,
    pub(crate) size: u64,
}

/// A built image, ready to be written or pushed.
pub(crate) struct Built {
    pub(crate) image: aloft_oci::BuiltImage,
    pub(crate) sboms: Vec<assemble_sboms::SbomFile>,
    pub(crate) report: DigestReport,
    /// One line per architecture: packages, layers built and cached, sizes.
    pub(crate) summaries: Vec<String>,
    /// .debs downloaded.
    pub(crate) downloaded: usize,
    /// Package layers the shared cache supplied.
    pub(crate) imported: usize,
    /// Every package layer (distinct), for the shared cache.
    pub(crate) layers: Vec<BuiltLayer>,
    /// Where the layers are.
    pub(crate) cache: LayerCache,
}

/// A manifest's build up to its layers: the lock, its verified .debs, the options.
pub(crate) struct Prepared {
    lock: Lockfile,
    deb_cache: DebCache,
    epoch: u64,
    options: AssembleOptions,
    /// .debs downloaded.
    downloaded: usize,
    /// Package layers the shared cache supplied.
    imported: usize,
}

/// The steps before any layer: the lock (checked, or made), the .debs (fetched and
/// verified against it), the epoch. Then come the layers ([`build_layers_together`],
/// after [`import_shared`] if a registry shares them) and [`finish`].
pub(crate) fn prepare(args: &BuildArgs, settings: &BuildSettings, quiet: bool) -> Result<Prepared> {
    let removed = aloft_fs::remove_stale_temps(&settings.target.lock_dir())
        + settings.repo.cache.remove_stale_temps();
    if removed > 0 {
        tracing::info!("removed {removed} temporary files that interrupted runs left");
    }
    let lock = ensure_lock(args, settings, quiet)?;
    let plan = FetchPlan {
        target: &settings.target,
        repo: &settings.repo,
        archs: &settings.archs,
        jobs: settings.jobs,
        snapshot_mirror: args.snapshot_mirror.as_deref(),
    };
    let (deb_cache, downloaded) = fetch_packages(&plan, &lock, quiet)?;
    verify_lock(settings, &lock, &deb_cache)?;
    let epoch = source_date_epoch(&lock)?;
    let options = AssembleOptions {
        epoch,
        jobs: settings.jobs,
        cache: LayerCache::in_cache(&settings.repo.cache),
        compression: args.compression.layer_compression(),
        slim: settings.target.manifest.slim,
    };
    Ok(Prepared {
        lock,
        deb_cache,
        epoch,
        options,
        downloaded,
        imported: 0,
    })
}

/// Builds the package layers of several prepared images in one pool (see
/// `aloft_assemble::build_package_layers`); images whose layer caches are one directory
/// share one `LayerCache`, so a layer is hashed once and counted as built in each.
pub(crate) fn build_layers_together(
    images: &mut [(&BuildSettings, Prepared)],
    jobs: usize,
) -> Result<usize> {
    share_layer_caches(images);
    let mut inputs: Vec<(
        Vec<PackageInput>,
        &aloft_manifest::Manifest,
        &AssembleOptions,
    )> = Vec::new();
    for (settings, prepared) in images.iter() {
        for arch in &settings.archs {
            inputs.push((
                package_inputs(&prepared.lock, arch, &prepared.deb_cache),
                &settings.target.manifest,
                &prepared.options,
            ));
        }
    }
    let views: Vec<_> = inputs
        .iter()
        .map(|(packages, manifest, options)| (packages.as_slice(), *manifest, *options))
        .collect();
    aloft_assemble::build_package_layers(&views, jobs)
        .into_diagnostic()
        .wrap_err("Cannot build the images' layers")
}

/// Gives the prepared images whose layer caches are one directory one `LayerCache`
/// (what it hashed, built and knows from a registry is then known to all of them).
pub(crate) fn share_layer_caches(images: &mut [(&BuildSettings, Prepared)]) {
    let mut caches: Vec<LayerCache> = Vec::new();
    for (_, prepared) in images.iter_mut() {
        match caches
            .iter()
            .find(|c| c.root() == prepared.options.cache.root())
        {
            Some(cache) => prepared.options.cache = cache.clone(),
            None => caches.push(prepared.options.cache.clone()),
        }
    }
}

/// The rest of the build, from the layers on: each architecture's image, the image
/// check, the image with its SBOMs and the digest report. `unwritten` says what a
/// failure leaves undone (`` `out.tar` is not written ``, `nothing is pushed`).
pub(crate) fn finish(
    args: &BuildArgs,
    settings: &BuildSettings,
    prepared: Prepared,
    unwritten: &str,
) -> Result<Built> {
    let Prepared {
        lock,
        deb_cache,
        epoch,
        options,
        downloaded,
        imported,
    } = prepared;
    let platforms = assemble_platforms(settings, &lock, &deb_cache, &options)?;
    check_findings(args, settings, &platforms, unwritten)?;
    let (image, sboms) = build_with_sboms(args, settings, &lock, &platforms, epoch)?;
    let summaries = summaries_of(&settings.archs, &platforms);
    let layers: Vec<_> = platforms.into_iter().map(|p| p.layers).collect();
    let mut package_layers: Vec<BuiltLayer> = Vec::new();
    for layer in layers.iter().flatten() {
        if let Some(key) = &layer.key
            && !package_layers.iter().any(|l| &l.key == key)
        {
            package_layers.push(BuiltLayer {
                key: key.clone(),
                digest: layer.digest.clone(),
                size: layer.size,
            });
        }
    }
    let report = digest_report(&image, &layers, epoch, options.compression);
    if let Some(expected) = &settings.expected
        && let Some(message) = mismatch(expected, &report)
    {
        return Err(miette!("{message}")).wrap_err_with(|| unwritten.to_owned());
    }
    Ok(Built {
        image,
        sboms,
        report,
        summaries,
        downloaded,
        imported,
        layers: package_layers,
        cache: options.cache.clone(),
    })
}

/// Asks `shared` for the package layers of every selected architecture that the local
/// cache lacks; counts what it supplied in `prepared.imported`.
pub(crate) fn import_shared(
    settings: &BuildSettings,
    prepared: &mut Prepared,
    shared: &dyn SharedLayers,
) {
    let options = &prepared.options;
    let mut missing: Vec<String> = Vec::new();
    for arch in &settings.archs {
        let packages = package_inputs(&prepared.lock, arch, &prepared.deb_cache);
        for key in aloft_assemble::layer_keys(&packages, &settings.target.manifest, options) {
            if !options.cache.has(&key) && !missing.contains(&key) {
                missing.push(key);
            }
        }
    }
    if !missing.is_empty() {
        prepared.imported += shared.import(&options.cache, &missing, settings.network_jobs());
    }
    // The Python bytecode layer's key needs the package layers' file lists: asked for
    // once they are known, so a machine that cannot run the interpreter (no qemu for a
    // foreign architecture) takes what another compiled.
    let mut bytecode: Vec<String> = Vec::new();
    for arch in &settings.archs {
        let packages = package_inputs(&prepared.lock, arch, &prepared.deb_cache);
        if let Some(key) =
            aloft_assemble::bytecode_layer_key(&packages, &settings.target.manifest, options)
            && !options.cache.has(&key)
            && !bytecode.contains(&key)
        {
            bytecode.push(key);
        }
    }
    if !bytecode.is_empty() {
        prepared.imported += shared.import(&options.cache, &bytecode, settings.network_jobs());
    }
}

/// The lock's packages for `arch` that go into the image, with their .debs' paths.
fn package_inputs(lock: &Lockfile, arch: &str, deb_cache: &DebCache) -> Vec<PackageInput> {
    // What only maintainer scripts need stays out of the image (the lock says why).
    lock.packages
        .get(arch)
        .into_iter()
        .flatten()
        .filter(|p| p.left_out.is_none())
        .map(|p| PackageInput {
            name: p.name.clone(),
            version: p.version.clone(),
            architecture: p.architecture.clone(),
            source: p.source.clone(),
            sha256: p.sha256.clone(),
            size: p.size,
            deb: deb_cache.path(&p.sha256),
            slice: p.slice.clone(),
        })
        .collect()
}

/// The lock: as it is when fresh; a stale or missing one is an error under `--locked`
/// and is (re)written otherwise. With a fresh lock nothing is resolved again.
fn ensure_lock(args: &BuildArgs, settings: &BuildSettings, quiet: bool) -> Result<Lockfile> {
    match check_lock(&settings.target) {
        Ok(lock) => Ok(lock),
        Err(err) if args.locked => Err(err),
        Err(_) => write_lock(&settings.target, &settings.repo, &Upgrade::default(), quiet),
    }
}

/// The lock must be what its .debs and its manifest say before it is built from: each
/// .deb the package its entry names, the set the manifest's closure.
fn verify_lock(settings: &BuildSettings, lock: &Lockfile, deb_cache: &DebCache) -> Result<()> {
    let deb_path = |sha256: &str| deb_cache.path(sha256);
    let debs = locked_debs(&settings.target, lock, &deb_path);
    let started = Instant::now();
    aloft_lock::verify_locked_debs(&debs, &settings.archs, settings.jobs).into_diagnostic()?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "the lock agrees with its .debs and its manifest"
    );
    Ok(())
}

/// One architecture's assembled image and what went into it.
struct Platform {
    image: aloft_oci::PlatformImage,
    /// What the image check found missing.
    findings: Vec<aloft_assemble::ImageFinding>,
    packages: Vec<aloft_assemble::InstalledPackage>,
    layers: Vec<aloft_assemble::LayerReport>,
    /// How many packages the lock installs for it.
    package_count: usize,
}

/// Prints what the image check found, per architecture; with `--strict`, fails on it.
/// A library a slice's file lacks fails the build either way: the slice was cut wrong.
fn check_findings(
    args: &BuildArgs,
    settings: &BuildSettings,
    platforms: &[Platform],
    unwritten: &str,
) -> Result<()> {
    let mut lines = Vec::new();
    let mut slices = false;
    for (arch, platform) in settings.archs.iter().zip(platforms) {
        for finding in &platform.findings {
            lines.push(format!("{arch}: {finding}"));
            slices |= finding.check == "slice";
        }
    }
    if (args.strict || slices) && !lines.is_empty() {
        return Err(miette!(
            help = "fix the manifest, or build without --strict to get the image with warnings",
            "The image check found {} problem{}:\n  {}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join("\n  ")
        ))
        .wrap_err_with(|| {
            let why = if args.strict {
                "--strict"
            } else {
                "a slice lacks a library"
            };
            format!("{unwritten} ({why})")
        });
    }
    for line in &lines {
        tracing::warn!("{line}");
    }
    Ok(())
}

/// The image of each selected architecture, in order.
fn assemble_platforms(
    settings: &BuildSettings,
    lock: &Lockfile,
    deb_cache: &DebCache,
    options: &AssembleOptions,
) -> Result<Vec<Platform>> {
    let mut platforms = Vec::new();
    for arch in &settings.archs {
        let platform = platform_for_debian_arch(arch)
            .ok_or_else(|| miette!("No OCI platform is known for Debian architecture `{arch}`"))?;
        let packages = package_inputs(lock, arch, deb_cache);
        let assembled = assemble_image(platform, &packages, &settings.target.manifest, options)
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "Cannot assemble `{}` for {arch}",
                    settings.target.path.display()
                )
            })?;
        platforms.push(Platform {
            image: assembled.image,
            findings: assembled.findings,
            packages: assembled.packages,
            layers: assembled.layers,
            package_count: packages.len(),
        });
    }
    Ok(platforms)
}

/// One line per architecture: packages, layers built and cached, sizes.
fn summaries_of(archs: &[String], platforms: &[Platform]) -> Vec<String> {
    archs
        .iter()
        .zip(platforms)
        .map(|(arch, platform)| {
            let layers = &platform.layers;
            // The final layer is made on every run; count the package layers.
            let package_layers = &layers[..layers.len().saturating_sub(1)];
            let built = package_layers
                .iter()
                .filter(|l| l.compressed_bytes > 0)
                .count();
            let packages = platform.package_count;
            let recompressed: u64 = layers.iter().map(|l| l.compressed_bytes).sum();
            let size: u64 = layers.iter().map(|l| l.size).sum();
            format!(
                "{arch}: {packages} packages in {} layers ({built} built, {} from cache) + the final layer, {:.1} MB compressed, {:.1} MB recompressed",
                package_layers.len(),
                package_layers.len() - built,
                size as f64 / 1e6,
                recompressed as f64 / 1e6,
            )
        })
        .collect()
}

/// The image with its SBOMs attached. The SBOMs name each platform's manifest, so the
/// manifests come first; attaching them changes only the index.
fn build_with_sboms(
    args: &BuildArgs,
    settings: &BuildSettings,
    lock: &Lockfile,
    platforms: &[Platform],
    epoch: u64,
) -> Result<(aloft_oci::BuiltImage, Vec<assemble_sboms::SbomFile>)> {
    // The image name the SBOMs describe: the tag's last path component, else the stem.
    let name = settings
        .tag
        .as_ref()
        .map(|t| t.path().rsplit('/').next().unwrap_or(t.path()).to_owned())
        .unwrap_or_else(|| manifest_stem(&settings.target.path));
    let mut spec = ImageSpec {
        images: platforms.iter().map(|p| p.image.clone()).collect(),
        tag: settings.tag.clone(),
        annotations: settings.target.manifest.annotations.clone(),
        artifacts: Vec::new(),
    };
    let installed: Vec<_> = platforms.iter().map(|p| p.packages.clone()).collect();
    let unattached = aloft_oci::build(&spec).into_diagnostic()?;
    let sboms = assemble_sboms::documents(
        args.sbom_format,
        &unattached,
        &settings.archs,
        &installed,
        lock,
        &name,
        epoch,
    )?;
    spec.artifacts = sboms.iter().map(|file| file.artifact(&name)).collect();
    let image = aloft_oci::build(&spec).into_diagnostic()?;
    Ok((image, sboms))
}

/// What images built in one run share: the layer bytes they reference in all (each
/// image's distinct layers), and how much of that is blobs another image also holds,
/// which were built once.
pub(crate) fn shared_layers(reports: &[DigestReport]) -> String {
    let mut referenced = 0u64;
    let mut holders: std::collections::BTreeMap<&str, (u64, usize)> =
        std::collections::BTreeMap::new();
    for report in reports {
        let mut own = std::collections::BTreeMap::new();
        for layer in report.platforms.iter().flat_map(|p| &p.layers) {
            own.insert(layer.digest.as_str(), layer.size);
        }
        for (digest, size) in own {
            referenced += size;
            holders.entry(digest).or_insert((size, 0)).1 += 1;
        }
    }
    let distinct: u64 = holders.values().map(|(size, _)| size).sum();
    let in_several = holders.values().filter(|(_, n)| *n > 1).count();
    format!(
        "{} images: {:.1} MB of layers in all, {:.1} MB of distinct blobs ({in_several} layers in more than one image; {:.1} MB, {:.0}%, shared)",
        reports.len(),
        referenced as f64 / 1e6,
        distinct as f64 / 1e6,
        (referenced - distinct) as f64 / 1e6,
        if referenced == 0 {
            0.0
        } else {
            (referenced - distinct) as f64 * 100.0 / referenced as f64
        },
    )
}
