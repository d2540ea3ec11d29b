//! Reading and writing the files ML data lives in: NumPy `.npy`/`.npz`, `.safetensors` model
//! weights, and PNG/JPEG images, to and from `ndarray` arrays.
//!
//! | file | read | write |
//! |---|---|---|
//! | `.npy` (float32, float64, int64; C or Fortran order; either byte order) | [`read_npy`], [`read_npy_i64`], [`decode_npy`]; [`NpyFile`] for memory-mapped views and row blocks of files larger than memory | [`write_npy`] |
//! | `.npz` | (not yet) | [`write_npz`] (uncompressed, as `np.savez`) |
//! | `.safetensors` (F64, F32, F16, BF16 → f32/f64; I64 → i64) | [`SafeTensorsFile`]: list the tensors, read one converted, or view it without a copy | (not yet) |
//! | PNG, JPEG | [`read_image_gray`], [`read_image_rgb`], [`decode_image_gray`], [`decode_image_rgb`] | [`write_png`], [`encode_png`] |
//!
//! ```
//! use mlinalg::io::{read_npy, write_npy};
//! use ndarray::{array, Array2};
//!
//! let dir = std::env::temp_dir().join(format!("mlinalg-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("x.npy");
//! write_npy(&path, &array![[1.0_f32, 2.0], [3.0, 4.0]])?;
//! // A float32 file read as float64: the values are converted (np.load(p).astype(np.float64)).
//! let x: Array2<f64> = read_npy(&path)?;
//! assert_eq!(x, array![[1.0, 2.0], [3.0, 4.0]]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Rules
//! - Element types are [`Element`]s: `f32` and `f64` read either float dtype of a file (and
//!   safetensors' F16 and BF16), converting as NumPy's `astype` does; `i64` reads int64 only.
//! - A malformed file (wrong magic, truncated, a header that does not parse, a shape whose data
//!   would not fit in the file, offsets outside the data, an unsupported dtype) is an
//!   [`ErrorKind::Format`] error whose message names the file and the
//!   problem; a file that cannot be opened or written is an [`ErrorKind::Io`]
//!   error. No input panics, and nothing is allocated from a size in a header before that size
//!   has been checked against the length of the file.
//! - Outputs are written atomically: to a temporary file in the same folder, flushed to disk,
//!   then renamed over the destination. On an error the destination is untouched and the
//!   temporary file is removed.
//!
//! ## Memory maps
//! [`NpyFile`], [`SafeTensorsFile`] and [`read_npy`] map the file into memory instead of reading
//! it: a view costs no copy and a file larger than memory can be processed block by block, the
//! operating system paging the data in as it is touched. As with every memory-mapped reader
//! (NumPy's `mmap_mode`, the safetensors library), the file must not be truncated or rewritten
//! by another process while it is mapped; the atomic writes of this module replace a file
//! without touching a mapped old version.

mod image;
mod npy;
mod safetensors;

pub use self::image::{
    decode_image_gray, decode_image_rgb, encode_png, read_image_gray, read_image_rgb, write_png,
};
pub use self::npy::{decode_npy, read_npy, read_npy_i64, write_npy, write_npz, NpyFile, RowBlocks};
pub use self::safetensors::{SafeTensorsFile, TensorInfo};

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;

use crate::error::{Error, ErrorKind, Result};

/// The element types this module reads and writes: `f32`, `f64` and `i64`.
///
/// Floats read float32 and float64 data (and safetensors' F16 and BF16), converting as NumPy's
/// `astype` does (float64 → float32 rounds to nearest); `i64` reads int64 data only. The trait
/// is sealed: it cannot be implemented outside mlinalg.
///
/// ```
/// fn first<T: mlinalg::io::Element>(xs: &[T]) -> Option<T> {
///     xs.first().copied()
/// }
/// assert_eq!(first(&[3_i64, 4]), Some(3));
/// ```
pub trait Element: sealed::Sealed {}

impl Element for f32 {}
impl Element for f64 {}
impl Element for i64 {}

pub(crate) use sealed::Kind;

