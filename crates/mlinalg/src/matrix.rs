//! Matrices: products (on faer's GEMM kernels, chosen by the CPU: see `gemm_with`), inverse, solve, determinant, rank, comparisons.
//!
//! | function | NumPy | notes |
//! |---|---|---|
//! | [`matmul`] | `a @ b`, `np.matmul` | any rank: 1-D promotion, broadcast batch axes, any strides |
//! | [`mm`], [`matmul_into`] | `a @ b` (2-D) | allocation-free form for hot loops |
//! | [`matvec`] | `A @ x` | memory-bandwidth bound for large `A` |
//! | [`transpose`], [`eye`], [`trace`] | `A.T.copy()`, `np.eye`, `np.trace` | `trace` needs a square matrix |
//! | [`gram`] | `A.T @ A` | the columns' inner products, exactly symmetric |
//! | [`is_symmetric`] | `np.allclose(A, A.T, atol=tol, rtol=0)` | absolute tolerance |
//! | [`inv`], [`solve`] | `np.linalg.inv`, `np.linalg.solve` | singular *to working precision* is an error too |
//! | [`det`], [`slogdet`] | `np.linalg.det`, `np.linalg.slogdet` | singular gives 0 / (0, -inf) |
//! | [`matrix_rank`] | `np.linalg.matrix_rank` | NumPy's default tolerance |
//! | [`isclose`], [`allclose`] | `np.isclose`, `np.allclose` | `equal_nan=False` |
//!
//! Rules shared by the factorisation-based functions ([`inv`], [`solve`], [`det`], [`slogdet`],
//! [`matrix_rank`]): NaN or infinity in the input is an [`ErrorKind::NonFinite`] error (NumPy
//! returns NaNs or fails to converge); non-square input (where a square one is needed) is an
//! [`ErrorKind::Shape`] error. `inv` and `solve` return [`ErrorKind::Singular`] when an LU pivot
//! is exactly zero (NumPy's `LinAlgError`) **or** when the reciprocal condition number in the
//! 1-norm is below the dtype's eps (LAPACK's "singular to working precision"), where NumPy would
//! return a result with no correct digits.
//!
//! ```
//! use mlinalg::matrix::{allclose, inv, matmul, solve};
//! use ndarray::array;
//! let a = array![[2.0, 1.0], [1.0, 3.0]];
//! let b = array![1.0, 2.0];
//! let x = solve(&a, &b)?;
//! assert!(allclose(&matmul(&a, &x)?, &b, 1e-12, 1e-12)?);
//! assert!(allclose(&matmul(&inv(&a)?, &b)?, &x, 1e-12, 1e-12)?);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use std::any::TypeId;
use std::mem::MaybeUninit;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{
    factor as lu_factor, inverse as lu_inverse, solve as lu_solve,
};
use faer::{Accum, Par};
use faer_ext::{IntoFaer, IntoNdarray};
use ndarray::{
    s, Array, Array1, Array2, ArrayBase, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut2,
    ArrayViewMut3, Axis, Data, Dimension, Ix1, Ix2, IxDyn, Zip,
};
use rayon::prelude::*;

use crate::broadcast::{broadcast_pair, broadcast_shapes, broadcast_to, zip_with};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::gemv::gemv_rows;
use crate::Scalar;

/// Columns per block row of [`gram`]'s upper-triangle product.
const GRAM_BLOCK: usize = 128;

/// Multiply-adds (m·n·k) below which a product runs on one thread: splitting small products
/// costs more in synchronisation than it saves.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// The product of two matrices, `a @ b`, on faer's GEMM kernels (parallel for large products).
///
/// Any layout is accepted (transposed, strided, broadcast views) without copying.
///
/// ```
/// use mlinalg::matrix::mm;
/// use ndarray::array;
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let b = array![[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]];
/// assert_eq!(mm(&a, &b)?, array![[58.0, 64.0], [139.0, 154.0]]);
/// assert_eq!(
///     mm(&a, &a).unwrap_err().to_string(),
///     "matmul: shapes (2, 3) and (2, 3) cannot be multiplied: 3 != 2"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn mm<T, S1, S2>(a: &ArrayBase<S1, Ix2>, b: &ArrayBase<S2, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    check_inner("matmul", a.shape(), b.shape())?;
    let mut out = crate::alloc::zeros((a.nrows(), b.ncols()));
    gemm(a.view(), b.view(), out.view_mut(), false);
    Ok(out)
}

/// Writes `a @ b` into `out` (or adds it to `out` when `accumulate`): the allocation-free form of
/// [`mm`] for hot loops.
///
/// ```
/// use mlinalg::matrix::matmul_into;
/// use ndarray::{array, Array2};
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let mut out = Array2::<f64>::eye(2);
/// matmul_into(a.view(), a.view(), out.view_mut(), true)?;
/// assert_eq!(out, array![[8.0, 10.0], [15.0, 23.0]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn matmul_into<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    out: ArrayViewMut2<'_, T>,
    accumulate: bool,
) -> Result<()> {
    check_inner("matmul", a.shape(), b.shape())?;
    if out.shape() != [a.nrows(), b.ncols()] {
        return Err(Error::shape(
            "matmul",
            format!(
                "output of shape {} cannot hold the product of {} and {}: expected {}",
                fmt_shape(out.shape()),
                fmt_shape(a.shape()),
                fmt_shape(b.shape()),
                fmt_shape(&[a.nrows(), b.ncols()])
            ),
        )
        .with_shapes([a.shape(), b.shape(), out.shape()]));
    }
    // ndarray gives empty arrays zero strides: only a non-empty output can alias itself.
    if !out.is_empty()
        && out
            .strides()
            .iter()
            .zip(out.shape())
            .any(|(&s, &n)| s == 0 && n > 1)
    {
        return Err(Error::invalid(
            "matmul",
            "output must not be a broadcast (stride-0) view",
        ));
    }
    gemm(a, b, out, accumulate);
    Ok(())
}

/// Checks that `a` (m, k) and `b` (k, n) can be multiplied.
pub(crate) fn check_inner(op: &'static str, a: &[usize], b: &[usize]) -> Result<()> {
    let (ka, kb) = (a[a.len() - 1], b[b.len().saturating_sub(2)]);
    if ka != kb {
        return Err(Error::shape(
            op,
            format!(
                "shapes {} and {} cannot be multiplied: {ka} != {kb}",
                fmt_shape(a),
                fmt_shape(b)
            ),
        )
        .with_shapes([a, b]));
    }
    Ok(())
}

/// `out (+)= a @ b`, parallel when large. Shapes must already be checked.
pub(crate) fn gemm<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
    accumulate: bool,
) {
    let (m, n) = (a.nrows(), b.ncols());
    let flops = m * a.ncols() * n;
    let threads = rayon::current_num_threads();
    if flops < PARALLEL_MIN_FLOPS || threads < 2 {
        gemv_or_gemm(a, b, out, accumulate);
    } else if n == 1 && a.strides()[1] == 1 && b.strides()[0] == 1 {
        // A matrix-vector product, bound by reading the matrix: each thread streams its own band
        // of rows through the matrix-vector kernel.
        let chunk = m.div_ceil(threads).next_multiple_of(64);
        let bands: Vec<_> = out
            .axis_chunks_iter_mut(Axis(0), chunk)
            .zip(a.axis_chunks_iter(Axis(0), chunk))
            .collect();
        bands
            .into_par_iter()
            .for_each(|(o, a)| gemv_or_gemm(a, b, o, accumulate));
    } else {
        gemm_with(a, b, out.view_mut(), accumulate, Par::rayon(0));
    }
}

