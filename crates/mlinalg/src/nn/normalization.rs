//! Normalisation layers of transformers: [`layer_norm`] (BERT, GPT-2) and [`rms_norm`] (LLaMA),
//! over the trailing dimensions, as `torch.nn.functional.layer_norm` / `rms_norm`.
//!
//! ```
//! use mlinalg::nn::normalization::{layer_norm, rms_norm};
//! use ndarray::array;
//!
//! let x = array![[1.0_f64, 2.0, 3.0], [10.0, 10.0, 10.0]];
//! let y = layer_norm(&x, &[3], None, None, 1e-5)?;
//! assert!(y.row(0).sum().abs() < 1e-12);          // zero mean per row
//! assert_eq!(y.row(1).to_vec(), vec![0.0; 3]);     // a constant row normalises to 0
//!
//! let r = rms_norm(&array![[3.0, 4.0]], &[2], None, Some(0.0))?;
//! let rms = (12.5_f64).sqrt();
//! assert!((r[[0, 0]] - 3.0 / rms).abs() < 1e-12);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{Array, ArrayBase, ArrayViewD, Data, Dimension};
use rayon::prelude::*;

use crate::error::fmt_shape;
use crate::reduce::pairwise_sum;
use crate::{Error, Result, Scalar};

/// Elements above which groups are normalised in parallel.
const PAR_MIN: usize = 1 << 15;

/// Checks that `normalized_shape` is the trailing part of `x`'s shape and returns the group size
/// (the number of elements normalised together).
fn group_size(op: &'static str, shape: &[usize], normalized_shape: &[usize]) -> Result<usize> {
    let k = normalized_shape.len();
    if k == 0 || k > shape.len() || shape[shape.len() - k..] != *normalized_shape {
        return Err(Error::shape(
            op,
            format!(
                "normalized_shape {} is not the trailing dimensions of the input {}",
                fmt_shape(normalized_shape),
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape, normalized_shape]));
    }
    Ok(normalized_shape.iter().product())
}

/// An optional elementwise affine parameter (`weight` or `bias`) as a flat vector of one group.
fn affine<T: Scalar>(
    op: &'static str,
    name: &str,
    param: Option<&ArrayViewD<'_, T>>,
    normalized_shape: &[usize],
) -> Result<Option<Vec<T>>> {
    let Some(p) = param else { return Ok(None) };
    if p.shape() != normalized_shape {
        return Err(Error::shape(
            op,
            format!(
                "{name} of shape {} does not match normalized_shape {}",
                fmt_shape(p.shape()),
                fmt_shape(normalized_shape)
            ),
        )
        .with_shapes([p.shape(), normalized_shape]));
    }
    Ok(Some(p.iter().copied().collect()))
}

fn check_eps<T: Scalar>(op: &'static str, eps: T) -> Result<()> {
    if eps.is_finite() && eps >= T::zero() {
        Ok(())
    } else {
        Err(Error::invalid(
            op,
            format!("eps must be finite and >= 0, got {}", eps.as_f64()),
        ))
    }
}

/// Normalises each group of `group` consecutive elements of `x` (standard layout) with `f`.
fn map_groups<T, S, D, F>(x: &ArrayBase<S, D>, group: usize, f: F) -> Array<T, D>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
    F: Fn(&[T], &mut [T]) + Sync,
{
    let input = x.as_standard_layout();
    let mut out = Array::<T, D>::zeros(x.raw_dim());
    if let (Some(src), Some(dst)) = (input.as_slice(), out.as_slice_mut()) {
        if group > 0 {
            if src.len() >= PAR_MIN {
                src.par_chunks(group)
                    .zip(dst.par_chunks_mut(group))
                    .for_each(|(s, d)| f(s, d));
            } else {
                src.chunks(group)
                    .zip(dst.chunks_mut(group))
                    .for_each(|(s, d)| f(s, d));
            }
        }
    }
    out
}

/// Layer normalisation over the trailing `normalized_shape` dimensions:
/// `(x − mean) / √(var + eps) · weight + bias`, with the biased variance, as
/// `torch.nn.functional.layer_norm(x, normalized_shape, weight, bias, eps)` (PyTorch's default
/// `eps` is `1e-5`). `weight` and `bias` have shape `normalized_shape`.
///
/// ```
/// use mlinalg::nn::normalization::layer_norm;
/// use ndarray::array;
///
/// let x = array![[1.0, 3.0]];
/// let gamma = array![2.0, 2.0].into_dyn();
/// let beta = array![0.5, 0.5].into_dyn();
/// let y = layer_norm(&x, &[2], Some(&gamma.view()), Some(&beta.view()), 0.0)?;
/// assert_eq!(y, array![[-1.5, 2.5]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `normalized_shape` is empty or not the
/// input's trailing dimensions, or `weight`/`bias` have another shape;
/// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for a negative or
/// non-finite `eps`.
pub fn layer_norm<T, S, D>(
    x: &ArrayBase<S, D>,
    normalized_shape: &[usize],
    weight: Option<&ArrayViewD<'_, T>>,
    bias: Option<&ArrayViewD<'_, T>>,
    eps: T,
) -> Result<Array<T, D>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "layer_norm";
    let group = group_size(OP, x.shape(), normalized_shape)?;
    let weight = affine(OP, "weight", weight, normalized_shape)?;
    let bias = affine(OP, "bias", bias, normalized_shape)?;
    check_eps(OP, eps)?;
    let n = T::cast_usize(group);
    Ok(map_groups(x, group, |src, dst| {
        let mean = pairwise_sum(src, &|v| v) / n;
        let var = pairwise_sum(src, &|v| (v - mean) * (v - mean)) / n;
        let inv = T::one() / (var + eps).sqrt();
        for (i, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
            let mut y = (s - mean) * inv;
            if let Some(w) = &weight {
                y *= w[i];
            }
            if let Some(b) = &bias {
                y += b[i];
            }
            *d = y;
        }
    }))
}

/// Root-mean-square normalisation over the trailing `normalized_shape` dimensions:
/// `x / √(mean(x²) + eps) · weight`, as `torch.nn.functional.rms_norm(x, normalized_shape,
/// weight, eps)`. `eps = None` means PyTorch's default, the machine epsilon of `T`.
///
/// ```
/// use mlinalg::nn::normalization::rms_norm;
/// let y = rms_norm(&ndarray::array![1.0_f32, 1.0, 1.0, 1.0], &[4], None, None)?;
/// assert!(y.iter().all(|&v| (v - 1.0).abs() < 1e-6));
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// As [`layer_norm`].
pub fn rms_norm<T, S, D>(
    x: &ArrayBase<S, D>,
    normalized_shape: &[usize],
    weight: Option<&ArrayViewD<'_, T>>,
    eps: Option<T>,
) -> Result<Array<T, D>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "rms_norm";
    let group = group_size(OP, x.shape(), normalized_shape)?;
    let weight = affine(OP, "weight", weight, normalized_shape)?;
    let eps = eps.unwrap_or_else(T::epsilon);
    check_eps(OP, eps)?;
    let n = T::cast_usize(group);
    Ok(map_groups(x, group, |src, dst| {
        let mean_square = pairwise_sum(src, &|v| v * v) / n;
        let inv = T::one() / (mean_square + eps).sqrt();
        for (i, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
            *d = match &weight {
                Some(w) => s * inv * w[i],
                None => s * inv,
            };
        }
    }))
}
