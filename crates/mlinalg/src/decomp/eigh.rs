//! The symmetric eigendecomposition.

use faer::Side;
use faer_ext::IntoFaer;
use ndarray::{Array1, Array2, ArrayBase, Data, Ix2};

use super::{no_convergence, square_finite, to_array1};
use crate::error::Result;
use crate::matrix::to_ndarray;
use crate::Scalar;

/// The eigenvalues and eigenvectors of a symmetric matrix (NumPy's names).
#[derive(Clone, Debug, PartialEq)]
pub struct Eigh<T> {
    /// The n eigenvalues, ascending (as NumPy).
    pub eigenvalues: Array1<T>,
    /// The orthonormal eigenvectors as columns: column i goes with `eigenvalues[i]`.
    pub eigenvectors: Array2<T>,
}

/// The eigendecomposition of a symmetric matrix, `np.linalg.eigh(a)`: `a = v · diag(λ) · vᵀ`
/// with λ ascending and `v` orthogonal.
///
/// Like NumPy (`UPLO='L'`), only the lower triangle of `a` is read: the upper one is assumed to
/// mirror it and is not checked (see [`crate::matrix::is_symmetric`]). Errors: non-square `a`
/// ([`ErrorKind::Shape`](crate::ErrorKind::Shape)), NaN or infinity, no convergence.
///
/// ```
/// use mlinalg::decomp::eigh;
/// use ndarray::array;
/// // The seeds' example: [[3, 1], [1, 3]] has eigenvalues 2 and 4.
/// let a = array![[3.0_f64, 1.0], [1.0, 3.0]];
/// let e = eigh(&a)?;
/// assert!((e.eigenvalues[0] - 2.0).abs() < 1e-12 && (e.eigenvalues[1] - 4.0).abs() < 1e-12);
/// let v = e.eigenvectors.column(1); // ±[1, 1]/√2
/// assert!((v[0].abs() - 0.5_f64.sqrt()).abs() < 1e-12 && (v[0] - v[1]).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn eigh<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Eigh<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "eigh";
    square_finite(OP, a)?;
    if a.is_empty() {
        return Ok(Eigh {
            eigenvalues: Array1::zeros(0),
            eigenvectors: Array2::zeros((0, 0)),
        });
    }
    let f = a
        .view()
        .into_faer()
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| no_convergence(OP, a.shape(), "the symmetric eigensolver"))?;
    Ok(Eigh {
        eigenvalues: to_array1(f.S().column_vector()),
        eigenvectors: to_ndarray(f.U()),
    })
}

/// The eigenvalues of a symmetric matrix only, ascending: `np.linalg.eigvalsh(a)`. Reads the
/// lower triangle, as [`eigh`]; cheaper than it.
///
/// ```
/// use mlinalg::decomp::eigvalsh;
/// use ndarray::array;
/// let w = eigvalsh(&array![[2.0, 0.0], [0.0, -1.0]])?;
/// assert_eq!(w.to_vec(), vec![-1.0, 2.0]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn eigvalsh<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array1<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "eigvalsh";
    square_finite(OP, a)?;
    if a.is_empty() {
        return Ok(Array1::zeros(0));
    }
    let w = a
        .view()
        .into_faer()
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| no_convergence(OP, a.shape(), "the symmetric eigensolver"))?;
    Ok(Array1::from(w))
}
