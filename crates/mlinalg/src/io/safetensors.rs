//! `.safetensors` model weights: list the tensors of a memory-mapped file, read one converted to
//! f32/f64 (from F64, F32, F16 or BF16) or i64 (from I64), or view it without a copy.
//!
//! The header is parsed and validated by the `safetensors` crate (offsets contiguous, each
//! tensor's byte length matching its shape and dtype, the data filling the file exactly); this
//! module adds clearer messages for the common failures, the conversions, and ndarray shapes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use ::safetensors::tensor::Metadata;
use ::safetensors::Dtype as StDtype;
use half::{bf16, f16};
use ndarray::{Array, ArrayView, Dimension, IxDyn};

use super::{display, format_error, Bytes, Element, Kind, BYTES_SOURCE};
use crate::error::{fmt_shape, Error, ErrorKind, Result};

/// The largest header the safetensors format allows (its `MAX_HEADER_SIZE`).
const MAX_HEADER_LEN: u64 = 100_000_000;

/// One tensor of a [`SafeTensorsFile`]: its name, shape and dtype.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("mlinalg-st-info-{}.safetensors", std::process::id()));
/// # let header = br#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#;
/// # let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
/// # bytes.extend_from_slice(header);
/// # bytes.extend([0u8; 24]);
/// # std::fs::write(&path, &bytes).unwrap();
/// let file = mlinalg::io::SafeTensorsFile::open(&path)?;
/// let info = &file.tensors()[0];
/// assert_eq!((info.name(), info.shape(), info.dtype()), ("w", &[2, 3][..], "F32"));
/// assert_eq!(info.n_bytes(), 24);
/// # drop(file); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    name: String,
    shape: Vec<usize>,
    dtype: StDtype,
    /// Byte range in the file (the header's `data_offsets` shifted past the header).
    start: usize,
    end: usize,
}

impl TensorInfo {
    /// The tensor's name (`"encoder.layer.0.attention.self.query.weight"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tensor's shape (PyTorch layout: a `Linear` weight is `[out, in]`).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The stored dtype as the header spells it: `"F32"`, `"F16"`, `"BF16"`, `"I64"`, ...
    pub fn dtype(&self) -> &'static str {
        dtype_name(self.dtype)
    }

    /// The size of the stored data in bytes.
    pub fn n_bytes(&self) -> usize {
        self.end - self.start
    }

    fn kind(&self) -> Option<Kind> {
        match self.dtype {
            StDtype::F64 => Some(Kind::F64),
            StDtype::F32 => Some(Kind::F32),
            StDtype::F16 => Some(Kind::F16),
            StDtype::BF16 => Some(Kind::BF16),
            StDtype::I64 => Some(Kind::I64),
            _ => None,
        }
    }
}

fn dtype_name(dtype: StDtype) -> &'static str {
    match dtype {
        StDtype::BOOL => "BOOL",
        StDtype::F4 => "F4",
        StDtype::F6_E2M3 => "F6_E2M3",
        StDtype::F6_E3M2 => "F6_E3M2",
        StDtype::U8 => "U8",
        StDtype::I8 => "I8",
        StDtype::F8_E5M2 => "F8_E5M2",
        StDtype::F8_E4M3 => "F8_E4M3",
        StDtype::F8_E8M0 => "F8_E8M0",
        StDtype::F8_E4M3FNUZ => "F8_E4M3FNUZ",
        StDtype::F8_E5M2FNUZ => "F8_E5M2FNUZ",
        StDtype::I16 => "I16",
        StDtype::U16 => "U16",
        StDtype::F16 => "F16",
        StDtype::BF16 => "BF16",
        StDtype::I32 => "I32",
        StDtype::U32 => "U32",
        StDtype::F32 => "F32",
        StDtype::C64 => "C64",
        StDtype::F64 => "F64",
        StDtype::I64 => "I64",
        StDtype::U64 => "U64",
        _ => "unknown",
    }
}

/// A `.safetensors` file opened for reading: memory-mapped, its header parsed and validated.
///
/// Opening reads only the header; [`read`](Self::read) converts one tensor into an owned array
/// (the only allocation the size of a tensor), [`view`](Self::view) borrows one from the map.
///
/// ```
/// use mlinalg::io::SafeTensorsFile;
/// use ndarray::Array2;
///
/// // A file as safetensors' `save_file({"w": np.array([[1, 2], [3, 4]], np.float16)})` writes it.
/// let header = br#"{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}"#;
/// let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
/// bytes.extend_from_slice(header);
/// for x in [1.0_f32, 2.0, 3.0, 4.0] {
///     bytes.extend(half::f16::from_f32(x).to_le_bytes());
/// }
/// let file = SafeTensorsFile::from_bytes(bytes)?;
/// assert_eq!(file.tensors().len(), 1);
/// let w: Array2<f32> = file.read("w")?;
/// assert_eq!(w, ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub struct SafeTensorsFile {
    bytes: Bytes,
    source: String,
    tensors: Vec<TensorInfo>,
    metadata: BTreeMap<String, String>,
}

