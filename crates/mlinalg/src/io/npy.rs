//! NumPy's `.npy` format: read (whole, memory-mapped views, row blocks) and write; `.npz` write.
//!
//! The header is parsed here rather than by `ndarray-npy`'s reader, for three reasons: its size
//! claims are checked against the file before anything is allocated, float32 and float64 data
//! convert to either float type, and a file is memory-mapped so that rows can be read a block at
//! a time. Writing uses `ndarray-npy`.
//!
//! The header grammar read is the one NumPy writes (`np.save`, format versions 1.0, 2.0 and 3.0):
//! a Python dict literal with exactly the keys `'descr'`, `'fortran_order'` and `'shape'`,
//! `descr` one of `'<f4'`, `'<f8'`, `'<i8'` or their big-endian (`>`) forms. Unlike NumPy,
//! bytes after the data are an error rather than ignored (they mean the shape is wrong).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;

use ndarray::{
    Array, Array2, ArrayBase, ArrayView, ArrayViewD, Axis, Data, Dimension, Ix2, IxDyn,
    ShapeBuilder, Slice,
};
use ndarray_npy::{NpzWriter, WriteNpyError, WriteNpyExt, WriteNpzError};

use super::{display, format_error, write_atomic, Bytes, Element, Kind, BYTES_SOURCE};
use crate::error::{fmt_shape, Error, ErrorKind, Result};

const MAGIC: &[u8] = b"\x93NUMPY";
/// NumPy 2's largest number of dimensions (`NPY_MAXDIMS`).
const MAX_NDIM: usize = 64;

/// The element type of a file and its byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dtype {
    kind: Kind,
    big_endian: bool,
}

impl Dtype {
    fn size(self) -> usize {
        match self.kind {
            Kind::F16 | Kind::BF16 => 2,
            Kind::F32 => 4,
            Kind::F64 | Kind::I64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self.kind {
            Kind::F16 => "float16",
            Kind::BF16 => "bfloat16",
            Kind::F32 => "float32",
            Kind::F64 => "float64",
            Kind::I64 => "int64",
        }
    }
}

/// A parsed and validated header: the data is `data_start..data_start + n_elements * size`,
/// and that range is exactly the rest of the file.
#[derive(Clone, Debug)]
struct Header {
    dtype: Dtype,
    fortran: bool,
    shape: Vec<usize>,
    data_start: usize,
    n_elements: usize,
}

impl Header {
    fn data<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes.get(self.data_start..).unwrap_or_default()
    }

    fn n_rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Product of the axes after the first (1 for 0-d and 1-d arrays).
    fn row_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    fn describe(&self) -> String {
        format!("{} of shape {}", self.dtype.name(), fmt_shape(&self.shape))
    }
}

