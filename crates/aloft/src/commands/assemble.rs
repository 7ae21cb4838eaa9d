//! `aloft assemble`: the build, then an OCI image layout or oci-archive; the image digest
//! is the last line on stdout.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use aloft_oci::platform_for_debian_arch;
use miette::{IntoDiagnostic, Result, miette};

use crate::cli::AssembleArgs;
use crate::commands::assemble_sboms;
use crate::commands::build::{BuildSettings, build, host_debian_arch};

fn is_layout_output(output: &Path) -> bool {
    output.as_os_str().to_string_lossy().ends_with('/') || output.is_dir()
}

/// Refuses an unusable output before any work: an archive and a layout directory alike
/// are written (by rename) into an existing parent directory, never over an input.
fn check_output(args: &AssembleArgs, settings: &BuildSettings) -> Result<()> {
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
    settings
        .target
        .refuse_overwriting_an_input(&args.output, "The output", true)?;
    if !is_layout_output(&args.output) {
        aloft_fs::check_replaceable(&args.output).into_diagnostic()?;
    }
    Ok(())
}

/// Runs `aloft assemble`.
pub fn assemble(args: &AssembleArgs, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let settings = BuildSettings::resolve(&args.build)?;
    check_output(args, &settings)?;
    let output_dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let removed = aloft_fs::remove_stale_temps(output_dir);
    if removed > 0 {
        tracing::info!("removed {removed} temporary files that interrupted runs left");
    }
    let unwritten = format!("`{}` is not written", args.output.display());
    let built = build(&args.build, &settings, &unwritten, quiet)?;
    write_output(args, &settings, &built.image)?;
    let mut sbom_paths = Vec::new();
    for file in &built.sboms {
        sbom_paths.push(assemble_sboms::write_beside(file, &args.output)?);
    }
    #[allow(clippy::print_stderr, clippy::print_stdout)]
    {
        if !quiet {
            for line in &built.summaries {
                eprintln!("{line}");
            }
            for path in &sbom_paths {
                eprintln!("SBOM: {}", path.display());
            }
            eprintln!(
                "Wrote {} in {:.2}s ({} .debs downloaded)",
                args.output.display(),
                started.elapsed().as_secs_f64(),
                built.downloaded,
            );
        }
        if args.build.json {
            let json = serde_json::to_string_pretty(&built.report).into_diagnostic()?;
            println!("{json}");
        } else {
            println!("{}", built.image.index_digest());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the OCI layout directory or the oci-archive (whose Docker `manifest.json`
/// describes `--docker-arch`, else the host's architecture if built, else the first).
fn write_output(
    args: &AssembleArgs,
    settings: &BuildSettings,
    image: &aloft_oci::BuiltImage,
) -> Result<()> {
    if is_layout_output(&args.output) {
        return aloft_oci::write_layout_dir(image, &args.output).into_diagnostic();
    }
    let docker_arch = args.docker_arch.as_deref().unwrap_or_else(|| {
        let host = host_debian_arch();
        if settings.archs.iter().any(|a| a == host) {
            host
        } else {
            settings.archs[0].as_str()
        }
    });
    let docker_platform = platform_for_debian_arch(docker_arch)
        .ok_or_else(|| miette!("--docker-arch {docker_arch}: unknown architecture"))?;
    aloft_oci::write_archive(image, &args.output, Some(&docker_platform)).into_diagnostic()
}