impl std::fmt::Debug for SafeTensorsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeTensorsFile")
            .field("source", &self.source)
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

impl SafeTensorsFile {
    /// Opens and memory-maps `path` and validates its header. A file that cannot be opened is
    /// an [`ErrorKind::Io`] error; a malformed one (shorter than 8 bytes, a header length past
    /// the end, a header that is not JSON or not a safetensors header, an unknown dtype,
    /// offsets that do not tile the data exactly) an [`ErrorKind::Format`] error naming the
    /// file and the problem.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("mlinalg-st-bad-{}.safetensors", std::process::id()));
    /// // The header claims 1000 bytes; the file has 10.
    /// let mut bytes = 1000_u64.to_le_bytes().to_vec();
    /// bytes.extend(b"{}");
    /// std::fs::write(&path, &bytes).unwrap();
    /// let err = mlinalg::io::SafeTensorsFile::open(&path).unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
    /// assert!(err.to_string().contains("header length 1000"), "{err}");
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<SafeTensorsFile> {
        const OP: &str = "SafeTensorsFile::open";
        let path = path.as_ref();
        let bytes = Bytes::map(OP, path)?;
        SafeTensorsFile::parse(OP, bytes, display(path))
    }

    /// Takes the bytes of a `.safetensors` file (a `Vec<u8>`, or a `&'static [u8]` from
    /// `include_bytes!`, which is not copied).
    ///
    /// ```
    /// let err = mlinalg::io::SafeTensorsFile::from_bytes(b"\x05\0\0\0\0\0\0\0{oops".as_slice())
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
    /// assert!(err.to_string().contains("JSON"), "{err}");
    /// ```
    pub fn from_bytes(bytes: impl Into<Cow<'static, [u8]>>) -> Result<SafeTensorsFile> {
        SafeTensorsFile::parse(
            "SafeTensorsFile::from_bytes",
            Bytes::Owned(bytes.into()),
            BYTES_SOURCE.to_string(),
        )
    }

    fn parse(op: &'static str, bytes: Bytes, source: String) -> Result<SafeTensorsFile> {
        let buf = bytes.as_slice();
        let fail = |m: String| format_error(op, &source, m);
        let Some(len_bytes) = buf.first_chunk::<8>() else {
            return Err(fail(format!(
                "truncated: {} bytes, shorter than the 8-byte header length",
                buf.len()
            )));
        };
        let header_len = u64::from_le_bytes(*len_bytes);
        let rest = (buf.len() - 8) as u64;
        if header_len > rest {
            return Err(fail(format!(
                "header length {header_len} is larger than the rest of the file ({rest} bytes): \
                 truncated or not a safetensors file"
            )));
        }
        if header_len > MAX_HEADER_LEN {
            return Err(fail(format!(
                "header length {header_len} is over the {MAX_HEADER_LEN} bytes the safetensors \
                 format allows"
            )));
        }
        // header_len <= rest < buf.len(), so these fit and are in range.
        let data_start = 8 + header_len as usize;
        let text = std::str::from_utf8(buf.get(8..data_start).unwrap_or_default())
            .map_err(|e| fail(format!("the header is not UTF-8 text: {e}")))?;
        // The safetensors crate parses and validates the header (offsets contiguous from 0,
        // each span the size its shape and dtype need, sizes without overflow). Its
        // `read_metadata` is not used: its final check `data end + 8 + header length == file
        // length` can overflow (a panic in debug builds) for offsets near 2^64.
        let meta: Metadata = serde_json::from_str(text).map_err(|e| {
            fail(format!(
                "the header is not a valid safetensors JSON header: {e}"
            ))
        })?;
        let data_len = buf.len() - data_start;
        if meta.data_len() != data_len {
            return Err(fail(format!(
                "the tensors' data_offsets end at byte {} of the data, which has {data_len} \
                 bytes: the file is truncated, has extra bytes, or an offset points outside the \
                 data",
                meta.data_len()
            )));
        }
        let tensors = collect_tensors(&meta, data_start, buf.len())
            .ok_or_else(|| fail("tensor offsets outside the data".to_string()))?;
        let metadata = meta
            .metadata()
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(SafeTensorsFile {
            bytes,
            source,
            tensors,
            metadata,
        })
    }

