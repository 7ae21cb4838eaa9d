//! Writes one layer: normalized tar entries -> gzip or zstd -> a temp file, hashing the
//! tar (diff_id) and the compressed stream (digest) on the way, so nothing is read twice.
//!
//! Every header is normalized here: numeric uid/gid only (no user or group names),
//! mtime clamped to the build's epoch, permission bits kept (setuid included), GNU
//! headers with long names as the tar crate writes them. The compressor is pinned
//! ([`LayerCompression`]) because the digest depends on every byte.

use std::collections::HashSet;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use aloft_oci::LayerMediaType;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

/// libdeflate level of every gzip layer (part of the layer cache key). Measured on the
/// php-cli layers (148 MB of tar): zlib-rs -6 gives 58.6 MB; libdeflate -6 55.6 MB in
/// 1.9 s, -8 55.3 MB in 4.0 s, -10 53.8 MB in 10.5 s (one core).
pub const GZIP_LEVEL: i32 = 8;

/// Bytes of tar per gzip member: libdeflate compresses whole buffers, so a layer is a
/// series of members (RFC 1952 allows it; every gzip reader docker, containerd,
/// podman and skopeo use reads them all). Fixed, so the bytes never depend on how the
/// tar was written. Measured: 4 MiB members add 0.03% to php-cli.
pub const GZIP_MEMBER: usize = 4 << 20;

/// zstd level of every zstd layer (part of the layer cache key).
pub const ZSTD_LEVEL: i32 = 3;

/// How layer tars are compressed. Either way the tar (and so the diff_ids) is the same;
/// the blobs, and so the digests, differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerCompression {
    /// gzip by libdeflate ([`GZIP_LEVEL`], members of [`GZIP_MEMBER`]), header mtime 0
    /// and OS byte 255: every client loads it.
    #[default]
    Gzip,
    /// zstd -3 by the bundled libzstd in multithreaded mode (one worker, so compression
    /// overlaps decompressing the .debs), with a content checksum. Multithreaded output
    /// does not depend on the number of workers; single-threaded output differs, so it is
    /// never used.
    Zstd,
}

impl LayerCompression {
    /// Its name on the command line and in reports: `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            LayerCompression::Gzip => "gzip",
            LayerCompression::Zstd => "zstd",
        }
    }

    /// The OCI media type of a layer compressed this way.
    pub fn media_type(self) -> LayerMediaType {
        match self {
            LayerCompression::Gzip => LayerMediaType::Gzip,
            LayerCompression::Zstd => LayerMediaType::Zstd,
        }
    }

    /// What decides the compressed bytes besides the tar: the layer cache key's part.
    pub fn format(self) -> String {
        match self {
            LayerCompression::Gzip => {
                format!("gzip-{GZIP_LEVEL} libdeflate-1.26 members-{GZIP_MEMBER}")
            }
            LayerCompression::Zstd => format!(
                "zstd-{ZSTD_LEVEL} mt libzstd-{} checksum chunks-64k",
                zstd::zstd_safe::version_string()
            ),
        }
    }

    fn compressor<W: Write>(self, inner: W) -> io::Result<Compressor<W>> {
        Ok(match self {
            LayerCompression::Gzip => Compressor::Gzip(GzipMembers::new(inner)?),
            LayerCompression::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(inner, ZSTD_LEVEL)?;
                encoder.multithread(1)?;
                encoder.include_checksum(true)?;
                Compressor::Zstd(encoder)
            }
        })
    }
}

/// gzip members of [`GZIP_MEMBER`] bytes of input each, by libdeflate.
struct GzipMembers<W: Write> {
    inner: W,
    pending: Vec<u8>,
    compressor: libdeflater::Compressor,
    out: Vec<u8>,
    /// Whether a member was written.
    started: bool,
}