/// Parses the preamble and header of `bytes` and checks the data against the shape.
fn parse_header(bytes: &[u8]) -> std::result::Result<Header, String> {
    if bytes.len() < MAGIC.len() || !bytes.starts_with(MAGIC) {
        if MAGIC.starts_with(bytes) {
            return Err(format!(
                "truncated: {} bytes, shorter than the 10-byte .npy preamble",
                bytes.len()
            ));
        }
        let start: Vec<u8> = bytes.iter().take(MAGIC.len()).copied().collect();
        return Err(format!(
            "not a .npy file: it starts with b\"{}\", not b\"\\x93NUMPY\"",
            start.escape_ascii()
        ));
    }
    let (major, minor) = match (bytes.get(6), bytes.get(7)) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Err(truncated_preamble(bytes.len())),
    };
    let len_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            ))
        }
    };
    let prelude = 8 + len_bytes;
    let header_len = match bytes.get(8..prelude) {
        Some([a, b]) => u16::from_le_bytes([*a, *b]) as usize,
        Some([a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => return Err(truncated_preamble(bytes.len())),
    };
    let rest = bytes.len() - prelude;
    if header_len > rest {
        return Err(format!(
            "truncated: the header is {header_len} bytes long but the file has {rest} bytes after \
             the {prelude}-byte preamble"
        ));
    }
    let data_start = prelude + header_len;
    let text = bytes.get(prelude..data_start).unwrap_or_default();
    let (dtype, fortran, shape) = parse_dict(text).map_err(|e| {
        let shown: String = String::from_utf8_lossy(text)
            .trim_end()
            .chars()
            .take(200)
            .collect();
        format!("malformed header {shown:?}: {e}")
    })?;

    // Sizes, with every product checked: ndarray also needs the product of the non-zero axes,
    // in bytes of the widest element type read (8), to fit in an isize.
    let mut n_elements: usize = 1;
    let mut nonzero: usize = 8;
    for &d in &shape {
        n_elements = n_elements.saturating_mul(d);
        nonzero = nonzero.saturating_mul(d.max(1));
    }
    let too_large = || {
        format!(
            "shape {} of {} is too large to address",
            fmt_shape(&shape),
            dtype.name()
        )
    };
    if nonzero > isize::MAX as usize {
        return Err(too_large());
    }
    let data_len = n_elements
        .checked_mul(dtype.size())
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(too_large)?;
    let available = bytes.len() - data_start;
    if available < data_len {
        return Err(format!(
            "truncated: shape {} of {} needs {data_len} bytes of data, the file has {available} \
             after the header",
            fmt_shape(&shape),
            dtype.name()
        ));
    }
    if available > data_len {
        return Err(format!(
            "{} unexpected bytes after the data (shape {} of {} needs {data_len} bytes)",
            available - data_len,
            fmt_shape(&shape),
            dtype.name()
        ));
    }
    Ok(Header {
        dtype,
        fortran,
        shape,
        data_start,
        n_elements,
    })
}

fn truncated_preamble(len: usize) -> String {
    format!("truncated: {len} bytes, shorter than the .npy preamble")
}

/// A cursor over the header text (ASCII; the grammar has no nesting, so no recursion).
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {what} at byte {}", self.i))
        }
    }

    /// A quoted string without escapes.
    fn string(&mut self) -> std::result::Result<&'a str, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        loop {
            match self.s.get(self.i) {
                None => return Err("unterminated string".to_string()),
                Some(&c) if c == quote => break,
                Some(b'\\') => return Err("escapes in strings are not supported".to_string()),
                Some(_) => self.i += 1,
            }
        }
        let text = self.s.get(start..self.i).unwrap_or_default();
        self.i += 1;
        std::str::from_utf8(text).map_err(|_| "a string is not UTF-8".to_string())
    }

    /// A run of ASCII letters, digits and underscores.
    fn word(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or_default()
    }

    /// A non-negative decimal integer (Python 2's `L` suffix allowed).
    fn uint(&mut self) -> std::result::Result<usize, String> {
        let at = self.i;
        let word = self.word();
        let digits = word
            .strip_suffix(b"L")
            .or_else(|| word.strip_suffix(b"l"))
            .unwrap_or(word);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "expected a non-negative integer at byte {at}, found {:?}",
                String::from_utf8_lossy(word)
            ));
        }
        digits.iter().try_fold(0usize, |n, d| {
            n.checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(d - b'0')))
                .ok_or_else(|| {
                    format!("dimension {} is too large", String::from_utf8_lossy(digits))
                })
        })
    }

    /// A tuple of integers: `()`, `(3,)`, `(2, 3)`, `(2, 3,)`.
    fn shape(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(', "'(' starting the shape tuple")?;
        let mut shape = Vec::new();
        if self.eat(b')') {
            return Ok(shape);
        }
        loop {
            if shape.len() == MAX_NDIM {
                return Err(format!("more than {MAX_NDIM} dimensions"));
            }
            shape.push(self.uint()?);
            if self.eat(b',') {
                if self.eat(b')') {
                    return Ok(shape);
                }
            } else if self.eat(b')') {
                if shape.len() == 1 {
                    return Err("a one-dimensional shape needs a trailing comma: (n,)".to_string());
                }
                return Ok(shape);
            } else {
                return Err(format!(
                    "expected ',' or ')' in the shape at byte {}",
                    self.i
                ));
            }
        }
    }
}

/// The header dict: `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }`.
fn parse_dict(text: &[u8]) -> std::result::Result<(Dtype, bool, Vec<usize>), String> {
    let mut lx = Lexer { s: text, i: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    lx.expect(b'{', "'{'")?;
    while !lx.eat(b'}') {
        let key = lx.string()?;
        lx.expect(b':', "':' after a key")?;
        match key {
            "descr" if descr.is_none() => {
                if lx.peek() == Some(b'[') {
                    return Err("structured dtypes (a list as 'descr') are not supported".into());
                }
                descr = Some(parse_descr(lx.string()?)?);
            }
            "fortran_order" if fortran.is_none() => {
                fortran = Some(match lx.word() {
                    b"True" => true,
                    b"False" => false,
                    w => {
                        return Err(format!(
                            "'fortran_order' is {:?}, not True or False",
                            String::from_utf8_lossy(w)
                        ))
                    }
                });
            }
            "shape" if shape.is_none() => shape = Some(lx.shape()?),
            "descr" | "fortran_order" | "shape" => return Err(format!("key {key:?} repeated")),
            _ => return Err(format!("unexpected key {key:?}")),
        }
        if !lx.eat(b',') {
            lx.expect(b'}', "',' or '}'")?;
            break;
        }
    }
    if lx.peek().is_some() {
        return Err(format!("unexpected text after the dict at byte {}", lx.i));
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err("the keys 'descr', 'fortran_order' and 'shape' are all required".to_string()),
    }
}

/// `'<f4'`, `'>f8'`, `'<i8'`, ... (`=`, `|` or nothing: this machine's byte order).
fn parse_descr(descr: &str) -> std::result::Result<Dtype, String> {
    let native_big = cfg!(target_endian = "big");
    let (big_endian, code) = match descr.as_bytes().first() {
        Some(b'<') => (false, descr.get(1..)),
        Some(b'>') => (true, descr.get(1..)),
        Some(b'=' | b'|') => (native_big, descr.get(1..)),
        _ => (native_big, Some(descr)),
    };
    let kind = match code {
        Some("f4") => Kind::F32,
        Some("f8") => Kind::F64,
        Some("i8") => Kind::I64,
        _ => {
            return Err(format!(
                "unsupported dtype {descr:?} (float32 '<f4', float64 '<f8' and int64 '<i8' are \
                 read, in either byte order)"
            ))
        }
    };
    Ok(Dtype { kind, big_endian })
}

/// The values of `rows` of the array (all of it when `None`) in C order, converted to `T`.
fn gather<T: Element>(
    op: &'static str,
    source: &str,
    bytes: &[u8],
    h: &Header,
    rows: Option<Range<usize>>,
) -> Result<Vec<T>> {
    check_type::<T>(op, source, h)?;
    let data = h.data(bytes);
    if let Some(values) = copy_native::<T>(data, h, rows.clone()) {
        return Ok(values);
    }
    let out = match (h.dtype.kind, h.dtype.big_endian) {
        (Kind::F32, false) => gather_n(data, h, rows, |b| {
            T::from_f64(f64::from(f32::from_le_bytes(b)))
        }),
        (Kind::F32, true) => gather_n(data, h, rows, |b| {
            T::from_f64(f64::from(f32::from_be_bytes(b)))
        }),
        (Kind::F64, false) => gather_n(data, h, rows, |b| T::from_f64(f64::from_le_bytes(b))),
        (Kind::F64, true) => gather_n(data, h, rows, |b| T::from_f64(f64::from_be_bytes(b))),
        (Kind::I64, false) => gather_n(data, h, rows, |b| T::from_i64(i64::from_le_bytes(b))),
        (Kind::I64, true) => gather_n(data, h, rows, |b| T::from_i64(i64::from_be_bytes(b))),
        (Kind::F16 | Kind::BF16, _) => None,
    };
    out.ok_or_else(|| {
        format_error(
            op,
            source,
            format!("the data does not match the header ({})", h.describe()),
        )
    })
}

/// The fast path of `gather`: C-order data of type `T` in this machine's byte order, aligned,
/// is copied as a block (a `memcpy`, as `np.load` does) rather than element by element.
fn copy_native<T: Element>(data: &[u8], h: &Header, rows: Option<Range<usize>>) -> Option<Vec<T>> {
    if T::KIND != h.dtype.kind
        || h.dtype.big_endian != cfg!(target_endian = "big")
        || (h.fortran && h.shape.len() > 1)
    {
        return None;
    }
    let (start, end) = match rows {
        None => (0, h.n_elements),
        Some(r) => (
            r.start.checked_mul(h.row_len())?,
            r.end.checked_mul(h.row_len())?,
        ),
    };
    let size = h.dtype.size();
    let run = data.get(start.checked_mul(size)?..end.checked_mul(size)?)?;
    if run.is_empty() {
        return Some(Vec::new());
    }
    bytemuck::try_cast_slice::<u8, T>(run)
        .ok()
        .map(<[T]>::to_vec)
}

/// `gather` for `N`-byte elements decoded by `f`. `None` only if the data and header disagree,
/// which `parse_header` rules out.
fn gather_n<T, const N: usize, F: Fn([u8; N]) -> T>(
    data: &[u8],
    h: &Header,
    rows: Option<Range<usize>>,
    f: F,
) -> Option<Vec<T>> {
    let (elements, _) = data.as_chunks::<N>();
    let elements = elements.get(..h.n_elements)?;
    if !h.fortran || h.shape.len() <= 1 {
        // C order: rows are one contiguous run.
        let run = match rows {
            None => elements,
            Some(r) => {
                let row_len = h.row_len();
                elements.get(r.start.checked_mul(row_len)?..r.end.checked_mul(row_len)?)?
            }
        };
        return Some(run.iter().map(|&b| f(b)).collect());
    }
    // Fortran order: walk a strided view in logical (C) order.
    let view = ArrayView::from_shape(IxDyn(&h.shape).f(), elements).ok()?;
    let view = match rows {
        None => view,
        Some(r) => view.slice_axis(Axis(0), Slice::from(r)),
    };
    Some(match view.view().into_dimensionality::<Ix2>() {
        Ok(v2) => v2.iter().map(|&b| f(b)).collect(),
        Err(_) => view.iter().map(|&b| f(b)).collect(),
    })
}

/// An error unless `T` reads the file's dtype.
fn check_type<T: Element>(op: &'static str, source: &str, h: &Header) -> Result<()> {
    if T::accepts(h.dtype.kind) {
        return Ok(());
    }
    let hint = if h.dtype.kind == Kind::I64 {
        " (read integer files with read_npy_i64)"
    } else {
        ""
    };
    Err(format_error(
        op,
        source,
        format!(
            "holds {} values, which are not read as {}{hint}",
            h.dtype.name(),
            T::NAME
        ),
    )
    .with_shapes([&h.shape]))
}

/// The number of dimensions `D` asks for, checked against the file's.
fn check_ndim<D: Dimension>(op: &'static str, source: &str, shape: &[usize]) -> Result<()> {
    match D::NDIM {
        Some(n) if n != shape.len() => Err(Error::new(
            ErrorKind::Shape,
            op,
            format!(
                "{source} holds a {}-d array of shape {}, not a {n}-d one",
                shape.len(),
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape])),
        _ => Ok(()),
    }
}

/// An owned array of `shape` from C-order `values`, as dimension `D`.
fn to_array<T, D: Dimension>(
    op: &'static str,
    source: &str,
    shape: &[usize],
    values: Vec<T>,
) -> Result<Array<T, D>> {
    check_ndim::<D>(op, source, shape)?;
    Array::from_shape_vec(IxDyn(shape), values)
        .ok()
        .and_then(|a| a.into_dimensionality::<D>().ok())
        .ok_or_else(|| {
            format_error(
                op,
                source,
                format!("cannot build an array of shape {}", fmt_shape(shape)),
            )
        })
}

/// Reads a whole `.npy` file into an owned array, converting float32/float64 data to `T`
/// (`np.load(path).astype(T)`); int64 data is read only into `i64`.
///
/// `D` is the number of dimensions expected (`Ix2`, ...; `IxDyn` for any): a file with
/// another number is an [`ErrorKind::Shape`] error. The result is in standard (C) layout also
/// for a Fortran-order file. The file is memory-mapped, not read into a buffer first, so the
/// only allocation is the result.
///
/// ```
/// use mlinalg::io::{read_npy, write_npy};
/// use ndarray::{array, Array2, ArrayD};
///
/// let path = std::env::temp_dir().join(format!("mlinalg-read-npy-{}.npy", std::process::id()));
/// write_npy(&path, &array![[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
/// let x: Array2<f32> = read_npy(&path)?;
/// assert_eq!(x, array![[1.0_f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let any: ArrayD<f64> = read_npy(&path)?;
/// assert_eq!(any.shape(), &[2, 3]);
/// let err = read_npy::<f64, ndarray::Ix1>(&path).unwrap_err();
/// assert_eq!(err.kind(), mlinalg::ErrorKind::Shape);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn read_npy<T: Element, D: Dimension>(path: impl AsRef<Path>) -> Result<Array<T, D>> {
    NpyFile::open_as("read_npy", path.as_ref())?.to_array_as("read_npy")
}

/// Reads a whole int64 `.npy` file, such as the neighbour indices of a search benchmark: the
/// same as [`read_npy::<i64, D>`](read_npy).
///
/// ```
/// use mlinalg::io::{read_npy_i64, write_npy};
/// use ndarray::{array, Array2};
///
/// let path = std::env::temp_dir().join(format!("mlinalg-read-i64-{}.npy", std::process::id()));
/// write_npy(&path, &array![[3_i64, 1], [0, 2]])?;
/// let ids: Array2<i64> = read_npy_i64(&path)?;
/// assert_eq!(ids[[0, 0]], 3);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn read_npy_i64<D: Dimension>(path: impl AsRef<Path>) -> Result<Array<i64, D>> {
    NpyFile::open_as("read_npy_i64", path.as_ref())?.to_array_as("read_npy_i64")
}

