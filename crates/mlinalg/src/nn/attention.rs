//! Scaled dot-product attention, `softmax(Q Kᵀ · scale + mask) V`, as PyTorch's
//! `torch.nn.functional.scaled_dot_product_attention`, computed by a tiled, fused kernel that
//! never holds the (L, S) score matrix.
//!
//! | function | PyTorch | notes |
//! |---|---|---|
//! | [`scaled_dot_product_attention`] | `F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=, scale=, enable_gqa=)` | fused kernel, memory O(L·Ev) per head |
//! | [`attention_weights`] | `softmax(q @ k.mT * scale + mask, -1)` | the full (…, L, S) weights, for inspection |
//! | [`AttentionOptions`] | the keyword arguments | mask, causal, scale, GQA, block sizes |
//! | [`AttentionMask`] | `attn_mask` (bool or float) | `true` = may attend; float masks are added |
//!
//! ## Shapes and semantics (as PyTorch 2.15)
//! Queries are (…, L, E), keys (…, S, E), values (…, S, Ev); the result is (…, L, Ev). The
//! leading (batch) axes of the three broadcast under NumPy's rules; inputs must be at least 2-D.
//! - `scale` defaults to `1/√E`. The scores are `Q Kᵀ · scale`, plus an additive mask.
//! - A boolean mask keeps the scores where it is `true` (PyTorch's convention: `true` = may
//!   attend) and sets the others to `-inf`; a float mask is added to the scores. Either must
//!   broadcast to (…, L, S), the result's batch shape followed by (L, S), and be at least 2-D.
//! - `causal` (PyTorch's `is_causal`): query `i` attends to keys `j ≤ i`, the lower triangle
//!   aligned at the top left (`tril(ones(L, S))`) also when `L ≠ S`. A mask and `causal` together
//!   are an error, as in PyTorch.
//! - Grouped-query attention (`enable_gqa`): keys and values may have fewer heads (axis -3) than
//!   the queries, `Hq` a multiple of `Hk` and of `Hv`; query head `h` reads key head
//!   `h / (Hq / Hk)` and value head `h / (Hq / Hv)` (PyTorch's `repeat_interleave`).
//! - **Fully masked rows** (every score `-inf`, or `S = 0`) give **zeros**, as PyTorch 2.15 on
//!   the CPU (its math backend's `_safe_softmax` and its flash kernel agree), not NaN. A NaN or
//!   `+inf` among a row's scores makes that row NaN, as in PyTorch.
//! - `E = 0` makes every score 0 (an empty sum, whatever the scale): the weights are uniform.
//! - f32 inputs are computed in f32 (as PyTorch), f64 in f64.
//!
//! ## The algorithm (FlashAttention's, on the CPU)
//! For each (batch, head) and each block of `block_q` query rows, in parallel over all such
//! blocks (rayon):
//! 1. the query block is copied once, multiplied by `scale`, into column-major order;
//! 2. for each block of `block_k` keys: the score block `S = Q_blk K_blkᵀ` (a `block_q × block_k`
//!    GEMM on faer's GEMM kernels, sequential inside the task, reading keys and values in
//!    place whatever their strides); the mask is applied inside the block; under `causal`, key
//!    blocks entirely above the diagonal are skipped and only the block on the diagonal is masked;
//! 3. the **online softmax**: each row keeps its running maximum `m` and running sum `ℓ` of
//!    `exp(s - m)`. A new block with row maximum `m'` > `m` rescales the row's sum and output
//!    accumulator by `exp(m - m')`; the block's probabilities `P = exp(S - m')` are added to `ℓ`,
//!    and `P V_blk` to the output rows (a second GEMM: the first key block writes the output
//!    rows, later ones accumulate into them);
//! 4. at the end each output row is divided by its `ℓ` (a row whose `ℓ` is 0 was fully masked
//!    and stays 0).
//!
//! The score block is held column-major (one column of `block_q` scores per key). Measured on
//! W3a, that is the layout in which the GEMM packs its operands fastest (row-major scores made
//! it gather the keys element by element: 12% of the time, against 5%), and the softmax then
//! runs across the query rows, each row's running maximum and sum a vector lane, with no
//! horizontal reductions; the causal mask of a diagonal block is a prefix of each column.
//!
//! Every exponent is `exp(s - m)` with `m` the largest score seen so far, so it never exceeds 1:
//! huge logits and `-inf` masks are safe in f32. The f32 exponential is a vectorised polynomial
//! (Cody–Waite reduction, relative error ≈ 2 ulp) with AVX-512 or AVX2 chosen at run time.
//!
//! **Memory**: besides the inputs and the (…, L, Ev) result, each task holds the scaled query
//! block (`block_q × E`), one score block (`block_q × block_k`) and four vectors of `block_q`:
//! with the default blocks (128 × 512), 0.3 MiB for E = 64 in f32, independent of L and S.
//! Measured (`cargo run --release --example attention_memory`): at L = S = 16,384, one head,
//! E = 64, f32, the whole process peaks at about 20 MiB (inputs and output 16 MiB of it). A materialised
//! score matrix would need L·S elements per head: 1 GiB in f32 at L = S = 16,384.
//!
//! ```
//! use mlinalg::nn::attention::{scaled_dot_product_attention, AttentionOptions};
//! use ndarray::Array4;
//!
//! // (batch, heads, tokens, head dim)
//! let q = Array4::<f32>::from_shape_fn((2, 4, 10, 8), |(b, h, t, d)| ((b + h + t * d) as f32).sin());
//! let k = q.mapv(|x| x * 0.5);
//! let v = q.mapv(|x| x.cos());
//! let out = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().causal(true))?;
//! assert_eq!(out.shape(), &[2, 4, 10, 8]);
//! // The first query may only attend to the first key: its output is the first value row.
//! assert!((out[[1, 2, 0, 3]] - v[[1, 2, 0, 3]]).abs() < 1e-6);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use std::any::TypeId;
use std::mem::MaybeUninit;

use faer::Par;
use ndarray::{
    s, ArrayBase, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, Data, Dimension, Ix2, IxDyn,
    ShapeBuilder,
};
use rayon::prelude::*;

use crate::broadcast::broadcast_shapes;
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::matrix::gemm_with;
use crate::Scalar;

/// Default query rows per task: tuned on W3a/W3b (see `compare/`).
pub const DEFAULT_BLOCK_Q: usize = 128;
/// Default keys per inner block: tuned on W3a/W3b (see `compare/`).
pub const DEFAULT_BLOCK_K: usize = 512;

/// Multiply-adds below which the whole call runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 16;

const SDPA: &str = "scaled_dot_product_attention";
const WEIGHTS: &str = "attention_weights";

