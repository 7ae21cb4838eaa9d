//! Slim images, as Debian's own slim images make them with dpkg's `path-exclude`:
//! documentation, manual pages, info pages, translations and lintian overrides are not
//! installed. What a program needs at run time stays: each package's `copyright` (and
//! its `/usr/share/doc/PACKAGE` directory or link, which the copyright sits in), and
//! glibc's `locale.alias`. A manifest keeps everything with `slim: false`.

/// Directories whose contents a slim image leaves out (the directories stay).
const LEFT_OUT_BELOW: [&str; 6] = [
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
    "usr/share/linda",
];

/// Whether a slim image leaves out the image path `path` (relative, `usr/share/...`).
pub fn left_out(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    for root in LEFT_OUT_BELOW {
        let Some(below) = path
            .strip_prefix(root)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        if below.is_empty() {
            return false;
        }
        return match root {
            // `doc/PACKAGE` (a directory, or a link to another package's) and
            // `doc/PACKAGE/copyright`.
            "usr/share/doc" => {
                let mut parts = below.split('/');
                let (_, rest, more) = (parts.next(), parts.next(), parts.next());
                !matches!((rest, more), (None, _) | (Some("copyright"), None))
            }
            // glibc resolves locale names through it.
            "usr/share/locale" => below != "locale.alias",
            _ => true,
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_out_documentation_but_keeps_copyright_and_locale_alias() {
        for gone in [
            "usr/share/doc/php8.4-cli/changelog.Debian.gz",
            "usr/share/doc/php8.4-cli/examples/x.php",
            "usr/share/man/man1/php8.4.1.gz",
            "usr/share/man/de/man1",
            "usr/share/info/dir",
            "usr/share/locale/fr/LC_MESSAGES/coreutils.mo",
            "usr/share/lintian/overrides/php8.4-cli",
            "usr/share/doc/libc6/copyright/extra",
        ] {
            assert!(left_out(gone), "{gone} was kept");
        }
        for kept in [
            "usr/share/doc",
            "usr/share/doc/",
            "usr/share/man",
            "usr/share/doc/php8.4-cli",
            "usr/share/doc/php8.4-cli/",
            "usr/share/doc/php8.4-cli/copyright",
            "usr/share/locale/locale.alias",
            "usr/share/docs/x",
            "usr/share/php/x",
            "usr/bin/php8.4",
        ] {
            assert!(!left_out(kept), "{kept} was left out");
        }
    }
}
