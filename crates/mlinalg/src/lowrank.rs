//! Low-rank approximation: the best rank-k matrix (Eckart–Young), its errors, how much of a
//! matrix's energy the top singular values hold, the ranks that summarise a spectrum, and LoRA
//! factors from a truncated SVD.
//!
//! | item | what | formula (σ descending) |
//! |---|---|---|
//! | [`best_rank_k`] | the closest rank-k matrix in the 2- and Frobenius norms | `U_k · diag(σ_1..k) · V_kᵀ` |
//! | [`truncated_svd`], [`truncated_svd_with`] | the top-k singular triplets | full SVD or Krylov ([`TruncatedSvdSolver`]) |
//! | [`Spectrum::frobenius_error`] | ‖A − A_k‖_F | `sqrt(Σ_{i>k} σᵢ²)` |
//! | [`Spectrum::spectral_error`] | ‖A − A_k‖₂ | `σ_{k+1}` |
//! | [`Spectrum::energy`] | share of ‖A‖_F² kept by A_k | `Σ_{i≤k} σᵢ² / Σ σᵢ²` |
//! | [`Spectrum::sv_sum_fraction`] | the seeds' "singular value energy" | `Σ_{i≤k} σᵢ / Σ σᵢ` |
//! | [`Spectrum::rank_for_energy`] | smallest k reaching an energy (k90 at 0.9) | |
//! | [`Spectrum::stable_rank`] | a rank that ignores tiny σ | `‖A‖_F² / ‖A‖₂²` |
//! | [`Spectrum::effective_rank`] | Roy & Vetterli (2007) | `exp(−Σ pᵢ ln pᵢ)`, `pᵢ = σᵢ / Σ σ` |
//! | [`Spectrum::numerical_rank`] | `np.linalg.matrix_rank` | count of `σᵢ > tol` |
//! | [`lora_factors`] | W ≈ A·B with A (m, r), B (r, n) | `A = U_r √Σ_r`, `B = √Σ_r V_rᵀ` |
//!
//! Sums of squares are accumulated in f64 whatever `T` is, so f32 spectra of large matrices keep
//! their digits.
//!
//! ```
//! use mlinalg::lowrank::{best_rank_k, Spectrum};
//! use mlinalg::decomp::norm2;
//! use ndarray::array;
//! let a = array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
//! let spectrum = Spectrum::of(&a)?;
//! assert!(spectrum.energy(1)? > 0.997); // σ₁ carries 99.7% of ‖A‖_F²
//! let a1 = best_rank_k(&a, 1)?;
//! // Eckart–Young: the 2-norm error of the best rank-1 approximation is σ₂.
//! assert!((norm2(&(&a - &a1))? - spectrum.spectral_error(1)?).abs() < 1e-12);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{s, Array1, Array2, ArrayBase, Axis, Data, Ix2};

use crate::decomp::{
    partial_svd, randomized_svd, svd, svdvals, PartialSvdOptions, RandomizedSvdOptions, Svd,
};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::mm;
use crate::Scalar;

/// A sum starting at +0.0 (`Iterator::sum` on floats starts at −0.0, so an empty sum would print
/// as "-0").
fn add_up(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |acc, v| acc + v)
}

/// Checks a requested rank against the most a (m, n) matrix can have.
fn check_rank(op: &'static str, k: usize, shape: &[usize]) -> Result<()> {
    let most = shape.iter().copied().min().unwrap_or(0);
    if k > most {
        return Err(Error::invalid(
            op,
            format!(
                "rank {k} is more than a matrix of shape {} can have ({most})",
                fmt_shape(shape)
            ),
        )
        .with_shapes([shape]));
    }
    Ok(())
}