/// An attention mask, PyTorch's `attn_mask`: boolean (`true` = may attend, `false` = the score
/// becomes `-inf`) or additive (added to the scores; `-inf` masks out). It must broadcast to
/// (…, L, S), the result's batch shape followed by (L, S), and be at least 2-D.
#[derive(Clone, Debug)]
pub enum AttentionMask<'a, T> {
    /// `true` where the query may attend to the key.
    Bool(ArrayViewD<'a, bool>),
    /// Added to the scaled scores (use `-inf` to mask out, finite values to bias).
    Additive(ArrayViewD<'a, T>),
}

/// The options of [`scaled_dot_product_attention`] and [`attention_weights`]: PyTorch's keyword
/// arguments (`attn_mask`, `is_causal`, `scale`, `enable_gqa`; there is no dropout) and the
/// kernel's block sizes. `AttentionOptions::new()` (or `default()`) is PyTorch's defaults.
///
/// ```
/// use mlinalg::nn::attention::AttentionOptions;
/// use ndarray::Array2;
///
/// let padding = Array2::from_shape_fn((1, 6), |(_, j)| j < 4); // the last two keys are padding
/// let opts = AttentionOptions::<f32>::new().bool_mask(&padding).scale(0.125).gqa(true);
/// assert!(!opts.is_causal());
/// assert_eq!(opts.get_scale(), Some(0.125));
/// ```
#[derive(Clone, Debug)]
pub struct AttentionOptions<'a, T> {
    mask: Option<AttentionMask<'a, T>>,
    causal: bool,
    scale: Option<T>,
    gqa: bool,
    block_q: usize,
    block_k: usize,
}

impl<T> Default for AttentionOptions<'_, T> {
    fn default() -> Self {
        AttentionOptions {
            mask: None,
            causal: false,
            scale: None,
            gqa: false,
            block_q: DEFAULT_BLOCK_Q,
            block_k: DEFAULT_BLOCK_K,
        }
    }
}

impl<'a, T> AttentionOptions<'a, T> {
    /// PyTorch's defaults: no mask, not causal, scale `1/√E`, no GQA.
    pub fn new() -> Self {
        Self::default()
    }

    /// A boolean mask (`true` = may attend), of any dimension type and layout.
    ///
    /// ```
    /// use mlinalg::nn::attention::{attention_weights, AttentionOptions};
    /// use ndarray::{array, Array2};
    /// let q = Array2::<f64>::zeros((2, 4));
    /// let k = Array2::<f64>::zeros((3, 4));
    /// let keep = array![[true, true, false], [true, false, false]];
    /// let w = attention_weights(&q, &k, &AttentionOptions::new().bool_mask(&keep))?;
    /// assert_eq!(w, array![[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]].into_dyn());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    #[must_use]
    pub fn bool_mask<S, D>(mut self, mask: &'a ArrayBase<S, D>) -> Self
    where
        S: Data<Elem = bool>,
        D: Dimension,
    {
        self.mask = Some(AttentionMask::Bool(mask.view().into_dyn()));
        self
    }

    /// An additive float mask (added to the scaled scores), of any dimension type and layout.
    ///
    /// ```
    /// use mlinalg::nn::attention::{attention_weights, AttentionOptions};
    /// use ndarray::{array, Array2};
    /// let q = Array2::<f64>::zeros((1, 4));
    /// let k = Array2::<f64>::zeros((2, 4));
    /// let bias = array![[0.0, f64::ln(3.0)]];
    /// let w = attention_weights(&q, &k, &AttentionOptions::new().additive_mask(&bias))?;
    /// assert!((w[[0, 1]] - 0.75).abs() < 1e-15);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    #[must_use]
    pub fn additive_mask<S, D>(mut self, mask: &'a ArrayBase<S, D>) -> Self
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        self.mask = Some(AttentionMask::Additive(mask.view().into_dyn()));
        self
    }

    /// Sets (or with `None` removes) the mask.
    #[must_use]
    pub fn mask(mut self, mask: Option<AttentionMask<'a, T>>) -> Self {
        self.mask = mask;
        self
    }

    /// PyTorch's `is_causal`: query `i` attends to keys `j ≤ i` (`tril(ones(L, S))`).
    #[must_use]
    pub fn causal(mut self, causal: bool) -> Self {
        self.causal = causal;
        self
    }

    /// The factor of the scores, PyTorch's `scale` (default `1/√E`).
    #[must_use]
    pub fn scale(mut self, scale: T) -> Self {
        self.scale = Some(scale);
        self
    }

    /// PyTorch's `enable_gqa`: keys and values may have fewer heads (axis -3) than the queries.
    #[must_use]
    pub fn gqa(mut self, enable: bool) -> Self {
        self.gqa = enable;
        self
    }

    /// The kernel's tile: `block_q` query rows per parallel task, `block_k` keys per inner block
    /// (defaults [`DEFAULT_BLOCK_Q`], [`DEFAULT_BLOCK_K`]). Only speed and rounding depend on
    /// them; both must be positive.
    #[must_use]
    pub fn block_sizes(mut self, block_q: usize, block_k: usize) -> Self {
        self.block_q = block_q;
        self.block_k = block_k;
        self
    }

    /// The mask, if any.
    pub fn get_mask(&self) -> Option<&AttentionMask<'a, T>> {
        self.mask.as_ref()
    }

    /// Whether the causal mask applies.
    pub fn is_causal(&self) -> bool {
        self.causal
    }

    /// The explicit scale, if any (`None`: `1/√E`).
    pub fn get_scale(&self) -> Option<T>
    where
        T: Copy,
    {
        self.scale
    }

    /// Whether grouped-query attention is enabled.
    pub fn is_gqa(&self) -> bool {
        self.gqa
    }

    /// The block sizes `(block_q, block_k)`.
    pub fn get_block_sizes(&self) -> (usize, usize) {
        (self.block_q, self.block_k)
    }
}