/// `out (+)= a @ b` on one thread: the matrix-vector kernel where it applies, else GEMM.
fn gemv_or_gemm<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
    accumulate: bool,
) {
    if b.ncols() == 1 && gemv_rows(a, b.column(0), out.column_mut(0), accumulate) {
        return;
    }
    gemm_with(a, b, out, accumulate, Par::Seq);
}

/// `out (+)= a @ b` with the given parallelism. Shapes must already be checked.
///
/// Which kernels run, by what the CPU has (each measured faster on its machine, see
/// `compare/README.md`, W1a-W1c and W2):
/// - with AVX-512: the `gemm` crate (faer's older GEMM, with its AVX-512 kernels enabled),
///   faster than faer's own x86 path there, above all on two threads (Intel Xeon);
/// - otherwise: faer's `matmul` (its `private-gemm-x86` kernels on x86-64). On an AVX2-only
///   AMD EPYC (Zen 3) it reached 1.1-1.4x the `gemm` crate's GFLOP/s at 1024-2048, f32 and f64,
///   and on the small single-threaded products of einsum and attention.
pub(crate) fn gemm_with<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    out: ArrayViewMut2<'_, T>,
    accumulate: bool,
    par: Par,
) {
    gemm_on(Kernels::for_this_cpu(), a, b, out, accumulate, par);
}

/// The two GEMM implementations [`gemm_with`] chooses between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernels {
    /// The `gemm` crate, called directly (f32 and f64; other types go to faer).
    GemmCrate,
    /// faer's `matmul`.
    Faer,
}

impl Kernels {
    /// The faster on this CPU: the `gemm` crate on x86-64 with AVX-512 (std caches the
    /// detection) and off x86-64, where the choice has not been measured and the `gemm` crate
    /// stays, as before; faer's `matmul` on x86-64 without AVX-512.
    fn for_this_cpu() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                Kernels::GemmCrate
            } else {
                Kernels::Faer
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Kernels::GemmCrate
        }
    }
}

/// [`gemm_with`] on the given kernels (both are tested on every machine, whichever it picks).
fn gemm_on<T: Scalar>(
    kernels: Kernels,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
    accumulate: bool,
    par: Par,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty inner dimension: the product is zero (NumPy), not "leave `out` untouched".
        if !accumulate {
            out.fill(T::zero());
        }
        return;
    }
    let is_f32_or_f64 =
        TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>();
    if is_f32_or_f64 && kernels == Kernels::GemmCrate {
        let parallelism = match par {
            Par::Seq => gemm::Parallelism::None,
            Par::Rayon(threads) => gemm::Parallelism::Rayon(threads.get()),
        };
        let (o_rs, o_cs) = (out.strides()[0], out.strides()[1]);
        let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
        let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
        // SAFETY: `T` is f32 or f64 (checked above), the only types besides f16/c32/c64 the
        // crate accepts. Each pointer and its strides describe a live ndarray view of the stated
        // shape (m×k, k×n, m×n, all non-empty), so every element the kernel addresses is in
        // bounds; `out` is a unique mutable view, so it aliases neither input. Negative and zero
        // input strides are supported by the crate (it normalises signs and only reads inputs).
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
                o_cs,
                o_rs,
                accumulate,
                a.as_ptr(),
                a_cs,
                a_rs,
                b.as_ptr(),
                b_cs,
                b_rs,
                T::one(),
                T::one(),
                false,
                false,
                false,
                parallelism,
            );
        }
        return;
    }
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    faer::linalg::matmul::matmul(
        out.into_faer(),
        accum,
        a.into_faer(),
        b.into_faer(),
        T::one(),
        par,
    );
}

// ---------------------------------------------------------------------------------------------
// matmul at any rank
// ---------------------------------------------------------------------------------------------

