//! The SPDX 2.3 JSON document of one platform of an image.
//!
//! The image is the described package (`SPDXRef-Image`, purpose CONTAINER, its manifest
//! digest as checksum); it CONTAINS one package per .deb, and each .deb DEPENDS_ON the
//! image's packages its control file names. A .deb's download location is
//! NOASSERTION: the lock records a pool path, not a URL (which mirror served it is the
//! builder's business and would make the document differ between machines), so the pool
//! path is an external reference of its own, beside the purl.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::license::declared_license;
use crate::{SbomError, SbomImage, SbomPackage, derived_id, purl, timestamp};

const NOASSERTION: &str = "NOASSERTION";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    document_describes: Vec<String>,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    created: String,
    creators: Vec<String>,
    license_list_version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    version_info: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<String>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    checksums: Vec<Checksum>,
    license_concluded: String,
    license_declared: String,
    copyright_text: String,
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    name: String,
    extracted_text: String,
}

/// `Maintainer: Name <email>` as an SPDX actor: `Organization: Name (email)` for a team
/// (a name with "Team", "Maintainers", "Developers" or "Group" in it), else `Person:`.
fn supplier(maintainer: &str) -> String {
    let (name, email) = match maintainer.split_once('<') {
        Some((name, rest)) => (name.trim(), rest.trim_end_matches('>').trim()),
        None => (maintainer.trim(), ""),
    };
    let team = ["Team", "Maintainers", "Developers", "Group"]
        .iter()
        .any(|word| name.contains(word));
    let kind = if team { "Organization" } else { "Person" };
    format!("{kind}: {name} ({email})")
}

/// The SPDX license list version the `spdx` crate's ids come from, as SPDX wants it
/// (`3.27`, without a patch number).
fn license_list_version() -> String {
    let version = spdx::identifiers::VERSION;
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => version.to_owned(),
    }
}

/// An SPDX id from `text`: letters, digits, `.` and `-`.
fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The document for `image` and its `packages` (one platform), pretty-printed JSON.
pub fn spdx_document(image: &SbomImage, packages: &[SbomPackage]) -> Result<Vec<u8>, SbomError> {
    const IMAGE_ID: &str = "SPDXRef-Image";
    let digest_hex = image
        .manifest_digest
        .strip_prefix("sha256:")
        .unwrap_or(&image.manifest_digest);
    // Ids: the name made safe; a clash (`g++` and `g--`) gets a numbered suffix.
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for package in packages {
        let base = format!("SPDXRef-Package-deb-{}", id_part(&package.name));
        let count = taken.entry(base.clone()).or_default();
        *count += 1;
        let id = if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
        ids.insert(&package.name, id);
    }

    let mut extracted: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut spdx_packages = vec![Package {
        spdx_id: IMAGE_ID.into(),
        name: image.name.clone(),
        version_info: image.manifest_digest.clone(),
        supplier: None,
        download_location: NOASSERTION.into(),
        files_analyzed: false,
        homepage: None,
        source_info: None,
        summary: Some(format!("{} {} container image", image.name, image.platform)),
        checksums: vec![Checksum {
            algorithm: "SHA256",
            checksum_value: digest_hex.to_owned(),
        }],
        license_concluded: NOASSERTION.into(),
        license_declared: NOASSERTION.into(),
        copyright_text: NOASSERTION.into(),
        external_refs: vec![ExternalRef {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: format!(
                "pkg:oci/{}@sha256%3A{digest_hex}?arch={}",
                image.name.rsplit('/').next().unwrap_or(&image.name),
                image.architecture
            ),
        }],
        primary_package_purpose: Some("CONTAINER"),
        comment: None,
    }];
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: IMAGE_ID.into(),
    }];
    for package in packages {
        let id = ids.get(package.name.as_str()).cloned().unwrap_or_default();
        let declared = package.licenses.as_deref().and_then(declared_license);
        if let Some(declared) = &declared {
            for (license_ref, debian_name) in &declared.refs {
                let entry = extracted
                    .entry(license_ref.clone())
                    .or_insert_with(|| (debian_name.clone(), Vec::new()));
                entry.1.push(package.name.clone());
            }
        }
        spdx_packages.push(Package {
            spdx_id: id.clone(),
            name: package.name.clone(),
            version_info: package.version.clone(),
            supplier: package.maintainer.as_deref().map(supplier),
            download_location: NOASSERTION.into(),
            files_analyzed: false,
            homepage: package.homepage.clone(),
            source_info: Some(format!(
                "built package from: {} {}",
                package.source, package.source_version
            )),
            summary: package.summary.clone(),
            checksums: vec![Checksum {
                algorithm: "SHA256",
                checksum_value: package.sha256.clone(),
            }],
            license_concluded: NOASSERTION.into(),
            license_declared: declared.map_or_else(|| NOASSERTION.into(), |d| d.expression),
            copyright_text: NOASSERTION.into(),
            external_refs: vec![
                ExternalRef {
                    reference_category: "PACKAGE-MANAGER",
                    reference_type: "purl",
                    reference_locator: purl(package, &image.distro),
                },
                ExternalRef {
                    reference_category: "OTHER",
                    reference_type: "debian-pool-path",
                    reference_locator: package.pool_path.clone(),
                },
            ],
            primary_package_purpose: None,
            comment: package.slice.as_ref().map(|paths| {
                format!(
                    "A slice: the image keeps only the paths {} of this package",
                    paths.join(", ")
                )
            }),
        });
        relationships.push(Relationship {
            spdx_element_id: IMAGE_ID.into(),
            relationship_type: "CONTAINS",
            related_spdx_element: id.clone(),
        });
        for dependency in &package.depends_on {
            if let Some(target) = ids.get(dependency.as_str()) {
                relationships.push(Relationship {
                    spdx_element_id: id.clone(),
                    relationship_type: "DEPENDS_ON",
                    related_spdx_element: target.clone(),
                });
            }
        }
    }
    let document = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: format!("{} {}", image.name, image.platform),
        document_namespace: format!(
            "https://spdx.org/spdxdocs/aloft/{}-{}-{}",
            id_part(&image.name),
            image.architecture,
            derived_id(&[&image.manifest_digest, &image.name])
        ),
        creation_info: CreationInfo {
            comment: (!image.left_out.is_empty()).then(|| {
                let list: Vec<String> = image
                    .left_out
                    .iter()
                    .map(|(package, why)| format!("{package} ({why})"))
                    .collect();
                format!(
                    "Packages apt would install that the image leaves out: {}",
                    list.join("; ")
                )
            }),
            created: timestamp(image.created)?,
            creators: vec![format!("Tool: {}", image.tool)],
            license_list_version: license_list_version(),
        },
        document_describes: vec![IMAGE_ID.into()],
        packages: spdx_packages,
        relationships,
        has_extracted_licensing_infos: extracted
            .into_iter()
            .map(|(license_id, (name, users))| ExtractedLicense {
                extracted_text: format!(
                    "The license named `{name}` in the machine-readable debian/copyright file of: {}. Its text is in /usr/share/doc/<package>/copyright in the image.",
                    users.join(", ")
                ),
                license_id,
                name,
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&document).map_err(|source| SbomError::Json {
        what: "SPDX",
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
