//! `aloft assemble`: the build, then an OCI image layout or oci-archive; the image digest
//! is the last line on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use aloft_oci::platform_for_debian_arch;
use miette::{IntoDiagnostic, Result, miette};

use crate::cli::AssembleArgs;
use crate::commands::assemble_sboms;
use crate::commands::build::{
    BuildSettings, Built, Prepared, build_layers_together, check_several, finish, manifest_stem,
    prepare,
};

fn is_layout_output(output: &Path) -> bool {
    output.as_os_str().to_string_lossy().ends_with('/') || output.is_dir()
}

/// Refuses an unusable output before any work: an archive and a layout directory alike
/// are written (by rename) into an existing parent directory, never over an input.
fn check_output(output: &Path, settings: &BuildSettings) -> Result<()> {
    let output_parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !output_parent.is_dir() {
        return Err(miette!(
            "Cannot write `{}`: the directory `{}` does not exist",
            output.display(),
            output_parent.display()
        ));
    }
    settings
        .target
        .refuse_overwriting_an_input(output, "The output", true)?;
    if !is_layout_output(output) {
        aloft_fs::check_replaceable(output).into_diagnostic()?;
    }
    Ok(())
}

/// One image to build and where it goes.
struct Job {
    settings: BuildSettings,
    output: PathBuf,
}

/// The jobs of the run: `-o` itself for one manifest; `OUT/<stem>.tar` for several,
/// where `OUT` must be a directory. Every manifest and output is checked first.
fn jobs(args: &AssembleArgs) -> Result<Vec<Job>> {
    check_several(&args.build, &args.manifests)?;
    let several = args.manifests.len() > 1;
    if several && !args.output.is_dir() {
        return Err(miette!(
            help = "create it first; each image is written to `OUT/<stem>.tar`",
            "-o `{}`: with several manifests the output is a directory, and this is none",
            args.output.display()
        ));
    }
    args.manifests
        .iter()
        .map(|manifest| {
            let settings = BuildSettings::resolve(&args.build, manifest)?;
            let output = if several {
                args.output.join(format!("{}.tar", manifest_stem(manifest)))
            } else {
                args.output.clone()
            };
            check_output(&output, &settings)?;
            Ok(Job { settings, output })
        })
        .collect()
}

/// Runs `aloft assemble`: every manifest's lock and .debs first, then all their
/// package layers in one pool, then each image's own work (its final layers, the image
/// check, SBOMs, the output) on `--jobs` threads.
pub fn assemble(args: &AssembleArgs, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let jobs = jobs(args)?;
    let mut prepared = Vec::new();
    for job in &jobs {
        let output_dir = job
            .output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let removed = aloft_fs::remove_stale_temps(output_dir);
        if removed > 0 {
            tracing::info!("removed {removed} temporary files that interrupted runs left");
        }
        prepared.push((&job.settings, prepare(&args.build, &job.settings, quiet)?));
    }
    let threads = jobs.first().map_or(1, |j| j.settings.jobs);
    let layers_started = Instant::now();
    let built_layers = build_layers_together(&mut prepared, threads)?;
    tracing::debug!(
        built_layers,
        elapsed_ms = layers_started.elapsed().as_millis() as u64,
        "package layers of every image"
    );
    let work: Vec<_> = jobs
        .iter()
        .zip(prepared)
        .map(|item| Mutex::new(Some(item)))
        .collect();
    // Each image's own work is mostly one thread's (its final layers, the archive), so
    // images go side by side.
    let done = aloft_fs::try_map_parallel(&work, threads, None, |item| {
        let Some((job, (_, prepared))) = item.lock().ok().and_then(|mut w| w.take()) else {
            return Err(miette!("an image was built twice"));
        };
        finish_image(args, job, prepared, started)
    })?;
    let mut reports = serde_json::Map::new();
    let mut digests = Vec::new();
    let mut images = Vec::new();
    for (job, (built, lines)) in jobs.iter().zip(done) {
        #[allow(clippy::print_stderr)]
        if !quiet {
            for line in &lines {
                eprintln!("{line}");
            }
        }
        reports.insert(
            manifest_stem(&job.settings.target.path),
            serde_json::to_value(&built.report).into_diagnostic()?,
        );
        digests.push((job.output.clone(), built.image.index_digest().to_string()));
        images.push(built.report);
    }
    #[allow(clippy::print_stderr, clippy::print_stdout)]
    {
        if !quiet && jobs.len() > 1 {
            eprintln!(
                "{} in {:.2}s",
                crate::commands::build::shared_layers(&images),
                started.elapsed().as_secs_f64()
            );
        }
        match (args.build.json, digests.as_slice()) {
            (true, [_]) => {
                let report = reports.values().next().cloned().unwrap_or_default();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).into_diagnostic()?
                );
            }
            (true, _) => println!(
                "{}",
                serde_json::to_string_pretty(&reports).into_diagnostic()?
            ),
            (false, [(_, digest)]) => println!("{digest}"),
            (false, _) => {
                for (output, digest) in &digests {
                    println!("{} {digest}", output.display());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One image's own work once its layers are in the cache: the image, its output and
/// SBOM files. Returns the build and the lines to print for it (the time since the
/// run's `started`).
fn finish_image(
    args: &AssembleArgs,
    job: &Job,
    prepared: Prepared,
    started: Instant,
) -> Result<(Built, Vec<String>)> {
    let unwritten = format!("`{}` is not written", job.output.display());
    let built = finish(&args.build, &job.settings, prepared, &unwritten)?;
    write_output(args, &job.output, &job.settings, &built.image)?;
    let mut lines = built.summaries.clone();
    for file in &built.sboms {
        let path = assemble_sboms::write_beside(file, &job.output)?;
        lines.push(format!("SBOM: {}", path.display()));
    }
    lines.push(format!(
        "Wrote {} in {:.2}s ({} .debs downloaded)",
        job.output.display(),
        started.elapsed().as_secs_f64(),
        built.downloaded,
    ));
    Ok((built, lines))
}

/// Writes the OCI layout directory or the oci-archive (whose Docker `manifest.json`
/// describes `--docker-arch`, else the host's architecture if built, else the first).
fn write_output(
    args: &AssembleArgs,
    output: &Path,
    settings: &BuildSettings,
    image: &aloft_oci::BuiltImage,
) -> Result<()> {
    if is_layout_output(output) {
        return aloft_oci::write_layout_dir(image, output).into_diagnostic();
    }
    let docker_arch = args.docker_arch.as_deref().unwrap_or_else(|| {
        let host = aloft_assemble::host_architecture();
        if settings.archs.iter().any(|a| a == host) {
            host
        } else {
            settings.archs[0].as_str()
        }
    });
    let docker_platform = platform_for_debian_arch(docker_arch)
        .ok_or_else(|| miette!("--docker-arch {docker_arch}: unknown architecture"))?;
    aloft_oci::write_archive(image, output, Some(&docker_platform)).into_diagnostic()
}
