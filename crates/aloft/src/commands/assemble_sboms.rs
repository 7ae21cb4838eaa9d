//! The SBOMs of an assembled image: one document per platform and format, attached to
//! the image as referrers and written beside the output.

use std::path::{Path, PathBuf};

use aloft_assemble::InstalledPackage;
use aloft_lockfile::Lockfile;
use aloft_oci::{Artifact, BuiltImage};
use aloft_sbom::{InstalledDeb, SbomImage, cyclonedx, sbom_packages, spdx};
use miette::{IntoDiagnostic, Result, WrapErr};

use crate::cli::SbomFormat;

/// One SBOM document.
pub struct SbomFile {
    /// The Debian architecture it describes.
    pub arch: String,
    /// `spdx` or `cyclonedx`: part of its file name.
    pub kind: &'static str,
    /// Its media type.
    pub media_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The platform whose manifest it describes.
    pub platform: aloft_oci::Platform,
}

impl SbomFile {
    /// Where it goes beside `output` (`php-cli.tar` -> `php-cli.amd64.spdx.json`).
    pub fn path_beside(&self, output: &Path) -> PathBuf {
        let trimmed = output
            .to_string_lossy()
            .trim_end_matches('/')
            .trim_end_matches(".tar")
            .to_owned();
        PathBuf::from(format!("{trimmed}.{}.{}.json", self.arch, self.kind))
    }

    /// The referrer that carries it inside the image.
    pub fn artifact(&self, stem: &str) -> Artifact {
        Artifact {
            subject: self.platform.clone(),
            artifact_type: self.media_type.to_owned(),
            title: format!("{stem}.{}.{}.json", self.arch, self.kind),
            data: self.bytes.clone(),
        }
    }
}

/// The purl `distro`: `debian-13` from the first repository whose Release names its
/// version, else that repository's codename (`trixie`), else `debian`.
fn distro(lock: &Lockfile) -> String {
    lock.repositories
        .iter()
        .find_map(|r| r.release_version.as_deref())
        .and_then(|v| v.split('.').next())
        .map(|major| format!("debian-{major}"))
        .or_else(|| lock.repositories.iter().find_map(|r| r.codename.clone()))
        .unwrap_or_else(|| "debian".to_owned())
}

/// The documents `format` asks for, for each platform of `image` (built without
/// artifacts); `installed[i]` is what the assembler saw of `archs[i]`.
pub fn documents(
    format: SbomFormat,
    image: &BuiltImage,
    archs: &[String],
    installed: &[Vec<InstalledPackage>],
    lock: &Lockfile,
    name: &str,
    epoch: u64,
) -> Result<Vec<SbomFile>> {
    let kinds: &[(&str, &str)] = match format {
        SbomFormat::None => &[],
        SbomFormat::Spdx => &[("spdx", "application/spdx+json")],
        SbomFormat::Cyclonedx => &[("cyclonedx", "application/vnd.cyclonedx+json")],
        SbomFormat::Both => &[
            ("spdx", "application/spdx+json"),
            ("cyclonedx", "application/vnd.cyclonedx+json"),
        ],
    };
    let mut files = Vec::new();
    if kinds.is_empty() {
        return Ok(files);
    }
    for ((arch, manifest), installed) in archs.iter().zip(image.manifests()).zip(installed) {
        let locked = lock
            .packages
            .get(arch)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let debs: Vec<InstalledDeb<'_>> = locked
            .iter()
            .filter(|p| p.left_out.is_none())
            .map(|p| {
                let seen = installed.iter().find(|i| i.name == p.name);
                InstalledDeb {
                    locked: p,
                    control: seen.map_or("", |i| i.control.as_str()),
                    copyright: seen.and_then(|i| i.copyright.as_deref()),
                }
            })
            .collect();
        let packages = sbom_packages(&debs);
        let subject = SbomImage {
            name: name.to_owned(),
            architecture: arch.clone(),
            platform: manifest.platform.to_string(),
            manifest_digest: manifest.digest.to_string(),
            distro: distro(lock),
            created: i64::try_from(epoch).unwrap_or(i64::MAX),
            tool: format!("aloft-{}", env!("CARGO_PKG_VERSION")),
            left_out: lock
                .packages
                .get(arch)
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let why = p.left_out.clone()?;
                    Some((format!("{} {}", p.name, p.version), why))
                })
                .collect(),
        };
        for (kind, media_type) in kinds {
            let bytes = match *kind {
                "spdx" => spdx::spdx_document(&subject, &packages),
                _ => cyclonedx::cyclonedx_document(&subject, &packages),
            }
            .into_diagnostic()
            .wrap_err_with(|| format!("Cannot write the {kind} SBOM for {arch}"))?;
            files.push(SbomFile {
                arch: arch.clone(),
                kind,
                media_type,
                bytes,
                platform: manifest.platform.clone(),
            });
        }
    }
    Ok(files)
}

/// Writes `file` beside `output`; returns where.
pub fn write_beside(file: &SbomFile, output: &Path) -> Result<PathBuf> {
    let path = file.path_beside(output);
    write_atomically(&path, &file.bytes)?;
    Ok(path)
}

/// Writes `bytes` to `path` (mode 0644) through a temporary file in the same directory,
/// renamed when complete.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    aloft_fs::write_atomic(path, bytes)
        .into_diagnostic()
        .wrap_err_with(|| format!("Cannot write `{}`", path.display()))
}
