//! The index file format shared by the flat and HNSW indexes: a fixed header, sections of
//! little-endian data, and a CRC-32 of everything before it.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "MLINDEX\0"
//!      8     4  format version (1)
//!     12     4  index kind (1 = flat, 2 = HNSW, 3 = PCA-reduced flat)
//!     16     4  metric (1 = cosine, 2 = dot, 3 = l2)
//!     20     4  element size in bytes (4 = f32, 8 = f64)
//!     24     8  dimension
//!     32     8  number of vectors
//!     40    32  four kind-specific u64 parameters (PCA-reduced: components, rerank)
//!     72     …  sections (ids, vectors, graph), little-endian
//!    end−4   4  CRC-32 (IEEE) of bytes [0, end−4)
//! ```
//!
//! A reader checks the magic, the version, the codes, that the sizes the header announces fit
//! the file exactly (with overflow-checked arithmetic, before allocating anything) and the
//! checksum, so a truncated or corrupted file is a clear [`ErrorKind::Format`] error.

use std::io::Write;
use std::path::Path;

use crate::io::{display, format_error, write_atomic, Bytes};
use crate::{Error, ErrorKind, Result};

pub(crate) const MAGIC: &[u8; 8] = b"MLINDEX\0";
pub(crate) const VERSION: u32 = 1;
pub(crate) const HEADER_LEN: usize = 72;

/// Index kinds stored in the header.
pub(crate) const KIND_FLAT: u32 = 1;
pub(crate) const KIND_HNSW: u32 = 2;
pub(crate) const KIND_REDUCED: u32 = 3;

/// The fixed header of an index file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: u32,
    pub metric: u32,
    pub elem_size: u32,
    pub dim: u64,
    pub count: u64,
    pub params: [u64; 4],
}

impl Header {
    fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[12..16].copy_from_slice(&self.kind.to_le_bytes());
        b[16..20].copy_from_slice(&self.metric.to_le_bytes());
        b[20..24].copy_from_slice(&self.elem_size.to_le_bytes());
        b[24..32].copy_from_slice(&self.dim.to_le_bytes());
        b[32..40].copy_from_slice(&self.count.to_le_bytes());
        for (i, p) in self.params.iter().enumerate() {
            b[40 + 8 * i..48 + 8 * i].copy_from_slice(&p.to_le_bytes());
        }
        b
    }
}

/// A writer that feeds every byte to the checksum as well.
struct Crc<'a, W: Write> {
    inner: &'a mut W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes an index file atomically: the header, then `sections` in order (each writes its
/// bytes), then the checksum.
pub(crate) fn write_index<F>(
    op: &'static str,
    path: &Path,
    header: Header,
    sections: F,
) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    if cfg!(target_endian = "big") {
        return Err(Error::new(
            ErrorKind::Io,
            op,
            "index files are little-endian; this platform is big-endian",
        ));
    }
    write_atomic(op, path, |w| {
        let mut crc = Crc {
            inner: w,
            hasher: crc32fast::Hasher::new(),
        };
        crc.write_all(&header.to_bytes())?;
        sections(&mut crc)?;
        let sum = crc.hasher.finalize();
        w.write_all(&sum.to_le_bytes())
    })
}

/// An index file opened for reading: its header, verified, and a cursor over its sections.
pub(crate) struct IndexFile {
    bytes: Bytes,
    pub header: Header,
    pos: usize,
    end: usize,
    pub source: String,
}

impl IndexFile {
    /// Maps `path` and checks magic, version, checksum and the header's codes.
    pub(crate) fn open(op: &'static str, path: &Path) -> Result<IndexFile> {
        if cfg!(target_endian = "big") {
            return Err(Error::new(
                ErrorKind::Io,
                op,
                "index files are little-endian; this platform is big-endian",
            ));
        }
        let bytes = Bytes::map(op, path)?;
        IndexFile::parse(op, bytes, display(path))
    }

