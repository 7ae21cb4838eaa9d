//! Hand-written scripts for what the fixtures do not show.

use aloft_maintscript::{
    Account, AccountTool, Call, Context, NewGroup, NewUser, Script, Why, read_postinst, read_script,
};

use crate::image::{Image, calls, dump, effects, ignored, skipped, touched};

fn s(v: &str) -> String {
    v.to_owned()
}

fn read(script: &str) -> aloft_maintscript::Reading {
    Image::base().read("test", script)
}

fn touch(path: &str) -> Call {
    Call::Touch { path: s(path) }
}

fn link(target: &str, link: &str) -> Call {
    Call::Link {
        target: s(target),
        link: s(link),
        symbolic: true,
    }
}

const ACCOUNTS: &str = r#"#!/bin/sh
set -e
case "$1" in
    configure)
        if ! getent group caddy >/dev/null; then
            addgroup --system caddy
        fi
        if ! getent passwd caddy >/dev/null; then
            adduser --system --ingroup caddy --home /var/lib/caddy \
                --shell /usr/sbin/nologin --gecos "Caddy web server" \
                --disabled-password --no-create-home caddy
        fi
        adduser caddy www-data
        adduser --quiet --system --group --uid 990 --home=/nonexistent svc
        useradd -r -M -d /nonexistent -s /usr/sbin/nologin -g nogroup -G adm,tty -c "A daemon" daemon2
        groupadd -r -g 999 grp
        usermod -a -G adm caddy
        id -u postgres >/dev/null 2>&1 || useradd --system postgres
    ;;
esac
"#;

#[test]
fn accounts_with_an_account_oracle() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let accounts = |a: Account<'_>| match a {
        Account::User("postgres") => Some(true),
        _ => Some(false),
    };
    let ctx = Context::new("caddy", &files).with_accounts(&accounts);
    let reading = read_postinst(ACCOUNTS, &ctx).unwrap_or_default();
    let user = |name: &str| NewUser {
        name: s(name),
        tool: AccountTool::Adduser,
        system: true,
        uid: None,
        group: None,
        user_group: None,
        home: None,
        create_home: None,
        shell: None,
        gecos: None,
        extra_groups: Vec::new(),
        disabled_password: false,
        disabled_login: false,
    };
    assert_eq!(
        calls(&reading),
        vec![
            Call::AddGroup(NewGroup {
                name: s("caddy"),
                tool: AccountTool::Adduser,
                system: true,
                gid: None,
            }),
            Call::AddUser(NewUser {
                group: Some(s("caddy")),
                home: Some(s("/var/lib/caddy")),
                shell: Some(s("/usr/sbin/nologin")),
                gecos: Some(s("Caddy web server")),
                disabled_password: true,
                create_home: Some(false),
                ..user("caddy")
            }),
            Call::AddUserToGroup {
                user: s("caddy"),
                group: s("www-data"),
            },
            Call::AddUser(NewUser {
                uid: Some(990),
                user_group: Some(true),
                home: Some(s("/nonexistent")),
                ..user("svc")
            }),
            Call::AddUser(NewUser {
                tool: AccountTool::Useradd,
                group: Some(s("nogroup")),
                home: Some(s("/nonexistent")),
                create_home: Some(false),
                shell: Some(s("/usr/sbin/nologin")),
                gecos: Some(s("A daemon")),
                extra_groups: vec![s("adm"), s("tty")],
                ..user("daemon2")
            }),
            Call::AddGroup(NewGroup {
                name: s("grp"),
                tool: AccountTool::Useradd,
                system: true,
                gid: Some(999),
            }),
            Call::AddUserToGroup {
                user: s("caddy"),
                group: s("adm"),
            },
        ],
        "{}",
        dump(&reading)
    );
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
}

#[test]
fn accounts_without_an_oracle_are_reported() {
    let reading = read(ACCOUNTS);
    assert_eq!(
        skipped(&reading),
        vec![
            (5, s("if ! getent group caddy > /dev/null")),
            (8, s("if ! getent passwd caddy > /dev/null")),
            (18, s("useradd --system postgres")),
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(effects(&reading).len(), 5);
}

#[test]
fn functions_get_their_arguments() {
    let reading = read(
        r#"#!/bin/sh
set -e
make_dir() {
    local dir mode
    dir="$1"; mode=$2
    shift 2
    mkdir -p -m "$mode" "$dir"
    for owner in "$@"; do
        chown "$owner" "$dir"
    done
    return 3
}
dir=/keep
if make_dir /var/lib/x 0750 a:b c; then
    touch /never
else
    [ $? -eq 3 ] && touch "$dir/stamp"
fi
wrapper() { make_dir "$@"; }
wrapper /srv/y 700
"#,
    );
    let mkdir = |path: &str, mode: u32| Call::Mkdir {
        path: s(path),
        mode: Some(mode),
        owner: None,
        group: None,
    };
    assert_eq!(
        calls(&reading),
        vec![
            mkdir("/var/lib/x", 0o750),
            Call::Chown {
                owner: Some(s("a")),
                group: Some(s("b")),
                path: s("/var/lib/x"),
                recursive: false,
            },
            Call::Chown {
                owner: Some(s("c")),
                group: None,
                path: s("/var/lib/x"),
                recursive: false,
            },
            touch("/keep/stamp"),
            mkdir("/srv/y", 0o700),
        ],
        "{}",
        dump(&reading)
    );
    let last = reading.calls.last().map(|c| (c.line, c.via.clone()));
    assert_eq!(last, Some((7, vec![20, 19])));
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
}

#[test]
fn case_selects_the_configure_arm() {
    let reading = read(
        r#"#!/bin/sh
case "$1" in
    abort-upgrade|abort-remove) touch /no1 ;;
    config*) touch /yes1 ;;
    configure) touch /no2 ;;
    *) echo "unknown argument $1" >&2; exit 1 ;;
esac
case "x$2" in
    x) touch /fresh ;;
    *) touch /upgrade ;;
esac
case "$1" in "configure") ;; esac
"#,
    );
    assert_eq!(
        calls(&reading),
        vec![touch("/yes1"), touch("/fresh")],
        "{}",
        dump(&reading)
    );
    assert!(reading.skipped.is_empty());
}

