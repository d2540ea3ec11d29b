//! Partial SVD: the top-k singular triplets by block Golub–Kahan–Lanczos with full
//! reorthogonalisation and Rayleigh–Ritz, stopped on the triplets' residuals.

use ndarray::{concatenate, s, Array1, Array2, ArrayView2, Axis};

use super::{cholesky, finite, svd, svd_flip, Svd};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::{inv, matmul_into, mm};
use crate::random::Rng;
use crate::Scalar;

/// Options of [`partial_svd`]; `Default` gives the tolerance of the element type, blocks of
/// k + 10 vectors, at most 50 blocks, a basis of at most 6 blocks and seed 0.
///
/// ```
/// use mlinalg::decomp::{partial_svd, PartialSvdOptions};
/// use mlinalg::random::Rng;
/// use mlinalg::ErrorKind;
/// let a = Rng::seed(2).normal_matrix::<f64>(200, 150)?;
/// // Looser than the f64 default, another seed: the same values to within the tolerance.
/// let loose = PartialSvdOptions { tol: Some(1e-6), seed: 9, ..PartialSvdOptions::default() };
/// let (f, g) = (partial_svd(&a, 4, &loose)?, partial_svd(&a, 4, &PartialSvdOptions::default())?);
/// assert!((f.s[0] - g.s[0]).abs() < 1e-6 * g.s[0]);
/// // One block cannot reach 1e-14 on this flat spectrum: an error, not a wrong answer.
/// let tight = PartialSvdOptions { tol: Some(1e-14), max_iter: 1, ..PartialSvdOptions::default() };
/// assert_eq!(partial_svd(&a, 4, &tight).unwrap_err().kind(), ErrorKind::NoConvergence);
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PartialSvdOptions {
    /// Relative residual to reach: every returned triplet satisfies ‖A·vᵢ − σᵢ·uᵢ‖ ≤ tol·σ₁ and
    /// ‖Aᵀ·uᵢ − σᵢ·vᵢ‖ ≤ tol·σ₁. `None` is 1e-4 for f32 and 1e-10 for f64 (see
    /// [`partial_svd`] for why).
    pub tol: Option<f64>,
    /// Vectors added to the Krylov basis per step; `None` is k + 10. A block at least as large
    /// as the largest cluster of equal singular values among the top k finds all of them.
    pub block_size: Option<usize>,
    /// Most blocks before giving up with an [`ErrorKind::NoConvergence`] error. Each block costs
    /// one product with `a` and one with `aᵀ`; the basis (and the memory) grows by one block each.
    pub max_iter: usize,
    /// Most basis vectors kept; when the next block would pass it the basis is thick-restarted
    /// from its leading 3 blocks of Ritz vectors (at least k). `None` is 6 blocks; at least
    /// k + 2 blocks are always allowed. Bounds the memory and the cost of each Rayleigh–Ritz
    /// step. Measured on the W7 matrix (4096², k = 64, a flat top of the spectrum): 4 blocks
    /// keeping 2 needed 31 blocks, 6 keeping 3 needed 21, 8 keeping 3 needed 20.
    pub max_basis: Option<usize>,
    /// Seed of the Gaussian starting block (and of the rare random replacement vectors).
    pub seed: u64,
}

impl Default for PartialSvdOptions {
    fn default() -> Self {
        PartialSvdOptions {
            tol: None,
            block_size: None,
            max_iter: 50,
            max_basis: None,
            seed: 0,
        }
    }
}

/// The default tolerance of [`PartialSvdOptions::tol`] for the element type `T`.
///
/// f32: 1e-4 (about 840·eps). The residuals are computed in `T`, so they carry rounding of about
/// eps·√max(m, n)·σ₁ (1.2e-7·64 ≈ 8e-6 at 4096): 1e-4 stays above that for any size this
/// library handles densely, and it already gives singular values to about tol²·σ₁/gap and
/// vectors to an angle of tol·σ₁/gap, i.e. to the ~4 digits that f32 data usually carries.
/// f64: 1e-10: rounding is about 1e-14 at 4096, so 1e-10 is reached reliably, and singular
/// values come out exact to rounding (error ≤ tol²·σ₁/gap).
pub(crate) fn default_tol<T: Scalar>() -> f64 {
    if T::epsilon().as_f64() > 1e-10 {
        1e-4
    } else {
        1e-10
    }
}

