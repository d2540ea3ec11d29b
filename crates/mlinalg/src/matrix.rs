//! Matrices: products (on faer's GEMM), inverse, solve, determinant, rank, comparisons.

use faer::{Accum, Par};
use faer_ext::IntoFaer;
use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix2};

use crate::error::{fmt_shape, Error, Result};
use crate::Scalar;

/// Multiply-adds (m·n·k) below which a product runs on one thread: splitting small products
/// costs more in synchronisation than it saves.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// The product of two matrices, `a @ b`, on faer's GEMM (parallel for large products).
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
    let mut out = Array2::<T>::zeros((a.nrows(), b.ncols()));
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
    if out
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

/// `out (+)= a @ b` on faer's GEMM. Shapes must already be checked.
pub(crate) fn gemm<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    out: ArrayViewMut2<'_, T>,
    accumulate: bool,
) {
    let flops = a.nrows() * a.ncols() * b.ncols();
    let par = if flops >= PARALLEL_MIN_FLOPS && rayon::current_num_threads() > 1 {
        Par::rayon(0)
    } else {
        Par::Seq
    };
    gemm_with(a, b, out, accumulate, par);
}

/// `out (+)= a @ b` on faer's GEMM with the given parallelism. Shapes must already be checked.
pub(crate) fn gemm_with<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    out: ArrayViewMut2<'_, T>,
    accumulate: bool,
    par: Par,
) {
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    if a.ncols() == 0 {
        // faer leaves `out` untouched for an empty inner dimension; NumPy gives zeros.
        if !accumulate {
            let mut out = out;
            out.fill(T::zero());
        }
        return;
    }
    faer::linalg::matmul::matmul(
        out.into_faer(),
        accum,
        a.into_faer(),
        b.into_faer(),
        T::one(),
        par,
    );
}
