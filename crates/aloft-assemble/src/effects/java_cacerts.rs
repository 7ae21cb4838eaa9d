//! Java's trust store, as ca-certificates-java makes it: `/etc/ssl/certs/java/cacerts`, a
//! JKS keystore holding, as trusted certificates, every certificate `/etc/ssl/certs` has
//! a `.pem` link to (into /usr/share/ca-certificates or /usr/local/share/ca-certificates),
//! each under the alias `debian:<link name, lower case>`, protected by the `storepass`
//! of /etc/default/cacerts (default `changeit`).
//!
//! Its postinst runs Java (`java -jar ca-certificates-java.jar`, fed the `.pem` links)
//! to write it; aloft writes the same keystore natively after the CA bundle effect made
//! the links, so it holds the `files:` CAs too. Keyed on the update hook the package
//! ships, `/etc/ca-certificates/update.d/jks-keystore`. Every entry is dated the build's
//! epoch, so the file is the same bytes on every build.

use std::time::{Duration, UNIX_EPOCH};

use jks::{Certificate, KeyStore, KeyStoreOptions, TrustedCertificateEntry};

use crate::effects::subject_hash::pem_to_der;
use crate::effects::{
    AppliedEffect, EffectContext, EffectOutput, NotApplied, read_image_files, read_layer_file,
};
use crate::error::AssembleError;
use crate::final_layer::LayerEntry;

/// What ca-certificates-java ships that says the image wants the keystore.
const HOOK: &str = "etc/ca-certificates/update.d/jks-keystore";
/// The keystore.
const CACERTS: &str = "etc/ssl/certs/java/cacerts";
/// `storepass=` and `cacerts_updates=`, sourced by the postinst.
const DEFAULTS: &str = "etc/default/cacerts";
/// The postinst's marker for "build the keystore afresh"; it removes it when done.
const FRESH_MARKER: &str = "var/lib/ca-certificates-java/fresh";
const ETC_CERTS: &str = "etc/ssl/certs";
/// Where a `.pem` link must point to be taken (the postinst's `find_pem_files`).
const CERT_DIRS: [&str; 2] = [
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
];

/// `name=value` of a shell defaults file (`storepass='changeit'`), quotes removed.
fn shell_value(text: &str, name: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let value = line.trim().strip_prefix(name)?.strip_prefix('=')?;
        Some(
            value
                .trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .to_owned(),
        )
    })
}

pub(super) fn apply(
    cx: &EffectContext<'_>,
    out: &mut EffectOutput<'_>,
) -> Result<(), AssembleError> {
    let Some((owner, _)) = cx.tree.get(HOOK) else {
        return Ok(());
    };
    let layer = &mut *out.layer;
    if layer.written_by_files(CACERTS) {
        return Ok(());
    }
    let defaults = match read_layer_file(layer, DEFAULTS, "the Java keystore")? {
        Some(bytes) => Some(bytes),
        None => read_image_files(cx.tree, cx.packages, [DEFAULTS.to_owned()])?.remove(DEFAULTS),
    };
    let defaults = String::from_utf8_lossy(defaults.as_deref().unwrap_or_default()).into_owned();
    if shell_value(&defaults, "cacerts_updates").as_deref() != Some("yes") {
        out.record.not_applied(
            owner,
            NotApplied {
                at_runtime: false,
                line: 0,
                what: format!("/{CACERTS}"),
                why: format!("/{DEFAULTS} does not say `cacerts_updates=yes`: no keystore, as the postinst makes none"),
            },
        );
        return Ok(());
    }
    let storepass = shell_value(&defaults, "storepass")
        .filter(|pass| !pass.is_empty())
        .unwrap_or_else(|| "changeit".to_owned());

    // The `.pem` links of /etc/ssl/certs and the certificates they point to.
    let prefix = format!("{ETC_CERTS}/");
    let mut links: Vec<(String, String)> = layer
        .paths()
        .filter_map(|path| {
            let name = path.strip_prefix(&prefix)?;
            (name.ends_with(".pem") && !name.contains('/'))
                .then(|| (path.to_owned(), name.to_owned()))
        })
        .filter_map(|(path, name)| match layer.entry(&path) {
            Some(LayerEntry::Symlink(target))
                if CERT_DIRS
                    .iter()
                    .any(|dir| target.starts_with(&format!("{dir}/"))) =>
            {
                Some((name, target.trim_start_matches('/').to_owned()))
            }
            _ => None,
        })
        .collect();
    links.sort();
    let mut contents = read_image_files(
        cx.tree,
        cx.packages,
        links.iter().map(|(_, target)| target.clone()),
    )?;
    for (_, target) in &links {
        if !contents.contains_key(target)
            && let Some(bytes) = read_layer_file(layer, target, "the Java keystore")?
        {
            contents.insert(target.clone(), bytes);
        }
    }

    let options = KeyStoreOptions {
        ordered_aliases: true,
        ..KeyStoreOptions::default()
    };
    let mut keystore = KeyStore::with_options(options);
    let created = UNIX_EPOCH + Duration::from_secs(cx.epoch);
    let mut skipped = Vec::new();
    for (name, target) in &links {
        let der = contents
            .get(target)
            .ok_or_else(|| format!("/{target} is in no package and not in the image"))
            .and_then(|bytes| pem_to_der(&String::from_utf8_lossy(bytes)));
        let der = match der {
            Ok(der) => der,
            Err(reason) => {
                skipped.push(NotApplied {
                    at_runtime: false,
                    line: 0,
                    what: format!("/{ETC_CERTS}/{name}"),
                    why: format!("not added to the Java keystore: {reason}"),
                });
                continue;
            }
        };
        let entry = TrustedCertificateEntry {
            creation_time: created,
            certificate: Certificate {
                cert_type: "X.509".to_owned(),
                content: der,
            },
        };
        keystore
            .set_trusted_certificate_entry(&format!("debian:{}", name.to_lowercase()), entry)
            .map_err(|e| keystore_error(&e.to_string()))?;
    }
    let mut bytes = Vec::new();
    keystore
        .store(&mut bytes, storepass.as_bytes())
        .map_err(|e| keystore_error(&e.to_string()))?;
    layer.add_file(CACERTS, bytes, 0o644, cx.epoch);
    // The postinst removes its marker once the keystore is written.
    layer.remove(FRESH_MARKER);
    let count = keystore.len();
    for item in skipped {
        out.record.not_applied(owner, item);
    }
    out.record.replace_script(
        owner,
        AppliedEffect {
            effect: "java cacerts".into(),
            detail: format!(
                "{count} trusted certificates in a JKS keystore (what the postinst's `java -jar ca-certificates-java.jar` writes)"
            ),
            paths: vec![format!("/{CACERTS}")],
        },
    );
    Ok(())
}

fn keystore_error(reason: &str) -> AssembleError {
    AssembleError::Write {
        what: "the Java keystore".into(),
        dir: CACERTS.into(),
        source: std::io::Error::other(reason.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::shell_value;

    #[test]
    fn defaults_are_read_as_the_shell_would() {
        let text = "# comment\n#storepass=''\ncacerts_updates=yes\nstorepass='s3cret!'\n";
        assert_eq!(shell_value(text, "cacerts_updates").as_deref(), Some("yes"));
        assert_eq!(shell_value(text, "storepass").as_deref(), Some("s3cret!"));
        assert_eq!(shell_value("#storepass=''\n", "storepass"), None);
    }
}
