//! What ldconfig reads from a library: is it an ELF shared object of the platform with a
//! dynamic section, and its DT_SONAME. Parsed with the `object` crate.

use object::Endianness;
use object::elf::{DT_SONAME, ET_DYN, FileHeader64, Machine, PT_DYNAMIC};
use object::read::elf::{FileHeader, ProgramHeader};

/// `e_machine` of x86-64.
pub const EM_X86_64: Machine = object::elf::EM_X86_64;
/// `e_machine` of AArch64.
pub const EM_AARCH64: Machine = object::elf::EM_AARCH64;

/// `None` unless `data` is a 64-bit ELF shared object (`ET_DYN` with a `PT_DYNAMIC`
/// segment) for `machine`; then its DT_SONAME, if it has one. Linker scripts, other
/// architectures' files and broken files are `None`, as ldconfig skips them.
pub fn shared_object_soname(data: &[u8], machine: Machine) -> Option<Option<String>> {
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let endian = header.endian().ok()?;
    if header.e_type(endian) != ET_DYN || header.e_machine(endian) != machine {
        return None;
    }
    let segments = header.program_headers(endian, data).ok()?;
    if !segments.iter().any(|s| s.p_type(endian) == PT_DYNAMIC) {
        return None;
    }
    let sections = header.sections(endian, data).ok()?;
    let table = sections.dynamic_table(endian, data).ok()?;
    for entry in &table {
        if entry.tag == DT_SONAME {
            let name = table.string(entry).ok()?;
            return Some(Some(String::from_utf8_lossy(name).into_owned()));
        }
    }
    Some(None)
}
