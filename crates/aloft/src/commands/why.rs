//! `aloft why`: why a package is in a manifest's closure and what it costs, read from the
//! lock and its .debs' control (fetched into the cache if missing): the chain from a
//! requested package, the packages that need it, and what it alone brings in, so that a
//! user sees what to leave out (`exclude:`) and what that would save.

use std::collections::BTreeSet;
use std::process::ExitCode;

use aloft_lock::LockedControl;
use aloft_resolve::DependencyGraph;
use miette::{IntoDiagnostic, Result, miette};

use crate::cli::WhyArgs;
use crate::commands::fetch::{FetchPlan, fetch_packages, locked_debs};
use crate::commands::lock::check_lock;
use crate::settings::{ManifestTarget, repository_options};

/// One architecture's closure, as a graph with each package's sizes.
struct Closure {
    controls: Vec<LockedControl>,
    graph: DependencyGraph,
    /// The requested packages' indexes, in manifest order.
    roots: Vec<usize>,
}

impl Closure {
    fn unpacked(&self, packages: &[usize]) -> u64 {
        packages
            .iter()
            .map(|&i| self.controls[i].installed_size)
            .sum()
    }

    fn debs(&self, packages: &[usize]) -> u64 {
        packages
            .iter()
            .map(|&i| self.controls[i].package.size)
            .sum()
    }

    fn label(&self, index: usize) -> String {
        let package = &self.controls[index].package;
        format!("{} {}", package.name(), package.version())
    }

    /// `root -> ... -> index`, or `requested` for a root.
    fn chain(&self, index: usize) -> String {
        if self.roots.contains(&index) {
            return "requested".to_owned();
        }
        match self.graph.path_from(&self.roots, index) {
            Some(path) => path
                .iter()
                .map(|&i| self.graph.name(i))
                .collect::<Vec<_>>()
                .join(" -> "),
            None => "no requested package leads to it".to_owned(),
        }
    }
}

