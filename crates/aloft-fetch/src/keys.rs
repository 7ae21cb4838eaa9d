//! The Debian archive keys shipped with aloft (from `debian-archive-keyring`; see
//! `keys/debian/README.md`), used for `archive: debian` and `archive: debian-security`.

use aloft_deb::{Error, Keyring};

const DEBIAN_KEYS: [(&str, &[u8]); 5] = [
    (
        "debian-archive-trixie-automatic.asc",
        include_bytes!("../keys/debian/debian-archive-trixie-automatic.asc"),
    ),
    (
        "debian-archive-trixie-security-automatic.asc",
        include_bytes!("../keys/debian/debian-archive-trixie-security-automatic.asc"),
    ),
    (
        "debian-archive-trixie-stable.asc",
        include_bytes!("../keys/debian/debian-archive-trixie-stable.asc"),
    ),
    (
        "debian-archive-bookworm-automatic.asc",
        include_bytes!("../keys/debian/debian-archive-bookworm-automatic.asc"),
    ),
    (
        "debian-archive-bookworm-security-automatic.asc",
        include_bytes!("../keys/debian/debian-archive-bookworm-security-automatic.asc"),
    ),
];

/// The keyring that official archives are verified against.
pub fn debian_archive_keyring() -> Result<Keyring, Error> {
    let mut keyring = Keyring::default();
    for (name, bytes) in DEBIAN_KEYS {
        keyring.extend(Keyring::from_bytes(name, bytes)?);
    }
    Ok(keyring)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_keys_parse() -> Result<(), aloft_deb::Error> {
        let keyring = super::debian_archive_keyring()?;
        let fingerprints = keyring.fingerprints();
        assert!(
            fingerprints
                .iter()
                .any(|f| f == "04B54C3CDCA79751B16BC6B5225629DF75B188BD"),
            "{fingerprints:?}"
        );
        assert_eq!(fingerprints.len(), 5);
        Ok(())
    }
}
