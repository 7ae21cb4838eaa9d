//! Python bytecode, as Debian's postinsts make it: python3.X-minimal and python3.X
//! compile the standard library (`python3.X -E -S py_compile.py $(dpkg -L ...)`), and
//! every package with public modules runs `py3compile -p PACKAGE` (its `.py` files
//! under /usr/lib/python3/dist-packages, for each installed Python 3). Without it every
//! container start compiles what it imports, and a container not run as root cannot
//! keep the result.
//!
//! No crate compiles Python, so the image's own interpreter does it: its packages are
//! staged in a temp directory ([`crate::stage`]) and `python3.X` runs there through the
//! image's dynamic loader (under `qemu-<arch>` when the host cannot run the image's
//! architecture), in a user and network namespace when the host allows one, with no
//! environment but `PYTHONHOME` and `PYTHONHASHSEED=0`. It compiles each source as
//! `py_compile` does by default (timestamp invalidation: the source's mtime as the layer
//! clamps it, and its size), naming the image path in the code objects. The output
//! depends only on the interpreter's version and the sources: not on the order, the
//! hash seed, the stage's path or the host's architecture (the same bytes come from an
//! arm64 interpreter under emulation as from an amd64 one).
//!
//! The `.pyc` files go in a layer of their own, between the package layers and the
//! final layer, cached under a key made of the staged packages and the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sha2::{Digest as _, Sha256};

use crate::assemble::AssembleOptions;
use crate::cache::CachedLayer;
use crate::error::AssembleError;
use crate::exec_facts::ExecFacts;
use crate::final_layer::InstalledTree;
use crate::layer_writer::{LayerWriter, Meta};
use crate::package::{FileKind, FileRecord, PackageFiles, PackageInput};

/// Where packages put public modules (py3compile's "public" directory).
const DIST_PACKAGES: &str = "usr/lib/python3/dist-packages/";

/// One Python 3 interpreter of the image and what it compiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interpreter {
    /// `3.13`.
    pub(crate) version: String,
    /// Its image path, `usr/bin/python3.13`.
    pub(crate) path: String,
    /// Its program interpreter (the dynamic loader), an image path.
    pub(crate) loader: String,
    /// The `.py` files it compiles, image paths, sorted.
    pub(crate) sources: Vec<String>,
}

/// What the bytecode step will do for an image: nothing when it has no Python 3.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BytecodePlan {
    /// One per `usr/bin/python3.X` with its standard library's `py_compile.py`.
    pub(crate) interpreters: Vec<Interpreter>,
}

/// `path` followed through the tree's symbolic links (absolute or relative), at most a
/// few hops; `None` when a hop leads nowhere.
fn follow_links(tree: &InstalledTree<'_>, path: &str) -> Option<String> {
    let mut current = path.to_owned();
    for _ in 0..16 {
        let (_, record) = tree.get(&current)?;
        match &record.kind {
            FileKind::Symlink { target } => {
                current = if target.starts_with('/') {
                    crate::path::normalize(target)?
                } else {
                    let dir = current.rsplit_once('/').map_or("", |(dir, _)| dir);
                    crate::path::normalize(&format!("{dir}/{target}"))?
                };
            }
            _ => return Some(current),
        }
    }
    None
}

/// Whether `path` is, or links to, a regular file of the tree.
fn is_file(tree: &InstalledTree<'_>, path: &str) -> bool {
    follow_links(tree, path)
        .and_then(|target| tree.get(&target))
        .is_some_and(|(_, record)| matches!(record.kind, FileKind::File { .. }))
}