#[test]
fn undecidable_branches_are_reported_not_guessed() {
    let reading = read(
        r#"#!/bin/sh
set -e
if [ -f /etc/foo.conf ] && grep -q bar /etc/foo.conf; then
    ln -s /a /b
fi
version=$(cat /etc/debian_version)
ln -s "/usr/share/$version" /c
for f in /etc/*.d/foo.conf; do
    touch "$f.seen"
done
if some-tool --check; then
    flag=yes
fi
[ "$flag" = yes ] && touch /flagged
while read line; do
    touch /x
done < /etc/list
touch /after
"#,
    );
    // /etc/foo.conf does not exist: that `if` is decided false.
    assert_eq!(calls(&reading), vec![touch("/after")], "{}", dump(&reading));
    let reasons: Vec<(usize, String, Why)> = reading
        .skipped
        .iter()
        .map(|s| (s.line, s.text.clone(), s.why.clone()))
        .collect();
    assert_eq!(reasons.len(), 6, "{}", dump(&reading));
    assert_eq!(reasons[0].0, 7);
    assert!(
        matches!(&reasons[0].2, Why::Undecidable(w) if w.contains("`version` (line 6)") && w.contains("$(cat /etc/debian_version)"))
    );
    assert_eq!(
        (reasons[1].0, reasons[1].1.as_str()),
        // A pattern in a directory component is not expanded (one in the last
        // component is, from the image's listing).
        (8, "for f in /etc/*.d/foo.conf")
    );
    assert_eq!(
        reasons[2],
        (11, s("some-tool --check"), Why::UnknownCommand)
    );
    assert_eq!(reasons[3].1, "if some-tool --check");
    // `flag` may have been set by the skipped branch: the `&&` is not decided either.
    assert_eq!(reasons[4].1, "touch /flagged");
    assert!(matches!(&reasons[4].2, Why::Undecidable(w) if w.contains("flag")));
    assert_eq!(reasons[5].1, "while read line");
}

#[test]
fn conditions_on_the_fresh_install() {
    let reading = read(
        r#"#!/bin/sh
[ "$1" = "configure" ] && touch /a
[ "$1" != "configure" ] || touch /b
[ -z "$2" ] && touch /c
[ -n "$2" ] && touch /never1
[ -z $2 ] && touch /d
test "x$2" = "x" -a "$1" = configure && touch /e
if dpkg --compare-versions "$2" lt 1.2-3~; then touch /f; fi
if dpkg --compare-versions "$2" lt-nl 1.2-3~; then touch /never2; fi
if dpkg --compare-versions "$2" le-nl 1.2-3~; then touch /never3; elif [ "$DPKG_ROOT" = "" ]; then touch /g; fi
if dpkg --compare-versions 1.0 gt 1.0~rc1; then touch /h; fi
[ "$DPKG_MAINTSCRIPT_PACKAGE" = test ] && [ "$DPKG_MAINTSCRIPT_NAME" = postinst ] && touch /i
[ $# -eq 2 ] && touch /j
[[ -n x ]] && touch /never4
"#,
    );
    let expected: Vec<Call> = "abcdefghij"
        .chars()
        .map(|c| touch(&format!("/{c}")))
        .collect();
    assert_eq!(calls(&reading), expected, "{}", dump(&reading));
    // dash has no `[[`: an unknown command, and what depends on it is not decided.
    assert_eq!(
        skipped(&reading),
        vec![(14, s("[[ -n x ]]")), (14, s("touch /never4"))],
        "{}",
        dump(&reading)
    );
    assert_eq!(reading.skipped[0].why, Why::UnknownCommand);
}

#[test]
fn file_tests_follow_links_and_earlier_calls() {
    let mut image = Image::base();
    image.add(&[
        "/etc/alternatives/",
        "/usr/bin/tool*",
        "/usr/bin/t -> tool",
        "/etc/dangling -> /nowhere",
        "/usr/share/doc/",
    ]);
    let reading = image.read(
        "test",
        r#"#!/bin/sh
[ -x /bin/t ] && touch /1
[ -e /etc/dangling ] || touch /2
[ -L /etc/dangling ] && touch /3
[ -d /bin/ ] && touch /4
[ -f /usr/share/doc ] || touch /5
mkdir -p /opt/app/data
[ -d /opt/app ] && touch /6
touch /opt/app/data/f
[ -f /opt/app/data/f ] && touch /7
rm -rf /opt/app
[ -e /opt/app/data/f ] || touch /8
command -v tool >/dev/null && touch /9
which missing-tool >/dev/null || touch /10
if [ -x "$(command -v tool)" ]; then touch /11; fi
if [ -x "$(command -v missing)" ]; then touch /never; fi
"#,
    );
    let touched: Vec<String> = calls(&reading)
        .into_iter()
        .filter_map(|c| match c {
            Call::Touch { path } if !path.starts_with("/opt") => Some(path),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (1..=11).map(|i| format!("/{i}")).collect();
    assert_eq!(touched, expected, "{}", dump(&reading));
}

#[test]
fn links_and_copies_into_directories() {
    let mut image = Image::base();
    image.add(&["/usr/lib/ssl/", "/etc/ssl/", "/srv/dir/", "/srv/f"]);
    let reading = image.read(
        "test",
        r#"#!/bin/sh
ln -s /etc/ssl /usr/lib/ssl
ln -sfT /etc/ssl /usr/lib/ssl
ln -s a b /srv/dir
cd /srv
ln -sf ../x rel
cp -a f dir
cp f /srv/copy
mv copy moved
ln f hard
"#,
    );
    assert_eq!(
        calls(&reading),
        vec![
            link("/etc/ssl", "/usr/lib/ssl/ssl"),
            link("/etc/ssl", "/usr/lib/ssl"),
            link("a", "/srv/dir/a"),
            link("b", "/srv/dir/b"),
            link("../x", "/srv/rel"),
            Call::Copy {
                source: s("/srv/f"),
                dest: s("/srv/dir/f"),
            },
            Call::Copy {
                source: s("/srv/f"),
                dest: s("/srv/copy"),
            },
            Call::Move {
                source: s("/srv/copy"),
                dest: s("/srv/moved"),
            },
            Call::Link {
                target: s("/srv/f"),
                link: s("/srv/hard"),
                symbolic: false,
            },
        ],
        "{}",
        dump(&reading)
    );
}

#[test]
fn output_to_files() {
    let reading = read(
        r#"#!/bin/sh
name=world
echo "hello $name" > /etc/greeting
printf 'a\tb\n' >> /etc/greeting
: > /var/log/empty
> /var/log/empty2
cat > /etc/conf <<EOF
value=$name
EOF
cat <<'EOF' >> /etc/conf
raw $name
EOF
echo quiet >/dev/null 2>&1
sed -e s/a/b/ /etc/x > /etc/y
"#,
    );
    let write = |path: &str, content: &str, append: bool| Call::WriteFile {
        path: s(path),
        content: s(content),
        append,
    };
    assert_eq!(
        calls(&reading),
        vec![
            write("/etc/greeting", "hello world\n", false),
            write("/etc/greeting", "a\tb\n", true),
            write("/var/log/empty", "", false),
            write("/var/log/empty2", "", false),
            write("/etc/conf", "value=world\n", false),
            write("/etc/conf", "raw $name\n", true),
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(
        skipped(&reading),
        vec![(14, s("sed -e s/a/b/ /etc/x > /etc/y"))]
    );
}

#[test]
fn known_commands_and_their_options() {
    let reading = read(
        r#"#!/bin/sh
set -e
update-alternatives --quiet --install /usr/bin/x x /usr/bin/x1 10 --slave /usr/share/man/man1/x.1.gz x.1.gz /usr/share/man/man1/x1.1.gz
update-alternatives --remove x /usr/bin/x0
update-alternatives --set x /usr/bin/x1
update-alternatives --auto x
update-alternatives --install /usr/bin/y y /usr/bin/y1 high
ucf --three-way --debconf-ok /usr/share/p/p.conf /etc/p.conf
ucf --purge /etc/p.conf
ucfr --force p /etc/p.conf
install -d -m 0750 -o www-data -g adm /var/lib/p /var/cache/p
chmod -R g+w /var/lib/p
chmod 4755 /usr/bin/x1
chgrp -R adm /var/log/p
chown :adm /var/log/q
dpkg-statoverride --add root adm 0640 /etc/p.secret
dpkg-statoverride --remove /etc/p.secret
rmdir --ignore-fail-on-non-empty /var/lib/old
mkdir --mode=u+rwx /bad
"#,
    );
    let mkdir = |path: &str| Call::Mkdir {
        path: s(path),
        mode: Some(0o750),
        owner: Some(s("www-data")),
        group: Some(s("adm")),
    };
    let chgrp = |path: &str, recursive: bool| Call::Chown {
        owner: None,
        group: Some(s("adm")),
        path: s(path),
        recursive,
    };
    assert_eq!(
        effects(&reading),
        vec![
            Call::AlternativeInstall {
                link: s("/usr/bin/x"),
                name: s("x"),
                path: s("/usr/bin/x1"),
                priority: 10,
                slaves: vec![aloft_maintscript::Slave {
                    link: s("/usr/share/man/man1/x.1.gz"),
                    name: s("x.1.gz"),
                    path: s("/usr/share/man/man1/x1.1.gz"),
                }],
            },
            Call::AlternativeRemove {
                name: s("x"),
                path: s("/usr/bin/x0"),
            },
            Call::AlternativeSet {
                name: s("x"),
                path: s("/usr/bin/x1"),
            },
            Call::AlternativeAuto { name: s("x") },
            Call::Ucf {
                source: s("/usr/share/p/p.conf"),
                dest: s("/etc/p.conf"),
            },
            Call::Ucfr {
                package: s("p"),
                dest: s("/etc/p.conf"),
            },
            mkdir("/var/lib/p"),
            mkdir("/var/cache/p"),
            Call::Chmod {
                mode: 0o4755,
                path: s("/usr/bin/x1"),
                recursive: false,
            },
            chgrp("/var/log/p", true),
            chgrp("/var/log/q", false),
            Call::StatOverride {
                user: s("root"),
                group: s("adm"),
                mode: 0o640,
                path: s("/etc/p.secret"),
                update: false,
            },
            Call::Rmdir {
                path: s("/var/lib/old"),
            },
        ],
        "{}",
        dump(&reading)
    );
    let lines: Vec<usize> = reading.skipped.iter().map(|s| s.line).collect();
    // priority `high`, `chmod -R g+w`, `--remove`, `mkdir --mode=u+rwx` (`ucf --purge`
    // forgets what aloft does not record: ignored, with why).
    assert_eq!(lines, vec![7, 12, 17, 19], "{}", dump(&reading));
    assert!(ignored(&reading).contains(&s("ucf --purge /etc/p.conf")));
    assert!(
        reading
            .skipped
            .iter()
            .all(|s| matches!(s.why, Why::Unsupported(_)))
    );
}

#[test]
fn service_management_and_debconf_are_ignored_on_purpose() {
    let reading = read(
        r#"#!/bin/sh
set -e
. /usr/share/debconf/confmodule
db_get foo/bar
value="$RET"
deb-systemd-helper unmask 'x.service' >/dev/null || true
if deb-systemd-helper --quiet was-enabled 'x.service'; then
    deb-systemd-helper enable 'x.service' >/dev/null || true
else
    deb-systemd-helper update-state 'x.service' >/dev/null || true
fi
invoke-rc.d x start || exit 1
systemctl --system daemon-reload >/dev/null || true
ldconfig
systemd-sysusers x.conf
update-rc.d x defaults >/dev/null
touch /done
[ "$value" = yes ] && touch /maybe
"#,
    );
    assert_eq!(
        ignored(&reading),
        vec![
            "db_get foo/bar",
            "deb-systemd-helper unmask x.service",
            "deb-systemd-helper --quiet was-enabled x.service",
            "invoke-rc.d x start",
            "systemctl --system daemon-reload",
            "ldconfig",
            "systemd-sysusers x.conf",
            "update-rc.d x defaults",
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(effects(&reading), vec![touch("/done")]);
    assert_eq!(skipped(&reading), vec![(18, s("touch /maybe"))]);
    assert!(
        matches!(&reading.skipped[0].why, Why::Undecidable(w) if w.contains("`RET` is set by debconf"))
    );
}

#[test]
fn failing_exit_on_the_path_is_reported() {
    let reading = read("#!/bin/sh\n[ -n \"$2\" ] || exit 3\ntouch /never\n");
    assert!(calls(&reading).is_empty());
    assert_eq!(skipped(&reading), vec![(2, s("exit 3"))]);
    assert!(matches!(&reading.skipped[0].why, Why::Unsupported(w) if w.contains("status 3")));
}

#[test]
fn sourced_helpers_are_recorded_and_php_invoke_needs_them() {
    let reading = read(
        r#"#!/bin/sh
php_invoke enmod 8.4 ALL early
. /usr/lib/php/php-maintscript-helper
. /usr/lib/php/php-maintscript-helper
php_invoke enmod 8.4 cli opcache
php_invoke dismod 8.4 ALL gone
php_msg info hello
"#,
    );
    assert_eq!(
        calls(&reading),
        vec![Call::PhpEnmod {
            version: s("8.4"),
            sapi: s("cli"),
            module: s("opcache"),
        }]
    );
    assert_eq!(
        reading.sourced,
        vec![s("/usr/lib/php/php-maintscript-helper")]
    );
    assert_eq!(
        reading
            .skipped
            .iter()
            .map(|s| (s.line, s.why.clone()))
            .collect::<Vec<_>>(),
        vec![
            (2, Why::UnknownCommand),
            (
                6,
                Why::Unsupported(s(
                    "`php_invoke dismod 8.4 ALL gone` is not modelled (only `enmod VERSION SAPI MODULE`)"
                ))
            ),
        ]
    );
}

#[test]
fn expansions() {
    let reading = read(
        r#"#!/bin/sh
p=/usr/share/zoneinfo/Etc/UTC
unset unset_var unset2
touch "/tmp/${p#/usr/share/zoneinfo/}"
touch /tmp/${p##*/} /tmp/${p%/*}x
touch "/tmp/${unset_var:-default}" "/tmp/${p:+alt}" "/tmp/x${unset2-}y"
list="a b  c"
for x in $list "$list"; do touch "/l/$x"; done
set -- one "two three"
for x in "$@"; do touch "/p/$x"; done
for x; do touch "/q/$x"; done
touch /e/${#p}
IFS=:
path=/x:/y
for d in $path; do touch "$d"; done
"#,
    );
    let touched: Vec<String> = calls(&reading)
        .into_iter()
        .filter_map(|c| match c {
            Call::Touch { path } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(
        touched,
        vec![
            "/tmp/Etc/UTC",
            "/tmp/UTC",
            "/tmp/usr/share/zoneinfo/Etcx",
            "/tmp/default",
            "/tmp/alt",
            "/tmp/xy",
            "/l/a",
            "/l/b",
            "/l/c",
            "/l/a b  c",
            "/p/one",
            "/p/two three",
            "/q/one",
            "/q/two three",
            "/e/27",
            "/x",
            "/y",
        ],
        "{}",
        dump(&reading)
    );
}

#[test]
fn syntax_errors_name_the_package_and_line() {
    let files = |_: &str| None;
    let ctx = Context::new("broken", &files);
    let Err(err) = read_postinst("#!/bin/sh\nif true; then\n  echo x\nfi fi\n", &ctx) else {
        panic!("parsed");
    };
    assert_eq!(err.package(), "broken");
    assert_eq!(err.line(), 4);
    assert_eq!(
        err.to_string(),
        "Failed to parse the postinst of `broken` at line 4"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn bash_scripts_parse_as_bash() {
    let reading = read(
        r#"#!/bin/bash
set -e
if [[ -z "$2" && $1 == conf* ]]; then
    touch /fresh &>/dev/null
fi
case "$1" in
    config*) touch /a ;&
    never) touch /b ;;
    configure) touch /never ;;
esac
mkdir -p /srv/{a,b} "/srv/{c,d}"
touch "/srv/{c,d}" '/srv/{e}' /srv/{f}
"#,
    );
    assert_eq!(
        calls(&reading),
        vec![
            touch("/fresh"),
            touch("/a"),
            touch("/b"),
            touch("/srv/{c,d}"),
            touch("/srv/{e}"),
            touch("/srv/{f}")
        ],
        "{}",
        dump(&reading)
    );
    // Brace expansion is bash's: reported, not taken literally.
    assert_eq!(
        skipped(&reading),
        vec![(11, s("mkdir -p /srv/{a,b} \"/srv/{c,d}\""))]
    );
}

#[test]
fn locals_subshells_and_statuses() {
    let reading = read(
        r#"#!/bin/sh
set -e
x=global
f() {
    local x="$1" y
    y=inner
    touch "/f/$x/$y"
}
f arg
touch "/after/$x"
(x=sub; touch "/sub/$x"; exit 4)
touch "/status/$?/$x"
touch() { echo "shadowed $*"; }
touch /not-a-call
command touch /real
unset -f touch
false || touch /or
true && touch /and
some-unknown-tool || true
if [ -d /nonexistent ] || [ "$x" = global ]; then touch /either; fi
g() { return 5; }
g || touch "/ret/$?"
"#,
    );
    let touched: Vec<String> = calls(&reading)
        .into_iter()
        .filter_map(|c| match c {
            Call::Touch { path } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(
        touched,
        vec![
            "/f/arg/inner",
            "/after/global",
            "/sub/sub",
            "/status/4/global",
            "/real",
            "/or",
            "/and",
            "/either",
            "/ret/5",
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(skipped(&reading), vec![(19, s("some-unknown-tool"))]);
}

#[test]
fn arguments_of_unknown_value_reach_functions_as_unknown() {
    let reading = read(
        r#"#!/bin/sh
f() {
    touch "/known/$1"
    touch "/unknown/$2"
    touch "/count/$#"
}
f a "$(hostname -f)"
f $(hostname -f)
"#,
    );
    assert_eq!(
        effects(&reading),
        vec![touch("/known/a"), touch("/count/2")],
        "{}",
        dump(&reading)
    );
    // The second call: the number of fields is not known, so neither is any parameter.
    assert_eq!(
        skipped(&reading),
        vec![
            (4, s("touch \"/unknown/$2\"")),
            (3, s("touch \"/known/$1\"")),
            (4, s("touch \"/unknown/$2\"")),
            (5, s("touch \"/count/$#\"")),
        ]
    );
    assert_eq!(reading.skipped[1].via, vec![8]);
}

#[test]
fn declarations_with_unknown_values() {
    let reading = read(
        r#"#!/bin/sh
x=1
f() {
    local x=$(hostname)
    touch "/in/$x"
}
f
touch "/out/$x"
export y=$(hostname) z=2
touch "/z/$z"
"#,
    );
    assert_eq!(
        effects(&reading),
        vec![touch("/out/1"), touch("/z/2")],
        "{}",
        dump(&reading)
    );
    assert_eq!(skipped(&reading), vec![(5, s("touch \"/in/$x\""))]);
}

#[test]
fn accounts_made_by_the_script_exist_afterwards() {
    let reading = read(
        r#"#!/bin/sh
set -e
groupadd --system caddy
getent group caddy >/dev/null || groupadd --system caddy
useradd --system --gid caddy --create-home --home-dir /var/lib/caddy --shell /usr/sbin/nologin --comment "Caddy web server" caddy
if id caddy >/dev/null 2>&1; then usermod -aG www-data caddy; fi
"#,
    );
    assert_eq!(effects(&reading).len(), 3, "{}", dump(&reading));
    assert_eq!(
        effects(&reading)[2],
        Call::AddUserToGroup {
            user: s("caddy"),
            group: s("www-data"),
        }
    );
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
}

/// openjdk-21-jre-headless's postinst lowers the priority of its alternatives only for a
/// foreign architecture: `$DPKG_MAINTSCRIPT_ARCH` against `$(dpkg --print-architecture)`.
const JAVA_ALTERNATIVES: &str = r#"#!/bin/sh
set -e
basedir=/usr/lib/jvm/java-21-openjdk-amd64
priority=2111
case "$1" in
configure)
    if [ "$DPKG_MAINTSCRIPT_ARCH" != $(dpkg --print-architecture) ]; then
        priority=$(expr $priority - 1)
    fi
    for i in java keytool; do
        update-alternatives --install /usr/bin/$i $i $basedir/bin/$i $priority
    done
    if [ "$(id -u)" != 0 ]; then
        exit 1
    fi
    touch /etc/java-ok
esac
"#;

#[test]
fn the_architectures_and_id_u_are_known_when_given() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let ctx = Context::new("openjdk-21-jre-headless", &files).with_architectures("amd64", "amd64");
    let reading = read_postinst(JAVA_ALTERNATIVES, &ctx).unwrap();
    assert_eq!(
        skipped(&reading),
        Vec::<(usize, String)>::new(),
        "{}",
        dump(&reading)
    );
    let installs: Vec<(String, i64)> = calls(&reading)
        .into_iter()
        .filter_map(|c| match c {
            Call::AlternativeInstall { name, priority, .. } => Some((name, priority)),
            _ => None,
        })
        .collect();
    assert_eq!(installs, [(s("java"), 2111), (s("keytool"), 2111)]);
    assert!(calls(&reading).contains(&touch("/etc/java-ok")));

    // Without them the condition is not decided, and nothing is guessed.
    let unknown = Context::new("openjdk-21-jre-headless", &files);
    let reading = read_postinst(JAVA_ALTERNATIVES, &unknown).unwrap();
    assert!(
        reading
            .calls
            .iter()
            .all(|c| !matches!(c.value, Call::AlternativeInstall { .. })),
        "{}",
        dump(&reading)
    );
    assert!(!skipped(&reading).is_empty());
}

/// mariadb-server's preinst makes its user on `preinst install`; the postinst does not.
const PREINST_ACCOUNT: &str = r#"#!/bin/bash
set -e
if [ "$1" = "install" ] || [ "$1" = "upgrade" ]; then
  if ! getent group mysql >/dev/null; then
    addgroup --system mysql >/dev/null
  fi
  if ! getent passwd mysql >/dev/null; then
    adduser --system --disabled-login --ingroup mysql --no-create-home --home /nonexistent --gecos "MariaDB Server" --shell /bin/false mysql >/dev/null
  fi
fi
case "$DPKG_MAINTSCRIPT_NAME" in
  preinst) touch /etc/preinst-ran ;;
  postinst) touch /etc/postinst-ran ;;
esac
"#;

#[test]
fn a_preinst_is_read_with_install() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let accounts = |_: Account<'_>| Some(false);
    let ctx = Context::new("mariadb-server", &files).with_accounts(&accounts);
    let reading = read_script(Script::Preinst, PREINST_ACCOUNT, &ctx).unwrap();
    let made: Vec<String> = calls(&reading)
        .into_iter()
        .filter_map(|c| match c {
            Call::AddGroup(g) => Some(format!("group {}", g.name)),
            Call::AddUser(u) => Some(format!("user {}", u.name)),
            Call::Touch { path } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(made, ["group mysql", "user mysql", "/etc/preinst-ran"]);
    let reading = read_postinst(PREINST_ACCOUNT, &ctx).unwrap();
    assert_eq!(calls(&reading), [touch("/etc/postinst-ran")]);
}

/// postgresql-common's postinst: a user it made owns nothing yet, so its ownership test
/// run through `su` fails and the `chown` runs; a check whose failing branch only exits
/// is not a skipped construct; any other `su -c` is listed, not dropped.
const SU_OWNERSHIP: &str = r#"#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if ! getent passwd postgres > /dev/null; then
        adduser --system --quiet --home /var/lib/postgresql --no-create-home --shell /bin/bash --group postgres
    fi
    if [ "`id -u postgres`" -eq 0 ]; then
        echo "The postgres system user must not have uid 0 (root)." >&2
        exit 1
    fi
    mkdir -p /var/lib/postgresql
    su -s /bin/sh postgres -c "test -O /var/lib/postgresql &&
            test -G /var/lib/postgresql" || \
        chown postgres:postgres /var/lib/postgresql
    su postgres -c "initdb -D /var/lib/postgresql/data"
fi
"#;

#[test]
fn su_ownership_tests_of_a_new_user_fail() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let accounts = |_: Account<'_>| Some(false);
    let ctx = Context::new("postgresql-common", &files).with_accounts(&accounts);
    let reading = read_postinst(SU_OWNERSHIP, &ctx).unwrap();
    let chowns: Vec<Call> = calls(&reading)
        .into_iter()
        .filter(|c| matches!(c, Call::Chown { .. }))
        .collect();
    assert_eq!(
        chowns,
        [Call::Chown {
            owner: Some(s("postgres")),
            group: Some(s("postgres")),
            path: s("/var/lib/postgresql"),
            recursive: false,
        }]
    );
    let skipped = skipped(&reading);
    assert_eq!(skipped.len(), 1, "{}", dump(&reading));
    assert!(skipped[0].1.contains("initdb"), "{skipped:?}");
}

#[test]
fn keys_ids_and_databases_made_at_install_time_are_left_to_the_container() {
    let reading = read(
        "#!/bin/sh\nset -e\nmake-ssl-cert generate-default-snakeoil --force-overwrite\npg_createcluster 17 main\ndbus-uuidgen --ensure\nsystemd-machine-id-setup\nTMPDIR='' bash /usr/bin/mariadb-install-db --rpm --user=mysql 2>&1 | $ERR_LOGGER\n",
    );
    let whys: Vec<String> = reading.skipped.iter().map(|s| s.why.to_string()).collect();
    assert_eq!(whys.len(), 5, "{}", dump(&reading));
    assert!(whys[4].contains("initialises a database"), "{whys:?}");
    // Left to the running container on purpose, and marked so (not "unknown").
    assert!(
        reading
            .skipped
            .iter()
            .all(|s| matches!(s.why, Why::AtRuntime(_))),
        "{}",
        dump(&reading)
    );
    assert!(
        whys[2].contains("machine id") && whys[3].contains("machine id"),
        "{whys:?}"
    );
    assert!(
        whys[0].contains("key pair") && whys[0].contains("container starts"),
        "{whys:?}"
    );
    assert!(whys[1].contains("initialises a database"), "{whys:?}");
}

/// mariadb-server's postinst gives its data directory to mysql through find | xargs: the
/// end state is `chown -R`. Other pipelines stay listed.
#[test]
fn find_xargs_chown_is_a_recursive_chown() {
    let reading = read(
        "#!/bin/sh\nmysql_datadir=/var/lib/mysql\nfind $mysql_datadir ! -uid \"$(id -u mysql)\" -print0 | xargs -0 -r chown mysql\nfind /var/lib/x -follow -not -group mysql -print0 2>/dev/null | xargs -0 -r chgrp mysql\nfind /etc -name '*.bak' | xargs rm\n",
    );
    let chowns: Vec<Call> = calls(&reading)
        .into_iter()
        .filter(|c| matches!(c, Call::Chown { .. }))
        .collect();
    assert_eq!(
        chowns,
        [
            Call::Chown {
                owner: Some(s("mysql")),
                group: None,
                path: s("/var/lib/mysql"),
                recursive: true,
            },
            Call::Chown {
                owner: None,
                group: Some(s("mysql")),
                path: s("/var/lib/x"),
                recursive: true,
            },
        ]
    );
    assert_eq!(skipped(&reading).len(), 1, "{}", dump(&reading));
    assert!(skipped(&reading)[0].1.contains("*.bak"));
}

/// ca-certificates-java's postinst sources its defaults file before deciding anything.
const SOURCES_DEFAULTS: &str = r#"#!/bin/sh
set -e
storepass='changeit'
if [ -f /etc/default/cacerts ]; then
    . /etc/default/cacerts
fi
. /usr/share/pkg/functions
if [ "$cacerts_updates" = "yes" ] && [ "$storepass" = "s3cret" ]; then
    touch /var/lib/pkg/fresh
fi
if [ "$from_functions" = yes ]; then
    touch /var/lib/pkg/never
fi
"#;

#[test]
fn a_sourced_defaults_file_sets_its_variables_and_nothing_else_does() {
    let mut image = Image::base();
    image.add(&["/etc/default/cacerts", "/usr/share/pkg/functions"]);
    let files = |p: &str| image.lookup(p);
    let texts = |path: &str| match path {
        "/etc/default/cacerts" => Some(
            "# defaults\n#storepass=''\ncacerts_updates=yes\nstorepass=\"s3cret\"\n".to_owned(),
        ),
        // Functions and commands: not a defaults file, so nothing of it is taken.
        "/usr/share/pkg/functions" => Some("from_functions=yes\nsetup() { :; }\n".to_owned()),
        _ => None,
    };
    let ctx = Context::new("ca-certificates-java", &files).with_sourced_files(&texts);
    let reading = read_postinst(SOURCES_DEFAULTS, &ctx).unwrap();
    assert!(
        calls(&reading).contains(&touch("/var/lib/pkg/fresh")),
        "{}",
        dump(&reading)
    );
    assert!(
        !calls(&reading).contains(&touch("/var/lib/pkg/never")),
        "{}",
        dump(&reading)
    );
    let lines: Vec<usize> = skipped(&reading)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(lines, [11], "{}", dump(&reading));

    // Without the files, both conditions stay undecided.
    let blind = Context::new("ca-certificates-java", &files);
    let reading = read_postinst(SOURCES_DEFAULTS, &blind).unwrap();
    assert!(
        !calls(&reading).contains(&touch("/var/lib/pkg/fresh")),
        "{}",
        dump(&reading)
    );
    assert_eq!(skipped(&reading).len(), 2, "{}", dump(&reading));
}

/// Commands with nothing to do in an image are recorded as ignored, with why, and what
/// follows them is still read.
#[test]
fn sync_and_apparmor_are_ignored_not_unknown() {
    let image = Image::base();
    let script = "#!/bin/sh\nset -e\nsync\nif aa-status --enabled 2>/dev/null; then\n  apparmor_parser -r -T -W /etc/apparmor.d/usr.sbin.foo || true\nfi\ntouch /etc/after\n";
    let reading = image.read("foo", script);
    // An ignored query answers "no": the profile is not loaded at build time.
    assert_eq!(
        ignored(&reading),
        ["sync", "aa-status --enabled"],
        "{}",
        dump(&reading)
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert!(
        calls(&reading).contains(&touch("/etc/after")),
        "{}",
        dump(&reading)
    );
}

#[test]
fn nothing_runs_while_an_image_is_built() {
    let reading = read(
        r#"#!/bin/sh
set -e
if ! pgrep -x -u "$USERS" --ns $$ "mysqld|mariadbd" >/dev/null; then
    touch /not-running
fi
if invoke-rc.d --quiet nginx status >/dev/null; then
    touch /never
fi
systemctl is-active --quiet foo.service || touch /inactive
cat /dev/null > /etc/empty.cnf
"#,
    );
    assert!(reading.skipped.is_empty(), "{}", dump(&reading));
    assert_eq!(
        effects(&reading),
        vec![
            touch("/not-running"),
            touch("/inactive"),
            Call::WriteFile {
                path: s("/etc/empty.cnf"),
                content: String::new(),
                append: false,
            },
        ],
        "{}",
        dump(&reading)
    );
}

const PIPELINES: &str = r#"#!/bin/sh
set -e
dirs=$(echo "/usr/lib/a:/usr/lib/b" | sed 's/:/ /g')
for d in $dirs; do
    touch "$d/stamp"
done
if grep -q '^supported-versions[^#]*python3.13' /usr/share/python/debian_defaults; then
    touch /var/lib/pkg/supported
fi
if echo "$dirs" | grep -qv /usr/lib/a; then
    touch /var/lib/pkg/never
fi
home=$(cat /etc/pkg.conf | grep '^home=' | cut -d= -f2 | tr a-z A-Z)
mkdir -p "/srv/$home"
first=$(printf '%s\n' b a | sort | head -n 1)
touch "/var/lib/pkg/$first"
case "$(dpkg --print-architecture | awk '{print $1}')" in
    amd64) touch /var/lib/pkg/amd64 ;;
esac
if ps -e | grep -q mysqld; then
    touch /var/lib/pkg/running
fi
"#;

/// Pipelines of commands whose output is known feed text filters, in `$(...)` and as
/// conditions; a pipeline with a stage whose output is not known stays undecided.
#[test]
fn pipelines_of_known_output_through_text_filters_are_evaluated() {
    let mut image = Image::base();
    image.add(&["/usr/share/python/debian_defaults", "/etc/pkg.conf"]);
    let files = |p: &str| image.lookup(p);
    let texts = |path: &str| match path {
        "/usr/share/python/debian_defaults" => {
            Some("[DEFAULT]\nsupported-versions = python3.13\n".to_owned())
        }
        "/etc/pkg.conf" => Some("name=x\nhome=data\n".to_owned()),
        _ => None,
    };
    let ctx = Context::new("pkg", &files)
        .with_sourced_files(&texts)
        .with_architectures("amd64", "amd64");
    let reading = read_postinst(PIPELINES, &ctx).unwrap();
    let made = calls(&reading);
    for path in [
        "/usr/lib/a/stamp",
        "/usr/lib/b/stamp",
        "/var/lib/pkg/supported",
        "/var/lib/pkg/a",
        "/var/lib/pkg/amd64",
    ] {
        assert!(made.contains(&touch(path)), "{path}: {}", dump(&reading));
    }
    assert!(
        !made.contains(&touch("/var/lib/pkg/never")),
        "{}",
        dump(&reading)
    );
    assert!(
        made.iter()
            .any(|c| matches!(c, Call::Mkdir { path, .. } if path == "/srv/DATA")),
        "{}",
        dump(&reading)
    );
    // `ps` prints what runs: not known, so its branch is listed as undecided.
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [20], "{}", dump(&reading));
}

const GETENT: &str = r#"#!/bin/sh
set -e
if ! getent group shadow | grep -q '^shadow:[^:]*:42'; then
    groupadd -g 42 shadow
fi
home=$(getent passwd postgres | cut -d: -f6)
mkdir -p "$home/data"
if [ -z "$(getent passwd nobody-here)" ]; then
    touch /var/lib/pkg/no-such-user
fi
useradd --system made
made_home=$(getent passwd made | cut -d: -f6)
mkdir -p "$made_home/x"
"#;

/// `getent`'s output comes from the account files the script started with; an account
/// the script made itself is not in them, so what it prints for that one is not known.
#[test]
fn getent_prints_the_image_accounts() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let passwd =
        "root:x:0:0:root:/root:/bin/sh\npostgres:x:100:102::/var/lib/postgresql:/bin/bash\n";
    let group = "root:x:0:\nshadow:x:42:\npostgres:x:102:\n";
    let known = |account: aloft_maintscript::Account<'_>| {
        Some(match account {
            aloft_maintscript::Account::User(name) => passwd.contains(&format!("{name}:")),
            aloft_maintscript::Account::Group(name) => group.contains(&format!("{name}:")),
        })
    };
    let ctx = Context::new("pkg", &files)
        .with_accounts(&known)
        .with_account_files(passwd, group);
    let reading = read_postinst(GETENT, &ctx).unwrap();
    let made = calls(&reading);
    assert!(
        !made.iter().any(|c| matches!(c, Call::AddGroup(..))),
        "{}",
        dump(&reading)
    );
    assert!(
        made.iter()
            .any(|c| matches!(c, Call::Mkdir { path, .. } if path == "/var/lib/postgresql/data")),
        "{}",
        dump(&reading)
    );
    assert!(
        made.contains(&touch("/var/lib/pkg/no-such-user")),
        "{}",
        dump(&reading)
    );
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [13], "{}", dump(&reading));

    // Without the account files, the first `if` is not decided.
    let blind = Context::new("pkg", &files).with_accounts(&known);
    let reading = read_postinst(GETENT, &blind).unwrap();
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert!(lines.contains(&3), "{}", dump(&reading));
}

const DEBCONF: &str = r#"#!/bin/sh
set -e
. /usr/share/debconf/confmodule
db_get pkg/hinting
case "$RET" in
    Slight) ln -s /usr/share/pkg/10-slight.conf /etc/pkg/conf.d/10-slight.conf ;;
    None) ln -s /usr/share/pkg/10-none.conf /etc/pkg/conf.d/10-none.conf ;;
esac
db_set pkg/enable true
db_get pkg/enable
if [ "$RET" = true ]; then
    touch /etc/pkg/enabled
fi
db_fget pkg/hinting seen
if [ "$RET" = false ]; then
    touch /etc/pkg/unseen
fi
db_get other/question
if [ "$RET" = x ]; then
    touch /etc/pkg/x
fi
"#;

/// `db_get` gives a question's default, as a non-interactive install asked nothing gets
/// it, or what the script `db_set`; a question no template defines stays unknown.
#[test]
fn debconf_answers_are_the_templates_defaults() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let defaults = |question: &str| match question {
        "pkg/hinting" => Some("Slight".to_owned()),
        "pkg/enable" => Some("false".to_owned()),
        _ => None,
    };
    let ctx = Context::new("pkg", &files).with_debconf_defaults(&defaults);
    let reading = read_postinst(DEBCONF, &ctx).unwrap();
    let made = calls(&reading);
    assert!(
        made.contains(&link(
            "/usr/share/pkg/10-slight.conf",
            "/etc/pkg/conf.d/10-slight.conf"
        )),
        "{}",
        dump(&reading)
    );
    assert!(
        made.contains(&touch("/etc/pkg/enabled")),
        "{}",
        dump(&reading)
    );
    assert!(
        made.contains(&touch("/etc/pkg/unseen")),
        "{}",
        dump(&reading)
    );
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [19], "{}", dump(&reading));
    // Without the templates, `$RET` is known only where the script set the answer.
    let reading = read_postinst(DEBCONF, &Context::new("pkg", &files)).unwrap();
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [5, 15, 19], "{}", dump(&reading));
}

const QUERIES: &str = r#"#!/bin/sh
set -e
if dpkg --compare-versions "$(dpkg-query -f '${Version}' -W base-files)" le 13; then
    touch /var/lib/pkg/old-base-files
fi
for arch in $(dpkg-query -W -f '${Architecture}\n' libglib2.0-0 2>/dev/null || true); do
    touch "/var/lib/pkg/glib-$arch"
done
if [ "$(dpkg-query -W -f='${db:Status-Want}' locales-all 2>/dev/null)" = install ]; then
    touch /var/lib/pkg/locales-all
fi
if ! id -Gn postgres | grep -qw ssl-cert; then
    touch /var/lib/pkg/not-in-ssl-cert
fi
if [ -z "$(ss -nlt 'sport = 80' | grep -v ^State)" ]; then
    touch /var/lib/pkg/port-80-free
fi
case "$(readlink -f /var/run)" in
    /run) touch /var/lib/pkg/var-run-is-run ;;
esac
touch "/var/lib/pkg/real-$(dpkg-realpath /bin/sh | tr / _)"
"#;

/// Queries answered from the image: `dpkg-query -W` of its packages, `id` of its
/// accounts, `readlink -f` and `dpkg-realpath` through its links, and `ss`, since
/// nothing listens while an image is built.
#[test]
fn image_queries_in_command_substitutions() {
    let mut image = Image::base();
    image.add(&["/var/run -> /run"]);
    let files = |p: &str| image.lookup(p);
    let installed = |name: &str| match name {
        "base-files" => Some(("13.8".to_owned(), "amd64".to_owned())),
        "locales-all" => Some(("2.41-12".to_owned(), "amd64".to_owned())),
        _ => None,
    };
    let passwd =
        "root:x:0:0:root:/root:/bin/sh\npostgres:x:100:102::/var/lib/postgresql:/bin/bash\n";
    let group = "root:x:0:\nssl-cert:x:101:postgres\npostgres:x:102:\n";
    let ctx = Context::new("pkg", &files)
        .with_packages(&installed)
        .with_account_files(passwd, group);
    let reading = read_postinst(QUERIES, &ctx).unwrap();
    let made = calls(&reading);
    for path in [
        "/var/lib/pkg/locales-all",
        "/var/lib/pkg/port-80-free",
        "/var/lib/pkg/var-run-is-run",
        "/var/lib/pkg/real-_usr_bin_dash",
    ] {
        assert!(made.contains(&touch(path)), "{path}: {}", dump(&reading));
    }
    for path in [
        "/var/lib/pkg/old-base-files",
        "/var/lib/pkg/not-in-ssl-cert",
    ] {
        assert!(!made.contains(&touch(path)), "{path}: {}", dump(&reading));
    }
    // libglib2.0-0 is not in the image: no architecture, no loop.
    assert!(
        !made
            .iter()
            .any(|c| matches!(c, Call::Touch { path } if path.starts_with("/var/lib/pkg/glib-"))),
        "{}",
        dump(&reading)
    );
    assert_eq!(skipped(&reading), Vec::new(), "{}", dump(&reading));
}

const FIND: &str = r#"#!/bin/sh
set -e
find /etc/redis -maxdepth 1 -type d -name 'redis-server.*.d' -empty -delete
for loader in $(find /usr/lib/loaders -name '*.so' 2>/dev/null | sort); do
    touch "/var/cache/loaders/$(basename $loader).seen"
done
if [ -z "$(find /etc/full -type d -empty)" ]; then
    touch /var/lib/pkg/nothing-empty
fi
find /etc/full -name '*.conf' -delete
"#;

/// `find` over the image's listings: what it selects is printed; an action on nothing
/// selected is a no-op, and one on something is listed, not guessed.
#[test]
fn find_selects_from_the_image_listing() {
    let mut image = Image::base();
    image.add(&[
        "/etc/redis/redis.conf",
        "/etc/redis/redis-server.pre-up.d/",
        "/etc/redis/redis-server.pre-up.d/00_example",
        "/usr/lib/loaders/b.so",
        "/usr/lib/loaders/a.so",
        "/usr/lib/loaders/readme",
        "/etc/full/a.conf",
        "/etc/full/sub/",
        "/etc/full/sub/x",
    ]);
    let files = |p: &str| image.lookup(p);
    let list = |dir: &str| image.list(dir);
    let ctx = Context::new("pkg", &files).with_listing(&list);
    let reading = read_postinst(FIND, &ctx).unwrap();
    let made = calls(&reading);
    assert!(
        made.contains(&touch("/var/cache/loaders/a.so.seen")),
        "{}",
        dump(&reading)
    );
    assert!(
        made.contains(&touch("/var/cache/loaders/b.so.seen")),
        "{}",
        dump(&reading)
    );
    assert!(
        made.contains(&touch("/var/lib/pkg/nothing-empty")),
        "{}",
        dump(&reading)
    );
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [10], "{}", dump(&reading));
}

const TEMP_FILES: &str = r#"#!/bin/sh
set -e
CCTMP=$(mktemp --tmpdir postgresql-common.XXXXXX)
sed -e "s/^ssl =.*/ssl = on/" /usr/share/pkg/template.conf > $CCTMP
if [ -f "$CCTMP" ]; then
    mv $CCTMP /etc/pkg/pkg.conf
fi
tmp=$(mktemp)
rm -f "$tmp"
"#;

/// `mktemp` gives a name of its own, the same on every build, and what a known
/// command writes into it is known.
#[test]
fn mktemp_names_are_deterministic_and_known_output_is_written() {
    let mut image = Image::base();
    image.add(&["/usr/share/pkg/template.conf", "/etc/pkg/"]);
    let files = |p: &str| image.lookup(p);
    let texts = |path: &str| {
        (path == "/usr/share/pkg/template.conf").then(|| "ssl = off\nport = 5432\n".to_owned())
    };
    let ctx = Context::new("pkg", &files).with_sourced_files(&texts);
    let reading = read_postinst(TEMP_FILES, &ctx).unwrap();
    assert_eq!(
        calls(&reading),
        vec![
            touch("/tmp/postgresql-common.aloft1"),
            Call::Chmod {
                mode: 0o600,
                path: s("/tmp/postgresql-common.aloft1"),
                recursive: false,
            },
            Call::WriteFile {
                path: s("/tmp/postgresql-common.aloft1"),
                content: s("ssl = on\nport = 5432\n"),
                append: false,
            },
            Call::Move {
                source: s("/tmp/postgresql-common.aloft1"),
                dest: s("/etc/pkg/pkg.conf"),
            },
            touch("/tmp/tmp.aloft2"),
            Call::Chmod {
                mode: 0o600,
                path: s("/tmp/tmp.aloft2"),
                recursive: false,
            },
            Call::Remove {
                path: s("/tmp/tmp.aloft2"),
                recursive: false,
            },
        ],
        "{}",
        dump(&reading)
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
}

const REDIRECTED_STAGES: &str = r#"#!/bin/sh
set -e
x=$(command -v true >/dev/null 2>&1 && echo yes)
touch "/var/lib/pkg/x-$x"
target=$(readlink -f /etc/alternatives/dangling)
touch "/var/lib/pkg/$(basename $target)"
n=$(seq 9223372036854775806 9223372036854775807 | wc -l)
touch "/var/lib/pkg/n-$n"
merged=$(dpkg-query -W base-files 2>&1 | cut -f1)
touch "/var/lib/pkg/merged-$merged"
"#;

/// A stage's output sent to /dev/null is not what `$(...)` gets; merged error output is
/// not evaluated; `readlink -f` follows a link whose target is missing; `seq` of huge
/// numbers neither overflows nor hangs.
#[test]
fn redirected_stages_and_dangling_links() {
    let mut image = Image::base();
    image.add(&[
        "/etc/alternatives/dangling -> /usr/lib/x/missing-target",
        "/usr/lib/x/",
    ]);
    let files = |p: &str| image.lookup(p);
    let installed = |name: &str| (name == "base-files").then(|| (s("13.8"), s("amd64")));
    let ctx = Context::new("pkg", &files).with_packages(&installed);
    let reading = read_postinst(REDIRECTED_STAGES, &ctx).unwrap();
    let made = calls(&reading);
    for path in [
        "/var/lib/pkg/x-yes",
        "/var/lib/pkg/missing-target",
        "/var/lib/pkg/n-2",
    ] {
        assert!(made.contains(&touch(path)), "{path}: {}", dump(&reading));
    }
    let lines: Vec<usize> = skipped(&reading).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [10], "{}", dump(&reading));
}

/// `dpkg-divert --rename` moves a file only when there is one: a diversion of a path the
/// image lacks (postgresql-common's of libpq-dev's pg_config), or the removal of one
/// that was never made (gtk-update-icon-cache's of an old package's), is dpkg's
/// database alone. Moving a file the image has is listed.
#[test]
fn a_rename_with_nothing_to_move_is_the_diversion_alone() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let none = |_: &str| None;
    let ctx = Context::new("postgresql-common", &files).with_diversions(&none);
    let script = "#!/bin/sh\nset -e\ndpkg-divert --package postgresql-common --rename --divert /usr/bin/pg_config.libpq-dev --add /usr/bin/pg_config\ndpkg-divert --remove --package libgtk-3-bin --rename --divert /usr/sbin/x.gtk2 /usr/sbin/x\ndpkg-divert --package postgresql-common --rename --add /bin/sh\n";
    let reading = read_postinst(script, &ctx).unwrap();
    assert_eq!(
        calls(&reading),
        vec![
            Call::Divert {
                path: s("/usr/bin/pg_config"),
                package: Some(s("postgresql-common")),
                divert_to: s("/usr/bin/pg_config.libpq-dev"),
                remove: false,
            },
            Call::Divert {
                path: s("/usr/sbin/x"),
                package: Some(s("libgtk-3-bin")),
                divert_to: s("/usr/sbin/x.gtk2"),
                remove: true,
            },
        ],
        "{}",
        dump(&reading)
    );
    let listed = skipped(&reading);
    assert_eq!(listed.len(), 1, "{}", dump(&reading));
    assert!(listed[0].1.contains("/bin/sh"), "{listed:?}");
    // Without the image's diversions, a removal's file is not known to be absent.
    let ctx = Context::new("gtk", &files);
    let reading = read_postinst(
        "#!/bin/sh\ndpkg-divert --remove --package a --rename --divert /usr/sbin/x.gtk2 /usr/sbin/x\n",
        &ctx,
    )
    .unwrap();
    assert_eq!(skipped(&reading).len(), 1, "{}", dump(&reading));
}

/// `update-alternatives --query` and `--list` are answered from the alternatives
/// registered so far, this script's included (mariadb-common checks that its my.cnf won;
/// postgresql-common lists an old alternative's choices).
#[test]
fn alternatives_are_queried_as_registered() {
    let mut image = Image::base();
    image.add(&["/etc/mysql/mariadb.cnf", "/etc/mysql/my.cnf.fallback"]);
    let files = |p: &str| image.lookup(p);
    let fallback = |name: &str| {
        (name == "my.cnf").then(|| aloft_maintscript::Alternative {
            link: s("/etc/mysql/my.cnf"),
            manual: None,
            choices: vec![aloft_maintscript::AlternativeChoice {
                path: s("/etc/mysql/my.cnf.fallback"),
                priority: 100,
                slaves: Vec::new(),
            }],
            slaves: Vec::new(),
        })
    };
    let ctx = Context::new("mariadb-common", &files).with_alternatives(&fallback);
    let script = "#!/bin/sh\nset -e\nif ! update-alternatives --query my.cnf | grep --quiet \"Value: /etc/mysql/mariadb.cnf\"; then\n  touch /tmp/before\nfi\nupdate-alternatives --install /etc/mysql/my.cnf my.cnf /etc/mysql/mariadb.cnf 200\nif ! update-alternatives --query my.cnf | grep --quiet \"Value: /etc/mysql/mariadb.cnf\"; then\n  touch /tmp/after\nfi\nif update-alternatives --list postmaster.1.gz >/dev/null 2>&1; then\n  touch /tmp/postmaster\nfi\nn=$(update-alternatives --list my.cnf | wc -l)\ntouch /tmp/count-$n\nupdate-alternatives --set my.cnf /etc/mysql/my.cnf.fallback\nupdate-alternatives --query my.cnf | grep -q 'Status: manual' && touch /tmp/manual\nupdate-alternatives --remove my.cnf /etc/mysql/my.cnf.fallback\nupdate-alternatives --query my.cnf | grep -q 'Status: auto' && touch /tmp/auto\n";
    let reading = read_postinst(script, &ctx).unwrap();
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        touched(&reading),
        vec![
            touch("/tmp/before"),
            touch("/tmp/count-2"),
            touch("/tmp/manual"),
            touch("/tmp/auto")
        ],
        "{}",
        dump(&reading)
    );
    // Without the image's alternatives, a query's answer is not known.
    let ctx = Context::new("mariadb-common", &files);
    let reading = read_postinst(script, &ctx).unwrap();
    assert!(!skipped(&reading).is_empty(), "{}", dump(&reading));
}

