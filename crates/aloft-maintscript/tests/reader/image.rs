//! A pretend image for the file oracle: a merged-/usr base plus what each test adds.

use std::collections::HashMap;

use aloft_maintscript::{Call, Context, FileKind, Located, Reading, Skipped, Why, read_postinst};

/// Paths of an image: `dir/`, `file`, `exe*`, `link -> target`; parents are implied.
pub struct Image(HashMap<String, FileKind>);

impl Image {
    /// A Debian base: merged /usr, /etc, /var, /run, /usr/bin with a shell.
    pub fn base() -> Self {
        Self::new(&[
            "/bin -> usr/bin",
            "/sbin -> usr/sbin",
            "/lib -> usr/lib",
            "/lib64 -> usr/lib64",
            "/etc/",
            "/root/",
            "/tmp/",
            "/var/lib/dpkg/",
            "/var/log/",
            "/var/cache/",
            "/run/",
            "/usr/bin/dash*",
            "/usr/bin/sh -> dash",
            "/usr/sbin/",
            "/usr/lib/",
            "/usr/lib64/",
            "/usr/share/",
        ])
    }

    /// The php-fpm + nginx image of the lockfile, as far as the fixtures look at it:
    /// a base plus what the packages ship (paths checked against their data.tar).
    pub fn trixie() -> Self {
        let mut image = Self::base();
        image.add(&[
            // base-files
            "/etc/dpkg/origins/debian",
            "/run/",
            "/usr/share/info/",
            "/var/lock/",
            "/var/run/",
            "/var/spool/",
            "/usr/share/base-files/dot.profile",
            "/usr/share/base-files/dot.bashrc",
            "/usr/share/base-files/profile",
            "/usr/share/base-files/motd",
            "/usr/share/base-files/info.dir",
            // base-passwd
            "/usr/share/base-passwd/passwd.master",
            "/usr/share/base-passwd/group.master",
            // php-common
            "/usr/lib/php/php-maintscript-helper",
            "/usr/sbin/phpenmod*",
            "/usr/sbin/phpdismod -> phpenmod",
            "/usr/sbin/phpquery*",
            "/var/lib/php/modules/",
            "/var/lib/php/sessions/",
            // php8.4-cli, -common, -mbstring, -fpm
            "/usr/bin/php8.4*",
            "/usr/bin/phar8.4.phar*",
            "/usr/bin/phar8.4 -> phar8.4.phar",
            "/usr/bin/phar.phar8.4 -> phar8.4.phar",
            "/usr/lib/php/8.4/php.ini-production",
            "/usr/lib/php/8.4/php.ini-production.cli",
            "/etc/php/8.4/mods-available/",
            "/usr/share/php8.4-mbstring/mbstring/mbstring.ini",
            "/usr/share/php8.4-common/common/ctype.ini",
            "/etc/init.d/php8.4-fpm*",
            "/usr/sbin/php-fpm8.4*",
            "/usr/lib/tmpfiles.d/php8.4-fpm.conf",
            // systemd-standalone-tmpfiles
            "/usr/bin/systemd-tmpfiles.standalone*",
            "/usr/bin/systemd-tmpfiles -> systemd-tmpfiles.standalone",
            // nginx-common
            "/etc/init.d/nginx*",
            "/etc/nginx/sites-available/default",
            "/etc/nginx/sites-enabled/",
            "/usr/share/nginx/html/index.html",
            "/var/log/nginx/",
            // ca-certificates, openssl, mawk, tzdata, ucf
            "/etc/ssl/certs/",
            "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
            "/usr/sbin/update-ca-certificates*",
            "/usr/lib/ssl/certs -> /etc/ssl/certs",
            "/usr/bin/mawk*",
            "/usr/share/zoneinfo/Etc/UTC",
            "/usr/bin/ucf*",
            "/var/lib/ucf/",
        ]);
        image
    }

    pub fn new(paths: &[&str]) -> Self {
        let mut image = Self(HashMap::new());
        image.add(paths);
        image
    }