/// The top-k singular triplets of `a` by a block Krylov method: `u` (m, k), `s` (k,)
/// descending, `vt` (k, n), as `scipy.sparse.linalg.svds(a, k)` but ordered like [`svd`].
///
/// Unlike [`randomized_svd`](super::randomized_svd), which does a fixed amount of work and
/// returns whatever accuracy that buys, this iterates until each triplet is accurate to a stated
/// tolerance and says so otherwise:
///
/// 1. Block Golub–Kahan–Lanczos: from a seeded Gaussian block V₁ (n, b), alternately
///    Uⱼ = orth(A·Vⱼ) and Vⱼ₊₁ = orth(Aᵀ·Uⱼ), each new block orthogonalised against the whole
///    basis built so far in two block Gram–Schmidt passes ("twice is enough"), so the basis stays
///    orthonormal to rounding. A direction that is numerically already in the basis (rank
///    deficiency, an exhausted invariant subspace) is replaced by a random one.
/// 2. Rayleigh–Ritz after each block: the dense SVD of the small projected matrix
///    B = Uᵀ·A·V (p × p for a basis of p vectors) gives Ritz triplets
///    (U·xᵢ, σᵢ, V·yᵢ).
/// 3. When the basis would grow past `max_basis` (6 blocks by default), a thick restart keeps
///    its 3 blocks of leading Ritz vectors (exact combinations of the stored products) and goes
///    on from the pending block, which continues the Krylov recurrence: memory and the cost of
///    each Rayleigh–Ritz step stay bounded, at the price of a few more blocks.
/// 4. Stop when every one of the top k has ‖A·vᵢ − σᵢ·uᵢ‖ ≤ tol·σ₁ and
///    ‖Aᵀ·uᵢ − σᵢ·vᵢ‖ ≤ tol·σ₁ (both measured, not estimated), or when the basis spans all of
///    min(m, n) dimensions (then the Ritz triplets are the exact SVD's; only without restarts,
///    i.e. when `max_basis` ≥ min(m, n)). After `max_iter` blocks without either it is an
///    [`ErrorKind::NoConvergence`] error naming the residual reached: the loop always ends.
///
/// A residual r bounds the errors: each σᵢ is within r of a singular value of `a` (and within
/// about r²/gap), and each vector is within an angle of about r/gap of the exact one, gap being
/// the distance from σᵢ to the rest of the spectrum. The default tolerance is 1e-4 for f32
/// (about 840·eps: the residuals, computed in f32, carry rounding of about eps·√max(m, n)·σ₁,
/// 8e-6 at 4096, so a tighter default could be out of reach) and 1e-10 for f64 (rounding about
/// 1e-14 there, so it is reached reliably and the values come out exact to rounding).
///
/// Cost per block: two products with `a` of b columns (4·m·n·b flops), reorthogonalisation
/// O((m + n)·p·b) and a p × p SVD, p ≤ `max_basis`. Memory: four (m or n, p) bases,
/// O((m + n)·max_basis); AᵀA is never formed. It wins over the full SVD when k is a small
/// fraction of min(m, n) (see [`truncated_svd`](crate::lowrank::truncated_svd) for the measured
/// rule); a flat top of the spectrum needs more blocks (W7 of `compare/`, 4096² f32 whose top 64
/// sit at the edge of a noise bulk: 21 blocks of 74).
///
/// Conventions: `a` wider than tall is worked on as `aᵀ`; signs follow [`svd_flip`] on `u` (the
/// largest entry of each column of `u` is positive), as [`randomized_svd`](super::randomized_svd),
/// so results are reproducible for a given seed. `k = 0` gives empty factors (also for an empty
/// matrix); `k` above min(m, n), a tolerance outside (0, 1), a zero block size or `max_iter`
/// are [`ErrorKind::InvalidArgument`] errors; NaN or infinity is [`ErrorKind::NonFinite`].
///
/// ```
/// use mlinalg::decomp::{partial_svd, svd, PartialSvdOptions};
/// use mlinalg::random::Rng;
/// use ndarray::Array1;
/// // A 300 x 200 matrix with singular values 1, 1/2, 1/3, ...
/// let mut rng = Rng::seed(1);
/// let g = svd(&rng.normal_matrix::<f64>(300, 200)?, false)?;
/// let sigma = Array1::from_shape_fn(200, |i| 1.0 / (i + 1) as f64);
/// let a = (&g.u * &sigma).dot(&g.vt);
/// let top = partial_svd(&a, 5, &PartialSvdOptions::default())?;
/// assert_eq!((top.u.dim(), top.s.len(), top.vt.dim()), ((300, 5), 5, (5, 200)));
/// for i in 0..5 {
///     assert!((top.s[i] - sigma[i]).abs() < 1e-12);
/// }
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn partial_svd<T, S>(
    a: &ndarray::ArrayBase<S, ndarray::Ix2>,
    k: usize,
    options: &PartialSvdOptions,
) -> Result<Svd<T>>
where
    T: Scalar,
    S: ndarray::Data<Elem = T>,
{
    const OP: &str = "partial_svd";
    let (m, n) = a.dim();
    let most = m.min(n);
    let invalid = |message: String| Error::invalid(OP, message).with_shapes([a.shape()]);
    if k > most {
        return Err(invalid(format!(
            "k must be at most {most} for a matrix of shape {}, got {k}",
            fmt_shape(a.shape())
        )));
    }
    let tol = options.tol.unwrap_or_else(default_tol::<T>);
    if !(tol > 0.0 && tol < 1.0) {
        return Err(invalid(format!("tol must be in (0, 1), got {tol}")));
    }
    if options.block_size == Some(0) || options.max_iter == 0 {
        return Err(invalid(format!(
            "block_size and max_iter must be positive, got {:?} and {}",
            options.block_size, options.max_iter
        )));
    }
    finite(OP, a)?;
    if k == 0 {
        return Ok(Svd {
            u: Array2::zeros((m, 0)),
            s: Array1::zeros(0),
            vt: Array2::zeros((0, n)),
        });
    }
    // Work on the tall orientation: the right basis then lives in the smaller space, whose
    // dimension bounds the basis.
    let transpose = m < n;
    let mat = if transpose { a.t() } else { a.view() };
    let cols = most;
    let block = options.block_size.unwrap_or(k + 10).min(cols);
    let mut rng = Rng::seed(options.seed);
    let mut krylov = Krylov::new(mat, block, &mut rng)?;
    let mut best = f64::INFINITY;
    let mut last = None;
    // Thick restarts keep the basis below `max_basis`: back to 3 blocks of Ritz vectors (at
    // least k, and room for one more block).
    let max_basis = options.max_basis.unwrap_or(6 * block).max(k + 2 * block);
    let keep = (3 * block).max(k).min(max_basis - block);
    for step in 1..=options.max_iter {
        krylov.expand(&mut rng)?;
        if krylov.dim() >= k {
            let ritz = krylov.ritz(k)?;
            let exhausted = krylov.dim() == cols;
            if !ritz.residual.is_finite() {
                return Err(Error::new(
                    ErrorKind::NonFinite,
                    OP,
                    "the residuals overflowed: scale the matrix down",
                )
                .with_shapes([a.shape()]));
            }
            if ritz.residual <= tol || exhausted {
                let (u, vt) = if transpose {
                    (ritz.v, ritz.u.reversed_axes())
                } else {
                    (ritz.u, ritz.v.reversed_axes())
                };
                let (mut u, mut vt) = (u.as_standard_layout().into_owned(), vt);
                vt = vt.as_standard_layout().into_owned();
                svd_flip(&mut u, &mut vt, true);
                return Ok(Svd { u, s: ritz.s, vt });
            }
            best = best.min(ritz.residual);
            last = Some(ritz);
        }
        if step < options.max_iter {
            krylov.next_block(&mut rng)?;
            if let Some(ritz) = &last {
                if max_basis < cols && krylov.dim() + block > max_basis {
                    krylov.restart(&ritz.x, &ritz.y, keep)?;
                }
            }
        }
    }
    Err(Error::new(
        ErrorKind::NoConvergence,
        OP,
        format!(
            "the top {k} singular triplets did not converge in {} blocks of {block} \
             (basis {} of {cols}): largest residual {best:.2e}·σ₁, tolerance {tol:.1e}",
            options.max_iter,
            krylov.dim()
        ),
    )
    .with_shapes([a.shape()]))
}

