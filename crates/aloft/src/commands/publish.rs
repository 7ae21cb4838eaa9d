//! `aloft publish`: the build `assemble` makes, pushed natively to one or more registries.
//! Each `REF@digest` goes to stdout, then the image digest as the last line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aloft_assemble::LayerCache;
use aloft_oci::ImageRef;
use aloft_registry::{
    BlobOutcome, ClientOptions, FetchBlob, FoundLayer, LayerRecord, PushOptions, Registry,
    RegistryError, download_layer, find_layer, push_image, record_layer, record_tag,
};
use indicatif::{ProgressBar, ProgressStyle};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::PublishArgs;
use crate::commands::build::{
    BuildSettings, Built, BuiltLayer, SharedLayers, build_layers_together, check_several, finish,
    import_shared, manifest_stem, prepare, share_layer_caches,
};

/// The references of one registry, grouped by repository (in the order given).
struct RegistryTarget {
    host: String,
    /// Repository paths and their tags.
    repositories: Vec<(String, Vec<String>)>,
}

/// Parses the references: each must name its registry host (no Docker Hub default).
fn targets(refs: &[String]) -> Result<(Vec<ImageRef>, Vec<RegistryTarget>)> {
    let mut parsed = Vec::new();
    let mut targets: Vec<RegistryTarget> = Vec::new();
    for text in refs {
        let reference = ImageRef::parse(text)
            .into_diagnostic()
            .wrap_err_with(|| format!("REF `{text}`"))?;
        let first = text.split('/').next().unwrap_or_default();
        let has_host = text.contains('/')
            && (first.contains(['.', ':']) || first == "localhost")
            && first == reference.domain();
        if !has_host {
            return Err(miette!(
                help = "write the registry in front: HOST[:PORT]/NAME:TAG",
                "REF `{text}` names no registry host; aloft pushes only where the reference says"
            ));
        }
        let host = reference.domain().to_owned();
        let target = match targets.iter_mut().position(|t| t.host == host) {
            Some(i) => &mut targets[i],
            None => {
                targets.push(RegistryTarget {
                    host,
                    repositories: Vec::new(),
                });
                targets.last_mut().ok_or_else(|| miette!("no target"))?
            }
        };
        let path = reference.path().to_owned();
        let tag = reference.tag().to_owned();
        match target.repositories.iter_mut().find(|(p, _)| *p == path) {
            Some((_, tags)) if tags.contains(&tag) => {}
            Some((_, tags)) => tags.push(tag),
            None => target.repositories.push((path, vec![tag])),
        }
        parsed.push(reference);
    }
    Ok((parsed, targets))
}

/// Splits the positional arguments: the leading ones that are files (or end in
/// `.yaml`/`.yml`) are manifests, the rest references.
fn split_arguments(args: &[String]) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let is_manifest = |a: &String| {
        let path = Path::new(a);
        path.is_file() || path.extension().is_some_and(|e| e == "yaml" || e == "yml")
    };
    let count = args.iter().take_while(|a| is_manifest(a)).count();
    let (manifests, refs) = args.split_at(count);
    if manifests.is_empty() {
        return Err(miette!(
            "`{}` is no manifest file: give the manifests first, then the references",
            args.first().map_or("", String::as_str)
        ));
    }
    if refs.is_empty() {
        return Err(miette!(
            help = "add where to push: HOST[:PORT]/NAME:TAG",
            "No reference to push to"
        ));
    }
    Ok((manifests.iter().map(PathBuf::from).collect(), refs.to_vec()))
}

/// The registry repository that serves as the fleet's layer cache, if any.
fn layer_cache_target(given: Option<&str>, jobs: &[Job]) -> Result<Option<(String, String)>> {
    match given {
        Some("none") => Ok(None),
        Some(text) => {
            let (host, path) = text
                .split_once('/')
                .ok_or_else(|| miette!("--layer-cache `{text}`: write HOST/PATH (or `none`)"))?;
            if path.is_empty() || !(host.contains(['.', ':']) || host == "localhost") {
                return Err(miette!(
                    "--layer-cache `{text}`: write HOST/PATH (or `none`)"
                ));
            }
            Ok(Some((host.to_owned(), path.to_owned())))
        }
        None => {
            let Some((target, repository)) = jobs
                .first()
                .and_then(|j| j.targets.first())
                .and_then(|t| t.repositories.first().map(|(r, _)| (t, r)))
            else {
                return Ok(None);
            };
            let path = match repository.rsplit_once('/') {
                Some((namespace, _)) => format!("{namespace}/aloft-layer-cache"),
                None => "aloft-layer-cache".to_owned(),
            };
            Ok(Some((target.host.clone(), path)))
        }
    }
}

