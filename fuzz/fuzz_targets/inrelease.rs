//! InRelease: the clearsigned framing, the signatures, then the signed Release, verified
//! against the Debian archive keys aloft ships.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

fn keyring() -> &'static Option<aloft_deb::Keyring> {
    static KEYRING: OnceLock<Option<aloft_deb::Keyring>> = OnceLock::new();
    KEYRING.get_or_init(|| {
        aloft_deb::Keyring::from_bytes(
            "trixie",
            include_bytes!(
                "../../crates/aloft-fetch/keys/debian/debian-archive-trixie-automatic.asc"
            ),
        )
        .ok()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(keyring) = keyring() else {
        return;
    };
    // A fixed "now" (2026-01-01): the same input always takes the same path.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    if let Ok(verified) = aloft_deb::verify_inrelease("InRelease", data, keyring, now) {
        let _ = aloft_deb::Release::parse("InRelease", &verified.text);
    }
});
