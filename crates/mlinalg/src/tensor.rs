//! Shape manipulation: `reshape` (with `-1`), `permute`, `transpose`, `squeeze`/`unsqueeze`,
//! `flatten`, `concat`/`stack` and the attention-head split and merge of transformers.
//!
//! These are the operations that move a tensor between the layouts a model needs, most often
//! between `(B, T, D)` (batch, tokens, model dimension) and `(B, H, T, D/H)` (one slice per
//! attention head). Semantics follow NumPy and PyTorch:
//!
//! - [`reshape`] reads elements in row-major (C) order whatever the memory layout of the input,
//!   exactly as `np.reshape` / `torch.reshape`; one dimension may be `-1` and is inferred.
//! - [`permute`] is `torch.permute` / `np.transpose(a, axes)`; [`transpose`] swaps two axes, which
//!   may be negative (`-1` is the last), as `torch.transpose`.
//! - [`squeeze`] removes size-1 axes; asking to squeeze an axis whose size is not 1 is an error,
//!   as in NumPy (PyTorch silently does nothing there).
//! - Every function returns an owned array in standard (row-major) layout, so there is no
//!   "non-contiguous" state to track: the `.contiguous()` caveat of PyTorch does not arise.
//!   [`contiguous`] exists for code that wants to say so explicitly.
//!
//! These functions only move elements, so they work for any `T: Clone` (`f32`, `f64`, integers,
//! `bool`), not only [`Scalar`] types.
//!
//! ```
//! use mlinalg::tensor;
//! use ndarray::ArrayD;
//!
//! // x: (B, T, D) = (2, 5, 768), split into 12 heads of 64 as in GPT-2 small.
//! let x = ArrayD::<f32>::zeros(vec![2, 5, 768]);
//! let heads = tensor::reshape(&x, &[2, 5, 12, 64])?; // (B, T, H, Dh)
//! let heads = tensor::permute(&heads, &[0, 2, 1, 3])?; // (B, H, T, Dh)
//! assert_eq!(heads.shape(), &[2, 12, 5, 64]);
//!
//! // The same in one call, and back.
//! let split = tensor::split_heads(&x, 12)?;
//! assert_eq!(split.shape(), &[2, 12, 5, 64]);
//! assert_eq!(tensor::merge_heads(&split)?.into_dyn(), x);
//!
//! // Shape errors name the operation and the shapes.
//! let err = tensor::reshape(&x, &[2, 5, 13, 64]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "reshape: cannot reshape array of size 7680 into shape (2, 5, 13, 64)"
//! );
//! # Ok::<(), mlinalg::Error>(())
//! ```

use std::borrow::Cow;
use std::mem::MaybeUninit;

use ndarray::{
    Array3, Array4, ArrayBase, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Axis,
    Data, Dimension, Ix2, IxDyn, Slice, Zip,
};
use rayon::prelude::*;

use crate::error::{fmt_shape, normalize_axis, Error, ErrorKind, Result};
use crate::Scalar;

/// The number of elements of an array of this shape: the product of the dimensions
/// (1 for the empty shape of a 0-d array), as `torch.numel` / `np.prod(shape)`.
///
/// A product that overflows `usize` saturates to `usize::MAX` (no array can have that shape).
///
/// ```
/// // (B, H, T, D/H) of multi-head attention: 8 * 12 * 128 * 64.
/// assert_eq!(mlinalg::tensor::numel(&[8, 12, 128, 64]), 786_432);
/// assert_eq!(mlinalg::tensor::numel(&[]), 1);
/// assert_eq!(mlinalg::tensor::numel(&[3, 0, 4]), 0);
/// ```
pub fn numel(shape: &[usize]) -> usize {
    if shape.contains(&0) {
        return 0;
    }
    shape.iter().fold(1usize, |acc, &d| acc.saturating_mul(d))
}

/// The elements of `a` in row-major (C) order: borrowed when `a` is in standard layout.
fn row_major<'a, T: Clone>(a: &'a ArrayViewD<'_, T>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

