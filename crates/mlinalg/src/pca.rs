//! Principal component analysis with scikit-learn's semantics: [`Pca`] is the estimator (its
//! settings), [`Pca::fit`] returns a [`FittedPca`] that transforms and inverse-transforms.
//! [`PcaAccumulator`] fits out of core, from row blocks, with accumulators that merge.
//!
//! Agreement with scikit-learn's `PCA`: the same solvers and `'auto'` rule, the same sign
//! convention (`svd_flip` on the components), the same `explained_variance_` (divided by n − 1),
//! `explained_variance_ratio_`, `singular_values_`, `noise_variance_`, whitening and choice of
//! k for a variance fraction. The randomized solver draws its own random numbers, so its output
//! matches scikit-learn's to the accuracy of the method, not bit for bit.
//!
//! ```
//! use mlinalg::pca::Pca;
//! use ndarray::array;
//! // Points along the direction [1, 2] (with a little noise): one component explains them.
//! let x = array![[1.0_f64, 2.1], [2.0, 3.9], [3.0, 6.0], [4.0, 8.1], [5.0, 9.9]];
//! let pca = Pca::new().n_components(1).fit(&x)?;
//! assert!(pca.explained_variance_ratio()[0] > 0.99);
//! let c = pca.components().row(0);
//! assert!((c[1] / c[0] - 2.0).abs() < 0.05);
//! let z = pca.transform(&x)?; // (5, 1)
//! let back = pca.inverse_transform(&z)?; // (5, 2), close to x
//! assert!((&back - &x).iter().all(|d| d.abs() < 0.1));
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{s, Array1, Array2, ArrayBase, Axis, Data, Ix2};

use crate::decomp::{eigh, randomized_svd, svd, svd_flip, RandomizedSvdOptions};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::{check_finite, mm};
use crate::Scalar;

/// How many components to keep.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Components {
    /// All of them: min(n_samples, n_features) (scikit-learn's `None`).
    #[default]
    All,
    /// Exactly this many.
    Count(usize),
    /// The fewest whose explained variance ratios add up to more than this fraction, in (0, 1)
    /// (scikit-learn's float `n_components`).
    VarianceFraction(f64),
}

/// The algorithm behind [`Pca::fit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PcaSolver {
    /// scikit-learn's `'auto'` rule: [`CovarianceEigh`](Self::CovarianceEigh) when there are at
    /// most 1000 features and at least 10 times as many samples; else [`Full`](Self::Full) when
    /// the data is at most 500 × 500; else [`Randomized`](Self::Randomized) when a count of
    /// components below 80% of min(n_samples, n_features) is asked for; else `Full`.
    #[default]
    Auto,
    /// The thin SVD of the centred data: exact, O(n·p·min(n, p)).
    Full,
    /// The eigendecomposition of the p × p covariance matrix: one GEMM over the data, then a
    /// small eigh; exact up to the squaring of the condition number, fastest for tall data.
    CovarianceEigh,
    /// A randomized SVD of the centred data (see [`randomized_svd`]): top-k only.
    Randomized,
}

/// The PCA estimator: its settings. Build with [`Pca::new`] and the setters, then [`fit`](Self::fit).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Pca {
    n_components: Components,
    whiten: bool,
    solver: PcaSolver,
    seed: u64,
    iterated_power: Option<usize>,
    n_oversamples: Option<usize>,
}

impl Pca {
    /// All components, no whitening, the `Auto` solver, seed 0.
    pub fn new() -> Self {
        Pca::default()
    }

    /// Keep `k` components.
    pub fn n_components(mut self, k: usize) -> Self {
        self.n_components = Components::Count(k);
        self
    }

    /// Keep the fewest components explaining more than `fraction` of the variance, in (0, 1).
    pub fn variance_fraction(mut self, fraction: f64) -> Self {
        self.n_components = Components::VarianceFraction(fraction);
        self
    }

    /// Keep components as `components` says.
    pub fn components_choice(mut self, components: Components) -> Self {
        self.n_components = components;
        self
    }

