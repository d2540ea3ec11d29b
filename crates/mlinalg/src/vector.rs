//! Vectors: lengths, alignment and decomposition. [`dot`], [`norm`] (NumPy's
//! `np.linalg.norm`), [`norm_axis`], [`normalize`], cosine similarity for a pair
//! ([`cosine_similarity`]), for all pairs of rows ([`cosine_similarity_matrix`]) and along an
//! axis with broadcasting ([`cosine_similarity_along`], PyTorch's `F.cosine_similarity`),
//! [`angle`], [`project`] / [`reject`], [`outer`], [`hadamard`], and Euclidean distances
//! ([`euclidean_distance`], [`cdist`]).
//!
//! ```
//! use mlinalg::vector::{self, Norm};
//! use ndarray::array;
//!
//! let v = array![3.0, -4.0, 0.0];
//! assert_eq!(vector::norm(&v, Norm::L1)?, 7.0);
//! assert_eq!(vector::norm(&v, Norm::L2)?, 5.0);
//! assert_eq!(vector::norm(&v, Norm::Inf)?, 4.0);
//! assert_eq!(vector::normalize(&v)?, array![0.6, -0.8, 0.0]);
//!
//! let a = array![3.0, 4.0];
//! let b = array![1.0, 0.0];
//! assert_eq!(vector::project(&a, &b)?, array![3.0, 0.0]);
//! assert_eq!(vector::reject(&a, &b)?, array![0.0, 4.0]);
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Numerics
//! - Sums (dot products, norms, distances) use pairwise summation (see [`crate::reduce`]).
//! - The Euclidean norm does not overflow or underflow where the result is representable: if the
//!   sum of squares overflows or falls into the subnormal range, the vector is rescaled by its
//!   largest magnitude first (as LAPACK's `nrm2`). NumPy computes `sqrt(dot(x, x))` and returns
//!   `inf` for `[1e200, 1e200]`; mlinalg returns `1.414e200`.
//! - Cosines are clamped to `[-1, 1]`; [`angle`] uses Kahan's `2·atan2(‖â − b̂‖, ‖â + b̂‖)`,
//!   accurate also for nearly parallel vectors, where `acos` of a rounded cosine is not.
//! - A zero vector where a direction is needed ([`normalize`], [`cosine_similarity`], [`angle`],
//!   [`project`]) is an [`ErrorKind::ZeroVector`] error, not a NaN.
//! - NaN and infinity in the input propagate as in NumPy.

use ndarray::{
    Array1, Array2, ArrayBase, ArrayD, ArrayView2, Axis, Data, Dimension, Ix1, Ix2, IxDyn, Zip,
};

use crate::error::{fmt_shape, normalize_axis};
use crate::reduce::{self, map_lanes, pairwise_sum, pairwise_sum2, with_slice, Plan};
use crate::{broadcast, matrix, Error, ErrorKind, Result, Scalar};

/// The order of a norm, as the `ord` argument of `np.linalg.norm`.
///
/// | variant | vector (1-D) | matrix (2-D) |
/// |---|---|---|
/// | `L1` | `Σ|xᵢ|` | max column sum of `|aᵢⱼ|` |
/// | `L2` | `√Σxᵢ²` | largest singular value (spectral norm) |
/// | `Inf` | `max |xᵢ|` | max row sum of `|aᵢⱼ|` |
/// | `NegInf` | `min |xᵢ|` | min row sum of `|aᵢⱼ|` |
/// | `Zero` | number of non-zero entries | error |
/// | `P(p)` | `(Σ|xᵢ|ᵖ)^(1/p)` for any `p` (negative too, as NumPy) | `p` = ±1, ±2, ±∞ only (−1: min column sum, −2: smallest singular value) |
/// | `Fro` | `√Σxᵢ²` | `√Σaᵢⱼ²` (Frobenius) |
///
/// `P(1.0)`, `P(2.0)`, `P(0.0)`, `P(±∞)` are the same as `L1`, `L2`, `Zero`, `Inf`/`NegInf`.
/// For arrays of other ranks only `Fro` is defined (the 2-norm of all elements).
///
/// The default, `Fro`, is NumPy's `ord=None`: the Euclidean norm of a vector, the Frobenius norm
/// of a matrix, the 2-norm of all elements otherwise. (NumPy rejects `ord='fro'` for vectors;
/// mlinalg accepts it as the Euclidean norm so that the default works for every rank.)
///
/// ```
/// use mlinalg::vector::{norm, Norm};
/// use ndarray::array;
///
/// let m = array![[1.0, -2.0], [3.0, 4.0]];
/// assert_eq!(norm(&m, Norm::L1)?, 6.0);
/// assert_eq!(norm(&m, Norm::Inf)?, 7.0);
/// assert_eq!(norm(&m, Norm::default())?, 30.0_f64.sqrt());
/// assert_eq!(norm(&array![1.0, 0.0, -2.0], Norm::Zero)?, 2.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Norm {
    /// `ord=1`: sum of magnitudes; for matrices the maximum absolute column sum.
    L1,
    /// `ord=2`: Euclidean length; for matrices the largest singular value.
    L2,
    /// `ord=inf`: largest magnitude; for matrices the maximum absolute row sum.
    Inf,
    /// `ord=-inf`: smallest magnitude; for matrices the minimum absolute row sum.
    NegInf,
    /// `ord=0`: the number of non-zero entries (NaN counts as non-zero); vectors only.
    Zero,
    /// `ord=p` for any real `p` (not NaN). Vectors: `(Σ|xᵢ|ᵖ)^(1/p)`; matrices: ±1, ±2, ±∞.
    P(f64),
    /// `ord='fro'` / `ord=None`: the 2-norm of all elements (the default).
    #[default]
    Fro,
}