/// The state of the block Golub–Kahan–Lanczos process on a tall (rows ≥ cols) matrix.
struct Krylov<'a, T: Scalar> {
    a: ArrayView2<'a, T>,
    block: usize,
    /// Orthonormal right basis (cols, p) and its image A·V (rows, p).
    v: Array2<T>,
    av: Array2<T>,
    /// Orthonormal left basis (rows, p), spanning A·V, and its image Aᵀ·U (cols, p).
    u: Array2<T>,
    atu: Array2<T>,
    /// The projected matrix B = Uᵀ·(A·V) (p, p), updated block by block.
    b: Array2<T>,
    /// The right block not yet multiplied by A.
    pending: Array2<T>,
    /// Width of the last block appended.
    last: usize,
}

/// Ritz triplets of the current basis and their largest relative residual.
struct Ritz<T> {
    u: Array2<T>,
    s: Array1<T>,
    v: Array2<T>,
    /// max over the triplets of ‖A·v − σ·u‖ and ‖Aᵀ·u − σ·v‖, divided by σ₁ (0 when σ₁ = 0).
    residual: f64,
    /// All left and right singular vectors of the projected matrix B (p, p), descending.
    x: Array2<T>,
    y: Array2<T>,
}

impl<'a, T: Scalar> Krylov<'a, T> {
    fn new(a: ArrayView2<'a, T>, block: usize, rng: &mut Rng) -> Result<Self> {
        let (rows, cols) = a.dim();
        let start = rng.normal_matrix::<T>(cols, block)?;
        let pending = orthonormal_extension(Array2::zeros((cols, 0)).view(), start, rng)?;
        Ok(Krylov {
            a,
            block,
            v: Array2::zeros((cols, 0)),
            av: Array2::zeros((rows, 0)),
            u: Array2::zeros((rows, 0)),
            atu: Array2::zeros((cols, 0)),
            b: Array2::zeros((0, 0)),
            pending,
            last: 0,
        })
    }