/// Builds a standard-layout array of `shape` from the row-major elements of `a`.
///
/// The caller has checked that `shape` holds as many elements as `a`.
fn reshape_checked<T: Clone>(
    op: &'static str,
    a: ArrayViewD<'_, T>,
    shape: Vec<usize>,
) -> Result<ArrayD<T>> {
    let from = a.shape().to_vec();
    let data = row_major(&a).into_owned();
    ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| {
        Error::shape(
            op,
            format!(
                "cannot reshape array of shape {} into shape {}: {e}",
                fmt_shape(&from),
                fmt_shape(&shape)
            ),
        )
        .with_shapes([from.clone(), shape.clone()])
    })
}

fn fmt_signed_shape(shape: &[isize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Gives `a` a new shape without changing its elements, read in row-major (C) order as
/// `np.reshape(a, shape)` / `torch.reshape(a, shape)`.
///
/// One entry of `shape` may be `-1`: it is inferred from the size of `a` and the other entries.
/// The input may have any layout (transposed, strided, negative strides, broadcast); its
/// elements are always taken in logical row-major order, so reshaping a permuted array gives
/// what NumPy gives, not a reinterpretation of memory.
///
/// # Errors
/// [`ErrorKind::Shape`] when the sizes differ (or `-1` cannot be inferred),
/// [`ErrorKind::InvalidArgument`] for more than one `-1` or another negative entry.
///
/// ```
/// use mlinalg::tensor::reshape;
/// use ndarray::{array, Array3};
///
/// let a = array![[1, 2, 3], [4, 5, 6]];
/// assert_eq!(reshape(&a, &[3, -1])?, array![[1, 2], [3, 4], [5, 6]].into_dyn());
/// // Row-major order of the *logical* array, also for a transposed view:
/// assert_eq!(reshape(&a.t(), &[-1])?, array![1, 4, 2, 5, 3, 6].into_dyn());
///
/// // (B, T, D) -> (B, T, H, Dh)
/// let x = Array3::<f32>::zeros((8, 512, 768));
/// assert_eq!(reshape(&x, &[8, 512, 12, 64])?.shape(), &[8, 512, 12, 64]);
/// let err = reshape(&x, &[8, 512, 13, 64]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "reshape: cannot reshape array of size 3145728 into shape (8, 512, 13, 64)"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn reshape<T, S, D>(a: &ArrayBase<S, D>, shape: &[isize]) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "reshape";
    let size = a.len();
    let mismatch = || {
        Error::shape(
            OP,
            format!(
                "cannot reshape array of size {size} into shape {}",
                fmt_signed_shape(shape)
            ),
        )
        .with_shapes([a.shape().to_vec()])
    };
    let mut unknown = None;
    let mut known: usize = 1;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(
                    Error::invalid(OP, "can only specify one unknown dimension (-1)")
                        .with_shapes([a.shape()]),
                );
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "negative dimension {d} in shape {} (only -1 is allowed)",
                    fmt_signed_shape(shape)
                ),
            )
            .with_shapes([a.shape()]));
        } else {
            known = known.checked_mul(d as usize).ok_or_else(mismatch)?;
        }
    }
    let mut resolved: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    match unknown {
        Some(i) => {
            if known == 0 || !size.is_multiple_of(known) {
                return Err(mismatch());
            }
            if let Some(slot) = resolved.get_mut(i) {
                *slot = size / known;
            }
        }
        None if known != size => return Err(mismatch()),
        None => {}
    }
    reshape_checked(OP, a.view().into_dyn(), resolved)
}

/// Checks that `axes` is a permutation of `0..ndim`.
fn check_permutation(op: &'static str, axes: &[usize], shape: &[usize]) -> Result<()> {
    let ndim = shape.len();
    if axes.len() != ndim {
        return Err(Error::new(
            ErrorKind::Axis,
            op,
            format!(
                "axes {} don't match array of shape {}: {} axes for {} dimensions",
                fmt_shape(axes),
                fmt_shape(shape),
                axes.len(),
                ndim
            ),
        )
        .with_shapes([shape]));
    }
    let mut seen = vec![false; ndim];
    for &ax in axes {
        match seen.get_mut(ax) {
            None => return Err(Error::axis(op, ax as isize, ndim).with_shapes([shape])),
            Some(true) => {
                return Err(Error::new(
                    ErrorKind::Axis,
                    op,
                    format!("repeated axis {ax} in axes {}", fmt_shape(axes)),
                )
                .with_shapes([shape]))
            }
            Some(s) => *s = true,
        }
    }
    Ok(())
}

