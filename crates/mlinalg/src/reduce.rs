//! Reductions with NumPy semantics: [`sum`], [`mean`], [`var`], [`std`](fn@std), [`max`], [`min`],
//! [`argmax`] and [`argmin`], over all elements or along one axis, with `keepdims`.
//!
//! Every function takes `axis: Option<isize>` (`None` reduces all elements, a negative axis counts
//! from the end as in Python) and `keepdims: bool` (keep the reduced axis with length 1, so the
//! result broadcasts against the input). Results are owned arrays in standard layout; a full
//! reduction returns a 0-d array (read it with `result[[]]`).
//!
//! ```
//! use mlinalg::reduce;
//! use ndarray::array;
//!
//! let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! assert_eq!(reduce::sum(&x, None, false)?[[]], 21.0);
//! assert_eq!(reduce::mean(&x, Some(0), false)?, array![2.5, 3.5, 4.5].into_dyn());
//! assert_eq!(reduce::max(&x, Some(-1), true)?, array![[3.0], [6.0]].into_dyn());
//! assert_eq!(reduce::argmax(&x, None, false)?[[]], 5);
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Semantics (as NumPy)
//! - NaN propagates: `sum`, `mean`, `var`, `max`, `min` of a lane holding NaN are NaN;
//!   `argmax`/`argmin` return the index of the first NaN, as `np.argmax` does.
//! - Ties: `argmax`/`argmin` return the first occurrence.
//! - Empty: the sum over nothing is 0 and the mean over nothing is NaN (0/0, as NumPy without its
//!   warning); `var` with `n - ddof <= 0` divides by zero as NumPy does (NaN or infinity).
//!   `max`, `min`, `argmax` and `argmin` over an axis of length zero (or of an empty array with
//!   `axis = None`) are an [`ErrorKind::Empty`] error, where NumPy raises `ValueError`.
//!
//! ## Accuracy: pairwise summation
//! Sums (and so `mean`, `var`, `std`) use NumPy's pairwise summation: blocks of up to 128 terms
//! are added with eight interleaved accumulators, and blocks are combined as a balanced binary
//! tree. The rounding error grows like `O(log n)·ε` instead of `O(n)·ε` for a running sum, which
//! is what makes the mean of a million `f32` values agree with NumPy to about `1e-7` relative.
//! NumPy applies pairwise summation only along the innermost memory axis and accumulates
//! sequentially along the others; mlinalg sums pairwise along every axis (blocks of 32 slices),
//! so its results along outer axes are at least as accurate as NumPy's but may differ from them
//! in the last bits. `var` is the two-pass algorithm NumPy uses: the mean first, then the
//! pairwise sum of squared deviations.
//!
//! Large reductions run in parallel (rayon); the summation tree does not depend on the number
//! of threads, so results are bit-for-bit reproducible.

use ndarray::{
    ArrayBase, ArrayD, ArrayView1, ArrayViewD, Axis, CowArray, Data, Dimension, IxDyn, Zip,
};

use crate::error::{fmt_shape, normalize_axis};
use crate::{Error, ErrorKind, Result, Scalar};

/// Terms per leaf of the pairwise summation tree along a contiguous lane (NumPy's `PW_BLOCKSIZE`).
const PW_BLOCK: usize = 128;
/// Slices per leaf of the pairwise summation tree along an outer (strided) axis.
const AXIS_BLOCK: usize = 32;
/// Work (elements touched) above which a reduction is split across rayon threads.
const PAR_MIN: usize = 1 << 16;

// ---------------------------------------------------------------------------------------------
// Kernels shared with `vector`.
// ---------------------------------------------------------------------------------------------