impl BytecodePlan {
    /// Finds the image's Python 3 interpreters and their sources in `tree`.
    pub(crate) fn new(tree: &InstalledTree<'_>) -> BytecodePlan {
        let mut found: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (path, _, record) in tree.entries() {
            let Some(version) = path.strip_prefix("usr/bin/python") else {
                continue;
            };
            let is_version = version.split_once('.').is_some_and(|(major, minor)| {
                major == "3" && !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit())
            });
            if !is_version
                || !matches!(record.kind, FileKind::File { .. })
                || tree
                    .get(&format!("usr/lib/python{version}/py_compile.py"))
                    .is_none()
            {
                continue;
            }
            let Some(ExecFacts::Elf {
                interpreter: Some(loader),
                ..
            }) = &record.exec
            else {
                continue;
            };
            let Some(loader) = crate::path::normalize(loader) else {
                continue;
            };
            if let Some(loader) = follow_links(tree, &loader) {
                found.insert(version.to_owned(), (path.to_owned(), loader));
            }
        }
        let mut interpreters = Vec::new();
        for (version, (path, loader)) in found {
            let stdlib = format!("usr/lib/python{version}/");
            // A link to a file is compiled too (python3.13-minimal's postinst compiles
            // sitecustomize.py, a link into /etc, when `ls -L` finds its target).
            let mut sources: Vec<String> = tree
                .entries()
                .filter(|(path, _, record)| {
                    (path.starts_with(&stdlib) || path.starts_with(DIST_PACKAGES))
                        && path.ends_with(".py")
                        && match record.kind {
                            FileKind::File { .. } => true,
                            FileKind::Symlink { .. } => is_file(tree, path),
                            _ => false,
                        }
                })
                .map(|(path, _, _)| path.to_owned())
                .filter(|path| tree.get(&cache_path(path, &version)).is_none())
                .collect();
            sources.sort();
            interpreters.push(Interpreter {
                version,
                path,
                loader,
                sources,
            });
        }
        BytecodePlan { interpreters }
    }

    /// Whether there is anything to compile.
    pub(crate) fn is_empty(&self) -> bool {
        self.interpreters.iter().all(|i| i.sources.is_empty())
    }

    /// The packages the interpreters need staged: every owner of a source, of the
    /// interpreter and its loader, of anything in its standard library directory, and
    /// of the shared libraries it needs (DT_NEEDED, followed), by name.
    fn staged_packages<'t>(&self, tree: &InstalledTree<'t>) -> BTreeSet<&'t str> {
        let mut owners = BTreeSet::new();
        for interpreter in &self.interpreters {
            let stdlib = format!("usr/lib/python{}/", interpreter.version);
            for (path, owner, _) in tree.entries() {
                if path.starts_with(&stdlib) {
                    owners.insert(owner);
                }
            }
            for source in &interpreter.sources {
                owners.extend(tree.get(source).map(|(owner, _)| owner));
                if let Some(target) = follow_links(tree, source) {
                    owners.extend(tree.get(&target).map(|(owner, _)| owner));
                }
            }
            let lib_dir = interpreter
                .loader
                .rsplit_once('/')
                .map_or("usr/lib", |(dir, _)| dir)
                .to_owned();
            let mut todo = vec![interpreter.path.clone(), interpreter.loader.clone()];
            let mut seen = BTreeSet::new();
            while let Some(path) = todo.pop() {
                if !seen.insert(path.clone()) {
                    continue;
                }
                let Some((owner, record)) = tree.get(&path) else {
                    continue;
                };
                owners.insert(owner);
                if let Some(ExecFacts::Elf { needed, .. }) = &record.exec {
                    for name in needed {
                        for dir in [lib_dir.as_str(), "usr/lib"] {
                            let candidate = format!("{dir}/{name}");
                            if let Some((link_owner, _)) = tree.get(&candidate) {
                                owners.insert(link_owner);
                                todo.extend(follow_links(tree, &candidate));
                                break;
                            }
                        }
                    }
                }
            }
        }
        owners
    }

    /// The layer-cache key of this plan's bytecode: the staged packages' .debs, the
    /// sources, the epoch (sources' mtimes) and the layer format.
    pub(crate) fn key(
        &self,
        tree: &InstalledTree<'_>,
        packages: &[PackageInput],
        epoch: u64,
        format: &str,
    ) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("python bytecode v1\n{format}\nepoch {epoch}\n"));
        let staged = self.staged_packages(tree);
        for package in packages.iter().filter(|p| staged.contains(p.name.as_str())) {
            hasher.update(format!("package {} {}\n", package.name, package.sha256));
            if let Some(slice) = &package.slice {
                hasher.update(format!("slice {}\n", slice.join(" ")));
            }
        }
        for interpreter in &self.interpreters {
            hasher.update(format!(
                "python {} {}\n",
                interpreter.version, interpreter.path
            ));
            for source in &interpreter.sources {
                hasher.update(format!("{source}\n"));
            }
        }
        hex::encode(hasher.finalize())
    }
}