    /// Scale projections to unit variance (divide by √explained_variance).
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.whiten = whiten;
        self
    }

    /// Choose the solver.
    pub fn solver(mut self, solver: PcaSolver) -> Self {
        self.solver = solver;
        self
    }

    /// Seed of the randomized solver.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Power iterations of the randomized solver (default: scikit-learn's `'auto'`).
    pub fn iterated_power(mut self, iterations: usize) -> Self {
        self.iterated_power = Some(iterations);
        self
    }

    /// Oversampling of the randomized solver (default 10).
    pub fn n_oversamples(mut self, n: usize) -> Self {
        self.n_oversamples = Some(n);
        self
    }

    /// The solver [`PcaSolver::Auto`] picks for data of this shape (see its docs).
    pub fn resolved_solver(&self, n_samples: usize, n_features: usize) -> PcaSolver {
        match self.solver {
            PcaSolver::Auto => {
                let small = n_samples.min(n_features);
                if n_features <= 1000 && n_samples >= 10 * n_features {
                    PcaSolver::CovarianceEigh
                } else if n_samples.max(n_features) <= 500 {
                    PcaSolver::Full
                } else if matches!(self.n_components, Components::Count(k) if k >= 1 && (k as f64) < 0.8 * small as f64)
                {
                    PcaSolver::Randomized
                } else {
                    PcaSolver::Full
                }
            }
            other => other,
        }
    }

    /// Fits the principal axes of `x` (n_samples, n_features).
    ///
    /// Errors: fewer than 2 samples or no features ([`ErrorKind::Empty`]), NaN or infinity, a
    /// count above min(n_samples, n_features) or a fraction outside (0, 1)
    /// ([`ErrorKind::InvalidArgument`]), `Randomized` with [`Components::All`] or a fraction
    /// (it needs a count, as in scikit-learn).
    pub fn fit<T, S>(&self, x: &ArrayBase<S, Ix2>) -> Result<FittedPca<T>>
    where
        T: Scalar,
        S: Data<Elem = T>,
    {
        const OP: &str = "Pca::fit";
        let (n, p) = x.dim();
        if n < 2 || p == 0 {
            return Err(Error::new(
                ErrorKind::Empty,
                OP,
                format!(
                    "PCA needs at least 2 samples and 1 feature, got shape {}",
                    fmt_shape(x.shape())
                ),
            )
            .with_shapes([x.shape()]));
        }
        check_finite(OP, "data", x)?;
        let solver = self.resolved_solver(n, p);
        let small = n.min(p);
        let requested = self.check_components(OP, small)?;
        // NumPy's pairwise summation (reduce::mean), so f32 means of many rows keep their digits.
        let mean = crate::reduce::mean(x, Some(0), false)?
            .into_dimensionality::<ndarray::Ix1>()
            .map_err(|e| Error::new(ErrorKind::Shape, OP, e.to_string()))?;
        let xc = x - &mean;
        let dof = T::cast_usize(n - 1);
        // (singular values of the centred data, components as rows, total variance)
        let (s, mut vt, total_var) = match solver {
            PcaSolver::Full | PcaSolver::Auto => {
                let f = svd(&xc, false).map_err(|e| rename(e, OP))?;
                let (mut u, mut vt) = (f.u, f.vt);
                svd_flip(&mut u, &mut vt, false);
                let total = f.s.iter().map(|&v| v * v / dof).sum::<T>();
                (f.s, vt, total)
            }
            PcaSolver::CovarianceEigh => {
                // gram: the upper triangle only, mirrored (exactly symmetric, ~half the work).
                let cov = crate::matrix::gram(&xc) / dof;
                let e = eigh(&cov).map_err(|e| rename(e, OP))?;
                // Descending; rounding can make the smallest eigenvalues slightly negative.
                let w: Array1<T> = e
                    .eigenvalues
                    .iter()
                    .rev()
                    .map(|&v| v.max(T::zero()))
                    .collect();
                let total = w.sum();
                let s = w.mapv(|v| (v * dof).sqrt());
                let mut vt = e.eigenvectors.slice(s![.., ..;-1]).t().to_owned();
                let mut no_u = Array2::<T>::zeros((0, vt.nrows()));
                svd_flip(&mut no_u, &mut vt, false);
                // Only min(n, p) components exist.
                (
                    s.slice(s![..small]).to_owned(),
                    vt.slice(s![..small, ..]).to_owned(),
                    total,
                )
            }
            PcaSolver::Randomized => {
                let k = match requested {
                    Requested::Count(k) => k,
                    _ => {
                        return Err(Error::invalid(
                            OP,
                            "the randomized solver needs a number of components, not all of them or a variance fraction",
                        ))
                    }
                };
                let options = RandomizedSvdOptions {
                    n_oversamples: self.n_oversamples.unwrap_or(10),
                    n_iter: self.iterated_power,
                    flip_sign: false,
                    seed: self.seed,
                    ..RandomizedSvdOptions::default()
                };
                let f = randomized_svd(&xc, k, &options).map_err(|e| rename(e, OP))?;
                let (mut u, mut vt) = (f.u, f.vt);
                svd_flip(&mut u, &mut vt, false);
                let total = xc
                    .map_axis(Axis(0), |c| c.iter().map(|&v| v * v).sum::<T>() / dof)
                    .sum();
                (f.s, vt, total)
            }
        };
        let explained_all = s.mapv(|v| v * v / dof);
        let k = match requested {
            Requested::Count(k) => k,
            Requested::All => small,
            Requested::Fraction(f) => components_for_fraction(
                explained_all.iter().map(|v| v.as_f64()),
                total_var.as_f64(),
                f,
            ),
        };
        let k = k.min(s.len());
        let noise_variance = if k < small {
            match solver {
                PcaSolver::Randomized => {
                    let kept = explained_all.slice(s![..k]).sum();
                    (total_var - kept) / T::cast_usize(small - k)
                }
                _ => explained_all.slice(s![k..]).sum() / T::cast_usize(small - k),
            }
        } else {
            T::zero()
        };
        vt = vt.slice(s![..k, ..]).to_owned();
        let explained_variance = explained_all.slice(s![..k]).to_owned();
        let explained_variance_ratio = explained_variance.mapv(|v| {
            if total_var > T::zero() {
                v / total_var
            } else {
                T::zero()
            }
        });
        Ok(FittedPca {
            components: vt,
            explained_variance,
            explained_variance_ratio,
            singular_values: s.slice(s![..k]).to_owned(),
            mean,
            noise_variance,
            n_samples: n,
            whiten: self.whiten,
            solver,
        })
    }

    /// [`fit`](Self::fit), then [`FittedPca::transform`] of the same data.
    pub fn fit_transform<T, S>(&self, x: &ArrayBase<S, Ix2>) -> Result<(FittedPca<T>, Array2<T>)>
    where
        T: Scalar,
        S: Data<Elem = T>,
    {
        let fitted = self.fit(x)?;
        let z = fitted.transform(x)?;
        Ok((fitted, z))
    }

    fn check_components(&self, op: &'static str, small: usize) -> Result<Requested> {
        match self.n_components {
            Components::All => Ok(Requested::All),
            Components::Count(k) if k >= 1 && k <= small => Ok(Requested::Count(k)),
            Components::Count(k) => Err(Error::invalid(
                op,
                format!(
                    "n_components must be in 1..={small} (min of samples and features), got {k}"
                ),
            )),
            Components::VarianceFraction(f) if f > 0.0 && f < 1.0 => Ok(Requested::Fraction(f)),
            Components::VarianceFraction(f) => Err(Error::invalid(
                op,
                format!("a variance fraction must be in (0, 1), got {f}"),
            )),
        }
    }
}

