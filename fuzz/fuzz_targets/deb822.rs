//! deb822 as aloft reads it: a Packages index (every paragraph and field), a Release.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for paragraph in aloft_deb::paragraphs("fuzz", text) {
        if let Ok(fields) = paragraph {
            for (name, value) in fields.iter() {
                let _ = (name.len(), value.len());
            }
        }
    }
    if let Ok(packages) = aloft_deb::parse_packages("Packages", text) {
        for package in &packages {
            let _ = (package.name(), package.version(), package.depends());
        }
    }
    let _ = aloft_deb::Release::parse("Release", text);
});
