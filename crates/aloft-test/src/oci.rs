//! Reading an image aloft wrote back: an oci-archive or an OCI layout, through
//! index.json, the image index, each platform's manifest, config and layers, every blob
//! checked against its digest and size, every layer against its diff_id.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One entry of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its path, without a trailing `/`.
    pub path: String,
    /// File, directory, symlink, ...
    pub kind: tar::EntryType,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time.
    pub mtime: u64,
    /// Owner name (empty in aloft's layers).
    pub uname: Vec<u8>,
    /// Group name.
    pub gname: Vec<u8>,
    /// Link target.
    pub link: Option<String>,
    /// Contents.
    pub data: Vec<u8>,
    /// PAX extended headers.
    pub pax: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug)]
/// One layer of a platform.
pub struct Layer {
    /// Blob digest.
    pub digest: String,
    /// Blob media type.
    pub media_type: String,
    /// Its history line.
    pub created_by: String,
    /// Its tar entries, in order.
    pub entries: Vec<Entry>,
}

impl Layer {
    /// The entry at `path`; panics naming the layer when there is none.
    pub fn get(&self, path: &str) -> &Entry {
        self.find(path)
            .unwrap_or_else(|| panic!("`{path}` not in layer `{}`", self.created_by))
    }

    /// The entry at `path`, if any.
    pub fn find(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }

    /// The contents of `path` as UTF-8.
    pub fn text(&self, path: &str) -> String {
        String::from_utf8(self.get(path).data.clone()).unwrap()
    }

    /// Every entry's path, in order.
    pub fn paths(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.path.as_str()).collect()
    }
}

#[derive(Debug)]
/// One platform of an image.
pub struct Platform {
    /// Its entry in the image index.
    pub descriptor: Value,
    /// Its image manifest.
    pub manifest: Value,
    /// Its config.
    pub config: Value,
    /// Its layers, bottom first.
    pub layers: Vec<Layer>,
}

impl Platform {
    /// The platform's architecture.
    pub fn arch(&self) -> &str {
        self.descriptor["platform"]["architecture"]
            .as_str()
            .unwrap()
    }

    /// The layer whose history line starts with `aloft: <source>:`.
    pub fn layer(&self, source: &str) -> &Layer {
        let prefix = format!("aloft: {source}:");
        self.layers
            .iter()
            .find(|l| l.created_by.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no layer for `{source}`"))
    }

    /// The last layer, which must be aloft's accounts, paths and files.
    pub fn final_layer(&self) -> &Layer {
        let last = self.layers.last().unwrap();
        assert_eq!(last.created_by, "aloft: accounts, paths and files");
        last
    }

    /// Each layer's digest by its history line.
    pub fn digests(&self) -> BTreeMap<String, String> {
        self.layers
            .iter()
            .map(|l| (l.created_by.clone(), l.digest.clone()))
            .collect()
    }
}

/// An image as written: every file of the archive or layout, by path.
pub struct Image {
    /// Path in the archive or layout -> contents.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The mtimes of the archive's own tar headers (none for a layout).
    pub archive_mtimes: BTreeSet<u64>,
}

/// The tar of a layer blob, decompressed as its media type says.
pub fn layer_tar(media_type: &str, blob: &[u8]) -> Vec<u8> {
    match media_type {
        "application/vnd.oci.image.layer.v1.tar+gzip" => {
            let mut tar = Vec::new();
            flate2::read::MultiGzDecoder::new(blob)
                .read_to_end(&mut tar)
                .unwrap();
            tar
        }
        "application/vnd.oci.image.layer.v1.tar+zstd" => zstd::decode_all(blob).unwrap(),
        other => panic!("layer media type {other}"),
    }
}

/// The entries of a layer tar, in order.
pub fn read_layer(tar: &[u8]) -> Vec<Entry> {
    let mut archive = tar::Archive::new(tar);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut pax = BTreeMap::new();
        if let Some(extensions) = entry.pax_extensions().unwrap() {
            for extension in extensions {
                let extension = extension.unwrap();
                pax.insert(
                    extension.key().unwrap().to_owned(),
                    extension.value_bytes().to_vec(),
                );
            }
        }
        let header = entry.header().clone();
        let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
        let link = entry
            .link_name_bytes()
            .map(|b| String::from_utf8(b.into_owned()).unwrap());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push(Entry {
            path: path.trim_end_matches('/').to_owned(),
            kind: header.entry_type(),
            mode: header.mode().unwrap(),
            uid: header.uid().unwrap(),
            gid: header.gid().unwrap(),
            mtime: header.mtime().unwrap(),
            uname: header.username_bytes().unwrap_or_default().to_vec(),
            gname: header.groupname_bytes().unwrap_or_default().to_vec(),
            link,
            data,
            pax,
        });
    }
    out
}

