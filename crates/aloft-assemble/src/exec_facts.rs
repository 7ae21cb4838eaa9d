//! What a regular file tells the image check, read while its layer is written: an ELF
//! file's machine, program interpreter, DT_NEEDED libraries and run paths; a script's `#!`
//! line. Kept in the layer's index (cached with it), so the check costs no second pass
//! over the .debs. Parsed with the `object` crate.

use object::Endianness;
use object::elf::{DT_NEEDED, DT_RPATH, DT_RUNPATH, FileHeader32, FileHeader64, PT_INTERP};
use object::read::elf::{FileHeader, ProgramHeader};
use serde::{Deserialize, Serialize};

/// How many bytes of a file are read to tell an ELF file or a script.
pub const PREFIX_LEN: usize = 256;

/// An ELF file larger than this is not parsed (nothing in Debian comes close).
pub const ELF_LIMIT: u64 = 512 << 20;

/// What the image check needs of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecFacts {
    /// A dynamically linked ELF file.
    Elf {
        /// `e_machine`.
        machine: u16,
        /// PT_INTERP (`/lib64/ld-linux-x86-64.so.2`), for executables.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interpreter: Option<String>,
        /// DT_NEEDED, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        needed: Vec<String>,
        /// DT_RUNPATH and DT_RPATH directories, as written (`$ORIGIN/../lib`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        runpath: Vec<String>,
    },
    /// An executable file starting with `#!`: the interpreter and its argument.
    Script {
        /// The interpreter path (`/usr/bin/env`, `/bin/sh`).
        interpreter: String,
        /// The argument that follows it, if any (`python3` after `/usr/bin/env`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        argument: Option<String>,
    },
}

/// Whether a file starting with `prefix` is worth reading whole (an ELF file).
pub fn is_elf(prefix: &[u8]) -> bool {
    prefix.starts_with(b"\x7fELF")
}

/// The `#!` line of an executable file, from its first bytes.
pub fn script_facts(prefix: &[u8], mode: u32) -> Option<ExecFacts> {
    if mode & 0o111 == 0 || !prefix.starts_with(b"#!") {
        return None;
    }
    let line_end = prefix.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&prefix[2..line_end]).ok()?;
    let mut words = line.split_whitespace();
    let interpreter = words.next()?.to_owned();
    let argument = words.next().map(str::to_owned);
    Some(ExecFacts::Script {
        interpreter,
        argument,
    })
}

/// The dynamic facts of an ELF file; `None` for a static or unreadable one.
pub fn elf_facts(data: &[u8]) -> Option<ExecFacts> {
    fn read<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<ExecFacts> {
        let header = Elf::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let machine = header.e_machine(endian);
        let mut interpreter = None;
        for segment in header.program_headers(endian, data).ok()? {
            if segment.p_type(endian) == PT_INTERP
                && let Ok(Some(bytes)) = segment.interpreter(endian, data)
            {
                interpreter = Some(String::from_utf8_lossy(bytes).into_owned());
            }
        }
        let sections = header.sections(endian, data).ok()?;
        let (mut needed, mut runpath) = (Vec::new(), Vec::new());
        if let Ok(table) = sections.dynamic_table(endian, data) {
            for entry in &table {
                let text = || {
                    String::from_utf8_lossy(table.string(entry).unwrap_or_default()).into_owned()
                };
                if entry.tag == DT_NEEDED {
                    needed.push(text());
                } else if entry.tag == DT_RUNPATH || entry.tag == DT_RPATH {
                    runpath.extend(
                        text()
                            .split(':')
                            .filter(|d| !d.is_empty())
                            .map(str::to_owned),
                    );
                }
            }
        }
        if interpreter.is_none() && needed.is_empty() {
            return None;
        }
        Some(ExecFacts::Elf {
            machine: machine.0,
            interpreter,
            needed,
            runpath,
        })
    }
    match data.get(4) {
        Some(2) => read::<FileHeader64<Endianness>>(data),
        Some(1) => read::<FileHeader32<Endianness>>(data),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_the_exec_bit_and_a_whole_first_line() {
        assert_eq!(
            script_facts(b"#!/usr/bin/env python3\nprint()\n", 0o755),
            Some(ExecFacts::Script {
                interpreter: "/usr/bin/env".into(),
                argument: Some("python3".into()),
            })
        );
        assert_eq!(
            script_facts(b"#! /bin/sh -e\n", 0o755),
            Some(ExecFacts::Script {
                interpreter: "/bin/sh".into(),
                argument: Some("-e".into()),
            })
        );
        assert_eq!(script_facts(b"#!/bin/sh\n", 0o644), None);
        assert_eq!(script_facts(b"#!/bin/sh", 0o755), None);
        assert_eq!(script_facts(b"\x7fELF", 0o755), None);
    }

    #[test]
    fn elf_facts_of_the_test_binary() {
        // This test's own executable: a dynamically linked ELF of the host.
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        match elf_facts(&data) {
            Some(ExecFacts::Elf {
                interpreter,
                needed,
                ..
            }) => {
                assert!(interpreter.is_some_and(|i| i.contains("ld-linux")));
                assert!(
                    needed.iter().any(|n| n.starts_with("libc.so")),
                    "{needed:?}"
                );
            }
            other => panic!("not a dynamic ELF: {other:?}"),
        }
    }
}
