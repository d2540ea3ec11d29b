//! The singular value decomposition and what is computed from it.

use faer_ext::IntoFaer;
use ndarray::{Array, Array1, Array2, ArrayBase, Axis, Data, Dimension, Ix2};

use super::{finite, no_convergence, to_array1};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::{eye, mm, to_ndarray};
use crate::Scalar;

/// The factors of `a = u · diag(s) · vt` (NumPy's names).
#[derive(Clone, Debug, PartialEq)]
pub struct Svd<T> {
    /// Left singular vectors as columns: (m, m) full or (m, k) thin, k = min(m, n).
    pub u: Array2<T>,
    /// The k singular values, non-negative and descending.
    pub s: Array1<T>,
    /// Right singular vectors as rows: (n, n) full or (k, n) thin.
    pub vt: Array2<T>,
}

/// The singular value decomposition, `np.linalg.svd(a, full_matrices)`.
///
/// With `full_matrices = false` (the "thin" or economy SVD, what PCA and low-rank work need)
/// `u` is (m, k) and `vt` is (k, n) with k = min(m, n); with `true` they are square.
/// Errors: NaN or infinity in `a` ([`ErrorKind::NonFinite`]), no convergence
/// ([`ErrorKind::NoConvergence`]).
///
/// ```
/// use mlinalg::decomp::svd;
/// use mlinalg::matrix::{allclose, mm};
/// use ndarray::array;
/// let a = array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let f = svd(&a, false)?;
/// assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((3, 2), 2, (2, 2)));
/// let us = &f.u * &f.s; // scales column j of u by s[j]
/// assert!(allclose(&mm(&us, &f.vt)?, &a, 1e-12, 1e-12)?);
/// assert_eq!(svd(&a, true)?.u.dim(), (3, 3));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn svd<T, S>(a: &ArrayBase<S, Ix2>, full_matrices: bool) -> Result<Svd<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "svd";
    finite(OP, a)?;
    let (m, n) = a.dim();
    let k = m.min(n);
    if k == 0 {
        // NumPy: identity factors for the full SVD, empty ones for the thin.
        return Ok(if full_matrices {
            Svd {
                u: eye(m),
                s: Array1::zeros(0),
                vt: eye(n),
            }
        } else {
            Svd {
                u: Array2::zeros((m, 0)),
                s: Array1::zeros(0),
                vt: Array2::zeros((0, n)),
            }
        });
    }
    let af = a.view().into_faer();
    let f = if full_matrices {
        af.svd()
    } else {
        af.thin_svd()
    }
    .map_err(|_| no_convergence(OP, a.shape(), "the SVD"))?;
    let v = f.V();
    Ok(Svd {
        u: to_ndarray(f.U()),
        s: to_array1(f.S().column_vector()),
        vt: Array2::from_shape_fn((v.ncols(), v.nrows()), |(i, j)| v[(j, i)]),
    })
}

/// The singular values only, descending: `scipy.linalg.svdvals(a)`. Cheaper than [`svd`].
///
/// ```
/// use mlinalg::decomp::svdvals;
/// use ndarray::array;
/// let s = svdvals(&array![[3.0, 0.0], [0.0, -4.0]])?;
/// assert_eq!(s.to_vec(), vec![4.0, 3.0]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn svdvals<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array1<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    singular_values("svdvals", a)
}

/// Singular values for `op` (checked, descending; empty for an empty matrix).
pub(crate) fn singular_values<T, S>(op: &'static str, a: &ArrayBase<S, Ix2>) -> Result<Array1<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    finite(op, a)?;
    if a.is_empty() {
        return Ok(Array1::zeros(0));
    }
    let s = a
        .view()
        .into_faer()
        .singular_values()
        .map_err(|_| no_convergence(op, a.shape(), "the SVD"))?;
    Ok(Array1::from(s))
}

