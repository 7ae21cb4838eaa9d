//! OCI platforms (GOOS/GOARCH/variant) and their Debian architecture names.

use std::fmt;

/// An OCI platform: `os`, `architecture` and optional `variant`, spelled as Go spells them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// GOOS value, `linux` for every Debian architecture.
    pub os: String,
    /// GOARCH value: `amd64`, `arm64`, `arm`, `386`, ...
    pub architecture: String,
    /// CPU variant where the OCI spec defines one: `v8` for arm64, `v7`/`v5` for arm.
    pub variant: Option<String>,
}

impl Platform {
    /// A `linux` platform.
    pub fn linux(architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: "linux".to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    /// Whether `self`, as asked for by a user, selects `image`: os and architecture must be
    /// equal, and the variant too unless `self` gives none.
    pub fn selects(&self, image: &Platform) -> bool {
        self.os == image.os
            && self.architecture == image.architecture
            && (self.variant.is_none() || self.variant == image.variant)
    }
}

impl fmt::Display for Platform {
    /// `os/architecture[/variant]`, as docker's `--platform` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// The OCI platform of a Debian architecture (`dpkg --print-architecture` names), or `None`
/// for one aloft does not know.
///
/// amd64 → linux/amd64, arm64 → linux/arm64/v8, armhf → linux/arm/v7, armel → linux/arm/v5,
/// i386 → linux/386, ppc64el → linux/ppc64le, s390x, riscv64, mips64el → linux/mips64le,
/// loong64.
pub fn platform_for_debian_arch(arch: &str) -> Option<Platform> {
    let (architecture, variant) = match arch {
        "amd64" => ("amd64", None),
        "arm64" => ("arm64", Some("v8")),
        "armhf" => ("arm", Some("v7")),
        "armel" => ("arm", Some("v5")),
        "i386" => ("386", None),
        "ppc64el" => ("ppc64le", None),
        "s390x" => ("s390x", None),
        "riscv64" => ("riscv64", None),
        "mips64el" => ("mips64le", None),
        "loong64" => ("loong64", None),
        _ => return None,
    };
    Some(Platform::linux(architecture, variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_names() {
        let cases = [
            ("amd64", "linux/amd64"),
            ("arm64", "linux/arm64/v8"),
            ("armhf", "linux/arm/v7"),
            ("armel", "linux/arm/v5"),
            ("i386", "linux/386"),
            ("ppc64el", "linux/ppc64le"),
            ("s390x", "linux/s390x"),
            ("riscv64", "linux/riscv64"),
            ("mips64el", "linux/mips64le"),
            ("loong64", "linux/loong64"),
        ];
        for (deb, oci) in cases {
            assert_eq!(platform_for_debian_arch(deb).unwrap().to_string(), oci);
        }
        assert_eq!(platform_for_debian_arch("hurd-i386"), None);
        assert_eq!(platform_for_debian_arch("all"), None);
    }

    #[test]
    fn selection() {
        let arm64 = Platform::linux("arm64", Some("v8"));
        assert!(Platform::linux("arm64", None).selects(&arm64));
        assert!(arm64.selects(&arm64));
        assert!(!Platform::linux("arm64", Some("v9")).selects(&arm64));
        assert!(!Platform::linux("amd64", None).selects(&arm64));
    }
}
