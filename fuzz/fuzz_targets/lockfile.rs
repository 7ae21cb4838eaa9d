//! A lockfile: JSON, format version, every entry's checks; what parses writes back to
//! text that parses to the same lock.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("fuzz.lock.json");
    if let Ok(lock) = aloft_lockfile::Lockfile::parse(path, text) {
        let again = aloft_lockfile::Lockfile::parse(path, &lock.to_text());
        assert!(again.is_ok_and(|again| again == lock));
    }
});