/// A vector norm order with the aliases of [`Norm::P`] resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
enum VecOrd {
    L1,
    L2,
    Inf,
    NegInf,
    Zero,
    P(f64),
}

impl Norm {
    /// The vector norm this order denotes.
    fn vector_ord(self, op: &'static str) -> Result<VecOrd> {
        Ok(match self {
            Norm::L1 => VecOrd::L1,
            Norm::L2 | Norm::Fro => VecOrd::L2,
            Norm::Inf => VecOrd::Inf,
            Norm::NegInf => VecOrd::NegInf,
            Norm::Zero => VecOrd::Zero,
            Norm::P(p) if p.is_nan() => {
                return Err(Error::invalid(op, "the norm order p is NaN"));
            }
            Norm::P(p) if p == f64::INFINITY => VecOrd::Inf,
            Norm::P(p) if p == f64::NEG_INFINITY => VecOrd::NegInf,
            Norm::P(0.0) => VecOrd::Zero,
            Norm::P(1.0) => VecOrd::L1,
            Norm::P(2.0) => VecOrd::L2,
            Norm::P(p) => VecOrd::P(p),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels.
// ---------------------------------------------------------------------------------------------

/// Whether a sum of squares `ss` lost range (overflowed, or fell where subnormals cost digits)
/// and must be recomputed on rescaled values. NaN never needs it.
fn needs_rescale<T: Scalar>(ss: T) -> bool {
    ss.is_infinite() || (ss < T::min_positive_value() / T::epsilon())
}

/// Euclidean norm of a slice, safe from overflow and underflow (see the module docs).
fn l2_slice<T: Scalar>(s: &[T]) -> T {
    let ss = pairwise_sum(s, &|x| x * x);
    if needs_rescale(ss) {
        l2_rescaled(s, ss)
    } else {
        ss.sqrt()
    }
}

/// The slow path of [`l2_slice`]: `m · √Σ(xᵢ/m)²` with `m = max |xᵢ|`.
fn l2_rescaled<T: Scalar>(s: &[T], ss: T) -> T {
    let mut m = T::zero();
    for &x in s {
        let ax = x.abs();
        if ax.is_nan() {
            return ax;
        }
        if ax > m {
            m = ax;
        }
    }
    if m == T::zero() || m.is_infinite() {
        return if ss.is_infinite() { m } else { ss.sqrt() };
    }
    m * pairwise_sum(s, &|x| {
        let y = x / m;
        y * y
    })
    .sqrt()
}

/// Vector norm of the lanes along the plan's axis (the whole array for `axis = None`).
fn vector_norm_plan<T: Scalar>(plan: &Plan<'_, T>, ord: VecOrd) -> Result<ArrayD<T>> {
    Ok(match ord {
        VecOrd::L1 => plan.sum_of(|x| x.abs()),
        VecOrd::L2 => {
            let ss = plan.sum_of(|x| x * x);
            if ss.iter().any(|&s| needs_rescale(s)) {
                map_lanes(&plan.view(), plan.axis, |lane| with_slice(&lane, l2_slice))
            } else {
                ss.mapv(|s| s.sqrt())
            }
        }
        VecOrd::Zero => plan.sum_of(|x| if x != T::zero() { T::one() } else { T::zero() }),
        VecOrd::P(p) => {
            let pt = T::cast_f64(p);
            let inv = T::cast_f64(1.0 / p);
            plan.sum_of(|x| x.abs().powf(pt)).mapv(|s| s.powf(inv))
        }
        VecOrd::Inf => {
            if plan.n() == 0 {
                // NumPy: abs(x).max(initial=0).
                ArrayD::zeros(IxDyn(&plan.out_shape()))
            } else {
                plan.extreme(|x| x.abs(), |x, best| x > best)
            }
        }
        VecOrd::NegInf => {
            plan.require_nonempty()?;
            plan.extreme(|x| x.abs(), |x, best| x < best)
        }
    })
}

/// The largest (`largest`) or smallest singular value of a matrix, via faer.
fn singular_value<T: Scalar>(op: &'static str, a: ArrayView2<'_, T>, largest: bool) -> Result<T> {
    use faer_ext::IntoFaer;
    if a.is_empty() {
        if largest {
            return Ok(T::zero());
        }
        return Err(Error::new(
            ErrorKind::Empty,
            op,
            format!(
                "the smallest singular value of an empty matrix of shape {} is undefined",
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()]));
    }
    if a.iter().any(|x| !x.is_finite()) {
        let has_nan = a.iter().any(|x| x.is_nan());
        return Ok(if has_nan || !largest {
            T::nan()
        } else {
            T::infinity()
        });
    }
    let sv = a.into_faer().singular_values().map_err(|e| {
        Error::new(
            ErrorKind::NoConvergence,
            op,
            format!("the SVD did not converge: {e:?}"),
        )
        .with_shapes([a.shape()])
    })?;
    let pick = if largest { sv.first() } else { sv.last() };
    Ok(pick.copied().unwrap_or_else(T::zero))
}

/// Matrix norm of a 2-D view (NumPy's 2-D `np.linalg.norm`).
fn matrix_norm<T: Scalar>(op: &'static str, a: ArrayView2<'_, T>, ord: Norm) -> Result<T> {
    let invalid = || {
        Err(
            Error::invalid(op, format!("invalid norm order {ord:?} for matrices"))
                .with_shapes([a.shape()]),
        )
    };
    // Which absolute sums, and max (true) or min (false) of them.
    let (axis, largest) = match ord {
        Norm::Fro => {
            let plan = Plan::new(op, &a, None, false)?;
            return Ok(vector_norm_plan(&plan, VecOrd::L2)?
                .into_iter()
                .next()
                .unwrap_or_else(T::zero));
        }
        Norm::L2 => return singular_value(op, a, true),
        Norm::L1 => (0, true),
        Norm::Inf => (1, true),
        Norm::NegInf => (1, false),
        Norm::P(2.0) => return singular_value(op, a, true),
        Norm::P(-2.0) => return singular_value(op, a, false),
        Norm::P(1.0) => (0, true),
        Norm::P(-1.0) => (0, false),
        Norm::P(p) if p == f64::INFINITY => (1, true),
        Norm::P(p) if p == f64::NEG_INFINITY => (1, false),
        Norm::P(_) | Norm::Zero => return invalid(),
    };
    let abs = a.mapv(|x| x.abs());
    let sums = reduce::sum(&abs, Some(axis), false)?;
    if sums.is_empty() {
        if largest {
            return Ok(T::zero()); // NumPy: max(initial=0)
        }
        return Err(Error::new(
            ErrorKind::Empty,
            op,
            format!(
                "the norm {ord:?} of a matrix of shape {} is a minimum over nothing",
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()]));
    }
    let r = if largest {
        reduce::max(&sums, None, false)?
    } else {
        reduce::min(&sums, None, false)?
    };
    Ok(r.into_iter().next().unwrap_or_else(T::zero))
}

fn length_mismatch(op: &'static str, a: &[usize], b: &[usize]) -> Error {
    Error::shape(
        op,
        format!(
            "shapes {} and {} not aligned: {} (dim 0) != {} (dim 0)",
            fmt_shape(a),
            fmt_shape(b),
            a.first().copied().unwrap_or(0),
            b.first().copied().unwrap_or(0)
        ),
    )
    .with_shapes([a, b])
}

fn zero_vector(op: &'static str, which: &str, shape: &[usize]) -> Error {
    Error::new(
        ErrorKind::ZeroVector,
        op,
        format!("{which} is a zero vector (shape {})", fmt_shape(shape)),
    )
    .with_shapes([shape])
}

/// Calls `f` with both 1-D inputs as slices (copied only when not contiguous).
fn with_pair<T, S1, S2, R>(
    op: &'static str,
    a: &ArrayBase<S1, Ix1>,
    b: &ArrayBase<S2, Ix1>,
    f: impl FnOnce(&[T], &[T]) -> R,
) -> Result<R>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    if a.len() != b.len() {
        return Err(length_mismatch(op, a.shape(), b.shape()));
    }
    Ok(with_slice(&a.view(), |sa| {
        with_slice(&b.view(), |sb| f(sa, sb))
    }))
}

/// `x` clamped to `[-1, 1]`; NaN stays NaN.
fn clamp_unit<T: Scalar>(x: T) -> T {
    if x > T::one() {
        T::one()
    } else if x < -T::one() {
        -T::one()
    } else {
        x
    }
}

/// `dot / (na · nb)` computed without overflow: falls back to `Σ (aᵢ/na)(bᵢ/nb)` when the
/// direct quotient would lose range.
fn cosine_from<T: Scalar>(sa: &[T], sb: &[T], dot: T, na: T, nb: T) -> T {
    let denom = na * nb;
    let c = if dot.is_finite() && denom.is_finite() && denom >= T::min_positive_value() {
        dot / denom
    } else {
        pairwise_sum2(sa, sb, &|x, y| (x / na) * (y / nb))
    };
    clamp_unit(c)
}

/// Cosine of two slices of equal length; zero vectors are errors.
fn cosine_slices<T: Scalar>(
    op: &'static str,
    sa: &[T],
    sb: &[T],
    shapes: (&[usize], &[usize]),
) -> Result<T> {
    let na = l2_slice(sa);
    let nb = l2_slice(sb);
    if na == T::zero() {
        return Err(zero_vector(op, "a", shapes.0).with_shapes([shapes.0, shapes.1]));
    }
    if nb == T::zero() {
        return Err(zero_vector(op, "b", shapes.1).with_shapes([shapes.0, shapes.1]));
    }
    let dot = pairwise_sum2(sa, sb, &|x, y| x * y);
    Ok(cosine_from(sa, sb, dot, na, nb))
}

/// Rows of `a` divided by their Euclidean norms; a zero row is an error naming it.
fn unit_rows<T, S>(
    op: &'static str,
    a: &ArrayBase<S, Ix2>,
    which: Option<&str>,
) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let norms = norm_axis(a, Norm::L2, 1, false)?;
    if let Some(i) = norms.iter().position(|&n| n == T::zero()) {
        let name = match which {
            Some(w) => format!("row {i} of {w}"),
            None => format!("row {i}"),
        };
        return Err(Error::new(
            ErrorKind::ZeroVector,
            op,
            format!("{name} has zero norm (shape {})", fmt_shape(a.shape())),
        )
        .with_shapes([a.shape()]));
    }
    let norms = norms
        .into_shape_with_order(IxDyn(&[a.nrows(), 1]))
        .and_then(|n| n.into_dimensionality::<Ix2>())
        .map_err(|e| Error::shape(op, e.to_string()))?;
    let mut out = Array2::<T>::zeros(a.raw_dim());
    let z = Zip::from(&mut out).and(a).and_broadcast(&norms);
    if a.len() >= 1 << 16 {
        z.par_for_each(|o, &x, &n| *o = x / n);
    } else {
        z.for_each(|o, &x, &n| *o = x / n);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Public API.
// ---------------------------------------------------------------------------------------------

/// Dot product `Σ aᵢbᵢ` of two vectors of equal length, as `np.dot` on 1-D arrays.
///
/// Pairwise summation. NaN and infinity propagate.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ.
///
/// ```
/// use mlinalg::vector::dot;
/// use ndarray::array;
///
/// assert_eq!(dot(&array![1.0, 2.0, 3.0], &array![4.0, 5.0, 6.0])?, 32.0);
/// // Perpendicular vectors have dot product 0.
/// assert_eq!(dot(&array![1.0_f32, 0.0], &array![0.0, 1.0])?, 0.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn dot<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Result<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    with_pair("dot", a, b, |sa, sb| pairwise_sum2(sa, sb, &|x, y| x * y))
}

/// The norm of a vector or matrix, as `np.linalg.norm(a, ord)`: see [`Norm`] for the orders.
///
/// 1-D arrays get vector norms, 2-D arrays matrix norms (the spectral norm `L2` is the largest
/// singular value, computed by faer), other ranks only [`Norm::Fro`] (all elements, flattened).
/// For vector norms along an axis of an n-d array use [`norm_axis`].
///
/// Empty input: norms that are sums or maxima are 0, as in NumPy; minima (`NegInf`, matrix
/// `P(-1.0)`, `P(-2.0)`) are an [`ErrorKind::Empty`] error. NaN propagates; the spectral norm
/// of a matrix holding NaN is NaN and of one holding ±∞ (and no NaN) is ∞, where NumPy's SVD
/// raises "did not converge".
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] for an order not defined for the rank (`Zero` or `P(3.0)`
/// for a matrix, anything but `Fro` for other ranks, `P(NaN)`); [`ErrorKind::Empty`] as above.
///
/// ```
/// use mlinalg::vector::{norm, Norm};
/// use ndarray::array;
///
/// let v = array![3.0_f64, -4.0, 0.0];
/// assert_eq!(norm(&v, Norm::L1)?, 7.0);
/// assert_eq!(norm(&v, Norm::L2)?, 5.0);
/// assert_eq!(norm(&v, Norm::Inf)?, 4.0);
/// assert_eq!(norm(&v, Norm::Zero)?, 2.0);
/// assert!((norm(&v, Norm::P(3.0))? - 91.0_f64.cbrt()).abs() < 1e-12);
///
/// // Spectral norm of a diagonal matrix: its largest |entry|.
/// let m = array![[3.0_f64, 0.0], [0.0, -5.0]];
/// assert!((norm(&m, Norm::L2)? - 5.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn norm<T, S, D>(a: &ArrayBase<S, D>, ord: Norm) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "norm";
    let ord_vec = match a.ndim() {
        1 => ord.vector_ord(OP)?,
        2 => {
            let m = a
                .view()
                .into_dimensionality::<Ix2>()
                .map_err(|e| Error::shape(OP, e.to_string()))?;
            return matrix_norm(OP, m, ord);
        }
        _ if ord == Norm::Fro => VecOrd::L2,
        n => {
            return Err(Error::invalid(
                OP,
                format!("norm order {ord:?} is not defined for a {n}-d array; use Norm::Fro or norm_axis"),
            )
            .with_shapes([a.shape()]));
        }
    };
    let plan = Plan::new(OP, a, None, false)?;
    Ok(vector_norm_plan(&plan, ord_vec)?
        .into_iter()
        .next()
        .unwrap_or_else(T::zero))
}

/// Vector norms of the lanes of `a` along `axis`, as `np.linalg.norm(a, ord, axis=axis,
/// keepdims=keepdims)` with an integer axis.
///
/// Every order of [`Norm`] except the matrix-only meanings is allowed; `Fro` is the Euclidean
/// norm. `keepdims = true` keeps the reduced axis with length 1, so the result divides `a`
/// by broadcasting.
///
/// # Errors
/// [`ErrorKind::Axis`] if `axis` is out of range, [`ErrorKind::InvalidArgument`] for `P(NaN)`,
/// [`ErrorKind::Empty`] for `NegInf` along an empty axis.
///
/// ```
/// use mlinalg::{broadcast, vector::{norm_axis, Norm}};
/// use ndarray::array;
///
/// let x = array![[3.0, 4.0], [6.0, 8.0]];
/// let norms = norm_axis(&x, Norm::L2, 1, true)?;
/// assert_eq!(norms, array![[5.0], [10.0]].into_dyn());
/// let unit = broadcast::div(&x, &norms)?;
/// assert_eq!(unit, array![[0.6, 0.8], [0.6, 0.8]].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn norm_axis<T, S, D>(
    a: &ArrayBase<S, D>,
    ord: Norm,
    axis: isize,
    keepdims: bool,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "norm_axis";
    let ord = ord.vector_ord(OP)?;
    let plan = Plan::new(OP, a, Some(axis), keepdims)?;
    plan.finish(vector_norm_plan(&plan, ord)?)
}

/// The unit vector `a / ‖a‖₂` pointing the way `a` does.
///
/// # Errors
/// [`ErrorKind::ZeroVector`] if `a` is zero (or empty): it has no direction. (NumPy's
/// `a / np.linalg.norm(a)` gives NaN.)
///
/// ```
/// use mlinalg::{vector::normalize, ErrorKind};
/// use ndarray::array;
///
/// assert_eq!(normalize(&array![3.0, -4.0, 0.0])?, array![0.6, -0.8, 0.0]);
/// assert_eq!(normalize(&array![0.0, 0.0]).unwrap_err().kind(), ErrorKind::ZeroVector);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn normalize<T, S>(a: &ArrayBase<S, Ix1>) -> Result<Array1<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let n = with_slice(&a.view(), l2_slice);
    if n == T::zero() {
        return Err(zero_vector("normalize", "the input", a.shape()));
    }
    Ok(a.mapv(|x| x / n))
}

