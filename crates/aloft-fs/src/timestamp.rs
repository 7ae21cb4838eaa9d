//! RFC 3339 in UTC with whole seconds (`2025-08-09T09:56:44Z`), as locks, image configs
//! and SBOMs record time.

use time::{OffsetDateTime, UtcOffset};

/// `when` in UTC, whole seconds, `Z` suffix.
pub fn rfc3339(when: OffsetDateTime) -> String {
    let utc = when.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// The timestamp of `epoch` seconds, or `None` outside the years time can represent.
pub fn rfc3339_of_epoch(epoch: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(epoch).ok().map(rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_the_well_known_format_does_for_whole_seconds() {
        for epoch in [0, 1_754_733_404, 253_402_300_799] {
            let ours = rfc3339_of_epoch(epoch);
            let theirs = OffsetDateTime::from_unix_timestamp(epoch)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                });
            assert_eq!(ours, theirs);
        }
        assert_eq!(
            rfc3339_of_epoch(1_754_733_404).as_deref(),
            Some("2025-08-09T09:56:44Z")
        );
        assert_eq!(rfc3339_of_epoch(i64::MAX), None);
    }
}
