//! Software bills of materials for an image: one SPDX 2.3 (and CycloneDX 1.5) JSON
//! document per architecture, listing every installed .deb, pure: the packages and the
//! image's identity in, bytes out.
//!
//! The same input gives the same bytes: the creation time is the image's epoch, the
//! document namespace and serial number derive from the image manifest's digest, and
//! packages are listed in name order. Licenses come only from machine-readable
//! `debian/copyright` files ([`license::declared_license`]); anything else is
//! `NOASSERTION`, never a guess.

pub mod cyclonedx;
pub mod license;
mod packages;
pub mod spdx;

pub use packages::{InstalledDeb, sbom_packages};

/// One installed .deb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomPackage {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `Architecture` (the platform's or `all`).
    pub architecture: String,
    /// Source package name.
    pub source: String,
    /// Source package version.
    pub source_version: String,
    /// The .deb's path relative to the archive root (`pool/main/...`).
    pub pool_path: String,
    /// sha256 of the .deb, lower-case hex.
    pub sha256: String,
    /// The `Maintainer` field (`Name <email>`).
    pub maintainer: Option<String>,
    /// The `Homepage` field.
    pub homepage: Option<String>,
    /// The first line of `Description`.
    pub summary: Option<String>,
    /// The license short names of its machine-readable copyright file; `None` when it
    /// has none (or only a prose one).
    pub licenses: Option<Vec<String>>,
    /// Names of the image's packages it depends on (`Depends`, `Pre-Depends`).
    pub depends_on: Vec<String>,
    /// The only paths of it the image keeps (the manifest's slice), when not whole.
    pub slice: Option<Vec<String>>,
}

/// The image a document describes (one platform of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomImage {
    /// Its name: the tag's repository (`php-cli`), else the manifest's stem.
    pub name: String,
    /// Debian architecture (`amd64`).
    pub architecture: String,
    /// OCI platform (`linux/arm64/v8`).
    pub platform: String,
    /// The platform's image manifest digest (`sha256:...`): what the SBOM is about.
    pub manifest_digest: String,
    /// The Debian release the packages come from, for purls (`debian-13`).
    pub distro: String,
    /// Creation time, seconds since the epoch (the image's SOURCE_DATE_EPOCH).
    pub created: i64,
    /// The tool that made the image (`aloft-0.1.0`).
    pub tool: String,
    /// Packages of the lock the image leaves out, as (`name version`, why): only
    /// maintainer scripts use them.
    pub left_out: Vec<(String, String)>,
}

/// Writing a document failed.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The creation time cannot be written as RFC 3339.
    #[error("Creation time {0} is out of range")]
    Time(i64),
    /// JSON serialization failed.
    #[error("Cannot write the {what} document")]
    Json {
        /// Which document.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// `pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=DISTRO`, percent-encoded as the purl
/// spec requires (an epoch's `:` is `%3A`).
pub fn purl(package: &SbomPackage, distro: &str) -> String {
    format!(
        "pkg:deb/debian/{}@{}?arch={}&distro={}",
        percent_encode(&package.name),
        percent_encode(&package.version),
        percent_encode(&package.architecture),
        percent_encode(distro)
    )
}

/// Percent-encodes everything but purl's unreserved characters (`A-Za-z0-9.-_~`).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// RFC 3339 UTC (`2026-11-20T12:00:00Z`) of `epoch`.
fn timestamp(epoch: i64) -> Result<String, SbomError> {
    aloft_fs::rfc3339_of_epoch(epoch).ok_or(SbomError::Time(epoch))
}

/// Hex of the sha256 of `parts` joined by NUL, for identifiers derived from content.
fn derived_id(parts: &[&str]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(parts.join("\0").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_encode_epochs_and_plus_signs() {
        let package = SbomPackage {
            name: "libstdc++6".into(),
            version: "1:14.2.0-19".into(),
            architecture: "amd64".into(),
            source: "gcc-14".into(),
            source_version: "14.2.0-19".into(),
            pool_path: String::new(),
            sha256: String::new(),
            maintainer: None,
            homepage: None,
            summary: None,
            licenses: None,
            depends_on: Vec::new(),
            slice: None,
        };
        assert_eq!(
            purl(&package, "debian-13"),
            "pkg:deb/debian/libstdc%2B%2B6@1%3A14.2.0-19?arch=amd64&distro=debian-13"
        );
    }
}