/// Reorders the axes: axis `i` of the result is axis `axes[i]` of `a`, as
/// `torch.permute(a, axes)` / `np.transpose(a, axes)`. Returns a standard-layout copy.
///
/// # Errors
/// [`ErrorKind::Axis`] unless `axes` is a permutation of `0..a.ndim()`.
///
/// ```
/// use mlinalg::tensor::permute;
/// use ndarray::Array4;
///
/// // (B, T, H, Dh) -> (B, H, T, Dh): move the heads before the tokens.
/// let x = Array4::<f32>::zeros((8, 512, 12, 64));
/// assert_eq!(permute(&x, &[0, 2, 1, 3])?.shape(), &[8, 12, 512, 64]);
///
/// let a = ndarray::array![[1, 2, 3], [4, 5, 6]];
/// assert_eq!(permute(&a, &[1, 0])?, a.t().into_dyn());
/// assert!(permute(&a, &[0, 0]).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn permute<T, S, D>(a: &ArrayBase<S, D>, axes: &[usize]) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    check_permutation("permute", axes, a.shape())?;
    Ok(contiguous(&a.view().into_dyn().permuted_axes(IxDyn(axes))))
}

/// Swaps axes `dim0` and `dim1` (negative values count from the end), as
/// `torch.transpose(a, dim0, dim1)` / `np.swapaxes`. Returns a standard-layout copy.
///
/// # Errors
/// [`ErrorKind::Axis`] when an axis is out of range.
///
/// ```
/// use mlinalg::tensor::transpose;
/// use ndarray::Array4;
///
/// // K: (B, H, T, Dh) -> Kᵀ: (B, H, Dh, T) for the attention scores Q Kᵀ.
/// let k = Array4::<f64>::zeros((2, 12, 16, 64));
/// assert_eq!(transpose(&k, -2, -1)?.shape(), &[2, 12, 64, 16]);
/// assert!(transpose(&k, 0, 4).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn transpose<T, S, D>(a: &ArrayBase<S, D>, dim0: isize, dim1: isize) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "transpose";
    let ndim = a.ndim();
    let d0 = normalize_axis(OP, dim0, ndim).map_err(|e| e.with_shapes([a.shape()]))?;
    let d1 = normalize_axis(OP, dim1, ndim).map_err(|e| e.with_shapes([a.shape()]))?;
    let mut v = a.view().into_dyn();
    v.swap_axes(d0, d1);
    Ok(contiguous(&v))
}

/// Removes size-1 axes: all of them (`axis = None`) or the one given, as `np.squeeze(a, axis)`.
///
/// Unlike `torch.squeeze(a, dim)`, which does nothing when that axis is not of size 1, this
/// is an error, as in NumPy: a squeeze that does not happen is usually a shape bug.
///
/// # Errors
/// [`ErrorKind::Axis`] for an axis out of range, [`ErrorKind::Shape`] when its size is not 1.
///
/// ```
/// use mlinalg::tensor::squeeze;
/// use ndarray::Array3;
///
/// let y = Array3::<f32>::zeros((8, 1, 512)); // a spurious dim of size 1
/// assert_eq!(squeeze(&y, Some(1))?.shape(), &[8, 512]);
/// assert_eq!(squeeze(&Array3::<f32>::zeros((1, 3, 1)), None)?.shape(), &[3]);
/// let err = squeeze(&y, Some(0)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "squeeze: cannot select an axis to squeeze out which has size not equal to one \
///      (axis 0 has size 8 in shape (8, 1, 512))"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn squeeze<T, S, D>(a: &ArrayBase<S, D>, axis: Option<isize>) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "squeeze";
    let shape = a.shape();
    let new_shape: Vec<usize> = match axis {
        None => shape.iter().copied().filter(|&d| d != 1).collect(),
        Some(ax) => {
            let ax = normalize_axis(OP, ax, shape.len()).map_err(|e| e.with_shapes([shape]))?;
            let size = shape.get(ax).copied().unwrap_or(0);
            if size != 1 {
                return Err(Error::shape(
                    OP,
                    format!(
                        "cannot select an axis to squeeze out which has size not equal to one \
                         (axis {ax} has size {size} in shape {})",
                        fmt_shape(shape)
                    ),
                )
                .with_shapes([shape]));
            }
            shape
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != ax)
                .map(|(_, &d)| d)
                .collect()
        }
    };
    reshape_checked(OP, a.view().into_dyn(), new_shape)
}

