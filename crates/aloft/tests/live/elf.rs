//! "Every ELF file in every image has all its DT_NEEDED libraries in the image", checked
//! on the image as written (every platform of an oci-archive), without running it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use aloft_test::oci::Image;
use object::Endianness;
use object::elf::{DT_NEEDED, DT_RPATH, DT_RUNPATH, FileHeader32, FileHeader64, Machine};
pub use object::elf::{EM_AARCH64, EM_X86_64};
use object::read::elf::FileHeader;

/// One path of the image file system.
enum Node {
    Dir,
    /// A regular file; the bytes are kept only for ELF files.
    File(Vec<u8>),
    Symlink(String),
}

/// The file system of one platform: the layers applied in order.
struct Rootfs {
    nodes: BTreeMap<String, Node>,
}

impl Rootfs {
    fn from_layers(layers: &[&[u8]]) -> Rootfs {
        let mut nodes = BTreeMap::new();
        for layer in layers {
            let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(*layer));
            for entry in archive.entries().unwrap() {
                let mut entry = entry.unwrap();
                let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
                let path = format!("/{}", path.trim_end_matches('/').trim_start_matches("./"));
                let kind = entry.header().entry_type();
                let node = if kind.is_dir() {
                    Node::Dir
                } else if kind.is_symlink() {
                    let target = entry.link_name_bytes().unwrap();
                    Node::Symlink(String::from_utf8(target.into_owned()).unwrap())
                } else if kind.is_hard_link() {
                    let target = entry.link_name_bytes().unwrap();
                    let target = format!("/{}", String::from_utf8(target.into_owned()).unwrap());
                    match nodes.get(&target) {
                        Some(Node::File(bytes)) => Node::File(bytes.clone()),
                        _ => Node::File(Vec::new()),
                    }
                } else {
                    let mut magic = [0u8; 4];
                    let mut data = Vec::new();
                    if path.starts_with("/etc/ld.so.conf.d/") {
                        entry.read_to_end(&mut data).unwrap();
                    } else if entry.header().size().unwrap() >= 4 {
                        entry.read_exact(&mut magic).unwrap();
                        if &magic == b"\x7fELF" {
                            data.extend_from_slice(&magic);
                            entry.read_to_end(&mut data).unwrap();
                        }
                    }
                    Node::File(data)
                };
                nodes.insert(path, node);
            }
        }
        Rootfs { nodes }
    }

    /// `path` with every symbolic link resolved, if it leads to something.
    fn resolve(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        pending.reverse();
        let mut current = String::new();
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "." => continue,
                ".." => {
                    current.truncate(current.rfind('/').unwrap_or(0));
                    continue;
                }
                _ => {}
            }
            let next = format!("{current}/{component}");
            match self.nodes.get(&next)? {
                Node::Symlink(target) => {
                    hops += 1;
                    if hops > 40 {
                        return None;
                    }
                    if target.starts_with('/') {
                        current.clear();
                    }
                    for part in target.split('/').filter(|c| !c.is_empty()).rev() {
                        pending.push(part.to_owned());
                    }
                }
                _ => current = next,
            }
        }
        Some(if current.is_empty() {
            "/".into()
        } else {
            current
        })
    }
}

/// An ELF file's machine (`EM_*`), DT_NEEDED names and run paths.
type Dynamic = (Machine, Vec<String>, Vec<String>);

/// [`Dynamic`] of an ELF file; `None` for a file that is not an ELF object this test
/// understands.
fn dynamic_entries(data: &[u8]) -> Option<Dynamic> {
    fn read<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Dynamic> {
        let header = Elf::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let machine = header.e_machine(endian);
        let sections = header.sections(endian, data).ok()?;
        let table = sections.dynamic_table(endian, data).ok()?;
        let (mut needed, mut runpath) = (Vec::new(), Vec::new());
        for entry in &table {
            let text =
                || String::from_utf8_lossy(table.string(entry).unwrap_or_default()).into_owned();
            if entry.tag == DT_NEEDED {
                needed.push(text());
            } else if entry.tag == DT_RUNPATH || entry.tag == DT_RPATH {
                runpath.extend(text().split(':').map(str::to_owned));
            }
        }
        Some((machine, needed, runpath))
    }
    match data.get(4) {
        Some(2) => read::<FileHeader64<Endianness>>(data),
        Some(1) => read::<FileHeader32<Endianness>>(data),
        _ => None,
    }
}