/// An `EXIT` trap's action runs when the script ends (at its last line or by `exit`),
/// with the values it had when set when they were expanded then; `""` or `-` removes it,
/// and actions on signals never run (none is delivered while an image is built).
#[test]
fn exit_traps_run_when_the_script_ends() {
    let reading = read(
        "#!/bin/sh\nset -e\nT=/tmp/a\ncleanup() { rm -f /tmp/b; }\ntrap \"rm -f $T\" 0 2 3 15\ntouch /tmp/a /tmp/b\ntrap cleanup EXIT\ntrap 'touch /tmp/signalled' INT TERM\nif [ \"$1\" = configure ]; then\n  exit 0\nfi\ntouch /tmp/never\n",
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        calls(&reading),
        vec![
            touch("/tmp/a"),
            touch("/tmp/b"),
            Call::Remove {
                path: s("/tmp/b"),
                recursive: false
            },
        ],
        "{}",
        dump(&reading)
    );
    // Removed, it does not run.
    let reading = read(
        "#!/bin/sh\ntouch /tmp/a\ntrap 'rm -f /tmp/a' EXIT\ntrap \"\" EXIT\ntrap 'rm -f /tmp/a' EXIT\ntrap - 0\n",
    );
    assert_eq!(calls(&reading), vec![touch("/tmp/a")], "{}", dump(&reading));
}

