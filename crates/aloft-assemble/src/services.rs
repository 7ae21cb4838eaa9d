//! `entrypoint.services`: an s6 supervision tree, with s6-svscan as PID 1.
//!
//! Each service gets `/run/service/<name>/run`, an execline script (no shell) that execs
//! the service's argv. s6-svscan reaps zombies and, on SIGTERM (docker stop), brings
//! every service down with SIGTERM and exits 0 once they are gone. On SIGQUIT the
//! `.s6-svscan/SIGQUIT` script sends SIGQUIT (a graceful stop for nginx and php-fpm),
//! marks each service not to restart, waits for all of them, then stops s6-svscan.
//!
//! s6-svscan and s6-supervise write their control files (`.s6-svscan/control`,
//! `<service>/supervise/`, `<service>/event/`) into the tree, so its directories belong to
//! the user the image runs as; the scripts stay root's.

use std::collections::BTreeMap;

use aloft_manifest::Origin;

use crate::error::AssembleError;
use crate::final_layer::{FinalLayer, InstalledTree};
use crate::layer_writer::Meta;
use crate::path;

/// The scan directory, in the image.
pub const SCAN_DIR: &str = "/run/service";
/// execline's interpreter; Debian keeps execline's programs out of /usr/bin.
const EXECLINEB: &str = "/usr/lib/execline/bin/execlineb";
const FOREGROUND: &str = "/usr/lib/execline/bin/foreground";
const S6_SVSCAN: &str = "/usr/bin/s6-svscan";
const S6_SVSCANCTL: &str = "/usr/bin/s6-svscanctl";
const S6_SVC: &str = "/usr/bin/s6-svc";
const S6_SVWAIT: &str = "/usr/bin/s6-svwait";

/// Quotes `word` for execlineb: inside double quotes only `"` and `\` are special, and a
/// quoted `{`, `}` or `#` is a plain word.
pub fn execline_quote(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The execline script that runs `argv` in place of itself.
pub fn run_script(argv: &[String]) -> String {
    let words: Vec<String> = argv.iter().map(|w| execline_quote(w)).collect();
    format!("#!{EXECLINEB} -P\n{}\n", words.join(" "))
}

/// The `.s6-svscan/SIGQUIT` script: SIGQUIT to every service, none restarted, wait until
/// all are down, then terminate s6-svscan.
fn sigquit_script(names: &[&String]) -> String {
    let mut script = format!("#!{EXECLINEB} -P\n");
    for name in names {
        script.push_str(&format!(
            "{FOREGROUND} {{ {S6_SVC} -O -q {} }}\n",
            execline_quote(&format!("{SCAN_DIR}/{name}"))
        ));
    }
    let dirs: Vec<String> = names
        .iter()
        .map(|name| execline_quote(&format!("{SCAN_DIR}/{name}")))
        .collect();
    script.push_str(&format!(
        "{FOREGROUND} {{ {S6_SVWAIT} -a -D {} }}\n",
        dirs.join(" ")
    ));
    script.push_str(&format!("{S6_SVSCANCTL} -t {SCAN_DIR}\n"));
    script
}

/// In the image: a file of a package, or one the final layer already holds.
fn in_image(layer: &FinalLayer, tree: &InstalledTree<'_>, absolute: &str) -> bool {
    match path::image_path(absolute) {
        Ok(Some(p)) => tree.get(&p).is_some() || layer.has(&p),
        _ => false,
    }
}

/// Adds the tree for `services` to `layer`, its directories owned by `owner` (uid, gid),
/// and returns the image's entrypoint.
pub fn add_service_tree(
    layer: &mut FinalLayer,
    tree: &InstalledTree<'_>,
    services: &BTreeMap<String, Vec<String>>,
    origin: &Origin,
    owner: (u64, u64),
    epoch: u64,
) -> Result<Vec<String>, AssembleError> {
    for tool in [
        EXECLINEB,
        FOREGROUND,
        S6_SVSCAN,
        S6_SVSCANCTL,
        S6_SVC,
        S6_SVWAIT,
    ] {
        if !in_image(layer, tree, tool) {
            return Err(AssembleError::Manifest {
                origin: origin.to_string(),
                message: format!(
                    "`entrypoint.services` runs on s6 and execline, but `{tool}` is not in the image (are `s6` and `execline` excluded or replaced?)"
                ),
            });
        }
    }
    for (name, argv) in services {
        let program = argv.first().map(String::as_str).unwrap_or_default();
        if program.starts_with('/') && !in_image(layer, tree, program) {
            return Err(AssembleError::Manifest {
                origin: origin.to_string(),
                message: format!(
                    "service `{name}` runs `{program}`, which no package, `files:` entry or alternative puts in the image"
                ),
            });
        }
    }
    let dir_meta = Meta {
        mode: 0o755,
        uid: owner.0,
        gid: owner.1,
        mtime: epoch,
    };
    let scan_dir = SCAN_DIR.trim_start_matches('/');
    layer.add_dir(scan_dir, dir_meta);
    layer.add_dir(&format!("{scan_dir}/.s6-svscan"), dir_meta);
    let names: Vec<&String> = services.keys().collect();
    layer.add_file(
        &format!("{scan_dir}/.s6-svscan/SIGQUIT"),
        sigquit_script(&names).into_bytes(),
        0o755,
        epoch,
    );
    for (name, argv) in services {
        let dir = format!("{scan_dir}/{name}");
        layer.add_dir(&dir, dir_meta);
        layer.add_file(
            &format!("{dir}/run"),
            run_script(argv).into_bytes(),
            0o755,
            epoch,
        );
    }
    Ok(vec![S6_SVSCAN.to_owned(), SCAN_DIR.to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_only_quote_and_backslash() {
        assert_eq!(execline_quote("daemon off;"), r#""daemon off;""#);
        assert_eq!(execline_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(execline_quote("{"), r#""{""#);
        assert_eq!(execline_quote("$HOME"), r#""$HOME""#);
    }

    #[test]
    fn run_script_execs_the_argv() {
        let argv = ["/usr/sbin/nginx", "-g", "daemon off;"].map(str::to_owned);
        assert_eq!(
            run_script(&argv),
            "#!/usr/lib/execline/bin/execlineb -P\n\"/usr/sbin/nginx\" \"-g\" \"daemon off;\"\n"
        );
    }

    #[test]
    fn sigquit_stops_every_service_then_the_scanner() {
        let names = ["nginx".to_owned(), "php-fpm".to_owned()];
        let refs: Vec<&String> = names.iter().collect();
        let script = sigquit_script(&refs);
        assert!(script.contains("/usr/bin/s6-svc -O -q \"/run/service/nginx\" }"));
        assert!(script.contains("/usr/bin/s6-svc -O -q \"/run/service/php-fpm\" }"));
        assert!(
            script.contains("s6-svwait -a -D \"/run/service/nginx\" \"/run/service/php-fpm\" }")
        );
        assert!(script.ends_with("/usr/bin/s6-svscanctl -t /run/service\n"));
    }
}
