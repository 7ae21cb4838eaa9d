//! A build's digests as a document (what `aloft assemble --json` prints and
//! `--expect-digest` reads): the image digest, each platform's manifest and config digests,
//! and each layer with what it holds, so that a mismatch can be narrowed down to the layers
//! (packages) that differ.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One layer of a platform's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerEntry {
    /// Blob digest.
    pub digest: String,
    /// Blob size in bytes.
    pub size: u64,
    /// What it holds (the history's `created_by`: packages, or the final layer).
    pub created_by: String,
}

/// One platform's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformEntry {
    /// `os/architecture[/variant]`.
    pub platform: String,
    /// Digest of its image manifest.
    pub manifest: String,
    /// Digest of its config (the image ID docker shows).
    pub config: String,
    /// Its layers, bottom first.
    pub layers: Vec<LayerEntry>,
    /// Documents attached to its manifest (SBOMs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached: Vec<AttachedEntry>,
}

/// A document attached to a platform's manifest (an OCI referrer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedEntry {
    /// Its media type (`application/spdx+json`).
    pub artifact_type: String,
    /// Digest of the artifact manifest.
    pub manifest: String,
    /// Digest of the document.
    pub document: String,
}

/// The digests of a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestReport {
    /// The image index digest: what `--expect-digest` compares and registries show.
    pub digest: String,
    /// SOURCE_DATE_EPOCH the build used.
    pub source_date_epoch: u64,
    /// How the layers are compressed (`gzip`, left out, or `zstd`).
    #[serde(default = "gzip", skip_serializing_if = "is_gzip")]
    pub compression: String,
    /// One entry per platform, in the manifest's order.
    pub platforms: Vec<PlatformEntry>,
}

fn gzip() -> String {
    "gzip".to_owned()
}

fn is_gzip(compression: &str) -> bool {
    compression == "gzip"
}

/// What the build is expected to give.
#[derive(Debug, Clone)]
pub enum Expected {
    /// A bare digest.
    Digest(String),
    /// A report written by an earlier `--json` (file path given).
    Report(Box<DigestReport>),
}

impl Expected {
    /// `sha256:<64 hex>`, or the path of a `--json` report.
    pub fn parse(value: &str) -> Result<Expected, String> {
        if value.starts_with("sha256:") {
            return crate::Digest::parse(value)
                .map(|digest| Expected::Digest(digest.to_string()))
                .map_err(|e| format!("`{value}`: {e}"));
        }
        let path = Path::new(value);
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!("`{value}` is neither a sha256:... digest nor a readable report: {e}")
        })?;
        let report: DigestReport = serde_json::from_str(&text).map_err(|e| {
            format!("`{value}` is not a report written by `aloft assemble --json`: {e}")
        })?;
        Ok(Expected::Report(Box::new(report)))
    }

    /// The expected image digest.
    pub fn digest(&self) -> &str {
        match self {
            Expected::Digest(digest) => digest,
            Expected::Report(report) => &report.digest,
        }
    }
}

/// Why `built` is not what `expected` says, with a hint at what differs; `None` when the
/// digests match.
pub fn mismatch(expected: &Expected, built: &DigestReport) -> Option<String> {
    if expected.digest() == built.digest {
        return None;
    }
    let mut message = format!(
        "The image digest is {}, not the expected {}.",
        built.digest,
        expected.digest()
    );
    match expected {
        Expected::Digest(_) => message.push_str(&format!(
            "\nhint: the digest follows from the lock, the manifest's config, paths and files, \
             SOURCE_DATE_EPOCH (this build: {}) and aloft's layer format. Pass the `--json` \
             report of the expected build to --expect-digest to see which layers differ.",
            built.source_date_epoch
        )),
        Expected::Report(report) => message.push_str(&report_differences(report, built)),
    }
    Some(message)
}