/// Decodes the bytes of a `.npy` file (as [`read_npy`] does a file): for files embedded with
/// `include_bytes!` or received over a network.
///
/// ```
/// use mlinalg::io::decode_npy;
/// use ndarray::{array, Array1};
///
/// // np.save(f, np.array([1.5, -2.0]))
/// let mut bytes = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
/// let mut header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".to_vec();
/// header.resize(117, b' ');
/// header.push(b'\n');
/// bytes.extend(header);
/// bytes.extend(1.5_f64.to_le_bytes());
/// bytes.extend((-2.0_f64).to_le_bytes());
/// let x: Array1<f64> = decode_npy(&bytes)?;
/// assert_eq!(x, array![1.5, -2.0]);
///
/// let err = decode_npy::<f64, ndarray::Ix1>(&bytes[..100]).unwrap_err();
/// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
/// assert!(err.to_string().contains("truncated"), "{err}");
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn decode_npy<T: Element, D: Dimension>(bytes: &[u8]) -> Result<Array<T, D>> {
    const OP: &str = "decode_npy";
    let h = parse_header(bytes).map_err(|m| format_error(OP, BYTES_SOURCE, m))?;
    check_ndim::<D>(OP, BYTES_SOURCE, &h.shape)?;
    let values = gather::<T>(OP, BYTES_SOURCE, bytes, &h, None)?;
    to_array(OP, BYTES_SOURCE, &h.shape, values)
}