    /// The tensors, in the order of their data in the file.
    ///
    /// ```
    /// # let header = br#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"I64","shape":[],"data_offsets":[4,12]}}"#;
    /// # let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    /// # bytes.extend_from_slice(header);
    /// # bytes.extend([0u8; 12]);
    /// let file = mlinalg::io::SafeTensorsFile::from_bytes(bytes)?;
    /// let names: Vec<&str> = file.tensors().iter().map(|t| t.name()).collect();
    /// assert_eq!(names, ["b", "a"]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor called `name`, if there is one.
    ///
    /// ```
    /// # let header = br#"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}"#;
    /// # let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    /// # bytes.extend_from_slice(header);
    /// # bytes.extend([0u8; 6]);
    /// let file = mlinalg::io::SafeTensorsFile::from_bytes(bytes)?;
    /// assert_eq!(file.info("w").map(|t| t.dtype()), Some("BF16"));
    /// assert!(file.info("v").is_none());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The header's free-form `__metadata__` (for example `{"format": "pt"}`), empty if absent.
    ///
    /// ```
    /// # let header = br#"{"__metadata__":{"format":"pt"}}"#;
    /// # let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    /// # bytes.extend_from_slice(header);
    /// let file = mlinalg::io::SafeTensorsFile::from_bytes(bytes)?;
    /// assert_eq!(file.metadata().get("format").map(String::as_str), Some("pt"));
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    fn find(&self, op: &'static str, name: &str) -> Result<&TensorInfo> {
        self.info(name).ok_or_else(|| {
            let mut names: Vec<&str> = self.tensors.iter().map(|t| t.name()).take(6).collect();
            if self.tensors.len() > names.len() {
                names.push("...");
            }
            Error::new(
                ErrorKind::InvalidArgument,
                op,
                format!(
                    "{} has no tensor named {name:?} ({} tensors: {})",
                    self.source,
                    self.tensors.len(),
                    names.join(", ")
                ),
            )
        })
    }

