//! Real postinst scripts from trixie (tests/data, taken from the .debs of the lockfiles),
//! read in a pretend image with what those packages ship.

use aloft_maintscript::{Call, Slave};

use crate::image::{Image, calls, dump, effects, fixture, ignored, skipped};

fn s(v: &str) -> String {
    v.to_owned()
}

fn ucf(source: &str, dest: &str) -> Call {
    Call::Ucf {
        source: s(source),
        dest: s(dest),
    }
}

fn ucfr(package: &str, dest: &str) -> Call {
    Call::Ucfr {
        package: s(package),
        dest: s(dest),
    }
}

fn enmod(module: &str) -> Call {
    Call::PhpEnmod {
        version: s("8.4"),
        sapi: s("ALL"),
        module: s(module),
    }
}

fn link(target: &str, link: &str) -> Call {
    Call::Link {
        target: s(target),
        link: s(link),
        symbolic: true,
    }
}

fn mkdir(path: &str) -> Call {
    Call::Mkdir {
        path: s(path),
        mode: None,
        owner: None,
        group: None,
    }
}

fn copy(source: &str, dest: &str) -> Call {
    Call::Copy {
        source: s(source),
        dest: s(dest),
    }
}

fn chown(owner: &str, group: &str, path: &str) -> Call {
    Call::Chown {
        owner: Some(s(owner)),
        group: Some(s(group)),
        path: s(path),
        recursive: false,
    }
}

fn chmod(mode: u32, path: &str) -> Call {
    Call::Chmod {
        mode,
        path: s(path),
        recursive: false,
    }
}

fn touch(path: &str) -> Call {
    Call::Touch { path: s(path) }
}

fn write(path: &str, content: &str) -> Call {
    Call::WriteFile {
        path: s(path),
        content: s(content),
        append: false,
    }
}

fn php_alternative(binary: &str) -> Call {
    Call::AlternativeInstall {
        link: format!("/usr/bin/{binary}"),
        name: s(binary),
        path: format!("/usr/bin/{binary}8.4"),
        priority: 84,
        slaves: vec![Slave {
            link: format!("/usr/share/man/man1/{binary}.1.gz"),
            name: format!("{binary}.1.gz"),
            path: format!("/usr/share/man/man1/{binary}8.4.1.gz"),
        }],
    }
}

const HELPER: &str = "/usr/lib/php/php-maintscript-helper";

#[test]
fn every_fixture_parses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "postinst") {
            continue;
        }
        let Some(package) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        // `Image::read` fails the test on a parse error.
        let reading = Image::trixie().read(&package, &fixture(&package));
        assert!(
            reading.calls.len() + reading.skipped.len() < 1000,
            "{}",
            dump(&reading)
        );
        count += 1;
    }
    assert_eq!(count, 27);
}

#[test]
fn php_cli() {
    let reading = Image::trixie().read("php8.4-cli", &fixture("php8.4-cli"));
    assert_eq!(
        calls(&reading),
        vec![
            php_alternative("php"),
            php_alternative("phar"),
            php_alternative("phar.phar"),
            ucf(
                "/usr/lib/php/8.4/php.ini-production.cli",
                "/etc/php/8.4/cli/php.ini"
            ),
            ucfr("php8.4-cli", "/etc/php/8.4/cli/php.ini"),
        ],
        "{}",
        dump(&reading)
    );
    // `phpquery -M -v 8.4` lists the modules phpenmod registered: none in this image,
    // so the loop enabling each in the cli SAPI does nothing.
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(reading.sourced, vec![s(HELPER)]);
    assert_eq!(reading.calls[0].line, 7);
}

#[test]
fn php_cli_without_the_helper() {
    // php-common not installed: the helper is not sourced and the module loop not reached.
    let mut image = Image::base();
    image.add(&["/usr/bin/php8.4*"]);
    let reading = image.read("php8.4-cli", &fixture("php8.4-cli"));
    assert_eq!(effects(&reading).len(), 5, "{}", dump(&reading));
    assert!(reading.skipped.is_empty() && reading.sourced.is_empty());
}

