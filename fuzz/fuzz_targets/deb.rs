//! A .deb: the ar members, the control tar (control, scripts, md5sums) and every data tar
//! entry, read to the end, as the assembler streams it.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = aloft_deb::DebReader::new(std::io::Cursor::new(data), "fuzz.deb");
    let Ok(control) = reader.control() else {
        return;
    };
    let _ = control.control().map(str::len);
    let names: Vec<String> = control.names().map(str::to_owned).collect();
    for name in names {
        let _ = control.text(&name);
    }
    let Ok(data_tar) = reader.data() else {
        return;
    };
    let mut archive = tar::Archive::new(data_tar);
    let Ok(entries) = archive.entries() else {
        return;
    };
    for entry in entries {
        let Ok(mut entry) = entry else {
            return;
        };
        let _ = entry.path_bytes().len();
        let _ = entry.link_name_bytes().map(|l| l.len());
        let mut sink = Vec::new();
        if (&mut entry).take(1 << 20).read_to_end(&mut sink).is_err() {
            return;
        }
    }
});
