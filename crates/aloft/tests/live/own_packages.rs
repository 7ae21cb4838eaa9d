//! The worked example of docs/own-packages.md: a PHP extension the user builds (a C file
//! compiled on the host, packaged with dpkg-deb, with the postinst Debian's extension
//! packages have) goes into an image built on manifests/php-cli.yaml from a local
//! repository, and php loads it.

use std::path::Path;

use super::{assemble, lock_ok, run, stdout, workspace_root};

/// A PHP extension without PHP's headers: the module entry of PHP 8's
/// `Zend/zend_modules.h`, with the API number and build id of the PHP it is for.
fn extension_source(api: &str, build_id: &str) -> String {
    format!(
        r#"#include <stddef.h>
typedef struct {{
    unsigned short size; unsigned int zend_api; unsigned char zend_debug, zts;
    const void *ini_entry, *deps; const char *name; const void *functions;
    int (*module_startup)(int, int), (*module_shutdown)(int, int);
    int (*request_startup)(int, int), (*request_shutdown)(int, int);
    void (*info)(void *); const char *version; size_t globals_size; void *globals;
    void (*globals_ctor)(void *), (*globals_dtor)(void *); int (*post_deactivate)(void);
    int module_started; unsigned char type; void *handle; int module_number;
    const char *build_id;
}} module_entry;
static module_entry aloft_hello = {{
    sizeof(module_entry), {api}, 0, 0, NULL, NULL, "aloft_hello", NULL,
    NULL, NULL, NULL, NULL, NULL, "1.0.0", 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0,
    "{build_id}"
}};
__attribute__((visibility("default"))) module_entry *get_module(void) {{ return &aloft_hello; }}
"#
    )
}

/// What `dh_php` writes into an extension package's postinst.
const POSTINST: &str = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ] && [ -e /usr/lib/php/php-maintscript-helper ]; then\n    . /usr/lib/php/php-maintscript-helper\n    php_invoke enmod 8.4 ALL aloft_hello\nfi\n";

fn write(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Builds `manifest` (amd64, its lock in `out`) and loads it; the docker image ID.
fn build_and_load(manifest: &Path, out: &Path, cache: &Path) -> String {
    let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
    let lockfile = out.join(format!("{stem}.lock.json"));
    lock_ok(manifest, &lockfile, cache);
    let tar = out.join(format!("{stem}.tar"));
    assemble(manifest, &lockfile, cache, &["-o", tar.to_str().unwrap()]);
    let loaded = stdout(&run("docker", &["load", "-q", "-i", tar.to_str().unwrap()]));
    loaded.split_whitespace().last().unwrap().to_owned()
}

/// `php -i`'s value of `key` (`PHP Extension Build => API20240924,NTS`).
fn php_info(info: &str, key: &str) -> String {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{key} => ")))
        .unwrap_or_else(|| panic!("php -i has no `{key}`:\n{info:.2000}"))
        .trim()
        .to_owned()
}

#[test]
#[cfg_attr(
    not(aloft_live),
    ignore = "live: set ALOFT_LIVE=1 (the real archive, docker, skopeo, a registry)"
)]
fn a_php_extension_of_the_users_own_loads_in_the_php_cli_image() {
    let root = workspace_root();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let php_cli = root.join("manifests/php-cli.yaml");

    // The PHP the extension is for: its API number and build id, from the image.
    let base = out.path().join("base.yaml");
    write(
        &base,
        &format!("include: [{}]\narchs: [amd64]\n", php_cli.display()),
        0o644,
    );
    let image = build_and_load(&base, out.path(), cache.path());
    let info = stdout(&run("docker", &["run", "--rm", &image, "-i"]));
    let build_id = php_info(&info, "PHP Extension Build");
    let api = build_id
        .strip_prefix("API")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("build id {build_id}"))
        .to_owned();
    let extension_dir = php_info(&info, "extension_dir")
        .split(" => ")
        .next()
        .unwrap()
        .to_owned();

    // The user's package: the extension, its ini, and dh_php's postinst.
    let pkg = out.path().join("build/php8.4-aloft-hello");
    let source = out.path().join("aloft_hello.c");
    write(&source, &extension_source(&api, &build_id), 0o644);
    let so = pkg
        .join(extension_dir.trim_start_matches('/'))
        .join("aloft_hello.so");
    std::fs::create_dir_all(so.parent().unwrap()).unwrap();
    run(
        "cc",
        &[
            "-shared",
            "-fPIC",
            "-O2",
            "-o",
            so.to_str().unwrap(),
            source.to_str().unwrap(),
        ],
    );
    write(
        &pkg.join("etc/php/8.4/mods-available/aloft_hello.ini"),
        "; priority=30\nextension=aloft_hello.so\n",
        0o644,
    );
    write(
        &pkg.join("DEBIAN/control"),
        &format!(
            "Package: php8.4-aloft-hello\nVersion: 1.0.0-1\nArchitecture: amd64\nMaintainer: A User <user@example.org>\nDepends: php8.4-common, phpapi-{api}\nDescription: the aloft_hello PHP extension\n"
        ),
        0o644,
    );
    write(&pkg.join("DEBIAN/postinst"), POSTINST, 0o755);
    write(
        &pkg.join("DEBIAN/conffiles"),
        "/etc/php/8.4/mods-available/aloft_hello.ini\n",
        0o644,
    );
    let debs = out.path().join("debs");
    std::fs::create_dir_all(&debs).unwrap();
    run(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "--build",
            pkg.to_str().unwrap(),
            debs.to_str().unwrap(),
        ],
    );

    // The image: php-cli plus the local repository and the package.
    let own = out.path().join("own.yaml");
    write(
        &own,
        &format!(
            "include: [{}]\narchs: [amd64]\ncontents:\n  repositories:\n    - {{path: debs}}\n  packages: [php8.4-aloft-hello]\n",
            php_cli.display()
        ),
        0o644,
    );
    let image = build_and_load(&own, out.path(), cache.path());
    let lock = std::fs::read_to_string(out.path().join("own.lock.json")).unwrap();
    assert!(
        lock.contains("\"path\": \"debs\"")
            && lock.contains("\"pool_path\": \"php8.4-aloft-hello_1.0.0-1_amd64.deb\""),
        "{lock}"
    );
    let version = run(
        "docker",
        &[
            "run",
            "--rm",
            &image,
            "-r",
            "echo phpversion('aloft_hello'), ' ', extension_loaded('aloft_hello') ? 'loaded' : 'missing';",
        ],
    );
    assert_eq!(
        stdout(&version).trim(),
        "1.0.0 loaded",
        "{}",
        String::from_utf8_lossy(&version.stderr)
    );
    // Loaded through the postinst's `php_invoke enmod`, which aloft applied itself, with
    // no warning from PHP.
    let modules = run("docker", &["run", "--rm", &image, "-m"]);
    assert!(stdout(&modules).lines().any(|l| l == "aloft_hello"));
    assert!(
        modules.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&modules.stderr)
    );
    let ini = run("docker", &["run", "--rm", &image, "--ini"]);
    assert!(
        stdout(&ini).contains("/etc/php/8.4/cli/conf.d/30-aloft_hello.ini"),
        "{}",
        stdout(&ini)
    );
}