/// The bytecode path of `source` for Python `version` (`a/b.py` ->
/// `a/__pycache__/b.cpython-313.pyc`), as `importlib.util.cache_from_source` names it.
pub(crate) fn cache_path(source: &str, version: &str) -> String {
    let (dir, file) = source.rsplit_once('/').unwrap_or(("", source));
    let stem = file.strip_suffix(".py").unwrap_or(file);
    let tag = format!("cpython-{}", version.replace('.', ""));
    if dir.is_empty() {
        format!("__pycache__/{stem}.{tag}.pyc")
    } else {
        format!("{dir}/__pycache__/{stem}.{tag}.pyc")
    }
}

/// The program run for each batch of sources: reads image paths from stdin, compiles
/// each staged source next to it, and reports what did not compile. `py_compile` with
/// the image path as the name shown in tracebacks.
const COMPILE_SCRIPT: &str = r#"
import sys, py_compile
root = sys.argv[1]
mode = py_compile.PycInvalidationMode.TIMESTAMP
for line in sys.stdin:
    image = line.rstrip("\n")
    source = root + "/" + image
    try:
        py_compile.compile(source, dfile="/" + image, doraise=True, invalidation_mode=mode)
    except Exception as error:
        message = str(error).strip().splitlines()
        print("FAIL\t" + image + "\t" + (message[-1] if message else type(error).__name__), flush=True)
"#;

/// The host's architecture as Debian names it (`amd64` on x86_64).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "i386",
        "arm" => "armhf",
        "powerpc64" => "ppc64el",
        other => other,
    }
}

/// The `qemu-<name>` user-mode emulator of a Debian architecture.
fn qemu_name(architecture: &str) -> Option<&'static str> {
    Some(match architecture {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "i386" => "i386",
        "armhf" | "armel" => "arm",
        "ppc64el" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64el" => "mips64el",
        "loong64" => "loongarch64",
        _ => return None,
    })
}

/// A program named `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// `unshare --user --map-root-user --net --` when this host lets an unprivileged process
/// make those namespaces (probed once): the compiler then has no network and no way to
/// act as the building user on the host's files outside its own.
fn sandbox_prefix() -> &'static [OsString] {
    static PREFIX: OnceLock<Vec<OsString>> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let args = ["--user", "--map-root-user", "--net", "--"];
        let Some(unshare) = on_path("unshare") else {
            return Vec::new();
        };
        let works = Command::new(&unshare)
            .args(args)
            .arg("true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !works {
            tracing::debug!("no user namespace: the Python compiler runs unsandboxed");
            return Vec::new();
        }
        std::iter::once(unshare.into_os_string())
            .chain(args.iter().map(OsString::from))
            .collect()
    })
}