/// Scaled dot-product attention, `softmax(Q Kᵀ · scale + mask) V`, with the semantics of
/// PyTorch's `torch.nn.functional.scaled_dot_product_attention` (see the [module docs](self)):
/// queries (…, L, E), keys (…, S, E), values (…, S, Ev) of any layout, broadcast batch axes,
/// boolean or additive masks, `causal`, a custom `scale`, grouped-query attention. Returns the
/// (…, L, Ev) result in standard layout.
///
/// Computed by a tiled kernel with an online softmax: memory beyond the inputs and the result
/// is a few blocks per thread, never the (L, S) score matrix.
///
/// Errors ([`ErrorKind::Shape`] unless said): an input of fewer than 2 dimensions; query and key
/// feature sizes (E) that differ; key and value lengths (S) that differ; batch axes that do not
/// broadcast ([`ErrorKind::Broadcast`]); under GQA, inputs of fewer than 3 dimensions or key/value
/// head counts that do not divide the query's; a mask of fewer than 2 dimensions or one that does
/// not broadcast to (…, L, S) ([`ErrorKind::Broadcast`]); a mask together with `causal` or a
/// zero block size ([`ErrorKind::InvalidArgument`]).
///
/// ```
/// use mlinalg::nn::attention::{scaled_dot_product_attention, AttentionOptions};
/// use mlinalg::ErrorKind;
/// use ndarray::{array, Array3};
///
/// // One query that matches the second key far better than the first.
/// let q = array![[[0.0_f64, 20.0]]];
/// let k = array![[[1.0, 0.0], [0.0, 1.0]]];
/// let v = array![[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]];
/// let out = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new())?;
/// assert_eq!(out.shape(), &[1, 1, 3]);
/// assert!((out[[0, 0, 0]] - 4.0).abs() < 1e-3);
///
/// // A padding mask that hides the second key: only the first value remains.
/// let keep = array![[true, false]];
/// let out = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().bool_mask(&keep))?;
/// assert_eq!(out, array![[[1.0, 2.0, 3.0]]].into_dyn());
///
/// // Errors name the operation and the shapes.
/// let bad_k = Array3::<f64>::zeros((1, 2, 3));
/// let err = scaled_dot_product_attention(&q, &bad_k, &v, &AttentionOptions::new()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Shape);
/// assert_eq!(
///     err.to_string(),
///     "scaled_dot_product_attention: query (1, 1, 2) and key (1, 2, 3) have different feature sizes: E = 2 != 3"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn scaled_dot_product_attention<T, S1, S2, S3, D1, D2, D3>(
    q: &ArrayBase<S1, D1>,
    k: &ArrayBase<S2, D2>,
    v: &ArrayBase<S3, D3>,
    options: &AttentionOptions<'_, T>,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    S3: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
    D3: Dimension,
{
    let (q, k, v) = (
        q.view().into_dyn(),
        k.view().into_dyn(),
        v.view().into_dyn(),
    );
    let plan = Plan::new(SDPA, &q, &k, Some(&v), options)?;
    let (l, ev) = (plan.l, plan.ev);
    let mut out_shape = plan.batch.clone();
    out_shape.extend([l, ev]);
    let per_batch = l
        .checked_mul(ev)
        .ok_or_else(|| too_large(SDPA, &out_shape))?;
    let len = plan
        .nbatch
        .checked_mul(per_batch)
        .ok_or_else(|| too_large(SDPA, &out_shape))?;
    // Uninitialised: each task zeroes its own rows just before it writes them (in cache, in
    // parallel), instead of one pass over the whole result first.
    let mut data: Vec<MaybeUninit<T>> = Vec::new();
    data.try_reserve_exact(len)
        .map_err(|e| Error::invalid(SDPA, format!("cannot allocate {len} elements: {e}")))?;
    // SAFETY: the capacity is `len` and MaybeUninit elements need no initialisation.
    unsafe { data.set_len(len) };
    if len == 0 || plan.s == 0 {
        // No keys: every row is fully masked, and PyTorch returns zeros.
        init_zeros(&mut data);
    } else {
        let views = plan.views(&q, &k, Some(&v), options.mask.as_ref());
        let bq = options.block_q;
        let mut tasks: Vec<Task<'_, T>> = Vec::new();
        for (b, out_b) in data.chunks_mut(per_batch).enumerate() {
            for (i, rows) in out_b.chunks_mut(bq.saturating_mul(ev)).enumerate() {
                tasks.push(Task {
                    batch: b,
                    q0: i * bq,
                    out: rows,
                });
            }
        }
        let work = [l, plan.s, plan.e + ev]
            .iter()
            .fold(plan.nbatch, |acc, &x| acc.saturating_mul(x));
        let parallel = work >= PARALLEL_MIN_WORK && rayon::current_num_threads() >= 2;
        let kernel = Kernel {
            plan: &plan,
            views: &views,
            causal: options.causal,
            block_k: options.block_k,
        };
        if !parallel || tasks.len() == 1 {
            let mut scratch = Scratch::default();
            for task in tasks {
                kernel.run(task, &mut scratch);
            }
        } else {
            tasks
                .into_par_iter()
                .for_each_init(Scratch::default, |scratch, task| kernel.run(task, scratch));
        }
    }
    // SAFETY: every element is initialised: the tasks' chunks tile the whole buffer and each task
    // starts by zeroing its chunk (`Kernel::run`), or the buffer was zeroed above. A Vec of
    // MaybeUninit<T> has the layout of a Vec of T with the same length and capacity.
    let data = unsafe {
        let mut data = std::mem::ManuallyDrop::new(data);
        Vec::from_raw_parts(data.as_mut_ptr().cast::<T>(), data.len(), data.capacity())
    };
    ArrayD::from_shape_vec(IxDyn(&out_shape), data)
        .map_err(|e| Error::shape(SDPA, format!("cannot shape the result: {e}")))
}

