//! Similarity search over embeddings: exact ([`FlatIndex`]) nearest neighbours by cosine, dot
//! product or L2 ([`Metric`]), with filters, range search, removal and a versioned, checksummed
//! file format; PCA-reduced search with exact re-ranking ([`ReducedIndex`]); and
//! [`recall_at_k`] to evaluate approximate results against exact ones.
//!
//! "Every vector database in the world is, under the hood, doing cosine (or dot product, or L2)
//! similarity between a query vector and a stored set": a flat index does exactly that for every
//! stored vector, as one blocked matrix product per batch of queries.
//!
//! ```
//! use mlinalg::random::Rng;
//! use mlinalg::search::{recall_at_k, FlatIndex, Metric};
//!
//! let base = Rng::seed(0).normal_matrix::<f32>(1000, 64)?;
//! let queries = Rng::seed(1).normal_matrix::<f32>(10, 64)?;
//! let mut index = FlatIndex::new(64, Metric::Cosine)?;
//! index.add(&base)?;
//! let hits = index.search(&queries, 10)?;
//! assert_eq!(hits.ids.dim(), (10, 10));
//! assert_eq!(recall_at_k(&hits.ids, &hits.ids, 10)?, 1.0);
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Index files
//! [`FlatIndex::save`] writes a little-endian file with a magic number, a format version, the
//! metric, element type, dimension and count, the ids, the vectors and a CRC-32 of everything
//! before it; it is written to a temporary file and renamed, so a failed save leaves no
//! half-written index. [`FlatIndex::load`] checks every size against the file's length before
//! allocating, and the checksum, so a truncated or corrupted file is a clear
//! [`ErrorKind::Format`](crate::ErrorKind::Format) error.

mod file;
pub mod flat;
pub mod hnsw;
mod kernel;
mod metric;
mod recall;
pub mod reduced;
mod topk;

use ndarray::Array2;

pub use flat::FlatIndex;
pub use hnsw::{HnswIndex, HnswParams};
pub use metric::Metric;
pub use recall::recall_at_k;
pub use reduced::ReducedIndex;

/// Element types an index can store: `f32` and `f64`.
pub trait IndexScalar: crate::Scalar + crate::io::Element + bytemuck::Pod {}
impl IndexScalar for f32 {}
impl IndexScalar for f64 {}

/// The k nearest neighbours of a batch of queries, nearest first, as FAISS returns them.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResults<T> {
    /// (queries, k) ids; −1 where the index holds fewer than k (matching) vectors.
    pub ids: Array2<i64>,
    /// (queries, k) scores: similarities for cosine and dot, squared distances for L2; −∞
    /// (similarity) or +∞ (distance) where `ids` is −1.
    pub scores: Array2<T>,
}

/// One neighbour of a query: its id and score (see [`Metric`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbor<T> {
    /// The stored vector's id.
    pub id: u64,
    /// Its similarity (cosine, dot) or squared distance (L2) to the query.
    pub score: T,
}

/// The kind of index a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexKind {
    /// A [`FlatIndex`].
    Flat,
    /// An [`HnswIndex`].
    Hnsw,
    /// A [`ReducedIndex`].
    Reduced,
}

/// The kind, metric, element size (4 or 8 bytes), dimension and vector count of an index
/// file, after checking its format and checksum: what a tool needs to pick the right loader.
///
/// ```
/// use mlinalg::search::{index_info, FlatIndex, IndexKind, Metric};
/// let path = std::env::temp_dir().join(format!("mlinalg-info-{}.idx", std::process::id()));
/// let mut index = FlatIndex::<f32>::new(2, Metric::L2)?;
/// index.add(&ndarray::array![[1.0, 2.0]])?;
/// index.save(&path)?;
/// let info = index_info(&path)?;
/// assert_eq!((info.kind, info.metric, info.elem_size, info.dim, info.count), (IndexKind::Flat, Metric::L2, 4, 2, 1));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be read;
/// [`ErrorKind::Format`](crate::ErrorKind::Format) when it is not a valid index file.
pub fn index_info(path: impl AsRef<std::path::Path>) -> crate::Result<IndexInfo> {
    const OP: &str = "index_info";
    let file = file::IndexFile::open(OP, path.as_ref())?;
    let h = file.header;
    let kind = match h.kind {
        file::KIND_FLAT => IndexKind::Flat,
        file::KIND_HNSW => IndexKind::Hnsw,
        file::KIND_REDUCED => IndexKind::Reduced,
        other => return Err(file.error(OP, format!("unknown index kind {other}"))),
    };
    let metric = Metric::from_code(h.metric)
        .ok_or_else(|| file.error(OP, format!("unknown metric code {}", h.metric)))?;
    Ok(IndexInfo {
        kind,
        metric,
        elem_size: h.elem_size,
        dim: h.dim,
        count: h.count,
    })
}

/// What [`index_info`] reads from an index file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexInfo {
    /// The kind of index.
    pub kind: IndexKind,
    /// Its metric.
    pub metric: Metric,
    /// Bytes per element: 4 (f32) or 8 (f64).
    pub elem_size: u32,
    /// The dimension of the vectors.
    pub dim: u64,
    /// The number of vectors.
    pub count: u64,
}
