//! Content digests: `sha256:<64 lowercase hex>`, the only algorithm aloft writes.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::OciError;

const PREFIX: &str = "sha256:";

/// A validated `sha256:<64 lowercase hex>` content digest.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    /// Parses and validates `sha256:<64 lowercase hex>`.
    pub fn parse(text: &str) -> Result<Digest, OciError> {
        let invalid = |reason| OciError::InvalidDigest {
            value: text.to_owned(),
            reason,
        };
        let hex = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| invalid("expected the prefix \"sha256:\""))?;
        Self::check_hex(hex).map_err(invalid)?;
        Ok(Digest(text.to_owned()))
    }

    /// The digest whose hex part is `hex` (64 lowercase hex digits).
    pub fn from_hex(hex: &str) -> Result<Digest, OciError> {
        Self::check_hex(hex).map_err(|reason| OciError::InvalidDigest {
            value: hex.to_owned(),
            reason,
        })?;
        Ok(Digest(format!("{PREFIX}{hex}")))
    }

    /// The SHA-256 digest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Digest {
        Self::from_sha256(Sha256::digest(bytes).into())
    }

    /// The digest of a finished SHA-256 hash (for callers that hash while streaming).
    pub fn from_sha256(hash: [u8; 32]) -> Digest {
        Digest(format!("{PREFIX}{}", hex::encode(hash)))
    }

    /// The 64 hex digits, as used in `blobs/sha256/<hex>`.
    pub fn hex(&self) -> &str {
        self.0.get(PREFIX.len()..).unwrap_or_default()
    }

    /// The full `sha256:<hex>` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn check_hex(hex: &str) -> Result<(), &'static str> {
        if hex.len() != 64 {
            return Err("expected 64 hex digits after \"sha256:\"");
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("expected lowercase hex digits only");
        }
        Ok(())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Digest {
    type Err = OciError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = OciError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Digest::parse(&value)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> String {
        digest.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let empty = Digest::of_bytes(b"");
        assert_eq!(
            empty.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(empty.as_str()).unwrap(), empty);
        assert_eq!(Digest::from_hex(empty.hex()).unwrap(), empty);
        assert_eq!(empty.to_string(), empty.as_str());
        for bad in [
            "",
            "sha256:",
            "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
        ] {
            let err = Digest::parse(bad).unwrap_err();
            assert!(err.to_string().contains("Invalid digest"), "{err}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let d = Digest::of_bytes(b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
    }
}
