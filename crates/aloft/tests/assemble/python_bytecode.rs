//! Python bytecode: the image's interpreter compiles the standard library and the
//! packages' public modules into a layer of its own. The interpreter here is a fixture
//! of an architecture the host does not run, so the build goes through `qemu-<arch>`:
//! a stand-in script that checks what it is given and writes a stand-in `.pyc` for each
//! source, naming the mtime the staged source has.

use super::*;

use aloft_test::elf::{EM_AARCH64, EM_X86_64, executable, shared_object};

/// An architecture the host cannot run, its ELF machine and its qemu name.
fn foreign() -> (&'static str, u16, &'static str) {
    if cfg!(target_arch = "x86_64") {
        ("arm64", EM_AARCH64, "aarch64")
    } else {
        ("amd64", EM_X86_64, "x86_64")
    }
}

fn python_packages() -> Vec<FixturePackage> {
    let (arch, machine, _) = foreign();
    vec![
        FixturePackage::new("libc6", "2.41-1")
            .arch(arch)
            .file("usr/lib/ld-fixture.so.1", &shared_object(machine, None), 0o755),
        FixturePackage::new("python3.13-minimal", "3.13.5-2")
            .arch(arch)
            .depends("libc6")
            .file(
                "usr/bin/python3.13",
                &executable(machine, "/lib/ld-fixture.so.1", &[]),
                0o755,
            )
            .file("usr/lib/python3.13/py_compile.py", b"# py_compile\n", 0o644)
            .file("usr/lib/python3.13/os.py", b"import sys\n", 0o644)
            .file("usr/lib/python3.13/json/__init__.py", b"x = 1\n", 0o644)
            .file("usr/lib/python3.13/bad.py", b"print 'python 2'\n", 0o644)
            .file("etc/python3.13/sitecustomize.py", b"# site\n", 0o644)
            .entry(symlink(
                "usr/lib/python3.13/sitecustomize.py",
                "/etc/python3.13/sitecustomize.py",
            )),
        FixturePackage::new("python3-six", "1.17.0-1")
            .arch("all")
            .depends("python3.13-minimal")
            .file("usr/lib/python3/dist-packages/six.py", b"six = 6\n", 0o644)
            .control_file(
                "postinst",
                b"#!/bin/sh\nset -e\nif command -v py3compile >/dev/null 2>&1; then\n\tpy3compile -p python3-six\nfi\n",
            ),
    ]
}

/// The stand-in for `qemu-<arch>`: run as `qemu LOADER --library-path DIRS PYTHON -S -s
/// -B -c SCRIPT ROOT` with the sources on stdin; fails unless the loader and the
/// interpreter are staged and the environment is the one aloft promises.
const FAKE_QEMU: &str = r#"#!/bin/sh
PATH=/usr/bin:/bin
loader=$1 interpreter=$4 root=${10}
[ "$2" = --library-path ] || { echo "no --library-path: $*" >&2; exit 3; }
case "${root##*/}" in
  .python-stage.aloft-*) ;;
  *) echo "the stage is not named as aloft's temps are: $root" >&2; exit 3 ;;
esac
[ -f "$loader" ] || { echo "no loader at $loader" >&2; exit 3; }
[ -f "$interpreter" ] || { echo "no interpreter at $interpreter" >&2; exit 3; }
[ "$PYTHONHASHSEED" = 0 ] && [ "$PYTHONHOME" = "$root/usr" ] || { echo "environment: $(env)" >&2; exit 3; }
while read -r source; do
  case "$source" in
    *bad.py) printf 'FAIL\t%s\tinvalid syntax\n' "$source"; continue ;;
  esac
  dir=${source%/*} name=${source##*/}
  mkdir -p "$root/$dir/__pycache__"
  printf 'pyc of /%s, mtime %s\n' "$source" "$(stat -L -c %Y "$root/$source")" \
    > "$root/$dir/__pycache__/${name%.py}.cpython-313.pyc"
done
"#;

/// `PATH` for aloft: the stand-in emulator first (when `fake`), then the host's.
fn path_with_fake_qemu(ctx: &Ctx, fake: bool) -> String {
    let (_, _, qemu) = foreign();
    let bin = ctx.path("fake-bin");
    write_mode(
        &bin.join(format!("qemu-{qemu}")),
        FAKE_QEMU.as_bytes(),
        0o755,
    );
    let host = std::env::var("PATH").unwrap_or_default();
    if fake {
        format!("{}:{host}", bin.display())
    } else {
        // No emulator at all: only a directory with `unshare`'s neighbours missing.
        ctx.path("empty-bin").display().to_string()
    }
}

fn python_manifest(ctx: &Ctx, name: &str, extra: &str) -> String {
    let (arch, _, _) = foreign();
    ctx.manifest(
        name,
        &["base-files", "base-passwd", "python3-six"],
        &format!("archs: [{arch}]\n{extra}"),
    );
    ok(&ctx.aloft(&["lock", &format!("manifests/{name}.yaml")]));
    format!("manifests/{name}.yaml")
}