/// A `.npy` file opened for reading: its header parsed and checked, its data memory-mapped.
///
/// Gives the whole array ([`to_array`](Self::to_array)), a view of the mapped data without a
/// copy ([`view`](Self::view)), or rows converted to `T` ([`rows`](Self::rows),
/// [`row_blocks`](Self::row_blocks)), so that a file larger than memory can be processed a
/// block of rows at a time. Rows are taken along the first axis, the other axes flattened in C
/// order (`a[start:end].reshape(end - start, -1)`).
///
/// ```
/// use mlinalg::io::{write_npy, NpyFile};
/// use mlinalg::pca::{Pca, PcaAccumulator};
/// use ndarray::Array2;
///
/// let path = std::env::temp_dir().join(format!("mlinalg-npyfile-{}.npy", std::process::id()));
/// let x = Array2::from_shape_fn((1000, 3), |(i, j)| ((i * 7 + j * 13) % 10) as f32);
/// write_npy(&path, &x)?;
///
/// let file = NpyFile::open(&path)?;
/// assert_eq!(file.shape(), &[1000, 3]);
/// assert_eq!(file.dtype(), "float32");
/// // Streaming PCA over blocks of 256 rows, converted to f64.
/// let mut acc = PcaAccumulator::new(file.row_len());
/// for block in file.row_blocks::<f64>(256)? {
///     acc.update(&block?)?;
/// }
/// assert_eq!(acc.n_samples(), 1000);
/// let pca = acc.finish::<f64>(&Pca::new().n_components(2))?;
/// assert_eq!(pca.components().shape(), &[2, 3]);
/// # drop(file);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub struct NpyFile {
    bytes: Bytes,
    header: Header,
    source: String,
}