    /// The dimension p of the basis.
    fn dim(&self) -> usize {
        self.v.ncols()
    }

    /// Multiplies the pending right block by A and Aᵀ and appends it with its left block.
    fn expand(&mut self, rng: &mut Rng) -> Result<()> {
        let vj = std::mem::replace(&mut self.pending, Array2::zeros((0, 0)));
        self.last = vj.ncols();
        let avj = mm(&self.a, &vj)?;
        let uj = orthonormal_extension(self.u.view(), avj.clone(), rng)?;
        let atuj = mm(&self.a.t(), &uj)?;
        // B grows by a block column Uᵀ·(A·Vⱼ) and a block row Uⱼᵀ·(A·V), both computed (not
        // assumed zero where exact arithmetic would make them so).
        let right = mm(&self.u.t(), &avj)?;
        let bottom = mm(&uj.t(), &self.av)?;
        let corner = mm(&uj.t(), &avj)?;
        let top = concatenate![Axis(1), self.b, right];
        let low = concatenate![Axis(1), bottom, corner];
        self.b = concatenate![Axis(0), top, low];
        self.v = concatenate![Axis(1), self.v, vj];
        self.av = concatenate![Axis(1), self.av, avj];
        self.u = concatenate![Axis(1), self.u, uj];
        self.atu = concatenate![Axis(1), self.atu, atuj];
        Ok(())
    }