/// The matrix product with `np.matmul` / `torch.matmul` semantics, for operands of any rank.
///
/// - 2-D @ 2-D: the matrix product (m, k) @ (k, n) → (m, n).
/// - A 1-D operand is promoted: `a` (k,) becomes (1, k), `b` (k,) becomes (k, 1); the promoted
///   axis is removed from the result, so 1-D @ 1-D is a 0-d array (the dot product) and
///   (m, k) @ (k,) is (m,).
/// - Operands of rank > 2 are stacks of matrices over their leading (batch) axes; the batch axes
///   are broadcast together under NumPy's rules, so (8, 1, m, k) @ (4, k, n) → (8, 4, m, n).
/// - 0-d operands are an error (`np.matmul` refuses them too; use [`crate::broadcast::mul`]).
///
/// Any layout is read without copying: transposed, strided, reversed (negative strides) and
/// broadcast (stride-0) views. The result is a new array in standard layout. An empty inner
/// dimension (k = 0) gives zeros, as in NumPy.
///
/// Speed: when `b` holds a single matrix (2-D, 1-D, or batch axes that are all broadcast) the
/// batch axes of `a` are folded into its rows and the whole product is *one* parallel GEMM
/// (a view when `a`'s layout allows it, otherwise after one contiguous copy of `a`). Otherwise
/// the batch is split: many or small products run in parallel, one sequential GEMM each; a few
/// large products run one after the other, each on all threads.
///
/// ```
/// use mlinalg::matrix::matmul;
/// use ndarray::{array, Array, Array3};
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let b = array![[5.0, 6.0], [7.0, 8.0]];
/// assert_eq!(matmul(&a, &b)?, array![[19.0, 22.0], [43.0, 50.0]].into_dyn());
///
/// // 1-D promotion: matrix @ vector and vector @ vector.
/// let w = array![[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
/// let x = array![2.0, 3.0, 4.0, 5.0];
/// assert_eq!(matmul(&w, &x)?, array![2.0, 7.0, 5.0].into_dyn());
/// assert_eq!(matmul(&x, &x)?.shape(), &[] as &[usize]);
///
/// // A batch of activations times one weight matrix; batch axes broadcast.
/// let acts = Array3::<f32>::ones((32, 128, 64));
/// let weight = Array::<f32, _>::ones((64, 16));
/// assert_eq!(matmul(&acts, &weight)?.shape(), &[32, 128, 16]);
/// let left = Array::<f32, _>::ones((8, 1, 3, 5));
/// let right = Array::<f32, _>::ones((4, 5, 2));
/// assert_eq!(matmul(&left, &right)?.shape(), &[8, 4, 3, 2]);
///
/// // Errors name both shapes.
/// let err = matmul(&Array::<f64, _>::zeros((2, 3)), &Array::<f64, _>::zeros((4, 2))).unwrap_err();
/// assert_eq!(err.to_string(), "matmul: shapes (2, 3) and (4, 2) cannot be multiplied: 3 != 4");
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn matmul<T, S1, S2, D1, D2>(a: &ArrayBase<S1, D1>, b: &ArrayBase<S2, D2>) -> Result<ArrayD<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    const OP: &str = "matmul";
    let (sa, sb) = (a.shape(), b.shape());
    if sa.is_empty() || sb.is_empty() {
        return Err(Error::shape(
            OP,
            format!(
                "shapes {} and {}: both operands need at least one dimension (use mul for scalars)",
                fmt_shape(sa),
                fmt_shape(sb)
            ),
        )
        .with_shapes([sa, sb]));
    }
    check_inner(OP, sa, sb)?;

    // 1-D promotion: a (k,) -> (1, k), b (k,) -> (k, 1).
    let mut av = a.view().into_dyn();
    if av.ndim() == 1 {
        av.insert_axis_inplace(Axis(0));
    }
    let mut bv = b.view().into_dyn();
    if bv.ndim() == 1 {
        bv.insert_axis_inplace(Axis(1));
    }
    let (ra, rb) = (av.ndim(), bv.ndim());
    let (m, k, n) = (av.shape()[ra - 2], av.shape()[ra - 1], bv.shape()[rb - 1]);
    let batch = broadcast_shapes(OP, &[&av.shape()[..ra - 2], &bv.shape()[..rb - 2]]).map_err(|_| {
        Error::new(
            ErrorKind::Broadcast,
            OP,
            format!(
                "shapes {} and {} cannot be multiplied: batch dimensions {} and {} cannot be broadcast together",
                fmt_shape(sa),
                fmt_shape(sb),
                fmt_shape(&av.shape()[..ra - 2]),
                fmt_shape(&bv.shape()[..rb - 2])
            ),
        )
        .with_shapes([sa, sb])
    })?;

    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let nb: usize = batch.iter().product();
    let out = if nb > 0 && m > 0 && n > 0 && k > 0 {
        let a_full = broadcast_to(OP, &av, &[&batch[..], &[m, k]].concat())?;
        let b_full = broadcast_to(OP, &bv, &[&batch[..], &[k, n]].concat())?;
        // Not zero-filled here: each product zero-fills its own block just before writing it
        // (in cache, on the thread that writes it).
        let mut out = crate::alloc::uninit::<T, _>(IxDyn(&out_shape));
        let out3 = out
            .view_mut()
            .into_shape_with_order((nb, m, n))
            .map_err(|e| internal(OP, e))?;
        batched_gemm(a_full, b_full, batch.len(), out3)?;
        // SAFETY: `batched_gemm` initialises every block of `out3`, which is all of `out`
        // (nb·m·n elements), before returning Ok.
        unsafe { out.assume_init() }
    } else {
        // Empty, or an empty inner dimension: all zeros.
        crate::alloc::zeros(IxDyn(&out_shape))
    };

    // Remove the promoted axes.
    let mut shape = batch;
    if sa.len() > 1 {
        shape.push(m);
    }
    if sb.len() > 1 {
        shape.push(n);
    }
    out.into_shape_with_order(IxDyn(&shape))
        .map_err(|e| internal(OP, e))
}

/// An error for a broken internal invariant (never expected; reported instead of panicking).
fn internal(op: &'static str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Shape,
        op,
        format!("internal error, please report: {e}"),
    )
}

/// Multiply-adds per product above which a lone product is better split across threads than
/// run next to other products (measured on W2-like shapes; see the crate's benches).
const BATCH_SPLIT_MIN_FLOPS: usize = 1 << 24;

/// `out[i] = a[i] @ b[i]` over `nbatch` leading (already broadcast) batch axes of `a` and `b`;
/// `out` is (product of the batch sizes, m, n) in standard layout, all sizes non-zero.
fn batched_gemm<T: Scalar>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    nbatch: usize,
    mut out: ArrayViewMut3<'_, MaybeUninit<T>>,
) -> Result<()> {
    const OP: &str = "matmul";
    let (nb, m, n) = out.dim();
    let k = a.shape()[nbatch + 1];
    // One matrix on the right (its batch axes, if any, are all broadcast): fold the batch of `a`
    // into rows and run one GEMM, (nb·m, k) @ (k, n) -> (nb·m, n).
    let b_single = (0..nbatch).all(|d| b.shape()[d] == 1 || b.strides()[d] == 0);
    if b_single && nb > 1 {
        let mut b2 = b;
        for _ in 0..nbatch {
            b2 = b2.index_axis_move(Axis(0), 0);
        }
        let b2 = b2
            .into_dimensionality::<Ix2>()
            .map_err(|e| internal(OP, e))?;
        let out2 = out
            .into_shape_with_order((nb * m, n))
            .map_err(|e| internal(OP, e))?;
        match a.view().into_shape_with_order((nb * m, k)) {
            Ok(a2) => gemm(a2, b2, zero_init(out2), false),
            Err(_) => {
                // The batch axes of `a` do not merge with its rows (transposed batch, broadcast
                // batch, ...): one contiguous copy costs O(nb·m·k), the product O(nb·m·k·n).
                let a2 = a.as_standard_layout();
                let a2 = a2
                    .view()
                    .into_shape_with_order((nb * m, k))
                    .map_err(|e| internal(OP, e))?;
                gemm(a2, b2, zero_init(out2), false);
            }
        }
        return Ok(());
    }
    let a_mats = matrices(a, nbatch)?;
    let b_mats = matrices(b, nbatch)?;
    let flops = m * n * k;
    let threads = rayon::current_num_threads();
    if nb == 1 {
        if let (Some(a2), Some(b2), Some(o2)) =
            (a_mats.first(), b_mats.first(), out.outer_iter_mut().next())
        {
            gemm(a2.view(), b2.view(), zero_init(o2), false);
        }
    } else if threads > 1
        && flops.saturating_mul(nb) >= PARALLEL_MIN_FLOPS
        && (flops < BATCH_SPLIT_MIN_FLOPS || nb >= 4 * threads)
    {
        // Many or small products: one sequential GEMM per product, products in parallel.
        a_mats
            .par_iter()
            .zip(b_mats.par_iter())
            .zip(out.outer_iter_mut().into_par_iter())
            .for_each(|((a2, b2), o2)| {
                gemm_with(a2.view(), b2.view(), zero_init(o2), false, Par::Seq);
            });
    } else {
        // Few large products (or little work): one after the other, each parallel if large.
        for ((a2, b2), o2) in a_mats.iter().zip(&b_mats).zip(out.outer_iter_mut()) {
            gemm(a2.view(), b2.view(), zero_init(o2), false);
        }
    }
    Ok(())
}

