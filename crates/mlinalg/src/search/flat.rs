//! Exact nearest-neighbour search: [`FlatIndex`] compares every query with every stored vector,
//! as FAISS's `IndexFlatIP` / `IndexFlatL2`, by blocked GEMM and bounded top-k selection.
//!
//! ## How a search runs
//! Queries are taken 4,096 at a time; the base is streamed in blocks of rows sized so that the
//! score tile (queries × block) stays within 16 MiB. Each tile is one parallel GEMM
//! `Q·B_blockᵀ`; then every query's row of the tile is scanned in parallel against its running
//! top-k, which rejects almost every score with one comparison against the current k-th best.
//! L2 distances come from the same GEMM as `‖q‖² + ‖b‖² − 2·q·b` with the stored squared norms.
//! Results are exact, ordered nearest first, ties broken by the lower id.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ndarray::{s, Array2, ArrayBase, ArrayView2, Axis, Data, Ix2};
use rayon::prelude::*;

use super::file::{Header, IndexFile, KIND_FLAT};
use super::topk::{Candidate, TopK};
use super::{IndexScalar, Metric, Neighbor, SearchResults};
use crate::error::fmt_shape;
use crate::io::NpyFile;
use crate::{simd, Error, ErrorKind, Result};

/// Queries handled per pass over the base.
const QUERY_CHUNK: usize = 4096;
/// Elements of the score tile (16 MiB of f32).
const TILE_ELEMS: usize = 1 << 22;
/// Largest id an index accepts: ids are returned as int64, with −1 meaning "no result".
pub const MAX_ID: u64 = i64::MAX as u64;

/// Where the vectors live.
#[derive(Debug)]
enum Base<T> {
    /// Row-major rows in memory (normalised for cosine).
    Owned(Vec<T>),
    /// A C-order `.npy` file mapped read-only (not normalised: cosine uses `inv_norms`).
    Mapped(NpyFile),
}

/// An exact (brute-force) vector index. See the [module docs](self) for how it searches.
///
/// ```
/// use mlinalg::search::{FlatIndex, Metric};
/// use ndarray::array;
///
/// let mut index = FlatIndex::<f32>::new(2, Metric::Cosine)?;
/// index.add_with_ids(&array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], &[10, 20, 30])?;
/// let hits = index.search(&array![[1.0, 0.1]], 2)?;
/// assert_eq!(hits.ids.row(0).to_vec(), vec![10, 30]);
/// assert!((hits.scores[[0, 0]] - 0.995).abs() < 1e-3);
///
/// index.remove(&[10]);
/// assert_eq!(index.search(&array![[1.0, 0.1]], 1)?.ids[[0, 0]], 30);
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Debug)]
pub struct FlatIndex<T> {
    metric: Metric,
    dim: usize,
    base: Base<T>,
    ids: Vec<u64>,
    positions: HashMap<u64, usize>,
    alive: Vec<bool>,
    removed: usize,
    /// ‖b‖² per row, for L2.
    sq_norms: Vec<T>,
    /// 1/‖b‖ per row, for cosine over a mapped (unnormalised) base.
    inv_norms: Vec<T>,
}

/// Checks a batch of vectors (finite; non-zero for cosine) before anything is changed.
pub(super) fn check_rows<T: IndexScalar>(
    op: &'static str,
    metric: Metric,
    rows: &ArrayView2<'_, T>,
) -> Result<()> {
    for (i, row) in rows.axis_iter(Axis(0)).enumerate() {
        if row.iter().any(|v| !v.is_finite()) {
            return Err(Error::new(
                ErrorKind::NonFinite,
                op,
                format!("row {i} holds NaN or infinity"),
            )
            .with_shapes([rows.shape()]));
        }
        if metric == Metric::Cosine && row.iter().all(|v| *v == T::zero()) {
            return Err(Error::new(
                ErrorKind::ZeroVector,
                op,
                format!("row {i} is zero: its cosine similarity is undefined"),
            )
            .with_shapes([rows.shape()]));
        }
    }
    Ok(())
}