/// Writes zeros into `x` and returns it as initialised.
fn init_zeros<T: Scalar>(x: &mut [MaybeUninit<T>]) -> &mut [T] {
    for m in x.iter_mut() {
        m.write(T::zero());
    }
    // SAFETY: every element was just written, and MaybeUninit<T> has the layout of T.
    unsafe { &mut *(x as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// The attention weights, `softmax(Q Kᵀ · scale + mask)` along the last axis: the (…, L, S)
/// matrix that [`scaled_dot_product_attention`] multiplies with the values, for inspection
/// (plots, probing heads). The options and their semantics are the same (the block sizes are
/// ignored); fully masked rows are all zero, so `attention_weights(q, k) @ v` equals the
/// attention output. This materialises L·S elements per head: use
/// [`scaled_dot_product_attention`] when only the output is needed.
///
/// ```
/// use mlinalg::nn::attention::{attention_weights, AttentionOptions};
/// use ndarray::Array3;
///
/// let q = Array3::<f64>::from_shape_fn((2, 3, 4), |(h, i, d)| (h + i * d) as f64 * 0.1);
/// let w = attention_weights(&q, &q, &AttentionOptions::new().causal(true))?;
/// assert_eq!(w.shape(), &[2, 3, 3]);
/// assert_eq!(w[[1, 0, 0]], 1.0);        // the first query sees only the first key
/// assert_eq!(w[[1, 1, 2]], 0.0);        // and nothing lies above the diagonal
/// for h in 0..2 {
///     for i in 0..3 {
///         let row_sum: f64 = (0..3).map(|j| w[[h, i, j]]).sum();
///         assert!((row_sum - 1.0).abs() < 1e-15);
///     }
/// }
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn attention_weights<T, S1, S2, D1, D2>(
    q: &ArrayBase<S1, D1>,
    k: &ArrayBase<S2, D2>,
    options: &AttentionOptions<'_, T>,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    let (q, k) = (q.view().into_dyn(), k.view().into_dyn());
    let plan = Plan::new(WEIGHTS, &q, &k, None, options)?;
    let (l, s) = (plan.l, plan.s);
    let mut out_shape = plan.batch.clone();
    out_shape.extend([l, s]);
    let per_batch = l
        .checked_mul(s)
        .ok_or_else(|| too_large(WEIGHTS, &out_shape))?;
    let len = plan
        .nbatch
        .checked_mul(per_batch)
        .ok_or_else(|| too_large(WEIGHTS, &out_shape))?;
    let mut data = zeroed::<T>(WEIGHTS, len)?;
    if len > 0 {
        let views = plan.views(&q, &k, None, options.mask.as_ref());
        let scale = plan.scale;
        let causal = options.causal;
        let one = |(b, w): (usize, &mut [T])| {
            let view = &views[b];
            let mut scores = ArrayViewMut2::from_shape((l, s), w)
                .unwrap_or_else(|_| unreachable!("the chunk holds l * s elements"));
            let qs = view.q.mapv(|x| x * scale);
            gemm_with(qs.view(), view.k.t(), scores.view_mut(), false, Par::Seq);
            let (mut m, mut sum, mut alpha) = (
                vec![T::neg_infinity(); l],
                vec![T::zero(); l],
                vec![T::zero(); l],
            );
            apply_masks(&mut scores, view.mask.as_ref(), causal, 0, 0);
            let buf = scores
                .as_slice_mut()
                .unwrap_or_else(|| unreachable!("a standard-layout chunk"));
            online_softmax(buf, s, l, s, &mut m, &mut sum, &mut alpha);
            for (row, &total) in buf.chunks_mut(s).zip(&sum) {
                finish_row(row, total);
            }
        };
        let work = [l, s, plan.e.max(1)]
            .iter()
            .fold(plan.nbatch, |acc, &x| acc.saturating_mul(x));
        if work < PARALLEL_MIN_WORK {
            data.chunks_mut(per_batch).enumerate().for_each(one);
        } else {
            data.par_chunks_mut(per_batch).enumerate().for_each(one);
        }
    }
    ArrayD::from_shape_vec(IxDyn(&out_shape), data)
        .map_err(|e| Error::shape(WEIGHTS, format!("cannot shape the result: {e}")))
}

/// `len` zeros. For f32 and f64 straight from the allocator's zeroed memory (`calloc`: fresh
/// pages are zero already, so nothing is written until the kernel's tasks touch them, in
/// parallel); running out of memory is an error, not an abort.
fn zeroed<T: Scalar>(op: &'static str, len: usize) -> Result<Vec<T>> {
    let is_float =
        TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>();
    if len == 0 || !is_float {
        return crate::alloc::try_collect(op, len, std::iter::repeat(T::zero()));
    }
    let fail = || Error::invalid(op, format!("cannot allocate {len} elements"));
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| fail())?;
    // SAFETY: the layout's size is non-zero (len > 0 and T is f32 or f64).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(fail());
    }
    // SAFETY: `ptr` comes from the global allocator with the layout of `len` elements of T (the
    // layout a Vec of capacity `len` uses), and all-zero bits are 0.0 in f32 and f64, the only
    // types that reach here (checked above), so all `len` elements are initialised.
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

fn too_large(op: &'static str, shape: &[usize]) -> Error {
    Error::invalid(
        op,
        format!("the result of shape {} is too large", fmt_shape(shape)),
    )
}

/// The checked shapes of one call.
struct Plan<T> {
    /// The result's batch shape (the broadcast of the inputs' leading axes).
    batch: Vec<usize>,
    nbatch: usize,
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    scale: T,
    /// Under GQA, query heads per key head and per value head (axis -3); else 1.
    k_group: usize,
    v_group: usize,
}

/// The 2-D operands of one batch entry.
struct BatchViews<'a, T> {
    q: ArrayView2<'a, T>,
    k: ArrayView2<'a, T>,
    v: ArrayView2<'a, T>,
    mask: Option<MaskView<'a, T>>,
}

/// The (L, S) mask of one batch entry.
enum MaskView<'a, T> {
    Bool(ArrayView2<'a, bool>),
    Additive(ArrayView2<'a, T>),
}

impl<T: Scalar> Plan<T> {
    fn new(
        op: &'static str,
        q: &ArrayViewD<'_, T>,
        k: &ArrayViewD<'_, T>,
        v: Option<&ArrayViewD<'_, T>>,
        options: &AttentionOptions<'_, T>,
    ) -> Result<Self> {
        let mut shapes: Vec<&[usize]> = vec![q.shape(), k.shape()];
        if let Some(v) = v {
            shapes.push(v.shape());
        }
        if shapes.iter().any(|s| s.len() < 2) {
            let listed: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
            return Err(Error::shape(
                op,
                format!(
                    "query, key{} must be at least 2-D, got shapes {}",
                    if v.is_some() { " and value" } else { "" },
                    listed.join(" ")
                ),
            )
            .with_shapes(shapes));
        }
        let (qs, ks) = (q.shape(), k.shape());
        let (l, e) = (qs[qs.len() - 2], qs[qs.len() - 1]);
        let (s, ek) = (ks[ks.len() - 2], ks[ks.len() - 1]);
        if e != ek {
            return Err(Error::shape(
                op,
                format!(
                    "query {} and key {} have different feature sizes: E = {e} != {ek}",
                    fmt_shape(qs),
                    fmt_shape(ks)
                ),
            )
            .with_shapes(&shapes));
        }
        let ev = match v {
            Some(v) => {
                let vs = v.shape();
                let sv = vs[vs.len() - 2];
                if sv != s {
                    return Err(Error::shape(
                        op,
                        format!(
                            "key {} and value {} have different lengths: S = {s} != {sv}",
                            fmt_shape(ks),
                            fmt_shape(vs)
                        ),
                    )
                    .with_shapes(&shapes));
                }
                vs[vs.len() - 1]
            }
            None => 0,
        };
        let (bq, bk) = (options.block_q, options.block_k);
        if bq == 0 || bk == 0 || bq.checked_mul(bk).is_none_or(|x| x > isize::MAX as usize) {
            return Err(Error::invalid(
                op,
                format!(
                    "block sizes must be positive and their product at most isize::MAX, got ({}, {})",
                    options.block_q, options.block_k
                ),
            ));
        }
        if options.causal && options.mask.is_some() {
            return Err(Error::invalid(
                op,
                "an explicit mask cannot be combined with causal = true (as in PyTorch)",
            ));
        }
        // Batch shapes; under GQA the key and value head axes (-3) count as the query's.
        let mut batches: Vec<Vec<usize>> =
            shapes.iter().map(|s| s[..s.len() - 2].to_vec()).collect();
        let (mut k_group, mut v_group) = (1, 1);
        if options.gqa {
            if shapes.iter().any(|s| s.len() < 3) {
                let listed: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
                return Err(Error::shape(
                    op,
                    format!(
                        "grouped-query attention needs a head axis (-3): inputs must be at least 3-D, got shapes {}",
                        listed.join(" ")
                    ),
                )
                .with_shapes(&shapes));
            }
            let hq = qs[qs.len() - 3];
            for (i, group) in [(1, &mut k_group), (2, &mut v_group)] {
                let Some(shape) = shapes.get(i) else { continue };
                let h = shape[shape.len() - 3];
                if h == 0 || hq % h != 0 {
                    return Err(Error::shape(
                        op,
                        format!(
                            "grouped-query attention: the {} has {h} heads, which do not divide the query's {hq} (shapes {} and {})",
                            if i == 1 { "key" } else { "value" },
                            fmt_shape(qs),
                            fmt_shape(shape)
                        ),
                    )
                    .with_shapes(&shapes));
                }
                *group = hq / h;
                let b = &mut batches[i];
                let last = b.len() - 1;
                b[last] = hq;
            }
        }
        let refs: Vec<&[usize]> = batches.iter().map(|b| b.as_slice()).collect();
        let batch = broadcast_shapes(op, &refs).map_err(|_| {
            let listed: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
            Error::new(
                ErrorKind::Broadcast,
                op,
                format!(
                    "the batch axes of {} do not broadcast together",
                    listed.join(" ")
                ),
            )
            .with_shapes(&shapes)
        })?;
        if let Some(mask) = &options.mask {
            let ms = match mask {
                AttentionMask::Bool(m) => m.shape(),
                AttentionMask::Additive(m) => m.shape(),
            };
            let mut target = batch.clone();
            target.extend([l, s]);
            let fits = ms.len() >= 2
                && ms.len() <= target.len()
                && ms
                    .iter()
                    .rev()
                    .zip(target.iter().rev())
                    .all(|(&m, &t)| m == t || m == 1);
            if !fits {
                return Err(Error::new(
                    ErrorKind::Broadcast,
                    op,
                    format!(
                        "the mask of shape {} does not broadcast to the scores' shape {} (it must be at least 2-D)",
                        fmt_shape(ms),
                        fmt_shape(&target)
                    ),
                )
                .with_shapes([ms, target.as_slice()]));
            }
        }
        let nbatch = batch.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let nbatch = nbatch.ok_or_else(|| too_large(op, &batch))?;
        let scale = match options.scale {
            // E = 0: every score is an empty sum, 0 whatever the scale (PyTorch scales q and k).
            _ if e == 0 => T::one(),
            Some(x) => x,
            None => T::one() / T::cast_usize(e).sqrt(),
        };
        Ok(Plan {
            batch,
            nbatch,
            l,
            s,
            e,
            ev,
            scale,
            k_group,
            v_group,
        })
    }

    /// The 2-D views of every batch entry, in row-major order of the batch shape.
    fn views<'a>(
        &self,
        q: &'a ArrayViewD<'_, T>,
        k: &'a ArrayViewD<'_, T>,
        v: Option<&'a ArrayViewD<'_, T>>,
        mask: Option<&'a AttentionMask<'_, T>>,
    ) -> Vec<BatchViews<'a, T>> {
        let nb = self.batch.len();
        let mut full = self.batch.clone();
        full.extend([self.l, self.s]);
        let full = IxDyn(&full);
        // The mask broadcast to (…, L, S) (checked by `Plan::new`, so `broadcast` succeeds).
        let mask = mask.and_then(|m| match m {
            AttentionMask::Bool(m) => m.broadcast(full.clone()).map(AttentionMask::Bool),
            AttentionMask::Additive(m) => m.broadcast(full.clone()).map(AttentionMask::Additive),
        });
        let mut out = Vec::with_capacity(self.nbatch);
        for idx in ndarray::indices(IxDyn(&self.batch)) {
            let idx = idx.slice();
            let qv = entry(q.view(), idx, 1);
            let kv = entry(k.view(), idx, self.k_group);
            // Without values (attention_weights) the key stands in; it is never read as values.
            let vv = v.map_or_else(|| kv, |v| entry(v.view(), idx, self.v_group));
            let mv = mask.as_ref().map(|m| match m {
                AttentionMask::Bool(m) => MaskView::Bool(entry(m.clone(), idx, 1)),
                AttentionMask::Additive(m) => MaskView::Additive(entry(m.clone(), idx, 1)),
            });
            out.push(BatchViews {
                q: qv,
                k: kv,
                v: vv,
                mask: mv,
            });
            debug_assert_eq!(idx.len(), nb);
        }
        out
    }
}