/// How [`truncated_svd_with`] computes the top-k singular triplets.
///
/// ```
/// use mlinalg::lowrank::{truncated_svd_with, TruncatedSvdSolver};
/// use ndarray::array;
/// let a = array![[3.0_f64, 0.0], [0.0, 1.0], [0.0, 0.0]];
/// for solver in [TruncatedSvdSolver::Auto, TruncatedSvdSolver::Full, TruncatedSvdSolver::Krylov] {
///     let f = truncated_svd_with(&a, 1, solver)?;
///     assert!((f.s[0] - 3.0).abs() < 1e-12);
/// }
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TruncatedSvdSolver {
    /// [`Krylov`](Self::Krylov) where it was measured faster, else [`Full`](Self::Full): the
    /// rule of [`TruncatedSvdSolver::for_shape`]. A Krylov run that does not converge falls back
    /// to the full SVD, so `Auto` fails only where `Full` would.
    #[default]
    Auto,
    /// The full thin SVD ([`svd`]), truncated: exact to rounding, O(m·n·min(m, n)).
    Full,
    /// [`partial_svd`] with its default options: residuals ‖A·vᵢ − σᵢ·uᵢ‖, ‖Aᵀ·uᵢ − σᵢ·vᵢ‖ below
    /// 1e-4·σ₁ (f32) or 1e-10·σ₁ (f64), or an [`ErrorKind::NoConvergence`]
    /// error.
    Krylov,
    /// [`randomized_svd`] with scikit-learn's defaults: the fastest, but approximate (a few
    /// percent off on flat spectra) and with no error estimate. Never chosen by `Auto`.
    Randomized,
}

impl TruncatedSvdSolver {
    /// The solver `Auto` uses for the top `k` of an (m, n) matrix: [`Krylov`](Self::Krylov)
    /// when min(m, n) ≥ 256 and k ≤ min(m, n) / 40, else [`Full`](Self::Full). Any other
    /// variant is returned as it is.
    ///
    /// Measured on this project's machine (2 Zen 4 cores, shared with other jobs, so ±20%; f32;
    /// the full thin SVD against [`partial_svd`] with its defaults) on two spectra: σᵢ = 1/i over
    /// 256 values plus 1e-3 Gaussian noise, and a Gaussian matrix, whose flat spectrum is
    /// Krylov's hard case. Times in ms:
    ///
    /// | shape | full (1/i, Gaussian) | k | Krylov, 1/i | Krylov, Gaussian |
    /// |---|---|---|---|---|
    /// | 300 × 300 | 27, 13 | 5 / 15 | 4 / 17 | 14 / 25 |
    /// | 500 × 500 | 92, 45 | 5 / 25 / 50 | 12 / 68 / 174 | 22 / 57 / 127 |
    /// | 1000 × 1000 | 394, 236 | 20 / 50 / 100 | 54 / 223 / 503 | 119 / 320 / 680 |
    /// | 2000 × 2000 | 2211, 1732 | 50 / 100 / 200 | 555 / 1121 / 3438 | 739 / 1587 / 3992 |
    /// | 2000 × 1000 | 347, 634 | 10 / 25 | 35 / 166 | 162 / 235 |
    /// | 4000 × 500 | 136, 137 | 3 / 5 / 10 | 21 / 20 / 40 | 111 / 99 / 165 |
    /// | 8000 × 1000 | 870, 941 | 10 / 25 | 235 / 671 | 1181 / 1001 |
    /// | 3000 × 300 | 39, 48 | 5 / 15 | 10 / 33 | 52 / 104 |
    ///
    /// Krylov's cost grows with k times the blocks it needs (more on flat spectra), the full
    /// SVD's with m·n·min(m, n). At k ≤ min(m, n) / 40 Krylov is 2-10× faster on the decaying
    /// spectrum and up to 2× faster on square Gaussian matrices; the rule's worst cases measured
    /// are tall Gaussian matrices, whose top singular values are nearly equal: 1.2× slower than
    /// full (4000 × 500, k = 10: 165 against 137 ms; 8000 × 1000, k = 10: 1181 against 941 ms).
    /// Beyond k ≈ min(m, n) / 20 Krylov loses on flat spectra, beyond min(m, n) / 10 on both.
    /// Below 256 the full SVD takes a few ms and is exact, so it is kept.
    ///
    /// ```
    /// use mlinalg::lowrank::TruncatedSvdSolver;
    /// use TruncatedSvdSolver::*;
    /// assert_eq!(Auto.for_shape(4096, 4096, 64), Krylov);
    /// assert_eq!(Auto.for_shape(4096, 4096, 1024), Full);
    /// assert_eq!(Auto.for_shape(100, 100, 2), Full);
    /// assert_eq!(Randomized.for_shape(100, 100, 2), Randomized);
    /// ```
    pub fn for_shape(self, m: usize, n: usize, k: usize) -> TruncatedSvdSolver {
        let small = m.min(n);
        match self {
            TruncatedSvdSolver::Auto if small >= 256 && 40 * k <= small => {
                TruncatedSvdSolver::Krylov
            }
            TruncatedSvdSolver::Auto => TruncatedSvdSolver::Full,
            other => other,
        }
    }
}