/// Zero-fills an uninitialised output block for a GEMM to overwrite (in parallel when large).
fn zero_init<T: Scalar>(mut o: ArrayViewMut2<'_, MaybeUninit<T>>) -> ArrayViewMut2<'_, T> {
    let zero = MaybeUninit::new(T::zero());
    if o.len() >= 1 << 18 {
        Zip::from(&mut o).par_for_each(|x| *x = zero);
    } else {
        o.fill(zero);
    }
    // SAFETY: every element was just written.
    unsafe { o.assume_init() }
}

/// The matrices of a stack: the 2-D views over the last two axes, batch index in row-major order.
fn matrices<T>(a: ArrayViewD<'_, T>, nbatch: usize) -> Result<Vec<ArrayView2<'_, T>>> {
    let mut views = vec![a];
    for _ in 0..nbatch {
        views = views
            .into_iter()
            .flat_map(|v| v.into_outer_iter())
            .collect();
    }
    views
        .into_iter()
        .map(|v| {
            v.into_dimensionality::<Ix2>()
                .map_err(|e| internal("matmul", e))
        })
        .collect()
}

/// The matrix-vector product `a @ x`: (m, k) @ (k,) → (m,).
///
/// On faer's matrix-vector kernels: a row-major `a` is read once as parallel row blocks of dot
/// products, a column-major (transposed) one as parallel column sums (memory-bandwidth bound for
/// large `a`). A strided `x` is copied to a contiguous vector first.
///
/// ```
/// use mlinalg::matrix::matvec;
/// use ndarray::array;
/// let w = array![[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
/// let x = array![2.0, 3.0, 4.0, 5.0];
/// assert_eq!(matvec(&w, &x)?, array![2.0, 7.0, 5.0]);
/// assert_eq!(
///     matvec(&w, &array![1.0, 2.0]).unwrap_err().to_string(),
///     "matvec: shapes (3, 4) and (2,) cannot be multiplied: 4 != 2"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn matvec<T, S1, S2>(a: &ArrayBase<S1, Ix2>, x: &ArrayBase<S2, Ix1>) -> Result<Array1<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
{
    check_inner("matvec", a.shape(), x.shape())?;
    let mut out = Array1::<T>::zeros(a.nrows());
    // faer's fast kernels want a unit-stride vector.
    let xc = x.as_standard_layout();
    let x2 = xc.view().insert_axis(Axis(1));
    gemm(a.view(), x2, out.view_mut().insert_axis(Axis(1)), false);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Matrix constructors and simple properties
// ---------------------------------------------------------------------------------------------

/// The transpose of a matrix as a new array in standard (row-major) layout.
///
/// `a.t()` is the free, zero-copy transposed *view*; use this when an owned, contiguous copy is
/// wanted (to hand to code that needs row-major data).
///
/// ```
/// use mlinalg::matrix::transpose;
/// use ndarray::array;
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let t = transpose(&a);
/// assert_eq!(t, array![[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]);
/// assert!(t.is_standard_layout());
/// ```
pub fn transpose<T, S>(a: &ArrayBase<S, Ix2>) -> Array2<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let mut out = Array2::<T>::zeros((a.ncols(), a.nrows()));
    out.assign(&a.t());
    out
}

/// The n × n identity matrix, `np.eye(n)`.
///
/// ```
/// use mlinalg::matrix::{eye, matvec};
/// use ndarray::array;
/// let i = eye::<f64>(3);
/// let x = array![7.0, 8.0, 9.0];
/// assert_eq!(matvec(&i, &x)?, x);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn eye<T: Scalar>(n: usize) -> Array2<T> {
    Array2::eye(n)
}

/// The Gram matrix **AᵀA** (n × n for `a` of shape (m, n)): the inner products of the *columns*
/// of `a`, as in the seeds' `G = A.T @ A`.
///
/// For the inner products of the rows (A Aᵀ, m × m) pass the transposed view: `gram(&a.t())`.
/// Computed by one GEMM on the transposed view (no copy); the result is made exactly symmetric
/// (the upper triangle is mirrored), so [`is_symmetric`] holds with tolerance 0.
///
/// ```
/// use mlinalg::matrix::{gram, is_symmetric};
/// use ndarray::array;
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let g = gram(&a); // (3, 2) @ (2, 3) = (3, 3)
/// assert_eq!(g, array![[17.0, 22.0, 27.0], [22.0, 29.0, 36.0], [27.0, 36.0, 45.0]]);
/// assert!(is_symmetric(&g, 0.0));
/// assert_eq!(gram(&a.t()), array![[14.0, 32.0], [32.0, 77.0]]); // A Aᵀ
/// ```
pub fn gram<T, S>(a: &ArrayBase<S, Ix2>) -> Array2<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let n = a.ncols();
    let mut out = Array2::<T>::zeros((n, n));
    // Only the upper triangle is needed: one GEMM per block row of GRAM_BLOCK columns, each
    // from its diagonal block rightwards, does (b + 1) / 2b of the full product's work for b
    // blocks (58% at n = 768), as BLAS's syrk does for NumPy's `a.T @ a`.
    if n >= 4 * GRAM_BLOCK {
        for start in (0..n).step_by(GRAM_BLOCK) {
            let end = (start + GRAM_BLOCK).min(n);
            gemm(
                a.slice(s![.., start..end]).t(),
                a.slice(s![.., start..]),
                out.slice_mut(s![start..end, start..]),
                false,
            );
        }
    } else {
        gemm(a.t(), a.view(), out.view_mut(), false);
    }
    for i in 0..n {
        for j in (i + 1)..n {
            out[[j, i]] = out[[i, j]];
        }
    }
    out
}

/// Whether `a` is square and `|a[i, j] - a[j, i]| <= tol` for every pair (`tol` is absolute).
///
/// A non-square matrix is not symmetric; NaN entries make the answer `false`.
///
/// ```
/// use mlinalg::matrix::is_symmetric;
/// use ndarray::array;
/// assert!(is_symmetric(&array![[2.0, 1.0], [1.0, 3.0]], 0.0));
/// assert!(!is_symmetric(&array![[2.0, 1.0], [1.1, 3.0]], 0.01));
/// assert!(is_symmetric(&array![[2.0, 1.0], [1.1, 3.0]], 0.2));
/// assert!(!is_symmetric(&array![[1.0, 2.0, 3.0]], 1.0));
/// ```
pub fn is_symmetric<T, S>(a: &ArrayBase<S, Ix2>, tol: T) -> bool
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let n = a.nrows();
    if a.ncols() != n {
        return false;
    }
    (0..n).all(|i| {
        (i..n).all(|j| {
            let d = a[[i, j]] - a[[j, i]];
            d.abs() <= tol
        })
    })
}

/// The trace, the sum of the diagonal of a square matrix.
///
/// Differs from NumPy on purpose: `np.trace` also sums the main diagonal of a non-square matrix;
/// here a non-square matrix is an [`ErrorKind::Shape`] error, since the trace (the sum of the
/// eigenvalues) is defined for square matrices only.
///
/// ```
/// use mlinalg::matrix::trace;
/// use ndarray::array;
/// assert_eq!(trace(&array![[1.0, 2.0], [3.0, 4.0]])?, 5.0);
/// assert!(trace(&array![[1.0, 2.0, 3.0]]).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn trace<T, S>(a: &ArrayBase<S, Ix2>) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    check_square("trace", a.shape())?;
    Ok(a.diag().iter().copied().sum())
}

// ---------------------------------------------------------------------------------------------
// Inverse, solve, determinant (LU with partial pivoting, faer)
// ---------------------------------------------------------------------------------------------

