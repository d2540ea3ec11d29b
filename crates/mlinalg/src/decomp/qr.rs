//! The QR decomposition.

use faer_ext::IntoFaer;
use ndarray::{Array2, ArrayBase, Data, Ix2};

use super::finite;
use crate::error::Result;
use crate::matrix::{eye, to_ndarray};
use crate::Scalar;

/// Which QR factors to return, as `np.linalg.qr`'s `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrMode {
    /// `q` (m, k), `r` (k, n) with k = min(m, n): `mode='reduced'`, NumPy's default.
    Reduced,
    /// `q` (m, m), `r` (m, n): `mode='complete'`.
    Complete,
}

/// The factors of `a = q · r`.
#[derive(Clone, Debug, PartialEq)]
pub struct Qr<T> {
    /// Orthonormal columns.
    pub q: Array2<T>,
    /// Upper triangular (trapezoidal when m < n).
    pub r: Array2<T>,
}

/// The QR decomposition, `np.linalg.qr(a, mode)`: `a = q · r` with `q`'s columns orthonormal and
/// `r` upper triangular, by Householder reflections (faer).
///
/// The signs of `r`'s diagonal (and of `q`'s matching columns) are the algorithm's, as in
/// LAPACK, and need not match NumPy's. Errors: NaN or infinity.
///
/// ```
/// use mlinalg::decomp::{qr, QrMode};
/// use mlinalg::matrix::{allclose, mm};
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let f = qr(&a, QrMode::Reduced)?;
/// assert_eq!((f.q.dim(), f.r.dim()), ((3, 2), (2, 2)));
/// assert!(allclose(&mm(&f.q, &f.r)?, &a, 1e-12, 1e-12)?);
/// assert_eq!(qr(&a, QrMode::Complete)?.q.dim(), (3, 3));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn qr<T, S>(a: &ArrayBase<S, Ix2>, mode: QrMode) -> Result<Qr<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "qr";
    finite(OP, a)?;
    let (m, n) = a.dim();
    let k = m.min(n);
    if k == 0 {
        let q = match mode {
            QrMode::Reduced => Array2::zeros((m, 0)),
            QrMode::Complete => eye(m),
        };
        let rows = if mode == QrMode::Reduced { 0 } else { m };
        return Ok(Qr {
            q,
            r: Array2::zeros((rows, n)),
        });
    }
    let f = a.view().into_faer().qr();
    Ok(match mode {
        QrMode::Reduced => Qr {
            q: to_ndarray(f.compute_thin_Q().as_ref()),
            r: upper(to_ndarray(f.thin_R())),
        },
        QrMode::Complete => {
            // faer's R is (k, n); NumPy's complete R is (m, n), zero below row k.
            let mut r = Array2::zeros((m, n));
            r.slice_mut(ndarray::s![..k, ..])
                .assign(&upper(to_ndarray(f.thin_R())));
            Qr {
                q: to_ndarray(f.compute_Q().as_ref()),
                r,
            }
        }
    })
}

/// Zeros below the diagonal (faer may leave Householder data there in some versions).
fn upper<T: Scalar>(mut r: Array2<T>) -> Array2<T> {
    for ((i, j), x) in r.indexed_iter_mut() {
        if i > j {
            *x = T::zero();
        }
    }
    r
}