/// Each row of a matrix divided by its Euclidean norm (rows become unit vectors), as
/// `a / np.linalg.norm(a, axis=1, keepdims=True)`.
///
/// # Errors
/// [`ErrorKind::ZeroVector`] naming the first zero row.
///
/// ```
/// use mlinalg::vector::normalize_rows;
/// use ndarray::array;
///
/// let x = array![[3.0, 4.0], [0.0, -2.0]];
/// assert_eq!(normalize_rows(&x)?, array![[0.6, 0.8], [0.0, -1.0]]);
/// let err = normalize_rows(&array![[1.0, 0.0], [0.0, 0.0]]).unwrap_err();
/// assert!(err.to_string().contains("row 1"));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn normalize_rows<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    unit_rows("normalize_rows", a, None)
}

/// Cosine similarity `a·b / (‖a‖ ‖b‖)` of two vectors: 1 for the same direction, 0 for
/// perpendicular, −1 for opposite. Clamped to `[-1, 1]`.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ, [`ErrorKind::ZeroVector`] if either vector is
/// zero (the cosine is undefined; NumPy's formula gives NaN).
///
/// ```
/// use mlinalg::vector::cosine_similarity;
/// use ndarray::array;
///
/// let king = array![0.9_f64, 0.1, 0.8];
/// let queen = array![0.85, 0.15, 0.75];
/// assert!((cosine_similarity(&king, &queen)? - 0.9990).abs() < 1e-3);
/// // Magnitude does not matter, only direction.
/// assert!((cosine_similarity(&king, &(&king * 100.0))? - 1.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cosine_similarity<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Result<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    const OP: &str = "cosine_similarity";
    with_pair(OP, a, b, |sa, sb| {
        cosine_slices(OP, sa, sb, (a.shape(), b.shape()))
    })?
}

