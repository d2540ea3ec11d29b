//! LU with partial pivoting, and Cholesky.

use faer::Side;
use faer_ext::IntoFaer;
use ndarray::{Array2, ArrayBase, Data, Ix2};

use super::{finite, square_finite};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::to_ndarray;
use crate::Scalar;

/// The factors of `a = p · l · u` (SciPy's names and convention).
#[derive(Clone, Debug, PartialEq)]
pub struct Lu<T> {
    /// The (m, m) permutation matrix.
    pub p: Array2<T>,
    /// (m, k) unit lower triangular (trapezoidal), k = min(m, n).
    pub l: Array2<T>,
    /// (k, n) upper triangular (trapezoidal).
    pub u: Array2<T>,
}

/// The LU decomposition with partial (row) pivoting, `scipy.linalg.lu(a)`: `a = p · l · u`.
///
/// Any shape. A singular matrix factors fine (some of `u`'s diagonal is zero); use
/// [`crate::matrix::solve`] or [`crate::matrix::det`] to solve or test invertibility.
/// Errors: NaN or infinity.
///
/// ```
/// use mlinalg::decomp::lu;
/// use mlinalg::matrix::{allclose, mm};
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let f = lu(&a)?;
/// assert!(allclose(&mm(&f.p, &mm(&f.l, &f.u)?)?, &a, 1e-12, 1e-12)?);
/// assert_eq!(f.l[[0, 0]], 1.0); // unit diagonal
/// assert_eq!(f.p, array![[0.0, 1.0], [1.0, 0.0]]); // 3 > 1: the rows were swapped
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn lu<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Lu<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "lu";
    finite(OP, a)?;
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut p = Array2::zeros((m, m));
    if k == 0 {
        for i in 0..m {
            p[[i, i]] = T::one();
        }
        return Ok(Lu {
            p,
            l: Array2::zeros((m, 0)),
            u: Array2::zeros((0, n)),
        });
    }
    let f = a.view().into_faer().partial_piv_lu();
    // faer: P·A = L·U with (P·A)[i] = A[fwd[i]]; so A = Pᵀ·L·U and p[fwd[i], i] = 1.
    let (fwd, _) = f.P().arrays();
    let (lf, uf) = (f.L(), f.U());
    let mut l = Array2::from_shape_fn((m, k), |(i, j)| {
        if i == j {
            T::one()
        } else if i > j {
            lf[(i, j)]
        } else {
            T::zero()
        }
    });
    let mut u = Array2::from_shape_fn((k, n), |(i, j)| if i <= j { uf[(i, j)] } else { T::zero() });
    let mut rows: Vec<usize> = fwd.to_vec();
    if l.iter().chain(u.iter()).any(|x| !x.is_finite()) {
        // A pivot column that is entirely zero: faer divides by the zero pivot. Factor again
        // the way LAPACK's getrf does, leaving such a column of L at zero.
        (rows, l, u) = lu_unblocked(a);
    }
    for (i, &src) in rows.iter().enumerate() {
        p[[src, i]] = T::one();
    }
    Ok(Lu { p, l, u })
}

/// Right-looking LU with partial pivoting, one column at a time (LAPACK's getf2): for the rare
/// matrices with an all-zero pivot column, which it skips instead of dividing by zero. Returns
/// the source row of each factored row, L (m, k) and U (k, n).
fn lu_unblocked<T, S>(a: &ArrayBase<S, Ix2>) -> (Vec<usize>, Array2<T>, Array2<T>)
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut w = a.to_owned();
    let mut rows: Vec<usize> = (0..m).collect();
    for j in 0..k {
        let pivot = (j..m).fold(j, |best, i| {
            if w[[i, j]].abs() > w[[best, j]].abs() {
                i
            } else {
                best
            }
        });
        if pivot != j {
            for c in 0..n {
                w.swap([j, c], [pivot, c]);
            }
            rows.swap(j, pivot);
        }
        let d = w[[j, j]];
        if d == T::zero() {
            continue; // the whole column below is zero too: nothing to eliminate
        }
        for i in j + 1..m {
            let factor = w[[i, j]] / d;
            w[[i, j]] = factor;
            for c in j + 1..n {
                let t = w[[j, c]];
                w[[i, c]] -= factor * t;
            }
        }
    }
    let l = Array2::from_shape_fn((m, k), |(i, j)| match i.cmp(&j) {
        std::cmp::Ordering::Equal => T::one(),
        std::cmp::Ordering::Greater => w[[i, j]],
        std::cmp::Ordering::Less => T::zero(),
    });
    let u = Array2::from_shape_fn((k, n), |(i, j)| if i <= j { w[[i, j]] } else { T::zero() });
    (rows, l, u)
}

/// The Cholesky factor of a symmetric positive definite matrix, `np.linalg.cholesky(a)`: the
/// lower triangular `l` with positive diagonal and `a = l · lᵀ`.
///
/// Reads the lower triangle of `a`, as NumPy. A matrix that is not positive definite is an
/// [`ErrorKind::NotPositiveDefinite`] error naming the failing pivot; non-square `a` is an
/// [`ErrorKind::Shape`] error.
///
/// ```
/// use mlinalg::decomp::cholesky;
/// use mlinalg::ErrorKind;
/// use ndarray::array;
/// let l = cholesky(&array![[4.0, 2.0], [2.0, 5.0]])?;
/// assert_eq!(l, array![[2.0, 0.0], [1.0, 2.0]]);
/// let e = cholesky(&array![[1.0, 2.0], [2.0, 1.0]]).unwrap_err(); // eigenvalues 3 and -1
/// assert_eq!(e.kind(), ErrorKind::NotPositiveDefinite);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn cholesky<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "cholesky";
    square_finite(OP, a)?;
    if a.is_empty() {
        return Ok(Array2::zeros((0, 0)));
    }
    match a.view().into_faer().llt(Side::Lower) {
        Ok(f) => {
            let l = to_ndarray(f.L());
            Ok(Array2::from_shape_fn(l.dim(), |(i, j)| {
                if i >= j {
                    l[[i, j]]
                } else {
                    T::zero()
                }
            }))
        }
        Err(faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index }) => {
            Err(Error::new(
                ErrorKind::NotPositiveDefinite,
                OP,
                format!(
                    "matrix of shape {} is not positive definite (pivot {index} is not positive)",
                    fmt_shape(a.shape())
                ),
            )
            .with_shapes([a.shape()]))
        }
    }
}