/// The (rows, cols) matrix of `a` at batch index `idx` of the result: `a`'s batch axes align
/// with the last ones of `idx`; an axis of length 1 broadcasts; the head axis (the last batch
/// axis) is divided by `group` under GQA. Shapes were checked by [`Plan::new`].
fn entry<'a, A>(mut a: ArrayViewD<'a, A>, idx: &[usize], group: usize) -> ArrayView2<'a, A> {
    let nb_a = a.ndim() - 2;
    let offset = idx.len() - nb_a;
    for ax in 0..nb_a {
        let out_ax = offset + ax;
        let i = if a.shape()[0] == 1 {
            0
        } else if out_ax + 1 == idx.len() {
            idx[out_ax] / group
        } else {
            idx[out_ax]
        };
        a = a.index_axis_move(Axis(0), i);
    }
    a.into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| unreachable!("two axes remain"))
}

/// One parallel task: `block_q` (or fewer) query rows of one batch entry, and their output rows.
struct Task<'o, T> {
    batch: usize,
    q0: usize,
    /// The task's output rows, not yet initialised.
    out: &'o mut [MaybeUninit<T>],
}

/// Per-thread scratch, reused across tasks.
struct Scratch<T> {
    q: Vec<T>,
    scores: Vec<T>,
    m: Vec<T>,
    sum: Vec<T>,
    alpha: Vec<T>,
    mx: Vec<T>,
}

impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            q: Vec::new(),
            scores: Vec::new(),
            m: Vec::new(),
            sum: Vec::new(),
            alpha: Vec::new(),
            mx: Vec::new(),
        }
    }
}

struct Kernel<'p, 'a, T> {
    plan: &'p Plan<T>,
    views: &'p [BatchViews<'a, T>],
    causal: bool,
    block_k: usize,
}