/// `while read` loops over a known input run line by line: a file of the image
/// (`done < FILE`, with the command's own `IFS`), a here-document, and the output of
/// commands piped into the loop (which runs in a subshell). The loop ends at the end of
/// the input; an unknown input leaves it listed.
#[test]
fn while_read_loops_read_known_input() {
    let mut image = Image::base();
    image.add(&["/usr/share/shells"]);
    let files = |p: &str| image.lookup(p);
    let texts = |p: &str| {
        (p == "/usr/share/shells").then(|| s("# comment\n/bin/sh\n/usr/bin/dash # default\n"))
    };
    let ctx = Context::new("pkg", &files).with_sourced_files(&texts);
    let script = "#!/bin/sh\nset -e\nn=\nwhile IFS='#' read -r line _; do\n  [ -n \"$line\" ] || continue\n  n=\"${n}i\"\n  touch \"/tmp/shell-$n-$(basename $line)\"\ndone < /usr/share/shells\ntouch /tmp/count-$n\nwhile read a b; do\n  touch \"/tmp/$a-$b\"\ndone <<EOF\nx y z\n  p   q\nEOF\necho \"one two\" | while read word rest; do\n  touch \"/tmp/piped-$word\"\n  n=99\ndone\ntouch /tmp/after-$n\nwhile read line; do touch /tmp/never; done < /etc/unknown-file\n";
    let reading = read_postinst(script, &ctx).unwrap();
    assert_eq!(
        touched(&reading),
        vec![
            touch("/tmp/shell-i-sh"),
            touch("/tmp/shell-ii-dash"),
            touch("/tmp/count-ii"),
            touch("/tmp/x-y z"),
            touch("/tmp/p-q"),
            touch("/tmp/piped-one"),
            // The piped loop's assignment stays in its subshell.
            touch("/tmp/after-ii"),
        ],
        "{}",
        dump(&reading)
    );
    // /etc/unknown-file is not in the image: the loop's input is not known.
    let listed = skipped(&reading);
    assert_eq!(listed.len(), 1, "{}", dump(&reading));
    assert!(listed[0].1.contains("while read line"), "{listed:?}");
}

