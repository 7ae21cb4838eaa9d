//! The digest that tells whether a lockfile is stale.
//!
//! It covers what resolution depends on (repositories and their keyrings, packages,
//! exclusions, slices, architectures, and the packages `entrypoint.services` adds), not the image's configuration: editing `cmd:` or a file
//! copied in with `files:` does not make a lock stale, adding a package does.

use sha2::{Digest, Sha256};

use crate::{Manifest, ManifestError, RepositorySource};

/// `sha256:<hex>` over the resolution inputs of `manifest` for `archs`.
pub fn lock_inputs_digest(manifest: &Manifest, archs: &[String]) -> Result<String, ManifestError> {
    let mut repositories = Vec::new();
    for repo in &manifest.repositories {
        let repo = &repo.value;
        let (source, keyring) = match &repo.source {
            RepositorySource::Archive(archive) => (format!("archive:{}", archive.name()), None),
            RepositorySource::Url { url, keyring } => (format!("url:{url}"), Some(keyring)),
            // The directory as written: the digest is the same on every machine. What is
            // in it is checked against the lock's hashes, not folded in here.
            RepositorySource::Local {
                as_written,
                keyring,
                ..
            } => (format!("path:{as_written}"), keyring.as_ref()),
        };
        let keyring = match keyring {
            None => None,
            Some(keyring) => {
                let bytes = fs_err::read(keyring).map_err(|source| ManifestError::Read {
                    path: keyring.clone(),
                    source,
                })?;
                Some(hex::encode(Sha256::digest(&bytes)))
            }
        };
        repositories.push(serde_json::json!({
            "source": source,
            "suite": repo.suite,
            "components": repo.components,
            "name": repo.name,
            "keyring_sha256": keyring,
        }));
    }
    let mut packages: Vec<String> = manifest
        .root_packages()
        .iter()
        .map(ToString::to_string)
        .collect();
    packages.sort();
    packages.dedup();
    let mut exclude: Vec<&str> = manifest.exclude.iter().map(|e| e.value.as_str()).collect();
    exclude.sort();
    exclude.dedup();
    let mut inputs = serde_json::json!({
        "repositories": repositories,
        "packages": packages,
        "exclude": exclude,
        "archs": archs,
    });
    let mut slices: Vec<(String, Vec<String>)> = manifest
        .root_slices()
        .into_iter()
        .map(|s| (s.package.to_string(), s.paths))
        .collect();
    slices.sort();
    inputs["slices"] = serde_json::json!(slices);
    // Locks from before every glibc image got C.UTF-8 are stale.
    let implied: Vec<(String, String, Vec<String>)> = manifest
        .slices_if_installed()
        .into_iter()
        .map(|(when, s)| (when, s.package.to_string(), s.paths))
        .collect();
    inputs["slices_if_installed"] = serde_json::json!(implied);
    Ok(format!(
        "sha256:{}",
        hex::encode(Sha256::digest(inputs.to_string().as_bytes()))
    ))
}
