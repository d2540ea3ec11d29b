//! Randomized SVD (Halko, Martinsson & Tropp 2011), as scikit-learn's `randomized_svd`, and the
//! sign convention scikit-learn puts on singular vectors (`svd_flip`).

use faer_ext::IntoFaer;
use ndarray::{s, Array2, ArrayBase, ArrayView2, Data, Ix2};

use super::{finite, svd, Svd};
use crate::error::{fmt_shape, Error, Result};
use crate::matrix::{mm, to_ndarray};
use crate::random::Rng;
use crate::Scalar;

/// How the basis is re-normalised between power iterations (scikit-learn's
/// `power_iteration_normalizer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PowerIterationNormalizer {
    /// No normalisation when there are at most 2 iterations, else [`Lu`](Self::Lu) (the default,
    /// as scikit-learn's `'auto'`).
    #[default]
    Auto,
    /// None: fastest, but the basis loses precision to rounding as iterations go on.
    None,
    /// LU with partial pivoting, `P·L` kept: cheap and well enough conditioned.
    Lu,
    /// Householder QR: the most stable and the slowest.
    Qr,
}

/// Options of [`randomized_svd`]; `Default` gives scikit-learn's defaults with seed 0.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomizedSvdOptions {
    /// Extra random directions sampled beyond k (scikit-learn's `n_oversamples`, default 10).
    pub n_oversamples: usize,
    /// Power iterations; `None` is scikit-learn's `'auto'`: 7 when k < 0.1 · min(m, n), else 4.
    pub n_iter: Option<usize>,
    /// Re-normalisation between power iterations.
    pub normalizer: PowerIterationNormalizer,
    /// Work on `aᵀ` when `a` is wide (scikit-learn's `transpose='auto'`); `Some(..)` forces it.
    pub transpose: Option<bool>,
    /// Apply [`svd_flip`] so results are deterministic up to rounding (scikit-learn's default).
    pub flip_sign: bool,
    /// Seed of the Gaussian test matrix.
    pub seed: u64,
}

impl Default for RandomizedSvdOptions {
    fn default() -> Self {
        RandomizedSvdOptions {
            n_oversamples: 10,
            n_iter: None,
            normalizer: PowerIterationNormalizer::Auto,
            transpose: None,
            flip_sign: true,
            seed: 0,
        }
    }
}

/// The top-k singular triplets of `a` by randomized range finding: `u` (m, k), `s` (k,)
/// descending, `vt` (k, n). The algorithm and defaults are scikit-learn's `randomized_svd`.
///
/// 1. Draw a Gaussian (n, k + p) matrix Ω (p = `n_oversamples`) and form Y = A·Ω.
/// 2. Power iterations Y ← A·(Aᵀ·Y), re-normalised each half-step, sharpen the spectrum so the
///    range of Y captures the top-k singular subspace even when σ decays slowly.
/// 3. Q = orth(Y); the small SVD of B = Qᵀ·A gives A ≈ (Q·Û)·Σ·Vᵀ.
///
/// Error: for a matrix with a spectral gap after σ_k it is close to the exact truncated SVD's
/// (Eckart–Young) error; more power iterations bring it closer. Cost O(m·n·(k + p)·(2q + 2)) for
/// q iterations, against O(m·n·min(m, n)) for the full SVD.
///
/// Errors: `k` = 0 or above min(m, n) ([`ErrorKind::InvalidArgument`](crate::ErrorKind)), NaN
/// or infinity, no convergence of the small SVD.
///
/// ```
/// use mlinalg::decomp::{randomized_svd, svd, RandomizedSvdOptions};
/// use mlinalg::random::Rng;
/// use mlinalg::matrix::mm;
/// // A rank-5 matrix (200 x 100): five random directions capture it exactly.
/// let mut rng = Rng::seed(7);
/// let a = mm(&rng.normal_matrix::<f64>(200, 5)?, &rng.normal_matrix::<f64>(5, 100)?)?;
/// let fast = randomized_svd(&a, 5, &RandomizedSvdOptions::default())?;
/// let exact = svd(&a, false)?;
/// for i in 0..5 {
///     assert!((fast.s[i] - exact.s[i]).abs() < 1e-9 * exact.s[0]);
/// }
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn randomized_svd<T, S>(
    a: &ArrayBase<S, Ix2>,
    k: usize,
    options: &RandomizedSvdOptions,
) -> Result<Svd<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "randomized_svd";
    let (m, n) = a.dim();
    if k == 0 || k > m.min(n) {
        return Err(Error::invalid(
            OP,
            format!(
                "k must be in 1..={} for a matrix of shape {}, got {k}",
                m.min(n),
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()]));
    }
    finite(OP, a)?;
    let transpose = options.transpose.unwrap_or(m < n);
    let mat = if transpose { a.t() } else { a.view() };
    let n_iter = options
        .n_iter
        .unwrap_or(if (k as f64) < 0.1 * m.min(n) as f64 {
            7
        } else {
            4
        });
    let q = range_finder(
        mat,
        k + options.n_oversamples,
        n_iter,
        options.normalizer,
        options.seed,
    )?;
    // B = Qᵀ·A is small: (k + p, n).
    let b = mm(&q.t(), &mat)?;
    let small = svd(&b, false)
        .map_err(|e| Error::new(e.kind(), OP, e.message().to_string()).with_shapes([a.shape()]))?;
    let mut u = mm(&q, &small.u)?;
    let mut vt = small.vt;
    if options.flip_sign {
        // scikit-learn decides on u, or on vt when it worked on the transpose.
        svd_flip(&mut u, &mut vt, !transpose);
    }
    let s = small.s.slice(s![..k]).to_owned();
    Ok(if transpose {
        Svd {
            u: vt.slice(s![..k, ..]).t().to_owned(),
            s,
            vt: u.slice(s![.., ..k]).t().to_owned(),
        }
    } else {
        Svd {
            u: u.slice(s![.., ..k]).to_owned(),
            s,
            vt: vt.slice(s![..k, ..]).to_owned(),
        }
    })
}

