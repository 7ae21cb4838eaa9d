//! One platform's image: package layers (built in parallel, or taken from the cache),
//! the checks over all of them, the final layer and the config.

use std::collections::{BTreeMap, BTreeSet};

use aloft_manifest::{Entrypoint, Located, Manifest};
use aloft_oci::{Digest, Layer, PlatformImage};

use crate::accounts::{GROUP_MASTER, PASSWD_MASTER, account_files, resolve_run_as};
use crate::bytecode::{BytecodePlan, bytecode_layer};
use crate::cache::{CachedLayer, LayerCache, layer_key};
use crate::checks::check_tree;
use crate::config::image_config;
use crate::effects::{EffectContext, apply_effects, apply_late_effects, record_python_bytecode};
use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};
use crate::image_check::{CheckInput, ImageFinding, check_image};
use crate::layer_writer::{LayerCompression, LayerWriter};
use crate::package::{PackageFiles, PackageInput, read_package_files, write_package};
use crate::plan::{LayerPlan, plan_layers};
use crate::services::add_service_tree;

/// How to assemble.
#[derive(Debug, Clone)]
pub struct AssembleOptions {
    /// Every mtime clamps to this (SOURCE_DATE_EPOCH); also the config's `created`.
    pub epoch: u64,
    /// Layers built at once.
    pub jobs: usize,
    /// Where layers are built and kept.
    pub cache: LayerCache,
    /// How layers are compressed.
    pub compression: LayerCompression,
    /// Leave out documentation, manual pages and translations (the manifest's `slim`).
    pub slim: bool,
}

/// What happened to one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerReport {
    /// Its history line.
    pub description: String,
    /// Blob digest.
    pub digest: String,
    /// Blob size.
    pub size: u64,
    /// Uncompressed bytes compressed in this run (0 when it came from the cache).
    pub compressed_bytes: u64,
    /// Its layer-cache key: `None` for the final layer, which is never shared.
    pub key: Option<String>,
}

/// One platform's image, ready for the OCI writer.
#[derive(Debug, Clone)]
pub struct AssembledImage {
    /// The image.
    pub image: PlatformImage,
    /// What the image check found missing (see `image_check`): warnings, or errors for a
    /// strict build.
    pub findings: Vec<ImageFinding>,
    /// Per layer, what was built or reused.
    pub layers: Vec<LayerReport>,
    /// Every installed package's dpkg record and copyright file, by name.
    pub packages: Vec<InstalledPackage>,
}

/// What an image says about one installed package (for SBOMs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    /// Package name.
    pub name: String,
    /// Its `control` paragraph.
    pub control: String,
    /// Its copyright file; when /usr/share/doc/<name> links to another package's
    /// directory (as Debian policy allows within one source), that package's.
    pub copyright: Option<String>,
}

