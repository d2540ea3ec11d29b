//! Softmax and its relatives along any axis: [`softmax`], [`log_softmax`] and [`logsumexp`],
//! numerically stable for huge and infinite logits, with PyTorch's semantics.
//!
//! Every lane along the axis is shifted by its maximum before exponentiating, so logits of
//! 1000 or 1e30 neither overflow nor lose the distribution:
//!
//! ```
//! use mlinalg::nn::softmax::softmax;
//! use ndarray::array;
//!
//! let p = softmax(&array![2.0_f64, 1.0, 0.1], -1)?;
//! assert!((p[0] - 0.659).abs() < 1e-3 && (p[1] - 0.242).abs() < 1e-3 && (p[2] - 0.099).abs() < 1e-3);
//!
//! let huge = softmax(&array![1000.0_f32, 1000.0], 0)?;
//! assert_eq!(huge, array![0.5_f32, 0.5]);
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Infinities and NaN (as `torch.softmax`)
//! - A `-inf` logit gets probability 0 (an additive attention mask); a lane of only `-inf` has no
//!   finite maximum and gives NaN everywhere, as PyTorch does.
//! - A `+inf` logit makes the whole lane NaN (∞ − ∞ in the shift), as PyTorch does, for
//!   [`softmax`] and [`log_softmax`] alike.
//! - A NaN anywhere in a lane makes the whole lane NaN.
//! - [`logsumexp`] of a lane holding `+inf` is `+inf`, of a lane of only `-inf` (or an empty lane)
//!   is `-inf` (`torch.logsumexp`, `scipy.special.logsumexp`).
//!
//! Lanes are processed in parallel when the array is large; each lane is summed in a fixed order,
//! so results do not depend on the number of threads.

use ndarray::{Array, ArrayBase, ArrayD, ArrayView1, ArrayViewMut1, Axis, Data, Dimension, Zip};

use crate::error::normalize_axis;
use crate::reduce::pairwise_sum;
use crate::{Result, Scalar};

/// Elements above which lanes are processed in parallel.
const PAR_MIN: usize = 1 << 15;

/// The maximum of a lane, NaN if the lane holds NaN, `-inf` for an empty lane.
fn lane_max<T: Scalar>(lane: &ArrayView1<'_, T>) -> T {
    let mut m = T::neg_infinity();
    for &x in lane {
        if x.is_nan() {
            return x;
        }
        if x > m {
            m = x;
        }
    }
    m
}

/// `Σ f(x)` over a lane: NumPy's pairwise summation when it is contiguous, in order otherwise.
fn lane_sum<T: Scalar, F: Fn(T) -> T + Sync>(lane: &ArrayView1<'_, T>, f: F) -> T {
    match lane.as_slice() {
        Some(s) => pairwise_sum(s, &f),
        None => lane.iter().fold(T::zero(), |acc, &x| acc + f(x)),
    }
}

/// `log Σ exp(x)` of one lane, stable for infinite maxima (shifted by 0 instead of ±∞).
fn lane_logsumexp<T: Scalar>(lane: &ArrayView1<'_, T>) -> T {
    let m = lane_max(lane);
    if m.is_nan() {
        return m;
    }
    let shift = if m.is_finite() { m } else { T::zero() };
    let sum = lane_sum(lane, |x| (x - shift).exp());
    sum.ln() + shift
}

/// Writes `softmax(lane)` into `out`.
fn lane_softmax<T: Scalar>(lane: ArrayView1<'_, T>, mut out: ArrayViewMut1<'_, T>) {
    let m = lane_max(&lane);
    Zip::from(&mut out)
        .and(&lane)
        .for_each(|o, &x| *o = (x - m).exp());
    let sum = lane_sum(&out.view(), |x| x);
    let inv = T::one() / sum;
    out.mapv_inplace(|e| e * inv);
}

/// Writes `log_softmax(lane)` into `out`: `(x − max) − ln Σ exp(x − max)`, as PyTorch computes
/// it (so an infinite maximum gives NaN, not `x − ∞`).
fn lane_log_softmax<T: Scalar>(lane: ArrayView1<'_, T>, mut out: ArrayViewMut1<'_, T>) {
    let m = lane_max(&lane);
    Zip::from(&mut out).and(&lane).for_each(|o, &x| *o = x - m);
    let sum = lane_sum(&out.view(), |t| t.exp());
    let log_sum = sum.ln();
    out.mapv_inplace(|t| t - log_sum);
}

/// Applies `f` to every lane of `x` along `axis`, writing into a new array of the same shape.
fn map_lanes<T, S, D, F>(x: &ArrayBase<S, D>, axis: usize, f: F) -> Array<T, D>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
    F: Fn(ArrayView1<'_, T>, ArrayViewMut1<'_, T>) + Sync + Send,
{
    let mut out = Array::<T, D>::zeros(x.raw_dim());
    let zip = Zip::from(out.lanes_mut(Axis(axis))).and(x.lanes(Axis(axis)));
    if x.len() >= PAR_MIN {
        zip.par_for_each(|o, l| f(l, o));
    } else {
        zip.for_each(|o, l| f(l, o));
    }
    out
}