/// The top-k singular triplets of `a`: `u` (m, k), `s` (k,) descending, `vt` (k, n), by the
/// [`TruncatedSvdSolver::Auto`] choice (see [`truncated_svd_with`]).
///
/// `k` above min(m, n) is an [`ErrorKind::InvalidArgument`]
/// error; `k = 0` gives empty factors.
///
/// ```
/// use mlinalg::lowrank::truncated_svd;
/// use ndarray::array;
/// let f = truncated_svd(&array![[3.0_f64, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]], 2)?;
/// assert_eq!((f.u.dim(), f.s.to_vec(), f.vt.dim()), ((3, 2), vec![3.0, 2.0], (2, 3)));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn truncated_svd<T, S>(a: &ArrayBase<S, Ix2>, k: usize) -> Result<Svd<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    truncated_svd_with(a, k, TruncatedSvdSolver::Auto)
}

/// The top-k singular triplets of `a` by the given solver (`scipy.sparse.linalg.svds(a, k)`
/// ordered like `np.linalg.svd`).
///
/// [`Full`](TruncatedSvdSolver::Full) is exact to rounding; [`Krylov`](TruncatedSvdSolver::Krylov)
/// guarantees residuals below its tolerance (singular values then agree with the full SVD's to
/// about 1e-5 relative in f32 and to rounding in f64); [`Auto`](TruncatedSvdSolver::Auto) picks
/// one of those two by [`TruncatedSvdSolver::for_shape`]. Signs: those of [`svd`] for `Full`,
/// [`svd_flip`](crate::decomp::svd_flip) on `u` for the others.
///
/// ```
/// use mlinalg::lowrank::{truncated_svd_with, TruncatedSvdSolver};
/// use mlinalg::random::Rng;
/// let a = Rng::seed(3).normal_matrix::<f64>(600, 400)?;
/// let fast = truncated_svd_with(&a, 10, TruncatedSvdSolver::Krylov)?;
/// let exact = truncated_svd_with(&a, 10, TruncatedSvdSolver::Full)?;
/// for i in 0..10 {
///     assert!((fast.s[i] - exact.s[i]).abs() < 1e-9 * exact.s[0]);
/// }
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn truncated_svd_with<T, S>(
    a: &ArrayBase<S, Ix2>,
    k: usize,
    solver: TruncatedSvdSolver,
) -> Result<Svd<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    check_rank("truncated_svd", k, a.shape())?;
    let (m, n) = a.dim();
    let full = || -> Result<Svd<T>> {
        let f = svd(a, false)?;
        Ok(Svd {
            u: f.u.slice(s![.., ..k]).to_owned(),
            s: f.s.slice(s![..k]).to_owned(),
            vt: f.vt.slice(s![..k, ..]).to_owned(),
        })
    };
    match solver.for_shape(m, n, k) {
        TruncatedSvdSolver::Krylov => match partial_svd(a, k, &PartialSvdOptions::default()) {
            Err(e)
                if e.kind() == ErrorKind::NoConvergence && solver == TruncatedSvdSolver::Auto =>
            {
                full()
            }
            other => other,
        },
        TruncatedSvdSolver::Randomized if k > 0 => {
            randomized_svd(a, k, &RandomizedSvdOptions::default())
        }
        // k = 0: empty factors after the input checks.
        TruncatedSvdSolver::Randomized => partial_svd(a, 0, &PartialSvdOptions::default()),
        TruncatedSvdSolver::Full | TruncatedSvdSolver::Auto => full(),
    }
}