impl std::fmt::Debug for NpyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyFile")
            .field("source", &self.source)
            .field("dtype", &self.header.dtype.name())
            .field("shape", &self.header.shape)
            .field("fortran_order", &self.header.fortran)
            .finish()
    }
}

impl NpyFile {
    /// Opens and memory-maps `path`, parsing and checking its header: the data must fill the
    /// rest of the file exactly. A file that cannot be opened is an [`ErrorKind::Io`] error, a
    /// malformed one an [`ErrorKind::Format`] error naming the file and the problem.
    ///
    /// ```
    /// let err = mlinalg::io::NpyFile::open("/nonexistent/x.npy").unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Io);
    /// assert!(err.to_string().contains("/nonexistent/x.npy"));
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<NpyFile> {
        NpyFile::open_as("NpyFile::open", path.as_ref())
    }

    fn open_as(op: &'static str, path: &Path) -> Result<NpyFile> {
        let bytes = Bytes::map(op, path)?;
        let source = display(path);
        let header = parse_header(bytes.as_slice()).map_err(|m| format_error(op, &source, m))?;
        Ok(NpyFile {
            bytes,
            header,
            source,
        })
    }

    /// Takes the bytes of a `.npy` file (a `Vec<u8>`, or a `&'static [u8]` from
    /// `include_bytes!`, which is not copied).
    ///
    /// ```
    /// let err = mlinalg::io::NpyFile::from_bytes(b"PK\x03\x04 not npy".as_slice()).unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
    /// assert!(err.to_string().contains("not a .npy file"), "{err}");
    /// ```
    pub fn from_bytes(bytes: impl Into<Cow<'static, [u8]>>) -> Result<NpyFile> {
        let bytes = Bytes::Owned(bytes.into());
        let header = parse_header(bytes.as_slice())
            .map_err(|m| format_error("NpyFile::from_bytes", BYTES_SOURCE, m))?;
        Ok(NpyFile {
            bytes,
            header,
            source: BYTES_SOURCE.to_string(),
        })
    }