/// Cosine similarity of every row of `a` (m × d) with every row of `b` (n × d): an m × n
/// matrix, as `sklearn.metrics.pairwise.cosine_similarity(a, b)`.
///
/// Rows are normalised, then multiplied with one GEMM ([`matrix::mm`]); entries are clamped to
/// `[-1, 1]`. Accuracy: each entry is within about `d·ε` of the exact cosine.
///
/// # Errors
/// [`ErrorKind::Shape`] if the column counts differ; [`ErrorKind::ZeroVector`] naming the first
/// zero row (of `a`, then of `b`). This differs from scikit-learn, which returns 0 for zero
/// rows; to get that behaviour use [`cosine_similarity_along`] with an `eps`, which divides by
/// `max(‖x‖, eps)`.
///
/// ```
/// use mlinalg::vector::cosine_similarity_matrix;
/// use ndarray::array;
///
/// let a = array![[1.0_f64, 0.0], [0.0, 2.0]];
/// let b = array![[3.0, 0.0], [1.0, 1.0], [-1.0, 0.0]];
/// let s = cosine_similarity_matrix(&a, &b)?;
/// assert_eq!(s.shape(), &[2, 3]);
/// assert!((s[[0, 0]] - 1.0).abs() < 1e-12);
/// assert!((s[[1, 1]] - 0.5_f64.sqrt()).abs() < 1e-12);
/// assert!((s[[0, 2]] + 1.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cosine_similarity_matrix<T, S1, S2>(
    a: &ArrayBase<S1, Ix2>,
    b: &ArrayBase<S2, Ix2>,
) -> Result<Array2<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    const OP: &str = "cosine_similarity_matrix";
    if a.ncols() != b.ncols() {
        return Err(Error::shape(
            OP,
            format!(
                "shapes {} and {} have different numbers of columns: {} != {}",
                fmt_shape(a.shape()),
                fmt_shape(b.shape()),
                a.ncols(),
                b.ncols()
            ),
        )
        .with_shapes([a.shape(), b.shape()]));
    }
    let an = unit_rows(OP, a, Some("a"))?;
    let bn = unit_rows(OP, b, Some("b"))?;
    let mut s = matrix::mm(&an, &bn.t())?;
    s.mapv_inplace(clamp_unit);
    Ok(s)
}

