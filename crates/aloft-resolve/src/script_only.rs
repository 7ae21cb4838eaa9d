//! Packages a closure holds only because maintainer scripts run them.
//!
//! apt installs `ucf` for php8.4-cli because its postinst runs `ucf` to copy php.ini, and
//! `debconf` for ca-certificates because its scripts ask questions; `perl-base` comes
//! with debconf. (ca-certificates' `openssl` stays: besides the `c_rehash` its scripts
//! run, it ships `/usr/lib/ssl/certs` and `cert.pem`, where OpenSSL finds the bundle.)
//! An image runs no maintainer script: aloft does what these tools are for
//! itself (the copies, the accounts, the CA bundle), so the image leaves them out, with
//! whatever only they bring in. The lock keeps them (it is what apt would install) and
//! says why each is left out. A package the manifest asks for by name is never left out.

use std::collections::{BTreeMap, BTreeSet};

use crate::DependencyGraph;

/// Packages only maintainer scripts run, with what aloft does in their place.
pub const SCRIPT_TOOLS: [(&str, &str); 6] = [
    (
        "ucf",
        "maintainer scripts run it to install configuration files; aloft copies them itself",
    ),
    (
        "debconf",
        "maintainer scripts ask their questions with it; an image asks none",
    ),
    (
        "cdebconf",
        "maintainer scripts ask their questions with it; an image asks none",
    ),
    (
        "adduser",
        "maintainer scripts create system accounts with it; aloft creates them itself",
    ),
    (
        "init-system-helpers",
        "maintainer scripts register services with it (invoke-rc.d, deb-systemd-helper); an image has no init system",
    ),
    (
        "dpkg",
        "maintainer scripts query and record with it (dpkg-statoverride, dpkg-maintscript-helper); an image is no dpkg system, and aloft applies those itself",
    ),
];

/// Packages that depend on a tool only to keep it in Debian's Essential set, for
/// maintainer scripts and shell scripts that assume it, with why. Their edges are
/// followed only when the image has a shell ([`SHELLS`]) to run such a script.
pub const ESSENTIAL_KEEPERS: [(&str, &str); 1] = [(
    "base-files",
    "whose Pre-Depends on awk keeps an awk in Debian's Essential set for scripts, and the image has no shell to run one",
)];

/// Packages that give an image a shell (`/bin/sh` or another).
pub const SHELLS: [&str; 8] = [
    "dash",
    "bash",
    "busybox",
    "busybox-static",
    "zsh",
    "mksh",
    "posh",
    "yash",
];

fn keeper_reason(name: &str) -> Option<&'static str> {
    ESSENTIAL_KEEPERS
        .iter()
        .find(|(keeper, _)| *keeper == name)
        .map(|(_, why)| *why)
}

fn tool_reason(name: &str) -> Option<&'static str> {
    SCRIPT_TOOLS
        .iter()
        .find(|(tool, _)| *tool == name)
        .map(|(_, why)| *why)
}

