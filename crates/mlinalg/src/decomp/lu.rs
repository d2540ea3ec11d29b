//! LU with partial pivoting, and Cholesky.

use faer::Side;
use faer_ext::IntoFaer;
use ndarray::{Array2, ArrayBase, Data, Ix2};

use super::finite;
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::{check_square, to_ndarray};
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
    for (i, &src) in fwd.iter().enumerate() {
        p[[src, i]] = T::one();
    }
    let (l, u) = (f.L(), f.U());
    let l = Array2::from_shape_fn((m, k), |(i, j)| {
        if i == j {
            T::one()
        } else if i > j {
            l[(i, j)]
        } else {
            T::zero()
        }
    });
    let u = Array2::from_shape_fn((k, n), |(i, j)| if i <= j { u[(i, j)] } else { T::zero() });
    Ok(Lu { p, l, u })
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
    check_square(OP, a.shape())?;
    finite(OP, a)?;
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