/// How to run a program of `architecture` on this host: nothing before it when the host
/// runs that architecture, else `qemu-<arch>`; an error saying what to install when
/// neither.
fn emulator(
    host: &str,
    architecture: &str,
    find: &dyn Fn(&str) -> Option<PathBuf>,
) -> Result<Option<PathBuf>, AssembleError> {
    if host == architecture || (host == "amd64" && architecture == "i386") {
        return Ok(None);
    }
    let name = qemu_name(architecture);
    let found = name.and_then(|name| {
        find(&format!("qemu-{name}")).or_else(|| find(&format!("qemu-{name}-static")))
    });
    match found {
        Some(path) => Ok(Some(path)),
        None => Err(AssembleError::Bytecode {
            architecture: architecture.to_owned(),
            message: format!(
                "the image's Python compiles its bytecode, and this {host} host cannot run {architecture} programs: install {} (Debian's qemu-user), or set `python-bytecode: false` in the manifest",
                name.map_or_else(
                    || "a user-mode emulator".to_owned(),
                    |n| format!("`qemu-{n}`")
                )
            ),
        }),
    }
}

/// What compiling gave: the bytecode files by image path, and the sources that did not
/// compile with the interpreter's message.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    /// `.pyc` image path -> contents.
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    /// Source image path -> why it did not compile.
    pub(crate) failed: BTreeMap<String, String>,
}

/// Compiles `plan` with the image's interpreters, staged under `tmp`, on `jobs`
/// processes per interpreter.
pub(crate) fn compile(
    plan: &BytecodePlan,
    tree: &InstalledTree<'_>,
    packages: &[PackageInput],
    architecture: &str,
    epoch: u64,
    jobs: usize,
    tmp: &Path,
) -> Result<Compiled, AssembleError> {
    let write_error = |source| AssembleError::Write {
        what: "the staged image for Python bytecode".into(),
        dir: tmp.to_path_buf(),
        source,
    };
    let emulator = emulator(host_architecture(), architecture, &on_path)?;
    fs_err::create_dir_all(tmp).map_err(write_error)?;
    // Named and registered as aloft's temp files are: an interrupted run removes it, a
    // later run sweeps it if this one was killed.
    let stage = tempfile::Builder::new()
        .prefix(&aloft_fs::temp_prefix(std::ffi::OsStr::new("python-stage")))
        .tempdir_in(tmp)
        .map_err(write_error)?;
    let _live = aloft_fs::LiveTemp::register(stage.path());
    let root = stage.path();
    let staged = plan.staged_packages(tree);
    for package in packages.iter().filter(|p| staged.contains(p.name.as_str())) {
        let keep = |path: &str| {
            tree.get(path)
                .is_some_and(|(owner, _)| owner == package.name)
        };
        crate::stage::stage_package(package, root, &keep, epoch)?;
    }
    let mut compiled = Compiled::default();
    for interpreter in &plan.interpreters {
        let batches = batches(&interpreter.sources, jobs);
        let outputs: Vec<Result<Vec<(String, String)>, AssembleError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = batches
                    .iter()
                    .map(|batch| {
                        let emulator = emulator.as_deref();
                        scope.spawn(move || {
                            run_batch(interpreter, architecture, root, emulator, batch)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle.join().unwrap_or_else(|_| {
                            Err(AssembleError::Bytecode {
                                architecture: architecture.to_owned(),
                                message: "a compiler thread panicked".into(),
                            })
                        })
                    })
                    .collect()
            });
        for output in outputs {
            compiled.failed.extend(output?);
        }
        for source in &interpreter.sources {
            if compiled.failed.contains_key(source) {
                continue;
            }
            let pyc = cache_path(source, &interpreter.version);
            match fs_err::read(root.join(&pyc)) {
                Ok(bytes) => {
                    compiled.files.insert(pyc, bytes);
                }
                Err(_) => {
                    compiled
                        .failed
                        .insert(source.clone(), "no bytecode was written".into());
                }
            }
        }
    }
    Ok(compiled)
}

/// `sources` dealt round-robin into at most `jobs` non-empty batches.
fn batches(sources: &[String], jobs: usize) -> Vec<Vec<&str>> {
    let count = jobs.clamp(1, sources.len().max(1));
    let mut batches = vec![Vec::new(); count];
    for (index, source) in sources.iter().enumerate() {
        batches[index % count].push(source.as_str());
    }
    batches.retain(|batch: &Vec<&str>| !batch.is_empty());
    batches
}