/// A command substitution that is more than a pipeline (a function, a loop, a list) runs
/// as a subshell whose output is captured: tzdata's `$(get_timezone)`, xz-utils' slaves
/// built by a function. One that prints what the reader cannot know leaves nothing of
/// what it did and stays unknown.
#[test]
fn command_substitutions_run_functions_and_loops() {
    let reading = read(
        "#!/bin/sh\nset -e\nget_tz() {\n  if ! [ -L /etc/localtime ]; then\n    return\n  fi\n  echo never\n}\nslave() { echo \"--slave $1/$2 $2 $1/$3\"; }\nif test \"$(get_tz)\" != \"Etc/UTC\"; then touch /tmp/tz-differs; fi\nS=$(for u in a b; do slave /usr/bin $u x$u; done)\ntouch \"/tmp/$S\"\nN=$(touch /tmp/inner; echo done)\ntouch /tmp/$N\nU=$(touch /tmp/rolled-back; frobnicate --print)\ntouch \"/tmp/u-$U\"\n",
    );
    assert_eq!(
        touched(&reading),
        vec![
            touch("/tmp/tz-differs"),
            touch("/tmp/--slave /usr/bin/a a /usr/bin/xa\n--slave /usr/bin/b b /usr/bin/xb"),
            touch("/tmp/inner"),
            touch("/tmp/done"),
        ],
        "{}",
        dump(&reading)
    );
    // frobnicate's output is not known: its touch is not kept but listed, and so is
    // what uses the substitution's value.
    let listed = skipped(&reading);
    assert_eq!(listed.len(), 2, "{}", dump(&reading));
    assert_eq!(listed[0], (15, s("$(...)")), "{listed:?}");
    assert!(listed[1].1.contains("/tmp/u-$U"), "{listed:?}");
}

