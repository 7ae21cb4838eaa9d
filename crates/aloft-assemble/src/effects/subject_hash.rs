//! OpenSSL's subject-name hash (`openssl x509 -subject_hash`, the `<hash>.0` link names
//! `openssl rehash` makes in /etc/ssl/certs), computed without OpenSSL.
//!
//! Hand-written because no crate computes it: the name is canonicalized as OpenSSL's
//! `x509_name_canon` does (every string value converted to UTF-8, ASCII lowered,
//! leading and trailing whitespace cut, inner runs of whitespace made one space, and
//! re-encoded as a UTF8String), the RDN SETs are DER-encoded one after the other without
//! the outer SEQUENCE, and the hash is the first four bytes of their SHA-1, little-endian.

use sha1::{Digest, Sha1};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Certificate};

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The value as UTF-8 if its type is one OpenSSL canonicalizes.
fn string_value(tag: Tag, data: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String => Some(String::from_utf8_lossy(data).into_owned()),
        // One byte per character (T61 is read as Latin-1, as OpenSSL does).
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::T61String => {
            Some(data.iter().map(|&b| b as char).collect())
        }
        Tag::BmpString => Some(
            data.chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .map(|u| char::from_u32(u32::from(u)).unwrap_or('\u{fffd}'))
                .collect(),
        ),
        Tag::UniversalString => Some(
            data.chunks(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}')
                })
                .collect(),
        ),
        _ => None,
    }
}

/// OpenSSL's `asn1_string_canon` on UTF-8 bytes.
fn canon(text: &str) -> Vec<u8> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    let mut out = Vec::with_capacity(end - start);
    let mut i = start;
    while i < end {
        let b = bytes[i];
        if !b.is_ascii() {
            out.push(b);
            i += 1;
        } else if is_space(b) {
            out.push(b' ');
            while i < end && is_space(bytes[i]) {
                i += 1;
            }
        } else {
            out.push(b.to_ascii_lowercase());
            i += 1;
        }
    }
    out
}

/// The subject hash of a DER certificate, as 8 lower-case hex digits.
pub fn subject_hash(der: &[u8]) -> Result<String, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let mut encoding = Vec::new();
    for rdn in cert.subject().iter() {
        let mut avas: Vec<Vec<u8>> = Vec::new();
        for ava in rdn.iter() {
            let oid = tlv(0x06, ava.attr_type().as_bytes());
            let value = ava.attr_value();
            let value = match string_value(value.tag(), value.data) {
                Some(text) => tlv(0x0c, &canon(&text)),
                None => {
                    let mut raw = Vec::new();
                    raw.extend_from_slice(&tlv(value.tag().0 as u8, value.data));
                    raw
                }
            };
            avas.push(tlv(0x30, &[oid, value].concat()));
        }
        // DER orders the members of a SET OF by their encodings.
        avas.sort();
        encoding.extend_from_slice(&tlv(0x31, &avas.concat()));
    }
    let digest = Sha1::digest(&encoding);
    Ok(format!(
        "{:08x}",
        u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
    ))
}

/// The DER of the first certificate in PEM `text`.
pub fn pem_to_der(text: &str) -> Result<Vec<u8>, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes())
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    Ok(pem.contents)
}
