//! The geometry of high dimensions: why nearest-neighbour search in embedding spaces works
//! differently from intuition in 2-D, and why approximate search loses little.
//!
//! - Volume concentrates at the surface: the fraction of a d-ball's volume inside radius r·R is
//!   rᵈ ([`ball_volume_fraction`]; 0.99⁷⁶⁸ ≈ 0.00045), and the radius holding half the volume is
//!   0.5^(1/d) ([`radius_holding_fraction`]; 0.9991·R at d = 768).
//! - Distances concentrate: for random points the relative contrast (max − min)/min of the
//!   distances from a query shrinks as d grows ([`distance_concentration`]).
//! - Neighbours are nearly tied: the cosine similarity of a query's 1st and 100th nearest
//!   neighbour differ little ([`neighbor_gap`]).
//! - One-hot vectors carry no similarity: every pair of distinct one-hot vectors is at distance √2
//!   and cosine 0 ([`one_hot`]), where dense embeddings spread out.
//!
//! ```
//! use mlinalg::geometry::{ball_volume_fraction, radius_holding_fraction};
//!
//! assert!((ball_volume_fraction(0.99, 2)? - 0.9801).abs() < 1e-12);
//! assert!(ball_volume_fraction(0.99, 768)? < 0.001);   // almost all volume in the outer 1% shell
//! assert!(radius_holding_fraction(0.5, 768)? > 0.999);  // half the volume beyond 0.999·R
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{Array2, ArrayBase, Axis, Data, Ix2};
use rayon::prelude::*;

use crate::error::fmt_shape;
use crate::matrix::mm;
use crate::random::Rng;
use crate::{Error, ErrorKind, Result, Scalar};

fn check_dimension(op: &'static str, d: usize) -> Result<()> {
    if d == 0 {
        Err(Error::invalid(op, "the dimension d must be at least 1"))
    } else {
        Ok(())
    }
}

/// The fraction of a d-dimensional ball's volume that lies within `r` times its radius: `rᵈ`
/// (volume scales as the d-th power of the radius).
///
/// ```
/// use mlinalg::geometry::ball_volume_fraction;
/// // The outer 1% shell holds 2% of a disk but 99.96% of a 768-ball.
/// assert!((1.0 - ball_volume_fraction(0.99, 768)? - 0.99955).abs() < 1e-5);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] when `r` is not in [0, 1] or `d` is 0.
pub fn ball_volume_fraction(r: f64, d: usize) -> Result<f64> {
    const OP: &str = "ball_volume_fraction";
    check_dimension(OP, d)?;
    if !(0.0..=1.0).contains(&r) {
        return Err(Error::invalid(
            OP,
            format!("the radius fraction r must be in [0, 1], got {r}"),
        ));
    }
    Ok(r.powf(d as f64))
}

/// The radius (as a fraction of the ball's) within which a fraction `p` of a d-ball's volume
/// lies: `p^(1/d)`. For `p = 0.5`, the median distance from the centre of a uniform point.
///
/// ```
/// use mlinalg::geometry::radius_holding_fraction;
/// assert!((radius_holding_fraction(0.5, 2)? - 0.7071).abs() < 1e-4);
/// assert!((radius_holding_fraction(0.5, 768)? - 0.99910).abs() < 1e-5);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] when `p` is not in [0, 1] or `d` is 0.
pub fn radius_holding_fraction(p: f64, d: usize) -> Result<f64> {
    const OP: &str = "radius_holding_fraction";
    check_dimension(OP, d)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::invalid(
            OP,
            format!("the volume fraction p must be in [0, 1], got {p}"),
        ));
    }
    Ok(p.powf(1.0 / d as f64))
}

/// Statistics of the distances from random queries to random points (see
/// [`distance_concentration`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Concentration {
    /// The dimension.
    pub dimension: usize,
    /// Mean over queries of the smallest distance to the points.
    pub min: f64,
    /// Mean over queries of the largest distance.
    pub max: f64,
    /// Mean over queries of the relative contrast `(max − min) / min`; tends to 0 as d grows.
    pub relative_contrast: f64,
    /// Mean over queries of `std / mean` of the distances (shrinks like 1/√d).
    pub coefficient_of_variation: f64,
}