impl Image {
    /// Reads an oci-archive; its own tar headers must be owned by root.
    pub fn archive(path: &Path) -> Image {
        let mut files = BTreeMap::new();
        let mut archive_mtimes = BTreeSet::new();
        let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header();
            // Nothing of the host in the archive's own headers.
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            archive_mtimes.insert(header.mtime().unwrap());
            let name = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            if !name.ends_with('/') {
                files.insert(name, data);
            }
        }
        Image {
            files,
            archive_mtimes,
        }
    }

    /// Reads an OCI layout directory.
    pub fn layout(dir: &Path) -> Image {
        fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, files);
                } else {
                    let rel = path.strip_prefix(root).unwrap().to_string_lossy().into();
                    files.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(dir, dir, &mut files);
        Image {
            files,
            archive_mtimes: BTreeSet::new(),
        }
    }

    /// A blob, checked against its digest (and `size` when given).
    pub fn blob(&self, descriptor: &Value) -> &[u8] {
        let digest = descriptor["digest"].as_str().unwrap();
        let hex = digest.strip_prefix("sha256:").unwrap();
        let bytes = self
            .files
            .get(&format!("blobs/sha256/{hex}"))
            .unwrap_or_else(|| panic!("no blob {digest}"));
        assert_eq!(sha256_hex(bytes), hex, "blob {digest}");
        assert_eq!(descriptor["size"].as_u64().unwrap(), bytes.len() as u64);
        bytes
    }

    /// A blob parsed as JSON.
    pub fn json(&self, descriptor: &Value) -> Value {
        serde_json::from_slice(self.blob(descriptor)).unwrap()
    }

    /// index.json.
    pub fn index_json(&self) -> Value {
        serde_json::from_slice(&self.files["index.json"]).unwrap()
    }

    /// The image index's digest, as index.json names it.
    pub fn digest(&self) -> String {
        let index = self.index_json();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
        index["manifests"][0]["digest"].as_str().unwrap().to_owned()
    }

    /// The image index index.json points to.
    pub fn index(&self) -> Value {
        let index_json = self.index_json();
        let index = self.json(&index_json["manifests"][0]);
        assert_eq!(
            index["mediaType"],
            "application/vnd.oci.image.index.v1+json"
        );
        index
    }

    /// The image index's platform entries and their manifests (attached SBOMs, which
    /// have no platform, left out).
    pub fn platform_manifests(&self) -> Vec<(Value, Value)> {
        let index = self.index();
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|descriptor| descriptor.get("platform").is_some())
            .map(|descriptor| (descriptor.clone(), self.json(descriptor)))
            .collect()
    }

    /// Every platform, its layers decompressed, checked against the config's diff_ids
    /// and read entry by entry.
    pub fn platforms(&self) -> Vec<Platform> {
        self.platform_manifests()
            .into_iter()
            .map(|(descriptor, manifest)| {
                let config = self.json(&manifest["config"]);
                let history = config["history"].as_array().unwrap();
                let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
                let descriptors = manifest["layers"].as_array().unwrap();
                assert_eq!(descriptors.len(), history.len());
                assert_eq!(descriptors.len(), diff_ids.len());
                let layers = descriptors
                    .iter()
                    .zip(history)
                    .zip(diff_ids)
                    .map(|((layer, history), diff_id)| {
                        let media_type = layer["mediaType"].as_str().unwrap().to_owned();
                        let tar = layer_tar(&media_type, self.blob(layer));
                        assert_eq!(
                            diff_id.as_str().unwrap(),
                            format!("sha256:{}", sha256_hex(&tar))
                        );
                        Layer {
                            digest: layer["digest"].as_str().unwrap().to_owned(),
                            media_type,
                            created_by: history["created_by"].as_str().unwrap().to_owned(),
                            entries: read_layer(&tar),
                        }
                    })
                    .collect();
                Platform {
                    descriptor,
                    manifest,
                    config,
                    layers,
                }
            })
            .collect()
    }

    /// The one platform of a one-platform image.
    pub fn platform(&self) -> Platform {
        let mut platforms = self.platforms();
        assert_eq!(platforms.len(), 1);
        platforms.remove(0)
    }
}