    /// The next right block: Aᵀ·Uⱼ orthogonalised against V (fewer columns when the basis is
    /// about to fill the space).
    fn next_block(&mut self, rng: &mut Rng) -> Result<()> {
        let cols = self.v.nrows();
        let p = self.dim();
        let width = self.block.min(cols - p).min(self.last);
        let y = self
            .atu
            .slice(s![.., p - self.last..p - self.last + width])
            .to_owned();
        self.pending = orthonormal_extension(self.v.view(), y, rng)?;
        Ok(())
    }

    /// Thick restart: keeps the `keep` leading Ritz directions of the basis (V·Y, A·V·Y, U·X,
    /// Aᵀ·U·X, exact linear combinations of what is stored) and the pending block, which is
    /// orthogonal to the whole old basis and carries on the Krylov recurrence: Aᵀ·U·X lies in
    /// the span of V·Y and the pending block.
    fn restart(&mut self, x: &Array2<T>, y: &Array2<T>, keep: usize) -> Result<()> {
        let (x, y) = (x.slice(s![.., ..keep]), y.slice(s![.., ..keep]));
        // Each restart multiplies the bases by the small factors' vectors, which are orthonormal
        // only to rounding: without a correction the loss of orthogonality would add up over
        // restarts. V·Y·W with W = L⁻ᵀ, L the Cholesky factor of (V·Y)ᵀ·(V·Y) ≈ I, is
        // orthonormal again, and the stored product gets the same W.
        let y = mm(&y, &reorthonormalizer(&mm(&self.v, &y)?)?)?;
        let x = mm(&x, &reorthonormalizer(&mm(&self.u, &x)?)?)?;
        self.v = mm(&self.v, &y)?;
        self.av = mm(&self.av, &y)?;
        self.u = mm(&self.u, &x)?;
        self.atu = mm(&self.atu, &x)?;
        // Uᵀ·A·V in the new bases: (U·X)ᵀ·(A·V·Y) = Xᵀ·B·Y.
        self.b = mm(&x.t(), &mm(&self.b, &y)?)?;
        Ok(())
    }

    /// Rayleigh–Ritz on the current basis: the top `k` Ritz triplets and their residual.
    fn ritz(&self, k: usize) -> Result<Ritz<T>> {
        // B = Uᵀ·A·V (p, p); A·V = U·B because U spans A·V.
        let small = svd(&self.b, false)
            .map_err(|e| Error::new(e.kind(), "partial_svd", e.message().to_string()))?;
        let x = small.u.slice(s![.., ..k]);
        let y = small.vt.slice(s![..k, ..]).reversed_axes();
        let sigma = small.s.slice(s![..k]).to_owned();
        let u = mm(&self.u, &x)?;
        let v = mm(&self.v, &y)?;
        // A·v − σ·u and Aᵀ·u − σ·v from the stored products: no further pass over A.
        let r_left = mm(&self.av, &y)? - &(&u * &sigma);
        let r_right = mm(&self.atu, &x)? - &(&v * &sigma);
        let worst = |r: &Array2<T>| {
            r.columns()
                .into_iter()
                .map(|c| {
                    c.iter()
                        .map(|x| x.as_f64() * x.as_f64())
                        .sum::<f64>()
                        .sqrt()
                })
                .fold(
                    0.0_f64,
                    |acc, x| if x > acc || x.is_nan() { x } else { acc },
                )
        };
        let largest = worst(&r_left).max(worst(&r_right));
        let top = sigma[0].as_f64();
        let residual = if largest == 0.0 { 0.0 } else { largest / top };
        Ok(Ritz {
            u,
            s: sigma,
            v,
            residual,
            x: small.u,
            y: small.vt.reversed_axes(),
        })
    }
}