pub(crate) fn check_square(op: &'static str, shape: &[usize]) -> Result<()> {
    if shape.len() != 2 || shape[0] != shape[1] {
        return Err(Error::shape(
            op,
            format!("expected a square matrix, got shape {}", fmt_shape(shape)),
        )
        .with_shapes([shape]));
    }
    Ok(())
}

pub(crate) fn check_finite<T, S, D>(op: &'static str, what: &str, a: &ArrayBase<S, D>) -> Result<()>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    if a.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::NonFinite,
            op,
            format!(
                "{what} of shape {} contains NaN or infinity",
                fmt_shape(a.shape())
            ),
        )
        .with_shapes([a.shape()]))
    }
}

/// An LU factorisation with partial pivoting, P·M = L·U, where M is A or Aᵀ: whichever A's
/// memory order makes into faer's column-major layout by a plain copy.
///
/// A standard (row-major) A read column by column *is* Aᵀ, so factoring Aᵀ skips the
/// transposing copy that faer's `partial_piv_lu` makes of a row-major input, and its split into
/// separate L and U: at 1024² f64 that was a third of `solve`'s time. `solve` and `inv` need
/// only that A x = b is Aᵀ's transposed solve and that inv(Aᵀ) stored column-major is inv(A)
/// stored row-major.
struct Lu<T> {
    /// L (unit lower, strictly below the diagonal) and U (on and above it), packed.
    factors: faer::Mat<T>,
    /// The row permutation P.
    perm: faer::perm::Perm<usize>,
    /// Whether `factors` is the factorisation of Aᵀ.
    transposed: bool,
}

impl<T: Scalar> Lu<T> {
    /// Checks and factors a square, finite matrix: A itself unless `may_transpose` and A's layout
    /// makes Aᵀ the cheaper one.
    ///
    /// `det` and `slogdet` factor A itself: their pivots are the result, and the rounding of
    /// A's elimination (an exactly zero pivot for an exactly singular A, as in LAPACK's `getrf`
    /// on A) is what they have always reported; Aᵀ's can leave a rounding-small one instead.
    fn new<S: Data<Elem = T>>(
        op: &'static str,
        a: &ArrayBase<S, Ix2>,
        may_transpose: bool,
    ) -> Result<Self> {
        check_square(op, a.shape())?;
        check_finite(op, "matrix", a)?;
        let n = a.nrows();
        let view = a.view().into_faer();
        // Column-major-ish strides: A copies straight; otherwise (row-major and most views) Aᵀ.
        let transposed =
            may_transpose && view.row_stride().unsigned_abs() > view.col_stride().unsigned_abs();
        let mut factors = if transposed {
            view.transpose().to_owned()
        } else {
            view.to_owned()
        };
        let par = lu_parallelism(n);
        let mut fwd = vec![0usize; n];
        let mut bwd = vec![0usize; n];
        let mut scratch = MemBuffer::new(lu_factor::lu_in_place_scratch::<usize, T>(
            n,
            n,
            par,
            Default::default(),
        ));
        lu_factor::lu_in_place(
            factors.as_mut(),
            &mut fwd,
            &mut bwd,
            par,
            MemStack::new(&mut scratch),
            Default::default(),
        );
        let perm = faer::perm::Perm::new_checked(fwd.into_boxed_slice(), bwd.into_boxed_slice(), n);
        Ok(Lu {
            factors,
            perm,
            transposed,
        })
    }

    fn dim(&self) -> usize {
        self.factors.nrows()
    }

    /// The pivots, U's diagonal (the same for A and Aᵀ up to their order).
    fn pivots(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.dim()).map(|i| self.factors[(i, i)])
    }

    /// Whether a pivot is exactly zero (the factorisation of a singular matrix).
    fn has_zero_pivot(&self) -> bool {
        self.pivots().any(|p| p == T::zero())
    }

    /// The sign (+1 or −1) of the row permutation: det(P), which is also det(Pᵀ).
    fn permutation_sign(&self) -> T {
        let (fwd, _) = self.perm.arrays();
        let mut seen = vec![false; fwd.len()];
        let mut odd = false;
        for start in 0..fwd.len() {
            if seen[start] {
                continue;
            }
            // A cycle of length L is L - 1 transpositions.
            let mut len = 0usize;
            let mut i = start;
            while !seen[i] {
                seen[i] = true;
                i = fwd[i];
                len += 1;
            }
            odd ^= len.is_multiple_of(2);
        }
        if odd {
            -T::one()
        } else {
            T::one()
        }
    }

    /// Overwrites `rhs` with A⁻¹ · rhs (`transpose`: Aᵀ⁻¹ · rhs).
    fn solve_in_place(&self, rhs: faer::MatMut<'_, T>, transpose: bool) {
        let (n, k) = (self.dim(), rhs.ncols());
        let par = lu_parallelism(n);
        let f = self.factors.as_ref();
        let mut scratch =
            MemBuffer::new(lu_solve::solve_in_place_scratch::<usize, T>(n, k, par).or(
                lu_solve::solve_transpose_in_place_scratch::<usize, T>(n, k, par),
            ));
        let stack = MemStack::new(&mut scratch);
        // Solving with M = Aᵀ's factors: A⁻¹ is M's transposed solve, Aᵀ⁻¹ its plain one.
        if transpose != self.transposed {
            lu_solve::solve_transpose_in_place(f, f, self.perm.as_ref(), rhs, par, stack);
        } else {
            lu_solve::solve_in_place(f, f, self.perm.as_ref(), rhs, par, stack);
        }
    }

    /// A⁻¹ as a standard-layout array.
    fn inverse(&self) -> Array2<T> {
        let n = self.dim();
        let par = lu_parallelism(n);
        let f = self.factors.as_ref();
        let mut scratch = MemBuffer::new(lu_inverse::inverse_scratch::<usize, T>(n, par));
        let stack = MemStack::new(&mut scratch);
        if self.transposed {
            // inv(Aᵀ) written column-major is inv(A) row-major: no transposing copy.
            let mut out = Array2::<T>::zeros((n, n));
            let slice = out
                .as_slice_mut()
                .unwrap_or_else(|| unreachable!("a new array is contiguous"));
            let dst = faer::MatMut::from_column_major_slice_mut(slice, n, n);
            lu_inverse::inverse(dst, f, f, self.perm.as_ref(), par, stack);
            out
        } else {
            let mut out = faer::Mat::<T>::zeros(n, n);
            lu_inverse::inverse(out.as_mut(), f, f, self.perm.as_ref(), par, stack);
            to_ndarray(out.as_ref())
        }
    }
}

/// faer's parallelism for an LU of order `n` and its solves (faer itself stays sequential below
/// its own thresholds).
fn lu_parallelism(n: usize) -> Par {
    if n < 128 || rayon::current_num_threads() < 2 {
        Par::Seq
    } else {
        Par::rayon(0)
    }
}

