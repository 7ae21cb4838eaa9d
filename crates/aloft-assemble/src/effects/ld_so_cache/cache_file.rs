//! The bytes of /etc/ld.so.cache in glibc's "new" format (`glibc-ld.so.cache1.1`), the
//! only one ld.so of glibc >= 2.32 reads (glibc's elf/cache.c, sysdeps/generic/dl-cache.h).
//!
//! Written by hand: no crate writes this format. The layout is a 48-byte header, one
//! 24-byte entry per library, then the NUL-terminated strings the entries point at
//! (offsets are from the start of the file). Entries are sorted as ldconfig sorts them,
//! because ld.so finds them by binary search: descending by [`libcmp`] on the soname,
//! entries with the same soname in directory order (the first directory wins). No
//! extension section is written (`extension_offset` 0): ld.so reads it only for
//! glibc-hwcaps entries, which aloft does not make.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The magic and version at the start of the file.
const MAGIC: &[u8; 20] = b"glibc-ld.so.cache1.1";
/// Header bytes (`struct cache_file_new`).
const HEADER_SIZE: usize = 48;
/// Entry bytes (`struct file_entry_new`).
const ENTRY_SIZE: usize = 24;
/// `cache_file_new_flags_endian_little`.
const FLAGS_LITTLE_ENDIAN: u8 = 2;

/// One library: ld.so maps a DT_NEEDED or dlopen name (`key`) to a file (`path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The soname.
    pub key: String,
    /// The absolute path of the library.
    pub path: String,
    /// The ABI flags ld.so requires exactly (`0x0303` for x86-64, `0x0a03` for aarch64).
    pub flags: u32,
}

/// glibc's `_dl_cache_libcmp`: runs of digits compare as numbers (a digit sorts above
/// any other character), everything else byte by byte.
pub fn libcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() {
        let (ca, cb) = (a[i], b.get(j).copied().unwrap_or(0));
        if ca.is_ascii_digit() {
            if !cb.is_ascii_digit() {
                return Ordering::Greater;
            }
            let digits = |s: &[u8], mut k: usize| {
                let mut value: u64 = 0;
                while let Some(c) = s.get(k).filter(|c| c.is_ascii_digit()) {
                    value = value.saturating_mul(10).saturating_add(u64::from(c - b'0'));
                    k += 1;
                }
                (value, k)
            };
            let (va, ni) = digits(a, i);
            let (vb, nj) = digits(b, j);
            if va != vb {
                return va.cmp(&vb);
            }
            (i, j) = (ni, nj);
        } else if cb.is_ascii_digit() {
            return Ordering::Less;
        } else if ca != cb {
            return ca.cmp(&cb);
        } else {
            i += 1;
            j += 1;
        }
    }
    if j < b.len() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