    pub(crate) fn parse(op: &'static str, bytes: Bytes, source: String) -> Result<IndexFile> {
        let data = bytes.as_slice();
        let err = |m: String| format_error(op, &source, m);
        if data.len() < HEADER_LEN + 4 {
            return Err(err(format!(
                "{} bytes is too short for an mlinalg index (at least {})",
                data.len(),
                HEADER_LEN + 4
            )));
        }
        if &data[0..8] != MAGIC {
            return Err(err(
                "not an mlinalg index file (bad magic bytes)".to_string()
            ));
        }
        let u32_at =
            |o: usize| u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[o..o + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(8);
        if version != VERSION {
            return Err(err(format!(
                "format version {version} is not supported (this mlinalg reads version {VERSION})"
            )));
        }
        let end = data.len() - 4;
        let stored = u32_at(end);
        let actual = crc32fast::hash(&data[..end]);
        if stored != actual {
            return Err(err(format!("checksum mismatch (stored {stored:08x}, computed {actual:08x}): the file is truncated or corrupted")));
        }
        let header = Header {
            kind: u32_at(12),
            metric: u32_at(16),
            elem_size: u32_at(20),
            dim: u64_at(24),
            count: u64_at(32),
            params: [u64_at(40), u64_at(48), u64_at(56), u64_at(64)],
        };
        Ok(IndexFile {
            bytes,
            header,
            pos: HEADER_LEN,
            end,
            source,
        })
    }

    pub(crate) fn error(&self, op: &'static str, message: impl AsRef<str>) -> Error {
        format_error(op, &self.source, message)
    }

    /// `count × size` bytes as a size, or a format error when that overflows or exceeds what
    /// is left of the file (checked before any allocation).
    pub(crate) fn section_len(
        &self,
        op: &'static str,
        what: &str,
        count: u64,
        size: u64,
    ) -> Result<usize> {
        let len = count
            .checked_mul(size)
            .and_then(|l| usize::try_from(l).ok());
        match len {
            Some(l) if l <= self.end - self.pos => Ok(l),
            _ => Err(self.error(
                op,
                format!("the header announces {count} {what} of {size} bytes, more than the {} bytes left in the file", self.end - self.pos),
            )),
        }
    }

    /// The next `len` bytes.
    pub(crate) fn take(&mut self, op: &'static str, what: &str, len: usize) -> Result<&[u8]> {
        if len > self.end - self.pos {
            return Err(self.error(op, format!("the file ends inside its {what}")));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.bytes.as_slice()[start..start + len])
    }

    /// Reads `count` little-endian u64 values.
    pub(crate) fn u64s(&mut self, op: &'static str, what: &str, count: u64) -> Result<Vec<u64>> {
        let len = self.section_len(op, what, count, 8)?;
        let raw = self.take(op, what, len)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect())
    }

    /// Reads `count` elements of a plain-old-data type (f32/f64), copying (any alignment).
    pub(crate) fn pods<T: bytemuck::Pod>(
        &mut self,
        op: &'static str,
        what: &str,
        count: u64,
    ) -> Result<Vec<T>> {
        let len = self.section_len(op, what, count, std::mem::size_of::<T>() as u64)?;
        let raw = self.take(op, what, len)?;
        let size = std::mem::size_of::<T>();
        if size == 0 {
            return Ok(bytemuck::pod_collect_to_vec(raw));
        }
        // `len` is `count * size`. Huge pages when large: searches read vectors and links at
        // random.
        let mut out: Vec<T> = Vec::new();
        crate::alloc::reserve_huge(&mut out, len / size);
        out.resize(len / size, T::zeroed());
        bytemuck::cast_slice_mut::<T, u8>(&mut out).copy_from_slice(raw);
        Ok(out)
    }

    /// Checks the header for an index of `kind` (named `what` in messages) holding elements of
    /// `T`, and returns its metric and dimension.
    pub(crate) fn expect<T: crate::search::IndexScalar>(
        &self,
        op: &'static str,
        kind: u32,
        what: &str,
    ) -> Result<(crate::search::Metric, usize)> {
        let h = self.header;
        if h.kind != kind {
            return Err(self.error(op, format!("holds an index of kind {}, not {what}", h.kind)));
        }
        let metric = crate::search::Metric::from_code(h.metric)
            .ok_or_else(|| self.error(op, format!("unknown metric code {}", h.metric)))?;
        if h.elem_size as usize != std::mem::size_of::<T>() {
            return Err(self.error(
                op,
                format!(
                    "holds {}-byte elements, not {} ({})",
                    h.elem_size,
                    std::mem::size_of::<T>(),
                    T::DTYPE
                ),
            ));
        }
        let dim = usize::try_from(h.dim)
            .ok()
            .filter(|&d| d > 0)
            .ok_or_else(|| self.error(op, format!("invalid dimension {}", h.dim)))?;
        Ok((metric, dim))
    }

    /// Fails unless every byte before the checksum was read.
    pub(crate) fn finish(&self, op: &'static str) -> Result<()> {
        if self.pos != self.end {
            return Err(self.error(
                op,
                format!(
                    "{} unexpected bytes after the last section",
                    self.end - self.pos
                ),
            ));
        }
        Ok(())
    }
}