/// An orthonormal (m, size) basis approximating the range of `a` (scikit-learn's
/// `randomized_range_finder`).
fn range_finder<T: Scalar>(
    a: ArrayView2<'_, T>,
    size: usize,
    n_iter: usize,
    normalizer: PowerIterationNormalizer,
    seed: u64,
) -> Result<Array2<T>> {
    let (m, n) = a.dim();
    // No more directions than the matrix has: beyond min(m, n) they add nothing.
    let size = size.min(m.min(n));
    let mut rng = Rng::seed(seed);
    let mut q = rng.normal_matrix::<T>(n, size)?;
    let normalize = match normalizer {
        PowerIterationNormalizer::Auto if n_iter <= 2 => PowerIterationNormalizer::None,
        PowerIterationNormalizer::Auto => PowerIterationNormalizer::Lu,
        other => other,
    };
    for _ in 0..n_iter {
        q = renormalize(big_times_thin(a, &q)?, normalize);
        q = renormalize(big_times_thin(a.t(), &q)?, normalize);
    }
    Ok(orthonormal_basis(big_times_thin(a, &q)?))
}

/// `big · thin` for the power iterations' products (`big` (m, n), `thin` (n, l) with l small),
/// reading `big` in its memory order. A column-major `big` (the transpose of a row-major matrix)
/// is computed as `(thinᵀ · bigᵀ)ᵀ`, whose GEMM reads the big matrix row-major as its right
/// operand: for a 4096 × 4096 f32 matrix and l = 74 (W7), 84-96 GFLOP/s against 47-49 for
/// the column-major matrix on the left (faer's kernels, AMD EPYC, 2 threads). The two small
/// transposing copies cost O((m + n)·l), the product O(m·n·l).
fn big_times_thin<T: Scalar>(big: ArrayView2<'_, T>, thin: &Array2<T>) -> Result<Array2<T>> {
    let column_major = big.strides()[0] == 1 && big.strides()[1] != 1 && big.nrows() > 1;
    if !column_major {
        return mm(&big, thin);
    }
    let thin_t = thin.t().as_standard_layout().into_owned();
    let product_t = mm(&thin_t, &big.t())?;
    Ok(product_t.t().as_standard_layout().into_owned())
}

fn renormalize<T: Scalar>(y: Array2<T>, how: PowerIterationNormalizer) -> Array2<T> {
    match how {
        PowerIterationNormalizer::None | PowerIterationNormalizer::Auto => y,
        PowerIterationNormalizer::Qr => orthonormal_basis(y),
        PowerIterationNormalizer::Lu => permuted_l(y),
    }
}

/// The thin Q of `y`'s QR decomposition.
fn orthonormal_basis<T: Scalar>(y: Array2<T>) -> Array2<T> {
    to_ndarray(y.view().into_faer().qr().compute_thin_Q().as_ref())
}

/// `P·L` of `y = P·L·U` (SciPy's `lu(y, permute_l=True)[0]`): well-conditioned columns spanning
/// `y`'s range, at a fraction of a QR's cost.
fn permuted_l<T: Scalar>(y: Array2<T>) -> Array2<T> {
    let (m, k) = y.dim();
    let f = y.view().into_faer().partial_piv_lu();
    let (fwd, _) = f.P().arrays();
    let l = f.L();
    let cols = m.min(k);
    let mut out = Array2::zeros((m, cols));
    // Row i of L is row fwd[i] of P·L.
    for (i, &dst) in fwd.iter().enumerate() {
        for j in 0..cols.min(i + 1) {
            out[[dst, j]] = if i == j { T::one() } else { l[(i, j)] };
        }
    }
    out
}

/// scikit-learn's `svd_flip`: makes the signs of singular vector pairs deterministic. With
/// `u_based`, each column of `u` is flipped so that its entry of largest absolute value is
/// positive (the first such entry on ties); otherwise each row of `vt` is. The matching row of
/// `vt` (column of `u`) is flipped with it, so `u · diag(s) · vt` is unchanged.
///
/// `u` is (m, k) and `vt` is (k, n); extra columns of `u` or rows of `vt` beyond the shorter of
/// the two are left as they are.
///
/// ```
/// use mlinalg::decomp::svd_flip;
/// use ndarray::array;
/// let mut u = array![[0.6, 0.8], [-0.8, 0.6]];
/// let mut vt = array![[1.0, 0.0], [0.0, 1.0]];
/// svd_flip(&mut u, &mut vt, true);
/// assert_eq!(u, array![[-0.6, 0.8], [0.8, 0.6]]); // column 0's largest entry was -0.8
/// assert_eq!(vt, array![[-1.0, 0.0], [0.0, 1.0]]);
/// ```
pub fn svd_flip<T: Scalar>(u: &mut Array2<T>, vt: &mut Array2<T>, u_based: bool) {
    let k = u.ncols().min(vt.nrows());
    for j in 0..k {
        let lane = if u_based { u.column(j) } else { vt.row(j) };
        let mut best = T::zero();
        for &x in lane.iter() {
            if x.abs() > best.abs() {
                best = x;
            }
        }
        if best < T::zero() {
            u.column_mut(j).mapv_inplace(|x| -x);
            vt.row_mut(j).mapv_inplace(|x| -x);
        }
    }
}