#[test]
fn the_images_interpreter_compiles_the_standard_library_and_public_modules() {
    let ctx = ctx_with(python_packages());
    let manifest = python_manifest(&ctx, "python", "");
    let path = path_with_fake_qemu(&ctx, true);
    let first = ctx.aloft_with(
        &["assemble", &manifest, "-o", "py.tar", "--locked"],
        &[("PATH", &path)],
    );
    let digest = digest_line(&first);
    let image = read_archive(&ctx.path("py.tar"));
    let platform = image.platform();
    let bytecode = platform
        .layers
        .iter()
        .find(|layer| layer.created_by.contains("Python bytecode"))
        .unwrap_or_else(|| panic!("no bytecode layer: {}", stderr(&first)));
    assert_eq!(bytecode.created_by, "aloft: Python bytecode (python3.13)");
    for source in [
        "usr/lib/python3.13/os.py",
        "usr/lib/python3.13/py_compile.py",
        "usr/lib/python3.13/json/__init__.py",
        // A link to a file: compiled, with its target's mtime.
        "usr/lib/python3.13/sitecustomize.py",
        "usr/lib/python3/dist-packages/six.py",
    ] {
        let (dir, name) = source.rsplit_once('/').unwrap();
        let pyc = format!(
            "{dir}/__pycache__/{}.cpython-313.pyc",
            name.trim_end_matches(".py")
        );
        // The staged source had the mtime its layer gives it (the .debs are newer than
        // the epoch, so the epoch).
        assert_eq!(
            bytecode.text(&pyc),
            format!("pyc of /{source}, mtime {EPOCH}\n"),
            "{pyc}"
        );
        assert_eq!(bytecode.get(&pyc).mode, 0o644, "{pyc}");
    }
    assert!(
        !bytecode.paths().iter().any(|p| p.contains("bad.cpython")),
        "{:?}",
        bytecode.paths()
    );
    assert!(stderr(&first).contains("/usr/lib/python3.13/bad.py has no bytecode: invalid syntax"));
    // The stage is gone.
    let tmp = ctx.cache.join("layers-v1/tmp");
    let left: Vec<String> = std::fs::read_dir(&tmp)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("python-stage"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // effects.json: what was compiled, per package; what was not; py3compile done.
    let effects: Value = serde_json::from_str(
        &platform
            .layers
            .last()
            .unwrap()
            .text("usr/share/aloft/effects.json"),
    )
    .unwrap();
    let detail = |package: &str| {
        effects["packages"][package]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["effect"] == "python-bytecode")
            .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("{package}: {effects}"))
    };
    assert!(detail("python3.13-minimal").starts_with("4 modules compiled by /usr/bin/python3.13"));
    assert!(detail("python3-six").starts_with("1 modules compiled"));
    let not_applied = effects["not_applied"]["python3.13-minimal"].to_string();
    assert!(
        not_applied.contains("bytecode of /usr/lib/python3.13/bad.py"),
        "{not_applied}"
    );
    assert!(
        effects["not_applied"]["python3-six"].is_null(),
        "py3compile is done natively: {effects}"
    );

    // Again, and from an empty layer cache with one job: the same image.
    let again = ctx.aloft_with(
        &["assemble", &manifest, "-o", "py2.tar", "--locked"],
        &[("PATH", &path)],
    );
    assert_eq!(digest_line(&again), digest);
    // Taken from the cache: nothing compiled, so nothing to warn about.
    assert!(
        !stderr(&again).contains("has no bytecode"),
        "{}",
        stderr(&again)
    );
    std::fs::remove_dir_all(ctx.cache.join("layers-v1")).unwrap();
    let cold = ctx.aloft_with(
        &[
            "assemble", &manifest, "-o", "py3.tar", "--locked", "--jobs", "1",
        ],
        &[("PATH", &path)],
    );
    assert_eq!(digest_line(&cold), digest);
}

#[test]
fn without_an_emulator_the_build_says_what_to_install_or_how_to_opt_out() {
    let ctx = ctx_with(python_packages());
    let (arch, _, qemu) = foreign();
    let manifest = python_manifest(&ctx, "python", "");
    let path = path_with_fake_qemu(&ctx, false);
    let output = ctx.aloft_with(
        &["assemble", &manifest, "-o", "py.tar", "--locked"],
        &[("PATH", &path)],
    );
    fails_with(
        &output,
        &[
            &format!("Python bytecode for {arch}"),
            &format!("`qemu-{qemu}`"),
            "python-bytecode: false",
        ],
    );
    assert!(!ctx.path("py.tar").exists());

    // Opting out: no bytecode layer, and effects.json says why.
    let manifest = python_manifest(&ctx, "nobytecode", "python-bytecode: false\n");
    let output = ctx.aloft_with(
        &["assemble", &manifest, "-o", "nb.tar", "--locked"],
        &[("PATH", &path)],
    );
    digest_line(&output);
    let image = read_archive(&ctx.path("nb.tar"));
    let platform = image.platform();
    assert!(
        !platform
            .layers
            .iter()
            .any(|layer| layer.created_by.contains("Python bytecode"))
    );
    let effects = platform
        .layers
        .last()
        .unwrap()
        .text("usr/share/aloft/effects.json");
    assert!(effects.contains("python-bytecode: false"), "{effects}");
}

/// The registry is the fleet's layer cache for bytecode too: a machine with no emulator
/// publishes the foreign-architecture image another machine compiled, building nothing.
#[test]
fn a_machine_without_an_emulator_takes_the_bytecode_from_the_registry() {
    use aloft_test::{RegistryAuth, TestRegistry};
    let ctx = ctx_with(python_packages());
    let manifest = python_manifest(&ctx, "python", "");
    let registry = TestRegistry::start(RegistryAuth::Open, false);
    let reference = format!("{}/team/python:1", registry.host());
    let path = path_with_fake_qemu(&ctx, true);
    let first = ctx.aloft_with(&["publish", &manifest, &reference], &[("PATH", &path)]);
    let digest = digest_line(&first);

    let other = ctx.path("other-cache");
    let no_emulator = path_with_fake_qemu(&ctx, false);
    let second = ctx.aloft_with(
        &["publish", &manifest, &reference],
        &[
            ("PATH", &no_emulator),
            ("ALOFT_CACHE_DIR", other.to_str().unwrap()),
        ],
    );
    assert_eq!(digest_line(&second), digest, "{}", stderr(&second));
    let log = stderr(&second);
    assert!(log.contains("(0 built, "), "{log}");
}