    /// The shape of the stored array.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-shape-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::Array3::<f64>::zeros((2, 3, 4)))?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// assert_eq!(file.shape(), &[2, 3, 4]);
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.header.shape
    }

    /// The stored element type as NumPy names it: `"float32"`, `"float64"` or `"int64"`.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-dtype-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::array![1_i64, 2])?;
    /// assert_eq!(mlinalg::io::NpyFile::open(&path)?.dtype(), "int64");
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn dtype(&self) -> &'static str {
        self.header.dtype.name()
    }

    /// Whether the data is stored in Fortran (column-major) order.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-fortran-{}.npy", std::process::id()));
    /// let x = ndarray::Array2::<f64>::zeros((2, 3));
    /// mlinalg::io::write_npy(&path, &x.t())?; // a transposed view is stored in Fortran order
    /// assert!(mlinalg::io::NpyFile::open(&path)?.is_fortran_order());
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn is_fortran_order(&self) -> bool {
        self.header.fortran
    }

    /// The length of the first axis; 0 for a 0-d array, which has no rows (read it with
    /// [`to_array`](Self::to_array)).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-nrows-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::Array3::<f32>::zeros((5, 2, 3)))?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// assert_eq!((file.n_rows(), file.row_len()), (5, 6));
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn n_rows(&self) -> usize {
        self.header.n_rows()
    }

    /// The number of values in a row: the product of the axes after the first (1 for a 1-d
    /// array).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-rowlen-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::Array1::<f32>::zeros(7))?;
    /// assert_eq!(mlinalg::io::NpyFile::open(&path)?.row_len(), 1);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn row_len(&self) -> usize {
        self.header.row_len()
    }

    /// The whole array, converted to `T` (see [`read_npy`]).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-toarray-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::array![[1.0_f32, 2.0]])?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// let x: ndarray::Array2<f64> = file.to_array()?;
    /// assert_eq!(x, ndarray::array![[1.0, 2.0]]);
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn to_array<T: Element, D: Dimension>(&self) -> Result<Array<T, D>> {
        self.to_array_as("NpyFile::to_array")
    }

    fn to_array_as<T: Element, D: Dimension>(&self, op: &'static str) -> Result<Array<T, D>> {
        check_ndim::<D>(op, &self.source, &self.header.shape)?;
        let values = gather::<T>(op, &self.source, self.bytes.as_slice(), &self.header, None)?;
        to_array(op, &self.source, &self.header.shape, values)
    }

    /// A view of the mapped data, without a copy. `T` must be the stored type in this
    /// machine's byte order, and the data aligned for it (NumPy aligns it to 64 bytes);
    /// otherwise it is an [`ErrorKind::Format`] error and [`to_array`](Self::to_array) or
    /// [`rows`](Self::rows) convert instead. A Fortran-order file gives a column-major view.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-view-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::array![[1.0_f32, 2.0], [3.0, 4.0]])?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// let v = file.view::<f32, ndarray::Ix2>()?;
    /// assert_eq!(v.row(1).sum(), 7.0);
    /// assert!(file.view::<f64, ndarray::Ix2>().is_err()); // stored as float32
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn view<T: Element, D: Dimension>(&self) -> Result<ArrayView<'_, T, D>> {
        const OP: &str = "NpyFile::view";
        let h = &self.header;
        check_ndim::<D>(OP, &self.source, &h.shape)?;
        if T::KIND != h.dtype.kind {
            return Err(format_error(
                OP,
                &self.source,
                format!(
                    "holds {} values; a view needs the stored type, not {} (to_array and rows \
                     convert)",
                    h.dtype.name(),
                    T::NAME
                ),
            ));
        }
        if h.dtype.big_endian != cfg!(target_endian = "big") {
            return Err(format_error(
                OP,
                &self.source,
                "the data is not in this machine's byte order, so it cannot be viewed (to_array \
                 and rows convert)",
            ));
        }
        let data = h.data(self.bytes.as_slice());
        let values: &[T] = if data.is_empty() {
            &[]
        } else {
            bytemuck::try_cast_slice(data).map_err(|_| {
                format_error(
                    OP,
                    &self.source,
                    format!(
                        "the data (at byte {}) is not aligned for {}, so it cannot be viewed \
                         (to_array and rows copy it)",
                        h.data_start,
                        T::NAME
                    ),
                )
            })?
        };
        ArrayView::from_shape(IxDyn(&h.shape).set_f(h.fortran), values)
            .ok()
            .and_then(|v| v.into_dimensionality::<D>().ok())
            .ok_or_else(|| {
                format_error(
                    OP,
                    &self.source,
                    format!("cannot view the data as {}", h.describe()),
                )
            })
    }

    /// Rows `rows` (along the first axis) as a `(rows.len(), row_len)` array converted to `T`.
    /// Only these rows of the file are touched. Rows out of range are an
    /// [`ErrorKind::InvalidArgument`] error; a 0-d array has no rows (an [`ErrorKind::Shape`]
    /// error). Fortran-order files are read correctly but touch every page of the file for
    /// each block: store large files in C order.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-rows-{}.npy", std::process::id()));
    /// # let x = ndarray::Array2::from_shape_fn((10, 2), |(i, j)| (10 * i + j) as f64);
    /// # mlinalg::io::write_npy(&path, &x)?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// let block = file.rows::<f32>(3..5)?;
    /// assert_eq!(block, ndarray::array![[30.0_f32, 31.0], [40.0, 41.0]]);
    /// assert!(file.rows::<f32>(8..11).is_err());
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn rows<T: Element>(&self, rows: Range<usize>) -> Result<Array2<T>> {
        self.rows_as("NpyFile::rows", rows)
    }

    fn rows_as<T: Element>(&self, op: &'static str, rows: Range<usize>) -> Result<Array2<T>> {
        let h = &self.header;
        if h.shape.is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                op,
                format!("{} holds a 0-d array, which has no rows", self.source),
            )
            .with_shapes([&h.shape]));
        }
        if rows.start > rows.end || rows.end > h.n_rows() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                op,
                format!(
                    "rows {}..{} are out of range for {} with {} rows",
                    rows.start,
                    rows.end,
                    self.source,
                    h.n_rows()
                ),
            )
            .with_shapes([&h.shape]));
        }
        let n = rows.end - rows.start;
        let values = gather::<T>(op, &self.source, self.bytes.as_slice(), h, Some(rows))?;
        Array2::from_shape_vec((n, h.row_len()), values).map_err(|_| {
            format_error(
                op,
                &self.source,
                format!("cannot build {n} rows of {}", h.describe()),
            )
        })
    }

    /// An iterator over consecutive blocks of `block_rows` rows (the last one shorter), each
    /// converted to `T` as by [`rows`](Self::rows): the way to stream a file larger than
    /// memory. Only one block is held at a time; the kernel is told the file is read
    /// sequentially. A zero `block_rows` is an [`ErrorKind::InvalidArgument`] error; a type
    /// that cannot hold the data an [`ErrorKind::Format`] error, before any block is read.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-blocks-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::Array2::<f32>::ones((10, 4)))?;
    /// let file = mlinalg::io::NpyFile::open(&path)?;
    /// let sizes: Vec<usize> = file
    ///     .row_blocks::<f64>(4)?
    ///     .map(|b| b.map(|b| b.nrows()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(sizes, [4, 4, 2]);
    /// # drop(file); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn row_blocks<T: Element>(&self, block_rows: usize) -> Result<RowBlocks<'_, T>> {
        const OP: &str = "NpyFile::row_blocks";
        if block_rows == 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                OP,
                "block_rows must be at least 1",
            ));
        }
        if self.header.shape.is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                OP,
                format!("{} holds a 0-d array, which has no rows", self.source),
            )
            .with_shapes([&self.header.shape]));
        }
        check_type::<T>(OP, &self.source, &self.header)?;
        self.bytes.advise_sequential();
        Ok(RowBlocks {
            file: self,
            next: 0,
            block_rows,
            marker: PhantomData,
        })
    }
}