/// The [`InstalledPackage`]s of `files`, in name order.
fn installed_packages(files: &[PackageFiles]) -> Vec<InstalledPackage> {
    let by_name: BTreeMap<&str, &PackageFiles> =
        files.iter().map(|f| (f.package.as_str(), f)).collect();
    let mut packages: Vec<InstalledPackage> = files
        .iter()
        .map(|package| {
            let doc = format!("usr/share/doc/{}", package.package);
            let linked = package.files.iter().find_map(|record| match &record.kind {
                crate::package::FileKind::Symlink { target } if record.path == doc => {
                    let name = target.trim_end_matches('/').rsplit('/').next()?;
                    by_name.get(name)?.copyright.clone()
                }
                _ => None,
            });
            InstalledPackage {
                name: package.package.clone(),
                control: package.control.clone(),
                copyright: package.copyright.clone().or(linked),
            }
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}

fn oci_layer(
    options: &AssembleOptions,
    layer: &CachedLayer,
    description: String,
) -> Result<Layer, AssembleError> {
    let digest = |hex: &str| {
        Digest::from_hex(hex).map_err(|e| AssembleError::Write {
            what: "a layer digest".into(),
            dir: options.cache.blob_path(hex),
            source: std::io::Error::other(e.to_string()),
        })
    };
    Ok(Layer {
        path: options.cache.blob_path(&layer.digest),
        digest: digest(&layer.digest)?,
        diff_id: digest(&layer.diff_id)?,
        size: layer.size,
        media_type: options.compression.media_type(),
        created_by: description,
    })
}

/// The cache key of each layer `assemble_image` would make of `packages`, in order:
/// what a shared cache (a registry) is asked for before anything is built.
pub fn layer_keys(
    packages: &[PackageInput],
    manifest: &Manifest,
    options: &AssembleOptions,
) -> Vec<String> {
    plan_layers(packages, manifest.layering.budget)
        .iter()
        .map(|plan| plan_key(plan, options))
        .collect()
}

/// The cache key of the Python bytecode layer `assemble_image` would make of `packages`,
/// read from the package layers' indexes in the cache: `None` when one of them is not
/// there yet, when the image has no Python to compile for, or when the manifest says
/// `python-bytecode: false`. What a shared cache is asked for once the package layers
/// are known.
pub fn bytecode_layer_key(
    packages: &[PackageInput],
    manifest: &Manifest,
    options: &AssembleOptions,
) -> Option<String> {
    if !manifest.python_bytecode {
        return None;
    }
    let mut files = Vec::new();
    for plan in plan_layers(packages, manifest.layering.budget) {
        files.extend(options.cache.get(&plan_key(&plan, options))?.packages);
    }
    let tree = InstalledTree::new(&files);
    let plan = BytecodePlan::new(&tree);
    (!plan.is_empty()).then(|| {
        plan.key(
            &tree,
            packages,
            options.epoch,
            &options.compression.format(),
        )
    })
}

fn plan_key(plan: &LayerPlan, options: &AssembleOptions) -> String {
    layer_key(
        &plan.packages,
        options.epoch,
        options.compression,
        options.slim,
    )
}

fn build_layer(
    plan: &LayerPlan,
    options: &AssembleOptions,
) -> Result<(CachedLayer, u64), AssembleError> {
    let key = plan_key(plan, options);
    if let Some(layer) = options.cache.get(&key) {
        return Ok((layer, options.cache.compressed_in_this_run(&key)));
    }
    let write_error = |source| AssembleError::Write {
        what: "a layer".into(),
        dir: options.cache.tmp_dir(),
        source,
    };
    let mut writer =
        LayerWriter::create(&options.cache.tmp_dir(), options.epoch, options.compression)
            .map_err(write_error)?;
    let mut files = Vec::with_capacity(plan.packages.len());
    for package in &plan.packages {
        files.push(write_package(
            &mut writer,
            package,
            options.epoch,
            options.slim,
        )?);
    }
    let finished = writer.finish().map_err(write_error)?;
    let tar_size = finished.tar_size;
    let layer = options.cache.put(&key, finished, files)?;
    Ok((layer, tar_size))
}

/// Builds every planned layer on `jobs` threads; results in plan order.
fn build_layers(
    plans: &[LayerPlan],
    options: &AssembleOptions,
) -> Result<Vec<(CachedLayer, u64)>, AssembleError> {
    // Heaviest first, so one big layer does not start last; the order of work never
    // shows in the output.
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plans[i].weight()));
    aloft_fs::try_map_parallel(plans, options.jobs, Some(&order), |plan| {
        build_layer(plan, options)
    })
}

/// Builds the package layers of several images (each its packages, manifest and
/// options, as [`assemble_image`] gets them) in one pool of `jobs` threads: each distinct
/// layer once, heaviest first, so no core idles at the end of one image while the next
/// waits. Afterwards every `assemble_image` of these images finds its layers in the
/// cache. Returns how many layers were built.
pub fn build_package_layers(
    images: &[(&[PackageInput], &Manifest, &AssembleOptions)],
    jobs: usize,
) -> Result<usize, AssembleError> {
    let mut seen = BTreeSet::new();
    let mut plans: Vec<(LayerPlan, &AssembleOptions)> = Vec::new();
    for (packages, manifest, options) in images {
        for plan in plan_layers(packages, manifest.layering.budget) {
            if seen.insert(plan_key(&plan, options)) {
                plans.push((plan, options));
            }
        }
    }
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plans[i].0.weight()));
    let built = aloft_fs::try_map_parallel(&plans, jobs, Some(&order), |(plan, options)| {
        build_layer(plan, options)
    })?;
    Ok(built
        .iter()
        .filter(|(_, compressed)| *compressed > 0)
        .count())
}

