//! The general (non-symmetric) eigendecomposition, with complex results.

use faer::linalg::solvers::Eigen;
use faer_ext::IntoFaer;
use ndarray::{Array1, Array2, ArrayBase, Axis, Data, Ix2};
use num_complex::Complex;

use super::{no_convergence, square_finite};
use crate::error::Result;
use crate::Scalar;

/// The eigenvalues and eigenvectors of a general square matrix (NumPy's names).
#[derive(Clone, Debug, PartialEq)]
pub struct Eig<T> {
    /// The n eigenvalues, complex; those of a real matrix come in conjugate pairs.
    pub eigenvalues: Array1<Complex<T>>,
    /// The eigenvectors as columns, each of unit 2-norm with its largest component real and
    /// positive: column i goes with `eigenvalues[i]`.
    pub eigenvectors: Array2<Complex<T>>,
}

/// The eigendecomposition of a general square matrix, `np.linalg.eig(a)`: `a · v = v · diag(λ)`.
///
/// The eigenvalues of a real non-symmetric matrix may be complex, so both results are complex.
/// As in NumPy, eigenvectors have unit 2-norm; their phase is fixed here by making each one's
/// largest component real and positive, and the order of the eigenvalues is the solver's (faer's
/// Schur form, like LAPACK's, but not always the same order: sort if you need one). For a
/// symmetric matrix use [`eigh`](super::eigh), which is faster and returns real, ordered results.
///
/// ```
/// use mlinalg::decomp::eig;
/// use ndarray::array;
/// // The seeds' transform [[2, 1], [0.5, 1.5]]: eigenvalues 2.5 and 1.
/// let e = eig(&array![[2.0_f64, 1.0], [0.5, 1.5]])?;
/// let mut re: Vec<f64> = e.eigenvalues.iter().map(|z| z.re).collect();
/// re.sort_by(f64::total_cmp);
/// assert!((re[0] - 1.0).abs() < 1e-12 && (re[1] - 2.5).abs() < 1e-12);
/// // A rotation by 90° has eigenvalues ±i.
/// let r = eig(&array![[0.0_f64, -1.0], [1.0, 0.0]])?;
/// assert!(r.eigenvalues.iter().all(|z| z.re.abs() < 1e-12 && (z.im.abs() - 1.0).abs() < 1e-12));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn eig<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Eig<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "eig";
    square_finite(OP, a)?;
    if a.is_empty() {
        return Ok(Eig {
            eigenvalues: Array1::zeros(0),
            eigenvectors: Array2::zeros((0, 0)),
        });
    }
    let f = Eigen::new_from_real(a.view().into_faer())
        .map_err(|_| no_convergence(OP, a.shape(), "the eigensolver"))?;
    let (u, s) = (f.U(), f.S().column_vector());
    let eigenvalues = Array1::from_iter(s.iter().copied());
    let mut eigenvectors = Array2::from_shape_fn((u.nrows(), u.ncols()), |(i, j)| u[(i, j)]);
    for mut v in eigenvectors.axis_iter_mut(Axis(1)) {
        let norm = v.iter().map(|z| z.norm_sqr()).sum::<T>().sqrt();
        // The largest component (first of equals), made real and positive: v · conj(z)/|z|.
        let big = v
            .iter()
            .copied()
            .fold(Complex::new(T::zero(), T::zero()), |best, z| {
                if z.norm_sqr() > best.norm_sqr() {
                    z
                } else {
                    best
                }
            });
        let size = big.norm();
        if norm > T::zero() && size > T::zero() {
            let phase = big.conj() / size;
            v.mapv_inplace(|z| z * phase / norm);
        }
    }
    Ok(Eig {
        eigenvalues,
        eigenvectors,
    })
}

/// The eigenvalues of a general square matrix only, `np.linalg.eigvals(a)`: complex, in the
/// solver's order (see [`eig`]).
///
/// ```
/// use mlinalg::decomp::eigvals;
/// use ndarray::array;
/// let w = eigvals(&array![[2.0, 0.0], [0.0, 3.0]])?;
/// assert!(w.iter().all(|z| z.im == 0.0));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn eigvals<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array1<Complex<T>>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "eigvals";
    square_finite(OP, a)?;
    if a.is_empty() {
        return Ok(Array1::zeros(0));
    }
    let w = a
        .view()
        .into_faer()
        .eigenvalues()
        .map_err(|_| no_convergence(OP, a.shape(), "the eigensolver"))?;
    Ok(Array1::from(w))
}