/// Cosine similarity along `axis`, as `torch.nn.functional.cosine_similarity(a, b, dim=axis,
/// eps=eps)`: `a` and `b` are first broadcast to a common shape (NumPy rules), then for every
/// lane along `axis` of that shape the result is `a·b / (max(‖a‖, eps) · max(‖b‖, eps))`.
///
/// The result has the broadcast shape without `axis`. Because the norms are taken after
/// broadcasting, shapes like `(4, 1, 8)` and `(3, 8)` along `-1` give a `(4, 3)` result of
/// row-pair cosines. Zero lanes give 0 (for `eps > 0`), the PyTorch behaviour; PyTorch's usual
/// `eps` is `1e-8`. Results are clamped to `[-1, 1]`.
///
/// # Errors
/// [`ErrorKind::Broadcast`] if the shapes do not broadcast, [`ErrorKind::Axis`] if `axis` is
/// out of range for the broadcast shape, [`ErrorKind::InvalidArgument`] if `eps` is negative
/// or NaN.
///
/// ```
/// use mlinalg::vector::cosine_similarity_along;
/// use ndarray::{array, Array3};
///
/// let queries = Array3::from_shape_fn((4, 1, 8), |(i, _, k)| (i + k) as f64);
/// let keys = array![[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
///                   [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
///                   [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]];
/// let s = cosine_similarity_along(&queries, &keys, -1, 1e-8)?;
/// assert_eq!(s.shape(), &[4, 3]);
/// assert_eq!(s[[0, 0]], 0.0); // query 0 is [0, 1, ..., 7]: perpendicular to e₀
///
/// let zero = array![0.0, 0.0];
/// assert_eq!(cosine_similarity_along(&zero, &array![1.0, 2.0], 0, 1e-8)?[[]], 0.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cosine_similarity_along<T, S1, S2, D1, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    axis: isize,
    eps: T,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    const OP: &str = "cosine_similarity_along";
    if eps.is_nan() || eps < T::zero() {
        return Err(Error::invalid(OP, format!("eps must be >= 0, got {eps}")));
    }
    let (av, bv) = broadcast::broadcast_pair(OP, a, b)?;
    let k =
        normalize_axis(OP, axis, av.ndim()).map_err(|e| e.with_shapes([a.shape(), b.shape()]))?;
    let lane_cos = |la: ndarray::ArrayView1<'_, T>, lb: ndarray::ArrayView1<'_, T>| {
        with_slice(&la, |sa| {
            with_slice(&lb, |sb| {
                let na = l2_slice(sa).max(eps);
                let nb = l2_slice(sb).max(eps);
                let dot = pairwise_sum2(sa, sb, &|x, y| x * y);
                cosine_from(sa, sb, dot, na, nb)
            })
        })
    };
    let zip = Zip::from(av.lanes(Axis(k))).and(bv.lanes(Axis(k)));
    let out = if av.len() >= 1 << 16 {
        zip.par_map_collect(lane_cos)
    } else {
        zip.map_collect(lane_cos)
    };
    Ok(reduce::standard(out))
}