/// NumPy's pairwise sum of `f(x)` over `s`: blocks of ≤ 128 terms summed with eight
/// accumulators, blocks combined as a binary tree (split points multiples of 8, as NumPy's).
pub(crate) fn pairwise_sum<T: Scalar, F: Fn(T) -> T + Sync>(s: &[T], f: &F) -> T {
    let n = s.len();
    if n < 8 {
        let mut res = T::zero();
        for &x in s {
            res += f(x);
        }
        res
    } else if n <= PW_BLOCK {
        let (head, rest) = s.split_at(8);
        let mut r = [T::zero(); 8];
        for (acc, &x) in r.iter_mut().zip(head) {
            *acc = f(x);
        }
        let body = rest.len() - rest.len() % 8;
        let (body, tail) = rest.split_at(body);
        for chunk in body.chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += f(x);
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in tail {
            res += f(x);
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let (left, right) = s.split_at(n2);
        if n >= PAR_MIN {
            let (l, r) = rayon::join(|| pairwise_sum(left, f), || pairwise_sum(right, f));
            l + r
        } else {
            pairwise_sum(left, f) + pairwise_sum(right, f)
        }
    }
}

/// [`pairwise_sum`] of `f(a[i], b[i])` over two slices of equal length (the shorter one bounds
/// the sum): dot products and squared distances.
pub(crate) fn pairwise_sum2<T: Scalar, F: Fn(T, T) -> T + Sync>(a: &[T], b: &[T], f: &F) -> T {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n < 8 {
        let mut res = T::zero();
        for (&x, &y) in a.iter().zip(b) {
            res += f(x, y);
        }
        res
    } else if n <= PW_BLOCK {
        let mut r = [T::zero(); 8];
        for ((acc, &x), &y) in r.iter_mut().zip(&a[..8]).zip(&b[..8]) {
            *acc = f(x, y);
        }
        let body = 8 + (n - 8) - (n - 8) % 8;
        for (ca, cb) in a[8..body].chunks_exact(8).zip(b[8..body].chunks_exact(8)) {
            for ((acc, &x), &y) in r.iter_mut().zip(ca).zip(cb) {
                *acc += f(x, y);
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (&x, &y) in a[body..].iter().zip(&b[body..]) {
            res += f(x, y);
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let (al, ar) = a.split_at(n2);
        let (bl, br) = b.split_at(n2);
        if n >= PAR_MIN {
            let (l, r) = rayon::join(|| pairwise_sum2(al, bl, f), || pairwise_sum2(ar, br, f));
            l + r
        } else {
            pairwise_sum2(al, bl, f) + pairwise_sum2(ar, br, f)
        }
    }
}

/// Calls `f` with the elements of `lane` as a slice, copying only when the lane is not
/// contiguous in increasing order.
pub(crate) fn with_slice<T: Copy, R>(lane: &ArrayView1<'_, T>, f: impl FnOnce(&[T]) -> R) -> R {
    match lane.as_slice() {
        Some(s) => f(s),
        None => {
            let buf: Vec<T> = lane.iter().copied().collect();
            f(&buf)
        }
    }
}

/// `f` applied to every lane of `v` along axis `k`; the result has `v`'s shape without axis
/// `k`, in standard layout.
pub(crate) fn map_lanes<T, U, F>(v: &ArrayViewD<'_, T>, k: usize, f: F) -> ArrayD<U>
where
    T: Scalar,
    U: Send + Clone,
    F: Fn(ArrayView1<'_, T>) -> U + Sync + Send,
{
    let lanes = v.lanes(Axis(k));
    let out_len = v.len() / v.len_of(Axis(k)).max(1);
    let out = if v.len() >= PAR_MIN && out_len > 1 {
        Zip::from(lanes).par_map_collect(f)
    } else {
        Zip::from(lanes).map_collect(f)
    };
    standard(out)
}

/// Whether axis `k` of `v` is its innermost memory axis (no other axis of length > 1 has a
/// smaller stride), so lanes along it are the cache-friendly way to reduce it.
pub(crate) fn is_inner_axis<T>(v: &ArrayViewD<'_, T>, k: usize) -> bool {
    let sk = v.strides()[k].unsigned_abs();
    if v.shape()[k] <= 1 {
        return true;
    }
    !v.shape()
        .iter()
        .zip(v.strides())
        .enumerate()
        .any(|(j, (&len, &st))| j != k && len > 1 && st.unsigned_abs() < sk)
}

/// Pairwise sum of `f(x, c)` over slices `lo..lo + n` of `v` along axis `k`, elementwise, where
/// `c` is the matching element of `center` (shape of `v` without axis `k`). Vectorised across
/// the other axes: the way to reduce an outer axis without striding through memory.
pub(crate) fn pairwise_axis<T, F>(
    v: &ArrayViewD<'_, T>,
    k: usize,
    lo: usize,
    n: usize,
    center: &ArrayViewD<'_, T>,
    f: &F,
) -> ArrayD<T>
where
    T: Scalar,
    F: Fn(T, T) -> T + Sync,
{
    if n <= AXIS_BLOCK {
        let mut acc = ArrayD::<T>::zeros(center.raw_dim());
        for i in lo..lo + n {
            Zip::from(&mut acc)
                .and(&v.index_axis(Axis(k), i))
                .and(center)
                .for_each(|a, &x, &c| *a += f(x, c));
        }
        acc
    } else {
        let n2 = n / 2;
        let (mut l, r) = if n * center.len() >= PAR_MIN {
            rayon::join(
                || pairwise_axis(v, k, lo, n2, center, f),
                || pairwise_axis(v, k, lo + n2, n - n2, center, f),
            )
        } else {
            (
                pairwise_axis(v, k, lo, n2, center, f),
                pairwise_axis(v, k, lo + n2, n - n2, center, f),
            )
        };
        l += &r;
        l
    }
}

/// Sequential fold over the slices of `v` along axis `k` (which must be non-empty), elementwise:
/// `init` on slice 0, then `update(acc, x, i)` for slice `i`.
pub(crate) fn fold_axis<T, A, I, F>(
    v: &ArrayViewD<'_, T>,
    k: usize,
    init: I,
    update: F,
) -> ArrayD<A>
where
    T: Scalar,
    A: Clone,
    I: Fn(T) -> A,
    F: Fn(&mut A, T, usize),
{
    let mut acc = standard(v.index_axis(Axis(k), 0).map(|&x| init(x)));
    for i in 1..v.len_of(Axis(k)) {
        Zip::from(&mut acc)
            .and(&v.index_axis(Axis(k), i))
            .for_each(|a, &x| update(a, x, i));
    }
    acc
}

/// The array in standard (row-major) layout, copying only if needed.
pub(crate) fn standard<U: Clone>(a: ArrayD<U>) -> ArrayD<U> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Planning: which axis, which shapes.
// ---------------------------------------------------------------------------------------------

/// A reduction resolved against its input: the array to reduce (at least 1-D), the axis of it to
/// reduce, and the shape of the result with `keepdims`.
pub(crate) struct Plan<'a, T> {
    op: &'static str,
    work: CowArray<'a, T, IxDyn>,
    pub(crate) axis: usize,
    keep_shape: Vec<usize>,
    keepdims: bool,
    input_shape: Vec<usize>,
    axis_arg: Option<isize>,
}

impl<'a, T: Scalar> Plan<'a, T> {
    pub(crate) fn new<S, D>(
        op: &'static str,
        a: &'a ArrayBase<S, D>,
        axis: Option<isize>,
        keepdims: bool,
    ) -> Result<Self>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let input_shape = a.shape().to_vec();
        let view = a.view().into_dyn();
        let (work, axis_idx, keep_shape) = match axis {
            Some(ax) => {
                let k = normalize_axis(op, ax, view.ndim())
                    .map_err(|e| e.with_shapes([input_shape.as_slice()]))?;
                let mut keep = input_shape.clone();
                keep[k] = 1;
                (CowArray::from(view), k, keep)
            }
            None => {
                // Flatten in logical (row-major) order: argmax returns flat indices in that order.
                let n = view.len();
                let flat = if view.is_standard_layout() {
                    match view.into_shape_with_order(IxDyn(&[n])) {
                        Ok(v) => CowArray::from(v),
                        Err(e) => return Err(Error::new(ErrorKind::Shape, op, e.to_string())),
                    }
                } else {
                    let buf: Vec<T> = view.iter().copied().collect();
                    CowArray::from(
                        ArrayD::from_shape_vec(IxDyn(&[n]), buf)
                            .map_err(|e| Error::new(ErrorKind::Shape, op, e.to_string()))?,
                    )
                };
                (flat, 0, vec![1; input_shape.len()])
            }
        };
        Ok(Plan {
            op,
            work,
            axis: axis_idx,
            keep_shape,
            keepdims,
            input_shape,
            axis_arg: axis,
        })
    }

    /// Length of the reduced axis.
    pub(crate) fn n(&self) -> usize {
        self.work.len_of(Axis(self.axis))
    }

    pub(crate) fn view(&self) -> ArrayViewD<'_, T> {
        self.work.view()
    }

    /// Shape of the result without `keepdims`.
    pub(crate) fn out_shape(&self) -> Vec<usize> {
        let mut s = self.work.shape().to_vec();
        s.remove(self.axis);
        s
    }

    /// Whether to reduce by slices along an outer axis (vectorised) rather than by lanes.
    pub(crate) fn use_outer(&self) -> bool {
        let v = self.view();
        v.ndim() > 1 && v.len() / self.n().max(1) > 1 && !is_inner_axis(&v, self.axis)
    }

    /// An [`ErrorKind::Empty`] error unless the reduced axis has at least one element.
    pub(crate) fn require_nonempty(&self) -> Result<()> {
        if self.n() > 0 {
            return Ok(());
        }
        let what = match self.axis_arg {
            Some(ax) => format!(
                "cannot reduce axis {ax} of length zero (array of shape {})",
                fmt_shape(&self.input_shape)
            ),
            None => format!(
                "cannot reduce an empty array of shape {}",
                fmt_shape(&self.input_shape)
            ),
        };
        Err(Error::new(ErrorKind::Empty, self.op, what).with_shapes([self.input_shape.as_slice()]))
    }

    /// Applies `keepdims` to a result of shape [`Plan::out_shape`].
    pub(crate) fn finish<U: Clone>(&self, out: ArrayD<U>) -> Result<ArrayD<U>> {
        let out = standard(out);
        if self.keepdims {
            out.into_shape_with_order(IxDyn(&self.keep_shape))
                .map_err(|e| Error::new(ErrorKind::Shape, self.op, e.to_string()))
        } else {
            Ok(out)
        }
    }

    /// Pairwise sum of `f(x)` along the reduced axis.
    pub(crate) fn sum_of<F: Fn(T) -> T + Sync + Send>(&self, f: F) -> ArrayD<T> {
        let v = self.view();
        if self.use_outer() {
            let zero = ArrayD::<T>::zeros(IxDyn(&[]));
            let out_shape = self.out_shape();
            match zero.broadcast(IxDyn(&out_shape)) {
                Some(center) => pairwise_axis(&v, self.axis, 0, self.n(), &center, &|x, _| f(x)),
                // A 0-d array broadcasts to every shape; keep the lane path as a fallback.
                None => map_lanes(&v, self.axis, |lane| {
                    with_slice(&lane, |s| pairwise_sum(s, &f))
                }),
            }
        } else {
            map_lanes(&v, self.axis, |lane| {
                with_slice(&lane, |s| pairwise_sum(s, &f))
            })
        }
    }

    /// Mean and variance (sum of squared deviations over `n - ddof`) along the reduced axis.
    pub(crate) fn mean_var(&self, ddof: usize) -> (ArrayD<T>, ArrayD<T>) {
        let n = self.n();
        let count = T::cast_usize(n);
        let denom = T::cast_usize(n.saturating_sub(ddof));
        let v = self.view();
        if self.use_outer() {
            let mean = self.sum_of(|x| x).mapv(|s| s / count);
            let ss = pairwise_axis(&v, self.axis, 0, n, &mean.view(), &|x, c| {
                let d = x - c;
                d * d
            });
            let var = ss.mapv(|s| s / denom);
            (mean, var)
        } else {
            let both = map_lanes(&v, self.axis, |lane| {
                with_slice(&lane, |s| {
                    let m = pairwise_sum(s, &|x| x) / count;
                    let ss = pairwise_sum(s, &|x| {
                        let d = x - m;
                        d * d
                    });
                    (m, ss / denom)
                })
            });
            (both.mapv(|p| p.0), both.mapv(|p| p.1))
        }
    }

    /// The extreme of `map(x)` along the reduced axis (`better` picks the better of two non-NaN
    /// values), NaN winning. Requires a non-empty axis.
    pub(crate) fn extreme<M, F>(&self, map: M, better: F) -> ArrayD<T>
    where
        M: Fn(T) -> T + Sync + Send,
        F: Fn(T, T) -> bool + Sync + Send,
    {
        let v = self.view();
        if self.use_outer() {
            fold_axis(&v, self.axis, &map, |a: &mut T, x, _| {
                let x = map(x);
                if !a.is_nan() && (x.is_nan() || better(x, *a)) {
                    *a = x;
                }
            })
        } else {
            map_lanes(&v, self.axis, |lane| {
                with_slice(&lane, |s| {
                    let Some((&first, rest)) = s.split_first() else {
                        return T::nan();
                    };
                    let mut best = map(first);
                    for &x in rest {
                        if best.is_nan() {
                            break;
                        }
                        let x = map(x);
                        if x.is_nan() || better(x, best) {
                            best = x;
                        }
                    }
                    best
                })
            })
        }
    }

    /// Index of the extreme element along the reduced axis (first occurrence; first NaN wins).
    pub(crate) fn arg_extreme<F: Fn(T, T) -> bool + Sync + Send>(
        &self,
        better: F,
    ) -> ArrayD<usize> {
        let v = self.view();
        if self.use_outer() {
            fold_axis(
                &v,
                self.axis,
                |x| (x, 0usize),
                |a: &mut (T, usize), x, i| {
                    if !a.0.is_nan() && (x.is_nan() || better(x, a.0)) {
                        *a = (x, i);
                    }
                },
            )
            .mapv(|p| p.1)
        } else {
            map_lanes(&v, self.axis, |lane| {
                with_slice(&lane, |s| arg_extreme(s, &better).1)
            })
        }
    }
}

/// `(value, index)` of the best element of `s` under `better`, first occurrence, first NaN
/// winning. An empty slice gives `(NaN, 0)` (callers check emptiness first).
fn arg_extreme<T: Scalar, F: Fn(T, T) -> bool>(s: &[T], better: &F) -> (T, usize) {
    let Some((&first, rest)) = s.split_first() else {
        return (T::nan(), 0);
    };
    let mut best = (first, 0);
    if first.is_nan() {
        return best;
    }
    for (i, &x) in rest.iter().enumerate() {
        if x.is_nan() {
            return (x, i + 1);
        }
        if better(x, best.0) {
            best = (x, i + 1);
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Public API.
// ---------------------------------------------------------------------------------------------

/// Sum of the elements, over all of them (`axis = None`) or along one axis, as `np.sum`.
///
/// The sum over an empty axis is 0. Pairwise summation (see the [module docs](self)).
///
/// # Errors
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::sum;
/// use ndarray::array;
///
/// let x = array![[1.0_f32, 2.0], [3.0, 4.0]];
/// assert_eq!(sum(&x, None, false)?[[]], 10.0);
/// assert_eq!(sum(&x, Some(0), false)?, array![4.0, 6.0].into_dyn());
/// assert_eq!(sum(&x, Some(-1), true)?, array![[3.0], [7.0]].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn sum<T, S, D>(a: &ArrayBase<S, D>, axis: Option<isize>, keepdims: bool) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("sum", a, axis, keepdims)?;
    plan.finish(plan.sum_of(|x| x))
}

/// Arithmetic mean, over all elements or along one axis, as `np.mean`.
///
/// The mean over an empty axis is NaN (NumPy returns NaN with a warning).
///
/// # Errors
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::mean;
/// use ndarray::array;
///
/// let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// assert_eq!(mean(&x, None, false)?[[]], 3.5);
/// assert_eq!(mean(&x, Some(1), false)?, array![2.0, 5.0].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn mean<T, S, D>(a: &ArrayBase<S, D>, axis: Option<isize>, keepdims: bool) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("mean", a, axis, keepdims)?;
    let count = T::cast_usize(plan.n());
    plan.finish(plan.sum_of(|x| x).mapv(|s| s / count))
}

/// Variance `Σ(x − mean)² / (n − ddof)`, over all elements or along one axis, as
/// `np.var(a, axis, ddof=ddof)`.
///
/// `ddof = 0` is the population variance (NumPy's default), `ddof = 1` the unbiased sample
/// variance (PyTorch's default). When `n − ddof <= 0` the division is by zero, as in NumPy:
/// the result is NaN or infinity. Two-pass algorithm with pairwise sums.
///
/// # Errors
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::var;
/// use ndarray::array;
///
/// let x = array![1.0_f64, 2.0, 3.0, 4.0];
/// assert_eq!(var(&x, None, 0, false)?[[]], 1.25);
/// assert!((var(&x, None, 1, false)?[[]] - 5.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn var<T, S, D>(
    a: &ArrayBase<S, D>,
    axis: Option<isize>,
    ddof: usize,
    keepdims: bool,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("var", a, axis, keepdims)?;
    plan.finish(plan.mean_var(ddof).1)
}

/// Standard deviation, the square root of [`var`], as `np.std(a, axis, ddof=ddof)`.
///
/// # Errors
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::std;
/// use ndarray::array;
///
/// let x = array![[2.0, 4.0], [4.0, 8.0]];
/// assert_eq!(std(&x, Some(0), 0, false)?, array![1.0, 2.0].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn std<T, S, D>(
    a: &ArrayBase<S, D>,
    axis: Option<isize>,
    ddof: usize,
    keepdims: bool,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("std", a, axis, keepdims)?;
    plan.finish(plan.mean_var(ddof).1.mapv(|v| v.sqrt()))
}

/// Largest element, over all elements or along one axis, as `np.max`: NaN if the lane holds a NaN.
///
/// # Errors
/// [`ErrorKind::Empty`] if the reduced axis (or, with `axis = None`, the array) is empty;
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::max;
/// use ndarray::array;
///
/// let x = array![[1.0, 5.0], [7.0, f64::NAN]];
/// assert_eq!(max(&x, Some(1), false)?[[0]], 5.0);
/// assert!(max(&x, None, false)?[[]].is_nan());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn max<T, S, D>(a: &ArrayBase<S, D>, axis: Option<isize>, keepdims: bool) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("max", a, axis, keepdims)?;
    plan.require_nonempty()?;
    plan.finish(plan.extreme(|x| x, |x, best| x > best))
}

/// Smallest element, over all elements or along one axis, as `np.min`: NaN if the lane holds a NaN.
///
/// # Errors
/// [`ErrorKind::Empty`] if the reduced axis (or, with `axis = None`, the array) is empty;
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::min;
/// use ndarray::array;
///
/// let x = array![[1.0, 5.0], [7.0, -2.0]];
/// assert_eq!(min(&x, Some(0), false)?, array![1.0, -2.0].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn min<T, S, D>(a: &ArrayBase<S, D>, axis: Option<isize>, keepdims: bool) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("min", a, axis, keepdims)?;
    plan.require_nonempty()?;
    plan.finish(plan.extreme(|x| x, |x, best| x < best))
}

