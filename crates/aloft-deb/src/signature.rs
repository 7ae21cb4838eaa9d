//! OpenPGP verification of `InRelease` (cleartext-signed) and `Release` + `Release.gpg`,
//! with gpgv's semantics: at least one signature must verify with a key of the keyring
//! that is valid at the given time (not expired, not revoked, signing-capable, subkeys
//! bound with a back-signature); signatures by unknown keys are ignored.
//!
//! Keys and signature packets are handled by `pgp` (rpgp) and key validity by `rpgpie`.
//! The cleartext framing is split here by hand, in linear time: rpgp 0.21's parser is
//! quadratic in the body size (3.9 s for a 2.2 MiB InRelease). It is strict as RFC 9580
//! section 7 asks: only `Hash:` armor headers, nothing but whitespace after the signature.

use std::collections::HashMap;
use std::io::BufReader;
use std::time::SystemTime;

use pgp::armor::DearmorOptions;
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::packet::{Signature, SignatureType};
use pgp::types::{Fingerprint, KeyDetails, KeyId, Timestamp};
use rpgpie::certificate::{Certificate, Checked};

use crate::Error;

/// A set of OpenPGP certificates that signatures are checked against.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    certs: Vec<SignedPublicKey>,
}

/// The verified text of a signed file and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedText {
    /// Exactly the signed text, LF line endings, ending with a newline.
    pub text: String,
    /// Fingerprints (upper-case hex) of the primary keys and signing subkeys whose
    /// signatures verified.
    pub signers: Vec<String>,
    /// Signatures that did not verify beside those that did (e.g. by a key not in the
    /// keyring), one line each, for logs.
    pub ignored: Vec<String>,
}

fn fingerprint_hex(fp: &Fingerprint) -> String {
    format!("{fp:X}")
}

impl Keyring {
    /// Reads a keyring: binary (concatenated transferable public keys, `.gpg`/`.pgp`) or
    /// ASCII-armored (`.asc`, one or more armor blocks). `name` names it in errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Keyring, Error> {
        let bad = |reason: String| Error::Keyring {
            keyring: name.to_owned(),
            reason,
        };
        let mut certs = Vec::new();
        let mut errors = Vec::new();
        let binary = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| b & 0x80 != 0);
        if binary {
            let iter = SignedPublicKey::from_bytes_many(bytes).map_err(|e| bad(e.to_string()))?;
            for key in iter {
                match key {
                    Ok(key) => certs.push(key),
                    Err(err) => errors.push(err.to_string()),
                }
            }
        } else {
            // rpgp reads only the first armor block; split them here.
            let text = std::str::from_utf8(bytes)
                .map_err(|_| bad("neither binary OpenPGP nor ASCII armor".into()))?;
            const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
            let starts: Vec<usize> = text.match_indices(BEGIN).map(|(i, _)| i).collect();
            if starts.is_empty() {
                return Err(bad("no `BEGIN PGP PUBLIC KEY BLOCK`".into()));
            }
            for (n, &start) in starts.iter().enumerate() {
                let end = starts.get(n + 1).copied().unwrap_or(text.len());
                match SignedPublicKey::from_armor_many_buf_with_options(
                    &text.as_bytes()[start..end],
                    DearmorOptions::default(),
                ) {
                    Ok((iter, _)) => {
                        for key in iter {
                            match key {
                                Ok(key) => certs.push(key),
                                Err(err) => errors.push(err.to_string()),
                            }
                        }
                    }
                    Err(err) => errors.push(err.to_string()),
                }
            }
        }
        if certs.is_empty() {
            return Err(bad(format!("no usable key ({})", errors.join("; "))));
        }
        Ok(Keyring { certs })
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: Keyring) {
        self.certs.extend(other.certs);
    }

    /// Primary key fingerprints, upper-case hex.
    pub fn fingerprints(&self) -> Vec<String> {
        self.certs
            .iter()
            .map(|c| fingerprint_hex(&c.primary_key.fingerprint()))
            .collect()
    }

    fn tried(&self) -> String {
        let list = self.fingerprints();
        if list.is_empty() {
            "none".to_owned()
        } else {
            list.join(", ")
        }
    }
}

/// Verifies an InRelease file; returns its signed text. `file` names it in errors.
pub fn verify_inrelease(
    file: &str,
    bytes: &[u8],
    keyring: &Keyring,
    now: SystemTime,
) -> Result<VerifiedText, Error> {
    let (signed, signatures) = split_cleartext(bytes).map_err(|reason| Error::Signature {
        file: file.to_owned(),
        reason,
        tried: keyring.tried(),
    })?;
    let (signers, ignored) = verify_signatures(file, &signatures, signed.as_bytes(), keyring, now)?;
    let mut text = signed.replace("\r\n", "\n");
    text.push('\n');
    Ok(VerifiedText {
        text,
        signers,
        ignored,
    })
}