/// The blocks of rows of an [`NpyFile`], from [`NpyFile::row_blocks`]: `Result<Array2<T>>`
/// items of `(block_rows, row_len)` (the last block shorter).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("mlinalg-rowblocks-{}.npy", std::process::id()));
/// # mlinalg::io::write_npy(&path, &ndarray::Array2::<f64>::ones((5, 2)))?;
/// let file = mlinalg::io::NpyFile::open(&path)?;
/// let blocks = file.row_blocks::<f64>(2)?;
/// assert_eq!(blocks.len(), 3);
/// # drop(blocks); drop(file); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub struct RowBlocks<'a, T> {
    file: &'a NpyFile,
    next: usize,
    block_rows: usize,
    marker: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for RowBlocks<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowBlocks")
            .field("file", &self.file.source)
            .field("next", &self.next)
            .field("block_rows", &self.block_rows)
            .finish()
    }
}

impl<T: Element> Iterator for RowBlocks<'_, T> {
    type Item = Result<Array2<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.file.n_rows();
        if self.next >= n {
            return None;
        }
        let end = self.next.saturating_add(self.block_rows).min(n);
        let block = self.file.rows_as("NpyFile::row_blocks", self.next..end);
        self.next = end;
        Some(block)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left =
            (self.file.n_rows() - self.next.min(self.file.n_rows())).div_ceil(self.block_rows);
        (left, Some(left))
    }
}