/// Index of the largest element, as `np.argmax`: the first occurrence on ties, the first NaN if
/// there is one. With `axis = None` the index is into the array flattened in row-major order.
///
/// # Errors
/// [`ErrorKind::Empty`] if the reduced axis (or, with `axis = None`, the array) is empty;
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::argmax;
/// use ndarray::array;
///
/// let logits = array![[0.1, 2.0, 2.0], [3.0, -1.0, 0.0]];
/// assert_eq!(argmax(&logits, Some(1), false)?, array![1, 0].into_dyn());
/// assert_eq!(argmax(&logits, None, false)?[[]], 3);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn argmax<T, S, D>(
    a: &ArrayBase<S, D>,
    axis: Option<isize>,
    keepdims: bool,
) -> Result<ArrayD<usize>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("argmax", a, axis, keepdims)?;
    plan.require_nonempty()?;
    plan.finish(plan.arg_extreme(|x, best| x > best))
}

/// Index of the smallest element, as `np.argmin`: the first occurrence on ties, the first NaN if
/// there is one. With `axis = None` the index is into the array flattened in row-major order.
///
/// # Errors
/// [`ErrorKind::Empty`] if the reduced axis (or, with `axis = None`, the array) is empty;
/// [`ErrorKind::Axis`] if `axis` is out of range.
///
/// ```
/// use mlinalg::reduce::argmin;
/// use ndarray::array;
///
/// let x = array![4.0_f32, 1.0, 1.0, 9.0];
/// assert_eq!(argmin(&x, None, false)?[[]], 1);
/// assert_eq!(argmin(&x, Some(0), true)?, array![1].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn argmin<T, S, D>(
    a: &ArrayBase<S, D>,
    axis: Option<isize>,
    keepdims: bool,
) -> Result<ArrayD<usize>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let plan = Plan::new("argmin", a, axis, keepdims)?;
    plan.require_nonempty()?;
    plan.finish(plan.arg_extreme(|x, best| x < best))
}
