//! PCA-reduced search with exact re-ranking: [`ReducedIndex`] finds candidates among vectors
//! projected on their top principal components (a GEMM `d / n_components` times cheaper), then
//! ranks the candidates by their exact scores on the full vectors.
//!
//! The projection keeps what matters for ranking:
//! - L2 and cosine (unit vectors, where `‖q − b‖² = 2 − 2·cos`): differences `(q − b)·Wᵀ` are the
//!   same with or without centring, so candidates are the nearest projections in L2.
//! - Dot: `q·b = q·(b − μ) + q·μ`, and `q·μ` is the same for every `b`, so candidates are ranked
//!   by `(q·Wᵀ)·((b − μ)·Wᵀ)`.
//!
//! With `rerank` candidates per requested neighbour (default 10), recall is high whenever the
//! components hold most of the variance; the results returned are always exact scores.
//!
//! ```
//! use mlinalg::random::Rng;
//! use mlinalg::search::{recall_at_k, FlatIndex, Metric, ReducedIndex};
//!
//! // 2,000 vectors near a 16-dimensional subspace of 128 dimensions.
//! let latent = Rng::seed(0).normal_matrix::<f32>(2000, 16)?;
//! let mix = Rng::seed(1).normal_matrix::<f32>(16, 128)?;
//! let base = latent.dot(&mix) + Rng::seed(2).normal_matrix::<f32>(2000, 128)? * 0.05;
//! let queries = base.slice(ndarray::s![..20, ..]).to_owned();
//!
//! let reduced = ReducedIndex::build(&base, None, Metric::Cosine, 16, 10)?;
//! let mut exact = FlatIndex::new(128, Metric::Cosine)?;
//! exact.add(&base)?;
//! let truth = exact.search(&queries, 10)?;
//! let found = reduced.search(&queries, 10)?;
//! assert!(recall_at_k(&found.ids, &truth.ids, 10)? > 0.95);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use ndarray::{s, Array1, Array2, ArrayBase, ArrayView2, Axis, Data, Ix2};
use rayon::prelude::*;

use super::file::{Header, IndexFile, KIND_REDUCED};
use super::flat::check_rows;
use super::topk::{Candidate, TopK};
use super::{FlatIndex, IndexScalar, Metric, SearchResults};
use crate::error::fmt_shape;
use crate::matrix::mm;
use crate::pca::Pca;
use crate::{Error, Result};

/// Rows used to fit the PCA (evenly spaced over the base when it is larger).
const FIT_ROWS: usize = 50_000;

/// A PCA-reduced index with exact re-ranking (see the [module docs](self)).
#[derive(Debug)]
pub struct ReducedIndex<T> {
    metric: Metric,
    /// Full vectors (normalised for cosine), one row per id, in `ids` order.
    full: Array2<T>,
    ids: Vec<u64>,
    positions: HashMap<u64, usize>,
    /// PCA mean (dim) and components (n_components, dim).
    mean: Array1<T>,
    components: Array2<T>,
    /// Projections of the full vectors, searched for candidates.
    reduced: FlatIndex<T>,
    rerank: usize,
}

fn check_and_normalize<T: IndexScalar>(
    op: &'static str,
    metric: Metric,
    x: ArrayView2<'_, T>,
) -> Result<Array2<T>> {
    check_rows(op, metric, &x)?;
    let mut out = x.as_standard_layout().into_owned();
    if metric == Metric::Cosine {
        for mut row in out.axis_iter_mut(Axis(0)) {
            let norm = row.iter().fold(T::zero(), |a, &v| a + v * v).sqrt();
            row.mapv_inplace(|v| v / norm);
        }
    }
    Ok(out)
}