/// Softmax along `axis` (negative counts from the end): `exp(x − max) / Σ exp(x − max)` per lane,
/// as `torch.softmax(x, dim=axis)`. The result has the input's shape.
///
/// ```
/// use mlinalg::nn::softmax::softmax;
/// use ndarray::array;
///
/// let scores = array![[1.0, 2.0, 3.0], [1.0, 1.0, f64::NEG_INFINITY]];
/// let p = softmax(&scores, -1)?;
/// assert!((p.row(0).sum() - 1.0).abs() < 1e-12);
/// assert_eq!(p.row(1).to_vec(), vec![0.5, 0.5, 0.0]); // a -inf logit is masked out
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Axis`](crate::ErrorKind::Axis) when `axis` is out of range (a 0-d input has no axis).
pub fn softmax<T, S, D>(x: &ArrayBase<S, D>, axis: isize) -> Result<Array<T, D>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let ax = normalize_axis("softmax", axis, x.ndim())?;
    Ok(map_lanes(x, ax, lane_softmax))
}

/// Log-softmax along `axis`: `x − logsumexp(x)` per lane, as `torch.log_softmax(x, dim=axis)`.
/// More accurate than `softmax(x).ln()` for very negative log-probabilities, which would
/// underflow to `-inf` through `exp`.
///
/// ```
/// use mlinalg::nn::softmax::log_softmax;
/// use ndarray::array;
///
/// let lp = log_softmax(&array![0.0, -800.0], 0)?;
/// assert_eq!(lp[0], 0.0);
/// assert_eq!(lp[1], -800.0); // softmax would give exp(-800) = 0 and ln 0 = -inf
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Axis`](crate::ErrorKind::Axis) when `axis` is out of range.
pub fn log_softmax<T, S, D>(x: &ArrayBase<S, D>, axis: isize) -> Result<Array<T, D>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let ax = normalize_axis("log_softmax", axis, x.ndim())?;
    Ok(map_lanes(x, ax, lane_log_softmax))
}

/// `log Σ exp(x)` along `axis` (all elements when `None`), with `keepdims` as in
/// [`reduce`](crate::reduce): `torch.logsumexp(x, dim, keepdim)` and
/// `scipy.special.logsumexp(x, axis, keepdims=...)`. Stable for huge values; the log-sum-exp of
/// nothing is `-inf`.
///
/// ```
/// use mlinalg::nn::softmax::logsumexp;
/// use ndarray::array;
///
/// let x = array![[1000.0, 1000.0], [0.0, f64::NEG_INFINITY]];
/// let lse = logsumexp(&x, Some(1), false)?;
/// assert!((lse[0] - (1000.0 + 2f64.ln())).abs() < 1e-12);
/// assert_eq!(lse[1], 0.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Axis`](crate::ErrorKind::Axis) when `axis` is out of range.
pub fn logsumexp<T, S, D>(
    x: &ArrayBase<S, D>,
    axis: Option<isize>,
    keepdims: bool,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let Some(axis) = axis else {
        let flat: Vec<T> = x.iter().copied().collect();
        let value = lane_logsumexp(&ArrayView1::from(&flat[..]));
        let shape = if keepdims {
            vec![1; x.ndim()]
        } else {
            Vec::new()
        };
        return Ok(ArrayD::from_elem(shape, value));
    };
    let ax = normalize_axis("logsumexp", axis, x.ndim())?;
    let lanes = x.lanes(Axis(ax));
    let mut out = if x.len() >= PAR_MIN {
        Zip::from(lanes).par_map_collect(|l| lane_logsumexp(&l))
    } else {
        Zip::from(lanes).map_collect(|l| lane_logsumexp(&l))
    }
    .into_dyn();
    if keepdims {
        out = out.insert_axis(Axis(ax));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn infinities_as_torch() {
        let p = softmax(&array![f64::INFINITY, 1.0], 0).unwrap();
        assert!(p.iter().all(|v| v.is_nan()));
        let lp = log_softmax(&array![f64::INFINITY, 1.0], 0).unwrap();
        assert!(lp.iter().all(|v| v.is_nan()));
        let p = softmax(&array![f64::NEG_INFINITY, f64::NEG_INFINITY], 0).unwrap();
        assert!(p.iter().all(|v| v.is_nan()));
        let p = softmax(&array![f64::NAN, 1.0], 0).unwrap();
        assert!(p.iter().all(|v| v.is_nan()));
        let lse = logsumexp(&array![f64::INFINITY, 1.0], None, false).unwrap();
        assert_eq!(lse[[]], f64::INFINITY);
        let lse = logsumexp(&array![f64::NEG_INFINITY], None, false).unwrap();
        assert_eq!(lse[[]], f64::NEG_INFINITY);
        let empty = ndarray::Array1::<f32>::zeros(0);
        assert_eq!(
            logsumexp(&empty, Some(0), false).unwrap()[[]],
            f32::NEG_INFINITY
        );
        assert_eq!(softmax(&empty, 0).unwrap().len(), 0);
    }

    #[test]
    fn strided_lanes_and_parallel_path_agree() {
        let x = crate::random::Rng::seed(7)
            .normal_matrix::<f64>(300, 257)
            .unwrap();
        let by_cols = softmax(&x, 0).unwrap();
        let by_rows_of_t = softmax(&x.t(), 1).unwrap();
        // Contiguous lanes are summed pairwise, strided ones in order: equal up to rounding.
        for (a, b) in by_cols.t().iter().zip(by_rows_of_t.iter()) {
            assert!((a - b).abs() <= 1e-15);
        }
        let sums = by_cols.sum_axis(Axis(0));
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-12));
    }
}