/// The 1-norm (largest absolute column sum) of a matrix.
fn norm1<T: Scalar>(a: faer::MatRef<'_, T>) -> T {
    // Column sums of |a|, accumulated along whichever direction is contiguous in memory.
    let view = a.into_ndarray();
    let mut sums = Array1::<T>::zeros(view.ncols());
    if view.strides()[0].unsigned_abs() < view.strides()[1].unsigned_abs() {
        Zip::from(&mut sums)
            .and(view.columns())
            .for_each(|s, col| *s = col.fold(T::zero(), |acc, &x| acc + x.abs()));
    } else {
        for row in view.rows() {
            Zip::from(&mut sums)
                .and(&row)
                .for_each(|s, &x| *s += x.abs());
        }
    }
    sums.fold(
        T::zero(),
        |acc, &s| if s > acc || s.is_nan() { s } else { acc },
    )
}

/// Hager's (LAPACK `xLACON`-style) estimate of ‖A⁻¹‖₁ from the LU factors: a few solves with A
/// and Aᵀ, O(n²) each. A lower bound, usually within a factor of 3 of the true norm.
fn inv_norm1_estimate<T: Scalar>(lu: &Lu<T>) -> T {
    let n = lu.dim();
    if n == 0 {
        return T::zero();
    }
    let nt = T::cast_usize(n);
    let abs_sum = |x: &faer::Mat<T>| (0..n).map(|i| x[(i, 0)].abs()).sum::<T>();
    let mut x = faer::Mat::<T>::from_fn(n, 1, |_, _| T::one() / nt);
    let mut est = T::zero();
    let mut last_j = usize::MAX;
    for iter in 0..5 {
        let mut y = x.clone();
        lu.solve_in_place(y.as_mut(), false);
        let e = abs_sum(&y);
        if !e.is_finite() {
            return e;
        }
        if iter > 0 && e <= est {
            break;
        }
        est = e;
        let mut z = faer::Mat::<T>::from_fn(n, 1, |i, _| {
            if y[(i, 0)] < T::zero() {
                -T::one()
            } else {
                T::one()
            }
        });
        lu.solve_in_place(z.as_mut(), true);
        let (mut j, mut zmax) = (0, T::zero());
        for i in 0..n {
            if z[(i, 0)].abs() > zmax {
                j = i;
                zmax = z[(i, 0)].abs();
            }
        }
        let ztx: T = (0..n).map(|i| z[(i, 0)] * x[(i, 0)]).sum();
        if iter > 0 && (zmax <= ztx || j == last_j) {
            break;
        }
        last_j = j;
        x = faer::Mat::<T>::zeros(n, 1);
        x[(j, 0)] = T::one();
    }
    // Higham's extra test vector, which catches matrices that fool the iteration above.
    let mut alt = faer::Mat::<T>::from_fn(n, 1, |i, _| {
        let v = T::one() + T::cast_usize(i) / T::cast_usize(n.max(2) - 1);
        if i % 2 == 0 {
            v
        } else {
            -v
        }
    });
    lu.solve_in_place(alt.as_mut(), false);
    let alt_est = T::cast_f64(2.0) * abs_sum(&alt) / (T::cast_f64(3.0) * nt);
    if alt_est > est || alt_est.is_nan() {
        alt_est
    } else {
        est
    }
}

/// The error for a matrix that is singular (an exactly zero pivot) or singular to working
/// precision (`rcond < eps`).
fn singular_error<T: Scalar>(op: &'static str, shape: &[usize], rcond: T) -> Error {
    let msg = if rcond == T::zero() || rcond.is_nan() {
        format!("matrix of shape {} is singular", fmt_shape(shape))
    } else {
        format!(
            "matrix of shape {} is singular to working precision (reciprocal condition number {:.3e} < eps {:.3e} of {})",
            fmt_shape(shape),
            rcond.as_f64(),
            T::epsilon().as_f64(),
            T::DTYPE
        )
    };
    Error::new(ErrorKind::Singular, op, msg).with_shapes([shape])
}

/// The reciprocal condition number 1 / (‖A‖₁ ‖A⁻¹‖₁), 0 for an exactly zero pivot.
fn rcond<T: Scalar>(a_norm: T, inv_norm: T, lu: &Lu<T>) -> T {
    if lu.has_zero_pivot() || !inv_norm.is_finite() || a_norm == T::zero() {
        return T::zero();
    }
    T::one() / (a_norm * inv_norm)
}

/// The inverse of a square matrix, `np.linalg.inv`.
///
/// LU with partial pivoting (faer). Errors:
/// - [`ErrorKind::Shape`]: not square;
/// - [`ErrorKind::NonFinite`]: NaN or infinity in `a` (NumPy would return NaNs);
/// - [`ErrorKind::Singular`]: `a` is singular or **singular to working precision**: its
///   reciprocal condition number in the 1-norm, 1 / (‖A‖₁ ‖A⁻¹‖₁), is below the dtype's machine
///   epsilon (2.2e-16 for f64, 1.2e-7 for f32). That is the rule of LAPACK's `xGESVX` and the
///   threshold of SciPy's ill-conditioning warning; NumPy only raises for an exactly zero pivot
///   and otherwise returns an inverse with no correct digits. Scale is irrelevant (`1e-300 · I`
///   is fine), but a badly *row/column-scaled* matrix can be rejected: equilibrate it first.
///
/// A 0 × 0 matrix has a 0 × 0 inverse.
///
/// ```
/// use mlinalg::matrix::{allclose, inv};
/// use mlinalg::ErrorKind;
/// use ndarray::array;
/// let a = array![[4.0, 7.0], [2.0, 6.0]];
/// let ai = inv(&a)?;
/// assert!(allclose(&ai, &array![[0.6, -0.7], [-0.2, 0.4]], 1e-12, 1e-15)?);
/// let err = inv(&array![[1.0, 2.0], [2.0, 4.0]]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Singular);
/// assert_eq!(err.to_string(), "inv: matrix of shape (2, 2) is singular");
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn inv<T, S>(a: &ArrayBase<S, Ix2>) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "inv";
    let lu = Lu::new(OP, a, true)?;
    let n = a.nrows();
    if lu.has_zero_pivot() {
        return Err(singular_error(OP, a.shape(), T::zero()));
    }
    let ai = lu.inverse();
    // The exact 1-norm condition number: ‖A⁻¹‖₁ is at hand.
    let rc = rcond(
        norm1(a.view().into_faer()),
        norm1(ai.view().into_faer()),
        &lu,
    );
    if n > 0 && (rc.is_nan() || rc < T::epsilon()) {
        return Err(singular_error(OP, a.shape(), rc));
    }
    Ok(ai)
}

/// Copies a faer matrix (column-major when owned) into a standard-layout ndarray: by tiles when
/// it transposes, so that both sides stay in cache.
pub(crate) fn to_ndarray<T: Scalar>(m: faer::MatRef<'_, T>) -> Array2<T> {
    let copy = crate::tensor::standard_copy(m.into_ndarray().into_dyn());
    copy.into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| unreachable!("a copy of a 2-D view is 2-D"))
}