impl<T: Scalar> Kernel<'_, '_, T> {
    /// The fused kernel for one task (see the module docs).
    fn run(&self, task: Task<'_, T>, scratch: &mut Scratch<T>) {
        let Plan {
            s, e, ev, scale, ..
        } = *self.plan;
        let view = &self.views[task.batch];
        let q0 = task.q0;
        let out_rows = init_zeros(task.out);
        let rows = out_rows.len() / ev;
        let bk = self.block_k.min(s);
        // 1. The scaled query block, column-major (queries adjacent): see `run`'s layout note.
        let q_blk = view.q.slice(s![q0..q0 + rows, ..]);
        reset(&mut scratch.q, rows * e, T::zero());
        let q_rows: Vec<_> = q_blk.rows().into_iter().collect();
        match q_rows
            .iter()
            .map(|r| r.as_slice())
            .collect::<Option<Vec<&[T]>>>()
        {
            // Rows in memory order (the usual case): tiles of 16 rows x 16 features, read along
            // the rows into a local tile, written along the features.
            Some(slices) => transpose_scaled(&slices, e, rows, scale, &mut scratch.q),
            None => {
                for (d, dst) in scratch.q.chunks_exact_mut(rows).enumerate() {
                    for (x, row) in dst.iter_mut().zip(&q_rows) {
                        *x = row[d] * scale;
                    }
                }
            }
        }
        let qs = ArrayView2::from_shape((rows, e).f(), &scratch.q)
            .unwrap_or_else(|_| unreachable!("rows * e elements"));
        reset(&mut scratch.mx, rows, T::zero());
        reset(&mut scratch.m, rows, T::neg_infinity());
        reset(&mut scratch.sum, rows, T::zero());
        reset(&mut scratch.alpha, rows, T::zero());
        if scratch.scores.len() < rows * bk {
            // Every element read is written first (by the score GEMM): no need to clear.
            scratch.scores.resize(rows * bk, T::zero());
        }
        let mut out = ArrayViewMut2::from_shape((rows, ev), &mut *out_rows)
            .unwrap_or_else(|_| unreachable!("rows * ev elements"));
        // Keys past the last row's diagonal are masked for every row of the block.
        let k_end = if self.causal { s.min(q0 + rows) } else { s };
        let mut k0 = 0;
        while k0 < k_end {
            let n = bk.min(k_end - k0);
            let mut scores =
                ArrayViewMut2::from_shape((rows, n).f(), &mut scratch.scores[..rows * n])
                    .unwrap_or_else(|_| unreachable!("rows * n elements"));
            // 2. Scores of this key block, then the mask inside the block.
            let k_blk = view.k.slice(s![k0..k0 + n, ..]);
            gemm_with(qs, k_blk.t(), scores.view_mut(), false, Par::Seq);
            apply_masks(&mut scores, view.mask.as_ref(), false, q0, k0);
            if self.causal && k0 + n > q0 + 1 {
                // Column j (key k0 + j) is masked for the rows i < k0 + j - q0: a prefix.
                for (j, col) in scratch.scores[..rows * n]
                    .chunks_exact_mut(rows)
                    .enumerate()
                {
                    let cut = (k0 + j).saturating_sub(q0).min(rows);
                    col[..cut].fill(T::neg_infinity());
                }
            }
            // 3. Online softmax: probabilities in place, running max and sum updated.
            online_softmax_columns(
                &mut scratch.scores[..rows * n],
                rows,
                &mut scratch.m,
                &mut scratch.sum,
                &mut scratch.alpha,
                &mut scratch.mx,
            );
            // The first block writes the output rows; later ones rescale and accumulate.
            let first = k0 == 0;
            if !first {
                for (mut row, &a) in out.rows_mut().into_iter().zip(&scratch.alpha) {
                    if a != T::one() {
                        row.mapv_inplace(|x| x * a);
                    }
                }
            }
            let p = ArrayView2::from_shape((rows, n).f(), &scratch.scores[..rows * n])
                .unwrap_or_else(|_| unreachable!("rows * n elements"));
            gemm_with(
                p,
                view.v.slice(s![k0..k0 + n, ..]),
                out.view_mut(),
                !first,
                Par::Seq,
            );
            k0 += n;
        }
        // 4. Normalise.
        for (row, &total) in out_rows.chunks_mut(ev).zip(&scratch.sum) {
            finish_row(row, total);
        }
    }
}

/// `dst[d * rows + i] = rows_in[i][d] * scale` for `rows` rows of `e` features, by 16 × 16 tiles.
fn transpose_scaled<T: Scalar>(rows_in: &[&[T]], e: usize, rows: usize, scale: T, dst: &mut [T]) {
    const TILE: usize = 16;
    let mut tile = [[T::zero(); TILE]; TILE];
    for i0 in (0..rows).step_by(TILE) {
        let ni = TILE.min(rows - i0);
        for d0 in (0..e).step_by(TILE) {
            let nd = TILE.min(e - d0);
            for (t, row) in tile.iter_mut().zip(&rows_in[i0..i0 + ni]) {
                for (x, &y) in t.iter_mut().zip(&row[d0..d0 + nd]) {
                    *x = y * scale;
                }
            }
            for (d, out) in dst.chunks_exact_mut(rows).skip(d0).take(nd).enumerate() {
                for (x, t) in out[i0..i0 + ni].iter_mut().zip(&tile) {
                    *x = t[d];
                }
            }
        }
    }
}

fn reset<T: Copy>(v: &mut Vec<T>, len: usize, value: T) {
    v.clear();
    v.resize(len, value);
}

/// Divides a row by its softmax sum; a sum of 0 (a fully masked row) leaves zeros, as PyTorch.
fn finish_row<T: Scalar>(row: &mut [T], total: T) {
    if total == T::zero() {
        row.fill(T::zero());
    } else {
        let inv = T::one() / total;
        row.iter_mut().for_each(|x| *x *= inv);
    }
}

/// Applies the mask (rows `q0..`, columns `k0..` of the (L, S) mask) and the causal mask (keys
/// `j > i` become `-inf`) to a block of scores.
fn apply_masks<T: Scalar>(
    scores: &mut ArrayViewMut2<'_, T>,
    mask: Option<&MaskView<'_, T>>,
    causal: bool,
    q0: usize,
    k0: usize,
) {
    let (rows, n) = scores.dim();
    match mask {
        Some(MaskView::Bool(m)) => {
            let m = m.slice(s![q0..q0 + rows, k0..k0 + n]);
            ndarray::Zip::from(scores.view_mut())
                .and(m)
                .for_each(|x, &keep| {
                    if !keep {
                        *x = T::neg_infinity();
                    }
                });
        }
        Some(MaskView::Additive(m)) => {
            let m = m.slice(s![q0..q0 + rows, k0..k0 + n]);
            ndarray::Zip::from(scores.view_mut())
                .and(m)
                .for_each(|x, &add| *x += add);
        }
        None => {}
    }
    if causal && k0 + n > q0 + 1 {
        for (r, mut row) in scores.rows_mut().into_iter().enumerate() {
            // Keys j > q0 + r are masked: local columns from q0 + r + 1 - k0 on.
            let first = (q0 + r + 1).saturating_sub(k0);
            if first < n {
                row.slice_mut(s![first..]).fill(T::neg_infinity());
            }
        }
    }
}

