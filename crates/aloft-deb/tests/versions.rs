//! dpkg version ordering checked against `dpkg --compare-versions` on real trixie versions
//! (tests/data/dpkg-version-pairs.tsv, generated once with dpkg by gen-version-pairs.py).

use std::cmp::Ordering;

#[test]
fn version_ordering_matches_dpkg() -> Result<(), Box<dyn std::error::Error>> {
    let text = include_str!("data/dpkg-version-pairs.tsv");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut cols = line.split('\t');
        let (Some(a), Some(b), Some(expected)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!("malformed fixture line `{line}`").into());
        };
        let expected = match expected {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => return Err(format!("bad expectation `{other}`").into()),
        };
        let got = aloft_deb::compare_versions(a, b)?;
        if got != expected {
            wrong.push(format!("{a} vs {b}: dpkg {expected:?}, aloft {got:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 10_000, "only {checked} pairs");
    assert!(
        wrong.is_empty(),
        "{} of {checked} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}
