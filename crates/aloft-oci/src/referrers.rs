//! Reading back the documents attached to an image (SBOMs): from an oci-archive or an
//! OCI layout directory, the artifact manifests of the image index whose `subject` is
//! one of its platform manifests.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::OciError;

/// A document attached to one platform's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedDocument {
    /// The platform (`linux/arm64/v8`) of the manifest it is about.
    pub platform: String,
    /// Its `artifactType` (`application/spdx+json`).
    pub artifact_type: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The JSON files of an image: `index.json` and every small blob, by path.
struct ImageFiles(BTreeMap<String, Vec<u8>>);

/// Blobs larger than this (layers) are not read.
const JSON_LIMIT: u64 = 64 << 20;

impl ImageFiles {
    fn open(path: &Path) -> Result<ImageFiles, OciError> {
        let io = |source| OciError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut files = BTreeMap::new();
        if path.is_dir() {
            let read = |rel: &str, files: &mut BTreeMap<String, Vec<u8>>| -> Result<(), OciError> {
                let file = path.join(rel);
                if file.metadata().map_err(io)?.len() <= JSON_LIMIT {
                    files.insert(rel.to_owned(), std::fs::read(&file).map_err(io)?);
                }
                Ok(())
            };
            read("index.json", &mut files)?;
            for entry in std::fs::read_dir(path.join("blobs/sha256")).map_err(io)? {
                let name = entry
                    .map_err(io)?
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                read(&format!("blobs/sha256/{name}"), &mut files)?;
            }
        } else {
            let mut archive = tar::Archive::new(std::fs::File::open(path).map_err(io)?);
            for entry in archive.entries().map_err(io)? {
                let mut entry = entry.map_err(io)?;
                if entry.size() > JSON_LIMIT {
                    continue;
                }
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let mut data = Vec::new();
                entry.read_to_end(&mut data).map_err(io)?;
                files.insert(name.trim_start_matches("./").to_owned(), data);
            }
        }
        Ok(ImageFiles(files))
    }

    fn json(&self, path: &Path, name: &str) -> Result<Value, OciError> {
        let bytes = self.0.get(name).ok_or_else(|| OciError::NotAnImage {
            path: path.to_path_buf(),
            reason: format!("`{name}` is missing"),
        })?;
        serde_json::from_slice(bytes).map_err(|e| OciError::NotAnImage {
            path: path.to_path_buf(),
            reason: format!("`{name}` is not JSON: {e}"),
        })
    }

    fn blob(&self, path: &Path, descriptor: &Value) -> Result<Value, OciError> {
        let digest = descriptor["digest"].as_str().unwrap_or_default();
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.json(path, &format!("blobs/sha256/{hex}"))
    }
}

/// `os/architecture[/variant]` of a descriptor's platform.
fn platform_name(platform: &Value) -> String {
    let mut name = format!(
        "{}/{}",
        platform["os"].as_str().unwrap_or("?"),
        platform["architecture"].as_str().unwrap_or("?")
    );
    if let Some(variant) = platform["variant"].as_str() {
        name.push('/');
        name.push_str(variant);
    }
    name
}

/// The documents attached to the image at `path` (an oci-archive or a layout directory),
/// in the index's order.
pub fn attached_documents(path: &Path) -> Result<Vec<AttachedDocument>, OciError> {
    let files = ImageFiles::open(path)?;
    let top = files.json(path, "index.json")?;
    let index = files.blob(path, &top["manifests"][0])?;
    let descriptors = index["manifests"].as_array().cloned().unwrap_or_default();
    let platforms: BTreeMap<String, String> = descriptors
        .iter()
        .filter(|d| d.get("platform").is_some())
        .map(|d| {
            (
                d["digest"].as_str().unwrap_or_default().to_owned(),
                platform_name(&d["platform"]),
            )
        })
        .collect();
    let mut documents = Vec::new();
    for descriptor in descriptors.iter().filter(|d| d.get("platform").is_none()) {
        let manifest = files.blob(path, descriptor)?;
        let (Some(artifact_type), Some(subject)) = (
            manifest["artifactType"].as_str(),
            manifest["subject"]["digest"].as_str(),
        ) else {
            continue;
        };
        let Some(platform) = platforms.get(subject) else {
            continue;
        };
        let layer = &manifest["layers"][0];
        let hex = layer["digest"].as_str().unwrap_or_default();
        let name = format!(
            "blobs/sha256/{}",
            hex.strip_prefix("sha256:").unwrap_or(hex)
        );
        let data = files
            .0
            .get(&name)
            .cloned()
            .ok_or_else(|| OciError::NotAnImage {
                path: path.to_path_buf(),
                reason: format!("`{name}` is missing"),
            })?;
        documents.push(AttachedDocument {
            platform: platform.clone(),
            artifact_type: artifact_type.to_owned(),
            data,
        });
    }
    Ok(documents)
}
