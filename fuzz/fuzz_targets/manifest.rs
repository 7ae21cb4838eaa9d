//! A manifest's YAML through the loader and validation (no includes: no files).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("manifests/fuzz.yaml");
    if let Ok(manifest) = aloft_manifest::parse_str(path, text) {
        let _ = aloft_manifest::lock_inputs_digest(&manifest, &["amd64".to_owned()]);
        let _ = manifest.root_packages();
    }
});