    pub fn add(&mut self, paths: &[&str]) -> &mut Self {
        for spec in paths {
            let (path, kind) = if let Some((path, target)) = spec.split_once(" -> ") {
                (path.to_owned(), FileKind::Symlink(target.to_owned()))
            } else if let Some(path) = spec.strip_suffix('/') {
                (path.to_owned(), FileKind::Dir)
            } else if let Some(path) = spec.strip_suffix('*') {
                (path.to_owned(), FileKind::Executable)
            } else {
                ((*spec).to_owned(), FileKind::File)
            };
            let mut parent = path.as_str();
            while let Some(i) = parent.rfind('/') {
                parent = &parent[..i];
                if parent.is_empty() {
                    break;
                }
                self.0.entry(parent.to_owned()).or_insert(FileKind::Dir);
            }
            self.0.insert(path, kind);
        }
        self
    }

    /// The names in directory `dir`, sorted; `None` when it is no directory.
    pub fn list(&self, dir: &str) -> Option<Vec<String>> {
        if dir != "/" && self.lookup(dir) != Some(FileKind::Dir) {
            return None;
        }
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        let mut names: Vec<String> = self
            .0
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_owned)
            .collect();
        names.sort();
        Some(names)
    }

    pub fn lookup(&self, path: &str) -> Option<FileKind> {
        self.0.get(path).cloned()
    }

    /// Reads `script` as the postinst of `package` in this image.
    pub fn read(&self, package: &str, script: &str) -> Reading {
        let files = |p: &str| self.lookup(p);
        let listing = |dir: &str| self.list(dir);
        let ctx = Context::new(package, &files).with_listing(&listing);
        match read_postinst(script, &ctx) {
            Ok(reading) => reading,
            Err(e) => panic!("{e}: {:?}", std::error::Error::source(&e)),
        }
    }
}

/// A fixture's text.
pub fn fixture(package: &str) -> String {
    let path = format!(
        "{}/tests/data/{package}.postinst",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The calls without their locations.
pub fn calls(reading: &Reading) -> Vec<Call> {
    reading.calls.iter().map(|c| c.value.clone()).collect()
}

/// The `touch` calls, in order (what tests of control flow record).
pub fn touched(reading: &Reading) -> Vec<Call> {
    calls(reading)
        .into_iter()
        .filter(|c| matches!(c, Call::Touch { .. }))
        .collect()
}

/// The calls that change the image: not `Ignored`, nor dpkg's diversion records.
pub fn effects(reading: &Reading) -> Vec<Call> {
    calls(reading)
        .into_iter()
        .filter(|c| !matches!(c, Call::Ignored { .. } | Call::Divert { .. }))
        .collect()
}

/// The commands of the `Ignored` calls.
pub fn ignored(reading: &Reading) -> Vec<String> {
    reading
        .calls
        .iter()
        .filter_map(|c| match &c.value {
            Call::Ignored { command, .. } => Some(command.clone()),
            _ => None,
        })
        .collect()
}

/// `(line, text)` of the skipped constructs.
pub fn skipped(reading: &Reading) -> Vec<(usize, String)> {
    reading
        .skipped
        .iter()
        .map(|s| (s.line, s.text.clone()))
        .collect()
}

/// A readable dump, for failure messages and exploring.
pub fn dump(reading: &Reading) -> String {
    let mut out = String::new();
    for Located { line, via, value } in &reading.calls {
        out.push_str(&format!("{line:>4} {via:?} {value:?}\n"));
    }
    for Skipped {
        line,
        via,
        text,
        why,
    } in &reading.skipped
    {
        let kind = match why {
            Why::UnknownCommand => "unknown",
            Why::Undecidable(_) => "undecidable",
            Why::Unsupported(_) => "unsupported",
            Why::AtRuntime(_) => "at runtime",
        };
        out.push_str(&format!(
            "SKIP {line:>4} {via:?} [{kind}] {text} -- {why}\n"
        ));
    }
    out.push_str(&format!("sourced: {:?}\n", reading.sourced));
    out
}