/// Verifies `Release` against a detached `Release.gpg` (armored or binary).
pub fn verify_detached(
    file: &str,
    data: &[u8],
    signature: &[u8],
    keyring: &Keyring,
    now: SystemTime,
) -> Result<VerifiedText, Error> {
    let bad = |reason: String| Error::Signature {
        file: file.to_owned(),
        reason,
        tried: keyring.tried(),
    };
    let (iter, _) = DetachedSignature::from_reader_many(BufReader::new(signature))
        .map_err(|e| bad(format!("unreadable signature: {e}")))?;
    let signatures: Vec<Signature> = iter
        .map(|r| r.map(|d| d.signature))
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("unreadable signature: {e}")))?;
    if signatures.is_empty() {
        return Err(bad("no signature packets".into()));
    }
    let (signers, ignored) = verify_signatures(file, &signatures, data, keyring, now)?;
    let text = String::from_utf8(data.to_vec()).map_err(|_| Error::NotUtf8 {
        file: file.to_owned(),
    })?;
    Ok(VerifiedText {
        text,
        signers,
        ignored,
    })
}

/// Splits a cleartext-signed message (RFC 9580 section 7) into the text exactly as hashed
/// (CRLF line ends, dash-escapes removed, trailing SP/TAB trimmed, no final line break)
/// and its signature packets.
fn split_cleartext(input: &[u8]) -> Result<(String, Vec<Signature>), String> {
    let text = std::str::from_utf8(input).map_err(|_| "not UTF-8 text".to_owned())?;
    let mut lines = text.split_inclusive('\n');
    let content = |line: &str| -> usize {
        let l = line.strip_suffix('\n').unwrap_or(line);
        l.strip_suffix('\r').unwrap_or(l).len()
    };
    let first = lines.next().ok_or("empty file")?;
    if first[..content(first)].trim_end_matches([' ', '\t']) != "-----BEGIN PGP SIGNED MESSAGE-----"
    {
        return Err("not a cleartext-signed message (no `BEGIN PGP SIGNED MESSAGE` first)".into());
    }
    let mut offset = first.len();
    loop {
        let line = lines.next().ok_or("unterminated armor headers")?;
        offset += line.len();
        let header = line[..content(line)].trim_end_matches([' ', '\t']);
        if header.is_empty() {
            break;
        }
        if !header.starts_with("Hash: ") {
            return Err(format!("unexpected armor header `{header}`"));
        }
    }
    let mut signed = String::with_capacity(input.len());
    let mut first_line = true;
    let signature_start = loop {
        let line = lines.next().ok_or("no signature block")?;
        if line.starts_with("-----") {
            break offset;
        }
        offset += line.len();
        let body = &line[..content(line)];
        let body = body
            .strip_prefix("- ")
            .unwrap_or(body)
            .trim_end_matches([' ', '\t']);
        if !first_line {
            signed.push_str("\r\n");
        }
        first_line = false;
        signed.push_str(body);
    };
    let armor = &text[signature_start..];
    if !armor.starts_with("-----BEGIN PGP SIGNATURE-----") {
        return Err("expected `BEGIN PGP SIGNATURE`".into());
    }
    const END: &str = "\n-----END PGP SIGNATURE-----";
    let end = armor.find(END).ok_or("no `END PGP SIGNATURE`")?;
    if !armor[end + END.len()..].trim_ascii().is_empty() {
        return Err("data after the signature".into());
    }
    let (iter, _) = DetachedSignature::from_armor_many_buf(armor.as_bytes())
        .map_err(|e| format!("unreadable signature: {e}"))?;
    let signatures: Vec<Signature> = iter
        .map(|r| r.map(|d| d.signature))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("unreadable signature: {e}"))?;
    if signatures.is_empty() {
        return Err("no signature packets".into());
    }
    Ok((signed, signatures))
}

fn issuers(sig: &Signature) -> (Vec<KeyId>, Vec<Fingerprint>) {
    (
        sig.issuer_key_id().into_iter().cloned().collect(),
        sig.issuer_fingerprint().into_iter().cloned().collect(),
    )
}

fn issuer_label(sig: &Signature) -> String {
    let (ids, fps) = issuers(sig);
    let mut labels: Vec<String> = fps.iter().map(fingerprint_hex).collect();
    for id in ids {
        let hex: String = id.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        if !labels.iter().any(|f| f.ends_with(&hex)) {
            labels.push(hex);
        }
    }
    if labels.is_empty() {
        "<no issuer>".to_owned()
    } else {
        labels.join("/")
    }
}