/// Runs one compiler process over `batch`; returns the sources that did not compile.
fn run_batch(
    interpreter: &Interpreter,
    architecture: &str,
    root: &Path,
    emulator: Option<&Path>,
    batch: &[&str],
) -> Result<Vec<(String, String)>, AssembleError> {
    let fail = |message: String| AssembleError::Bytecode {
        architecture: architecture.to_owned(),
        message: format!("/{} {message}", interpreter.path),
    };
    let loader = root.join(&interpreter.loader);
    let library_dir = interpreter
        .loader
        .rsplit_once('/')
        .map_or("usr/lib", |(dir, _)| dir);
    let library_path = format!(
        "{}:{}",
        root.join(library_dir).display(),
        root.join("usr/lib").display()
    );
    let mut argv: Vec<OsString> = sandbox_prefix().to_vec();
    if let Some(emulator) = emulator {
        argv.push(emulator.as_os_str().to_owned());
    }
    argv.push(loader.into_os_string());
    argv.extend(["--library-path".into(), library_path.into()]);
    argv.push(root.join(&interpreter.path).into_os_string());
    argv.extend(["-S", "-s", "-B", "-c", COMPILE_SCRIPT].map(OsString::from));
    argv.push(root.as_os_str().to_owned());
    let Some((program, args)) = argv.split_first() else {
        return Err(fail("has no command".into()));
    };
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .env("PYTHONHOME", root.join("usr"))
        .env("PYTHONHASHSEED", "0")
        .env("LC_ALL", "C.UTF-8")
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("could not be started: {e}")))?;
    let mut input = String::new();
    for source in batch {
        input.push_str(source);
        input.push('\n');
    }
    let writer = child
        .stdin
        .take()
        .map(|mut stdin| std::thread::spawn(move || stdin.write_all(input.as_bytes())));
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("failed: {e}")))?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        return Err(fail(format!("exited with {}: {last}", output.status)));
    }
    let failed = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            (fields.next() == Some("FAIL")).then(|| {
                let path = fields.next().unwrap_or_default().to_owned();
                let why = fields.next().unwrap_or_default().to_owned();
                (path, why)
            })
        })
        .collect();
    Ok(failed)
}

/// The bytecode layer's index: per package that owns sources, the `.pyc` files made for
/// them (and their `__pycache__` directories), so a cached layer tells the effects
/// record what it holds.
pub(crate) fn layer_index(
    plan: &BytecodePlan,
    tree: &InstalledTree<'_>,
    compiled: &Compiled,
) -> Vec<PackageFiles> {
    let mut by_owner: BTreeMap<&str, Vec<FileRecord>> = BTreeMap::new();
    for interpreter in &plan.interpreters {
        for source in &interpreter.sources {
            let pyc = cache_path(source, &interpreter.version);
            let (Some(bytes), Some((owner, _))) = (compiled.files.get(&pyc), tree.get(source))
            else {
                continue;
            };
            by_owner.entry(owner).or_default().push(FileRecord {
                path: pyc,
                kind: FileKind::File {
                    size: bytes.len() as u64,
                },
                mode: 0o644,
                uid: 0,
                gid: 0,
                exec: None,
            });
        }
    }
    by_owner
        .into_iter()
        .map(|(owner, files)| PackageFiles {
            package: owner.to_owned(),
            files,
            preinst: None,
            postinst: None,
            control: String::new(),
            copyright: None,
            debconf_defaults: Default::default(),
        })
        .collect()
}

/// The bytecode layer of an image, built or from the cache.
pub(crate) struct BytecodeLayer {
    /// The layer.
    pub(crate) layer: CachedLayer,
    /// Tar bytes compressed in this run (0: from the cache).
    pub(crate) compressed: u64,
    /// Its layer-cache key.
    pub(crate) key: String,
    /// Its history line.
    pub(crate) description: String,
}