/// The Moore-Penrose pseudo-inverse, `np.linalg.pinv(a, rtol=rtol)`: `v · diag(1/σ) · uᵀ` over
/// the singular values above `rtol · σ_max` (the others count as zero).
///
/// `rtol` defaults to NumPy's `max(m, n) · eps`. The result is (n, m). A negative or NaN `rtol`
/// is an [`ErrorKind::InvalidArgument`] error.
///
/// ```
/// use mlinalg::decomp::pinv;
/// use mlinalg::matrix::allclose;
/// use ndarray::array;
/// // Rank 1: no inverse, but a pseudo-inverse.
/// let a = array![[1.0, 2.0], [2.0, 4.0]];
/// assert!(allclose(&pinv(&a, None)?, &(array![[1.0, 2.0], [2.0, 4.0]] / 25.0), 1e-12, 1e-12)?);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn pinv<T, S>(a: &ArrayBase<S, Ix2>, rtol: Option<T>) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "pinv";
    let (m, n) = a.dim();
    let rtol = tolerance(OP, "rtol", rtol, m, n)?;
    let f = svd_for(OP, a)?;
    let cutoff = rtol * f.s.first().copied().unwrap_or(T::zero());
    // v · diag(1/σ) restricted to σ > cutoff, then times uᵀ.
    let r = f.s.iter().take_while(|&&s| s > cutoff).count();
    let mut v_scaled = f.vt.slice(ndarray::s![..r, ..]).t().to_owned();
    for (mut col, &s) in v_scaled.axis_iter_mut(Axis(1)).zip(&f.s) {
        col.mapv_inplace(|x| x / s);
    }
    mm(&v_scaled, &f.u.slice(ndarray::s![.., ..r]).t())
}

/// The thin SVD for functions built on it (checked input, faer errors mapped to `op`).
fn svd_for<T, S>(op: &'static str, a: &ArrayBase<S, Ix2>) -> Result<Svd<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    svd(a, false)
        .map_err(|e| Error::new(e.kind(), op, e.message().to_string()).with_shapes([a.shape()]))
}

/// A relative tolerance: the given one (checked) or NumPy's default `max(m, n) · eps`.
fn tolerance<T: Scalar>(
    op: &'static str,
    name: &str,
    tol: Option<T>,
    m: usize,
    n: usize,
) -> Result<T> {
    match tol {
        Some(t) if t.is_nan() || t < T::zero() => Err(Error::invalid(
            op,
            format!("{name} must be non-negative, got {t}"),
        )),
        Some(t) => Ok(t),
        None => Ok(T::cast_usize(m.max(n)) * T::epsilon()),
    }
}

/// The result of [`lstsq`], as `np.linalg.lstsq` returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Lstsq<T, D: Dimension> {
    /// The minimum-norm least-squares solution: (n,) for a vector `b`, (n, k) for a matrix.
    pub x: Array<T, D>,
    /// Squared 2-norms of the residual columns `b − a·x`: (k,) (or (1,) for a vector `b`) when
    /// `a` has full column rank and m > n, else empty, as NumPy.
    pub residuals: Array1<T>,
    /// The effective rank of `a`: singular values above `rcond · σ_max`.
    pub rank: usize,
    /// The singular values of `a`, descending.
    pub singular_values: Array1<T>,
}