/// The distance-concentration experiment: `n_points` points and `n_queries` queries uniform in
/// the unit cube \[0, 1\]ᵈ (seeded), Euclidean distances from each query to every point, and the
/// relative contrast `(max − min) / min` averaged over the queries. In 2-D the nearest point is
/// far nearer than the farthest; in 1000-D all points are at about the same distance.
///
/// ```
/// use mlinalg::geometry::distance_concentration;
/// let low = distance_concentration(2, 1000, 10, 0)?;
/// let high = distance_concentration(1000, 1000, 10, 0)?;
/// assert!(low.relative_contrast > 10.0 && high.relative_contrast < 0.5);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] when `d`, `n_points` or `n_queries` is 0, or the arrays are
/// too large to allocate.
pub fn distance_concentration(
    d: usize,
    n_points: usize,
    n_queries: usize,
    seed: u64,
) -> Result<Concentration> {
    const OP: &str = "distance_concentration";
    check_dimension(OP, d)?;
    if n_points < 2 || n_queries == 0 {
        return Err(Error::invalid(
            OP,
            format!("need at least 2 points and 1 query, got {n_points} and {n_queries}"),
        ));
    }
    let mut rng = Rng::seed(seed);
    let points = rng.uniform::<f64>(&[n_points, d], 0.0, 1.0)?;
    let queries = rng.uniform::<f64>(&[n_queries, d], 0.0, 1.0)?;
    let points = points
        .into_dimensionality::<Ix2>()
        .map_err(|e| Error::invalid(OP, e.to_string()))?;
    let queries = queries
        .into_dimensionality::<Ix2>()
        .map_err(|e| Error::invalid(OP, e.to_string()))?;
    let dist = crate::vector::cdist(&queries, &points)?;
    let per_query: Vec<(f64, f64, f64, f64)> = dist
        .axis_iter(Axis(0))
        .map(|row| {
            let (lo, hi) = row.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
            let n = row.len() as f64;
            let mean = row.sum() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            (lo, hi, (hi - lo) / lo, var.sqrt() / mean)
        })
        .collect();
    let q = n_queries as f64;
    let avg = |f: fn(&(f64, f64, f64, f64)) -> f64| per_query.iter().map(f).sum::<f64>() / q;
    Ok(Concentration {
        dimension: d,
        min: avg(|t| t.0),
        max: avg(|t| t.1),
        relative_contrast: avg(|t| t.2),
        coefficient_of_variation: avg(|t| t.3),
    })
}

/// The cosine similarity of each query's `first`-th and `last`-th nearest neighbour among the
/// rows of `base` (1-based ranks, exact search; rows need not be normalised), and their gap.
#[derive(Clone, Debug, PartialEq)]
pub struct NeighborGap {
    /// Per query, the cosine similarity of the neighbour of rank `first`.
    pub first: Vec<f64>,
    /// Per query, the cosine similarity of the neighbour of rank `last`.
    pub last: Vec<f64>,
}

impl NeighborGap {
    /// The mean over queries of `first − last`.
    pub fn mean_gap(&self) -> f64 {
        let n = self.first.len().max(1) as f64;
        self.first
            .iter()
            .zip(&self.last)
            .map(|(a, b)| a - b)
            .sum::<f64>()
            / n
    }
}