/// The online-softmax update of `rows` rows of `n` scores (row `r` at `s[r * ld..]`): each row's
/// scores become `exp(score - m')` with `m'` the new running maximum; `m`, `sum` and `alpha`
/// (the factor `exp(m - m')` that rescales what was accumulated before) are updated per row.
fn online_softmax<T: Scalar>(
    s: &mut [T],
    ld: usize,
    rows: usize,
    n: usize,
    m: &mut [T],
    sum: &mut [T],
    alpha: &mut [T],
) {
    if let (Some(s), Some(m), Some(sum), Some(alpha)) =
        (as_f32(s), as_f32(m), as_f32(sum), as_f32(alpha))
    {
        simd::online_softmax_f32(s, ld, rows, n, m, sum, alpha);
    } else {
        softmax_rows::<T, 8>(s, ld, rows, n, m, sum, alpha, |x| x.exp());
    }
}

/// The online-softmax update of a column-major block of scores: `rows` query rows, one column
/// of `rows` scores per key (column `j` at `s[j * rows..]`). As [`online_softmax`], vectorised
/// across the rows (each row's running maximum and sum are lanes), so nothing is reduced
/// horizontally. `scratch` holds `rows` elements.
fn online_softmax_columns<T: Scalar>(
    s: &mut [T],
    rows: usize,
    m: &mut [T],
    sum: &mut [T],
    alpha: &mut [T],
    scratch: &mut [T],
) {
    if let (Some(s), Some(m), Some(sum), Some(alpha), Some(scratch)) = (
        as_f32(s),
        as_f32(m),
        as_f32(sum),
        as_f32(alpha),
        as_f32(scratch),
    ) {
        simd::online_softmax_columns_f32(s, rows, m, sum, alpha, scratch);
    } else {
        softmax_columns::<T, STRIPE>(s, rows, m, sum, alpha, scratch, |x| x.exp());
    }
}

/// Query rows per stripe of [`softmax_columns`] with AVX-512 (32 vector registers) and in the
/// portable fallback (as before; not re-measured): the stripe's running maxima and sums stay in
/// registers (four AVX-512 vectors of f32 each) while the loop walks along the keys.
const STRIPE: usize = 64;

/// The stripe with AVX2's 16 registers: 64 rows would need 8 registers for the shifts and 8 for
/// the sums, leaving none for the exponential. Share of a W3a profile (`perf record`, AMD EPYC
/// Zen 3, AVX2) spent in this softmax: 20% with 64 rows, 28% with 32, 14% with 16, 33% with 8.
const STRIPE_AVX2: usize = 16;

/// The body of [`online_softmax_columns`]: stripes of `W` rows with their accumulators in
/// local arrays (kept in registers: accumulating into `m`/`sum` in memory column after column
/// chained every column's update to the previous one's store), then the remaining rows.
#[inline(always)]
fn softmax_columns<T: Scalar, const W: usize>(
    s: &mut [T],
    rows: usize,
    m: &mut [T],
    sum: &mut [T],
    alpha: &mut [T],
    scratch: &mut [T],
    exp: impl Fn(T) -> T,
) {
    let full = rows / W * W;
    for i0 in (0..full).step_by(W) {
        let r = i0..i0 + W;
        let (m, sum, alpha) = (&mut m[r.clone()], &mut sum[r.clone()], &mut alpha[r]);
        let mut mx = [T::zero(); W];
        mx.copy_from_slice(m);
        for col in s.chunks_exact(rows) {
            let col = &col[i0..i0 + W];
            for t in 0..W {
                if col[t] > mx[t] {
                    mx[t] = col[t];
                }
            }
        }
        let mut shift = [T::zero(); W];
        shift_rows(&mut shift, &mx, m, sum, alpha, &exp);
        let mut acc = [T::zero(); W];
        for col in s.chunks_exact_mut(rows) {
            let col = &mut col[i0..i0 + W];
            for t in 0..W {
                let p = exp(col[t] - shift[t]);
                col[t] = p;
                acc[t] += p;
            }
        }
        for (sum, a) in sum.iter_mut().zip(acc) {
            *sum += a;
        }
    }
    if full == rows {
        return;
    }
    // Fewer than W rows remain.
    let r = full..rows;
    let (m, sum, alpha, mx) = (
        &mut m[r.clone()],
        &mut sum[r.clone()],
        &mut alpha[r],
        &mut scratch[..rows - full],
    );
    let mut maxima = [T::zero(); W];
    let maxima = &mut maxima[..rows - full];
    maxima.copy_from_slice(m);
    for col in s.chunks_exact(rows) {
        for (a, &x) in maxima.iter_mut().zip(&col[full..]) {
            if x > *a {
                *a = x;
            }
        }
    }
    shift_rows(mx, maxima, m, sum, alpha, &exp);
    for col in s.chunks_exact_mut(rows) {
        for ((x, &shift), sum) in col[full..].iter_mut().zip(mx.iter()).zip(sum.iter_mut()) {
            let p = exp(*x - shift);
            *x = p;
            *sum += p;
        }
    }
}

/// For rows with new running maxima `maxima` (NaN never compares greater, so it was skipped and
/// propagates through the exponentials): the `shift` each row's scores subtract (its maximum,
/// or 0 for a row with every score -inf so far, whose probabilities are then exp(-inf) = 0),
/// the factor `alpha = exp(m - shift)` that rescales what the row accumulated before, applied
/// to `sum`, and the new `m`.
#[inline(always)]
fn shift_rows<T: Scalar>(
    shift: &mut [T],
    maxima: &[T],
    m: &mut [T],
    sum: &mut [T],
    alpha: &mut [T],
    exp: &impl Fn(T) -> T,
) {
    let ninf = T::neg_infinity();
    for ((((shift, &m_new), m), sum), alpha) in shift
        .iter_mut()
        .zip(maxima)
        .zip(m.iter_mut())
        .zip(sum.iter_mut())
        .zip(alpha.iter_mut())
    {
        *shift = if m_new == ninf { T::zero() } else { m_new };
        *alpha = exp(*m - *shift);
        *sum *= *alpha;
        *m = m_new;
    }
}

/// `x` as an f32 slice when `T` is f32.
fn as_f32<T: 'static>(x: &mut [T]) -> Option<&mut [f32]> {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: T is f32 (checked above), so the cast is the identity on a live, unique slice.
        Some(unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f32>(), x.len()) })
    } else {
        None
    }
}

