//! Classes of commands by what running them can change: builtins the reader knows,
//! queries that only answer, commands skipped on purpose, and silencing redirections.

use brush_parser::ast;

/// Special and regular builtins the reader knows (`command -v` finds them by name).
pub(crate) fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        ":" | "."
            | "source"
            | "break"
            | "continue"
            | "eval"
            | "exec"
            | "exit"
            | "export"
            | "readonly"
            | "return"
            | "set"
            | "shift"
            | "trap"
            | "unset"
            | "true"
            | "false"
            | "echo"
            | "printf"
            | "["
            | "test"
            | "local"
            | "cd"
            | "umask"
            | "read"
            | "wait"
            | "command"
            | "type"
            | "hash"
            | "getopts"
            | "alias"
            | "unalias"
            | "pwd"
            | "kill"
    )
}

/// Commands that only produce output or an exit status: standalone they change nothing.
pub(crate) fn is_query(name: &str, args: &[String]) -> bool {
    match name {
        "sed" => !args
            .iter()
            .any(|a| a.starts_with("-i") || a.starts_with("--in-place")),
        "grep"
        | "egrep"
        | "fgrep"
        | "cmp"
        | "diff"
        | "md5sum"
        | "sha1sum"
        | "sha256sum"
        | "stat"
        | "readlink"
        | "realpath"
        | "ls"
        | "head"
        | "tail"
        | "wc"
        | "sort"
        | "uniq"
        | "tr"
        | "cut"
        | "expr"
        | "date"
        | "uname"
        | "whoami"
        | "logger"
        | "tty"
        | "ischroot"
        | "dpkg-query"
        | "pidof"
        | "pgrep"
        | "ps"
        | "sleep"
        | "printenv"
        | "basename"
        | "dirname"
        | "cat"
        | "phpquery"
        | "a2query"
        | "ucfq"
        | "systemd-detect-virt"
        | "dpkg-architecture"
        | "getcap"
        | "mountpoint"
        | "locale"
        | "pwd"
        | "nproc"
        | "seq"
        | "yes"
        | "env"
        | "lsb_release" => true,
        "hostname" => args.is_empty() || args.iter().all(|a| a.starts_with('-')),
        // An empty program: a test that perl is usable.
        "perl" => matches!(args, [e, empty] if e == "-e" && empty.is_empty()),
        _ => false,
    }
}

/// Why a Python bytecode compile is not run: aloft compiles it (`aloft-assemble`'s bytecode
/// layer).
const BYTECODE: &str = "Python bytecode is compiled natively, by the image's own interpreter, into a layer of its own (manifest `python-bytecode`)";

/// A Python 3 interpreter run to compile bytecode (`/usr/bin/python3.13 -E -S
/// /usr/lib/python3.13/py_compile.py $files`, `python3 -m compileall ...`), from the
/// command's name and text: done natively, whatever `$files` holds.
pub(crate) fn bytecode_compile_reason(name: &str, text: &str) -> Option<&'static str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let python = base.strip_prefix("python3").is_some_and(|version| {
        version.is_empty()
            || version
                .strip_prefix('.')
                .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
    });
    (python && (text.contains("py_compile") || text.contains("compileall"))).then_some(BYTECODE)
}

/// The exit status of a command whose answer is known while an image is built, whatever
/// its arguments (`pgrep ... --ns $$` included). Nothing runs: `pgrep`, `pidof`, `pkill`
/// and `killall` find no process (1); a service's `status` or `is-active` is "not
/// running" (3, as LSB and systemd say). The account files aloft writes are consistent:
/// `pwck -r` and `grpck -r` (read-only checks) pass.
pub(crate) fn known_status(name: &str, args: Option<&[String]>) -> Option<i32> {
    let has = |word: &str| args.is_some_and(|args| args.iter().any(|a| a == word));
    match name {
        "pwck" | "grpck" if has("-r") || has("--read-only") => Some(0),
        "pgrep" | "pidof" | "pkill" | "killall" => Some(1),
        "invoke-rc.d" | "service" if has("status") => Some(3),
        "systemctl" if has("is-active") || has("status") => Some(3),
        "start-stop-daemon" if has("--status") || has("-T") => Some(3),
        _ => None,
    }
}

/// Commands skipped on purpose, and why.
pub(crate) fn ignored_reason(name: &str) -> Option<&'static str> {
    Some(match name {
        "py3compile" => BYTECODE,
        "deb-systemd-helper" | "deb-systemd-invoke" | "systemctl" | "update-rc.d"
        | "invoke-rc.d" | "service" | "start-stop-daemon" | "initctl" => "service management",
        n if n.starts_with("db_") => "debconf",
        "ldconfig" => "the dynamic linker cache",
        "update-ca-certificates" => "the CA bundle and its links are made natively",
        "systemd-sysusers" => "sysusers.d is applied from the image's files",
        "systemd-tmpfiles" => "tmpfiles.d is applied from the image's files",
        "dpkg-trigger" => "trigger activation (the trigger's effect is an end-state rule)",
        "dpkg-maintscript-helper" => "dpkg-maintscript-helper acts only on upgrades",
        "udevadm" | "update-initramfs" => "hardware and boot (no effect in an image)",
        "sync" => "flushes file systems to disk (nothing to flush in an image being built)",
        n if n == "pg_checksystem" || n.ends_with("/pg_checksystem") => {
            "it checks the disks of the running system's existing clusters and only warns (an image has none)"
        }
        "aa-status" | "apparmor_parser" | "aa-enabled" => {
            "AppArmor profiles are loaded by the host's kernel, not by an image"
        }
        _ => return None,
    })
}

/// Commands that make per-machine secrets, ids or data on install: known, and
/// deliberately not done at build time (an image would ship one key pair or machine id to
/// every container, or data its users must own); the reason says what to do instead.
pub(crate) fn runtime_only_reason(name: &str) -> Option<&'static str> {
    Some(match name {
        "make-ssl-cert" | "ssh-keygen" => {
            "it generates a key pair at install time; a key baked into an image is shared by every container: make it when the container starts"
        }
        "dbus-uuidgen" | "systemd-machine-id-setup" => {
            "it writes the machine id at install time; an id baked into an image is shared by every container: the container's init or runtime makes one when it starts"
        }
        "pg_createcluster" | "initdb" | "mariadb-install-db" | "mysql_install_db" => {
            "it initialises a database at install time; an image ships none: initialise it when the container starts, into a volume"
        }
        _ => return None,
    })
}

/// `>/dev/null`, `2>&1`, `>&2`: redirections that change nothing.
pub(crate) fn is_silencing(redirect: &ast::IoRedirect) -> bool {
    match redirect {
        ast::IoRedirect::File(_, kind, target) => match (kind, target) {
            (_, ast::IoFileRedirectTarget::Fd(_)) => true,
            (
                ast::IoFileRedirectKind::DuplicateOutput | ast::IoFileRedirectKind::DuplicateInput,
                ast::IoFileRedirectTarget::Duplicate(_),
            ) => true,
            (_, ast::IoFileRedirectTarget::Filename(w)) => {
                w.value == "/dev/null" || matches!(kind, ast::IoFileRedirectKind::Read)
            }
            _ => false,
        },
        ast::IoRedirect::OutputAndError(w, _) => w.value == "/dev/null",
        ast::IoRedirect::HereDocument(..) | ast::IoRedirect::HereString(..) => true,
    }
}