/// Checks a batch of queries (rows) against an index of `dim` dimensions: their dimension, and
/// [`check_rows`]'s rules.
pub(super) fn check_queries<'a, T: IndexScalar>(
    op: &'static str,
    metric: Metric,
    dim: usize,
    queries: ArrayView2<'a, T>,
) -> Result<ArrayView2<'a, T>> {
    if queries.ncols() != dim {
        return Err(Error::shape(
            op,
            format!(
                "queries {} do not have the index's dimension {dim}",
                fmt_shape(queries.shape())
            ),
        )
        .with_shapes([queries.shape()]));
    }
    check_rows(op, metric, &queries)?;
    Ok(queries)
}

pub(super) fn sq_norm<T: IndexScalar>(row: &[T]) -> T {
    row.iter().fold(T::zero(), |acc, &v| acc + v * v)
}

impl<T: IndexScalar> FlatIndex<T> {
    /// An empty index of vectors of `dim` dimensions.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for `dim = 0`.
    pub fn new(dim: usize, metric: Metric) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid(
                "FlatIndex::new",
                "the dimension must be at least 1",
            ));
        }
        Ok(FlatIndex {
            metric,
            dim,
            base: Base::Owned(Vec::new()),
            ids: Vec::new(),
            positions: HashMap::new(),
            alive: Vec::new(),
            removed: 0,
            sq_norms: Vec::new(),
            inv_norms: Vec::new(),
        })
    }

    /// Opens a C-order `(n, dim)` `.npy` file of `T` as a read-only index over its rows, memory
    /// mapped (the base may be larger than RAM: the OS pages it in as a search streams it), with
    /// ids 0..n. One pass computes the norms it needs; vectors are checked finite (and non-zero
    /// for cosine) on the way.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("mlinalg-flat-doc-{}.npy", std::process::id()));
    /// # mlinalg::io::write_npy(&path, &ndarray::array![[3.0_f32, 4.0], [1.0, 0.0]])?;
    /// use mlinalg::search::{FlatIndex, Metric};
    /// let index = FlatIndex::<f32>::open_npy(&path, Metric::L2)?;
    /// let hits = index.search(&ndarray::array![[1.0_f32, 0.0]], 1)?;
    /// assert_eq!((hits.ids[[0, 0]], hits.scores[[0, 0]]), (1, 0.0));
    /// # drop(index); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Io`]/[`ErrorKind::Format`] for an unreadable or malformed file, one that is
    /// not 2-D, not C-order or not of type `T`; as [`FlatIndex::add`] for its values.
    pub fn open_npy(path: impl AsRef<Path>, metric: Metric) -> Result<Self> {
        const OP: &str = "FlatIndex::open_npy";
        let file = NpyFile::open(path.as_ref())?;
        if file.is_fortran_order() {
            return Err(Error::new(
                ErrorKind::Format,
                OP,
                format!(
                    "{}: a Fortran-order array cannot be searched by rows; save it in C order",
                    path.as_ref().display()
                ),
            ));
        }
        let view = file.view::<T, Ix2>()?;
        let (n, dim) = view.dim();
        if dim == 0 {
            return Err(
                Error::invalid(OP, "the vectors have 0 dimensions").with_shapes([view.shape()])
            );
        }
        let per_row: Vec<Result<T>> = view
            .axis_iter(Axis(0))
            .into_par_iter()
            .map(|row| {
                let s = row
                    .as_slice()
                    .map_or_else(|| sq_norm(&row.to_vec()), sq_norm);
                if !s.is_finite() {
                    return Err(Error::new(
                        ErrorKind::NonFinite,
                        OP,
                        "a vector holds NaN or infinity (or overflows)",
                    ));
                }
                if metric == Metric::Cosine && s == T::zero() {
                    return Err(Error::new(
                        ErrorKind::ZeroVector,
                        OP,
                        "a vector is zero: its cosine similarity is undefined",
                    ));
                }
                Ok(s)
            })
            .collect();
        let norms: Vec<T> = per_row.into_iter().collect::<Result<_>>()?;
        let (sq_norms, inv_norms) = match metric {
            Metric::L2 => (norms, Vec::new()),
            Metric::Cosine => (
                Vec::new(),
                norms.iter().map(|s| T::one() / s.sqrt()).collect(),
            ),
            Metric::Dot => (Vec::new(), Vec::new()),
        };
        let ids: Vec<u64> = (0..n as u64).collect();
        let positions = (0..n).map(|i| (i as u64, i)).collect();
        Ok(FlatIndex {
            metric,
            dim,
            base: Base::Mapped(file),
            ids,
            positions,
            alive: vec![true; n],
            removed: 0,
            sq_norms,
            inv_norms,
        })
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of vectors (removed ones excluded).
    pub fn len(&self) -> usize {
        self.ids.len() - self.removed
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `id` is in the index.
    pub fn contains(&self, id: u64) -> bool {
        self.positions.contains_key(&id)
    }

    /// All stored rows (including removed ones), as stored (normalised for an owned cosine index).
    fn rows(&self) -> Result<ArrayView2<'_, T>> {
        match &self.base {
            Base::Owned(v) => ArrayView2::from_shape((self.ids.len(), self.dim), v)
                .map_err(|e| Error::invalid("FlatIndex", format!("inconsistent storage: {e}"))),
            Base::Mapped(file) => file.view::<T, Ix2>(),
        }
    }

    /// The vector stored under `id` (normalised, for a cosine index built with `add`).
    ///
    /// ```
    /// use mlinalg::search::{FlatIndex, Metric};
    /// let mut index = FlatIndex::<f64>::new(2, Metric::Dot)?;
    /// index.add_with_ids(&ndarray::array![[1.0, 2.0]], &[7])?;
    /// assert_eq!(index.vector(7).unwrap().to_vec(), vec![1.0, 2.0]);
    /// assert!(index.vector(8).is_none());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn vector(&self, id: u64) -> Option<ndarray::Array1<T>> {
        let &row = self.positions.get(&id)?;
        self.rows().ok().map(|r| r.row(row).to_owned())
    }

    /// Adds vectors (rows) with ids continuing after the largest id so far (0, 1, 2, … for a new
    /// index); returns the ids given. See [`FlatIndex::add_with_ids`].
    ///
    /// # Errors
    /// As [`FlatIndex::add_with_ids`].
    pub fn add<S: Data<Elem = T>>(&mut self, vectors: &ArrayBase<S, Ix2>) -> Result<Vec<u64>> {
        let start = self.ids.iter().max().map_or(0, |m| m + 1);
        let ids: Vec<u64> = (start..start + vectors.nrows() as u64).collect();
        self.add_with_ids(vectors, &ids)?;
        Ok(ids)
    }

    /// Adds vectors (rows) under the given ids. Cosine indexes store the normalised vectors.
    /// Nothing is added when anything is wrong.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`] when the rows do not have the index's dimension or the number of ids
    /// differs; [`ErrorKind::InvalidArgument`] for an id already present, repeated, or above
    /// [`MAX_ID`], or an index opened read-only from a `.npy` file; [`ErrorKind::NonFinite`]
    /// for NaN or infinity; [`ErrorKind::ZeroVector`] for a zero vector in a cosine index.
    pub fn add_with_ids<S: Data<Elem = T>>(
        &mut self,
        vectors: &ArrayBase<S, Ix2>,
        ids: &[u64],
    ) -> Result<()> {
        const OP: &str = "FlatIndex::add";
        if vectors.ncols() != self.dim || vectors.nrows() != ids.len() {
            return Err(Error::shape(
                OP,
                format!(
                    "vectors {} with {} ids do not fit an index of dimension {}",
                    fmt_shape(vectors.shape()),
                    ids.len(),
                    self.dim
                ),
            )
            .with_shapes([vectors.shape(), &[ids.len()][..]]));
        }
        let Base::Owned(data) = &mut self.base else {
            return Err(Error::invalid(OP, "an index opened from a .npy file is read-only; build one with FlatIndex::new to add vectors"));
        };
        let mut seen = HashSet::with_capacity(ids.len());
        for &id in ids {
            if id > MAX_ID || self.positions.contains_key(&id) || !seen.insert(id) {
                return Err(Error::invalid(
                    OP,
                    format!("id {id} is already in the index, repeated, or above {MAX_ID}"),
                ));
            }
        }
        let view = vectors.view();
        check_rows(OP, self.metric, &view)?;
        data.reserve(vectors.len());
        for (row, &id) in view.axis_iter(Axis(0)).zip(ids) {
            let start = data.len();
            data.extend(row.iter().copied());
            let stored = &mut data[start..];
            let s = sq_norm(stored);
            match self.metric {
                Metric::Cosine => {
                    let inv = T::one() / s.sqrt();
                    stored.iter_mut().for_each(|v| *v *= inv);
                }
                Metric::L2 => self.sq_norms.push(s),
                Metric::Dot => {}
            }
            self.positions.insert(id, self.ids.len());
            self.ids.push(id);
            self.alive.push(true);
        }
        Ok(())
    }

    /// Removes the vectors with these ids (unknown ids are ignored); returns how many were
    /// removed. Their rows are skipped by searches and dropped when the index is saved.
    pub fn remove(&mut self, ids: &[u64]) -> usize {
        let mut n = 0;
        for id in ids {
            if let Some(row) = self.positions.remove(id) {
                self.alive[row] = false;
                n += 1;
            }
        }
        self.removed += n;
        n
    }

    /// The `k` nearest stored vectors of each query (rows): ids (−1 where fewer than `k` vectors
    /// exist) and scores (see [`Metric`]), nearest first, ties to the lower id.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`] when the queries do not have the index's dimension;
    /// [`ErrorKind::NonFinite`] for NaN or infinity; [`ErrorKind::ZeroVector`] for a zero query
    /// of a cosine index.
    pub fn search<S: Data<Elem = T>>(
        &self,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
    ) -> Result<SearchResults<T>> {
        self.search_impl("FlatIndex::search", queries, k, None)
    }

    /// As [`FlatIndex::search`], considering only the ids for which `filter` returns true.
    ///
    /// ```
    /// use mlinalg::search::{FlatIndex, Metric};
    /// let mut index = FlatIndex::<f32>::new(1, Metric::L2)?;
    /// index.add(&ndarray::array![[0.0], [1.0], [2.0], [3.0]])?;
    /// let odd = index.search_filtered(&ndarray::array![[0.0]], 2, |id| id % 2 == 1)?;
    /// assert_eq!(odd.ids.row(0).to_vec(), vec![1, 3]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`FlatIndex::search`].
    pub fn search_filtered<S, F>(
        &self,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
        filter: F,
    ) -> Result<SearchResults<T>>
    where
        S: Data<Elem = T>,
        F: Fn(u64) -> bool + Sync,
    {
        self.search_impl("FlatIndex::search_filtered", queries, k, Some(&filter))
    }

    /// The queries prepared for the GEMM: checked, normalised for cosine.
    fn prepare_queries<S: Data<Elem = T>>(
        &self,
        op: &'static str,
        queries: &ArrayBase<S, Ix2>,
    ) -> Result<Array2<T>> {
        let view = check_queries(op, self.metric, self.dim, queries.view())?;
        let mut q = view.as_standard_layout().into_owned();
        if self.metric == Metric::Cosine {
            for mut row in q.axis_iter_mut(Axis(0)) {
                let inv = T::one() / row.iter().fold(T::zero(), |a, &v| a + v * v).sqrt();
                row.mapv_inplace(|v| v * inv);
            }
        }
        Ok(q)
    }

    /// Streams the base in blocks against the query chunk `q`; `visit(query, row, goodness)` is
    /// called for every (query, stored row) pair with the row's goodness (larger is nearer).
    fn scan<V>(&self, q: ArrayView2<'_, T>, states: &mut [V::State], visitor: &V) -> Result<()>
    where
        V: Visitor<T>,
    {
        let rows = self.rows()?;
        let n = rows.nrows();
        let nq = q.nrows();
        if n == 0 || nq == 0 {
            return Ok(());
        }
        let block = (TILE_ELEMS / nq).clamp(64, 4096).min(n);
        let mut tile = Array2::<T>::zeros((nq, block));
        let q_sq: Vec<T> = match self.metric {
            Metric::L2 => q
                .axis_iter(Axis(0))
                .map(|r| r.iter().fold(T::zero(), |a, &v| a + v * v))
                .collect(),
            _ => Vec::new(),
        };
        let two = T::one() + T::one();
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let width = end - start;
            let b = rows.slice(s![start..end, ..]);
            let mut t = tile.slice_mut(s![.., ..width]);
            crate::matrix::gemm(q, b.t(), t.view_mut(), false);
            let t = t.view();
            states
                .par_iter_mut()
                .zip(t.axis_iter(Axis(0)).into_par_iter())
                .enumerate()
                .for_each(|(qi, (state, scores))| {
                    let copied;
                    let scores = match scores.as_slice() {
                        Some(s) => s,
                        None => {
                            copied = scores.to_vec();
                            &copied
                        }
                    };
                    match self.metric {
                        Metric::Dot => visitor.visit_scores(state, start, scores),
                        Metric::Cosine if self.inv_norms.is_empty() => {
                            visitor.visit_scores(state, start, scores)
                        }
                        Metric::Cosine => {
                            visitor.visit(state, start, scores, |r, s| s * self.inv_norms[r])
                        }
                        Metric::L2 => {
                            let qs = q_sq[qi];
                            visitor.visit(state, start, scores, |r, s| {
                                -(qs + self.sq_norms[r] - two * s).max(T::zero())
                            })
                        }
                    }
                });
        }
        Ok(())
    }

    fn search_impl<S: Data<Elem = T>>(
        &self,
        op: &'static str,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Result<SearchResults<T>> {
        let q = self.prepare_queries(op, queries)?;
        let nq = q.nrows();
        let mut ids = Array2::<i64>::from_elem((nq, k), -1);
        let worst = if self.metric.higher_is_nearer() {
            T::neg_infinity()
        } else {
            T::infinity()
        };
        let mut scores = Array2::<T>::from_elem((nq, k), worst);
        let visitor = TopKVisitor {
            ids: &self.ids,
            alive: &self.alive,
            filter,
            k,
        };
        for chunk_start in (0..nq).step_by(QUERY_CHUNK) {
            let chunk_end = (chunk_start + QUERY_CHUNK).min(nq);
            let mut states: Vec<TopK<T>> = (chunk_start..chunk_end).map(|_| TopK::new(k)).collect();
            self.scan(
                q.slice(s![chunk_start..chunk_end, ..]),
                &mut states,
                &visitor,
            )?;
            for (i, top) in states.into_iter().enumerate() {
                for (j, c) in top.into_sorted().into_iter().enumerate() {
                    ids[[chunk_start + i, j]] = c.id as i64;
                    scores[[chunk_start + i, j]] = if self.metric.higher_is_nearer() {
                        c.good
                    } else {
                        -c.good
                    };
                }
            }
        }
        Ok(SearchResults { ids, scores })
    }

    /// Every stored vector within `threshold` of each query: similarity ≥ `threshold` for cosine
    /// and dot, squared distance ≤ `threshold` for L2; per query, nearest first.
    ///
    /// ```
    /// use mlinalg::search::{FlatIndex, Metric};
    /// let mut index = FlatIndex::<f64>::new(1, Metric::L2)?;
    /// index.add(&ndarray::array![[0.0], [1.0], [3.0]])?;
    /// let near = index.range_search(&ndarray::array![[0.5]], 1.0)?;
    /// let ids: Vec<u64> = near[0].iter().map(|n| n.id).collect();
    /// assert_eq!(ids, vec![0, 1]); // squared distances 0.25 and 0.25; 6.25 is out
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`FlatIndex::search`]; [`ErrorKind::InvalidArgument`] for a NaN threshold.
    pub fn range_search<S: Data<Elem = T>>(
        &self,
        queries: &ArrayBase<S, Ix2>,
        threshold: T,
    ) -> Result<Vec<Vec<Neighbor<T>>>> {
        const OP: &str = "FlatIndex::range_search";
        if threshold.is_nan() {
            return Err(Error::invalid(OP, "the threshold is NaN"));
        }
        let q = self.prepare_queries(OP, queries)?;
        let good_min = if self.metric.higher_is_nearer() {
            threshold
        } else {
            -threshold
        };
        let visitor = RangeVisitor {
            ids: &self.ids,
            alive: &self.alive,
            good_min,
        };
        let mut out = Vec::with_capacity(q.nrows());
        for chunk_start in (0..q.nrows()).step_by(QUERY_CHUNK) {
            let chunk_end = (chunk_start + QUERY_CHUNK).min(q.nrows());
            let mut states: Vec<Vec<Candidate<T>>> = vec![Vec::new(); chunk_end - chunk_start];
            self.scan(
                q.slice(s![chunk_start..chunk_end, ..]),
                &mut states,
                &visitor,
            )?;
            for mut found in states {
                found.sort_unstable();
                out.push(
                    found
                        .into_iter()
                        .map(|c| Neighbor {
                            id: c.id,
                            score: if self.metric.higher_is_nearer() {
                                c.good
                            } else {
                                -c.good
                            },
                        })
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    /// Saves the index (live vectors and ids) to `path` atomically, in mlinalg's versioned,
    /// checksummed index format (see [`super`]).
    ///
    /// ```
    /// use mlinalg::search::{FlatIndex, Metric};
    /// let path = std::env::temp_dir().join(format!("mlinalg-flat-save-{}.idx", std::process::id()));
    /// let mut index = FlatIndex::<f32>::new(3, Metric::Dot)?;
    /// index.add(&ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    /// index.save(&path)?;
    /// let back = FlatIndex::<f32>::load(&path)?;
    /// assert_eq!((back.len(), back.metric()), (2, Metric::Dot));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be written (the previous file, if any, is kept).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        const OP: &str = "FlatIndex::save";
        let rows = self.rows()?;
        let live: Vec<usize> = (0..self.ids.len()).filter(|&r| self.alive[r]).collect();
        let header = Header {
            kind: KIND_FLAT,
            metric: self.metric.code(),
            elem_size: std::mem::size_of::<T>() as u32,
            dim: self.dim as u64,
            count: live.len() as u64,
            params: [0; 4],
        };
        // A mapped cosine base is stored normalised, like an owned one.
        let scale = |r: usize| {
            if self.inv_norms.is_empty() {
                T::one()
            } else {
                self.inv_norms[r]
            }
        };
        super::file::write_index(OP, path.as_ref(), header, |w| {
            for &r in &live {
                w.write_all(&self.ids[r].to_le_bytes())?;
            }
            let mut buf: Vec<T> = Vec::with_capacity(self.dim);
            for &r in &live {
                buf.clear();
                let f = scale(r);
                buf.extend(rows.row(r).iter().map(|&v| v * f));
                w.write_all(bytemuck::cast_slice(&buf))?;
            }
            Ok(())
        })
    }

    /// Loads an index saved by [`FlatIndex::save`] into memory.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be read; [`ErrorKind::Format`] when it is not a flat
    /// index of `T`, or is truncated or corrupted (checked before anything large is allocated).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        const OP: &str = "FlatIndex::load";
        let mut file = IndexFile::open(OP, path.as_ref())?;
        let index = Self::read_body(OP, &mut file)?;
        file.finish(OP)?;
        Ok(index)
    }

    /// Decodes an index file held in memory (as [`FlatIndex::load`] reads one from disk).
    ///
    /// ```
    /// use mlinalg::search::FlatIndex;
    /// let err = FlatIndex::<f32>::from_bytes(b"not an index".to_vec()).unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
    /// ```
    ///
    /// # Errors
    /// As [`FlatIndex::load`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        const OP: &str = "FlatIndex::from_bytes";
        let bytes = crate::io::Bytes::Owned(std::borrow::Cow::Owned(bytes));
        let mut file = IndexFile::parse(OP, bytes, crate::io::BYTES_SOURCE.to_string())?;
        let index = Self::read_body(OP, &mut file)?;
        file.finish(OP)?;
        Ok(index)
    }

    /// Checks the header and reads the ids and vectors sections of an index file.
    fn read_body(op: &'static str, file: &mut IndexFile) -> Result<Self> {
        let h = file.header;
        let (metric, dim) = file.expect::<T>(op, KIND_FLAT, "a flat index")?;
        let ids = file.u64s(op, "ids", h.count)?;
        let values = h
            .count
            .checked_mul(h.dim)
            .ok_or_else(|| file.error(op, "the vector count overflows"))?;
        let data: Vec<T> = file.pods(op, "vectors", values)?;
        let mut index = FlatIndex::new(dim, metric)?;
        let rows = ArrayView2::from_shape((ids.len(), dim), &data)
            .map_err(|e| file.error(op, e.to_string()))?;
        index
            .add_with_ids(&rows, &ids)
            .map_err(|e| file.error(op, format!("invalid contents: {}", e.message())))?;
        Ok(index)
    }
}

