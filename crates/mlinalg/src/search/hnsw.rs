//! Approximate nearest-neighbour search: [`HnswIndex`], a hierarchical navigable small world
//! graph (Malkov & Yashunin, 2016/2018), as hnswlib and FAISS's `IndexHNSWFlat` build it.
//!
//! ## How it works
//! Every vector is a node. Each node draws a level `⌊−ln(u)/ln(M)⌋` (u uniform, so about one
//! node in M reaches level 1, one in M² level 2, …) from a generator seeded by
//! [`HnswParams::seed`]. On every level up to its own, a node is linked to at most `M`
//! neighbours (`2M` on level 0), chosen by the "heuristic" of the paper: candidates are taken
//! nearest first, and one is kept only if it is nearer to the new node than to every neighbour
//! already kept, which spreads the links in all directions. When a neighbour's list overflows,
//! the same heuristic prunes it.
//!
//! A search starts at the entry point (the node of the highest level), walks greedily down the
//! sparse upper levels, then runs a best-first search on level 0 that keeps the `ef` nearest
//! nodes seen; the `k` nearest of those are returned. A larger `ef` (the `ef_search` parameter)
//! costs time and buys recall. Building runs the same search with `ef_construction` for every
//! new node, in parallel (rayon) with a lock per node's link list; links are stored as atomics,
//! so searches read them without locks.
//!
//! Removed vectors are tombstones: never returned, still used as stepping stones, so the graph
//! stays connected. A filter (a predicate on ids) is applied the same way, and the search goes on
//! until it has `ef` vectors that pass it (for a very selective filter, a [`super::FlatIndex`]
//! with [`search_filtered`](super::FlatIndex::search_filtered) is faster).
//!
//! Distances between f32 vectors are computed by AVX-512 or AVX2 + FMA kernels chosen at run
//! time, f64 ones by AVX2 + FMA (the release build targets generic x86-64; other CPUs use a
//! portable loop). A node's unvisited neighbours are compared with the query four at a time
//! where the CPU has a kernel for it (f32 with AVX-512: four rows read together keep more memory
//! reads in flight), and the next ones are prefetched while the current ones are compared, as
//! hnswlib does. The vectors and level-0 links of a large index live in 2 MiB pages: the search
//! reads them at random, and with 4 KiB pages nearly every vector read missed the TLB.
//!
//! ## Why our own, and not a crate: the measurement
//! The design left the choice to a measurement: this implementation against `hnsw_rs` 0.3.5
//! (with its SIMD feature `simdeez_f`, `DistDot`), both fed the same `.npy` files (a scratch
//! crate, not committed), M = 16, ef_construction = 200, 2 rayon threads, queries/s as the best
//! of 3 batch searches, top-10, on the 2 Zen 4 cores of the project machine while other builds
//! ran (load average in brackets; the two ran back to back, so only their ratio counts).
//! `usearch` was not measured: it is a C++ library built by `cc`, a dependency to carry only if
//! it won clearly, and hnswlib (the C++ reference, `compare/` W9) bounds what it could reach.
//!
//! | data | ef | ours q/s @ recall@10 | hnsw_rs q/s @ recall@10 |
//! |---|---:|---:|---:|
//! | shared embeddings 2 000 × 384, cosine, 100 queries (load 2.8) | build | 0.16 s | 0.48 s |
//! | | 10 | 77 493 @ 0.898 | 34 773 @ 0.920 |
//! | | 16 | 71 812 @ 0.959 | 28 212 @ 0.962 |
//! | | 32 | 59 950 @ 0.990 | 15 866 @ 0.993 |
//! | | 64 | 18 237 @ 0.997 | 10 984 @ 0.999 |
//! | W9 data, first 20 000 × 768, inner product, 1 000 queries (load 2.6–3.3) | build | 5.8 s | 36.4 s |
//! | | 10 | 40 753 @ 0.984 | 5 273 @ 0.990 |
//! | | 16 | 31 937 @ 0.997 | 3 839 @ 0.999 |
//! | | 32 | 17 987 @ 0.999 | 2 106 @ 0.9995 |
//! | full W9 100 000 × 768, first version of our kernels (load 6.6–9.3) | build | 346 s | 688 s |
//! | | 16 | 1 938 @ 0.958 | 941 @ 0.974 |
//! | | 32 | 1 332 @ 0.996 | 628 @ 0.999 |
//!
//! At equal recall ours answers 2–8 times the queries per second and builds 2–6 times faster
//! (`hnsw_rs` gets a little more recall at the same ef, not enough to close the gap). The first
//! version's distance loop did not vectorise; with the explicit SIMD kernels, `compare/` W9 (same
//! run, load 4.7–5.1) measured: build 82.5 s, 13 622 q/s at ef 16 (recall@10 0.959), against
//! hnswlib 87.1 s and 9 310 q/s (ef 16, 0.952) and FAISS `IndexHNSWFlat` 83.8 s and 5 959 q/s
//! (ef 24, 0.981); a second run (load 5.6–5.0) gave 82.3 s and 8 126 q/s (ef 16, 0.956) against
//! hnswlib's 84.4 s and 8 136 q/s (ef 16, 0.951): on par with hnswlib, ahead of FAISS. So the
//! index is our own: no new dependency, and it shares the index file format of
//! [`super::FlatIndex`].
//!
//! ## Index files
//! [`HnswIndex::save`] writes the shared index format (kind 2; see [`super`]): the header holds
//! M, ef_construction, the entry point and the top level; the sections hold ef_search and the
//! seed, the ids, the tombstone flags, the levels, the vectors and the link lists, and a CRC-32
//! closes the file. [`HnswIndex::load`] checks every size against the file before allocating,
//! the checksum, and the graph itself (every link in range and on a level its target has), so
//! a truncated, corrupted or lying file is a [`ErrorKind::Format`] error, never a crash.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