/// Does `cert` hold a key (primary or subkey) named by the signature's issuers?
fn cert_matches(cert: &SignedPublicKey, ids: &[KeyId], fps: &[Fingerprint]) -> bool {
    if ids.is_empty() && fps.is_empty() {
        return true;
    }
    std::iter::once((
        cert.primary_key.legacy_key_id(),
        cert.primary_key.fingerprint(),
    ))
    .chain(
        cert.public_subkeys
            .iter()
            .map(|s| (s.key.legacy_key_id(), s.key.fingerprint())),
    )
    .any(|(id, fp)| ids.contains(&id) || fps.contains(&fp))
}

/// Checks rpgpie leaves to the caller for data signatures, relative to `now`.
fn check_signature_metadata(sig: &Signature, now: Timestamp) -> Result<(), String> {
    match sig.typ() {
        Some(SignatureType::Binary) | Some(SignatureType::Text) => {}
        other => return Err(format!("not a data signature ({other:?})")),
    }
    let Some(created) = sig.created() else {
        return Err("no creation time".into());
    };
    if created > now {
        return Err("made in the future".into());
    }
    if let Some(expires) = sig.signature_expiration_time()
        && expires.as_secs() != 0
        && u64::from(created.as_secs()) + u64::from(expires.as_secs()) <= u64::from(now.as_secs())
    {
        return Err("signature expired".into());
    }
    Ok(())
}

/// Returns the signers, and what happened to each signature that did not verify.
fn verify_signatures(
    file: &str,
    signatures: &[Signature],
    data: &[u8],
    keyring: &Keyring,
    now: SystemTime,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let now_ts: Timestamp = now.try_into().map_err(|_| Error::Signature {
        file: file.to_owned(),
        reason: "the clock is outside OpenPGP's time range".into(),
        tried: keyring.tried(),
    })?;
    // Checking a certificate verifies all its self-signatures: once per cert, lazily.
    let mut checked: HashMap<usize, Checked> = HashMap::new();
    let mut signers: Vec<String> = Vec::new();
    let mut outcomes = Vec::new();
    for sig in signatures {
        let label = issuer_label(sig);
        let (ids, fps) = issuers(sig);
        let candidates: Vec<usize> = keyring
            .certs
            .iter()
            .enumerate()
            .filter(|(_, c)| cert_matches(c, &ids, &fps))
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            outcomes.push(format!("{label}: unknown key"));
            continue;
        }
        if let Err(why) = check_signature_metadata(sig, now_ts) {
            outcomes.push(format!("{label}: {why}"));
            continue;
        }
        let mut outcome = format!("{label}: no valid (unexpired, unrevoked, signing) key made it");
        'certs: for index in candidates {
            let cert = checked
                .entry(index)
                .or_insert_with(|| Checked::new(Certificate::from(keyring.certs[index].clone())));
            for key in cert.valid_signing_capable_component_keys_at(now_ts) {
                let component = key.as_componentkey();
                let (id, fp) = (component.legacy_key_id(), component.fingerprint());
                let anonymous = ids.is_empty() && fps.is_empty();
                if !(anonymous || ids.contains(&id) || fps.contains(&fp)) {
                    continue;
                }
                match key.verify(sig, data) {
                    Ok(()) => {
                        for f in [fingerprint_hex(cert.fingerprint()), fingerprint_hex(&fp)] {
                            if !signers.contains(&f) {
                                signers.push(f);
                            }
                        }
                        outcome.clear();
                        break 'certs;
                    }
                    Err(_) => outcome = format!("{label}: BAD signature (the text does not match)"),
                }
            }
        }
        if !outcome.is_empty() {
            outcomes.push(outcome);
        }
    }
    if signers.is_empty() {
        return Err(Error::Signature {
            file: file.to_owned(),
            reason: outcomes.join("; "),
            tried: keyring.tried(),
        });
    }
    Ok((signers, outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_framing_errors() {
        for input in [
            "",
            "Origin: x\n",
            "-----BEGIN PGP SIGNED MESSAGE-----\nFoo: bar\n\ntext\n-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n",
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\ntext\n",
        ] {
            assert!(split_cleartext(input.as_bytes()).is_err(), "{input:?}");
        }
    }

    #[test]
    fn bad_keyring_is_named() {
        let msg = Keyring::from_bytes("keys/x.asc", b"hello")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("keys/x.asc"), "{msg}");
    }
}
