//! `aloft sbom IMAGE`: the SBOM attached to an image aloft built (an oci-archive or a
//! layout), printed or written.

use std::process::ExitCode;

use miette::{IntoDiagnostic, Result, miette};

use crate::cli::{SbomArgs, SbomKind};

/// Runs `aloft sbom`.
pub fn sbom(args: &SbomArgs) -> Result<ExitCode> {
    let documents = aloft_oci::attached_documents(&args.image).into_diagnostic()?;
    let media_type = match args.format {
        SbomKind::Spdx => "application/spdx+json",
        SbomKind::Cyclonedx => "application/vnd.cyclonedx+json",
    };
    let matching: Vec<_> = documents
        .iter()
        .filter(|d| d.artifact_type == media_type)
        .collect();
    let platforms: Vec<&str> = matching.iter().map(|d| d.platform.as_str()).collect();
    let chosen: Vec<_> = matching
        .iter()
        .filter(|d| match &args.arch {
            None => true,
            Some(arch) => {
                let oci = aloft_oci::platform_for_debian_arch(arch).map(|p| p.to_string());
                oci.as_deref() == Some(d.platform.as_str())
            }
        })
        .collect();
    let document = match chosen.as_slice() {
        [one] => one,
        [] if matching.is_empty() => {
            return Err(miette!(
                help = "aloft assemble attaches one unless given `--sbom-format none` (`both` adds CycloneDX)",
                "`{}` has no {media_type} document attached",
                args.image.display()
            ));
        }
        _ => {
            return Err(miette!(
                help = "choose one with --arch",
                "`{}` has {media_type} documents for {}",
                args.image.display(),
                platforms.join(", ")
            ));
        }
    };
    match &args.output {
        Some(path) => crate::commands::assemble_sboms::write_atomically(path, &document.data)?,
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&document.data)
                .into_diagnostic()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