/// Owners and modes as the image ships them answer `stat -c`, `chmod`/`chown
/// --reference` and symbolic modes (debianutils' update-shells, ca-certificates'
/// `mkdir -m $(stat -L -c %a /usr/local)`, mariadb's `chmod +x`); a file the script
/// changed is no longer known.
#[test]
fn stat_and_reference_modes_come_from_the_image() {
    let mut image = Image::base();
    image.add(&["/usr/local/", "/usr/share/shells", "/etc/init.d/db"]);
    let files = |p: &str| image.lookup(p);
    let metadata = |p: &str| {
        let (mode, uid, gid, owner, group) = match p {
            "/usr/local" => (0o2775, 0, 50, "root", "staff"),
            "/usr/share/shells" => (0o644, 0, 0, "root", "root"),
            "/etc/init.d/db" => (0o644, 0, 0, "root", "root"),
            _ => return None,
        };
        Some(aloft_maintscript::Metadata {
            mode,
            uid,
            gid,
            owner: Some(s(owner)),
            group: Some(s(group)),
        })
    };
    let ctx = Context::new("pkg", &files).with_metadata(&metadata);
    let script = "#!/bin/sh\nset -e\nmkdir -m $(stat -L -c %a /usr/local) /usr/local/share/ca\nG=$(stat -c '%U:%G %u/%g' /usr/local)\ntouch \"/tmp/$G\"\n: > /etc/shells.tmp\nchmod --reference=/usr/share/shells /etc/shells.tmp || chmod $(stat -c %a /usr/share/shells) /etc/shells.tmp\nchown --reference=/usr/share/shells /etc/shells.tmp\nchmod +x /etc/init.d/db\nchmod g-w /etc/init.d/db\nif mkdir -m $(stat -L -c %a /nonexistent) /srv/x 2>/dev/null; then touch /tmp/made; fi\n";
    let reading = read_postinst(script, &ctx).unwrap();
    // `chmod g-w` after `chmod +x`: the script changed the mode, which is then not known.
    let listed = skipped(&reading);
    assert_eq!(listed.len(), 1, "{}", dump(&reading));
    assert!(listed[0].1.contains("g-w"), "{listed:?}");
    let chmods: Vec<Call> = calls(&reading)
        .into_iter()
        .filter(|c| {
            matches!(
                c,
                Call::Chmod { .. } | Call::Chown { .. } | Call::Mkdir { .. }
            )
        })
        .collect();
    assert_eq!(
        chmods,
        vec![
            Call::Mkdir {
                path: s("/usr/local/share/ca"),
                mode: Some(0o2775),
                owner: None,
                group: None,
            },
            Call::Chmod {
                mode: 0o644,
                path: s("/etc/shells.tmp"),
                recursive: false
            },
            Call::Chown {
                owner: Some(s("root")),
                group: Some(s("root")),
                path: s("/etc/shells.tmp"),
                recursive: false
            },
            Call::Chmod {
                mode: 0o755,
                path: s("/etc/init.d/db"),
                recursive: false
            },
        ],
        "{}",
        dump(&reading)
    );
    assert!(
        touched(&reading).contains(&touch("/tmp/root:staff 0/50")),
        "{}",
        dump(&reading)
    );
}