/// Asserts that every DT_NEEDED library of every ELF file of `platform` (an image's
/// layers, in order) is found where the dynamic linker looks: the run paths
/// (`$ORIGIN` expanded), the multiarch and default directories, and the directories of
/// /etc/ld.so.conf.d when an /etc/ld.so.cache exists (the linker reads them only there).
/// Every ELF file must also be built for `machine` (`EM_X86_64`, `EM_AARCH64`): nothing
/// of another architecture slipped into the platform's image. Returns how many ELF files
/// and needed entries were checked.
pub fn assert_needed_libraries_present(
    what: &str,
    triplet: &str,
    machine: Machine,
    layers: &[&[u8]],
) -> (usize, usize) {
    let rootfs = Rootfs::from_layers(layers);
    let mut search: Vec<String> = vec![
        format!("/lib/{triplet}"),
        format!("/usr/lib/{triplet}"),
        "/lib".into(),
        "/usr/lib".into(),
    ];
    // Directories that ld.so.conf.d adds are searched only through ld.so.cache.
    if rootfs.resolve("/etc/ld.so.cache").is_some() {
        for (path, node) in &rootfs.nodes {
            if let (true, Node::File(text)) = (path.starts_with("/etc/ld.so.conf.d/"), node) {
                search.extend(
                    String::from_utf8_lossy(text)
                        .lines()
                        .map(str::trim)
                        .filter(|l| l.starts_with('/'))
                        .map(str::to_owned),
                );
            }
        }
    }
    let mut missing = Vec::new();
    let mut foreign = Vec::new();
    let (mut files, mut entries) = (0, 0);
    for (path, node) in &rootfs.nodes {
        let Node::File(data) = node else { continue };
        let Some((file_machine, needed, runpath)) = dynamic_entries(data) else {
            continue;
        };
        files += 1;
        if file_machine != machine {
            foreign.push(format!("{path}: machine {file_machine:?}"));
        }
        let origin = Path::new(path)
            .parent()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let dirs: Vec<String> = runpath
            .iter()
            .map(|dir| {
                dir.replace("$ORIGIN", &origin)
                    .replace("${ORIGIN}", &origin)
            })
            .chain(search.iter().cloned())
            .collect();
        for library in needed {
            entries += 1;
            let found = dirs.iter().any(|dir| {
                rootfs
                    .resolve(&format!("{dir}/{library}"))
                    .is_some_and(|p| matches!(rootfs.nodes.get(&p), Some(Node::File(_))))
            });
            if !found {
                missing.push(format!("{path} needs {library}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{what}: {} of {entries} DT_NEEDED entries are not in the image:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(files > 10, "{what}: only {files} ELF files found");
    assert!(
        foreign.is_empty(),
        "{what}: ELF files not built for machine {machine:?}:\n{}",
        foreign.join("\n")
    );
    (files, entries)
}

/// The layers of each platform of an oci-archive: (architecture, layer blobs).
pub fn platform_layers(archive: &Path) -> Vec<(String, Vec<Vec<u8>>)> {
    let image = Image::archive(archive);
    image
        .platform_manifests()
        .into_iter()
        .map(|(descriptor, manifest)| {
            let layers = manifest["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|layer| image.blob(layer).to_vec())
                .collect();
            let arch = descriptor["platform"]["architecture"]
                .as_str()
                .unwrap()
                .to_owned();
            (arch, layers)
        })
        .collect()
}