impl<T: Element> ExactSizeIterator for RowBlocks<'_, T> {}

fn npy_io_error(e: WriteNpyError) -> std::io::Error {
    match e {
        WriteNpyError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}

/// Writes `array` to `path` as a `.npy` file (`np.save`), atomically: a temporary file in the
/// same folder is written, synced and renamed over `path`; on an error nothing is left behind.
/// Any layout is accepted: standard and Fortran layouts are written as they are, others in C
/// order.
///
/// ```
/// use mlinalg::io::{read_npy, write_npy};
/// use ndarray::{arr0, Array2};
///
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("mlinalg-write-npy-{}.npy", std::process::id()));
/// let x = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
/// write_npy(&path, &x.t())?;
/// let back: Array2<f64> = read_npy(&path)?;
/// assert_eq!(back, x.t());
/// write_npy(&path, &arr0(2.5_f32))?; // 0-d
/// assert_eq!(read_npy::<f32, ndarray::Ix0>(&path)?, arr0(2.5));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn write_npy<T: Element, S: Data<Elem = T>, D: Dimension>(
    path: impl AsRef<Path>,
    array: &ArrayBase<S, D>,
) -> Result<()> {
    write_atomic("write_npy", path.as_ref(), |w| {
        array.write_npy(w).map_err(npy_io_error)
    })
}

/// Writes named arrays to `path` as an uncompressed `.npz` archive (`np.savez`), atomically.
/// `np.load(path)[name]` gives each array back. Names must be non-empty and distinct (an
/// [`ErrorKind::InvalidArgument`] error otherwise); `.npy` is appended to each inside the
/// archive, as NumPy does.
///
/// ```
/// use mlinalg::io::write_npz;
/// use ndarray::array;
///
/// let path = std::env::temp_dir().join(format!("mlinalg-write-npz-{}.npz", std::process::id()));
/// let components = array![[0.6_f64, 0.8], [-0.8, 0.6]];
/// let mean = array![1.0_f64, 2.0];
/// write_npz(
///     &path,
///     &[
///         ("components", components.view().into_dyn()),
///         ("mean", mean.view().into_dyn()),
///     ],
/// )?;
/// let bytes = std::fs::read(&path).unwrap();
/// assert_eq!(&bytes[..4], b"PK\x03\x04"); // a zip archive
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn write_npz<T: Element>(
    path: impl AsRef<Path>,
    arrays: &[(&str, ArrayViewD<'_, T>)],
) -> Result<()> {
    const OP: &str = "write_npz";
    for (k, (name, _)) in arrays.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                OP,
                format!("array {k} has an empty name"),
            ));
        }
        if arrays[..k].iter().any(|(other, _)| other == name) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                OP,
                format!("the name {name:?} is given twice"),
            ));
        }
    }
    write_atomic(OP, path.as_ref(), |w| {
        let npz_error = |e: WriteNpzError| match e {
            WriteNpzError::Npy(e) => npy_io_error(e),
            other => std::io::Error::other(other.to_string()),
        };
        let mut npz = NpzWriter::new(w);
        for (name, array) in arrays {
            npz.add_array(*name, array).map_err(npz_error)?;
        }
        npz.finish().map_err(npz_error)?;
        Ok(())
    })
}