enum Requested {
    All,
    Count(usize),
    Fraction(f64),
}

/// scikit-learn's choice of k for a variance fraction `f`: `searchsorted(cumsum(ratio), f,
/// side='right') + 1`, i.e. the fewest leading variances whose share exceeds `f` (all of them if
/// none does).
fn components_for_fraction(variances: impl Iterator<Item = f64>, total: f64, f: f64) -> usize {
    let mut cum = 0.0;
    let mut k = 0;
    for v in variances {
        k += 1;
        cum += v / total;
        if cum > f {
            break;
        }
    }
    k
}

fn rename(e: Error, op: &'static str) -> Error {
    let shapes: Vec<Vec<usize>> = e.shapes().to_vec();
    Error::new(e.kind(), op, e.message().to_string()).with_shapes(shapes)
}

/// A fitted PCA: the principal axes and what they explain (scikit-learn's fitted attributes).
#[derive(Clone, Debug, PartialEq)]
pub struct FittedPca<T> {
    components: Array2<T>,
    explained_variance: Array1<T>,
    explained_variance_ratio: Array1<T>,
    singular_values: Array1<T>,
    mean: Array1<T>,
    noise_variance: T,
    n_samples: usize,
    whiten: bool,
    solver: PcaSolver,
}

impl<T: Scalar> FittedPca<T> {
    /// The principal axes as rows, (k, n_features), by decreasing explained variance.
    pub fn components(&self) -> &Array2<T> {
        &self.components
    }
    /// Variance along each axis (divided by n − 1).
    pub fn explained_variance(&self) -> &Array1<T> {
        &self.explained_variance
    }
    /// Each axis's share of the total variance.
    pub fn explained_variance_ratio(&self) -> &Array1<T> {
        &self.explained_variance_ratio
    }
    /// The singular values of the centred data for the kept axes.
    pub fn singular_values(&self) -> &Array1<T> {
        &self.singular_values
    }
    /// The per-feature mean subtracted before projecting.
    pub fn mean(&self) -> &Array1<T> {
        &self.mean
    }
    /// The probabilistic-PCA noise variance: the mean variance of the dropped axes (0 if none).
    pub fn noise_variance(&self) -> T {
        self.noise_variance
    }
    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }
    /// Number of features of the data it was fitted on.
    pub fn n_features(&self) -> usize {
        self.components.ncols()
    }
    /// Number of samples it was fitted on.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }
    /// The solver that ran (never `Auto`).
    pub fn solver(&self) -> PcaSolver {
        self.solver
    }
    /// Whether projections are whitened.
    pub fn whiten(&self) -> bool {
        self.whiten
    }

    /// Projects `x` (n, n_features) onto the axes: `(x − mean) · componentsᵀ`, divided by
    /// √explained_variance when whitening. A feature count other than the fitted one is an
    /// [`ErrorKind::Shape`] error.
    pub fn transform<S: Data<Elem = T>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<T>> {
        const OP: &str = "FittedPca::transform";
        if x.ncols() != self.n_features() {
            return Err(Error::shape(
                OP,
                format!(
                    "data of shape {} has {} features, the PCA was fitted on {}",
                    fmt_shape(x.shape()),
                    x.ncols(),
                    self.n_features()
                ),
            )
            .with_shapes([x.shape()]));
        }
        let mut z = mm(&(x - &self.mean), &self.components.t())?;
        if self.whiten {
            let scale = self.explained_variance.mapv(|v| v.sqrt());
            z /= &scale;
        }
        Ok(z)
    }

    /// Maps projections `z` (n, k) back to feature space: `z · components + mean` (undoing the
    /// whitening first). Exact for data in the span of the axes; otherwise the closest point.
    pub fn inverse_transform<S: Data<Elem = T>>(&self, z: &ArrayBase<S, Ix2>) -> Result<Array2<T>> {
        const OP: &str = "FittedPca::inverse_transform";
        if z.ncols() != self.n_components() {
            return Err(Error::shape(
                OP,
                format!(
                    "projections of shape {} have {} components, the PCA has {}",
                    fmt_shape(z.shape()),
                    z.ncols(),
                    self.n_components()
                ),
            )
            .with_shapes([z.shape()]));
        }
        let x = if self.whiten {
            let scale = self.explained_variance.mapv(|v| v.sqrt());
            mm(&(z * &scale), &self.components)?
        } else {
            mm(z, &self.components)?
        };
        Ok(x + &self.mean)
    }
}