/// How close the 1st and the `last`-th nearest neighbours are by cosine similarity, for each
/// query: in 384- or 768-dimensional sentence embeddings the 1st and 100th neighbour often
/// differ by less than 0.1, so an approximate index that swaps a few near-ties loses little.
///
/// ```
/// use mlinalg::geometry::neighbor_gap;
/// use mlinalg::random::Rng;
/// let base = Rng::seed(0).normal_matrix::<f32>(2000, 384)?;
/// let queries = Rng::seed(1).normal_matrix::<f32>(5, 384)?;
/// let gap = neighbor_gap(&base, &queries, 100)?;
/// assert!(gap.mean_gap() > 0.0 && gap.mean_gap() < 0.2); // random vectors: nearly all tied
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Shape`] when the dimensions differ; [`ErrorKind::InvalidArgument`] when `last`
/// is 0 or exceeds the number of base rows; [`ErrorKind::ZeroVector`] for a zero row;
/// [`ErrorKind::NonFinite`] for NaN or infinity.
pub fn neighbor_gap<T, S1, S2>(
    base: &ArrayBase<S1, Ix2>,
    queries: &ArrayBase<S2, Ix2>,
    last: usize,
) -> Result<NeighborGap>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    const OP: &str = "neighbor_gap";
    if base.ncols() != queries.ncols() {
        return Err(Error::shape(
            OP,
            format!(
                "base {} and queries {} differ in dimension",
                fmt_shape(base.shape()),
                fmt_shape(queries.shape())
            ),
        )
        .with_shapes([base.shape(), queries.shape()]));
    }
    if last == 0 || last > base.nrows() {
        return Err(Error::invalid(
            OP,
            format!(
                "rank {last} is not between 1 and the {} base rows",
                base.nrows()
            ),
        ));
    }
    let normalize = |a: &ArrayBase<_, Ix2>| -> Result<Array2<T>> {
        let mut out = a.to_owned();
        for mut row in out.axis_iter_mut(Axis(0)) {
            if row.iter().any(|v: &T| !v.is_finite()) {
                return Err(Error::new(
                    ErrorKind::NonFinite,
                    OP,
                    "an input row holds NaN or infinity",
                ));
            }
            let norm = row.iter().fold(T::zero(), |acc, &v| acc + v * v).sqrt();
            if norm == T::zero() {
                return Err(Error::new(
                    ErrorKind::ZeroVector,
                    OP,
                    "an input row is zero: its cosine is undefined",
                ));
            }
            row.mapv_inplace(|v| v / norm);
        }
        Ok(out)
    };
    let b = normalize(&base.view())?;
    let q = normalize(&queries.view())?;
    let sims = mm(&q, &b.t())?;
    let (first, last): (Vec<f64>, Vec<f64>) = sims
        .axis_iter(Axis(0))
        .into_par_iter()
        .map(|row| {
            let mut v: Vec<f64> = row.iter().map(|s| s.as_f64()).collect();
            // Descending; select the last-th largest without a full sort.
            let (_, kth, _) = v.select_nth_unstable_by(last - 1, |a, b| b.total_cmp(a));
            let kth = *kth;
            let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (top, kth)
        })
        .unzip();
    Ok(NeighborGap { first, last })
}

/// One-hot encodings: row `i` is the standard basis vector `e_{indices[i]}` of length `vocab`.
/// Every pair of distinct one-hot vectors is at Euclidean distance √2 with cosine 0: the
/// encoding says "different" and nothing about "how different", which dense embeddings learn.
///
/// ```
/// use mlinalg::geometry::one_hot;
/// use mlinalg::vector::cdist;
/// let words = one_hot::<f64>(3, &[0, 1, 2])?; // cat, dog, quantum
/// let d = cdist(&words, &words)?;
/// assert!((d[[0, 1]] - 2f64.sqrt()).abs() < 1e-15 && (d[[0, 2]] - 2f64.sqrt()).abs() < 1e-15);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] when an index is not below `vocab`.
pub fn one_hot<T: Scalar>(vocab: usize, indices: &[usize]) -> Result<Array2<T>> {
    let mut out = Array2::zeros((indices.len(), vocab));
    for (row, &i) in indices.iter().enumerate() {
        if i >= vocab {
            return Err(Error::invalid(
                "one_hot",
                format!("index {i} is out of range for a vocabulary of {vocab}"),
            ));
        }
        out[[row, i]] = T::one();
    }
    Ok(out)
}