/// The registry as the fleet's layer cache (see `aloft_registry::layer_cache`).
struct RegistryLayers<'a> {
    registry: &'a Registry,
    repository: String,
    /// The layers found there in this run, by key: they need no record, and they are
    /// known here by their index alone until a push needs the bytes.
    remote: Mutex<HashMap<String, FoundLayer>>,
    /// Layer blobs downloaded in this run.
    downloaded: AtomicUsize,
}

impl SharedLayers for RegistryLayers<'_> {
    fn import(&self, cache: &LayerCache, keys: &[String], jobs: usize) -> usize {
        let imported = aloft_fs::try_map_parallel(keys, jobs, None, |key| {
            // The cache only saves work: a failed lookup builds the layer instead.
            let found = match find_layer(self.registry, &self.repository, key) {
                Ok(Some(found)) => found,
                Ok(None) => return Ok::<bool, std::convert::Infallible>(false),
                Err(e) => {
                    tracing::warn!("layer cache: {e}; building the layer here");
                    return Ok(false);
                }
            };
            match cache.add_remote(key, &found.index) {
                Ok(_) => {
                    if let Ok(mut remote) = self.remote.lock() {
                        remote.insert(key.clone(), found);
                    }
                    Ok(true)
                }
                Err(e) => {
                    tracing::warn!("layer cache: {e}; building the layer here");
                    Ok(false)
                }
            }
        });
        imported.map_or(0, |all| all.into_iter().filter(|i| *i).count())
    }
}

/// Downloads a layer known by its index alone into `cache` when a push must upload it
/// (a registry other than the layer cache's, or a refused mount).
struct FetchFromLayerCache<'a> {
    shared: &'a RegistryLayers<'a>,
    cache: &'a LayerCache,
}

impl FetchBlob for FetchFromLayerCache<'_> {
    fn fetch(&self, digest: &aloft_oci::Digest, path: &Path) -> Result<(), RegistryError> {
        let shared = self.shared;
        let what = format!(
            "fetching layer {digest} from the layer cache {}",
            shared.repository
        );
        let protocol = |message: String| RegistryError::Protocol {
            registry: shared.registry.host().to_owned(),
            what: what.clone(),
            message,
        };
        let found = shared
            .remote
            .lock()
            .ok()
            .and_then(|remote| remote.values().find(|f| f.digest == *digest).cloned())
            .ok_or_else(|| protocol("no such layer was found there in this run".into()))?;
        // The image names the blob where the cache keeps it; importing puts it there.
        if self.cache.blob_path(digest.hex()) != path {
            return Err(protocol(format!(
                "`{}` is not where the layer cache keeps it",
                path.display()
            )));
        }
        self.cache
            .import(&found.key, &found.index, |dest| {
                download_layer(shared.registry, &shared.repository, &found, dest)
            })
            .map_err(|e| protocol(e.to_string()))?;
        shared.downloaded.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl RegistryLayers<'_> {
    /// Records the package layers of `built` that the cache does not hold yet, mounting
    /// their blobs from `pushed_to` (a repository of the same registry that has them).
    /// Returns how many were recorded.
    fn record(
        &self,
        built: &Built,
        compression: aloft_assemble::LayerCompression,
        pushed_to: &str,
        jobs: usize,
    ) -> usize {
        let known: BTreeSet<String> = self
            .remote
            .lock()
            .map(|remote| remote.keys().cloned().collect())
            .unwrap_or_default();
        let todo: Vec<&BuiltLayer> = built
            .layers
            .iter()
            .filter(|l| !known.contains(&l.key))
            .collect();
        let media_type = compression.media_type().as_str().to_owned();
        let recorded = aloft_fs::try_map_parallel(&todo, jobs, None, |layer| {
            let exists = self
                .registry
                .get_manifest(
                    &self.repository,
                    &record_tag(&layer.key),
                    aloft_oci::MEDIA_TYPE_MANIFEST,
                )
                .map(|m| m.is_some());
            if matches!(exists, Ok(true)) {
                return Ok::<bool, std::convert::Infallible>(false);
            }
            let (Some(index), Ok(digest)) = (
                built.cache.index_bytes(&layer.key),
                aloft_oci::Digest::from_hex(&layer.digest),
            ) else {
                return Ok(false);
            };
            let record = LayerRecord {
                key: layer.key.clone(),
                index,
                digest,
                size: layer.size,
                media_type: media_type.clone(),
                path: built.cache.blob_path(&layer.digest),
            };
            match record_layer(self.registry, &self.repository, &record, pushed_to) {
                Ok(()) => Ok(true),
                Err(e) => {
                    tracing::warn!("layer cache: cannot record layer {}: {e}", layer.key);
                    Ok(false)
                }
            }
        });
        recorded.map_or(0, |all| all.into_iter().filter(|r| *r).count())
    }
}

