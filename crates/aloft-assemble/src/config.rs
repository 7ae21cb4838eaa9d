//! The OCI image config from the manifest: entrypoint, cmd, working dir, environment,
//! user, volumes, ports, stop signal, and the annotations as labels.

use aloft_manifest::{Entrypoint, Manifest};

/// `PATH` when the manifest sets none (Debian's default for root).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The image config of `manifest`, running as `user` (`uid:gid`); `services_entrypoint`
/// is the supervisor's command when the manifest has `entrypoint.services`.
pub fn image_config(
    manifest: &Manifest,
    user: Option<String>,
    services_entrypoint: Option<Vec<String>>,
) -> aloft_oci::ImageConfig {
    let entrypoint = match &manifest.entrypoint {
        None => None,
        Some(located) => match &located.value {
            Entrypoint::Command(argv) => Some(argv.clone()),
            Entrypoint::Services(_) => services_entrypoint,
        },
    };
    let mut env = Vec::new();
    if !manifest.environment.contains_key("PATH") {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }
    env.extend(manifest.environment.iter().map(|(k, v)| format!("{k}={v}")));
    aloft_oci::ImageConfig {
        user,
        env,
        entrypoint,
        cmd: manifest.cmd.clone(),
        working_dir: manifest.work_dir.clone(),
        volumes: manifest.volumes.iter().cloned().collect(),
        exposed_ports: manifest.ports.iter().cloned().collect(),
        stop_signal: manifest.stop_signal.clone(),
        labels: manifest.annotations.clone(),
    }
}