/// Solves `a x = b` for `x`, `np.linalg.solve`: `b` is a vector (n,) or a matrix (n, k) of
/// right-hand sides, and `x` has the shape of `b`.
///
/// LU with partial pivoting (faer). Errors as [`inv`]: [`ErrorKind::Shape`] (non-square `a`,
/// `b` not 1-D/2-D or of the wrong length), [`ErrorKind::NonFinite`] (NaN or infinity in `a` or
/// `b`), [`ErrorKind::Singular`] (an exactly zero pivot, or an *estimated* reciprocal condition
/// number below eps: Hager's 1-norm estimator, a few extra O(n²) solves, as LAPACK's `xGECON`).
///
/// Accuracy: the residual ‖a x − b‖ is of order eps · ‖a‖ · ‖x‖ (backward stable); the error in
/// `x` itself grows with the condition number, about cond(a) · eps.
///
/// ```
/// use mlinalg::matrix::solve;
/// use ndarray::array;
/// let a = array![[3.0_f64, 1.0], [1.0, 2.0]];
/// let x = solve(&a, &array![9.0, 8.0])?;
/// assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
/// // Several right-hand sides at once: the columns of b.
/// let xs = solve(&a, &array![[9.0, 1.0], [8.0, 2.0]])?;
/// assert_eq!(xs.shape(), &[2, 2]);
/// assert!(solve(&a, &array![1.0, 2.0, 3.0]).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn solve<T, S1, S2, D>(a: &ArrayBase<S1, Ix2>, b: &ArrayBase<S2, D>) -> Result<Array<T, D>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "solve";
    check_square(OP, a.shape())?;
    let n = a.nrows();
    let rhs = match b.ndim() {
        1 | 2 if b.shape()[0] == n => b.shape().get(1).copied().unwrap_or(1),
        1 | 2 => {
            return Err(Error::shape(
                OP,
                format!(
                    "matrix of shape {} and right-hand side of shape {} do not match: {} != {}",
                    fmt_shape(a.shape()),
                    fmt_shape(b.shape()),
                    n,
                    b.shape()[0]
                ),
            )
            .with_shapes([a.shape(), b.shape()]))
        }
        _ => {
            return Err(Error::shape(
                OP,
                format!(
                    "right-hand side must be a vector (n,) or a matrix (n, k), got shape {}",
                    fmt_shape(b.shape())
                ),
            )
            .with_shapes([a.shape(), b.shape()]))
        }
    };
    check_finite(OP, "right-hand side", b)?;
    let lu = Lu::new(OP, a, true)?;
    if n > 0 {
        let rc = rcond(norm1(a.view().into_faer()), inv_norm1_estimate(&lu), &lu);
        if rc.is_nan() || rc < T::epsilon() {
            return Err(singular_error(OP, a.shape(), rc));
        }
    }
    // b as an (n, rhs) column-major faer matrix, solved in place.
    let b2 = match b.view().into_dimensionality::<Ix2>() {
        Ok(v) => v,
        Err(_) => b
            .view()
            .into_dimensionality::<Ix1>()
            .map_err(|e| internal(OP, e))?
            .insert_axis(Axis(1)),
    };
    let mut x = faer::Mat::<T>::from_fn(n, rhs, |i, j| b2[[i, j]]);
    lu.solve_in_place(x.as_mut(), false);
    let out = to_ndarray(x.as_ref());
    out.into_shape_with_order(b.raw_dim())
        .map_err(|e| internal(OP, e))
}

/// The determinant of a square matrix, `np.linalg.det`: the product of the LU pivots times the
/// sign of the row permutation.
///
/// A singular matrix is not an error: its determinant is 0 (or, in floating point, a tiny
/// number, as NumPy gives). The product can overflow to ±inf or underflow to 0 for large
/// matrices; use [`slogdet`] there. NaN or infinity in `a` is an [`ErrorKind::NonFinite`] error
/// (NumPy returns NaN). The determinant of a 0 × 0 matrix is 1.
///
/// ```
/// use mlinalg::matrix::det;
/// use ndarray::array;
/// assert!((det(&array![[1.0_f64, 2.0], [3.0, 4.0]])? + 2.0).abs() < 1e-12);
/// assert_eq!(det(&array![[1.0, 2.0], [2.0, 4.0]])?, 0.0);
/// assert_eq!(det(&array![[0.0, 1.0], [1.0, 0.0]])?, -1.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn det<T, S>(a: &ArrayBase<S, Ix2>) -> Result<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let lu = Lu::new("det", a, false)?;
    let mut prod = lu.permutation_sign();
    for p in lu.pivots() {
        if p == T::zero() {
            // The pivots after an exactly zero one are 0/0 garbage: the determinant is 0.
            return Ok(T::zero());
        }
        prod *= p;
    }
    Ok(prod)
}

/// The sign and the natural logarithm of the absolute value of the determinant,
/// `np.linalg.slogdet`: `det = sign · exp(logabsdet)`, without the overflow of [`det`].
///
/// A singular matrix (a zero pivot) gives `(0, -inf)` as in NumPy; NaN or infinity in `a` is an
/// [`ErrorKind::NonFinite`] error. A 0 × 0 matrix gives `(1, 0)`.
///
/// ```
/// use mlinalg::matrix::{eye, slogdet};
/// use ndarray::array;
/// let (sign, logdet) = slogdet(&(eye::<f64>(200) * 10.0))?; // det = 1e200
/// assert_eq!(sign, 1.0);
/// assert!((logdet - 200.0 * 10f64.ln()).abs() < 1e-9);
/// assert_eq!(slogdet(&array![[1.0, 2.0], [2.0, 4.0]])?, (0.0, f64::NEG_INFINITY));
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn slogdet<T, S>(a: &ArrayBase<S, Ix2>) -> Result<(T, T)>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let lu = Lu::new("slogdet", a, false)?;
    let mut sign = lu.permutation_sign();
    let mut logdet = T::zero();
    for p in lu.pivots() {
        if p == T::zero() {
            return Ok((T::zero(), T::neg_infinity()));
        }
        if p < T::zero() {
            sign = -sign;
        }
        logdet += p.abs().ln();
    }
    Ok((sign, logdet))
}

/// The rank of a matrix: the number of singular values above `tol`, `np.linalg.matrix_rank`.
///
/// With `tol = None`, NumPy's default: `S.max() · max(m, n) · eps` (eps of the dtype), so a
/// matrix that is rank-deficient up to rounding counts as such. Singular values from faer's SVD.
/// Errors: NaN or infinity ([`ErrorKind::NonFinite`]), a negative or NaN `tol`
/// ([`ErrorKind::InvalidArgument`]). An empty matrix has rank 0.
///
/// ```
/// use mlinalg::matrix::matrix_rank;
/// use ndarray::array;
/// assert_eq!(matrix_rank(&array![[1.0, 0.0], [0.0, 1.0]], None)?, 2);
/// assert_eq!(matrix_rank(&array![[1.0, 2.0], [2.0, 4.0]], None)?, 1); // row 2 = 2 × row 1
/// assert_eq!(matrix_rank(&array![[1.0, 0.0], [0.0, 1e-3]], Some(1e-2))?, 1);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn matrix_rank<T, S>(a: &ArrayBase<S, Ix2>, tol: Option<T>) -> Result<usize>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    const OP: &str = "matrix_rank";
    if let Some(t) = tol {
        if t.is_nan() || t < T::zero() {
            return Err(Error::invalid(
                OP,
                format!("tolerance must be non-negative, got {t}"),
            ));
        }
    }
    check_finite(OP, "matrix", a)?;
    let (m, n) = a.dim();
    if m == 0 || n == 0 {
        return Ok(0);
    }
    let s = a.view().into_faer().singular_values().map_err(|e| {
        Error::new(
            ErrorKind::NoConvergence,
            OP,
            format!("SVD did not converge ({e:?})"),
        )
        .with_shapes([a.shape()])
    })?;
    let smax = s.iter().copied().fold(T::zero(), T::max);
    let tol = tol.unwrap_or_else(|| smax * T::cast_usize(m.max(n)) * T::epsilon());
    Ok(s.iter().filter(|&&x| x > tol).count())
}