/// Inserts an axis of size 1 at position `axis` of the result, as `torch.unsqueeze(a, dim)` /
/// `np.expand_dims(a, axis)`. `axis` ranges over `-(ndim + 1)..=ndim`; `-1` appends.
///
/// # Errors
/// [`ErrorKind::Axis`] when `axis` is out of that range.
///
/// ```
/// use mlinalg::tensor::unsqueeze;
/// use ndarray::Array2;
///
/// let y = Array2::<f32>::zeros((8, 512));
/// assert_eq!(unsqueeze(&y, 0)?.shape(), &[1, 8, 512]); // add a batch-of-batches dim
/// assert_eq!(unsqueeze(&y, -1)?.shape(), &[8, 512, 1]);
/// assert!(unsqueeze(&y, 3).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn unsqueeze<T, S, D>(a: &ArrayBase<S, D>, axis: isize) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    let shape = a.shape();
    let ax =
        normalize_axis("unsqueeze", axis, shape.len() + 1).map_err(|e| e.with_shapes([shape]))?;
    let mut new_shape = shape.to_vec();
    new_shape.insert(ax, 1);
    reshape_checked("unsqueeze", a.view().into_dyn(), new_shape)
}

/// An owned copy of `a` in standard (row-major, C-contiguous) layout, whatever the layout of
/// `a`, as `torch.Tensor.contiguous()` / `np.ascontiguousarray`.
///
/// ```
/// use mlinalg::tensor::contiguous;
/// use ndarray::array;
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let t = contiguous(&a.t());
/// assert!(t.is_standard_layout());
/// assert_eq!(t, array![[1.0, 3.0], [2.0, 4.0]].into_dyn());
/// ```
pub fn contiguous<T, S, D>(a: &ArrayBase<S, D>) -> ArrayD<T>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    a.view().into_dyn().as_standard_layout().into_owned()
}

/// Merges axes `start..=end` (both inclusive, negative values count from the end) into one,
/// as `torch.flatten(a, start_dim, end_dim)`. `flatten(a, 0, -1)` gives a 1-d array; a 0-d
/// array flattens to shape `(1,)`, as in PyTorch.
///
/// # Errors
/// [`ErrorKind::Axis`] for an axis out of range, [`ErrorKind::InvalidArgument`] when `start`
/// comes after `end`.
///
/// ```
/// use mlinalg::tensor::flatten;
/// use ndarray::Array4;
///
/// let x = Array4::<f32>::zeros((8, 3, 32, 32));
/// assert_eq!(flatten(&x, 1, -1)?.shape(), &[8, 3072]); // images to feature vectors
/// assert_eq!(flatten(&x, 0, -1)?.shape(), &[24576]);
/// assert!(flatten(&x, 2, 1).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn flatten<T, S, D>(a: &ArrayBase<S, D>, start: isize, end: isize) -> Result<ArrayD<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "flatten";
    let shape = a.shape();
    // A 0-d array behaves as one of shape (1,), as in PyTorch.
    let shape: Vec<usize> = if shape.is_empty() {
        vec![1]
    } else {
        shape.to_vec()
    };
    let s = normalize_axis(OP, start, shape.len()).map_err(|e| e.with_shapes([a.shape()]))?;
    let e = normalize_axis(OP, end, shape.len()).map_err(|e| e.with_shapes([a.shape()]))?;
    if s > e {
        return Err(Error::invalid(
            OP,
            format!(
                "start axis {start} comes after end axis {end} for shape {}",
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()]));
    }
    let mut new_shape: Vec<usize> = shape.iter().take(s).copied().collect();
    new_shape.push(numel(shape.get(s..=e).unwrap_or(&[])));
    new_shape.extend(shape.iter().skip(e + 1));
    reshape_checked(OP, a.view().into_dyn(), new_shape)
}