/// The numeric `uid:gid` of a config `User` (`uid` alone: group 0, as docker does for a
/// uid with no passwd entry).
fn run_as_ids(user: Option<&str>) -> (u64, u64) {
    let Some(user) = user else { return (0, 0) };
    let mut parts = user.split(':').map(|p| p.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Assembles one platform's image from its packages (the lock's, for this arch).
pub fn assemble_image(
    platform: aloft_oci::Platform,
    packages: &[PackageInput],
    manifest: &Manifest,
    options: &AssembleOptions,
) -> Result<AssembledImage, AssembleError> {
    let plans = plan_layers(packages, manifest.layering.budget);
    let built = build_layers(&plans, options)?;
    let files: Vec<PackageFiles> = built
        .iter()
        .flat_map(|(layer, _)| layer.packages.iter().cloned())
        .collect();
    check_tree(&files)?;
    let tree = InstalledTree::new(&files);

    // base-passwd's masters, read back from its .deb.
    let wanted: BTreeSet<String> = [PASSWD_MASTER, GROUP_MASTER].map(str::to_owned).into();
    let mut masters = std::collections::BTreeMap::new();
    if let Some((owner, _)) = tree.get(PASSWD_MASTER)
        && let Some(package) = packages.iter().find(|p| p.name == owner)
    {
        masters = read_package_files(package, &wanted)?;
    }
    let text = |path: &str| {
        masters
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let mut accounts = account_files(
        text(PASSWD_MASTER).as_deref(),
        text(GROUP_MASTER).as_deref(),
        &manifest.accounts,
    )?;

    let debian_architecture = packages
        .iter()
        .map(|p| p.architecture.as_str())
        .find(|arch| *arch != "all")
        .unwrap_or(&platform.architecture);
    let bytecode_plan = BytecodePlan::new(&tree);
    let bytecode = if manifest.python_bytecode {
        bytecode_layer(
            &bytecode_plan,
            &tree,
            packages,
            debian_architecture,
            options,
        )?
    } else {
        None
    };

    let mut final_layer = FinalLayer::new(&accounts, &tree, options.epoch);
    // Effects first, so that the manifest's own `paths:` and `files:` win; the CA bundle
    // after `files:`, which may add local CAs (it never replaces what `files:` wrote).
    let effect_context = EffectContext {
        tree: &tree,
        files: &files,
        packages,
        environment: &manifest.environment,
        architecture: &platform.architecture,
        debian_architecture,
        epoch: options.epoch,
    };
    let mut effects = apply_effects(&effect_context, &mut final_layer, &mut accounts)?;
    record_python_bytecode(
        &mut effects,
        &tree,
        &bytecode_plan,
        bytecode.as_ref().map(|b| b.layer.packages.as_slice()),
    );
    if let Some(run_as) = &manifest.accounts.run_as {
        resolve_run_as(&mut accounts, &run_as.origin)?;
    }
    final_layer.apply_files(&manifest.files, options.epoch)?;
    apply_late_effects(&effect_context, &mut final_layer, &mut accounts, effects)?;
    let services_entrypoint = match &manifest.entrypoint {
        Some(Located {
            value: Entrypoint::Services(services),
            origin,
        }) => Some(add_service_tree(
            &mut final_layer,
            &tree,
            services,
            origin,
            run_as_ids(accounts.run_as.as_deref()),
            options.epoch,
        )?),
        _ => None,
    };
    final_layer.apply_paths(&manifest.paths, &tree, packages, options.epoch)?;
    // Other platforms (arm's two ABIs share one OCI architecture): libraries unchecked.
    let abi = crate::effects::abi(&platform.architecture);
    let findings = check_image(&CheckInput {
        tree: &tree,
        layer: &final_layer,
        manifest,
        accounts: &accounts,
        triplet: abi.as_ref().map(|abi| abi.triplet),
        machine: abi.as_ref().map(|abi| abi.machine.0),
        sliced: &packages
            .iter()
            .filter(|p| p.slice.is_some())
            .map(|p| p.name.as_str())
            .collect(),
    });
    let write_error = |source| AssembleError::Write {
        what: "the final layer".into(),
        dir: options.cache.tmp_dir(),
        source,
    };
    let mut writer =
        LayerWriter::create(&options.cache.tmp_dir(), options.epoch, options.compression)
            .map_err(write_error)?;
    final_layer.write(&mut writer, &tree, manifest, options.epoch)?;
    let finished = writer.finish().map_err(write_error)?;
    let final_tar_size = finished.tar_size;
    let final_cached = options.cache.put_unkeyed(finished)?;

    let mut layers = Vec::with_capacity(built.len() + 2);
    let mut reports = Vec::with_capacity(built.len() + 2);
    for (plan, (layer, compressed)) in plans.iter().zip(&built) {
        let description = plan.description();
        reports.push(LayerReport {
            description: description.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            compressed_bytes: *compressed,
            key: Some(plan_key(plan, options)),
        });
        layers.push(oci_layer(options, layer, description)?);
    }
    if let Some(bytecode) = bytecode {
        reports.push(LayerReport {
            description: bytecode.description.clone(),
            digest: bytecode.layer.digest.clone(),
            size: bytecode.layer.size,
            compressed_bytes: bytecode.compressed,
            key: Some(bytecode.key),
        });
        layers.push(oci_layer(options, &bytecode.layer, bytecode.description)?);
    }
    let description = "aloft: accounts, paths and files".to_owned();
    reports.push(LayerReport {
        description: description.clone(),
        digest: final_cached.digest.clone(),
        size: final_cached.size,
        compressed_bytes: final_tar_size,
        key: None,
    });
    layers.push(oci_layer(options, &final_cached, description)?);

    let config = image_config(manifest, accounts.run_as.clone(), services_entrypoint);
    Ok(AssembledImage {
        findings,
        image: PlatformImage {
            platform,
            config,
            layers,
            created_epoch: i64::try_from(options.epoch).unwrap_or(i64::MAX),
            annotations: manifest.annotations.clone(),
        },
        layers: reports,
        packages: installed_packages(&files),
    })
}