/// The body of [`online_softmax`] with `W` independent accumulators per reduction (so the loops
/// vectorise without reassociating floating-point sums) and the exponential `exp`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn softmax_rows<T: Scalar, const W: usize>(
    s: &mut [T],
    ld: usize,
    rows: usize,
    n: usize,
    m: &mut [T],
    sum: &mut [T],
    alpha: &mut [T],
    exp: impl Fn(T) -> T,
) {
    let ninf = T::neg_infinity();
    for (r, ((m, sum), alpha)) in m.iter_mut().zip(sum).zip(alpha).take(rows).enumerate() {
        let row = &mut s[r * ld..r * ld + n];
        // Row maximum; NaN never compares greater, so it is skipped here and propagates below.
        let mut acc = [ninf; W];
        let mut chunks = row.chunks_exact(W);
        for c in &mut chunks {
            for i in 0..W {
                if c[i] > acc[i] {
                    acc[i] = c[i];
                }
            }
        }
        let mut mx = ninf;
        for &x in acc.iter().chain(chunks.remainder()) {
            if x > mx {
                mx = x;
            }
        }
        let m_new = if mx > *m { mx } else { *m };
        if m_new == ninf {
            // Everything masked so far: no probability mass, nothing to rescale.
            row.fill(T::zero());
            *alpha = T::one();
            continue;
        }
        let a = exp(*m - m_new);
        let mut acc = [T::zero(); W];
        let mut chunks = row.chunks_exact_mut(W);
        for c in &mut chunks {
            for i in 0..W {
                let p = exp(c[i] - m_new);
                c[i] = p;
                acc[i] += p;
            }
        }
        let mut total = T::zero();
        for x in chunks.into_remainder() {
            let p = exp(*x - m_new);
            *x = p;
            total += p;
        }
        for x in acc {
            total += x;
        }
        *sum = *sum * a + total;
        *m = m_new;
        *alpha = a;
    }
}

/// The f32 online softmax on AVX-512 or AVX2 + FMA (chosen at run time) with a polynomial
/// exponential; elsewhere with `f32::exp`.
mod simd {
    use super::softmax_rows;

    pub(super) fn online_softmax_f32(
        s: &mut [f32],
        ld: usize,
        rows: usize,
        n: usize,
        m: &mut [f32],
        sum: &mut [f32],
        alpha: &mut [f32],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (detected above).
                unsafe { x86::avx512(s, ld, rows, n, m, sum, alpha) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX2 and FMA (detected above).
                unsafe { x86::avx2(s, ld, rows, n, m, sum, alpha) };
                return;
            }
        }
        softmax_rows::<f32, 8>(s, ld, rows, n, m, sum, alpha, f32::exp);
    }

    pub(super) fn online_softmax_columns_f32(
        s: &mut [f32],
        rows: usize,
        m: &mut [f32],
        sum: &mut [f32],
        alpha: &mut [f32],
        scratch: &mut [f32],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (detected above).
                unsafe { x86::columns_avx512(s, rows, m, sum, alpha, scratch) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX2 and FMA (detected above).
                unsafe { x86::columns_avx2(s, rows, m, sum, alpha, scratch) };
                return;
            }
        }
        super::softmax_columns::<f32, { super::STRIPE }>(s, rows, m, sum, alpha, scratch, f32::exp);
    }

    /// `exp(x)` for f32 without branches, so that it vectorises: `x = n ln 2 + r` with `n` the
    /// nearest integer to `x / ln 2` (Cody–Waite: `ln 2` in two parts), `exp(r)` by Cephes'
    /// degree-7 polynomial on |r| ≤ ln 2 / 2, times `2^n` built in the exponent bits. Relative
    /// error ≈ 2 ulp. Results below the smallest normal f32 (x < -87.33) are 0; NaN stays NaN.
    /// Needs FMA to be fast (`mul_add`): called only from FMA-enabled code.
    #[inline(always)]
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) fn exp_f32(x: f32) -> f32 {
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        const LO: f32 = -87.336_54;
        const HI: f32 = 88.376_26;
        // 1.5 · 2^23: adding it rounds to an integer held in the low mantissa bits.
        const ROUND: f32 = 12_582_912.0;
        let xc = if x > HI { HI } else { x };
        let xc = if xc < LO { LO } else { xc };
        let shifted = xc.mul_add(LOG2E, ROUND);
        let n = shifted - ROUND;
        let r = n.mul_add(-LN2_HI, xc);
        let r = n.mul_add(-LN2_LO, r);
        let mut p = 1.987_569_1e-4_f32;
        p = p.mul_add(r, 1.398_199_9e-3);
        p = p.mul_add(r, 8.333_452e-3);
        p = p.mul_add(r, 4.166_579_6e-2);
        p = p.mul_add(r, 1.666_666_5e-1);
        p = p.mul_add(r, 0.5);
        let y = (p * r).mul_add(r, r) + 1.0;
        // 2^n: the low bits of `shifted` are n (two's complement over the 1.5 · 2^23 base);
        // shifting n + 127 into the exponent field drops the base's bits.
        let pow2n = f32::from_bits(shifted.to_bits().wrapping_add(127) << 23);
        let out = y * pow2n;
        if x < LO {
            0.0
        } else {
            out
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use super::{exp_f32, softmax_rows};

        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
        pub(super) unsafe fn avx512(
            s: &mut [f32],
            ld: usize,
            rows: usize,
            n: usize,
            m: &mut [f32],
            sum: &mut [f32],
            alpha: &mut [f32],
        ) {
            softmax_rows::<f32, 16>(s, ld, rows, n, m, sum, alpha, exp_f32);
        }

        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
        pub(super) unsafe fn columns_avx512(
            s: &mut [f32],
            rows: usize,
            m: &mut [f32],
            sum: &mut [f32],
            alpha: &mut [f32],
            scratch: &mut [f32],
        ) {
            super::super::softmax_columns::<f32, { super::super::STRIPE }>(
                s, rows, m, sum, alpha, scratch, exp_f32,
            );
        }

        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn columns_avx2(
            s: &mut [f32],
            rows: usize,
            m: &mut [f32],
            sum: &mut [f32],
            alpha: &mut [f32],
            scratch: &mut [f32],
        ) {
            super::super::softmax_columns::<f32, { super::super::STRIPE_AVX2 }>(
                s, rows, m, sum, alpha, scratch, exp_f32,
            );
        }

        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn avx2(
            s: &mut [f32],
            ld: usize,
            rows: usize,
            n: usize,
            m: &mut [f32],
            sum: &mut [f32],
            alpha: &mut [f32],
        ) {
            softmax_rows::<f32, 8>(s, ld, rows, n, m, sum, alpha, exp_f32);
        }
    }
}