/// The least-squares solution of `a · x ≈ b`, `np.linalg.lstsq(a, b, rcond)`: the `x` of
/// minimum norm among those minimising ‖b − a·x‖₂, through the SVD, with singular values at or
/// below `rcond · σ_max` treated as zero (`rcond` defaults to NumPy's `max(m, n) · eps`).
///
/// `b` is (m,) or (m, k). Errors: `b`'s length differs from `a`'s rows ([`ErrorKind::Shape`]),
/// NaN or infinity in `a` or `b` ([`ErrorKind::NonFinite`]).
///
/// ```
/// use mlinalg::decomp::lstsq;
/// use ndarray::array;
/// // Fit y = c0 + c1 t through (0, 1), (1, 3), (2, 5): exactly y = 1 + 2t.
/// let a = array![[1.0_f64, 0.0], [1.0, 1.0], [1.0, 2.0]];
/// let fit = lstsq(&a, &array![1.0, 3.0, 5.0], None)?;
/// assert!((fit.x[0] - 1.0).abs() < 1e-12 && (fit.x[1] - 2.0).abs() < 1e-12);
/// assert_eq!(fit.rank, 2);
/// assert!(fit.residuals[0] < 1e-20);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn lstsq<T, S1, S2, D>(
    a: &ArrayBase<S1, Ix2>,
    b: &ArrayBase<S2, D>,
    rcond: Option<T>,
) -> Result<Lstsq<T, D>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "lstsq";
    let (m, n) = a.dim();
    if !(b.ndim() == 1 || b.ndim() == 2) || b.shape()[0] != m {
        return Err(Error::shape(
            OP,
            format!(
                "a {} and b {} do not fit: b must be ({m},) or ({m}, k)",
                fmt_shape(a.shape()),
                fmt_shape(b.shape())
            ),
        )
        .with_shapes([a.shape(), b.shape()]));
    }
    crate::matrix::check_finite(OP, "b", b)?;
    let rcond = tolerance(OP, "rcond", rcond, m, n)?;
    let k = b.shape().get(1).copied().unwrap_or(1);
    // b as (m, k); iteration is in logical (row-major) order whatever b's layout.
    let b2 = Array2::from_shape_vec((m, k), b.iter().copied().collect())
        .map_err(|e| Error::new(ErrorKind::Shape, OP, e.to_string()))?;
    let f = svd_for(OP, a)?;
    let cutoff = rcond * f.s.first().copied().unwrap_or(T::zero());
    let rank = f.s.iter().filter(|&&s| s > cutoff).count();
    // x = v_r · diag(1/σ_r) · u_rᵀ · b
    let mut utb = mm(&f.u.slice(ndarray::s![.., ..rank]).t(), &b2)?;
    for (mut row, &s) in utb.axis_iter_mut(Axis(0)).zip(&f.s) {
        row.mapv_inplace(|x| x / s);
    }
    let x2 = if rank == 0 {
        Array2::zeros((n, k))
    } else {
        mm(&f.vt.slice(ndarray::s![..rank, ..]).t(), &utb)?
    };
    let residuals = if rank == n && m > n {
        let r = &b2 - &mm(a, &x2)?;
        r.map_axis(Axis(0), |c| c.iter().map(|&v| v * v).sum())
    } else {
        Array1::zeros(0)
    };
    let x = if b.ndim() == 1 {
        x2.into_shape_with_order(n)
            .map_err(|e| Error::new(ErrorKind::Shape, OP, e.to_string()))?
            .into_dimensionality::<D>()
    } else {
        x2.into_dimensionality::<D>()
    }
    .map_err(|e| Error::new(ErrorKind::Shape, OP, e.to_string()))?;
    Ok(Lstsq {
        x,
        residuals,
        rank,
        singular_values: f.s,
    })
}

/// The 2-norm condition number `σ_max / σ_min`, `np.linalg.cond(a)`: how much relative error
/// in `b` can grow in the solution of `a·x = b`. Infinite for a singular matrix.
///
/// An empty matrix is an [`ErrorKind::Empty`] error (NumPy fails too).
///
/// ```
/// use mlinalg::decomp::cond;
/// use ndarray::array;
/// assert!((cond(&array![[1.0_f64, 0.0], [0.0, 1e-6]])? - 1e6).abs() < 1e-3);
/// assert!(cond(&array![[1.0, 2.0], [2.0, 4.0]])? > 1e15);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cond<T, S>(a: &ArrayBase<S, Ix2>) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "cond";
    let s = singular_values(OP, a)?;
    match (s.first(), s.last()) {
        (Some(&hi), Some(&lo)) => Ok(if lo == T::zero() {
            T::infinity()
        } else {
            hi / lo
        }),
        _ => Err(Error::new(
            ErrorKind::Empty,
            OP,
            format!(
                "the condition number of an empty matrix {} is undefined",
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()])),
    }
}

/// The spectral norm `σ_max`, `np.linalg.norm(a, 2)`: the most `a` stretches a unit vector.
/// Zero for an empty matrix.
///
/// ```
/// use mlinalg::decomp::norm2;
/// use ndarray::array;
/// assert!((norm2(&array![[3.0_f64, 0.0], [0.0, -4.0]])? - 4.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn norm2<T, S>(a: &ArrayBase<S, Ix2>) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    Ok(singular_values("norm2", a)?
        .first()
        .copied()
        .unwrap_or(T::zero()))
}

/// The nuclear norm `Σ σᵢ`, `np.linalg.norm(a, 'nuc')` (the seeds' "singular value energy").
/// Zero for an empty matrix.
///
/// ```
/// use mlinalg::decomp::nuclear_norm;
/// use ndarray::array;
/// assert!((nuclear_norm(&array![[3.0_f64, 0.0], [0.0, -4.0]])? - 7.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn nuclear_norm<T, S>(a: &ArrayBase<S, Ix2>) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    Ok(singular_values("nuclear_norm", a)?.sum())
}
