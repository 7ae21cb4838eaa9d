//! Decompression of index files by their file name extension (`.xz`, `.gz`, none).

use std::io::Read;

use crate::Error;

/// Compressions apt indexes come in, best first (what aloft prefers to download).
pub const INDEX_EXTENSIONS: [&str; 3] = [".xz", ".gz", ""];

/// Decompresses `bytes` according to the extension of `name` (`.xz`, `.gz`, or none).
pub fn decompress_by_name(name: &str, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(bytes.len() * 6);
    let result = if name.ends_with(".xz") {
        liblzma::read::XzDecoder::new(bytes).read_to_end(&mut out)
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)
    } else {
        out.extend_from_slice(bytes);
        Ok(out.len())
    };
    result.map_err(|source| Error::Decompress {
        file: name.to_owned(),
        source,
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn round_trips_gz_and_xz() -> Result<(), Box<dyn std::error::Error>> {
        let text = b"Package: a\n".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text)?;
        assert_eq!(decompress_by_name("Packages.gz", &gz.finish()?)?, text);
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&text)?;
        assert_eq!(decompress_by_name("Packages.xz", &xz.finish()?)?, text);
        assert_eq!(decompress_by_name("Packages", &text)?, text);
        assert!(decompress_by_name("Packages.xz", b"garbage").is_err());
        Ok(())
    }
}