/// Joins arrays along an existing axis (negative counts from the end), as
/// `np.concatenate(arrays, axis)` / `torch.cat`. All arrays must have the same number of
/// dimensions and the same size on every other axis.
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] for an empty list or 0-d arrays, [`ErrorKind::Axis`] for an
/// axis out of range, [`ErrorKind::Shape`] when the shapes do not fit.
///
/// ```
/// use mlinalg::tensor::concat;
/// use ndarray::array;
///
/// let a = array![[1, 2], [3, 4]].into_dyn();
/// let b = array![[5, 6]].into_dyn();
/// assert_eq!(concat(&[a.view(), b.view()], 0)?, array![[1, 2], [3, 4], [5, 6]].into_dyn());
/// assert_eq!(concat(&[a.view(), a.view()], -1)?, array![[1, 2, 1, 2], [3, 4, 3, 4]].into_dyn());
/// assert!(concat(&[a.view(), b.view()], 1).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn concat<T: Clone>(arrays: &[ArrayViewD<'_, T>], axis: isize) -> Result<ArrayD<T>> {
    const OP: &str = "concat";
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape()).collect();
    let Some(&first) = shapes.first() else {
        return Err(Error::invalid(OP, "need at least one array to concatenate"));
    };
    if first.is_empty() {
        return Err(
            Error::invalid(OP, "zero-dimensional arrays cannot be concatenated")
                .with_shapes(&shapes),
        );
    }
    let ndim = first.len();
    let ax = normalize_axis(OP, axis, ndim).map_err(|e| e.with_shapes(&shapes))?;
    let mut total = 0usize;
    for (i, s) in shapes.iter().enumerate() {
        let fits = s.len() == ndim
            && s.iter()
                .zip(first)
                .enumerate()
                .all(|(k, (x, y))| k == ax || x == y);
        if !fits {
            let what = if s.len() != ndim {
                format!(
                    "all the input arrays must have same number of dimensions, but the array at \
                     index 0 has {ndim} dimension(s) and the array at index {i} has {} dimension(s)",
                    s.len()
                )
            } else {
                format!(
                    "all the input array dimensions except for the concatenation axis must match \
                     exactly, but the array at index 0 has shape {} and the array at index {i} has \
                     shape {}",
                    fmt_shape(first),
                    fmt_shape(s)
                )
            };
            return Err(Error::shape(OP, what).with_shapes(&shapes));
        }
        total = total.saturating_add(s.get(ax).copied().unwrap_or(0));
    }
    let mut out_shape = first.to_vec();
    if let Some(d) = out_shape.get_mut(ax) {
        *d = total;
    }
    concat_checked(OP, arrays, ax, out_shape)
}

/// Concatenation of arrays whose shapes the caller has checked: they agree except on `ax`
/// and `out_shape` is their concatenated shape.
fn concat_checked<T: Clone>(
    op: &'static str,
    arrays: &[ArrayViewD<'_, T>],
    ax: usize,
    out_shape: Vec<usize>,
) -> Result<ArrayD<T>> {
    // In row-major order the result is, for each index over the axes before `ax`, the
    // row-major block of every input over the axes from `ax` on, one input after the other.
    let outer = numel(out_shape.get(..ax).unwrap_or(&[]));
    let data: Vec<Cow<'_, [T]>> = arrays.iter().map(row_major).collect();
    let mut blocks: Vec<_> = arrays
        .iter()
        .zip(&data)
        .map(|(a, d)| {
            let inner = numel(a.shape().get(ax..).unwrap_or(&[]));
            d.chunks(inner.max(1))
        })
        .collect();
    let mut out = Vec::with_capacity(numel(&out_shape));
    for _ in 0..outer {
        for (a, b) in arrays.iter().zip(blocks.iter_mut()) {
            if a.is_empty() {
                continue;
            }
            if let Some(block) = b.next() {
                out.extend_from_slice(block);
            }
        }
    }
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape()).collect();
    ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(|e| {
        Error::shape(
            op,
            format!(
                "internal error building shape {}: {e}",
                fmt_shape(&out_shape)
            ),
        )
        .with_shapes(&shapes)
    })
}