/// Orthonormal columns, as many as `y` has, orthogonal to the orthonormal `basis` and spanning
/// with it at least what `y` adds to its span (block classical Gram–Schmidt against the basis
/// and modified Gram–Schmidt within the block, the whole done twice). A column that is
/// numerically in the span already is replaced by a random one, so the result always has full
/// rank.
fn orthonormal_extension<T: Scalar>(
    basis: ArrayView2<'_, T>,
    y: Array2<T>,
    rng: &mut Rng,
) -> Result<Array2<T>> {
    let start: Vec<T> = y.columns().into_iter().map(|c| c.dot(&c).sqrt()).collect();
    let mut y = y;
    // Below this fraction of its norm a column is rounding noise: replaced.
    let drop = T::epsilon() * T::cast_usize(16);
    for round in 0..2 {
        project_out(basis, &mut y)?;
        // Rows of `yt` are the columns: contiguous for the within-block pass.
        let mut yt = y.t().as_standard_layout().into_owned();
        for (j, &norm0) in start.iter().enumerate() {
            let reference = if round == 0 { norm0 } else { T::one() };
            let (done, mut rest) = yt.view_mut().split_at(Axis(0), j);
            let mut c = rest.row_mut(0);
            for q in done.rows() {
                let d = q.dot(&c);
                c.scaled_add(-d, &q);
            }
            let norm = c.dot(&c).sqrt();
            if norm > drop * reference && norm > T::min_positive_value() {
                c.mapv_inplace(|x| x / norm);
            } else {
                let fresh = random_direction(basis, done.view(), rng)?;
                c.assign(&fresh);
            }
        }
        y = yt.t().as_standard_layout().into_owned();
    }
    Ok(y)
}

/// W = L⁻ᵀ for the Cholesky factor L of qᵀ·q, so that q·W has orthonormal columns (Cholesky
/// QR; q is orthonormal to rounding, so qᵀ·q ≈ I is far from singular).
fn reorthonormalizer<T: Scalar>(q: &Array2<T>) -> Result<Array2<T>> {
    let gram = mm(&q.t(), q)?;
    let l = cholesky(&gram)?;
    Ok(inv(&l)?.reversed_axes())
}

/// `y ← y − basis·(basisᵀ·y)`.
fn project_out<T: Scalar>(basis: ArrayView2<'_, T>, y: &mut Array2<T>) -> Result<()> {
    if basis.ncols() == 0 {
        return Ok(());
    }
    let coefficients = mm(&basis.t(), &*y)?.mapv(|x| -x);
    matmul_into(basis, coefficients.view(), y.view_mut(), true)
}

/// A random unit vector orthogonal to the columns of `basis` and the rows of `done` (both
/// orthonormal, together fewer than the dimension).
fn random_direction<T: Scalar>(
    basis: ArrayView2<'_, T>,
    done: ArrayView2<'_, T>,
    rng: &mut Rng,
) -> Result<Array1<T>> {
    let dim = basis.nrows();
    for _ in 0..8 {
        let mut g = rng.normal_matrix::<T>(dim, 1)?;
        for _ in 0..2 {
            project_out(basis, &mut g)?;
            for q in done.rows() {
                let d = q.dot(&g.column(0));
                g.column_mut(0).scaled_add(-d, &q);
            }
        }
        let norm = g.column(0).dot(&g.column(0)).sqrt();
        // A Gaussian vector has a tiny component outside a subspace of lower dimension with
        // probability zero; draw again if it happens.
        if norm > T::epsilon().sqrt() {
            return Ok(g.column(0).mapv(|x| x / norm));
        }
    }
    Err(Error::new(
        ErrorKind::NoConvergence,
        "partial_svd",
        format!(
            "no direction left outside a basis of {} vectors in dimension {dim}",
            basis.ncols() + done.nrows()
        ),
    ))
}
