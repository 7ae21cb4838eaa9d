//! dpkg versions (parse, compare both ways) and relation fields (Depends, Provides ...).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `A\nB\nrelations`: two versions to compare, the rest a relation field.
    let mut parts = text.splitn(3, '\n');
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let relations = parts.next().unwrap_or_default();
    if let (Ok(x), Ok(y)) = (aloft_deb::parse_version(a), aloft_deb::parse_version(b)) {
        // Antisymmetric: comparing the other way gives the reverse order.
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "{a:?} vs {b:?}");
    }
    if let (Ok(forward), Ok(backward)) = (
        aloft_deb::compare_versions(a, b),
        aloft_deb::compare_versions(b, a),
    ) {
        assert_eq!(forward, backward.reverse(), "{a:?} vs {b:?}");
    }
    if let Ok(parsed) = aloft_deb::parse_relations("fuzz", "Depends", relations) {
        for group in parsed.iter() {
            for relation in group.iter() {
                let _ = relation.name.len();
            }
        }
    }
});