/// Joins arrays of the same shape along a new axis (negative counts from the end, over
/// `-(ndim + 1)..=ndim`), as `np.stack(arrays, axis)` / `torch.stack`.
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] for an empty list, [`ErrorKind::Axis`] for an axis out of
/// range, [`ErrorKind::Shape`] when the shapes differ.
///
/// ```
/// use mlinalg::tensor::stack;
/// use ndarray::array;
///
/// let a = array![1, 2, 3].into_dyn();
/// let b = array![4, 5, 6].into_dyn();
/// assert_eq!(stack(&[a.view(), b.view()], 0)?, array![[1, 2, 3], [4, 5, 6]].into_dyn());
/// assert_eq!(stack(&[a.view(), b.view()], -1)?, array![[1, 4], [2, 5], [3, 6]].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn stack<T: Clone>(arrays: &[ArrayViewD<'_, T>], axis: isize) -> Result<ArrayD<T>> {
    const OP: &str = "stack";
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape()).collect();
    let Some(&first) = shapes.first() else {
        return Err(Error::invalid(OP, "need at least one array to stack"));
    };
    let ax = normalize_axis(OP, axis, first.len() + 1).map_err(|e| e.with_shapes(&shapes))?;
    if let Some((i, s)) = shapes.iter().enumerate().find(|(_, s)| *s != &first) {
        return Err(Error::shape(
            OP,
            format!(
                "all input arrays must have the same shape, but the array at index 0 has shape {} \
                 and the array at index {i} has shape {}",
                fmt_shape(first),
                fmt_shape(s)
            ),
        )
        .with_shapes(&shapes));
    }
    let expanded: Vec<ArrayViewD<'_, T>> = arrays
        .iter()
        .map(|a| a.view().insert_axis(Axis(ax)))
        .collect();
    let mut out_shape = first.to_vec();
    out_shape.insert(ax, arrays.len());
    concat_checked(OP, &expanded, ax, out_shape)
}

/// Splits the model dimension of `x: (B, T, D)` into `heads` attention heads and moves them
/// before the tokens: the result has shape `(B, H, T, D / H)` with
/// `out[b, h, t, i] = x[b, t, h * (D / H) + i]`.
///
/// This is `x.reshape(B, T, H, D / H).permute(0, 2, 1, 3)` of a PyTorch multi-head attention,
/// in one copy. The input may be any 3-d array or view (`Array3`, or an `ArrayD` of rank 3).
///
/// # Errors
/// [`ErrorKind::Shape`] unless `x` is 3-d and `D` is divisible by `heads`;
/// [`ErrorKind::InvalidArgument`] for `heads == 0`.
///
/// ```
/// use mlinalg::tensor::split_heads;
/// use ndarray::Array3;
///
/// let x = Array3::<f32>::zeros((8, 512, 768)); // (B, T, D), GPT-2 small
/// assert_eq!(split_heads(&x, 12)?.shape(), &[8, 12, 512, 64]);
/// let err = split_heads(&x, 5).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "split_heads: model dimension 768 of shape (8, 512, 768) is not divisible by 5 heads"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn split_heads<T, S, D>(x: &ArrayBase<S, D>, heads: usize) -> Result<Array4<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "split_heads";
    let shape = x.shape();
    let &[b, t, d] = shape else {
        return Err(Error::shape(
            OP,
            format!(
                "expected a 3-d array (B, T, D), got shape {}",
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape]));
    };
    if heads == 0 {
        return Err(
            Error::invalid(OP, "the number of heads must be at least 1").with_shapes([shape])
        );
    }
    if d % heads != 0 {
        return Err(Error::shape(
            OP,
            format!(
                "model dimension {d} of shape {} is not divisible by {heads} heads",
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape]));
    }
    let dh = d / heads;
    // Splitting the last axis is a view for any strides; `to_shape` copies only if not.
    let x = x.view().into_dyn();
    let shaped = x.to_shape(IxDyn(&[b, t, heads, dh])).map_err(|e| {
        Error::shape(
            OP,
            format!("internal error on shape {}: {e}", fmt_shape(shape)),
        )
        .with_shapes([shape])
    })?;
    let out = contiguous(&shaped.view().permuted_axes(IxDyn(&[0, 2, 1, 3])));
    into_rank(OP, out)
}