/// Unit of an [`angle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AngleUnit {
    /// Radians, in `[0, π]`.
    Radians,
    /// Degrees, in `[0, 180]`.
    Degrees,
}

/// The angle between two vectors, `arccos(a·b / (‖a‖ ‖b‖))`, in `[0, π]` or `[0°, 180°]`.
///
/// Computed as `2·atan2(‖â − b̂‖, ‖â + b̂‖)` on the unit vectors (Kahan), which equals the
/// arccosine but stays accurate for nearly parallel or opposite vectors.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ, [`ErrorKind::ZeroVector`] if either is zero.
///
/// ```
/// use mlinalg::vector::{angle, AngleUnit};
/// use ndarray::array;
///
/// let a = array![1.0_f64, 0.0];
/// let c = array![1.0, 1.0];
/// assert!((angle(&a, &c, AngleUnit::Degrees)? - 45.0).abs() < 1e-12);
/// assert!((angle(&a, &array![0.0, 1.0], AngleUnit::Radians)? - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn angle<T, S1, S2>(
    a: &ArrayBase<S1, Ix1>,
    b: &ArrayBase<S2, Ix1>,
    unit: AngleUnit,
) -> Result<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    const OP: &str = "angle";
    let theta = with_pair(OP, a, b, |sa, sb| {
        let na = l2_slice(sa);
        let nb = l2_slice(sb);
        if na == T::zero() {
            return Err(zero_vector(OP, "a", a.shape()).with_shapes([a.shape(), b.shape()]));
        }
        if nb == T::zero() {
            return Err(zero_vector(OP, "b", b.shape()).with_shapes([a.shape(), b.shape()]));
        }
        let diff = pairwise_sum2(sa, sb, &|x, y| {
            let d = x / na - y / nb;
            d * d
        });
        let sum = pairwise_sum2(sa, sb, &|x, y| {
            let s = x / na + y / nb;
            s * s
        });
        Ok(T::cast_f64(2.0) * diff.sqrt().atan2(sum.sqrt()))
    })??;
    Ok(match unit {
        AngleUnit::Radians => theta,
        AngleUnit::Degrees => theta.to_degrees(),
    })
}

/// The component of `a` along `b`: `(a·b̂) b̂` with `b̂ = b / ‖b‖`.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ, [`ErrorKind::ZeroVector`] if `b` is zero.
///
/// ```
/// use mlinalg::vector::project;
/// use ndarray::array;
///
/// assert_eq!(project(&array![3.0, 4.0], &array![1.0, 0.0])?, array![3.0, 0.0]);
/// assert_eq!(project(&array![3.0, 4.0], &array![0.0, -2.0])?, array![0.0, 4.0]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn project<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Result<Array1<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    const OP: &str = "project";
    with_pair(OP, a, b, |sa, sb| {
        let nb = l2_slice(sb);
        if nb == T::zero() {
            return Err(zero_vector(OP, "b", b.shape()).with_shapes([a.shape(), b.shape()]));
        }
        let s = pairwise_sum2(sa, sb, &|x, y| x * (y / nb));
        Ok(sb.iter().map(|&y| s * (y / nb)).collect::<Array1<T>>())
    })?
}