impl<T: IndexScalar> ReducedIndex<T> {
    /// Fits a PCA with `n_components` components on `base` (on 50,000 evenly spaced rows when it
    /// has more), projects every row, and keeps the full vectors for re-ranking. `ids` default
    /// to 0..n. `rerank` is the number of candidates fetched per requested neighbour (≥ 1).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `n_components` is 0 or not below the dimension, when
    /// `rerank` is 0, or for repeated ids or ids above [`super::flat::MAX_ID`];
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the number of ids differs from the rows; as
    /// [`FlatIndex::add_with_ids`] for the values.
    pub fn build<S: Data<Elem = T>>(
        base: &ArrayBase<S, Ix2>,
        ids: Option<&[u64]>,
        metric: Metric,
        n_components: usize,
        rerank: usize,
    ) -> Result<Self> {
        const OP: &str = "ReducedIndex::build";
        let (n, dim) = base.dim();
        if n_components == 0 || n_components >= dim || rerank == 0 {
            return Err(Error::invalid(
                OP,
                format!("need 1 <= n_components < dim ({dim}) and rerank >= 1, got {n_components} and {rerank}"),
            ));
        }
        let ids: Vec<u64> = match ids {
            Some(ids) if ids.len() != n => {
                return Err(Error::shape(
                    OP,
                    format!(
                        "{} ids for a base of shape {}",
                        ids.len(),
                        fmt_shape(base.shape())
                    ),
                )
                .with_shapes([base.shape(), &[ids.len()][..]]))
            }
            Some(ids) => ids.to_vec(),
            None => (0..n as u64).collect(),
        };
        let full = check_and_normalize(OP, metric, base.view())?;
        let step = n.div_ceil(FIT_ROWS).max(1);
        let sample = full.slice(s![..;step, ..]);
        let pca = Pca::new().n_components(n_components).fit(&sample)?;
        Self::assemble(
            OP,
            metric,
            full,
            ids,
            pca.mean().clone(),
            pca.components().clone(),
            rerank,
        )
    }

    /// Builds the reduced flat index from its parts (shared by `build` and `load`).
    fn assemble(
        op: &'static str,
        metric: Metric,
        full: Array2<T>,
        ids: Vec<u64>,
        mean: Array1<T>,
        components: Array2<T>,
        rerank: usize,
    ) -> Result<Self> {
        let reduced_metric = if metric == Metric::Dot {
            Metric::Dot
        } else {
            Metric::L2
        };
        let projected = mm(&(&full - &mean), &components.t())?;
        let mut reduced = FlatIndex::new(components.nrows(), reduced_metric)?;
        reduced
            .add_with_ids(&projected, &ids)
            .map_err(|e| Error::new(e.kind(), op, e.message().to_string()))?;
        let positions = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        Ok(ReducedIndex {
            metric,
            full,
            ids,
            positions,
            mean,
            components,
            reduced,
            rerank,
        })
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The dimension of the full vectors.
    pub fn dim(&self) -> usize {
        self.full.ncols()
    }

    /// The number of principal components searched for candidates.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// The number of vectors (removed ones excluded).
    pub fn len(&self) -> usize {
        self.reduced.len()
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Candidates fetched per requested neighbour.
    pub fn rerank(&self) -> usize {
        self.rerank
    }

    /// Sets the candidates fetched per requested neighbour (more: higher recall, slower).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for 0.
    pub fn set_rerank(&mut self, rerank: usize) -> Result<()> {
        if rerank == 0 {
            return Err(Error::invalid(
                "ReducedIndex::set_rerank",
                "rerank must be at least 1",
            ));
        }
        self.rerank = rerank;
        Ok(())
    }

    /// Removes the vectors with these ids (unknown ids are ignored); returns how many.
    pub fn remove(&mut self, ids: &[u64]) -> usize {
        self.reduced.remove(ids)
    }

    /// The `k` nearest vectors of each query with their exact scores (see [`Metric`]), nearest
    /// first, ties to the lower id; candidates come from the reduced index.
    ///
    /// # Errors
    /// As [`FlatIndex::search`].
    pub fn search<S: Data<Elem = T>>(
        &self,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
    ) -> Result<SearchResults<T>> {
        const OP: &str = "ReducedIndex::search";
        if queries.ncols() != self.dim() {
            return Err(Error::shape(
                OP,
                format!(
                    "queries {} do not have the index's dimension {}",
                    fmt_shape(queries.shape()),
                    self.dim()
                ),
            )
            .with_shapes([queries.shape()]));
        }
        let q = check_and_normalize(OP, self.metric, queries.view())?;
        let projected = if self.metric == Metric::Dot {
            mm(&q, &self.components.t())?
        } else {
            mm(&(&q - &self.mean), &self.components.t())?
        };
        let candidates = self
            .reduced
            .search(&projected, k.saturating_mul(self.rerank).max(k))?;
        let nq = q.nrows();
        let higher = self.metric.higher_is_nearer();
        let rows: Vec<Vec<Candidate<T>>> = (0..nq)
            .into_par_iter()
            .map(|qi| {
                let query = q.row(qi);
                let mut top = TopK::new(k);
                for &id in candidates.ids.row(qi) {
                    let Some(&r) = u64::try_from(id)
                        .ok()
                        .and_then(|id| self.positions.get(&id))
                    else {
                        continue;
                    };
                    let b = self.full.row(r);
                    let score = match self.metric {
                        Metric::L2 => query
                            .iter()
                            .zip(b.iter())
                            .fold(T::zero(), |a, (&x, &y)| a + (x - y) * (x - y)),
                        _ => query.dot(&b),
                    };
                    let good = if higher { score } else { -score };
                    if top.may_enter(good) {
                        top.push(Candidate {
                            good,
                            id: self.ids[r],
                        });
                    }
                }
                top.into_sorted()
            })
            .collect();
        let mut ids = Array2::from_elem((nq, k), -1_i64);
        let mut scores = Array2::from_elem(
            (nq, k),
            if higher {
                T::neg_infinity()
            } else {
                T::infinity()
            },
        );
        for (qi, row) in rows.into_iter().enumerate() {
            for (j, c) in row.into_iter().enumerate() {
                ids[[qi, j]] = c.id as i64;
                scores[[qi, j]] = if higher { c.good } else { -c.good };
            }
        }
        Ok(SearchResults { ids, scores })
    }

    /// Saves the index atomically (live vectors, ids, the PCA mean and components, `rerank`) in
    /// mlinalg's index format (kind 3).
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be written (the previous file, if any, is kept).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        const OP: &str = "ReducedIndex::save";
        let live: Vec<usize> = (0..self.ids.len())
            .filter(|&r| self.reduced.contains(self.ids[r]))
            .collect();
        let header = Header {
            kind: KIND_REDUCED,
            metric: self.metric.code(),
            elem_size: std::mem::size_of::<T>() as u32,
            dim: self.dim() as u64,
            count: live.len() as u64,
            params: [self.n_components() as u64, self.rerank as u64, 0, 0],
        };
        super::file::write_index(OP, path.as_ref(), header, |w| {
            for &r in &live {
                w.write_all(&self.ids[r].to_le_bytes())?;
            }
            for &r in &live {
                let row = self.full.row(r).to_vec();
                w.write_all(bytemuck::cast_slice(&row))?;
            }
            w.write_all(bytemuck::cast_slice(&self.mean.to_vec()))?;
            w.write_all(bytemuck::cast_slice(
                &self
                    .components
                    .as_standard_layout()
                    .iter()
                    .copied()
                    .collect::<Vec<T>>(),
            ))
        })
    }

    /// Loads an index saved by [`ReducedIndex::save`].
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be read; [`ErrorKind::Format`](crate::ErrorKind::Format) when it is not a
    /// reduced index of `T`, or is truncated or corrupted.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        const OP: &str = "ReducedIndex::load";
        let mut file = IndexFile::open(OP, path.as_ref())?;
        Self::read(OP, &mut file)
    }