/// The packages of `graph` that `roots` (the requested packages' indexes) need only
/// through maintainer scripts, by name, with why.
pub fn left_out(graph: &DependencyGraph, roots: &[usize]) -> BTreeMap<String, String> {
    let requested: BTreeSet<usize> = roots.iter().copied().collect();
    let follow = |shell: bool| {
        let requested = &requested;
        move |from: usize, to: usize| {
            requested.contains(&to)
                || (tool_reason(graph.name(to)).is_none()
                    && (shell || keeper_reason(graph.name(from)).is_none()))
        }
    };
    // The Essential set's tools stay when what the image keeps has a shell.
    let mut kept = graph.reachable_by(roots, follow(false));
    if (0..graph.len()).any(|i| kept[i] && SHELLS.contains(&graph.name(i))) {
        kept = graph.reachable_by(roots, follow(true));
    }
    let mut out = BTreeMap::new();
    for index in (0..graph.len()).filter(|&i| !kept[i]) {
        let name = graph.name(index);
        let reason = if let Some(why) = tool_reason(name) {
            format!("only maintainer scripts run it: {why}")
        } else if let Some((keeper, why)) = graph
            .dependents(index)
            .iter()
            .all(|&d| kept[d] && keeper_reason(graph.name(d)).is_some())
            .then(|| graph.dependents(index).first().copied())
            .flatten()
            .and_then(|d| Some((graph.name(d), keeper_reason(graph.name(d))?)))
        {
            format!("needed only by `{keeper}`, {why}")
        } else {
            let by: Vec<&str> = graph
                .dependents(index)
                .iter()
                .filter(|&&d| !kept[d])
                .map(|&d| graph.name(d))
                .collect();
            format!(
                "needed only by {}, which the image leaves out",
                by.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.insert(name.to_owned(), reason);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(paragraphs: &[&str]) -> DependencyGraph {
        let packages = crate::graph::test_packages(paragraphs);
        DependencyGraph::new(&packages).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn script_tools_and_what_only_they_bring_are_left_out() {
        let g = graph(&[
            "Package: php8.4-cli\nVersion: 1\nDepends: ucf, libc6, php8.4-common",
            "Package: php8.4-common\nVersion: 1\nDepends: ucf, libc6",
            "Package: ucf\nVersion: 1\nDepends: debconf, sensible-utils, coreutils",
            "Package: debconf\nVersion: 1\nPre-Depends: perl-base",
            "Package: perl-base\nVersion: 1\nDepends: libc6",
            "Package: sensible-utils\nVersion: 1",
            "Package: coreutils\nVersion: 1\nDepends: libc6",
            "Package: libc6\nVersion: 2.41",
            "Package: ca-certificates\nVersion: 1\nDepends: openssl, debconf (>= 0.5) | debconf-2.0",
            "Package: openssl\nVersion: 1\nDepends: libc6",
        ]);
        let id = |name| g.index(name).unwrap_or(usize::MAX);
        let out = left_out(&g, &[id("php8.4-cli"), id("ca-certificates")]);
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["coreutils", "debconf", "perl-base", "sensible-utils", "ucf"]
        );
        assert!(out["ucf"].starts_with("only maintainer scripts run it"));
        // openssl is more than ca-certificates' script tool: its /usr/lib/ssl links are
        // where OpenSSL looks for the CA bundle.
        assert!(!out.contains_key("openssl"));
        assert_eq!(
            out["perl-base"],
            "needed only by `debconf`, which the image leaves out"
        );
        // Asked for by name, a tool stays, and so does what it needs.
        let out = left_out(&g, &[id("php8.4-cli"), id("ucf")]);
        assert!(!out.contains_key("ucf") && !out.contains_key("sensible-utils"));
        assert!(out.contains_key("debconf"));
    }

    #[test]
    fn the_awk_base_files_keeps_for_scripts_stays_only_with_a_shell() {
        // Only a shell's scripts need the awk base-files keeps in the Essential set.
        let g = graph(&[
            "Package: base-files\nVersion: 1\nPre-Depends: awk",
            "Package: mawk\nVersion: 1\nProvides: awk\nDepends: libc6",
            "Package: libc6\nVersion: 2.41",
            "Package: app\nVersion: 1\nDepends: libc6",
        ]);
        let id = |name| g.index(name).unwrap_or(usize::MAX);
        let out = left_out(&g, &[id("base-files"), id("app")]);
        assert_eq!(out.keys().collect::<Vec<_>>(), ["mawk"]);
        assert!(
            out["mawk"].starts_with("needed only by `base-files`, whose Pre-Depends"),
            "{out:?}"
        );
        // What only the awk needs goes with it.
        let out = left_out(&g, &[id("base-files")]);
        assert!(
            out.contains_key("mawk") && out.contains_key("libc6"),
            "{out:?}"
        );
        let with_shell = graph(&[
            "Package: base-files\nVersion: 1\nPre-Depends: awk",
            "Package: mawk\nVersion: 1\nProvides: awk",
            "Package: dash\nVersion: 1",
        ]);
        let id = |name| with_shell.index(name).unwrap_or(usize::MAX);
        assert!(left_out(&with_shell, &[id("base-files"), id("dash")]).is_empty());
    }
}