/// The component of `a` perpendicular to `b`: `a − project(a, b)`.
///
/// # Errors
/// As [`project`].
///
/// ```
/// use mlinalg::vector::{dot, reject};
/// use ndarray::array;
///
/// let b = array![1.0, 0.0];
/// let perp = reject(&array![3.0, 4.0], &b)?;
/// assert_eq!(perp, array![0.0, 4.0]);
/// assert_eq!(dot(&perp, &b)?, 0.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn reject<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Result<Array1<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    let p = project(a, b)
        .map_err(|e| Error::new(e.kind(), "reject", e.message()).with_shapes(e.shapes()))?;
    Ok(Zip::from(a).and(&p).map_collect(|&x, &y| x - y))
}

/// Outer product: the `m × n` matrix with entries `aᵢ bⱼ` (rank one unless a factor is zero),
/// as `np.outer`.
///
/// # Panics
/// Only if `m · n` overflows `isize` (as any ndarray allocation of that size).
///
/// ```
/// use mlinalg::vector::outer;
/// use ndarray::array;
///
/// let o = outer(&array![1.0, 2.0, 3.0], &array![4.0, 5.0]);
/// assert_eq!(o, array![[4.0, 5.0], [8.0, 10.0], [12.0, 15.0]]);
/// ```
pub fn outer<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Array2<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    let mut out = Array2::<T>::zeros((a.len(), b.len()));
    Zip::from(out.rows_mut()).and(a).for_each(|mut row, &x| {
        Zip::from(&mut row).and(b).for_each(|o, &y| *o = x * y);
    });
    out
}

/// Elementwise (Hadamard) product `a ⊙ b` with NumPy broadcasting: what `a * b` means in
/// NumPy and PyTorch, not the matrix product.
///
/// # Errors
/// [`ErrorKind::Broadcast`] if the shapes do not broadcast.
///
/// ```
/// use mlinalg::vector::hadamard;
/// use ndarray::array;
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let b = array![[5.0, 6.0], [7.0, 8.0]];
/// assert_eq!(hadamard(&a, &b)?, array![[5.0, 12.0], [21.0, 32.0]].into_dyn());
/// // A forget gate applied to a cell state.
/// let gate = array![0.5_f32, 0.0, 1.0];
/// assert_eq!(hadamard(&gate, &array![2.0, 5.0, 1.0])?, array![1.0, 0.0, 1.0].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn hadamard<T, S1, S2, D1, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    broadcast::zip_with("hadamard", a, b, |x: T, y: T| x * y)
}

/// `Σ (aᵢ − bᵢ)²` accumulated in `f64` (pairwise), for slices already converted.
fn sq_dist_f64(a: &[f64], b: &[f64]) -> f64 {
    pairwise_sum2(a, b, &|x, y| {
        let d = x - y;
        d * d
    })
}

/// Euclidean distance `‖a − b‖₂`, as `scipy.spatial.distance.euclidean`.
///
/// Accumulated in `f64` (also for `f32` input) and safe from overflow.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ.
///
/// ```
/// use mlinalg::vector::euclidean_distance;
/// use ndarray::array;
///
/// assert_eq!(euclidean_distance(&array![0.0, 0.0], &array![3.0, 4.0])?, 5.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn euclidean_distance<T, S1, S2>(a: &ArrayBase<S1, Ix1>, b: &ArrayBase<S2, Ix1>) -> Result<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    with_pair("euclidean_distance", a, b, |sa, sb| {
        let diff: Vec<f64> = sa
            .iter()
            .zip(sb)
            .map(|(&x, &y)| x.as_f64() - y.as_f64())
            .collect();
        T::cast_f64(l2_slice(&diff))
    })
}

/// Squared Euclidean distance `‖a − b‖₂²` (scipy's `sqeuclidean`), accumulated in `f64`.
///
/// # Errors
/// [`ErrorKind::Shape`] if the lengths differ.
///
/// ```
/// use mlinalg::vector::squared_euclidean_distance;
/// use ndarray::array;
///
/// assert_eq!(squared_euclidean_distance(&array![1.0_f32, 1.0], &array![4.0, 5.0])?, 25.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn squared_euclidean_distance<T, S1, S2>(
    a: &ArrayBase<S1, Ix1>,
    b: &ArrayBase<S2, Ix1>,
) -> Result<T>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    with_pair("squared_euclidean_distance", a, b, |sa, sb| {
        let fa: Vec<f64> = sa.iter().map(|x| x.as_f64()).collect();
        let fb: Vec<f64> = sb.iter().map(|x| x.as_f64()).collect();
        T::cast_f64(sq_dist_f64(&fa, &fb))
    })
}