    /// Decodes an index file held in memory (as [`ReducedIndex::load`]).
    ///
    /// # Errors
    /// As [`ReducedIndex::load`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        const OP: &str = "ReducedIndex::from_bytes";
        let bytes = crate::io::Bytes::Owned(std::borrow::Cow::Owned(bytes));
        let mut file = IndexFile::parse(OP, bytes, crate::io::BYTES_SOURCE.to_string())?;
        Self::read(OP, &mut file)
    }

    fn read(op: &'static str, file: &mut IndexFile) -> Result<Self> {
        let h = file.header;
        let (metric, dim) = file.expect::<T>(op, KIND_REDUCED, "a PCA-reduced index")?;
        let n_components = usize::try_from(h.params[0])
            .ok()
            .filter(|&c| c > 0 && c < dim)
            .ok_or_else(|| {
                file.error(op, format!("invalid number of components {}", h.params[0]))
            })?;
        let rerank = usize::try_from(h.params[1])
            .ok()
            .filter(|&r| r > 0)
            .ok_or_else(|| file.error(op, format!("invalid rerank {}", h.params[1])))?;
        let ids = file.u64s(op, "ids", h.count)?;
        let values = h
            .count
            .checked_mul(h.dim)
            .ok_or_else(|| file.error(op, "the vector count overflows"))?;
        let full: Vec<T> = file.pods(op, "vectors", values)?;
        let mean: Vec<T> = file.pods(op, "PCA mean", h.dim)?;
        let comp: Vec<T> = file.pods(op, "PCA components", (n_components * dim) as u64)?;
        file.finish(op)?;
        let shape_err = |e: ndarray::ShapeError| file.error(op, e.to_string());
        let full = Array2::from_shape_vec((ids.len(), dim), full).map_err(shape_err)?;
        let components = Array2::from_shape_vec((n_components, dim), comp).map_err(shape_err)?;
        if full
            .iter()
            .chain(mean.iter())
            .chain(components.iter())
            .any(|v| !v.is_finite())
        {
            return Err(file.error(op, "holds NaN or infinity"));
        }
        Self::assemble(
            op,
            metric,
            full,
            ids,
            Array1::from(mean),
            components,
            rerank,
        )
        .map_err(|e| file.error(op, format!("invalid contents: {}", e.message())))
    }
}