#[test]
fn php_fpm() {
    let reading = Image::trixie().read("php8.4-fpm", &fixture("php8.4-fpm"));
    assert_eq!(
        effects(&reading),
        vec![
            // `[ "fpm" = "cli" ]` is false: the plain production ini.
            ucf(
                "/usr/lib/php/8.4/php.ini-production",
                "/etc/php/8.4/fpm/php.ini"
            ),
            ucfr("php8.4-fpm", "/etc/php/8.4/fpm/php.ini"),
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(
        ignored(&reading),
        vec![
            "deb-systemd-helper unmask php8.4-fpm.service",
            "deb-systemd-helper --quiet was-enabled php8.4-fpm.service",
            // `[ -x "$(command -v systemd-tmpfiles)" ]` through the standalone's symlink.
            "systemd-tmpfiles --create php8.4-fpm.conf",
            "dpkg-maintscript-helper rm_conffile /etc/init/php8.4-fpm.conf '7.4.3-4~' php8.4-fpm -- configure ''",
            "update-rc.d php8.4-fpm defaults",
            // `[ -n "$2" ]` is false on a fresh install.
            "invoke-rc.d php8.4-fpm start",
        ]
    );
    // `php_enable` is the one defined when apache2 is absent: `return 1`.
    // `phpquery -M -v 8.4`: no module registered in this image, so nothing to enable.
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(reading.sourced, vec![s(HELPER)]);
}

#[test]
fn php_fpm_without_tmpfiles_or_init_script() {
    let mut image = Image::trixie();
    image.add(&[
        "/usr/bin/systemd-tmpfiles -> nowhere",
        "/etc/init.d/php8.4-fpm",
    ]);
    let reading = image.read("php8.4-fpm", &fixture("php8.4-fpm"));
    let ignored = ignored(&reading);
    assert!(!ignored.iter().any(|c| c.starts_with("systemd-tmpfiles")));
    assert!(!ignored.iter().any(|c| c.starts_with("update-rc.d")));
}

#[test]
fn php_mbstring() {
    let reading = Image::trixie().read("php8.4-mbstring", &fixture("php8.4-mbstring"));
    assert_eq!(
        calls(&reading),
        vec![
            ucf(
                "/usr/share/php8.4-mbstring/mbstring/mbstring.ini",
                "/etc/php/8.4/mods-available/mbstring.ini"
            ),
            ucfr(
                "php8.4-mbstring",
                "/etc/php/8.4/mods-available/mbstring.ini"
            ),
            enmod("mbstring"),
        ],
        "{}",
        dump(&reading)
    );
    // No `.dpkg-new` in the image: the md5sum block is decided false, not skipped.
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
    assert_eq!(reading.sourced, vec![s(HELPER)]);
}

#[test]
fn php_mbstring_with_a_dpkg_new_file() {
    let mut image = Image::trixie();
    image.add(&["/etc/php/8.4/mods-available/mbstring.ini.dpkg-new"]);
    let reading = image.read("php8.4-mbstring", &fixture("php8.4-mbstring"));
    assert_eq!(
        skipped(&reading),
        vec![(23, s("if [ \"$md5sum\" = \"$old_md5sum\" ]"))],
        "{}",
        dump(&reading)
    );
    assert_eq!(effects(&reading).len(), 3);
}

#[test]
fn php_common_extension_modules() {
    let reading = Image::trixie().read("php8.4-common", &fixture("php8.4-common"));
    let modules = [
        "calendar",
        "ctype",
        "exif",
        "fileinfo",
        "ffi",
        "ftp",
        "gettext",
        "iconv",
        "pdo",
        "phar",
        "posix",
        "shmop",
        "sockets",
        "sysvmsg",
        "sysvsem",
        "sysvshm",
        "tokenizer",
    ];
    let expected: Vec<Call> = modules
        .iter()
        .flat_map(|m| {
            let dest = format!("/etc/php/8.4/mods-available/{m}.ini");
            [
                ucf(&format!("/usr/share/php8.4-common/common/{m}.ini"), &dest),
                ucfr("php8.4-common", &dest),
                enmod(m),
            ]
        })
        .collect();
    assert_eq!(calls(&reading), expected, "{}", dump(&reading));
    assert!(reading.skipped.is_empty());
}

#[test]
fn php_common() {
    let reading = Image::trixie().read("php-common", &fixture("php-common"));
    assert_eq!(
        effects(&reading),
        vec![Call::StatOverride {
            user: s("root"),
            group: s("root"),
            mode: 0o1733,
            path: s("/var/lib/php/sessions"),
            update: true,
        }],
        "{}",
        dump(&reading)
    );
    assert_eq!(
        ignored(&reading),
        vec![
            "deb-systemd-helper unmask phpsessionclean.timer",
            "deb-systemd-helper --quiet was-enabled phpsessionclean.timer",
        ]
    );
    // No /run/systemd/system in an image: the systemctl blocks are decided false.
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
}

#[test]
fn mawk() {
    let reading = Image::trixie().read("mawk", &fixture("mawk"));
    assert_eq!(
        calls(&reading),
        vec![Call::AlternativeInstall {
            link: s("/usr/bin/awk"),
            name: s("awk"),
            path: s("/usr/bin/mawk"),
            priority: 5,
            slaves: vec![
                Slave {
                    link: s("/usr/share/man/man1/awk.1.gz"),
                    name: s("awk.1.gz"),
                    path: s("/usr/share/man/man1/mawk.1.gz"),
                },
                Slave {
                    link: s("/usr/bin/nawk"),
                    name: s("nawk"),
                    path: s("/usr/bin/mawk"),
                },
                Slave {
                    link: s("/usr/share/man/man1/nawk.1.gz"),
                    name: s("nawk.1.gz"),
                    path: s("/usr/share/man/man1/mawk.1.gz"),
                },
            ],
        }]
    );
    assert!(reading.skipped.is_empty());
}

#[test]
fn nginx_common() {
    let reading = Image::trixie().read("nginx-common", &fixture("nginx-common"));
    assert_eq!(
        effects(&reading),
        vec![
            chown("root", "adm", "/var/log/nginx"),
            chmod(0o755, "/var/log/nginx"),
            touch("/var/log/nginx/access.log"),
            chmod(0o640, "/var/log/nginx/access.log"),
            chown("www-data", "adm", "/var/log/nginx/access.log"),
            touch("/var/log/nginx/error.log"),
            chmod(0o640, "/var/log/nginx/error.log"),
            chown("www-data", "adm", "/var/log/nginx/error.log"),
            link(
                "/etc/nginx/sites-available/default",
                "/etc/nginx/sites-enabled/default"
            ),
            mkdir("/var/www/html"),
            copy(
                "/usr/share/nginx/html/index.html",
                "/var/www/html/index.nginx-debian.html"
            ),
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(
        ignored(&reading),
        vec![
            "update-rc.d nginx defaults",
            "deb-systemd-helper unmask nginx.service",
            "deb-systemd-helper --quiet was-enabled nginx.service",
        ]
    );
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
    assert_eq!(reading.sourced, vec![s("/usr/share/debconf/confmodule")]);
}

#[test]
fn nginx_common_when_the_site_link_exists() {
    let mut image = Image::trixie();
    image.add(&["/etc/nginx/sites-enabled/default -> /etc/nginx/sites-available/default"]);
    let reading = image.read("nginx-common", &fixture("nginx-common"));
    assert!(
        !effects(&reading)
            .iter()
            .any(|c| matches!(c, Call::Link { .. }))
    );
}

#[test]
fn base_files() {
    let reading = Image::trixie().read("base-files", &fixture("base-files"));
    let mut expected = vec![
        link("debian", "/etc/dpkg/origins/default"),
        copy("/usr/share/base-files/dot.profile", "/root/.profile"),
        copy("/usr/share/base-files/dot.bashrc", "/root/.bashrc"),
        copy("/usr/share/base-files/profile", "/etc/profile"),
        copy("/usr/share/base-files/motd", "/etc/motd"),
    ];
    for (dir, mode, group) in [
        ("/mnt", 0o755, "root"),
        ("/srv", 0o755, "root"),
        ("/opt", 0o755, "root"),
        ("/etc/opt", 0o755, "root"),
        ("/var/opt", 0o755, "root"),
        ("/media", 0o755, "root"),
        ("/var/mail", 0o2775, "mail"),
    ] {
        expected.extend([mkdir(dir), chown("root", group, dir), chmod(mode, dir)]);
    }
    expected.push(link("../mail", "/var/spool/mail"));
    expected.extend([
        mkdir("/run/lock"),
        chown("root", "root", "/run/lock"),
        chmod(0o1777, "/run/lock"),
        Call::Rmdir {
            path: s("/var/run"),
        },
        link("/run", "/var/run"),
        Call::Rmdir {
            path: s("/var/lock"),
        },
        link("/run/lock", "/var/lock"),
    ]);
    for dir in [
        "",
        "/share",
        "/share/man",
        "/bin",
        "/games",
        "/lib",
        "/libexec",
        "/include",
        "/sbin",
        "/src",
        "/etc",
    ] {
        expected.push(mkdir(&format!("/usr/local{dir}")));
    }
    expected.push(link("share/man", "/usr/local/man"));
    for (file, mode) in [
        ("/var/log/wtmp", 0o664),
        ("/var/log/btmp", 0o660),
        ("/var/log/lastlog", 0o664),
    ] {
        expected.extend([
            write(file, ""),
            chown("root", "utmp", file),
            chmod(mode, file),
        ]);
    }
    expected.extend([
        copy("/usr/share/base-files/info.dir", "/usr/share/info/dir"),
        chmod(0o644, "/usr/share/info/dir"),
    ]);
    assert_eq!(effects(&reading), expected, "{}", dump(&reading));
    // The calls inside functions say where the function was called from.
    let mnt = reading
        .calls
        .iter()
        .find(|c| c.value == mkdir("/mnt"))
        .map(|c| (c.line, c.via.clone()));
    assert_eq!(mnt, Some((30, vec![66])));
    // The /lib64 diversion's removal is dpkg's bookkeeping (`--no-rename`): recorded
    // for later queries, no file moved.
    assert_eq!(
        skipped(&reading),
        Vec::<(usize, String)>::new(),
        "{}",
        dump(&reading)
    );
    assert!(ignored(&reading).is_empty(), "{}", dump(&reading));
    assert!(
        calls(&reading).contains(&Call::Divert {
            path: s("/lib64"),
            package: Some(s("base-files")),
            divert_to: s("/.lib64.usr-is-merged"),
            remove: true,
        }),
        "{}",
        dump(&reading)
    );
}

#[test]
fn base_passwd() {
    let reading = Image::trixie().read("base-passwd", &fixture("base-passwd"));
    assert_eq!(
        calls(&reading),
        vec![
            copy("/usr/share/base-passwd/passwd.master", "/etc/passwd"),
            copy("/usr/share/base-passwd/group.master", "/etc/group"),
            touch("/etc/subuid"),
            chown("0", "0", "/etc/subuid"),
            chmod(0o644, "/etc/subuid"),
            touch("/etc/subgid"),
            chown("0", "0", "/etc/subgid"),
            chmod(0o644, "/etc/subgid"),
            // `tmp=$(mktemp)`, removed at the end; the update-passwd branch between
            // needs `-n "$2"` (an upgrade).
            touch("/tmp/tmp.aloft1"),
            chmod(0o600, "/tmp/tmp.aloft1"),
            Call::Remove {
                path: s("/tmp/tmp.aloft1"),
                recursive: false
            },
        ],
        "{}",
        dump(&reading)
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
}

#[test]
fn base_passwd_keeps_existing_files() {
    let mut image = Image::trixie();
    image.add(&["/etc/passwd", "/etc/group", "/etc/subuid", "/etc/subgid"]);
    let reading = image.read("base-passwd", &fixture("base-passwd"));
    // Only its own temp file, made and removed.
    assert_eq!(
        effects(&reading),
        vec![
            touch("/tmp/tmp.aloft1"),
            chmod(0o600, "/tmp/tmp.aloft1"),
            Call::Remove {
                path: s("/tmp/tmp.aloft1"),
                recursive: false
            }
        ],
        "{}",
        dump(&reading)
    );
}

#[test]
fn tzdata() {
    let reading = Image::trixie().read("tzdata", &fixture("tzdata"));
    assert!(effects(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        ignored(&reading),
        vec![
            "db_version 2.0",
            "db_get tzdata/Areas",
            "db_get \"tzdata/Zones/$AREA\"",
            "db_stop"
        ]
    );
    // The zone comes from debconf: the /etc/localtime link is not guessed.
    assert_eq!(
        skipped(&reading),
        vec![
            (25, s("AREA=\"$RET\"")),
            (26, s("ZONE=\"$RET\"")),
            (31, s("if test \"$(get_timezone)\" != \"$TIMEZONE\"")),
        ],
        "{}",
        dump(&reading)
    );
}

#[test]
fn ca_certificates() {
    let reading = Image::trixie().read("ca-certificates", &fixture("ca-certificates"));
    let effects = effects(&reading);
    assert_eq!(effects.len(), 1, "{}", dump(&reading));
    let Call::WriteFile { path, content, .. } = &effects[0] else {
        panic!("{}", dump(&reading));
    };
    assert_eq!(path, "/etc/ca-certificates.conf");
    assert!(content.starts_with("# This file lists certificates"));
    assert!(content.ends_with("deselected.\n#\n"));
    assert_eq!(
        skipped(&reading)
            .into_iter()
            .map(|(line, _)| line)
            .collect::<Vec<_>>(),
        // The certificate list pipeline (`mkdir -m $(stat -L -c %a /usr/local)` fails
        // in an image without /usr/local); the CA bundle is an end-state rule, so
        // update-ca-certificates is ignored with that reason.
        vec![133],
        "{}",
        dump(&reading)
    );
    assert!(ignored(&reading).contains(&s("dpkg-trigger --no-await update-ca-certificates")));
    assert!(
        ignored(&reading)
            .iter()
            .any(|c| c.starts_with("update-ca-certificates")),
        "{}",
        dump(&reading)
    );
}

#[test]
fn openssl_links_its_directory_only_when_absent() {
    let reading = Image::trixie().read("openssl", &fixture("openssl"));
    assert!(calls(&reading).is_empty(), "{}", dump(&reading));
    let reading = Image::base().read("openssl", &fixture("openssl"));
    assert_eq!(calls(&reading), vec![link("/etc/ssl", "/usr/lib/ssl")]);
}

#[test]
fn netbase_writes_hosts_from_here_documents() {
    let reading = Image::trixie().read("netbase", &fixture("netbase"));
    assert_eq!(
        calls(&reading),
        vec![
            write(
                "/etc/hosts",
                "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n\
                 ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n"
            ),
            write(
                "/etc/networks",
                "default\t\t0.0.0.0\nloopback\t127.0.0.0\nlink-local\t169.254.0.0\n\n"
            ),
        ],
        "{}",
        dump(&reading)
    );
}

#[test]
fn scripts_without_effects_on_a_fresh_install() {
    for package in [
        "debconf",
        "init-system-helpers",
        "libgcrypt20",
        "libgssapi-krb5-2",
        "php8.4-opcache",
        "procps",
        "iproute2",
        "libc6",
        "libselinux1",
    ] {
        let reading = Image::trixie().read(package, &fixture(package));
        let effects: Vec<Call> = effects(&reading)
            .into_iter()
            .filter(|c| {
                !matches!(
                    c,
                    Call::Ucf { .. } | Call::Ucfr { .. } | Call::PhpEnmod { .. }
                )
            })
            .collect();
        assert!(effects.is_empty(), "{package}: {}", dump(&reading));
    }
    // libselinux1 removes `*.bin` files only on upgrades from < 3.8-2, but `lt` with an
    // empty version is true: the pattern matches nothing in the image, and `rm -f` of
    // nothing does nothing.
    let reading = Image::trixie().read("libselinux1", &fixture("libselinux1"));
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
}

#[test]
fn ucf_touches_its_registry() {
    let reading = Image::trixie().read("ucf", &fixture("ucf"));
    assert_eq!(
        calls(&reading),
        vec![
            touch("/var/lib/ucf/hashfile"),
            touch("/var/lib/ucf/registry")
        ]
    );
}

#[test]
fn nginx_service_start_is_reported() {
    let reading = Image::trixie().read("nginx", &fixture("nginx"));
    assert!(effects(&reading).is_empty());
    // nginx does not run while the image is built (`status` says 3), and nothing
    // listens (`ss` prints its header only), so the script would start it: a service
    // start, which an image has no use for.
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        ignored(&reading),
        vec![s("invoke-rc.d nginx start")],
        "{}",
        dump(&reading)
    );
}

#[test]
fn python_bytecode_compiles_are_done_natively() {
    let mut image = Image::trixie();
    image.add(&[
        "/usr/bin/python3.13*",
        "/usr/bin/py3compile*",
        "/usr/lib/python3.13/py_compile.py",
        "/etc/python3.13/sitecustomize.py",
        "/usr/lib/python3.13/sitecustomize.py -> /etc/python3.13/sitecustomize.py",
    ]);
    // The standard library: `python3.13 ... py_compile.py $files` under `if [ -n
    // "$files" ]`, whatever `$files` is, changes nothing aloft does not do; `ls -L` of
    // the sitecustomize link is answered from the image.
    let reading = image.read("python3.13-minimal", &fixture("python3.13-minimal"));
    let lines: Vec<usize> = skipped(&reading)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    // `grep -sq` of /usr/share/python/debian_defaults, which this image lacks, exits 2:
    // `bc=no`, and the rtinstall hooks' branch is not taken. Nothing is left.
    assert_eq!(lines, Vec::<usize>::new(), "{}", dump(&reading));
    // A package's public modules: `py3compile -p`, guarded by `command -v`.
    let reading = image.read("python3-six", &fixture("python3-six"));
    assert_eq!(
        ignored(&reading),
        vec![s("py3compile -p python3-six")],
        "{}",
        dump(&reading)
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
}

#[test]
fn pathname_patterns_expand_against_the_image_and_the_script_so_far() {
    let mut image = Image::trixie();
    image.add(&[
        "/usr/share/x/runtime.d/",
        "/var/lib/app/debian-10.flag",
        "/var/lib/app/debian-11.flag",
        "/var/lib/app/.debian-hidden.flag",
        "/var/lib/app/other",
    ]);
    let script = r#"#!/bin/sh
set -e
for hook in /usr/share/x/runtime.d/*.rtupdate; do
    [ -x $hook ] || continue
    $hook rtupdate
done
rm -f /var/lib/app/debian-*.flag
rm -f /var/lib/none/*.bin
rm /var/lib/none/*.bin || true
touch /var/lib/app/new.flag
for f in /var/lib/app/*.flag; do
    cp "$f" /etc/copied.flag
done
"#;
    let reading = image.read("app", script);
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        effects(&reading),
        vec![
            Call::Remove {
                path: s("/var/lib/app/debian-10.flag"),
                recursive: false,
            },
            Call::Remove {
                path: s("/var/lib/app/debian-11.flag"),
                recursive: false,
            },
            // No such directory: the word itself, as sh leaves it (`rm -f` of nothing
            // does nothing).
            Call::Remove {
                path: s("/var/lib/none/*.bin"),
                recursive: false,
            },
            Call::Touch {
                path: s("/var/lib/app/new.flag"),
            },
            copy("/var/lib/app/new.flag", "/etc/copied.flag"),
        ],
        "{}",
        dump(&reading)
    );
}

/// dash claims /bin/sh unless a diversion of it exists: with no diversion (what the
/// image's earlier scripts made: none), every query is answered and nothing is left.
#[test]
fn dash_claims_bin_sh_when_nothing_diverts_it() {
    let mut image = Image::trixie();
    image.add(&["/usr/share/man/man1/dash.1.gz"]);
    let files = |p: &str| image.lookup(p);
    let none = |_: &str| None;
    let ctx = aloft_maintscript::Context::new("dash", &files).with_diversions(&none);
    let reading = aloft_maintscript::read_postinst(&fixture("dash"), &ctx).unwrap();
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert!(effects(&reading).is_empty(), "{}", dump(&reading));
    // bash's old diversion of /bin/sh: dash removes it and links /bin/sh to itself.
    let bash = |path: &str| (path == "/bin/sh").then(|| (Some(s("bash")), s("/bin/sh.distrib")));
    let ctx = aloft_maintscript::Context::new("dash", &files).with_diversions(&bash);
    let reading = aloft_maintscript::read_postinst(&fixture("dash"), &ctx).unwrap();
    assert!(
        calls(&reading).contains(&Call::Divert {
            path: s("/bin/sh"),
            package: Some(s("bash")),
            divert_to: s("/bin/sh.distrib"),
            remove: true,
        }),
        "{}",
        dump(&reading)
    );
}