impl<W: Write> GzipMembers<W> {
    fn new(inner: W) -> io::Result<Self> {
        let level = libdeflater::CompressionLvl::new(GZIP_LEVEL)
            .map_err(|e| io::Error::other(format!("libdeflate level {GZIP_LEVEL}: {e:?}")))?;
        Ok(GzipMembers {
            inner,
            pending: Vec::with_capacity(GZIP_MEMBER),
            compressor: libdeflater::Compressor::new(level),
            out: Vec::new(),
            started: false,
        })
    }

    /// Writes `pending` as one member.
    fn member(&mut self) -> io::Result<()> {
        let bound = self.compressor.gzip_compress_bound(self.pending.len());
        self.out.resize(bound, 0);
        let n = self
            .compressor
            .gzip_compress(&self.pending, &mut self.out)
            .map_err(|e| io::Error::other(format!("libdeflate: {e}")))?;
        self.inner.write_all(&self.out[..n])?;
        self.pending.clear();
        self.started = true;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        // An empty layer is still one (empty) member: a valid gzip stream.
        if !self.pending.is_empty() || !self.started {
            self.member()?;
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for GzipMembers<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(GZIP_MEMBER - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == GZIP_MEMBER {
            self.member()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The compressor a layer is written through.
enum Compressor<W: Write> {
    Gzip(GzipMembers<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Compressor<W> {
    /// Ends the stream and returns the inner writer.
    fn finish(self) -> io::Result<W> {
        match self {
            Compressor::Gzip(encoder) => encoder.finish(),
            Compressor::Zstd(encoder) => encoder.finish(),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Gzip(encoder) => encoder.write(buf),
            Compressor::Zstd(encoder) => encoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Gzip(encoder) => encoder.flush(),
            Compressor::Zstd(encoder) => encoder.flush(),
        }
    }
}

/// A writer that hashes and counts what passes through.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes handed to the compressor at a time.
const CHUNK: usize = 1 << 16;

/// Feeds its inner writer in chunks of exactly [`CHUNK`] bytes (the last one
/// shorter). Deflate's output depends on how its input is split between calls, not only
/// on the bytes: without this, how a decompressor happened to return a .deb's data (or
/// whether a file was copied from memory or from the stream) would change the gzip
/// bytes and so the digest, with the same tar. zstd gets the same chunks.
pub(crate) struct ChunkedWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> ChunkedWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        ChunkedWriter {
            inner,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    /// Writes what is buffered and returns the inner writer.
    fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(self.inner)
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let take = buf.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&buf[..take]);
        if self.buffer.len() == CHUNK {
            self.inner.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(take)
    }

    /// Buffered bytes stay until a chunk is full or [`ChunkedWriter::finish`]: passing
    /// them on here would split the input where the caller flushed.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Owner, mode and time of an entry, before normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits (0..=0o7777).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time (clamped to the epoch when written).
    pub mtime: u64,
}

impl Meta {
    /// root:root with `mode`, at `mtime`.
    pub fn root(mode: u32, mtime: u64) -> Meta {
        Meta {
            mode,
            uid: 0,
            gid: 0,
            mtime,
        }
    }
}

/// A finished layer blob in a temp file.
#[derive(Debug)]
pub struct FinishedLayer {
    /// The compressed stream, complete and flushed.
    pub file: NamedTempFile,
    /// sha256 of the compressed stream, hex.
    pub digest: String,
    /// sha256 of the uncompressed tar, hex.
    pub diff_id: String,
    /// Size of the compressed stream.
    pub size: u64,
    /// Size of the uncompressed tar.
    pub tar_size: u64,
    /// Removes `file` if the run is interrupted before it is persisted.
    pub live: aloft_fs::LiveTemp,
}

type Sink = HashingWriter<ChunkedWriter<Compressor<HashingWriter<BufWriter<NamedTempFile>>>>>;

/// Streams normalized entries into a compressed layer blob.
pub struct LayerWriter {
    builder: tar::Builder<Sink>,
    epoch: u64,
    /// Directories written to this layer, so each appears once.
    dirs: HashSet<String>,
    live: aloft_fs::LiveTemp,
}

impl LayerWriter {
    /// A new layer in a temp file under `dir`, compressed as `compression`; mtimes
    /// clamp to `epoch`.
    pub fn create(
        dir: &Path,
        epoch: u64,
        compression: LayerCompression,
    ) -> io::Result<LayerWriter> {
        fs_err::create_dir_all(dir)?;
        let file = tempfile::Builder::new()
            .prefix(&aloft_fs::temp_prefix(std::ffi::OsStr::new("layer")))
            .suffix(aloft_fs::TEMP_SUFFIX)
            .tempfile_in(dir)?;
        let live = aloft_fs::LiveTemp::register(file.path());
        let compressor =
            compression.compressor(HashingWriter::new(BufWriter::with_capacity(1 << 20, file)))?;
        let builder = tar::Builder::new(HashingWriter::new(ChunkedWriter::new(compressor)));
        Ok(LayerWriter {
            builder,
            epoch,
            dirs: HashSet::new(),
            live,
        })
    }

    fn header(&self, meta: Meta, kind: tar::EntryType) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(meta.mode & 0o7777);
        header.set_uid(meta.uid);
        header.set_gid(meta.gid);
        header.set_mtime(meta.mtime.min(self.epoch));
        header.set_size(0);
        header
    }

    fn pax(&mut self, pax: &[(String, Vec<u8>)]) -> io::Result<()> {
        if !pax.is_empty() {
            self.builder
                .append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
        }
        Ok(())
    }

    /// Whether `path` was already written as a directory in this layer.
    pub fn has_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }

    /// Writes directory `path` unless this layer has it already.
    pub fn directory(&mut self, path: &str, meta: Meta) -> io::Result<()> {
        if self.dirs.contains(path) {
            return Ok(());
        }
        let mut header = self.header(meta, tar::EntryType::Directory);
        self.builder
            .append_data(&mut header, format!("{path}/"), io::empty())?;
        self.dirs.insert(path.to_owned());
        Ok(())
    }

    /// Writes every missing ancestor directory of `path` (root-owned, 0755).
    pub fn parents(&mut self, path: &str) -> io::Result<()> {
        for ancestor in crate::path::ancestors(path) {
            if !self.dirs.contains(ancestor) {
                self.directory(ancestor, Meta::root(0o755, self.epoch))?;
            }
        }
        Ok(())
    }

    /// Writes a regular file of `size` bytes read from `data`, with PAX records (xattrs).
    pub fn file(
        &mut self,
        path: &str,
        meta: Meta,
        size: u64,
        data: impl Read,
        pax: &[(String, Vec<u8>)],
    ) -> io::Result<()> {
        self.pax(pax)?;
        let mut header = self.header(meta, tar::EntryType::Regular);
        header.set_size(size);
        self.builder.append_data(&mut header, path, data)
    }

    /// Writes a symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str, meta: Meta) -> io::Result<()> {
        let mut header = self.header(meta, tar::EntryType::Symlink);
        self.builder.append_link(&mut header, path, target)
    }

    /// Writes a hard link to `target` (an image path written earlier in this layer).
    pub fn hardlink(&mut self, path: &str, target: &str, meta: Meta) -> io::Result<()> {
        let mut header = self.header(meta, tar::EntryType::Link);
        self.builder.append_link(&mut header, path, target)
    }

    /// Writes a FIFO.
    pub fn fifo(&mut self, path: &str, meta: Meta) -> io::Result<()> {
        let mut header = self.header(meta, tar::EntryType::Fifo);
        self.builder.append_data(&mut header, path, io::empty())
    }

    /// Ends the tar, ends the compressed stream, flushes the file and returns the blob with its hashes.
    pub fn finish(self) -> io::Result<FinishedLayer> {
        let live = self.live;
        let tar_sink = self.builder.into_inner()?;
        let (chunked, diff_id, tar_size) = tar_sink.finish();
        let hashing = chunked.finish()?.finish()?;
        let (buffered, digest, size) = hashing.finish();
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        Ok(FinishedLayer {
            file,
            digest,
            diff_id,
            size,
            tar_size,
            live,
        })
    }
}

impl std::fmt::Debug for LayerWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerWriter")
            .field("epoch", &self.epoch)
            .field("dirs", &self.dirs.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `data` compressed through a [`ChunkedWriter`], written in pieces of the given
    /// sizes (cycled).
    fn compress_in_pieces(compression: LayerCompression, data: &[u8], pieces: &[usize]) -> Vec<u8> {
        let mut sink = ChunkedWriter::new(compression.compressor(Vec::new()).unwrap());
        let (mut at, mut i) = (0, 0);
        while at < data.len() {
            let size = pieces[i % pieces.len()].min(data.len() - at);
            sink.write_all(&data[at..at + size]).unwrap();
            at += size;
            i += 1;
        }
        sink.finish().unwrap().finish().unwrap()
    }

    /// Compressible but not trivial: text with repeats at many distances.
    fn sample(lines: u32) -> Vec<u8> {
        (0..lines)
            .flat_map(|i| format!("{} {}\n", i % 977, (u64::from(i) * 7919) % 10_007).into_bytes())
            .collect()
    }

    #[test]
    fn compressed_bytes_do_not_depend_on_how_the_tar_was_written() {
        let data = sample(400_000);
        for compression in [LayerCompression::Gzip, LayerCompression::Zstd] {
            let whole = compress_in_pieces(compression, &data, &[data.len()]);
            for pieces in [&[1usize, 7, 4096][..], &[65_535, 3], &[100_000], &[8192]] {
                assert_eq!(
                    compress_in_pieces(compression, &data, pieces),
                    whole,
                    "{compression:?} {pieces:?}"
                );
            }
        }
    }

    /// Why zstd layers are compressed in multithreaded mode: its bytes are the same
    /// whatever the number of workers, which single-threaded mode's are not.
    #[test]
    fn zstd_multithreaded_output_does_not_depend_on_the_workers() {
        // Several of zstd's jobs at level 3, so the workers really split the input.
        let data = sample(3_000_000);
        let with_workers = |workers: u32| {
            let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL).unwrap();
            encoder.multithread(workers).unwrap();
            encoder.include_checksum(true).unwrap();
            encoder.write_all(&data).unwrap();
            encoder.finish().unwrap()
        };
        let ours = compress_in_pieces(LayerCompression::Zstd, &data, &[data.len()]);
        assert_eq!(with_workers(1), ours);
        assert_eq!(with_workers(4), ours);
        assert_ne!(
            with_workers(0),
            ours,
            "single-threaded mode writes other bytes"
        );
        assert_eq!(zstd::decode_all(ours.as_slice()).unwrap(), data);
    }

    /// gzip layers are members of [`GZIP_MEMBER`] bytes of tar, each with mtime 0 and OS
    /// 255, that a multi-member reader (as every client's) reads back whole.
    #[test]
    fn gzip_layers_are_fixed_size_members() {
        let data = sample(1_500_000);
        assert!(data.len() > 2 * GZIP_MEMBER);
        let gz = compress_in_pieces(LayerCompression::Gzip, &data, &[65_536]);
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime");
        assert_eq!(gz[9], 255, "OS");
        // The first member holds exactly GZIP_MEMBER bytes (its ISIZE) and the next
        // member starts right after it.
        let mut first = flate2::read::GzDecoder::new(gz.as_slice());
        let mut one = Vec::new();
        first.read_to_end(&mut one).unwrap();
        assert_eq!(one.len(), GZIP_MEMBER);
        let empty = compress_in_pieces(LayerCompression::Gzip, &[], &[1]);
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(empty.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty() && empty.starts_with(&[0x1f, 0x8b]));
    }
}