use ndarray::{Array2, ArrayBase, Axis, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::file::{Header, IndexFile, KIND_HNSW};
use super::flat::{check_queries, check_rows, sq_norm, MAX_ID};
use super::kernel::{self, Dist4Fn, DistFn};
use super::{IndexScalar, Metric, SearchResults};
use crate::error::fmt_shape;
#[cfg(doc)]
use crate::ErrorKind;
use crate::{Error, Result};

/// Largest M accepted (hnswlib allows any; beyond a few hundred a graph is a flat index).
pub const MAX_M: usize = 1024;
/// Highest level a node may draw (a level above 30 has probability M^−30).
const MAX_LEVEL: u8 = 30;
/// Largest number of nodes (ids inside the graph are u32; one value is kept spare).
const MAX_NODES: usize = u32::MAX as usize - 1;
/// "No entry point" in index files.
const NO_ENTRY: u64 = u64::MAX;

/// The parameters of an [`HnswIndex`]. The defaults are those of hnswlib and FAISS for M and
/// ef_construction; `ef_search = 64` gives recall@10 ≥ 0.95 on the shared sentence embeddings
/// and on the W9 clustered data (see the module docs).
///
/// ```
/// use mlinalg::search::HnswParams;
/// let p = HnswParams { m: 32, ..HnswParams::default() };
/// assert_eq!((p.m, p.ef_construction, p.ef_search), (32, 200, 64));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on the upper levels (2·M on level 0): 16 by default; 2..=1024.
    pub m: usize,
    /// Candidates kept while linking a new node: 200 by default; larger builds a better graph,
    /// more slowly.
    pub ef_construction: usize,
    /// Candidates kept while searching (at least k is used): 64 by default.
    pub ef_search: usize,
    /// Seed of the level draws: with 1 thread (`RAYON_NUM_THREADS=1`), the same inputs give the
    /// same graph.
    pub seed: u64,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construction: 200,
            ef_search: 64,
            seed: 0,
        }
    }
}

/// A candidate during a search: distance (smaller is nearer) and node.
#[derive(Clone, Copy, Debug)]
struct Cand<T> {
    d: T,
    node: u32,
}

impl<T: IndexScalar> PartialEq for Cand<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: IndexScalar> Eq for Cand<T> {}
impl<T: IndexScalar> PartialOrd for Cand<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: IndexScalar> Ord for Cand<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.d
            .partial_cmp(&other.d)
            .unwrap_or(Ordering::Equal)
            .then(self.node.cmp(&other.node))
    }
}

/// Nodes seen by one search: a mark per node, cleared in O(1) by bumping the epoch.
struct Visited {
    marks: Vec<u32>,
    epoch: u32,
}

impl Visited {
    fn new() -> Self {
        Visited {
            marks: Vec::new(),
            epoch: 0,
        }
    }

    fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.epoch = 1;
        }
    }

    /// Marks `node`; false when it was already marked.
    #[inline]
    fn insert(&mut self, node: u32) -> bool {
        match self.marks.get_mut(node as usize) {
            Some(m) if *m != self.epoch => {
                *m = self.epoch;
                true
            }
            _ => false,
        }
    }
}

thread_local! {
    static VISITED: RefCell<Visited> = RefCell::new(Visited::new());
}

/// Runs `f` with this thread's visited set (a fresh one if it is in use further up the stack).
fn with_visited<R>(f: impl FnOnce(&mut Visited) -> R) -> R {
    VISITED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => f(&mut v),
        Err(_) => f(&mut Visited::new()),
    })
}

/// An approximate nearest-neighbour index (HNSW). See the [module docs](self).
///
/// ```
/// use mlinalg::random::Rng;
/// use mlinalg::search::{recall_at_k, FlatIndex, HnswIndex, Metric};
///
/// let base = Rng::seed(0).normal_matrix::<f32>(2000, 32)?;
/// let queries = Rng::seed(1).normal_matrix::<f32>(20, 32)?;
/// let mut index = HnswIndex::new(32, Metric::Cosine)?;
/// index.add(&base)?;
/// let hits = index.search(&queries, 10)?;
///
/// let mut exact = FlatIndex::new(32, Metric::Cosine)?;
/// exact.add(&base)?;
/// let truth = exact.search(&queries, 10)?;
/// assert!(recall_at_k(&hits.ids, &truth.ids, 10)? > 0.9);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub struct HnswIndex<T> {
    metric: Metric,
    dim: usize,
    params: HnswParams,
    /// Row-major vectors, normalised for cosine.
    data: Vec<T>,
    /// External id of each node.
    ids: Vec<u64>,
    /// External id → node, for live nodes.
    positions: HashMap<u64, u32>,
    alive: Vec<bool>,
    removed: usize,
    levels: Vec<u8>,
    /// Level-0 link lists, `1 + 2M` per node: count, then neighbours.
    links0: Vec<AtomicU32>,
    /// Upper-level link lists of each node, `1 + M` per level above 0.
    upper: Vec<Box<[AtomicU32]>>,
    /// One lock per node, held while its link lists are written.
    locks: Vec<Mutex<()>>,
    /// The entry point and its level (the top level).
    entry: Option<(u32, usize)>,
    rng: ChaCha8Rng,
    dist: DistFn<T>,
    /// The four-at-once kernel of the same metric, where the CPU has one.
    dist4: Option<Dist4Fn<T>>,
}

