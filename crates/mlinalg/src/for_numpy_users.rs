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
//! | `np.linalg.svd(a, full_matrices=False)`, `svdvals`, `pinv`, `lstsq`, `cond` | [`decomp::svd`](crate::decomp::svd), [`decomp::svdvals`](crate::decomp::svdvals), [`decomp::pinv`](crate::decomp::pinv), [`decomp::lstsq`](crate::decomp::lstsq), [`decomp::cond`](crate::decomp::cond) |
//! | `np.linalg.eigh`, `eig`, `qr`, `cholesky`, `scipy.linalg.lu` | [`decomp::eigh`](crate::decomp::eigh), [`decomp::eig`](crate::decomp::eig), [`decomp::qr`](crate::decomp::qr), [`decomp::cholesky`](crate::decomp::cholesky), [`decomp::lu`](crate::decomp::lu) |
//! | `sklearn.utils.extmath.randomized_svd` | [`decomp::randomized_svd`](crate::decomp::randomized_svd) |
//! | `scipy.sparse.linalg.svds(a, k)` (top k, to a tolerance) | [`decomp::partial_svd`](crate::decomp::partial_svd) (descending, unlike `svds`), [`lowrank::truncated_svd`](crate::lowrank::truncated_svd) (picks full SVD or Krylov) |
//! | `sklearn.decomposition.PCA(n_components).fit_transform(X)` | [`pca::Pca`](crate::pca::Pca) |
//! | `np.load` / `np.save` / `np.savez`, `safetensors.safe_open`, `PIL.Image.open(p).convert("L")` | [`io::read_npy`](crate::io::read_npy), [`io::NpyFile`](crate::io::NpyFile) (memory-mapped), [`io::write_npy`](crate::io::write_npy), [`io::write_npz`](crate::io::write_npz), [`io::SafeTensorsFile`](crate::io::SafeTensorsFile), [`io::read_image_gray`](crate::io::read_image_gray) |
//! | `torch.softmax(x, dim)`, `log_softmax`, `torch.logsumexp` | [`nn::softmax::softmax`](crate::nn::softmax::softmax), [`nn::softmax::log_softmax`](crate::nn::softmax::log_softmax), [`nn::softmax::logsumexp`](crate::nn::softmax::logsumexp) |
//! | `F.relu`, `torch.sigmoid`, `F.silu`, `F.gelu(x, approximate=...)` | [`nn::activation`](crate::nn::activation) |
//! | `F.layer_norm`, `F.rms_norm` | [`nn::normalization::layer_norm`](crate::nn::normalization::layer_norm), [`nn::normalization::rms_norm`](crate::nn::normalization::rms_norm) |
//! | `nn.Linear(in, out)`, `F.linear(x, W, b)` | [`nn::linear::Linear`](crate::nn::linear::Linear) |
//! | PEFT `LoraConfig(r, lora_alpha)`, `merge_and_unload()` | [`nn::lora::LoraLinear`](crate::nn::lora::LoraLinear) |
//! | `torch.func.jacrev`, `jvp`, `vjp` | [`nn::jacobian::numerical_jacobian`](crate::nn::jacobian::numerical_jacobian), [`nn::jacobian::jvp`](crate::nn::jacobian::jvp), [`nn::jacobian::vjp`](crate::nn::jacobian::vjp) (central differences) |
//! | `faiss.IndexFlatIP(d)` / `IndexFlatL2`, `index.add(x)`, `index.search(q, k)` | [`search::FlatIndex`](crate::search::FlatIndex) with [`Metric::Dot`](crate::search::Metric::Dot) / [`Metric::L2`](crate::search::Metric::L2) (or `Cosine`) |
//! | `np.einsum('bhid,bhjd->bhij', q, k, optimize=True)`, `torch.einsum(...)` | [`einsum::einsum`](crate::einsum::einsum)`("bhid,bhjd->bhij", &[q.view(), k.view()])` (operands as `ArrayViewD`) |
//! | `np.einsum('ij->ji', a)` (a view) | [`einsum::einsum`](crate::einsum::einsum)`("ij->ji", &[a.view().into_dyn()])` (a borrowed `CowArray`), or [`einsum::einsum_view`](crate::einsum::einsum_view)`("ij->ji", a.view().into_dyn())` for a plain view (permutations and diagonals, no copy) |
//! | `np.einsum_path(spec, *ops, optimize='greedy')` | [`einsum::einsum_path`](crate::einsum::einsum_path)`(spec, &shapes)` (from shapes; FLOP counts as NumPy's, whose optimized count adds one) |
//! | `F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=c, scale=s, enable_gqa=g)` | [`nn::attention::scaled_dot_product_attention`](crate::nn::attention::scaled_dot_product_attention) with [`AttentionOptions`](crate::nn::attention::AttentionOptions)`::new().bool_mask(&m)` / `.additive_mask(&m)`, `.causal(c)`, `.scale(s)`, `.gqa(g)` (no dropout) |
//! | `torch.softmax(q @ k.mT * scale + mask, -1)` (the attention weights) | [`nn::attention::attention_weights`](crate::nn::attention::attention_weights) (fully masked rows are 0, as in SDPA) |
//! | `np.random.default_rng(0).standard_normal((3, 4))` | [`random::Rng`](crate::random::Rng) (same seed, same numbers on every platform; not NumPy's stream) |
//!
//! ## What is different
//! - Axes are `isize` and may be negative, as in Python; `None` for "all axes" is `Option<isize>`.
//! - `normalize`, `cosine_similarity` and `angle` of a zero vector are errors ([`ErrorKind::ZeroVector`](crate::ErrorKind::ZeroVector)),
//!   where NumPy gives NaN with a warning. `cosine_similarity_along` keeps PyTorch's `eps` instead.
//! - Shapes in messages are Python tuples with a space after the comma: `(32, 768) (32,)`.
//! - `einsum` returns a `CowArray`: a view of the operand for a pure transpose or diagonal
//!   (`'ij->ji'`, `'ii->i'`), as NumPy and PyTorch do, and an owned array otherwise, whose
//!   memory order may be permuted as `torch.einsum`'s (NumPy's `optimize=True` path can also
//!   return non-contiguous results). `.into_owned()` gives an `ArrayD`.
//! - Random streams are ChaCha8 streams, not NumPy's PCG64: the same seed gives different numbers
//!   than NumPy, but the same numbers on every machine and version of mlinalg.
//! - `softmax` of a lane holding `+inf` is NaN everywhere, as PyTorch's; `gelu` of `+inf` in f32
//!   is `+inf` (PyTorch's vectorised f32 kernel gives NaN there, its f64 kernel `+inf`).
//! - Numerical Jacobians are central differences, not automatic differentiation: accurate to
//!   about ε^(2/3) (1e-10 in f64), at 2n evaluations of f.
//! - Search results follow FAISS: ids as int64 with −1 for "no result", similarities for
//!   cosine/dot, squared distances for L2; ties go to the lower id.
//! - Not here yet: complex numbers (except `eig`'s results), integer arrays beyond indices, fancy
//!   indexing (use ndarray's `select` and slicing).