/// Out-of-core PCA: accumulates the mean and the scatter matrix Σ (x − mean)(x − mean)ᵀ of row
/// blocks in f64, so a data set larger than memory is fitted one block at a time with O(p²)
/// memory. Two accumulators over disjoint rows [`merge`](Self::merge) into the accumulator of
/// their union (Chan et al.'s pairwise update), so blocks can be processed in parallel.
/// [`finish`](Self::finish) is the `CovarianceEigh` solver on the accumulated covariance.
///
/// ```
/// use mlinalg::pca::{Pca, PcaAccumulator, PcaSolver};
/// use mlinalg::random::Rng;
/// let x = Rng::seed(1).normal_matrix::<f64>(100, 5)?;
/// let mut acc = PcaAccumulator::new(5);
/// for block in x.axis_chunks_iter(ndarray::Axis(0), 30) {
///     acc.update(&block)?;
/// }
/// let pca = Pca::new().n_components(2);
/// let streamed = acc.finish::<f64>(&pca)?;
/// let direct = pca.solver(PcaSolver::CovarianceEigh).fit(&x)?;
/// let d = streamed.explained_variance() - direct.explained_variance();
/// assert!(d.iter().all(|v| v.abs() < 1e-12));
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PcaAccumulator {
    n: usize,
    mean: Array1<f64>,
    scatter: Array2<f64>,
}

impl PcaAccumulator {
    /// An empty accumulator for rows of `n_features` values.
    pub fn new(n_features: usize) -> Self {
        PcaAccumulator {
            n: 0,
            mean: Array1::zeros(n_features),
            scatter: Array2::zeros((n_features, n_features)),
        }
    }