/// `phpquery -M -v VERSION` lists the modules phpenmod registered: by earlier scripts
/// (the image's listing) and by this one; php8.4-cli enables each in its SAPI.
#[test]
fn phpquery_lists_the_registered_modules() {
    let mut image = Image::base();
    image.add(&[
        "/usr/lib/php/php-maintscript-helper",
        "/var/lib/php/modules/8.4/registry/apcu",
    ]);
    let files = |p: &str| image.lookup(p);
    let listing = |dir: &str| image.list(dir);
    let ctx = Context::new("php8.4-cli", &files).with_listing(&listing);
    let script = "#!/bin/sh\nset -e\n. /usr/lib/php/php-maintscript-helper\nphp_invoke enmod 8.4 ALL opcache\nmods=$(phpquery -M -v 8.4)\nfor mod in $mods; do\n  php_invoke enmod 8.4 cli $mod\ndone\n";
    let reading = read_postinst(script, &ctx).unwrap();
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    let enmod = |sapi: &str, module: &str| Call::PhpEnmod {
        version: s("8.4"),
        sapi: s(sapi),
        module: s(module),
    };
    assert_eq!(
        effects(&reading),
        vec![
            enmod("ALL", "opcache"),
            enmod("cli", "apcu"),
            enmod("cli", "opcache")
        ],
        "{}",
        dump(&reading)
    );
}

/// `eval` runs its words as shell text (mariadb-server's `$(eval echo "\$$dir")`), and a
/// compound command whose output goes to a file writes what it prints there, when known
/// (mariadb-server's `{ echo ...; } >> debian.cnf`).
#[test]
fn eval_and_compound_output_to_a_file() {
    let reading = read(
        "#!/bin/sh\nset -e\ndatadir=/var/lib/db\nfor dir in datadir; do\n  checkdir=$(eval echo \"\\$$dir\")\n  touch \"/tmp/check$checkdir\"\ndone\neval \"x=1; touch /tmp/evaluated-\\$x\"\ndc=/etc/db/debian.cnf\n{\n  echo \"[client]\"\n  echo \"user = root\"\n} >> $dc\n{ echo x; frobnicate --print; } > /etc/db/unknown\n",
    );
    assert_eq!(
        effects(&reading),
        vec![
            touch("/tmp/check/var/lib/db"),
            touch("/tmp/evaluated-1"),
            Call::WriteFile {
                path: s("/etc/db/debian.cnf"),
                content: s("[client]\nuser = root\n"),
                append: true,
            },
        ],
        "{}",
        dump(&reading)
    );
    let listed = skipped(&reading);
    assert_eq!(listed.len(), 1, "{}", dump(&reading));
    assert!(listed[0].1.starts_with('{'), "{listed:?}");
}