/// One manifest's build settings and the references it goes to.
struct Job {
    settings: BuildSettings,
    references: Vec<ImageRef>,
    targets: Vec<RegistryTarget>,
}

/// Runs `aloft publish`.
pub fn publish(args: &PublishArgs, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let (manifests, refs) = split_arguments(&args.manifests_and_refs)?;
    check_several(&args.build, &manifests)?;
    if manifests.len() > 1
        && let Some(plain) = refs.iter().find(|r| !r.contains("{stem}"))
    {
        return Err(miette!(
            help = "write e.g. `HOST/team/{{stem}}:TAG`",
            "REF `{plain}` would get every image; with several manifests each REF needs `{{stem}}`"
        ));
    }
    let mut jobs = Vec::new();
    for manifest in &manifests {
        let stem = manifest_stem(manifest);
        let these: Vec<String> = refs.iter().map(|r| r.replace("{stem}", &stem)).collect();
        let (references, targets) = targets(&these)?;
        let settings = BuildSettings::resolve(&args.build, manifest)?;
        jobs.push(Job {
            settings,
            references,
            targets,
        });
    }
    let options = ClientOptions {
        ca_file: args.ca_file.clone(),
        plain_http: args.plain_http,
        ..ClientOptions::default()
    };
    // Reach every registry (TLS, plain HTTP rules, credentials) before minutes of build.
    let mut registries: BTreeMap<String, Registry> = BTreeMap::new();
    for target in jobs.iter().flat_map(|j| &j.targets) {
        if !registries.contains_key(&target.host) {
            let registry = Registry::connect(&target.host, &options)
                .into_diagnostic()
                .wrap_err_with(|| format!("Cannot reach the registry {}", target.host))?;
            registries.insert(target.host.clone(), registry);
        }
    }
    let cache_target = layer_cache_target(args.layer_cache.as_deref(), &jobs)?;
    if let Some((host, _)) = &cache_target
        && !registries.contains_key(host)
    {
        let registry = Registry::connect(host, &options)
            .into_diagnostic()
            .wrap_err_with(|| format!("Cannot reach the layer cache's registry {host}"))?;
        registries.insert(host.clone(), registry);
    }
    let shared = match &cache_target {
        Some((host, repository)) => registries.get(host).map(|registry| RegistryLayers {
            registry,
            repository: repository.clone(),
            remote: Mutex::new(HashMap::new()),
            downloaded: AtomicUsize::new(0),
        }),
        None => None,
    };
    // Per registry: which repository holds each blob pushed so far, to mount from.
    let mut holders: BTreeMap<String, HashMap<String, String>> = BTreeMap::new();
    let mut printed = Vec::new();
    let mut reports = Vec::new();
    // Every lock and .deb first, then what the registry holds, then the rest of the
    // package layers in one pool; each image is then finished and pushed in turn.
    let mut prepared = Vec::new();
    for job in &jobs {
        prepared.push((&job.settings, prepare(&args.build, &job.settings, quiet)?));
    }
    share_layer_caches(&mut prepared);
    if let Some(shared) = &shared {
        for (settings, this) in &mut prepared {
            import_shared(settings, this, shared);
        }
    }
    let threads = jobs.first().map_or(1, |j| j.settings.jobs);
    build_layers_together(&mut prepared, threads)?;
    for (job, (_, prepared)) in jobs.iter().zip(prepared) {
        let built = finish(&args.build, &job.settings, prepared, "nothing is pushed")?;
        let mut lines = push_everywhere(
            job,
            &built,
            &registries,
            &mut holders,
            shared.as_ref(),
            quiet,
        )?;
        if let (Some(shared), Some((host, _))) = (&shared, &cache_target) {
            // Record from a repository of the cache's registry that now has the blobs.
            let pushed_to = job
                .targets
                .iter()
                .find(|t| &t.host == host)
                .and_then(|t| t.repositories.first())
                .map(|(r, _)| r.as_str());
            let recorded = pushed_to.map_or(0, |repository| {
                shared.record(
                    &built,
                    args.build.compression.layer_compression(),
                    repository,
                    job.settings.network_jobs(),
                )
            });
            lines.push(format!(
                "layer cache {host}/{}: {} layers taken from it, {recorded} recorded; {} layer blobs downloaded",
                shared.repository,
                built.imported,
                shared.downloaded.swap(0, Ordering::Relaxed),
            ));
        }
        let digest = built.image.index_digest().to_string();
        #[allow(clippy::print_stderr)]
        if !quiet {
            for line in built.summaries.iter().chain(&lines) {
                eprintln!("{line}");
            }
        }
        for reference in &job.references {
            printed.push(format!(
                "{}/{}:{}@{digest}",
                reference.domain(),
                reference.path(),
                reference.tag()
            ));
        }
        reports.push((manifest_stem(&job.settings.target.path), built));
    }
    #[allow(clippy::print_stderr, clippy::print_stdout)]
    {
        if !quiet {
            let downloaded: usize = reports.iter().map(|(_, b)| b.downloaded).sum();
            if reports.len() > 1 {
                let all: Vec<_> = reports.iter().map(|(_, b)| b.report.clone()).collect();
                eprintln!("{}", crate::commands::build::shared_layers(&all));
            }
            eprintln!(
                "Published {} in {:.2}s ({downloaded} .debs downloaded)",
                match reports.as_slice() {
                    [(_, built)] => built.image.index_digest().to_string(),
                    _ => format!("{} images", reports.len()),
                },
                started.elapsed().as_secs_f64(),
            );
        }
        match (args.build.json, reports.as_slice()) {
            (true, [(_, built)]) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&built.report).into_diagnostic()?
                );
            }
            (true, _) => {
                let map: BTreeMap<&str, &aloft_oci::DigestReport> = reports
                    .iter()
                    .map(|(stem, b)| (stem.as_str(), &b.report))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&map).into_diagnostic()?);
            }
            (false, _) => {
                for line in &printed {
                    println!("{line}");
                }
                if let [(_, built)] = reports.as_slice() {
                    println!("{}", built.image.index_digest());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Pushes one built image to every repository of `job`; returns a line per repository.
/// Layers known from `layer_cache` by their index alone are mounted from it on its
/// registry, and downloaded for any other.
fn push_everywhere(
    job: &Job,
    built: &Built,
    registries: &BTreeMap<String, Registry>,
    holders: &mut BTreeMap<String, HashMap<String, String>>,
    layer_cache: Option<&RegistryLayers<'_>>,
    quiet: bool,
) -> Result<Vec<String>> {
    let fetcher = layer_cache.map(|shared| FetchFromLayerCache {
        shared,
        cache: &built.cache,
    });
    let plan = built.image.push_plan();
    let total: u64 = plan.blobs.iter().map(|b| b.size).sum();
    let pushes: u64 = job
        .targets
        .iter()
        .map(|t| t.repositories.len() as u64)
        .sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total * pushes)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {eta}")
            .into_diagnostic()?
            .progress_chars("=> "),
    );
    bar.set_message("blobs");
    let mut lines = Vec::new();
    for target in &job.targets {
        let registry = registries
            .get(&target.host)
            .ok_or_else(|| miette!("no connection to {}", target.host))?;
        let held = holders.entry(target.host.clone()).or_default();
        for (repository, tags) in &target.repositories {
            let mut mount_from = held.clone();
            if let Some(shared) = layer_cache
                && shared.registry.host() == target.host
                && let Ok(remote) = shared.remote.lock()
            {
                for digest in remote.values().map(|found| found.digest.to_string()) {
                    mount_from
                        .entry(digest)
                        .or_insert_with(|| shared.repository.clone());
                }
            }
            let push_options = PushOptions {
                jobs: job.settings.network_jobs(),
                mount_from,
                fetch_missing: fetcher.as_ref().map(|f| f as &dyn FetchBlob),
            };
            let report = push_image(registry, repository, &plan, tags, &push_options, &|done| {
                bar.inc(done.size);
                tracing::debug!(blob = done.digest, outcome = ?done.outcome, "pushed");
            })
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "Cannot push {}/{repository}; what was sent stays, and a second run sends only the rest",
                    target.host
                )
            })?;
            let (uploaded, uploaded_bytes) = report.uploaded();
            let (present, _) = report.count(BlobOutcome::Present);
            let (mounted, _) = report.count(BlobOutcome::Mounted);
            lines.push(format!(
                "{}/{repository}: {uploaded} blobs uploaded ({:.1} MB), {present} already there, {mounted} mounted; {} manifests; tags {}{}",
                target.host,
                uploaded_bytes as f64 / 1e6,
                report.manifests,
                tags.join(", "),
                if report.referrers_tags.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; SBOMs listed under the referrers tag {}",
                        report.referrers_tags.join(", ")
                    )
                },
            ));
            for blob in &plan.blobs {
                held.entry(blob.digest.to_string())
                    .or_insert_with(|| repository.clone());
            }
        }
    }
    bar.finish_and_clear();
    Ok(lines)
}