/// Squared distances of all pairs of rows, in `f64`: the GEMM expansion with the accuracy
/// fix-ups described at [`cdist_squared`].
fn cdist_sq_impl<T, S1, S2>(
    op: &'static str,
    a: &ArrayBase<S1, Ix2>,
    b: &ArrayBase<S2, Ix2>,
) -> Result<Array2<f64>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    let (m, d) = a.dim();
    let (n, db) = b.dim();
    if d != db {
        return Err(Error::shape(
            op,
            format!(
                "shapes {} and {} have different numbers of columns: {} != {}",
                fmt_shape(a.shape()),
                fmt_shape(b.shape()),
                d,
                db
            ),
        )
        .with_shapes([a.shape(), b.shape()]));
    }
    let mut out = Array2::<f64>::zeros((m, n));
    if m == 0 || n == 0 || d == 0 {
        return Ok(out);
    }
    let a64 = a.mapv(|x| x.as_f64());
    let b64 = b.mapv(|x| x.as_f64());
    let finite = |r: ndarray::ArrayView1<'_, f64>| r.iter().all(|x| x.is_finite());
    let fa: Vec<bool> = a64.rows().into_iter().map(finite).collect();
    let fb: Vec<bool> = b64.rows().into_iter().map(finite).collect();

    // Centre both sets on the mean of their finite rows: distances do not change, norms shrink,
    // and with them the cancellation error of ‖a‖² + ‖b‖² − 2a·b.
    let mut mu = Array1::<f64>::zeros(d);
    let mut count = 0usize;
    for (row, &ok) in a64
        .rows()
        .into_iter()
        .zip(&fa)
        .chain(b64.rows().into_iter().zip(&fb))
    {
        if ok {
            mu += &row;
            count += 1;
        }
    }
    if count > 0 {
        mu /= count as f64;
    }
    let centre = |x: &Array2<f64>, ok: &[bool]| {
        let mut c = x - &mu.view().insert_axis(Axis(0));
        for (mut row, &good) in c.rows_mut().into_iter().zip(ok) {
            if !good {
                row.fill(0.0);
            }
        }
        c
    };
    let ac = centre(&a64, &fa);
    let bc = centre(&b64, &fb);
    let sq = |x: &Array2<f64>| -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|r| with_slice(&r, |s| pairwise_sum(s, &|v| v * v)))
            .collect()
    };
    let aa = sq(&ac);
    let bb = sq(&bc);
    let g = matrix::mm(&ac, &bc.t())?;

    // Entries below THETA·(‖a'‖² + ‖b'‖²) lost too many digits to cancellation: recompute them
    // directly from the (unshifted) inputs, as do entries of rows holding NaN or ±∞.
    let theta = if T::DTYPE == "float32" {
        2f64.powi(-16)
    } else {
        0.25
    };
    let fill = |i: usize, mut row: ndarray::ArrayViewMut1<'_, f64>| {
        let ai = a64.row(i);
        for (j, o) in row.iter_mut().enumerate() {
            let scale = aa[i] + bb[j];
            let v = scale - 2.0 * g[[i, j]];
            *o = if fa[i] && fb[j] && v >= theta * scale {
                v
            } else {
                with_slice(&ai, |x| with_slice(&b64.row(j), |y| sq_dist_f64(x, y)))
            };
        }
    };
    if m * n * d >= 1 << 16 {
        Zip::indexed(out.rows_mut()).par_for_each(fill);
    } else {
        Zip::indexed(out.rows_mut()).for_each(fill);
    }
    Ok(out)
}

/// Squared Euclidean distances between every row of `a` (m × d) and every row of `b` (n × d):
/// an m × n matrix, as `scipy.spatial.distance.cdist(a, b, 'sqeuclidean')`.
///
/// ## Method and accuracy
/// Computed in `f64` (also for `f32` input, as scikit-learn does) by the GEMM expansion
/// `‖a‖² + ‖b‖² − 2 a·b` ([`matrix::mm`]) after centring both sets on the mean of their rows
/// (distances do not change, norms shrink). The expansion loses relative accuracy where the
/// distance is small compared with the norms, so every entry with
/// `d² < θ·(‖a'‖² + ‖b'‖²)` (primes: centred) is recomputed directly as `Σ(aₖ − bₖ)²`, as are
/// entries of rows holding NaN or ±∞ (which then propagate exactly as in scipy).
/// With `θ = 1/4` for `f64`, an entry's relative error is at most about `4·(2d + 5)·2⁻⁵³`
/// (worst case; typical errors are far smaller); with `θ = 2⁻¹⁶` for `f32` it is at most about
/// `(2d + 5)·2⁻³⁷` before the final rounding to `f32`, so below one `f32` rounding for
/// `d ≲ 4000`. Identical rows give exactly 0.
///
/// # Errors
/// [`ErrorKind::Shape`] if the column counts differ.
///
/// ```
/// use mlinalg::vector::cdist_squared;
/// use ndarray::array;
///
/// let a = array![[0.0, 0.0], [1.0, 1.0]];
/// let b = array![[3.0, 4.0]];
/// assert_eq!(cdist_squared(&a, &b)?, array![[25.0], [13.0]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cdist_squared<T, S1, S2>(a: &ArrayBase<S1, Ix2>, b: &ArrayBase<S2, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    Ok(cdist_sq_impl("cdist_squared", a, b)?.mapv(T::cast_f64))
}

/// Euclidean distances between every row of `a` (m × d) and every row of `b` (n × d): an
/// m × n matrix, as `scipy.spatial.distance.cdist(a, b)` (metric `'euclidean'`).
///
/// The square root of [`cdist_squared`] (taken in `f64`); see there for method and accuracy.
///
/// # Errors
/// [`ErrorKind::Shape`] if the column counts differ.
///
/// ```
/// use mlinalg::vector::cdist;
/// use ndarray::array;
///
/// let points = array![[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]];
/// let d = cdist(&points, &points)?;
/// assert_eq!(d.row(0), array![0.0, 5.0, 10.0]);
/// assert_eq!(d[[1, 1]], 0.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cdist<T, S1, S2>(a: &ArrayBase<S1, Ix2>, b: &ArrayBase<S2, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    Ok(cdist_sq_impl("cdist", a, b)?.mapv(|v| T::cast_f64(v.sqrt())))
}