/// The best rank-k approximation of `a`, `U_k · diag(σ_1..k) · V_kᵀ`: by the Eckart–Young–Mirsky
/// theorem no matrix of rank ≤ k is closer to `a` in the 2-norm or the Frobenius norm.
/// The factors come from [`truncated_svd`] (its automatic choice of full SVD or Krylov).
///
/// `k = 0` gives the zero matrix; `k` above min(m, n) is an error.
///
/// ```
/// use mlinalg::lowrank::best_rank_k;
/// use ndarray::array;
/// // A rank-1 matrix is its own best rank-1 approximation.
/// let a = array![[1.0_f64, 2.0], [2.0, 4.0]];
/// let a1 = best_rank_k(&a, 1)?;
/// assert!((&a1 - &a).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn best_rank_k<T, S>(a: &ArrayBase<S, Ix2>, k: usize) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let f = truncated_svd(a, k)?;
    let us = &f.u * &f.s;
    mm(&us, &f.vt)
}

/// W ≈ A·B split for LoRA-style adapters: A (m, r), B (r, n).
#[derive(Clone, Debug, PartialEq)]
pub struct LoraFactors<T> {
    /// (m, r): `U_r · diag(√σ)`.
    pub a: Array2<T>,
    /// (r, n): `diag(√σ) · V_rᵀ`.
    pub b: Array2<T>,
}

/// LoRA factors of `w` from its truncated SVD, with √σ split evenly between them so that
/// `a · b` is the best rank-r approximation of `w` and both factors have the same scale.
///
/// Parameters: `r · (m + n)` against `m · n` for `w` itself (for 4096×4096 and r = 8: 65,536
/// against 16,777,216). `r` above min(m, n) is an error.
///
/// ```
/// use mlinalg::lowrank::{best_rank_k, lora_factors};
/// use mlinalg::matrix::{allclose, mm};
/// use ndarray::array;
/// let w = array![[4.0_f64, 0.0, 0.0], [0.0, 1.0, 0.0]];
/// let f = lora_factors(&w, 1)?;
/// assert_eq!((f.a.dim(), f.b.dim()), ((2, 1), (1, 3)));
/// assert!(allclose(&mm(&f.a, &f.b)?, &best_rank_k(&w, 1)?, 1e-12, 1e-12)?);
/// assert!((f.a[[0, 0]].abs() - 2.0).abs() < 1e-12); // √4 on each side
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn lora_factors<T, S>(w: &ArrayBase<S, Ix2>, r: usize) -> Result<LoraFactors<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let f = truncated_svd(w, r)?;
    let root = f.s.mapv(|x| x.sqrt());
    let a = &f.u * &root;
    let b = &f.vt * &root.view().insert_axis(Axis(1));
    Ok(LoraFactors { a, b })
}

/// The singular values of a matrix (descending) with its shape: every measure of "how low-rank
/// is this matrix" in one place, computed once per matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum<T> {
    singular_values: Array1<T>,
    shape: (usize, usize),
    /// Σ σᵢ² in f64: ‖A‖_F².
    total_energy: f64,
}

