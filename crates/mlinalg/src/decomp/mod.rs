//! Matrix decompositions: SVD, symmetric and general eigendecomposition, QR, LU, Cholesky, and
//! what is built on them (pseudo-inverse, least squares, condition number, spectral and nuclear
//! norms). faer does the factorising; this module checks inputs, follows NumPy's conventions and
//! returns standard-layout `ndarray` arrays.
//!
//! | function | NumPy / SciPy | notes |
//! |---|---|---|
//! | [`svd`] | `np.linalg.svd(a, full_matrices)` | `u`, `s` (descending), `vt` |
//! | [`randomized_svd`], [`svd_flip`] | `sklearn.utils.extmath.randomized_svd`, `svd_flip` | top-k by random projection |
//! | [`partial_svd`] | `scipy.sparse.linalg.svds(a, k)` | top-k by block Krylov (Lanczos), to a residual tolerance; descending |
//! | [`svdvals`] | `scipy.linalg.svdvals`, `np.linalg.svd(a, compute_uv=False)` | values only: faster |
//! | [`eigh`], [`eigvalsh`] | `np.linalg.eigh`, `np.linalg.eigvalsh` | ascending; reads the lower triangle |
//! | [`eig`], [`eigvals`] | `np.linalg.eig`, `np.linalg.eigvals` | complex; unit-norm vectors |
//! | [`qr`] | `np.linalg.qr(a, mode)` | `Reduced` or `Complete` |
//! | [`lu`] | `scipy.linalg.lu` | `a = p @ l @ u`, partial pivoting |
//! | [`cholesky`] | `np.linalg.cholesky` | lower `l` with `a = l @ l.T` |
//! | [`pinv`] | `np.linalg.pinv(a, rtol)` | cut-off `rtol · σ_max` |
//! | [`lstsq`] | `np.linalg.lstsq(a, b, rcond)` | minimum-norm solution, via the SVD |
//! | [`cond`] | `np.linalg.cond(a)` | `σ_max / σ_min`; infinite when singular |
//! | [`norm2`], [`nuclear_norm`] | `np.linalg.norm(a, 2)`, `np.linalg.norm(a, 'nuc')` | `σ_max`, `Σ σ` |
//!
//! Rules shared by every function here:
//! - NaN or infinity in the input is an [`ErrorKind::NonFinite`]
//!   error (LAPACK would return garbage or fail to converge); an iteration that does not converge
//!   is an [`ErrorKind::NoConvergence`] error.
//! - Empty matrices are accepted where NumPy accepts them and give empty factors.
//! - Signs (and for [`eig`], phases) of singular vectors and eigenvectors are those faer computes:
//!   like LAPACK's, they are arbitrary. What is guaranteed is the factorisation (`u·diag(s)·vt =
//!   a`, `a·v = λ·v`) and orthonormality. [`randomized_svd`] and [`partial_svd`] apply
//!   [`svd_flip`] instead, so their results are reproducible.
//!
//! ```
//! use mlinalg::decomp::{eigh, svd};
//! use ndarray::array;
//! let a = array![[3.0_f64, 1.0], [1.0, 3.0]];
//! let e = eigh(&a)?;
//! assert!((e.eigenvalues[0] - 2.0).abs() < 1e-12 && (e.eigenvalues[1] - 4.0).abs() < 1e-12);
//! let s = svd(&array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]], false)?;
//! assert!((s.s[0] - 9.5255).abs() < 1e-4 && (s.s[1] - 0.5143).abs() < 1e-4);
//! # Ok::<(), mlinalg::Error>(())
//! ```

mod eig;
mod eigh;
mod lu;
mod partial;
mod qr;
mod randomized;
mod svd;

pub use eig::{eig, eigvals, Eig};
pub use eigh::{eigh, eigvalsh, Eigh};
pub use lu::{cholesky, lu, Lu};
pub use num_complex::Complex;
pub use partial::{partial_svd, PartialSvdOptions};
pub use qr::{qr, Qr, QrMode};
pub use randomized::{randomized_svd, svd_flip, PowerIterationNormalizer, RandomizedSvdOptions};
pub use svd::{cond, lstsq, norm2, nuclear_norm, pinv, svd, svdvals, Lstsq, Svd};

use ndarray::{Array1, ArrayBase, Data, Ix2};

use crate::error::{Error, ErrorKind, Result};
use crate::matrix::check_finite;
use crate::Scalar;

/// Checks that a matrix has only finite values.
fn finite<T, S>(op: &'static str, a: &ArrayBase<S, Ix2>) -> Result<()>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    check_finite(op, "matrix", a)
}

/// Checks that a matrix is square and has only finite values (eig, eigh, cholesky).
fn square_finite<T, S>(op: &'static str, a: &ArrayBase<S, Ix2>) -> Result<()>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    crate::matrix::check_square(op, a.shape())?;
    finite(op, a)
}

/// The error for an iteration of faer's that did not converge.
fn no_convergence(op: &'static str, shape: &[usize], what: &str) -> Error {
    Error::new(
        ErrorKind::NoConvergence,
        op,
        format!("{what} did not converge"),
    )
    .with_shapes([shape])
}

/// A faer column as an owned 1-D array.
fn to_array1<T: Scalar>(c: faer::ColRef<'_, T>) -> Array1<T> {
    Array1::from_iter(c.iter().copied())
}
