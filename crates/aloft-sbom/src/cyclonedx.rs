//! The CycloneDX 1.5 JSON document of one platform of an image: the image is the
//! metadata component (type `container`), each .deb a `library` component with its purl
//! as `bom-ref`, and `dependencies` lists what each depends on.

use serde::Serialize;

use crate::license::declared_license;
use crate::{SbomError, SbomImage, SbomPackage, derived_id, purl, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Tool>,
}

#[derive(Serialize)]
struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    version: String,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier>,
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Supplier {
    name: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct LicenseChoice {
    expression: String,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

/// `urn:uuid:` with a version-5-shaped UUID made from `hex` (a sha256), so the serial
/// number is the same for the same image.
fn serial_number(hex: &str) -> String {
    let h = |range: std::ops::Range<usize>| hex.get(range).unwrap_or("0");
    let variant = match h(16..17).chars().next().and_then(|c| c.to_digit(16)) {
        Some(d) => format!("{:x}", 8 | (d & 3)),
        None => "8".into(),
    };
    format!(
        "urn:uuid:{}-{}-5{}-{variant}{}-{}",
        h(0..8),
        h(8..12),
        h(13..16),
        h(17..20),
        h(20..32)
    )
}

/// The document for `image` and its `packages` (one platform), pretty-printed JSON.
pub fn cyclonedx_document(
    image: &SbomImage,
    packages: &[SbomPackage],
) -> Result<Vec<u8>, SbomError> {
    let (tool_name, tool_version) = image
        .tool
        .rsplit_once('-')
        .map_or((image.tool.clone(), String::new()), |(n, v)| {
            (n.to_owned(), v.to_owned())
        });
    let image_ref = format!("image:{}", image.manifest_digest);
    let components: Vec<Component> = packages
        .iter()
        .map(|package| {
            let purl = purl(package, &image.distro);
            Component {
                kind: "library",
                bom_ref: purl.clone(),
                supplier: package.maintainer.clone().map(|name| Supplier { name }),
                name: package.name.clone(),
                version: package.version.clone(),
                description: package.summary.clone(),
                hashes: vec![Hash {
                    alg: "SHA-256",
                    content: package.sha256.clone(),
                }],
                licenses: package
                    .licenses
                    .as_deref()
                    .and_then(declared_license)
                    .map(|d| {
                        vec![LicenseChoice {
                            expression: d.expression,
                        }]
                    })
                    .unwrap_or_default(),
                purl: Some(purl),
                properties: vec![
                    Property {
                        name: "aloft:debian:source",
                        value: format!("{} {}", package.source, package.source_version),
                    },
                    Property {
                        name: "aloft:debian:pool-path",
                        value: package.pool_path.clone(),
                    },
                ]
                .into_iter()
                .chain(package.slice.as_ref().map(|paths| Property {
                    name: "aloft:slice",
                    value: paths.join(", "),
                }))
                .collect(),
            }
        })
        .collect();
    let by_name: std::collections::BTreeMap<&str, &str> = packages
        .iter()
        .zip(&components)
        .map(|(p, c)| (p.name.as_str(), c.bom_ref.as_str()))
        .collect();
    let mut dependencies = vec![Dependency {
        reference: image_ref.clone(),
        depends_on: components.iter().map(|c| c.bom_ref.clone()).collect(),
    }];
    for (package, component) in packages.iter().zip(&components) {
        dependencies.push(Dependency {
            reference: component.bom_ref.clone(),
            depends_on: package
                .depends_on
                .iter()
                .filter_map(|d| by_name.get(d.as_str()).map(|r| (*r).to_owned()))
                .collect(),
        });
    }
    let digest_hex = image
        .manifest_digest
        .strip_prefix("sha256:")
        .unwrap_or(&image.manifest_digest);
    let bom = Bom {
        bom_format: "CycloneDX",
        spec_version: "1.5",
        serial_number: serial_number(&derived_id(&[&image.manifest_digest, &image.name])),
        version: 1,
        metadata: Metadata {
            timestamp: timestamp(image.created)?,
            tools: Tools {
                components: vec![Tool {
                    kind: "application",
                    name: tool_name,
                    version: tool_version,
                }],
            },
            component: Component {
                kind: "container",
                bom_ref: image_ref,
                supplier: None,
                name: image.name.clone(),
                version: image.manifest_digest.clone(),
                description: Some(format!("{} {} container image", image.name, image.platform)),
                hashes: vec![Hash {
                    alg: "SHA-256",
                    content: digest_hex.to_owned(),
                }],
                licenses: Vec::new(),
                purl: None,
                properties: std::iter::once(Property {
                    name: "aloft:platform",
                    value: image.platform.clone(),
                })
                .chain(image.left_out.iter().map(|(package, why)| Property {
                    name: "aloft:left-out",
                    value: format!("{package}: {why}"),
                }))
                .collect(),
            },
        },
        components,
        dependencies,
    };
    let mut bytes = serde_json::to_vec_pretty(&bom).map_err(|source| SbomError::Json {
        what: "CycloneDX",
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