/// Merges attention heads back: `x: (B, H, T, Dh)` becomes `(B, T, H * Dh)` with
/// `out[b, t, h * Dh + i] = x[b, h, t, i]`, the inverse of [`split_heads`].
///
/// This is `x.permute(0, 2, 1, 3).reshape(B, T, H * Dh)` of a PyTorch multi-head attention.
///
/// # Errors
/// [`ErrorKind::Shape`] unless `x` is 4-d.
///
/// ```
/// use mlinalg::tensor::{merge_heads, split_heads};
/// use ndarray::Array;
///
/// let x = Array::from_shape_fn((2, 3, 8), |(b, t, d)| (100 * b + 10 * t + d) as f64);
/// let heads = split_heads(&x, 4)?; // (2, 4, 3, 2)
/// assert_eq!(heads[[1, 2, 0, 1]], x[[1, 0, 2 * 2 + 1]]);
/// assert_eq!(merge_heads(&heads)?, x);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn merge_heads<T, S, D>(x: &ArrayBase<S, D>) -> Result<Array3<T>>
where
    T: Clone,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "merge_heads";
    let shape = x.shape();
    let &[b, h, t, dh] = shape else {
        return Err(Error::shape(
            OP,
            format!(
                "expected a 4-d array (B, H, T, Dh), got shape {}",
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape]));
    };
    let merged = h
        .checked_mul(dh)
        .ok_or_else(|| Error::shape(OP, format!("shape {} is too large", fmt_shape(shape))))?;
    let permuted = x.view().into_dyn().permuted_axes(IxDyn(&[0, 2, 1, 3]));
    let out = reshape_checked(OP, permuted, vec![b, t, merged])?;
    into_rank(OP, out)
}

