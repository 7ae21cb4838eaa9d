//! `aloft publish`: the build `assemble` makes, pushed natively to one or more registries.
//! Each `REF@digest` goes to stdout, then the image digest as the last line.

use std::process::ExitCode;
use std::time::Instant;

use aloft_oci::ImageRef;
use aloft_registry::{BlobOutcome, ClientOptions, PushOptions, Registry, push_image};
use indicatif::{ProgressBar, ProgressStyle};
use miette::{IntoDiagnostic, Result, WrapErr, miette};

use crate::cli::PublishArgs;
use crate::commands::build::{BuildSettings, build};

/// The references of one registry, grouped by repository (in the order given).
struct RegistryTarget {
    host: String,
    /// Repository paths and their tags.
    repositories: Vec<(String, Vec<String>)>,
}

/// Parses the references: each must name its registry host (no Docker Hub default).
fn targets(refs: &[String]) -> Result<(Vec<ImageRef>, Vec<RegistryTarget>)> {
    let mut parsed = Vec::new();
    let mut targets: Vec<RegistryTarget> = Vec::new();
    for text in refs {
        let reference = ImageRef::parse(text)
            .into_diagnostic()
            .wrap_err_with(|| format!("REF `{text}`"))?;
        let first = text.split('/').next().unwrap_or_default();
        let has_host = text.contains('/')
            && (first.contains(['.', ':']) || first == "localhost")
            && first == reference.domain();
        if !has_host {
            return Err(miette!(
                help = "write the registry in front: HOST[:PORT]/NAME:TAG",
                "REF `{text}` names no registry host; aloft pushes only where the reference says"
            ));
        }
        let host = reference.domain().to_owned();
        let target = match targets.iter_mut().position(|t| t.host == host) {
            Some(i) => &mut targets[i],
            None => {
                targets.push(RegistryTarget {
                    host,
                    repositories: Vec::new(),
                });
                targets.last_mut().ok_or_else(|| miette!("no target"))?
            }
        };
        let path = reference.path().to_owned();
        let tag = reference.tag().to_owned();
        match target.repositories.iter_mut().find(|(p, _)| *p == path) {
            Some((_, tags)) if tags.contains(&tag) => {}
            Some((_, tags)) => tags.push(tag),
            None => target.repositories.push((path, vec![tag])),
        }
        parsed.push(reference);
    }
    Ok((parsed, targets))
}

/// Runs `aloft publish`.
pub fn publish(args: &PublishArgs, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let (references, targets) = targets(&args.refs)?;
    let settings = BuildSettings::resolve(&args.build)?;
    let options = ClientOptions {
        ca_file: args.ca_file.clone(),
        plain_http: args.plain_http,
        ..ClientOptions::default()
    };
    // Reach every registry (TLS, plain HTTP rules, credentials) before minutes of build.
    let mut registries = Vec::new();
    for target in &targets {
        let registry = Registry::connect(&target.host, &options)
            .into_diagnostic()
            .wrap_err_with(|| format!("Cannot reach the registry {}", target.host))?;
        registries.push(registry);
    }
    let built = build(&args.build, &settings, "nothing is pushed", quiet)?;
    let plan = built.image.push_plan();
    let digest = built.image.index_digest().to_string();

    let total: u64 = plan.blobs.iter().map(|b| b.size).sum();
    let pushes: u64 = targets.iter().map(|t| t.repositories.len() as u64).sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total * pushes)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {eta}")
            .into_diagnostic()?
            .progress_chars("=> "),
    );
    bar.set_message("blobs");
    let mut lines = Vec::new();
    for (target, registry) in targets.iter().zip(&registries) {
        let mut pushed: Vec<String> = Vec::new();
        for (repository, tags) in &target.repositories {
            let push_options = PushOptions {
                jobs: settings.jobs,
                mount_from: pushed.clone(),
            };
            let report = push_image(registry, repository, &plan, tags, &push_options, &|done| {
                bar.inc(done.size);
                tracing::debug!(blob = done.digest, outcome = ?done.outcome, "pushed");
            })
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "Cannot push {}/{repository}; what was sent stays, and a second run sends only the rest",
                    target.host
                )
            })?;
            let (uploaded, uploaded_bytes) = report.uploaded();
            let (present, _) = report.count(BlobOutcome::Present);
            let (mounted, _) = report.count(BlobOutcome::Mounted);
            lines.push(format!(
                "{}/{repository}: {uploaded} blobs uploaded ({:.1} MB), {present} already there, {mounted} mounted; {} manifests; tags {}{}",
                target.host,
                uploaded_bytes as f64 / 1e6,
                report.manifests,
                tags.join(", "),
                if report.referrers_tags.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; SBOMs listed under the referrers tag {}",
                        report.referrers_tags.join(", ")
                    )
                },
            ));
            pushed.push(repository.clone());
        }
    }
    bar.finish_and_clear();
    #[allow(clippy::print_stderr, clippy::print_stdout)]
    {
        if !quiet {
            for line in built.summaries.iter().chain(&lines) {
                eprintln!("{line}");
            }
            eprintln!(
                "Published {digest} in {:.2}s ({} .debs downloaded)",
                started.elapsed().as_secs_f64(),
                built.downloaded,
            );
        }
        if args.build.json {
            let json = serde_json::to_string_pretty(&built.report).into_diagnostic()?;
            println!("{json}");
        } else {
            for reference in &references {
                println!(
                    "{}/{}:{}@{digest}",
                    reference.domain(),
                    reference.path(),
                    reference.tag()
                );
            }
            println!("{digest}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