/// The differences between two reports, platform by platform and layer by layer.
fn report_differences(expected: &DigestReport, built: &DigestReport) -> String {
    let mut out = String::new();
    if expected.source_date_epoch != built.source_date_epoch {
        out.push_str(&format!(
            "\n  SOURCE_DATE_EPOCH: expected {}, this build {}",
            expected.source_date_epoch, built.source_date_epoch
        ));
    }
    if expected.compression != built.compression {
        out.push_str(&format!(
            "\n  layers compressed with {}, expected {} (see --compression)",
            built.compression, expected.compression
        ));
    }
    for platform in &built.platforms {
        let Some(theirs) = expected
            .platforms
            .iter()
            .find(|p| p.platform == platform.platform)
        else {
            out.push_str(&format!(
                "\n  {}: not in the expected build",
                platform.platform
            ));
            continue;
        };
        for attached in &platform.attached {
            match theirs
                .attached
                .iter()
                .find(|a| a.artifact_type == attached.artifact_type)
            {
                Some(expected) if expected.document == attached.document => {}
                Some(expected) => out.push_str(&format!(
                    "\n  {}: the {} document is {} (expected {})",
                    platform.platform, attached.artifact_type, attached.document, expected.document
                )),
                None => out.push_str(&format!(
                    "\n  {}: {} is attached, not in the expected build (see --sbom-format)",
                    platform.platform, attached.artifact_type
                )),
            }
        }
        for expected in &theirs.attached {
            if !platform
                .attached
                .iter()
                .any(|a| a.artifact_type == expected.artifact_type)
            {
                out.push_str(&format!(
                    "\n  {}: {} expected, not attached (see --sbom-format)",
                    platform.platform, expected.artifact_type
                ));
            }
        }
        if theirs.manifest == platform.manifest {
            continue;
        }
        out.push_str(&format!(
            "\n  {}: manifest {} (expected {})",
            platform.platform, platform.manifest, theirs.manifest
        ));
        if theirs.config != platform.config {
            out.push_str("\n    the config differs (entrypoint, environment, user, labels, ...)");
        }
        for layer in &platform.layers {
            if !theirs.layers.iter().any(|l| l.digest == layer.digest) {
                let was = theirs
                    .layers
                    .iter()
                    .find(|l| l.created_by == layer.created_by)
                    .map_or("no layer with the same contents list".to_owned(), |l| {
                        format!("expected {}", l.digest)
                    });
                out.push_str(&format!(
                    "\n    layer {} differs ({was}): {}",
                    layer.digest, layer.created_by
                ));
            }
        }
        for layer in &theirs.layers {
            if !platform
                .layers
                .iter()
                .any(|l| l.created_by == layer.created_by)
            {
                out.push_str(&format!(
                    "\n    expected layer missing: {}",
                    layer.created_by
                ));
            }
        }
    }
    for platform in &expected.platforms {
        if !built
            .platforms
            .iter()
            .any(|p| p.platform == platform.platform)
        {
            out.push_str(&format!(
                "\n  {}: expected, not built (see --arch)",
                platform.platform
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(final_layer: &str) -> DigestReport {
        DigestReport {
            digest: format!("sha256:{}", final_layer.repeat(64)),
            source_date_epoch: 1,
            compression: "gzip".into(),
            platforms: vec![PlatformEntry {
                platform: "linux/amd64".into(),
                manifest: format!("sha256:m{final_layer}"),
                config: "sha256:c".into(),
                layers: vec![
                    LayerEntry {
                        digest: "sha256:base".into(),
                        size: 1,
                        created_by: "aloft: base-files 13.8".into(),
                    },
                    LayerEntry {
                        digest: format!("sha256:{final_layer}"),
                        size: 1,
                        created_by: "aloft: accounts, paths and files".into(),
                    },
                ],
                attached: Vec::new(),
            }],
        }
    }

    #[test]
    fn a_report_names_the_layer_that_differs() {
        let message = mismatch(&Expected::Report(Box::new(report("a"))), &report("b")).unwrap();
        assert!(
            message.contains("not the expected sha256:aaaa"),
            "{message}"
        );
        assert!(
            message.contains(
                "layer sha256:b differs (expected sha256:a): aloft: accounts, paths and files"
            ),
            "{message}"
        );
        assert!(!message.contains("base-files"), "{message}");
        assert!(mismatch(&Expected::Report(Box::new(report("a"))), &report("a")).is_none());
    }

    #[test]
    fn a_report_names_another_compression() {
        let mut zstd = report("b");
        zstd.compression = "zstd".into();
        let message = mismatch(&Expected::Report(Box::new(report("a"))), &zstd).unwrap();
        assert!(
            message.contains("layers compressed with zstd, expected gzip (see --compression)"),
            "{message}"
        );
        // gzip is left out of a report, so reports written before zstd existed still read.
        let json = serde_json::to_string(&report("a")).unwrap();
        assert!(!json.contains("compression"), "{json}");
        let read: DigestReport = serde_json::from_str(&json).unwrap();
        assert_eq!(read.compression, "gzip");
        let json = serde_json::to_string(&zstd).unwrap();
        assert!(json.contains(r#""compression":"zstd""#), "{json}");
    }

    #[test]
    fn digests_are_checked_for_shape() {
        assert!(Expected::parse("sha256:abc").is_err());
        assert!(Expected::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Expected::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
        let err = Expected::parse("/nonexistent/report.json").unwrap_err();
        assert!(err.contains("neither a sha256"), "{err}");
    }
}