/// The bytecode layer of the image whose packages are `tree`: `None` when it has no
/// Python 3 to compile for. Taken from the cache when its key is there.
pub(crate) fn bytecode_layer(
    plan: &BytecodePlan,
    tree: &InstalledTree<'_>,
    packages: &[PackageInput],
    architecture: &str,
    options: &AssembleOptions,
) -> Result<Option<BytecodeLayer>, AssembleError> {
    if plan.is_empty() {
        return Ok(None);
    }
    let key = plan.key(tree, packages, options.epoch, &options.compression.format());
    let versions: Vec<String> = plan
        .interpreters
        .iter()
        .map(|i| format!("python{}", i.version))
        .collect();
    let description = format!("aloft: Python bytecode ({})", versions.join(", "));
    if let Some(layer) = options.cache.get(&key) {
        let compressed = options.cache.compressed_in_this_run(&key);
        return Ok(Some(BytecodeLayer {
            layer,
            compressed,
            key,
            description,
        }));
    }
    let compiled = compile(
        plan,
        tree,
        packages,
        architecture,
        options.epoch,
        options.jobs,
        &options.cache.tmp_dir(),
    )?;
    for (source, why) in &compiled.failed {
        tracing::warn!("/{source} has no bytecode: {why}");
    }
    let write_error = |source| AssembleError::Write {
        what: "the Python bytecode layer".into(),
        dir: options.cache.tmp_dir(),
        source,
    };
    let mut writer =
        LayerWriter::create(&options.cache.tmp_dir(), options.epoch, options.compression)
            .map_err(write_error)?;
    for (path, bytes) in &compiled.files {
        if let Some((dir, _)) = path.rsplit_once('/') {
            writer
                .directory(dir, Meta::root(0o755, options.epoch))
                .map_err(write_error)?;
        }
        writer
            .file(
                path,
                Meta::root(0o644, options.epoch),
                bytes.len() as u64,
                bytes.as_slice(),
                &[],
            )
            .map_err(write_error)?;
    }
    let finished = writer.finish().map_err(write_error)?;
    let compressed = finished.tar_size;
    let layer = options
        .cache
        .put(&key, finished, layer_index(plan, tree, &compiled))?;
    Ok(Some(BytecodeLayer {
        layer,
        compressed,
        key,
        description,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_is_named_as_importlib_names_it() {
        assert_eq!(
            cache_path("usr/lib/python3.13/json/__init__.py", "3.13"),
            "usr/lib/python3.13/json/__pycache__/__init__.cpython-313.pyc"
        );
        assert_eq!(cache_path("a.py", "3.9"), "__pycache__/a.cpython-39.pyc");
    }

    #[test]
    fn sources_are_dealt_to_at_most_jobs_batches() {
        let sources: Vec<String> = (0..5).map(|i| format!("{i}.py")).collect();
        let batches = batches(&sources, 2);
        assert_eq!(
            batches,
            vec![vec!["0.py", "2.py", "4.py"], vec!["1.py", "3.py"]]
        );
        assert_eq!(batches_len(&sources[..1], 8), 1);
        assert!(super::batches(&[], 4).is_empty());
    }

    fn batches_len(sources: &[String], jobs: usize) -> usize {
        super::batches(sources, jobs).len()
    }

    #[test]
    fn a_foreign_architecture_runs_under_its_emulator_or_says_what_to_install() {
        let none = |_: &str| None;
        assert_eq!(emulator("amd64", "amd64", &none).ok(), Some(None));
        assert_eq!(emulator("amd64", "i386", &none).ok(), Some(None));
        let err = emulator("amd64", "arm64", &none)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`qemu-aarch64`"), "{err}");
        assert!(err.contains("python-bytecode: false"), "{err}");
        let static_only = |name: &str| (name == "qemu-aarch64-static").then(|| PathBuf::from("/q"));
        assert_eq!(
            emulator("amd64", "arm64", &static_only).ok(),
            Some(Some(PathBuf::from("/q")))
        );
    }
}