pub(crate) mod sealed {
    /// What a stored value is, as far as conversion goes. Public only inside this private
    /// module, so that the sealed trait may name it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        F16,
        BF16,
        F32,
        F64,
        I64,
    }

    /// The conversions behind [`Element`](super::Element). Only the ones [`accepts`](Sealed::accepts)
    /// allows are ever used: `i64` never converts from floats, floats never from `i64`.
    pub trait Sealed:
        bytemuck::Pod + ndarray_npy::WritableElement + Send + Sync + std::fmt::Debug + 'static
    {
        /// NumPy's name of the type.
        const NAME: &'static str;
        /// The stored kind that is the same type (no conversion, views possible).
        const KIND: Kind;
        /// Whether values of `kind` are read into this type.
        fn accepts(kind: Kind) -> bool;
        /// Converts a float value (of an accepted float kind).
        fn from_f64(x: f64) -> Self;
        /// Converts an integer value (of an accepted integer kind).
        fn from_i64(x: i64) -> Self;
    }

    impl Sealed for f32 {
        const NAME: &'static str = "float32";
        const KIND: Kind = Kind::F32;
        fn accepts(kind: Kind) -> bool {
            kind != Kind::I64
        }
        fn from_f64(x: f64) -> Self {
            x as f32
        }
        fn from_i64(x: i64) -> Self {
            x as f32
        }
    }

    impl Sealed for f64 {
        const NAME: &'static str = "float64";
        const KIND: Kind = Kind::F64;
        fn accepts(kind: Kind) -> bool {
            kind != Kind::I64
        }
        fn from_f64(x: f64) -> Self {
            x
        }
        fn from_i64(x: i64) -> Self {
            x as f64
        }
    }

    impl Sealed for i64 {
        const NAME: &'static str = "int64";
        const KIND: Kind = Kind::I64;
        fn accepts(kind: Kind) -> bool {
            kind == Kind::I64
        }
        fn from_f64(x: f64) -> Self {
            x as i64
        }
        fn from_i64(x: i64) -> Self {
            x
        }
    }
}

/// The bytes of a file: a read-only memory map, or bytes handed over by the caller.
pub(crate) enum Bytes {
    Mapped(Mmap),
    Owned(Cow<'static, [u8]>),
}

impl Bytes {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(b) => b,
        }
    }

    /// Maps the file at `path` read-only.
    pub(crate) fn map(op: &'static str, path: &Path) -> Result<Bytes> {
        let file = File::open(path).map_err(|e| io_error(op, path, "cannot open", &e))?;
        let meta = file
            .metadata()
            .map_err(|e| io_error(op, path, "cannot stat", &e))?;
        if meta.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                op,
                format!("{} is a directory, not a file", path.display()),
            ));
        }
        // SAFETY: the map is read-only and lives inside `Bytes`, which hands out slices borrowed
        // from it. Like every file-backed map, it stays valid only while no other process
        // truncates or rewrites the file; the module documentation states that requirement.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error(op, path, "cannot map", &e))?;
        Ok(Bytes::Mapped(map))
    }

    /// Advises the kernel that the map will be read front to back (a no-op for owned bytes).
    pub(crate) fn advise_sequential(&self) {
        #[cfg(unix)]
        if let Bytes::Mapped(m) = self {
            // Only a hint: a failure changes nothing but read-ahead.
            let _ = m.advise(memmap2::Advice::Sequential);
        }
    }
}

/// An [`ErrorKind::Io`] error: "`what` `path`: `err`".
pub(crate) fn io_error(op: &'static str, path: &Path, what: &str, err: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        op,
        format!("{what} {}: {err}", path.display()),
    )
}

/// An [`ErrorKind::Format`] error about the file or buffer `source`.
pub(crate) fn format_error(op: &'static str, source: &str, message: impl AsRef<str>) -> Error {
    Error::new(
        ErrorKind::Format,
        op,
        format!("{source}: {}", message.as_ref()),
    )
}

/// Removes the temporary file unless the write succeeded.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `path` atomically: `write` fills a new temporary file in the same folder, which is
/// flushed, synced to disk and renamed over `path`. On any error (or a panic in `write`) the
/// temporary file is removed and `path` is left as it was.
pub(crate) fn write_atomic<F>(op: &'static str, path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
{
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        Error::new(
            ErrorKind::Io,
            op,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut attempts = 0;
    let (file, temp) = loop {
        attempts += 1;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let temp = dir.join(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => {
                break (
                    file,
                    TempFile {
                        path: temp,
                        keep: false,
                    },
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 100 => continue,
            Err(e) => {
                return Err(io_error(
                    op,
                    dir,
                    &format!("cannot write {}: cannot create a file in", path.display()),
                    &e,
                ))
            }
        }
    };
    let written = (|| {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.flush()?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    written.map_err(|e| io_error(op, path, "cannot write", &e))?;
    std::fs::rename(&temp.path, path).map_err(|e| io_error(op, path, "cannot write", &e))?;
    let mut temp = temp;
    temp.keep = true;
    // Make the rename itself durable; not every platform can open a folder, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A path shown in messages.
pub(crate) fn display(path: &Path) -> String {
    path.display().to_string()
}

/// The name shown in messages for bytes that did not come from a file.
pub(crate) const BYTES_SOURCE: &str = "<bytes>";