    /// Rows seen so far.
    pub fn n_samples(&self) -> usize {
        self.n
    }

    /// Adds a block of rows (n_block, n_features). A different feature count is an
    /// [`ErrorKind::Shape`] error; NaN or infinity an [`ErrorKind::NonFinite`] one (and the
    /// accumulator is left unchanged).
    pub fn update<T: Scalar, S: Data<Elem = T>>(
        &mut self,
        block: &ArrayBase<S, Ix2>,
    ) -> Result<()> {
        const OP: &str = "PcaAccumulator::update";
        let p = self.mean.len();
        if block.ncols() != p {
            return Err(Error::shape(
                OP,
                format!(
                    "block of shape {} has {} features, expected {p}",
                    fmt_shape(block.shape()),
                    block.ncols()
                ),
            )
            .with_shapes([block.shape()]));
        }
        check_finite(OP, "block", block)?;
        if block.nrows() == 0 {
            return Ok(());
        }
        let b = block.mapv(|v| v.as_f64());
        let mean = b.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
        let centred = &b - &mean;
        let scatter = mm(&centred.t(), &centred)?;
        self.merge(&PcaAccumulator {
            n: b.nrows(),
            mean,
            scatter,
        })
    }

    /// Combines with an accumulator over other rows of the same features.
    pub fn merge(&mut self, other: &PcaAccumulator) -> Result<()> {
        if other.mean.len() != self.mean.len() {
            return Err(Error::shape(
                "PcaAccumulator::merge",
                format!(
                    "{} features and {} features cannot be merged",
                    self.mean.len(),
                    other.mean.len()
                ),
            ));
        }
        if other.n == 0 {
            return Ok(());
        }
        if self.n == 0 {
            *self = other.clone();
            return Ok(());
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta = &other.mean - &self.mean;
        let outer = delta
            .view()
            .insert_axis(Axis(1))
            .dot(&delta.view().insert_axis(Axis(0)));
        self.scatter = &self.scatter + &other.scatter + &(outer * (na * nb / n));
        self.mean = &self.mean + &(delta * (nb / n));
        self.n += other.n;
        Ok(())
    }

    /// The fitted PCA of all rows seen: eigh of the covariance, components as the settings of
    /// `pca` ask (its solver is ignored: this is `CovarianceEigh`), results cast to `T`.
    pub fn finish<T: Scalar>(&self, pca: &Pca) -> Result<FittedPca<T>> {
        const OP: &str = "PcaAccumulator::finish";
        let p = self.mean.len();
        if self.n < 2 || p == 0 {
            return Err(Error::new(
                ErrorKind::Empty,
                OP,
                format!(
                    "PCA needs at least 2 samples and 1 feature, got {} samples of {p}",
                    self.n
                ),
            ));
        }
        let small = self.n.min(p);
        let requested = pca.check_components(OP, small)?;
        let dof = (self.n - 1) as f64;
        let cov = &self.scatter / dof;
        let e = eigh(&cov).map_err(|e| rename(e, OP))?;
        let w: Array1<f64> = e.eigenvalues.iter().rev().map(|&v| v.max(0.0)).collect();
        let total: f64 = w.sum();
        let mut vt = e.eigenvectors.slice(s![.., ..;-1]).t().to_owned();
        let mut no_u = Array2::<f64>::zeros((0, p));
        svd_flip(&mut no_u, &mut vt, false);
        let k = match requested {
            Requested::Count(k) => k,
            Requested::All => small,
            Requested::Fraction(f) => {
                components_for_fraction(w.iter().copied().take(small), total, f)
            }
        };
        let noise = if k < small {
            w.slice(s![k..small]).mean().unwrap_or(0.0)
        } else {
            0.0
        };
        let ev = w.slice(s![..k]).to_owned();
        Ok(FittedPca {
            components: vt.slice(s![..k, ..]).mapv(T::cast_f64),
            explained_variance_ratio: ev
                .mapv(|v| T::cast_f64(if total > 0.0 { v / total } else { 0.0 })),
            singular_values: ev.mapv(|v| T::cast_f64((v * dof).sqrt())),
            explained_variance: ev.mapv(T::cast_f64),
            mean: self.mean.mapv(T::cast_f64),
            noise_variance: T::cast_f64(noise),
            n_samples: self.n,
            whiten: pca.whiten,
            solver: PcaSolver::CovarianceEigh,
        })
    }
}