/// What a scan does with each (query, row) score.
trait Visitor<T: IndexScalar>: Sync {
    type State: Send;
    /// Offers the scores of one query against rows `start..start + scores.len()`;
    /// `good(row, score)` turns a raw GEMM score into goodness.
    fn visit<G: Fn(usize, T) -> T>(
        &self,
        state: &mut Self::State,
        start: usize,
        scores: &[T],
        good: G,
    );

    /// [`Visitor::visit`] for scores that are their own goodness (dot products, cosines of
    /// stored unit vectors).
    fn visit_scores(&self, state: &mut Self::State, start: usize, scores: &[T]) {
        self.visit(state, start, scores, |_, s| s);
    }
}

/// Scores per block of the top-k scan's skip test.
const SKIP_BLOCK: usize = 64;

struct TopKVisitor<'a> {
    ids: &'a [u64],
    alive: &'a [bool],
    filter: Option<&'a (dyn Fn(u64) -> bool + Sync)>,
    k: usize,
}

impl<T: IndexScalar> Visitor<T> for TopKVisitor<'_> {
    type State = TopK<T>;

    #[inline]
    fn visit<G: Fn(usize, T) -> T>(&self, top: &mut TopK<T>, start: usize, scores: &[T], good: G) {
        if self.k == 0 {
            return;
        }
        for (j, &s) in scores.iter().enumerate() {
            let r = start + j;
            let g = good(r, s);
            if top.may_enter(g) && self.alive[r] && self.filter.is_none_or(|f| f(self.ids[r])) {
                top.push(Candidate {
                    good: g,
                    id: self.ids[r],
                });
            }
        }
    }

    /// Once k candidates are kept, almost no score can enter: each block of scores is first
    /// tested by its maximum (a vectorised pass) and skipped whole when that is below the
    /// threshold, so the per-score test and its branch run only on the rare blocks that can.
    fn visit_scores(&self, top: &mut TopK<T>, start: usize, scores: &[T]) {
        if self.k == 0 {
            return;
        }
        let mut maxima = [T::zero(); 4096 / SKIP_BLOCK];
        for (c, chunk) in scores.chunks(maxima.len() * SKIP_BLOCK).enumerate() {
            simd::block_max(chunk, SKIP_BLOCK, &mut maxima);
            let first = start + c * maxima.len() * SKIP_BLOCK;
            for ((b, block), &m) in chunk.chunks(SKIP_BLOCK).enumerate().zip(&maxima) {
                if top.may_enter(m) {
                    self.visit(top, first + b * SKIP_BLOCK, block, |_, s| s);
                }
            }
        }
    }
}

struct RangeVisitor<'a, T> {
    ids: &'a [u64],
    alive: &'a [bool],
    good_min: T,
}

impl<T: IndexScalar> Visitor<T> for RangeVisitor<'_, T> {
    type State = Vec<Candidate<T>>;

    #[inline]
    fn visit<G: Fn(usize, T) -> T>(
        &self,
        found: &mut Vec<Candidate<T>>,
        start: usize,
        scores: &[T],
        good: G,
    ) {
        for (j, &s) in scores.iter().enumerate() {
            let r = start + j;
            let g = good(r, s);
            if g >= self.good_min && self.alive[r] {
                found.push(Candidate {
                    good: g,
                    id: self.ids[r],
                });
            }
        }
    }
}