impl<T: Scalar> Spectrum<T> {
    /// The spectrum of `a` (its singular values, by [`svdvals`]).
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let s = Spectrum::of(&array![[3.0_f64, 0.0], [0.0, 4.0]])?;
    /// assert_eq!(s.singular_values().to_vec(), vec![4.0, 3.0]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn of<S: Data<Elem = T>>(a: &ArrayBase<S, Ix2>) -> Result<Self> {
        let (m, n) = a.dim();
        Self::from_singular_values(svdvals(a)?, (m, n))
    }

    /// A spectrum from singular values already computed for a matrix of `shape`: they must be
    /// finite, non-negative, descending and at most min(m, n) of them (an
    /// [`ErrorKind::InvalidArgument`] error otherwise).
    /// Fewer than min(m, n) values are taken as a truncated spectrum whose missing values are 0.
    pub fn from_singular_values(singular_values: Array1<T>, shape: (usize, usize)) -> Result<Self> {
        const OP: &str = "Spectrum::from_singular_values";
        let s = &singular_values;
        if s.len() > shape.0.min(shape.1) {
            return Err(Error::invalid(
                OP,
                format!(
                    "{} singular values for a matrix of shape ({}, {})",
                    s.len(),
                    shape.0,
                    shape.1
                ),
            ));
        }
        if s.iter().any(|x| !x.is_finite() || *x < T::zero()) {
            return Err(Error::invalid(
                OP,
                "singular values must be finite and non-negative",
            ));
        }
        if s.iter().zip(s.iter().skip(1)).any(|(a, b)| b > a) {
            return Err(Error::invalid(
                OP,
                "singular values must be in descending order",
            ));
        }
        let total_energy = add_up(s.iter().map(|x| x.as_f64() * x.as_f64()));
        Ok(Spectrum {
            singular_values,
            shape,
            total_energy,
        })
    }

    /// The singular values, descending.
    pub fn singular_values(&self) -> &Array1<T> {
        &self.singular_values
    }

    /// The shape of the matrix they came from.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    fn check_k(&self, op: &'static str, k: usize) -> Result<()> {
        check_rank(op, k, &[self.shape.0, self.shape.1])
    }

    /// σ₁ = ‖A‖₂ (0 for an empty or zero matrix).
    pub fn spectral_norm(&self) -> T {
        self.singular_values.first().copied().unwrap_or(T::zero())
    }

    /// ‖A‖_F = sqrt(Σ σᵢ²).
    pub fn frobenius_norm(&self) -> T {
        T::cast_f64(self.total_energy.sqrt())
    }

    /// ‖A‖_* = Σ σᵢ.
    pub fn nuclear_norm(&self) -> T {
        T::cast_f64(add_up(self.singular_values.iter().map(|x| x.as_f64())))
    }

    /// ‖A − A_k‖_F = sqrt(Σ_{i>k} σᵢ²), the Frobenius error of the best rank-k approximation.
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let s = Spectrum::from_singular_values(array![4.0_f64, 2.0, 1.0], (3, 3))?;
    /// assert_eq!(s.frobenius_error(1)?, 5.0_f64.sqrt());
    /// assert_eq!(s.frobenius_error(3)?, 0.0);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn frobenius_error(&self, k: usize) -> Result<T> {
        self.check_k("frobenius_error", k)?;
        let tail = self
            .singular_values
            .iter()
            .skip(k)
            .map(|x| x.as_f64() * x.as_f64())
            .fold(0.0, |acc, v| acc + v);
        Ok(T::cast_f64(tail.sqrt()))
    }

    /// ‖A − A_k‖₂ = σ_{k+1}, the 2-norm error of the best rank-k approximation (0 when k reaches
    /// the rank).
    pub fn spectral_error(&self, k: usize) -> Result<T> {
        self.check_k("spectral_error", k)?;
        Ok(self.singular_values.get(k).copied().unwrap_or(T::zero()))
    }

    /// The share of ‖A‖_F² kept by the best rank-k approximation: `Σ_{i≤k} σᵢ² / Σ σᵢ²`, in [0, 1]
    /// (1 for a zero matrix: nothing is lost).
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let s = Spectrum::from_singular_values(array![3.0_f64, 1.0], (2, 2))?;
    /// assert!((s.energy(1)? - 0.9).abs() < 1e-15);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn energy(&self, k: usize) -> Result<f64> {
        self.check_k("energy", k)?;
        if self.total_energy == 0.0 {
            return Ok(1.0);
        }
        let head = self
            .singular_values
            .iter()
            .take(k)
            .map(|x| x.as_f64() * x.as_f64())
            .fold(0.0, |acc, v| acc + v);
        Ok((head / self.total_energy).min(1.0))
    }

    /// The seeds' "singular value energy" `Σ_{i≤k} σᵢ / Σ σᵢ`: the share of the nuclear norm
    /// (1 for a zero matrix). It is the measure the tutorials print; for a decaying spectrum it
    /// is below [`energy`](Self::energy), since a plain sum weighs small σ more than a sum of
    /// squares does.
    pub fn sv_sum_fraction(&self, k: usize) -> Result<f64> {
        self.check_k("sv_sum_fraction", k)?;
        let total = add_up(self.singular_values.iter().map(|x| x.as_f64()));
        if total == 0.0 {
            return Ok(1.0);
        }
        let head = self
            .singular_values
            .iter()
            .take(k)
            .map(|x| x.as_f64())
            .fold(0.0, |acc, v| acc + v);
        Ok((head / total).min(1.0))
    }

    /// The smallest k whose best rank-k approximation keeps at least `target` of ‖A‖_F²
    /// ([`energy`](Self::energy)); `rank_for_energy(0.9)` is the "k90" of a spectrum report.
    /// `target` must be in (0, 1]; a zero matrix needs k = 0.
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let s = Spectrum::from_singular_values(array![3.0_f64, 1.0, 1.0], (3, 3))?;
    /// assert_eq!(s.rank_for_energy(0.8)?, 1); // 9 / 11 = 0.82
    /// assert_eq!(s.rank_for_energy(0.9)?, 2); // 10 / 11 = 0.91
    /// assert!(s.rank_for_energy(1.5).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn rank_for_energy(&self, target: f64) -> Result<usize> {
        const OP: &str = "rank_for_energy";
        if target.is_nan() || target <= 0.0 || target > 1.0 {
            return Err(Error::invalid(
                OP,
                format!("target energy must be in (0, 1], got {target}"),
            ));
        }
        if self.total_energy == 0.0 {
            return Ok(0);
        }
        let want = target * self.total_energy;
        let mut head = 0.0;
        for (i, x) in self.singular_values.iter().enumerate() {
            head += x.as_f64() * x.as_f64();
            // A relative slack of a few ulps, so target = 1 is reached at the last σ despite rounding.
            if head >= want * (1.0 - 4.0 * f64::EPSILON) {
                return Ok(i + 1);
            }
        }
        Ok(self.singular_values.len())
    }

    /// The stable rank `‖A‖_F² / ‖A‖₂² = Σ σᵢ² / σ₁²`: at most the rank, and unlike it not moved
    /// by tiny singular values (0 for a zero matrix).
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let s = Spectrum::from_singular_values(array![2.0_f64, 1.0, 1e-9], (3, 3))?;
    /// assert!((s.stable_rank() - 1.25).abs() < 1e-12);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn stable_rank(&self) -> f64 {
        let top = self.spectral_norm().as_f64();
        if top == 0.0 {
            0.0
        } else {
            self.total_energy / (top * top)
        }
    }

    /// The effective rank of Roy and Vetterli (2007): `exp(H)` where H is the Shannon entropy of
    /// the singular values normalised to sum to one. Between 1 and the rank; equal to r for r
    /// equal singular values (0 for a zero matrix).
    ///
    /// ```
    /// use mlinalg::lowrank::Spectrum;
    /// use ndarray::array;
    /// let flat = Spectrum::from_singular_values(array![1.0_f64, 1.0, 1.0, 1.0], (4, 4))?;
    /// assert!((flat.effective_rank() - 4.0).abs() < 1e-12);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn effective_rank(&self) -> f64 {
        let total = add_up(self.singular_values.iter().map(|x| x.as_f64()));
        if total == 0.0 {
            return 0.0;
        }
        let entropy = self
            .singular_values
            .iter()
            .map(|x| x.as_f64() / total)
            .filter(|&p| p > 0.0)
            .map(|p| -p * p.ln())
            .fold(0.0, |acc, v| acc + v);
        entropy.exp()
    }

    /// The numerical rank: singular values above `tol`, by default NumPy's
    /// `σ₁ · max(m, n) · eps` (as [`crate::matrix::matrix_rank`]). A negative or NaN `tol` is an
    /// error.
    pub fn numerical_rank(&self, tol: Option<T>) -> Result<usize> {
        let tol = match tol {
            Some(t) if t.is_nan() || t < T::zero() => {
                return Err(Error::invalid(
                    "numerical_rank",
                    format!("tolerance must be non-negative, got {t}"),
                ))
            }
            Some(t) => t,
            None => {
                self.spectral_norm() * T::cast_usize(self.shape.0.max(self.shape.1)) * T::epsilon()
            }
        };
        Ok(self.singular_values.iter().filter(|&&x| x > tol).count())
    }
}