    /// Reads tensor `name` into an owned array converted to `T`: f32 and f64 from F64, F32,
    /// F16 and BF16 (F16/BF16 → float is exact; F64 → f32 rounds to nearest), i64 from I64.
    /// Only that tensor's data is touched and only its converted copy allocated.
    ///
    /// An unknown name is an [`ErrorKind::InvalidArgument`] error; another dtype (I8, F8_E4M3,
    /// ...) an [`ErrorKind::Format`] error; a number of dimensions other than `D`'s an
    /// [`ErrorKind::Shape`] error.
    ///
    /// ```
    /// # let header = br#"{"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}"#;
    /// # let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    /// # bytes.extend_from_slice(header);
    /// # bytes.extend(0.5_f64.to_le_bytes());
    /// # bytes.extend((-1.0_f64).to_le_bytes());
    /// let file = mlinalg::io::SafeTensorsFile::from_bytes(bytes)?;
    /// let b: ndarray::Array1<f32> = file.read("b")?;
    /// assert_eq!(b, ndarray::array![0.5, -1.0]);
    /// assert_eq!(file.read::<f32, ndarray::Ix1>("c").unwrap_err().kind(), mlinalg::ErrorKind::InvalidArgument);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn read<T: Element, D: Dimension>(&self, name: &str) -> Result<Array<T, D>> {
        const OP: &str = "SafeTensorsFile::read";
        let info = self.find(OP, name)?;
        self.check_ndim::<D>(OP, info)?;
        let kind = info
            .kind()
            .filter(|&k| T::accepts(k))
            .ok_or_else(|| self.type_error::<T>(OP, info, "read"))?;
        let data = self.data(info);
        let values: Option<Vec<T>> = match kind {
            Kind::F64 => convert(data, |b| T::from_f64(f64::from_le_bytes(b))),
            Kind::F32 => convert(data, |b| T::from_f64(f64::from(f32::from_le_bytes(b)))),
            Kind::F16 => convert(data, |b| T::from_f64(f16::from_le_bytes(b).to_f64())),
            Kind::BF16 => convert(data, |b| T::from_f64(bf16::from_le_bytes(b).to_f64())),
            Kind::I64 => convert(data, |b| T::from_i64(i64::from_le_bytes(b))),
        };
        values
            .and_then(|v| Array::from_shape_vec(IxDyn(&info.shape), v).ok())
            .and_then(|a| a.into_dimensionality::<D>().ok())
            .ok_or_else(|| self.layout_error(OP, info))
    }

    /// Views tensor `name` in the map, without a copy. `T` must be the stored type (f32 for
    /// F32, f64 for F64, i64 for I64) on a little-endian machine, and the data aligned for it
    /// (writers align tensors to their size); otherwise it is an [`ErrorKind::Format`] error
    /// and [`read`](Self::read) converts instead.
    ///
    /// ```
    /// // The header is padded with spaces to a multiple of 8 bytes, as safetensors writers do,
    /// // so the data is aligned (a Vec's buffer is at least 8-byte aligned).
    /// let mut header = br#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.to_vec();
    /// header.resize(header.len().next_multiple_of(8), b' ');
    /// let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    /// bytes.extend(&header);
    /// for x in [1.0_f32, 2.0, 3.0, 4.0] {
    ///     bytes.extend(x.to_le_bytes());
    /// }
    /// let file = mlinalg::io::SafeTensorsFile::from_bytes(bytes)?;
    /// let w = file.view::<f32, ndarray::Ix2>("w")?;
    /// assert_eq!(w[[1, 0]], 3.0);
    /// assert!(file.view::<f64, ndarray::Ix2>("w").is_err()); // stored as F32
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn view<T: Element, D: Dimension>(&self, name: &str) -> Result<ArrayView<'_, T, D>> {
        const OP: &str = "SafeTensorsFile::view";
        let info = self.find(OP, name)?;
        self.check_ndim::<D>(OP, info)?;
        if info.kind() != Some(T::KIND) || cfg!(target_endian = "big") {
            return Err(self.type_error::<T>(OP, info, "viewed without conversion"));
        }
        let data = self.data(info);
        let values: &[T] = if data.is_empty() {
            &[]
        } else {
            bytemuck::try_cast_slice(data).map_err(|_| {
                format_error(
                    OP,
                    &self.source,
                    format!(
                        "tensor {:?} (at byte {}) is not aligned for {}, so it cannot be viewed \
                         (read converts)",
                        info.name,
                        info.start,
                        T::NAME
                    ),
                )
            })?
        };
        ArrayView::from_shape(IxDyn(&info.shape), values)
            .ok()
            .and_then(|v| v.into_dimensionality::<D>().ok())
            .ok_or_else(|| self.layout_error(OP, info))
    }

    fn data(&self, info: &TensorInfo) -> &[u8] {
        self.bytes
            .as_slice()
            .get(info.start..info.end)
            .unwrap_or_default()
    }

    fn check_ndim<D: Dimension>(&self, op: &'static str, info: &TensorInfo) -> Result<()> {
        match D::NDIM {
            Some(n) if n != info.shape.len() => Err(Error::new(
                ErrorKind::Shape,
                op,
                format!(
                    "tensor {:?} of {} has shape {}, not {n}-d",
                    info.name,
                    self.source,
                    fmt_shape(&info.shape)
                ),
            )
            .with_shapes([&info.shape])),
            _ => Ok(()),
        }
    }

    fn type_error<T: Element>(&self, op: &'static str, info: &TensorInfo, how: &str) -> Error {
        format_error(
            op,
            &self.source,
            format!(
                "tensor {:?} has dtype {}, which is not {how} as {} (F64, F32, F16 and BF16 are \
                 read as float32/float64, I64 as int64)",
                info.name,
                info.dtype(),
                T::NAME
            ),
        )
        .with_shapes([&info.shape])
    }

    fn layout_error(&self, op: &'static str, info: &TensorInfo) -> Error {
        format_error(
            op,
            &self.source,
            format!(
                "tensor {:?}: {} bytes do not hold shape {} of {}",
                info.name,
                info.n_bytes(),
                fmt_shape(&info.shape),
                info.dtype()
            ),
        )
    }
}

/// Decodes little-endian `N`-byte values; `None` if the length is not a multiple of `N`.
fn convert<T, const N: usize, F: Fn([u8; N]) -> T>(data: &[u8], f: F) -> Option<Vec<T>> {
    let (values, rest) = data.as_chunks::<N>();
    rest.is_empty()
        .then(|| values.iter().map(|&b| f(b)).collect())
}

/// The tensors of a validated header, in data order, with byte ranges in the whole buffer.
fn collect_tensors(meta: &Metadata, data_start: usize, len: usize) -> Option<Vec<TensorInfo>> {
    meta.offset_keys()
        .into_iter()
        .map(|name| {
            let info = meta.info(&name)?;
            let (s, e) = info.data_offsets;
            let start = data_start.checked_add(s)?;
            let end = data_start.checked_add(e)?;
            (start <= end && end <= len).then(|| TensorInfo {
                shape: info.shape.clone(),
                dtype: info.dtype,
                name,
                start,
                end,
            })
        })
        .collect()
}