impl<T> fmt::Debug for HnswIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HnswIndex")
            .field("metric", &self.metric)
            .field("dim", &self.dim)
            .field("params", &self.params)
            .field("nodes", &self.ids.len())
            .field("removed", &self.removed)
            .field("entry", &self.entry)
            .finish()
    }
}

fn level_rng(seed: u64, nodes: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (nodes as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn check_params(op: &'static str, p: &HnswParams) -> Result<()> {
    if !(2..=MAX_M).contains(&p.m) {
        return Err(Error::invalid(
            op,
            format!("M = {} is outside 2..={MAX_M}", p.m),
        ));
    }
    if p.ef_construction == 0 || p.ef_search == 0 {
        return Err(Error::invalid(
            op,
            "ef_construction and ef_search must be at least 1",
        ));
    }
    Ok(())
}

impl<T: IndexScalar> HnswIndex<T> {
    /// An empty index of `dim`-dimensional vectors with the default [`HnswParams`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for `dim = 0`.
    pub fn new(dim: usize, metric: Metric) -> Result<Self> {
        Self::with_params(dim, metric, HnswParams::default())
    }

    /// An empty index with the given parameters.
    ///
    /// ```
    /// use mlinalg::search::{HnswIndex, HnswParams, Metric};
    /// let index = HnswIndex::<f32>::with_params(8, Metric::L2, HnswParams { m: 8, ..Default::default() })?;
    /// assert_eq!(index.params().m, 8);
    /// assert!(HnswIndex::<f32>::with_params(8, Metric::L2, HnswParams { m: 1, ..Default::default() }).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for `dim = 0`, M outside 2..=[`MAX_M`], or an ef of 0.
    pub fn with_params(dim: usize, metric: Metric, params: HnswParams) -> Result<Self> {
        const OP: &str = "HnswIndex::new";
        if dim == 0 {
            return Err(Error::invalid(OP, "the dimension must be at least 1"));
        }
        check_params(OP, &params)?;
        Ok(HnswIndex {
            metric,
            dim,
            params,
            data: Vec::new(),
            ids: Vec::new(),
            positions: HashMap::new(),
            alive: Vec::new(),
            removed: 0,
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            locks: Vec::new(),
            entry: None,
            rng: level_rng(params.seed, 0),
            dist: kernel::select::<T>(metric),
            dist4: kernel::select4::<T>(metric),
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

    /// The parameters.
    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// Sets the `ef` used by [`HnswIndex::search`] (at least `k` is used).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for 0.
    pub fn set_ef_search(&mut self, ef: usize) -> Result<()> {
        if ef == 0 {
            return Err(Error::invalid(
                "HnswIndex::set_ef_search",
                "ef_search must be at least 1",
            ));
        }
        self.params.ef_search = ef;
        Ok(())
    }

    /// The number of vectors (removed ones excluded).
    pub fn len(&self) -> usize {
        self.ids.len() - self.removed
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `id` is in the index (and not removed).
    pub fn contains(&self, id: u64) -> bool {
        self.positions.contains_key(&id)
    }

    /// The vector stored under `id` (normalised for a cosine index).
    pub fn vector(&self, id: u64) -> Option<ndarray::Array1<T>> {
        let &node = self.positions.get(&id)?;
        Some(ndarray::Array1::from(self.row(node).to_vec()))
    }

    #[inline]
    fn row(&self, node: u32) -> &[T] {
        let start = node as usize * self.dim;
        &self.data[start..start + self.dim]
    }

    #[inline]
    fn links(&self, node: u32, layer: usize) -> &[AtomicU32] {
        if layer == 0 {
            let w = 1 + 2 * self.params.m;
            let start = node as usize * w;
            &self.links0[start..start + w]
        } else {
            let w = 1 + self.params.m;
            &self.upper[node as usize][(layer - 1) * w..layer * w]
        }
    }

    /// Copies a link list (its count is clamped to its capacity).
    #[inline]
    fn neighbors(list: &[AtomicU32], out: &mut Vec<u32>) {
        out.clear();
        let n = (list[0].load(AtomicOrdering::Acquire) as usize).min(list.len() - 1);
        out.extend(list[1..=n].iter().map(|a| a.load(AtomicOrdering::Relaxed)));
    }

    /// Writes a link list; the caller holds the node's lock.
    fn write_links(list: &[AtomicU32], nodes: impl Iterator<Item = u32>) {
        let mut n = 0;
        for (slot, v) in list[1..].iter().zip(nodes) {
            slot.store(v, AtomicOrdering::Relaxed);
            n += 1;
        }
        list[0].store(n, AtomicOrdering::Release);
    }

    /// Adds vectors (rows) with ids continuing after the largest id so far; returns them.
    ///
    /// # Errors
    /// As [`HnswIndex::add_with_ids`].
    pub fn add<S: Data<Elem = T>>(&mut self, vectors: &ArrayBase<S, Ix2>) -> Result<Vec<u64>> {
        self.add_with_progress(vectors, None, |_, _| {})
    }

    /// Adds vectors (rows) under the given ids, linking them in parallel. Nothing is added when
    /// anything is wrong.
    ///
    /// ```
    /// use mlinalg::search::{HnswIndex, Metric};
    /// use ndarray::array;
    /// let mut index = HnswIndex::<f64>::new(2, Metric::L2)?;
    /// index.add_with_ids(&array![[0.0, 0.0], [5.0, 5.0]], &[100, 200])?;
    /// assert_eq!(index.search(&array![[4.0, 4.0]], 1)?.ids[[0, 0]], 200);
    /// assert!(index.add_with_ids(&array![[1.0, 1.0]], &[100]).is_err()); // duplicate id
    /// assert!(index.add_with_ids(&array![[f64::NAN, 1.0]], &[300]).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`] when the rows do not have the index's dimension or the number of ids
    /// differs; [`ErrorKind::InvalidArgument`] for an id already present, repeated or above
    /// [`MAX_ID`], or more than 2³²−2 vectors; [`ErrorKind::NonFinite`] for NaN or infinity;
    /// [`ErrorKind::ZeroVector`] for a zero vector in a cosine index.
    pub fn add_with_ids<S: Data<Elem = T>>(
        &mut self,
        vectors: &ArrayBase<S, Ix2>,
        ids: &[u64],
    ) -> Result<()> {
        self.add_with_progress(vectors, Some(ids), |_, _| {})
            .map(|_| ())
    }

    /// As [`HnswIndex::add`] (`ids = None`) or [`HnswIndex::add_with_ids`], calling
    /// `progress(done, total)` from the building threads about every 1% of the vectors and at
    /// the end; returns the ids.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    /// use mlinalg::search::{HnswIndex, Metric};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let base = Rng::seed(3).normal_matrix::<f32>(500, 8)?;
    /// let mut index = HnswIndex::new(8, Metric::Dot)?;
    /// let last = AtomicUsize::new(0);
    /// let ids = index.add_with_progress(&base, None, |done, _total| {
    ///     last.fetch_max(done, Ordering::Relaxed);
    /// })?;
    /// assert_eq!((ids.len(), last.into_inner()), (500, 500));
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`HnswIndex::add_with_ids`].
    pub fn add_with_progress<S, P>(
        &mut self,
        vectors: &ArrayBase<S, Ix2>,
        ids: Option<&[u64]>,
        progress: P,
    ) -> Result<Vec<u64>>
    where
        S: Data<Elem = T>,
        P: Fn(usize, usize) + Sync,
    {
        const OP: &str = "HnswIndex::add";
        let ids: Vec<u64> = match ids {
            Some(ids) => ids.to_vec(),
            None => {
                let start = self.ids.iter().max().map_or(0, |m| m + 1);
                (start..start.saturating_add(vectors.nrows() as u64)).collect()
            }
        };
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
        if self.ids.len() + ids.len() > MAX_NODES {
            return Err(Error::invalid(
                OP,
                format!("an index holds at most {MAX_NODES} vectors"),
            ));
        }
        let mut seen = HashSet::with_capacity(ids.len());
        for &id in &ids {
            if id > MAX_ID || self.positions.contains_key(&id) || !seen.insert(id) {
                return Err(Error::invalid(
                    OP,
                    format!("id {id} is already in the index, repeated, or above {MAX_ID}"),
                ));
            }
        }
        let view = vectors.view();
        check_rows(OP, self.metric, &view)?;

        // Storage first (sequentially, with the seeded level draws), then the links in parallel.
        let first = self.ids.len();
        let total = ids.len();
        let m = self.params.m;
        let ml = 1.0 / (m as f64).ln();
        crate::alloc::reserve_huge(&mut self.data, total * self.dim);
        crate::alloc::reserve_huge(&mut self.links0, total * (1 + 2 * m));
        for (row, &id) in view.axis_iter(Axis(0)).zip(&ids) {
            let start = self.data.len();
            self.data.extend(row.iter().copied());
            if self.metric == Metric::Cosine {
                let stored = &mut self.data[start..];
                let inv = T::one() / sq_norm(stored).sqrt();
                stored.iter_mut().for_each(|v| *v *= inv);
            }
            let u: f64 = self.rng.random();
            let level = (-(1.0 - u).ln() * ml).floor().min(MAX_LEVEL as f64) as u8;
            self.positions.insert(id, self.ids.len() as u32);
            self.ids.push(id);
            self.alive.push(true);
            self.levels.push(level);
            self.links0
                .extend((0..1 + 2 * m).map(|_| AtomicU32::new(0)));
            self.upper.push(
                (0..level as usize * (1 + m))
                    .map(|_| AtomicU32::new(0))
                    .collect(),
            );
            self.locks.push(Mutex::new(()));
        }
        if total == 0 {
            return Ok(ids);
        }
        let mut start = first;
        if self.entry.is_none() {
            self.entry = Some((first as u32, self.levels[first] as usize));
            start += 1;
            progress(1, total);
        }
        let top = Mutex::new(self.entry.unwrap_or((first as u32, 0)));
        let done = AtomicUsize::new(start - first);
        let step = (total / 100).max(1);
        let this = &*self;
        (start..first + total).into_par_iter().for_each(|node| {
            this.insert(node as u32, &top);
            let d = done.fetch_add(1, AtomicOrdering::Relaxed) + 1;
            if d.is_multiple_of(step) || d == total {
                progress(d, total);
            }
        });
        self.entry = Some(top.into_inner().unwrap_or_else(|e| e.into_inner()));
        Ok(ids)
    }

    /// Links node `x` into the graph.
    fn insert(&self, x: u32, top: &Mutex<(u32, usize)>) {
        let level = self.levels[x as usize] as usize;
        let guard = top.lock().unwrap_or_else(|e| e.into_inner());
        let (ep, top_level) = *guard;
        // A node that raises the top level keeps the lock, so that only one becomes the entry.
        let mut raising = if level > top_level {
            Some(guard)
        } else {
            drop(guard);
            None
        };
        let q = self.row(x);
        let mut cur = Cand {
            d: (self.dist)(q, self.row(ep)),
            node: ep,
        };
        let mut buf = Vec::with_capacity(2 * self.params.m);
        cur = self.greedy(q, cur, top_level, level, &mut buf);
        let mut entries = vec![cur];
        with_visited(|visited| {
            for layer in (0..=level.min(top_level)).rev() {
                let found = self.search_layer(
                    q,
                    &entries,
                    self.params.ef_construction,
                    layer,
                    visited,
                    &mut buf,
                    None::<&fn(u32) -> bool>,
                );
                let found: Vec<Cand<T>> = found.into_iter().filter(|c| c.node != x).collect();
                let selected = self.select_neighbors(&found, self.params.m);
                {
                    let _g = self.locks[x as usize]
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    Self::write_links(self.links(x, layer), selected.iter().map(|c| c.node));
                }
                for c in &selected {
                    self.connect(c.node, x, c.d, layer, &mut buf);
                }
                if !found.is_empty() {
                    entries = found;
                }
            }
        });
        if let Some(g) = raising.as_mut() {
            **g = (x, level);
        }
    }

    /// Adds `x` (at distance `d`) to `node`'s links on `layer`, pruning by the heuristic when full.
    fn connect(&self, node: u32, x: u32, d: T, layer: usize, buf: &mut Vec<u32>) {
        let cap = if layer == 0 {
            2 * self.params.m
        } else {
            self.params.m
        };
        let _g = self.locks[node as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let list = self.links(node, layer);
        Self::neighbors(list, buf);
        if buf.contains(&x) {
            return;
        }
        if buf.len() < cap {
            list[1 + buf.len()].store(x, AtomicOrdering::Relaxed);
            list[0].store(buf.len() as u32 + 1, AtomicOrdering::Release);
            return;
        }
        let v = self.row(node);
        let mut cands: Vec<Cand<T>> = Vec::with_capacity(buf.len() + 1);
        self.for_each_distance(v, buf, |node, d| cands.push(Cand { d, node }));
        cands.push(Cand { d, node: x });
        cands.sort_unstable();
        let kept = self.select_neighbors(&cands, cap);
        Self::write_links(list, kept.iter().map(|c| c.node));
    }

    /// The heuristic of the HNSW paper (hnswlib's `getNeighborsByHeuristic2`): from candidates
    /// sorted nearest first, keep one only if it is nearer to the base than to every kept one.
    fn select_neighbors(&self, sorted: &[Cand<T>], m: usize) -> Vec<Cand<T>> {
        let mut kept: Vec<Cand<T>> = Vec::with_capacity(m);
        for &c in sorted {
            if kept.len() >= m {
                break;
            }
            let v = self.row(c.node);
            if kept.iter().all(|s| (self.dist)(v, self.row(s.node)) >= c.d) {
                kept.push(c);
            }
        }
        kept
    }

    /// Greedy descent from `from` down to (not including) level `to`.
    fn greedy(
        &self,
        q: &[T],
        mut cur: Cand<T>,
        from: usize,
        to: usize,
        buf: &mut Vec<u32>,
    ) -> Cand<T> {
        for layer in (to + 1..=from).rev() {
            loop {
                let mut changed = false;
                Self::neighbors(self.links(cur.node, layer), buf);
                for &nb in buf.iter() {
                    let d = (self.dist)(q, self.row(nb));
                    if d < cur.d {
                        cur = Cand { d, node: nb };
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        cur
    }

    /// Calls `f(node, distance from q)` for each of `nodes`, in order: four at a time where the
    /// CPU has a kernel for it (the same distances, bit for bit), with the next vectors
    /// prefetched while the current ones are compared, as hnswlib does.
    #[inline]
    fn for_each_distance(&self, q: &[T], nodes: &[u32], mut f: impl FnMut(u32, T)) {
        let mut rest = nodes;
        if let Some(dist4) = self.dist4 {
            let mut quads = nodes.chunks_exact(4);
            for (k, quad) in quads.by_ref().enumerate() {
                for &next in nodes.iter().skip(4 * k + 4).take(4) {
                    kernel::prefetch(self.row(next));
                }
                if let &[a, b, c, d] = quad {
                    let ds = dist4(q, [self.row(a), self.row(b), self.row(c), self.row(d)]);
                    quad.iter().zip(ds).for_each(|(&node, d)| f(node, d));
                }
            }
            rest = quads.remainder();
        } else if let Some(&first) = nodes.first() {
            kernel::prefetch(self.row(first));
        }
        for (i, &node) in rest.iter().enumerate() {
            if let Some(&next) = rest.get(i + 1) {
                kernel::prefetch(self.row(next));
            }
            f(node, (self.dist)(q, self.row(node)));
        }
    }

    /// Best-first search on one level: the `ef` nearest nodes found (that `accept` accepts, when
    /// given), nearest first.
    #[allow(clippy::too_many_arguments)]
    fn search_layer<A: Fn(u32) -> bool + ?Sized>(
        &self,
        q: &[T],
        entries: &[Cand<T>],
        ef: usize,
        layer: usize,
        visited: &mut Visited,
        buf: &mut Vec<u32>,
        accept: Option<&A>,
    ) -> Vec<Cand<T>> {
        visited.reset(self.ids.len());
        let mut cands: BinaryHeap<Reverse<Cand<T>>> = BinaryHeap::with_capacity(ef * 2);
        let mut results: BinaryHeap<Cand<T>> = BinaryHeap::with_capacity(ef + 1);
        let ok = |n: u32| accept.is_none_or(|a| a(n));
        for &e in entries {
            if visited.insert(e.node) {
                cands.push(Reverse(e));
                if ok(e.node) {
                    results.push(e);
                    if results.len() > ef {
                        results.pop();
                    }
                }
            }
        }
        let mut bound = results.peek().map_or(T::infinity(), |c| c.d);
        while let Some(Reverse(c)) = cands.pop() {
            if c.d > bound && (results.len() >= ef || accept.is_none()) {
                break;
            }
            Self::neighbors(self.links(c.node, layer), buf);
            // Marked before they are compared, so that they can be compared four at a time.
            buf.retain(|&nb| visited.insert(nb));
            self.for_each_distance(q, buf, |nb, d| {
                if results.len() < ef || d < bound {
                    let cand = Cand { d, node: nb };
                    cands.push(Reverse(cand));
                    if ok(nb) {
                        results.push(cand);
                        if results.len() > ef {
                            results.pop();
                        }
                    }
                    if let Some(w) = results.peek() {
                        bound = w.d;
                    }
                }
            });
        }
        results.into_sorted_vec()
    }

    /// The approximately `k` nearest stored vectors of each query (rows), searched with
    /// `ef = max(ef_search, k)`: ids (−1 where fewer than `k` were found) and scores (see
    /// [`Metric`]), nearest first, ties to the lower id. Queries run in parallel.
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
        self.search_impl("HnswIndex::search", queries, k, self.params.ef_search, None)
    }

    /// As [`HnswIndex::search`] with this `ef` (at least `k` is used): the knob of an
    /// ef sweep (recall against queries per second).
    ///
    /// # Errors
    /// As [`HnswIndex::search`]; [`ErrorKind::InvalidArgument`] for `ef = 0`.
    pub fn search_with_ef<S: Data<Elem = T>>(
        &self,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
        ef: usize,
    ) -> Result<SearchResults<T>> {
        const OP: &str = "HnswIndex::search_with_ef";
        if ef == 0 {
            return Err(Error::invalid(OP, "ef must be at least 1"));
        }
        self.search_impl(OP, queries, k, ef, None)
    }

    /// As [`HnswIndex::search`], returning only ids for which `filter` returns true (the graph
    /// is still walked through the others).
    ///
    /// ```
    /// use mlinalg::search::{HnswIndex, Metric};
    /// let mut index = HnswIndex::<f32>::new(1, Metric::L2)?;
    /// index.add(&ndarray::array![[0.0], [1.0], [2.0], [3.0]])?;
    /// let odd = index.search_filtered(&ndarray::array![[0.0]], 2, |id| id % 2 == 1)?;
    /// assert_eq!(odd.ids.row(0).to_vec(), vec![1, 3]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`HnswIndex::search`].
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
        self.search_impl(
            "HnswIndex::search_filtered",
            queries,
            k,
            self.params.ef_search,
            Some(&filter),
        )
    }

    fn search_impl<S: Data<Elem = T>>(
        &self,
        op: &'static str,
        queries: &ArrayBase<S, Ix2>,
        k: usize,
        ef: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Result<SearchResults<T>> {
        let view = check_queries(op, self.metric, self.dim, queries.view())?;
        let nq = view.nrows();
        let worst = if self.metric.higher_is_nearer() {
            T::neg_infinity()
        } else {
            T::infinity()
        };
        let mut ids = Array2::<i64>::from_elem((nq, k), -1);
        let mut scores = Array2::<T>::from_elem((nq, k), worst);
        let Some((ep, top)) = self.entry else {
            return Ok(SearchResults { ids, scores });
        };
        if k == 0 {
            return Ok(SearchResults { ids, scores });
        }
        let ef = ef.max(k);
        let filtering = filter.is_some() || self.removed > 0;
        let found: Vec<Vec<Cand<T>>> = (0..nq)
            .into_par_iter()
            .map(|i| {
                let mut q: Vec<T> = view.row(i).to_vec();
                if self.metric == Metric::Cosine {
                    let inv = T::one() / sq_norm(&q).sqrt();
                    q.iter_mut().for_each(|v| *v *= inv);
                }
                let mut buf = Vec::with_capacity(2 * self.params.m);
                let start = Cand {
                    d: (self.dist)(&q, self.row(ep)),
                    node: ep,
                };
                let start = self.greedy(&q, start, top, 0, &mut buf);
                let accept = |n: u32| {
                    self.alive[n as usize] && filter.is_none_or(|f| f(self.ids[n as usize]))
                };
                let mut hits = with_visited(|visited| {
                    self.search_layer(
                        &q,
                        &[start],
                        ef,
                        0,
                        visited,
                        &mut buf,
                        filtering.then_some(&accept),
                    )
                });
                // Ties to the lower external id, as FlatIndex.
                hits.sort_by(|a, b| {
                    a.d.partial_cmp(&b.d)
                        .unwrap_or(Ordering::Equal)
                        .then(self.ids[a.node as usize].cmp(&self.ids[b.node as usize]))
                });
                hits.truncate(k);
                hits
            })
            .collect();
        for (i, hits) in found.iter().enumerate() {
            for (j, c) in hits.iter().enumerate() {
                ids[[i, j]] = self.ids[c.node as usize] as i64;
                scores[[i, j]] = if self.metric.higher_is_nearer() {
                    -c.d
                } else {
                    c.d
                };
            }
        }
        Ok(SearchResults { ids, scores })
    }

    /// Removes the vectors with these ids (unknown ids are ignored); returns how many were
    /// removed. They stay in the graph as tombstones (searches walk through them but never
    /// return them) and in saved files; their ids may be added again.
    ///
    /// ```
    /// use mlinalg::search::{HnswIndex, Metric};
    /// let mut index = HnswIndex::<f32>::new(1, Metric::L2)?;
    /// index.add(&ndarray::array![[0.0], [1.0], [2.0]])?;
    /// assert_eq!(index.remove(&[0, 7]), 1);
    /// assert_eq!(index.search(&ndarray::array![[0.0]], 1)?.ids[[0, 0]], 1);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn remove(&mut self, ids: &[u64]) -> usize {
        let mut n = 0;
        for id in ids {
            if let Some(node) = self.positions.remove(id) {
                self.alive[node as usize] = false;
                n += 1;
            }
        }
        self.removed += n;
        n
    }

    /// Saves the index (the whole graph, tombstones included) to `path` atomically, in
    /// mlinalg's versioned, checksummed index format (kind 2).
    ///
    /// ```
    /// use mlinalg::random::Rng;
    /// use mlinalg::search::{HnswIndex, Metric};
    /// let path = std::env::temp_dir().join(format!("mlinalg-hnsw-save-{}.idx", std::process::id()));
    /// let base = Rng::seed(0).normal_matrix::<f32>(300, 16)?;
    /// let mut index = HnswIndex::new(16, Metric::Cosine)?;
    /// index.add(&base)?;
    /// index.save(&path)?;
    /// let back = HnswIndex::<f32>::load(&path)?;
    /// assert_eq!(back.search(&base, 5)?, index.search(&base, 5)?);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be written (the previous file, if any, is kept).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        const OP: &str = "HnswIndex::save";
        let (entry, top) = match self.entry {
            Some((e, t)) => (e as u64, t as u64),
            None => (NO_ENTRY, 0),
        };
        let header = Header {
            kind: KIND_HNSW,
            metric: self.metric.code(),
            elem_size: std::mem::size_of::<T>() as u32,
            dim: self.dim as u64,
            count: self.ids.len() as u64,
            params: [
                self.params.m as u64,
                self.params.ef_construction as u64,
                entry,
                top,
            ],
        };
        let load = |list: &[AtomicU32]| -> Vec<u32> {
            list.iter()
                .map(|a| a.load(AtomicOrdering::Relaxed))
                .collect()
        };
        super::file::write_index(OP, path.as_ref(), header, |w| {
            w.write_all(&(self.params.ef_search as u64).to_le_bytes())?;
            w.write_all(&self.params.seed.to_le_bytes())?;
            w.write_all(bytemuck::cast_slice(&self.ids))?;
            let flags: Vec<u8> = self.alive.iter().map(|&a| u8::from(a)).collect();
            w.write_all(&flags)?;
            w.write_all(&self.levels)?;
            w.write_all(bytemuck::cast_slice(&self.data))?;
            for chunk in self.links0.chunks(1 << 16) {
                w.write_all(bytemuck::cast_slice(&load(chunk)))?;
            }
            for list in &self.upper {
                w.write_all(bytemuck::cast_slice(&load(list)))?;
            }
            Ok(())
        })
    }

    /// Loads an index saved by [`HnswIndex::save`].
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be read; [`ErrorKind::Format`] when it is not an
    /// HNSW index of `T`, or is truncated, corrupted or inconsistent (checked before anything
    /// large is allocated).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        const OP: &str = "HnswIndex::load";
        let mut file = IndexFile::open(OP, path.as_ref())?;
        Self::read_body(OP, &mut file)
    }

    /// Decodes an index file held in memory (as [`HnswIndex::load`] reads one from disk).
    ///
    /// ```
    /// use mlinalg::search::HnswIndex;
    /// let err = HnswIndex::<f32>::from_bytes(b"not an index".to_vec()).unwrap_err();
    /// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
    /// ```
    ///
    /// # Errors
    /// As [`HnswIndex::load`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        const OP: &str = "HnswIndex::from_bytes";
        let bytes = crate::io::Bytes::Owned(std::borrow::Cow::Owned(bytes));
        let mut file = IndexFile::parse(OP, bytes, crate::io::BYTES_SOURCE.to_string())?;
        Self::read_body(OP, &mut file)
    }

    fn read_body(op: &'static str, file: &mut IndexFile) -> Result<Self> {
        let h = file.header;
        let (metric, dim) = file.expect::<T>(op, KIND_HNSW, "an HNSW index")?;
        let [m, efc, entry, top] = h.params;
        let m = usize::try_from(m)
            .ok()
            .filter(|m| (2..=MAX_M).contains(m))
            .ok_or_else(|| file.error(op, format!("M = {m} is outside 2..={MAX_M}")))?;
        let settings = file.u64s(op, "settings", 2)?;
        let (ef_search, seed) = match settings.as_slice() {
            &[e, s] => (e, s),
            _ => return Err(file.error(op, "the file ends inside its settings")),
        };
        let to_ef = |v: u64, what: &str| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| file.error(op, format!("invalid {what} {v}")))
        };
        let params = HnswParams {
            m,
            ef_construction: to_ef(efc, "ef_construction")?,
            ef_search: to_ef(ef_search, "ef_search")?,
            seed,
        };
        if h.count > MAX_NODES as u64 {
            return Err(file.error(
                op,
                format!("{} vectors is more than an index holds", h.count),
            ));
        }
        let ids = file.u64s(op, "ids", h.count)?;
        let n = ids.len();
        let flags: Vec<u8> = file.pods(op, "tombstone flags", h.count)?;
        let levels: Vec<u8> = file.pods(op, "levels", h.count)?;
        let values = h
            .count
            .checked_mul(h.dim)
            .ok_or_else(|| file.error(op, "the vector count overflows"))?;
        let data: Vec<T> = file.pods(op, "vectors", values)?;
        let w0 = (1 + 2 * m) as u64;
        let links0: Vec<u32> = file.pods(
            op,
            "level-0 links",
            h.count
                .checked_mul(w0)
                .ok_or_else(|| file.error(op, "the link count overflows"))?,
        )?;
        if let Some(&l) = levels.iter().find(|&&l| l > MAX_LEVEL) {
            return Err(file.error(op, format!("level {l} is above {MAX_LEVEL}")));
        }
        let upper_len: u64 = levels.iter().map(|&l| l as u64 * (1 + m as u64)).sum();
        let upper_flat: Vec<u32> = file.pods(op, "upper-level links", upper_len)?;
        file.finish(op)?;

        // The graph itself.
        let bad = |m: String| Err(file.error(op, format!("invalid contents: {m}")));
        let entry = if n == 0 {
            if entry != NO_ENTRY {
                return bad(format!("entry point {entry} in an empty index"));
            }
            None
        } else {
            let max_level = levels.iter().copied().max().unwrap_or(0) as u64;
            match usize::try_from(entry).ok().filter(|&e| e < n) {
                Some(e) if levels[e] as u64 == top && top == max_level => {
                    Some((e as u32, top as usize))
                }
                _ => {
                    return bad(format!(
                    "entry point {entry} at level {top} is not a node of the top level {max_level}"
                ))
                }
            }
        };
        if flags.iter().any(|&f| f > 1) {
            return bad("a tombstone flag is neither 0 nor 1".to_string());
        }
        if data.iter().any(|v| !v.is_finite()) {
            return bad("a vector holds NaN or infinity".to_string());
        }
        let check_list = |list: &[u32], layer: usize| -> std::result::Result<(), String> {
            let cnt = list[0] as usize;
            if cnt > list.len() - 1 {
                return Err(format!("a link list of {cnt} entries exceeds its capacity"));
            }
            for &t in &list[1..=cnt] {
                if t as usize >= n || (levels[t as usize] as usize) < layer {
                    return Err(format!(
                        "a link on level {layer} points to {t}, not a node of that level"
                    ));
                }
            }
            Ok(())
        };
        for list in links0.chunks_exact(w0 as usize) {
            if let Err(e) = check_list(list, 0) {
                return bad(e);
            }
        }
        let mut upper = Vec::with_capacity(n);
        let mut rest = upper_flat.as_slice();
        for &l in &levels {
            let (mine, tail) = rest.split_at((l as usize * (1 + m)).min(rest.len()));
            rest = tail;
            for (layer, list) in mine.chunks_exact(1 + m).enumerate() {
                if let Err(e) = check_list(list, layer + 1) {
                    return bad(e);
                }
            }
            upper.push(
                mine.iter()
                    .map(|&v| AtomicU32::new(v))
                    .collect::<Box<[_]>>(),
            );
        }
        let mut positions = HashMap::with_capacity(n);
        for (node, (&id, &f)) in ids.iter().zip(&flags).enumerate() {
            if id > MAX_ID {
                return bad(format!("id {id} is above {MAX_ID}"));
            }
            if f == 1 && positions.insert(id, node as u32).is_some() {
                return bad(format!("id {id} appears twice"));
            }
        }
        let removed = n - positions.len();
        Ok(HnswIndex {
            metric,
            dim,
            params,
            data,
            ids,
            positions,
            alive: flags.iter().map(|&f| f == 1).collect(),
            removed,
            levels,
            links0: {
                let mut atomics = Vec::new();
                crate::alloc::reserve_huge(&mut atomics, links0.len());
                atomics.extend(links0.into_iter().map(AtomicU32::new));
                atomics
            },
            upper,
            locks: (0..n).map(|_| Mutex::new(())).collect(),
            entry,
            rng: level_rng(seed, n),
            dist: kernel::select::<T>(metric),
            dist4: kernel::select4::<T>(metric),
        })
    }
}