/// `ln -sr` links by the relative path from the link's directory (locales' legacy link);
/// `ucf --purge` forgets a file in ucf's database, which aloft does not write; and
/// postgresql-common's pg_checksystem only checks the running system.
#[test]
fn relative_links_ucf_purge_and_system_checks() {
    let mut image = Image::base();
    image.add(&[
        "/usr/share/i18n/SUPPORTED",
        "/usr/share/postgresql-common/pg_checksystem*",
    ]);
    let reading = image.read(
        "locales",
        "#!/bin/sh\nset -e\nln -sfr /usr/share/i18n/SUPPORTED /etc/locale.supported\nln -sr /etc/locale.supported /etc/default/x\nucf --purge /etc/logrotate.d/pg\nucfr --purge pg /etc/logrotate.d/pg\n/usr/share/postgresql-common/pg_checksystem || true\n",
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        effects(&reading),
        vec![
            link("../usr/share/i18n/SUPPORTED", "/etc/locale.supported"),
            link("../../usr/share/i18n/SUPPORTED", "/etc/default/x"),
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(ignored(&reading).len(), 3, "{}", dump(&reading));
}

/// `umask`: what `touch`, `mkdir` and redirections make afterwards gets 0666 (0777) less
/// it (libpam-modules' `umask 066; touch /etc/security/opasswd`), until it is 022 again.
#[test]
fn files_made_under_a_umask_get_its_mode() {
    let reading = read(
        "#!/bin/sh\nset -e\numask 066\ntouch /etc/opasswd\nmkdir /var/lib/private\necho x > /etc/secret\numask 022\ntouch /etc/environment\n",
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    let chmod = |mode: u32, path: &str| Call::Chmod {
        mode,
        path: s(path),
        recursive: false,
    };
    let chmods: Vec<Call> = calls(&reading)
        .into_iter()
        .filter(|c| matches!(c, Call::Chmod { .. }))
        .collect();
    assert_eq!(
        chmods,
        vec![
            chmod(0o600, "/etc/opasswd"),
            chmod(0o711, "/var/lib/private"),
            chmod(0o600, "/etc/secret"),
        ],
        "{}",
        dump(&reading)
    );
}

/// What dpkg gives a maintainer script: `$DPKG_ADMINDIR` (dpkg's postinst writes
/// `arch-native` there), and `dpkg-query --control-path` of a package the image lacks
/// fails (libgtk-3-0t64 looks for the postrm of the package it replaces).
#[test]
fn dpkg_admindir_and_control_paths() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let installed = |name: &str| (name == "dpkg").then(|| (s("1.22.21"), s("amd64")));
    let ctx = Context::new("libgtk-3-0t64", &files).with_packages(&installed);
    let reading = read_postinst(
        "#!/bin/sh\nset -e\nadmindir=${DPKG_ADMINDIR:-/nowhere}\necho amd64 > $admindir/arch-native\nif old=$(dpkg-query --control-path \"libgtk-3-0:amd64\" postrm 2>/dev/null) && [ -n \"$old\" ]; then touch /tmp/never; fi\ndpkg-query --control-path dpkg postrm >/dev/null && touch /tmp/installed\n",
        &ctx,
    )
    .unwrap();
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        effects(&reading),
        vec![
            Call::WriteFile {
                path: s("/var/lib/dpkg/arch-native"),
                content: s("amd64\n"),
                append: false,
            },
            touch("/tmp/installed"),
        ],
        "{}",
        dump(&reading)
    );
}

/// `id -Gn` of a user the script made names the groups its calls gave it
/// (postgresql-common: `adduser --group postgres`, then `id -Gn postgres | grep -qw
/// postgres`); `getcap` lists nothing, as aloft writes no file capabilities (iproute2).
#[test]
fn groups_of_new_users_and_capabilities() {
    let reading = read(
        "#!/bin/sh\nset -e\nadduser --system --group --home /var/lib/pg pg\nadduser pg ssl-cert\nif ! id -Gn pg | grep -qw pg; then touch /tmp/not-in-pg; fi\nif id -Gn pg | grep -qw ssl-cert; then touch /tmp/in-ssl-cert; fi\nif getcap /bin/ip | grep -qs /bin/ip; then touch /tmp/capable; fi\n",
    );
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        touched(&reading),
        vec![touch("/tmp/in-ssl-cert")],
        "{}",
        dump(&reading)
    );
}

/// `dpkg-query -L PACKAGE` lists `/.` and the package's paths (libc6's preinst asks
/// whether base-files ships the runtime linker's directory); a package the image lacks
/// has none, and fails.
#[test]
fn dpkg_query_lists_a_packages_files() {
    let image = Image::base();
    let files = |p: &str| image.lookup(p);
    let installed = |name: &str| (name == "base-files").then(|| (s("13.8"), s("amd64")));
    let listed = |name: &str| {
        (name == "base-files").then(|| vec![s("/bin"), s("/etc"), s("/etc/debian_version")])
    };
    let ctx = Context::new("libc6", &files)
        .with_packages(&installed)
        .with_package_files(&listed);
    let reading = read_postinst(
        "#!/bin/sh\nset -e\nif ! dpkg-query -L base-files | grep -qxF /lib64; then touch /tmp/no-lib64; fi\nif dpkg-query -L base-files | grep -qxF /bin; then touch /tmp/bin; fi\nn=$(dpkg-query -L base-files | wc -l)\ntouch /tmp/lines-$n\ndpkg-query -L nothing >/dev/null 2>&1 || touch /tmp/none\n",
        &ctx,
    )
    .unwrap();
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        touched(&reading),
        vec![
            touch("/tmp/no-lib64"),
            touch("/tmp/bin"),
            touch("/tmp/lines-4"),
            touch("/tmp/none")
        ],
        "{}",
        dump(&reading)
    );
}

/// A pipeline that starts with a group or subshell of known output, or ends in a
/// redirection to a file, is computed and its output written (ca-certificates' list of
/// deselected certificates; the expected text is what dash wrote for the same input).
#[test]
fn pipelines_from_a_subshell_into_a_file() {
    let reading = read(
        "#!/bin/sh\nset -e\nCERTS_ENABLED='mozilla/a.crt, mozilla/b.crt'\nCERTS_AVAILABLE='mozilla/b.crt,mozilla/c.crt'\n( echo $CERTS_ENABLED | tr ',' '\\n'; echo $CERTS_AVAILABLE | tr ',' '\\n' ) | sed -e 's/^[[:space:]]*//' | sort | uniq -c | sed -e 's/^[[:space:]]*2[[:space:]]*//' -e 's/^[[:space:]]*1[[:space:]]*/!/' >> /etc/ca.conf\necho b a | tr ' ' '\\n' | sort > /etc/sorted\n( echo x; frobnicate ) | sort > /etc/unknown\n",
    );
    assert_eq!(
        effects(&reading),
        vec![
            Call::WriteFile {
                path: s("/etc/ca.conf"),
                content: s("!mozilla/a.crt\nmozilla/b.crt\n!mozilla/c.crt\n"),
                append: true,
            },
            Call::WriteFile {
                path: s("/etc/sorted"),
                content: s("a\nb\n"),
                append: false,
            },
        ],
        "{}",
        dump(&reading)
    );
    assert_eq!(skipped(&reading).len(), 1, "{}", dump(&reading));
}

/// `perl -e ""` (libc6's test that debconf can be loaded) succeeds where the image has
/// perl, and fails where it has none.
#[test]
fn perl_runs_an_empty_program_where_the_image_has_it() {
    let script = "#!/bin/sh\nif ( [ \"$DEBCONF_USE_CDEBCONF\" ] || perl -e \"\" 2>/dev/null ); then touch /tmp/perl; fi\n";
    let mut image = Image::base();
    assert!(touched(&image.read("libc6", script)).is_empty());
    image.add(&["/usr/bin/perl*"]);
    let reading = image.read("libc6", script);
    assert!(skipped(&reading).is_empty(), "{}", dump(&reading));
    assert_eq!(
        touched(&reading),
        vec![touch("/tmp/perl")],
        "{}",
        dump(&reading)
    );
}

/// Review mends: a capture is known only when nothing in it was skipped or undecided;
/// `$(umask)` prints the mask; a subshell keeps its umask to itself; what a command
/// sends away inside a capture is not captured; `read < FILE` in a loop does not read
/// the loop's input; `eval` that evals itself ends.
#[test]
fn captures_and_inputs_claim_only_what_is_known() {
    let reading = read(
        "#!/bin/sh\nf() { echo hidden; }\nv=$(if [ -n \"$ENVVAR\" ]; then echo a; fi; echo b)\ntouch \"/tmp/v-$v\"\nold=$(umask)\ntouch /tmp/umask-$old\n(umask 077; touch /tmp/in-sub)\ntouch /tmp/after-sub\nw=$(f >/dev/null; echo ok)\ntouch /tmp/w-$w\nwhile read a; do\n  read b < /etc/hostname\n  touch \"/tmp/$a-$b\"\ndone <<EOF\nx\nEOF\nx='eval \"$x\"'\neval \"$x\"\n",
    );
    let chmods: Vec<Call> = calls(&reading)
        .into_iter()
        .filter(|c| matches!(c, Call::Chmod { .. }))
        .collect();
    assert_eq!(
        chmods,
        vec![Call::Chmod {
            mode: 0o600,
            path: s("/tmp/in-sub"),
            recursive: false
        }],
        "{}",
        dump(&reading)
    );
    let made = touched(&reading);
    assert!(
        made.contains(&touch("/tmp/umask-0022")),
        "{}",
        dump(&reading)
    );
    assert!(made.contains(&touch("/tmp/w-ok")), "{}", dump(&reading));
    assert!(
        !made
            .iter()
            .any(|t| matches!(t, Call::Touch { path } if path.starts_with("/tmp/v-"))),
        "{}",
        dump(&reading)
    );
    assert!(!made.contains(&touch("/tmp/x-")), "{}", dump(&reading));
    let listed = skipped(&reading);
    assert!(
        listed.iter().any(|(_, t)| t.contains("/tmp/v-$v")),
        "{listed:?}"
    );
    assert!(
        listed.iter().any(|(_, t)| t.contains("/tmp/$a-$b")),
        "{listed:?}"
    );
    assert!(listed.iter().any(|(_, t)| t.contains("eval")), "{listed:?}");
}