/// Runs `aloft why`.
pub fn why(args: &WhyArgs, quiet: bool) -> Result<ExitCode> {
    let target = ManifestTarget::load(&args.manifest, args.lockfile.as_deref())?;
    let repo = repository_options(&args.repo, target.project.as_ref())?;
    let arch = match &args.arch {
        Some(arch) if target.archs.contains(arch) => arch.clone(),
        Some(arch) => {
            return Err(miette!(
                "--arch {arch}: the manifest builds only {}",
                target.archs.join(", ")
            ));
        }
        None => target.archs[0].clone(),
    };
    let lock = check_lock(&target)?;
    let jobs = crate::settings::default_jobs();
    let archs = [arch.clone()];
    let plan = FetchPlan {
        target: &target,
        repo: &repo,
        archs: &archs,
        jobs,
        snapshot_mirror: None,
    };
    let (deb_cache, _) = fetch_packages(&plan, &lock, quiet)?;
    let deb_path = |sha256: &str| deb_cache.path(sha256);
    let debs = locked_debs(&target, &lock, &deb_path);
    // The image is what `why` explains: the packages it leaves out are listed apart.
    let left_out: std::collections::BTreeMap<String, String> = lock
        .packages
        .get(&arch)
        .into_iter()
        .flatten()
        .filter_map(|p| Some((format!("{} {}", p.name, p.version), p.left_out.clone()?)))
        .collect();
    // Slices stand apart too: nothing needs them and they need nothing, and their
    // Installed-Size is the whole package's.
    let slices: std::collections::BTreeMap<String, String> = lock
        .packages
        .get(&arch)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let paths = p.slice.as_ref()?.join(", ");
            Some((format!("{} {}", p.name, p.version), paths))
        })
        .collect();
    let controls: Vec<_> = aloft_lock::read_locked_controls(&debs, &arch, jobs)
        .into_diagnostic()?
        .into_iter()
        .filter(|c| {
            let label = format!("{} {}", c.package.name(), c.package.version());
            !left_out.contains_key(&label) && !slices.contains_key(&label)
        })
        .collect();
    let packages: Vec<_> = controls.iter().map(|c| c.package.clone()).collect();
    let graph = DependencyGraph::new(&packages).into_diagnostic()?;
    let roots = target
        .manifest
        .root_packages()
        .iter()
        .filter_map(|request| graph.index(&request.name))
        .collect();
    let closure = Closure {
        controls,
        graph,
        roots,
    };
    let text = match &args.package {
        Some(name) => {
            let named = |map: &std::collections::BTreeMap<String, String>| {
                map.iter()
                    .find(|(label, _)| label.split(' ').next() == Some(name.as_str()))
                    .map(|(label, text)| (label.clone(), text.clone()))
            };
            match (named(&left_out), named(&slices)) {
                (Some((label, why)), _) => {
                    format!("{label} ({arch}): left out of the image: {why}\n")
                }
                (None, Some((label, paths))) => format!(
                    "{label} ({arch}): a slice: the image keeps only {paths}, without its dependencies ({})\n",
                    slice_origin(name)
                ),
                (None, None) => explain(&closure, name, &arch)?,
            }
        }
        None => {
            let mut text = table(&closure, &arch);
            if !slices.is_empty() {
                text.push_str(&format!("slices ({}):\n", slices.len()));
                for (label, paths) in &slices {
                    let name = label.split(' ').next().unwrap_or_default();
                    text.push_str(&format!("  {label}: {paths} ({})\n", slice_origin(name)));
                }
            }
            if !left_out.is_empty() {
                text.push_str(&format!(
                    "left out of the image ({}, which apt would install):\n",
                    left_out.len()
                ));
                for (label, why) in &left_out {
                    text.push_str(&format!("  {label}: {why}\n"));
                }
            }
            text
        }
    };
    #[allow(clippy::print_stdout)]
    {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a slice of `name` comes from, for `why`.
fn slice_origin(name: &str) -> &'static str {
    match name {
        "libc-bin" => "C.UTF-8, which every image with glibc gets, or `locales`",
        aloft_manifest::LOCALES_PACKAGE => "`locales` or `contents.slices`",
        _ => "`contents.slices`",
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// One package: why, who needs it, and what leaving it out would save.
fn explain(closure: &Closure, name: &str, arch: &str) -> Result<String> {
    let Some(index) = closure.graph.index(name) else {
        return Err(miette!(
            help = "`aloft why MANIFEST` lists every package",
            "`{name}` is not in the image for {arch}"
        ));
    };
    let mut out = String::new();
    let alone = closure.graph.only_through(&closure.roots, index);
    out.push_str(&format!(
        "{} ({arch}): {} unpacked, {} .deb\n",
        closure.label(index),
        megabytes(closure.unpacked(&[index])),
        megabytes(closure.debs(&[index])),
    ));
    out.push_str(&format!("  why: {}\n", closure.chain(index)));
    let dependents: Vec<&str> = closure
        .graph
        .dependents(index)
        .into_iter()
        .map(|i| closure.graph.name(i))
        .collect();
    out.push_str(&format!(
        "  needed by: {}\n",
        if dependents.is_empty() {
            "nothing else in the image".to_owned()
        } else {
            dependents.join(", ")
        }
    ));
    let names: BTreeSet<&str> = alone.iter().map(|&i| closure.graph.name(i)).collect();
    out.push_str(&format!(
        "  in the image only through it: {} package{} ({}), {} unpacked, {} of .debs\n",
        alone.len(),
        if alone.len() == 1 { "" } else { "s" },
        names.into_iter().collect::<Vec<_>>().join(", "),
        megabytes(closure.unpacked(&alone)),
        megabytes(closure.debs(&alone)),
    ));
    Ok(out)
}

/// Every package, largest first: its sizes, what it alone brings in, and why.
fn table(closure: &Closure, arch: &str) -> String {
    let all: Vec<usize> = (0..closure.graph.len()).collect();
    let mut rows: Vec<(usize, u64)> = all
        .iter()
        .map(|&i| {
            (
                i,
                closure.unpacked(&closure.graph.only_through(&closure.roots, i)),
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| closure.graph.name(a.0).cmp(closure.graph.name(b.0)))
    });
    let mut out = format!(
        "{arch}: {} packages, {} unpacked, {} of .debs\n",
        all.len(),
        megabytes(closure.unpacked(&all)),
        megabytes(closure.debs(&all)),
    );
    let width = all
        .iter()
        .map(|&i| closure.label(i).len())
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "{:width$}  {:>10}  {:>10}  {:>10}  WHY\n",
        "PACKAGE", "UNPACKED", ".DEB", "ALONE"
    ));
    for (index, alone) in rows {
        out.push_str(&format!(
            "{:width$}  {:>10}  {:>10}  {:>10}  {}\n",
            closure.label(index),
            megabytes(closure.unpacked(&[index])),
            megabytes(closure.debs(&[index])),
            megabytes(alone),
            closure.chain(index),
        ));
    }
    out
}