// ---------------------------------------------------------------------------------------------
// Approximate equality
// ---------------------------------------------------------------------------------------------

fn check_tolerances<T: Scalar>(op: &'static str, rtol: T, atol: T) -> Result<()> {
    if rtol.is_nan() || atol.is_nan() || rtol < T::zero() || atol < T::zero() {
        return Err(Error::invalid(
            op,
            format!("tolerances must be non-negative, got rtol={rtol}, atol={atol}"),
        ));
    }
    Ok(())
}

/// NumPy's `isclose` test for one pair (`equal_nan=False`).
#[inline]
fn close<T: Scalar>(x: T, y: T, rtol: T, atol: T) -> bool {
    x == y || (y.is_finite() && (x - y).abs() <= atol + rtol * y.abs())
}

/// Elementwise `|a − b| <= atol + rtol·|b|`, `np.isclose(a, b, rtol, atol)`, with both operands
/// broadcast.
///
/// As NumPy: the test is not symmetric (`b` is the reference), NaN is never close (not even to
/// NaN), equal infinities are close, an infinity is close to nothing else. NumPy's defaults are
/// `rtol = 1e-5`, `atol = 1e-8`. Negative or NaN tolerances are an
/// [`ErrorKind::InvalidArgument`] error, shapes that do not broadcast an [`ErrorKind::Broadcast`]
/// one.
///
/// ```
/// use mlinalg::matrix::isclose;
/// use ndarray::array;
/// let a = array![1.0, 1.0001, f64::NAN, f64::INFINITY];
/// let b = array![1.0, 1.0, f64::NAN, f64::INFINITY];
/// assert_eq!(isclose(&a, &b, 1e-5, 1e-8)?, array![true, false, false, true].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn isclose<T, S1, S2, D1, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    rtol: T,
    atol: T,
) -> Result<ArrayD<bool>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    check_tolerances("isclose", rtol, atol)?;
    zip_with("isclose", a, b, move |x, y| close(x, y, rtol, atol))
}

/// Whether every pair is close under [`isclose`]'s rule, `np.allclose(a, b, rtol, atol)`; both
/// operands broadcast. Empty operands are all-close.
///
/// ```
/// use mlinalg::matrix::{allclose, matmul};
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let b = array![[0.5, 0.0], [1.0, 2.0]];
/// let x = array![0.3, -0.7];
/// // (A B) x = A (B x)
/// let two_step = matmul(&a, &matmul(&b, &x)?)?;
/// let one_step = matmul(&matmul(&a, &b)?, &x)?;
/// assert!(allclose(&two_step, &one_step, 1e-5, 1e-8)?);
/// assert!(!allclose(&a, &b, 1e-5, 1e-8)?);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn allclose<T, S1, S2, D1, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    rtol: T,
    atol: T,
) -> Result<bool>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    check_tolerances("allclose", rtol, atol)?;
    let (va, vb) = broadcast_pair("allclose", a, b)?;
    Ok(Zip::from(&va)
        .and(&vb)
        .all(|&x, &y| close(x, y, rtol, atol)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};

    /// `out (+)= a @ b` by the definition, in f64.
    fn reference(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, out: &mut Array2<f64>, acc: bool) {
        for ((i, j), o) in out.indexed_iter_mut() {
            let dot: f64 = (0..a.ncols()).map(|p| a[[i, p]] * b[[p, j]]).sum();
            *o = if acc { *o + dot } else { dot };
        }
    }

    fn filled(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * 31 + j * 17 + seed * 7) % 23) as f64 - 11.0) / 8.0
        })
    }

    /// Both kernel choices of `gemm_with`, whichever this CPU picks, on standard, transposed,
    /// column-major, reversed (negative strides) and broadcast (stride 0) operands and outputs,
    /// overwriting and accumulating, sequential and parallel, f64 and f32.
    #[test]
    fn both_kernels_match_the_definition() {
        let (m, k, n) = (37, 29, 45);
        let a = filled(m, k, 1);
        let at = filled(k, m, 2);
        let b = filled(k, n, 3);
        let b_f = {
            let mut c = Array2::zeros((k, n).f());
            c.assign(&b);
            c
        };
        let row = filled(1, n, 4);
        let mut a_rev = a.view();
        a_rev.invert_axis(Axis(0));
        a_rev.invert_axis(Axis(1));
        let lhs: [(&str, ArrayView2<'_, f64>); 3] = [
            ("standard", a.view()),
            ("transposed", at.t()),
            ("reversed", a_rev),
        ];
        let rhs: [(&str, ArrayView2<'_, f64>); 3] = [
            ("standard", b.view()),
            ("column-major", b_f.view()),
            ("broadcast rows", row.broadcast((k, n)).unwrap()),
        ];
        for kernels in [Kernels::GemmCrate, Kernels::Faer] {
            for (an, av) in &lhs {
                for (bn, bv) in &rhs {
                    for (acc, par) in [(false, Par::Seq), (true, Par::Seq), (false, Par::rayon(2))]
                    {
                        let what = format!("{kernels:?}, {an} @ {bn}, accumulate {acc}");
                        let start = filled(m, n, 5);
                        let mut want = start.clone();
                        reference(*av, *bv, &mut want, acc);
                        // f64, into a column-major output.
                        let mut got = Array2::zeros((m, n).f());
                        got.assign(&start);
                        gemm_on(kernels, *av, *bv, got.view_mut(), acc, par);
                        let err = (&got - &want)
                            .mapv(f64::abs)
                            .fold(0.0, |x: f64, &y| x.max(y));
                        assert!(err < 1e-12, "{what}: f64 error {err}");
                        // f32, reversed rows of `a` into reversed rows of the output: the same
                        // product, stored in the same places.
                        let (a32, b32) = (av.mapv(|x| x as f32), bv.mapv(|x| x as f32));
                        let mut got32 = start.mapv(|x| x as f32);
                        let mut view = got32.view_mut();
                        view.invert_axis(Axis(0));
                        let mut a32_rev = a32.view();
                        a32_rev.invert_axis(Axis(0));
                        gemm_on(kernels, a32_rev, b32.view(), view, acc, par);
                        let err = got32
                            .iter()
                            .zip(want.iter())
                            .map(|(&g, &w)| (f64::from(g) - w).abs())
                            .fold(0.0, f64::max);
                        assert!(err < 1e-4, "{what}: f32 error {err}");
                    }
                }
            }
        }
    }
}
