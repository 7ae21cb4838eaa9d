//! Tiny ELF shared objects for tests: a 64-bit little-endian `ET_DYN` with a
//! `PT_DYNAMIC` segment, `.dynstr`, `.dynamic` (DT_SONAME when given) and `.shstrtab`.
//! Nothing can run it; it is what ldconfig (and aloft) read to list a library.

/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` of AArch64.
pub const EM_AARCH64: u16 = 183;

const EHDR: usize = 64;
const PHDR: usize = 56;
const SHDR: usize = 64;

/// The bytes of a shared object for `machine`, with `soname` as its DT_SONAME.
pub fn shared_object(machine: u16, soname: Option<&str>) -> Vec<u8> {
    dynamic_object(machine, soname, &[], None)
}

/// A shared object that also needs `needed` (DT_NEEDED, in order) and searches `runpath`
/// (DT_RUNPATH, `$ORIGIN` allowed).
pub fn dynamic_object(
    machine: u16,
    soname: Option<&str>,
    needed: &[&str],
    runpath: Option<&str>,
) -> Vec<u8> {
    elf(machine, None, soname, needed, runpath)
}

/// A dynamically linked executable for `machine`: `interpreter` as its program
/// interpreter (PT_INTERP, the dynamic loader), needing `needed`.
pub fn executable(machine: u16, interpreter: &str, needed: &[&str]) -> Vec<u8> {
    elf(machine, Some(interpreter), None, needed, None)
}

fn elf(
    machine: u16,
    interpreter: Option<&str>,
    soname: Option<&str>,
    needed: &[&str],
    runpath: Option<&str>,
) -> Vec<u8> {
    let mut dynstr = vec![0u8];
    let mut dynamic = Vec::new();
    let mut entry = |tag: u64, text: &str, dynstr: &mut Vec<u8>| {
        let offset = dynstr.len() as u64;
        dynstr.extend_from_slice(text.as_bytes());
        dynstr.push(0);
        dynamic.extend_from_slice(&tag.to_le_bytes());
        dynamic.extend_from_slice(&offset.to_le_bytes());
    };
    for name in needed {
        entry(1, name, &mut dynstr); // DT_NEEDED
    }
    if let Some(name) = soname {
        entry(14, name, &mut dynstr); // DT_SONAME
    }
    if let Some(path) = runpath {
        entry(29, path, &mut dynstr); // DT_RUNPATH
    }
    dynamic.extend_from_slice(&[0; 16]); // DT_NULL
    let shstrtab = b"\0.dynstr\0.dynamic\0.shstrtab\0";

    let phnum = if interpreter.is_some() { 2 } else { 1 };
    let interp = interpreter.map(|path| {
        let mut bytes = path.as_bytes().to_vec();
        bytes.push(0);
        bytes
    });
    let interp_at = EHDR + phnum * PHDR;
    let dynstr_at = interp_at + interp.as_ref().map_or(0, Vec::len);
    let dynamic_at = (dynstr_at + dynstr.len()).next_multiple_of(8);
    let shstrtab_at = dynamic_at + dynamic.len();
    let sections_at = (shstrtab_at + shstrtab.len()).next_multiple_of(8);

    let mut file = Vec::new();
    // ELF header.
    file.extend_from_slice(b"\x7fELF");
    file.extend_from_slice(&[2, 1, 1, 0]); // 64-bit, little-endian, version 1, System V
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
    file.extend_from_slice(&machine.to_le_bytes());
    file.extend_from_slice(&1u32.to_le_bytes()); // e_version
    file.extend_from_slice(&0u64.to_le_bytes()); // e_entry
    file.extend_from_slice(&(EHDR as u64).to_le_bytes()); // e_phoff
    file.extend_from_slice(&(sections_at as u64).to_le_bytes()); // e_shoff
    file.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for value in [EHDR, PHDR, phnum, SHDR, 4, 3] {
        // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
        file.extend_from_slice(&(value as u16).to_le_bytes());
    }
    // PT_DYNAMIC.
    file.extend_from_slice(&2u32.to_le_bytes());
    file.extend_from_slice(&6u32.to_le_bytes()); // PF_R | PF_W
    for value in [
        dynamic_at,
        dynamic_at,
        dynamic_at,
        dynamic.len(),
        dynamic.len(),
        8,
    ] {
        // p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
        file.extend_from_slice(&(value as u64).to_le_bytes());
    }
    if let Some(interp) = &interp {
        // PT_INTERP.
        file.extend_from_slice(&3u32.to_le_bytes());
        file.extend_from_slice(&4u32.to_le_bytes()); // PF_R
        for value in [
            interp_at,
            interp_at,
            interp_at,
            interp.len(),
            interp.len(),
            1,
        ] {
            file.extend_from_slice(&(value as u64).to_le_bytes());
        }
        file.extend_from_slice(interp);
    }
    file.extend_from_slice(&dynstr);
    file.resize(dynamic_at, 0);
    file.extend_from_slice(&dynamic);
    file.extend_from_slice(shstrtab);
    file.resize(sections_at, 0);
    // Section headers: null, .dynstr, .dynamic (linked to .dynstr), .shstrtab.
    let mut section = |name: u32, kind: u32, at: usize, size: usize, link: u32, entsize: u64| {
        file.extend_from_slice(&name.to_le_bytes());
        file.extend_from_slice(&kind.to_le_bytes());
        file.extend_from_slice(&0u64.to_le_bytes()); // sh_flags
        file.extend_from_slice(&(at as u64).to_le_bytes()); // sh_addr
        file.extend_from_slice(&(at as u64).to_le_bytes()); // sh_offset
        file.extend_from_slice(&(size as u64).to_le_bytes());
        file.extend_from_slice(&link.to_le_bytes());
        file.extend_from_slice(&0u32.to_le_bytes()); // sh_info
        file.extend_from_slice(&1u64.to_le_bytes()); // sh_addralign
        file.extend_from_slice(&entsize.to_le_bytes());
    };
    section(0, 0, 0, 0, 0, 0);
    section(1, 3, dynstr_at, dynstr.len(), 0, 0);
    section(9, 6, dynamic_at, dynamic.len(), 1, 16);
    section(18, 3, shstrtab_at, shstrtab.len(), 0, 0);
    file
}