/// Converts a dynamic-rank result to a fixed rank the caller has guaranteed.
fn into_rank<T, E: Dimension>(op: &'static str, a: ArrayD<T>) -> Result<ndarray::Array<T, E>> {
    let shape = a.shape().to_vec();
    a.into_dimensionality::<E>().map_err(|e| {
        Error::shape(
            op,
            format!("internal error on shape {}: {e}", fmt_shape(&shape)),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Copies to standard layout (used by einsum and matrix)
// ---------------------------------------------------------------------------------------------

/// A standard-layout copy of `v`. When `v` is a stack of transposed matrices (its last two axes
/// swapped in memory: `'ij->ji'`, `'bji->bij'`) the copy goes by square tiles, in parallel, so
/// that reads and writes both stay in cache; otherwise in `v`'s logical order.
pub(crate) fn standard_copy<T: Scalar>(v: ArrayViewD<'_, T>) -> ArrayD<T> {
    const TILE: usize = 32;
    let nd = v.ndim();
    if nd < 2 || v.len() < (1 << 14) {
        return merged_copy(v);
    }
    let (p, q) = (nd - 2, nd - 1);
    let fastest = (0..nd)
        .filter(|&a| v.shape()[a] > 1)
        .min_by_key(|&a| v.strides()[a].unsigned_abs());
    if fastest != Some(p) || v.shape()[p] < TILE || v.shape()[q] < TILE {
        return merged_copy(v);
    }
    let mut out = crate::alloc::uninit::<T, _>(v.raw_dim());
    let mut src = Vec::new();
    matrices(v, &mut src);
    let mut dst = Vec::new();
    matrices_mut(out.view_mut(), &mut dst);
    // Fixed-dimension (2-D) views: slicing a tile of a dynamic-dimension view costs more than
    // copying it.
    src.into_par_iter().zip(dst).for_each(|(s, mut d)| {
        d.axis_chunks_iter_mut(Axis(0), TILE)
            .into_par_iter()
            .zip(s.axis_chunks_iter(Axis(0), TILE).into_par_iter())
            .for_each(|(mut d, s)| {
                let n = s.ncols();
                let mut j = 0;
                while j < n {
                    let cols = Slice::from(j..(j + TILE).min(n));
                    Zip::from(d.slice_axis_mut(Axis(1), cols))
                        .and(s.slice_axis(Axis(1), cols))
                        .for_each(|o, &x| {
                            o.write(x);
                        });
                    j += TILE;
                }
            });
    });
    // SAFETY: the matrices of `out` (its last two axes, for every index of the others) cover
    // it, and the bands and tiles above cover each matrix: every element was written.
    unsafe { out.assume_init() }
}

/// The matrices (last two axes) of a stack, in row-major order of the other axes.
fn matrices<'a, T>(v: ArrayViewD<'a, T>, out: &mut Vec<ArrayView2<'a, T>>) {
    if let Ok(m) = v.clone().into_dimensionality::<Ix2>() {
        out.push(m);
        return;
    }
    for i in 0..v.len_of(Axis(0)) {
        matrices(v.clone().index_axis_move(Axis(0), i), out);
    }
}

/// [`matrices`] of a mutable stack.
fn matrices_mut<'a, T>(v: ArrayViewMutD<'a, T>, out: &mut Vec<ArrayViewMut2<'a, T>>) {
    if v.ndim() <= 2 {
        if let Ok(m) = v.into_dimensionality::<Ix2>() {
            out.push(m);
        }
        return;
    }
    let mut rest = v;
    while rest.len_of(Axis(0)) > 0 {
        let (first, tail) = rest.split_at(Axis(0), 1);
        matrices_mut(first.index_axis_move(Axis(0), 0), out);
        rest = tail;
    }
}

/// A standard-layout copy of `v` in its logical order: consecutive axes that its strides let
/// merge are merged first, so that the copy runs ndarray's fixed-dimension loops (a dynamic
/// dimension costs a heap-backed index step per row) over rows as long as possible; written
/// once into an uninitialised result, in parallel when large.
fn merged_copy<T: Scalar>(v: ArrayViewD<'_, T>) -> ArrayD<T> {
    let shape = v.raw_dim();
    let mut merged = v;
    for i in 1..merged.ndim() {
        // Moving fastest along axis i, then along i - 1: row-major order over the pair.
        merged.merge_axes(Axis(i - 1), Axis(i));
    }
    for i in (0..merged.ndim()).rev() {
        if merged.shape()[i] == 1 && merged.ndim() > 1 {
            merged.index_axis_inplace(Axis(i), 0);
        }
    }
    let mut out = crate::alloc::uninit::<T, _>(merged.raw_dim());
    let parallel = merged.len() >= 1 << 20;
    let done = match merged.ndim() {
        1 => copy_fixed::<T, ndarray::Ix1>(&merged, &mut out, parallel),
        2 => copy_fixed::<T, ndarray::Ix2>(&merged, &mut out, parallel),
        3 => copy_fixed::<T, ndarray::Ix3>(&merged, &mut out, parallel),
        4 => copy_fixed::<T, ndarray::Ix4>(&merged, &mut out, parallel),
        _ => false,
    };
    if !done {
        copy_fixed::<T, IxDyn>(&merged, &mut out, parallel);
    }
    // SAFETY: `copy_fixed` wrote every element of `out` (a zip over the whole array; the
    // dimensionality conversions cannot fail for the dimensionality matched above, and the
    // dynamic one is always possible).
    let out = unsafe { out.assume_init() };
    // `out` is in standard layout with `v`'s elements in `v`'s logical order.
    out.into_shape_with_order(shape)
        .unwrap_or_else(|_| unreachable!("a standard-layout array of the same length"))
}

/// `out[..] = src[..]` with `D` as the dimension type; false (nothing written) if `src` or
/// `out` is not of dimensionality `D`.
fn copy_fixed<T: Scalar, D: ndarray::Dimension>(
    src: &ArrayViewD<'_, T>,
    out: &mut ArrayD<MaybeUninit<T>>,
    parallel: bool,
) -> bool {
    let (Ok(s), Ok(o)) = (
        src.view().into_dimensionality::<D>(),
        out.view_mut().into_dimensionality::<D>(),
    ) else {
        return false;
    };
    let zip = Zip::from(o).and(s);
    if parallel {
        zip.par_for_each(|o, &x| {
            o.write(x);
        });
    } else {
        zip.for_each(|o, &x| {
            o.write(x);
        });
    }
    true
}
