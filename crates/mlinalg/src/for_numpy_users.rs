//! mlinalg for NumPy and PyTorch users: a translation table, and what is different.
//!
//! Arrays are [`ndarray`] arrays (`Array1`, `Array2`, `ArrayD` and their views); mlinalg adds the
//! operations. Inputs are borrowed (`&a`, or any view such as `a.t()`), outputs are owned arrays.
//! Where NumPy raises, mlinalg returns an [`Error`](crate::Error) naming the operation and shapes.
//!
//! | NumPy / PyTorch | mlinalg |
//! |---|---|
//! | `a @ b`, `np.matmul(a, b)`, `torch.matmul` | [`matrix::matmul`](crate::matrix::matmul) (any rank), [`matrix::mm`](crate::matrix::mm) (2-D) |
//! | `A @ x` | [`matrix::matvec`](crate::matrix::matvec) |
//! | `np.dot(a, b)` on vectors | [`vector::dot`](crate::vector::dot) |
//! | `np.linalg.norm(v, ord)`, `norm(a, axis=.., keepdims=..)` | [`vector::norm`](crate::vector::norm), [`vector::norm_axis`](crate::vector::norm_axis) |
//! | `v / np.linalg.norm(v)` | [`vector::normalize`](crate::vector::normalize) (a zero vector is an error, not NaN) |
//! | `F.cosine_similarity(x1, x2, dim, eps)` | [`vector::cosine_similarity_along`](crate::vector::cosine_similarity_along) |
//! | `sklearn...cosine_similarity(X, Y)` | [`vector::cosine_similarity_matrix`](crate::vector::cosine_similarity_matrix) |
//! | `np.outer`, `a * b` | [`vector::outer`](crate::vector::outer), [`vector::hadamard`](crate::vector::hadamard) |
//! | `scipy.spatial.distance.cdist(a, b)`, `torch.cdist` | [`vector::cdist`](crate::vector::cdist) |
//! | `a + b`, `a / b` with broadcasting | [`broadcast::add`](crate::broadcast::add), [`broadcast::div`](crate::broadcast::div), ... |
//! | `np.broadcast_shapes`, `np.broadcast_to` | [`broadcast::broadcast_shapes`](crate::broadcast::broadcast_shapes), [`broadcast::broadcast_to`](crate::broadcast::broadcast_to) |
//! | `a.sum(axis=1, keepdims=True)`, `mean`, `var(ddof=1)`, `std`, `max`, `argmax` | [`reduce`](crate::reduce) |
//! | `np.linalg.inv`, `solve`, `det`, `slogdet`, `matrix_rank` | [`matrix::inv`](crate::matrix::inv), [`matrix::solve`](crate::matrix::solve), [`matrix::det`](crate::matrix::det), [`matrix::slogdet`](crate::matrix::slogdet), [`matrix::matrix_rank`](crate::matrix::matrix_rank) |
//! | `np.eye(n)`, `np.trace(a)`, `a.T` | [`matrix::eye`](crate::matrix::eye), [`matrix::trace`](crate::matrix::trace), [`matrix::transpose`](crate::matrix::transpose) |
//! | `np.allclose(a, b, rtol, atol)`, `np.isclose` | [`matrix::allclose`](crate::matrix::allclose), [`matrix::isclose`](crate::matrix::isclose) |
//! | `a.reshape(8, 512, 12, -1)`, `x.permute(0, 2, 1, 3)`, `x.transpose(1, 2)` | [`tensor::reshape`](crate::tensor::reshape), [`tensor::permute`](crate::tensor::permute), [`tensor::transpose`](crate::tensor::transpose) |
//! | `x.squeeze()`, `x.unsqueeze(0)`, `x.contiguous()`, `x.flatten(1)` | [`tensor::squeeze`](crate::tensor::squeeze), [`tensor::unsqueeze`](crate::tensor::unsqueeze), [`tensor::contiguous`](crate::tensor::contiguous), [`tensor::flatten`](crate::tensor::flatten) |
//! | `np.concatenate`, `np.stack` | [`tensor::concat`](crate::tensor::concat), [`tensor::stack`](crate::tensor::stack) |
//! | `F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=c, scale=s, enable_gqa=g)` | [`nn::attention::scaled_dot_product_attention`](crate::nn::attention::scaled_dot_product_attention) with [`AttentionOptions`](crate::nn::attention::AttentionOptions)`::new().bool_mask(&m)` / `.additive_mask(&m)`, `.causal(c)`, `.scale(s)`, `.gqa(g)` (no dropout) |
//! | `torch.softmax(q @ k.mT * scale + mask, -1)` (the attention weights) | [`nn::attention::attention_weights`](crate::nn::attention::attention_weights) (fully masked rows are 0, as in SDPA) |
//! | `np.random.default_rng(0).standard_normal((3, 4))` | [`random::Rng`](crate::random::Rng) (same seed, same numbers on every platform; not NumPy's stream) |
//!
//! ## What is different
//! - Axes are `isize` and may be negative, as in Python; `None` for "all axes" is `Option<isize>`.
//! - `normalize`, `cosine_similarity` and `angle` of a zero vector are errors ([`ErrorKind::ZeroVector`](crate::ErrorKind::ZeroVector)),
//!   where NumPy gives NaN with a warning. `cosine_similarity_along` keeps PyTorch's `eps` instead.
//! - Shapes in messages are Python tuples with a space after the comma: `(32, 768) (32,)`.
//! - Random streams are ChaCha8 streams, not NumPy's PCG64: the same seed gives different numbers
//!   than NumPy, but the same numbers on every machine and version of mlinalg.
//! - Not here yet: complex numbers, integer arrays beyond indices, fancy indexing (use ndarray's
//!   `select` and slicing), decompositions beyond LU (SVD, eigh, eig, QR come with the
//!   decompositions work).
