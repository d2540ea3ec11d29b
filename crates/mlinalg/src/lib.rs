//! # mlinalg: the linear algebra of machine learning
//!
//! n-d arrays (on [`ndarray`]) and the operations an ML engineer reaches for NumPy or PyTorch to do:
//! norms, dot and cosine similarity, projections, broadcasting, reductions, `matmul` with NumPy
//! semantics at any rank (on faer's GEMM kernels), inverse/solve/determinant/rank, reshape/permute/squeeze
//! and attention-head splitting. `f32` and `f64` throughout (see [`Scalar`]).
//!
//! ## Should I use this crate?
//! Use it when you hold your data in `ndarray` arrays and want NumPy's semantics (broadcasting on
//! both operands, `matmul` promotion rules, `matrix_rank` tolerances) with errors instead of panics
//! and BLAS-class speed without a BLAS to install. If you need a general tensor library with
//! autograd and GPUs, use a deep-learning framework; if you only need factorisations of `faer`
//! matrices, use faer directly.
//!
//! ## Map
//! | module | what |
//! |---|---|
//! | [`vector`] | `dot`, `norm`, `normalize`, `cosine_similarity`, `angle`, `project`/`reject`, `outer`, `hadamard`, distances, `cdist` |
//! | [`broadcast`] | NumPy broadcasting for elementwise binary ops on n-d arrays (both operands) |
//! | [`reduce`] | `sum`, `mean`, `var`/`std`, `max`/`min`, `argmax`/`argmin` along an axis, with `keepdims` |
//! | [`matrix`] | `matmul` (any rank, batched, broadcast), `matvec`, `eye`, `gram`, `trace`, `inv`, `solve`, `det`, `slogdet`, `matrix_rank`, `allclose` |
//! | [`einsum`] | `einsum` (NumPy's grammar: implicit output, `...`, diagonals, any number of operands) on batched GEMM, `einsum_path` (NumPy's greedy path and FLOP counts) |
//! | [`decomp`] | `svd`, `eigh`, `eig`, `qr`, `lu`, `cholesky`, `pinv`, `lstsq`, `cond`, spectral and nuclear norms |
//! | [`lowrank`] | best rank-k approximation, Eckart–Young errors, energy, stable/effective/numerical rank, LoRA factors |
//! | [`pca`] | `Pca` with scikit-learn's solvers, signs and attributes; streaming fit (`PcaAccumulator`) |
//! | [`nn`] | `softmax`/`log_softmax`/`logsumexp`, activations, `layer_norm`/`rms_norm`, `Linear`, `FeedForward`, LoRA, Jacobians |
//! | [`search`] | exact nearest-neighbour search (`FlatIndex`: cosine, dot, L2; filters, removal, range search, memory-mapped bases, checksummed index files), `recall_at_k` |
//! | [`geometry`] | the curse of dimensionality: ball volume near the surface, distance concentration, neighbour gaps, one-hot distances |
//! | [`tensor`] | `reshape` (with -1), `permute`, `transpose`, `squeeze`/`unsqueeze`, `flatten`, `concat`/`stack`, `split_heads`/`merge_heads` |
//! | [`io`] | `.npy` read/write (memory-mapped views and row blocks for files larger than memory), `.npz` write, `.safetensors` read (F64/F32/F16/BF16 → f32/f64), PNG/JPEG to and from pixel arrays |
//! | [`random`] | seeded normal / uniform / integer arrays, reproducible across platforms |
//! | [`error`] | [`Error`], [`ErrorKind`], [`Result`] |
//! | [`for_numpy_users`] | a NumPy/PyTorch → mlinalg translation table, and what is different |
//!
//! ## Rules that hold everywhere
//! - Inputs are borrowed arrays or views of any layout (transposed, strided, broadcast);
//!   outputs are owned arrays in standard (row-major) layout. One exception, as in NumPy and
//!   PyTorch: [`einsum::einsum`] returns a `CowArray`, a view of the operand for specs that
//!   only relabel axes and otherwise an owned array in the memory order it was computed in.
//! - Everything that can fail returns [`Result`]; the error names the operation and the shapes.
//!   No public function panics on user input.
//! - Elementwise math propagates NaN and infinity as NumPy does.
//!
//! ## A first example
//! ```
//! use mlinalg::{matrix, vector};
//! use ndarray::array;
//!
//! let king = array![0.9, 0.1, 0.8];
//! let queen = array![0.85, 0.15, 0.75];
//! assert!(vector::cosine_similarity(&king, &queen)? > 0.99);
//!
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let b = array![[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]];
//! assert_eq!(matrix::mm(&a, &b)?, array![[58.0, 64.0], [139.0, 154.0]]);
//! # Ok::<(), mlinalg::Error>(())
//! ```
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod alloc;
pub mod broadcast;
pub mod decomp;
pub mod einsum;
pub mod error;
pub mod for_numpy_users;
mod gemv;
pub mod geometry;
pub mod io;
pub mod lowrank;
pub mod matrix;
pub mod nn;
pub mod pca;
pub mod random;
pub mod reduce;
pub mod scalar;
pub mod search;
mod simd;
pub mod tensor;
pub mod vector;

pub use error::{Error, ErrorKind, Result};
pub use scalar::Scalar;

/// Re-export of the `ndarray` version mlinalg is built on, so users need not pin it themselves.
pub use ndarray;

/// The README's example, compiled and run as a doctest so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctest;
