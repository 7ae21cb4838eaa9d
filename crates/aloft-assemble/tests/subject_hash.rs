//! The subject hash of every trixie Mozilla root equals what `openssl x509 -subject_hash`
//! printed for it (tests/data, generated once with OpenSSL 3.0).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use aloft_assemble::subject_hash::{pem_to_der, subject_hash};

#[test]
fn matches_openssl_on_every_mozilla_root() {
    let roots = include_str!("data/mozilla-roots.txt");
    let expected: BTreeMap<&str, &str> = include_str!("data/mozilla-subject-hashes.tsv")
        .lines()
        .map(|line| line.split_once('\t').unwrap())
        .collect();
    let mut checked = 0;
    let mut pem = String::new();
    let mut name = "";
    let mut check = |name: &str, pem: &str| {
        if name.is_empty() {
            return;
        }
        let der = pem_to_der(pem).unwrap();
        assert_eq!(subject_hash(&der).unwrap(), expected[name], "{name}");
        checked += 1;
    };
    for line in roots.lines() {
        if let Some(next) = line.strip_prefix("# ") {
            check(name, &pem);
            name = next;
            pem.clear();
        } else {
            pem.push_str(line);
            pem.push('\n');
        }
    }
    check(name, &pem);
    assert_eq!(checked, 148);
}

#[test]
fn garbage_is_an_error() {
    assert!(subject_hash(b"not a certificate").is_err());
    assert!(pem_to_der("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n").is_err());
}