/// The file for `entries` (given in directory scan order), little-endian.
pub fn write(entries: &[CacheEntry]) -> Vec<u8> {
    let mut sorted: Vec<&CacheEntry> = entries.iter().collect();
    // Stable: equal keys keep their directory order, so the first directory wins.
    sorted.sort_by(|x, y| libcmp(&y.key, &x.key).then(y.flags.cmp(&x.flags)));

    // Strings, each once, in order of first use.
    let strings_start = HEADER_SIZE + ENTRY_SIZE * sorted.len();
    let mut strings = StringTable {
        start: strings_start,
        bytes: Vec::new(),
        offsets: BTreeMap::new(),
    };
    let mut table = Vec::with_capacity(ENTRY_SIZE * sorted.len());
    for entry in &sorted {
        let key = strings.offset_of(&entry.key);
        let value = strings.offset_of(&entry.path);
        table.extend_from_slice(&entry.flags.to_le_bytes());
        table.extend_from_slice(&key.to_le_bytes());
        table.extend_from_slice(&value.to_le_bytes());
        table.extend_from_slice(&0u32.to_le_bytes()); // osversion_unused
        table.extend_from_slice(&0u64.to_le_bytes()); // hwcap
    }
    let strings = strings.bytes;

    let mut file = Vec::with_capacity(strings_start + strings.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(
        &u32::try_from(sorted.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    file.extend_from_slice(
        &u32::try_from(strings.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    file.push(FLAGS_LITTLE_ENDIAN);
    file.extend_from_slice(&[0; 3]); // padding
    file.extend_from_slice(&0u32.to_le_bytes()); // extension_offset: none
    file.extend_from_slice(&[0; 12]); // unused
    file.extend_from_slice(&table);
    file.extend_from_slice(&strings);
    file
}

/// The string table being built: each string once, NUL-terminated.
struct StringTable {
    /// File offset of the table.
    start: usize,
    bytes: Vec<u8>,
    offsets: BTreeMap<String, u32>,
}

impl StringTable {
    /// The file offset of `text`, added if new.
    fn offset_of(&mut self, text: &str) -> u32 {
        if let Some(offset) = self.offsets.get(text) {
            return *offset;
        }
        let offset = u32::try_from(self.start + self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(text.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(text.to_owned(), offset);
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libcmp_compares_digit_runs_as_numbers() {
        assert_eq!(libcmp("libx10.so", "libx9.so"), Ordering::Greater);
        assert_eq!(libcmp("libx9.so", "libxa.so"), Ordering::Greater);
        assert_eq!(libcmp("libfoo.so.01", "libfoo.so.1"), Ordering::Equal);
        assert_eq!(libcmp("libc.so.6", "libc.so.6"), Ordering::Equal);
        assert_eq!(libcmp("libc.so", "libc.so.6"), Ordering::Less);
        assert_eq!(libcmp("libc.so.6", "libc.so"), Ordering::Greater);
        assert_eq!(libcmp("ld-linux-x86-64.so.2", "libc.so.6"), Ordering::Less);
    }

    fn entry(key: &str, path: &str) -> CacheEntry {
        CacheEntry {
            key: key.into(),
            path: path.into(),
            flags: 0x0303,
        }
    }

    /// Reads the file back as ld.so does: header checks, then each entry's strings.
    fn read_back(file: &[u8]) -> Vec<(String, String, u32)> {
        assert_eq!(&file[..20], MAGIC);
        let u32_at =
            |at: usize| u32::from_le_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]]);
        let nlibs = u32_at(20) as usize;
        assert_eq!(
            u32_at(24) as usize,
            file.len() - HEADER_SIZE - ENTRY_SIZE * nlibs
        );
        assert_eq!(file[28], FLAGS_LITTLE_ENDIAN);
        assert_eq!(u32_at(32), 0);
        let string_at = |at: u32| {
            let at = at as usize;
            let end = at + file[at..].iter().position(|b| *b == 0).unwrap_or(0);
            String::from_utf8(file[at..end].to_vec()).unwrap_or_default()
        };
        (0..nlibs)
            .map(|n| {
                let at = HEADER_SIZE + ENTRY_SIZE * n;
                assert_eq!(&file[at + 12..at + 24], &[0; 12]);
                (
                    string_at(u32_at(at + 4)),
                    string_at(u32_at(at + 8)),
                    u32_at(at),
                )
            })
            .collect()
    }

    #[test]
    fn entries_are_sorted_for_ld_so_binary_search_and_the_first_directory_wins() {
        let file = write(&[
            entry("libfoo.so.1", "/opt/a/libfoo.so.1"),
            entry("libbar.so.10", "/opt/a/libbar.so.10"),
            entry("libbar.so.9", "/opt/a/libbar.so.9"),
            entry("libfoo.so.1", "/opt/b/libfoo.so.1"),
        ]);
        let names: Vec<(String, String)> = read_back(&file)
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect();
        assert_eq!(
            names,
            [
                ("libfoo.so.1".to_owned(), "/opt/a/libfoo.so.1".to_owned()),
                ("libfoo.so.1".into(), "/opt/b/libfoo.so.1".into()),
                ("libbar.so.10".into(), "/opt/a/libbar.so.10".into()),
                ("libbar.so.9".into(), "/opt/a/libbar.so.9".into()),
            ]
        );
        assert!(
            read_back(&file)
                .iter()
                .all(|(_, _, flags)| *flags == 0x0303)
        );
    }

    #[test]
    fn header_is_ldconfigs() {
        let file = write(&[entry("libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")]);
        // 48-byte header, one entry, "libz.so.1\0" and the path with its NUL.
        assert_eq!(file.len(), 48 + 24 + 10 + 36);
        assert_eq!(&file[20..24], &1u32.to_le_bytes());
    }
}
