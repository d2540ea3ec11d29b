//! NumPy broadcasting for elementwise binary operations on n-d arrays.
//!
//! ndarray broadcasts only the right-hand operand (`&a + &b` needs `b` to fit `a`'s shape); NumPy
//! and PyTorch broadcast both. The rules: align the shapes at their last axis; two sizes are
//! compatible when they are equal or one of them is 1; a missing leading axis counts as 1. The
//! result has the larger size on every axis. Broadcast operands are stride-0 views: nothing is
//! copied until the result is written.
//!
//! ```
//! use mlinalg::broadcast;
//! use ndarray::{array, Array2};
//!
//! // A column (3, 1) and a row (4,) broadcast to a (3, 4) grid.
//! let col = array![[0.0], [10.0], [20.0]];
//! let row = array![1.0, 2.0, 3.0, 4.0];
//! let grid = broadcast::add(&col, &row)?;
//! assert_eq!(grid.shape(), &[3, 4]);
//! assert_eq!(grid[[2, 3]], 24.0);
//!
//! // Dividing (32, 768) by (32,) fails as in NumPy; (32, 1) works.
//! let x = Array2::<f32>::ones((32, 768));
//! let err = broadcast::div(&x, &ndarray::Array1::<f32>::ones(32)).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "div: operands could not be broadcast together with shapes (32, 768) (32,)"
//! );
//! assert!(broadcast::div(&x, &Array2::<f32>::ones((32, 1))).is_ok());
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{ArrayBase, ArrayD, ArrayViewD, Data, Dimension, IxDyn, Zip};

use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::Scalar;

/// Element count above which elementwise kernels run in parallel.
const PARALLEL_MIN_LEN: usize = 1 << 16;

/// The shape that `shapes` broadcast to under NumPy's rules.
///
/// ```
/// use mlinalg::broadcast::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[&[8, 1, 6, 1], &[7, 1, 5]])?, vec![8, 7, 6, 5]);
/// assert!(broadcast_shapes("add", &[&[3], &[4]]).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn broadcast_shapes(op: &'static str, shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for shape in shapes {
        let offset = ndim - shape.len();
        for (i, &size) in shape.iter().enumerate() {
            let slot = &mut out[offset + i];
            if *slot == 1 {
                *slot = size;
            } else if size != 1 && size != *slot {
                return Err(broadcast_error(op, shapes));
            }
        }
    }
    Ok(out)
}

fn broadcast_error(op: &'static str, shapes: &[&[usize]]) -> Error {
    let listed: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
    Error::new(
        ErrorKind::Broadcast,
        op,
        format!(
            "operands could not be broadcast together with shapes {}",
            listed.join(" ")
        ),
    )
    .with_shapes(shapes.iter().copied())
}

/// Views of `a` and `b` broadcast to their common shape (stride 0 along broadcast axes).
///
/// ```
/// use mlinalg::broadcast::broadcast_pair;
/// let a = ndarray::array![[1.0, 2.0, 3.0]];
/// let b = ndarray::array![[10.0], [20.0]];
/// let (va, vb) = broadcast_pair("add", &a, &b)?;
/// assert_eq!(va.shape(), &[2, 3]);
/// assert_eq!(vb[[1, 2]], 20.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn broadcast_pair<'a, T, S1, S2, D1, D2>(
    op: &'static str,
    a: &'a ArrayBase<S1, D1>,
    b: &'a ArrayBase<S2, D2>,
) -> Result<(ArrayViewD<'a, T>, ArrayViewD<'a, T>)>
where
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    let shape = broadcast_shapes(op, &[a.shape(), b.shape()])?;
    let va = broadcast_to(op, a, &shape)?;
    let vb = broadcast_to(op, b, &shape)?;
    Ok((va, vb))
}

/// A view of `a` broadcast to `shape` (which must be a valid broadcast target for `a`).
///
/// ```
/// use mlinalg::broadcast::broadcast_to;
/// let bias = ndarray::array![1.0, 2.0, 3.0];
/// let v = broadcast_to("add", &bias, &[4, 3])?;
/// assert_eq!(v.shape(), &[4, 3]);
/// assert!(broadcast_to("add", &bias, &[4, 2]).is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn broadcast_to<'a, T, S, D>(
    op: &'static str,
    a: &'a ArrayBase<S, D>,
    shape: &[usize],
) -> Result<ArrayViewD<'a, T>>
where
    S: Data<Elem = T>,
    D: Dimension,
{
    a.broadcast(IxDyn(shape))
        .ok_or_else(|| broadcast_error(op, &[a.shape(), shape]))
}

/// Applies `f` elementwise over `a` and `b` broadcast together; the general form of
/// [`add`], [`sub`], [`mul`], [`div`].
///
/// ```
/// use mlinalg::broadcast::zip_with;
/// let a = ndarray::array![1.0, -2.0, 3.0];
/// let b = ndarray::array![[0.0], [1.0]];
/// let gt = zip_with("greater", &a, &b, |x: f64, y| x > y)?;
/// assert_eq!(gt, ndarray::array![[true, false, true], [false, false, true]].into_dyn());
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn zip_with<T, U, S1, S2, D1, D2, F>(
    op: &'static str,
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    f: F,
) -> Result<ArrayD<U>>
where
    T: Copy + Send + Sync,
    U: Copy + Send + Sync,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
    F: Fn(T, T) -> U + Sync + Send,
{
    let (va, vb) = broadcast_pair(op, a, b)?;
    // Written into a row-major buffer: `Zip::map_collect` would follow the inputs' layout, and
    // outputs are row-major whatever the layout of the inputs.
    let mut out = ArrayD::<U>::uninit(va.raw_dim());
    let zip = Zip::from(&va).and(&vb);
    if va.len() >= PARALLEL_MIN_LEN {
        zip.par_map_assign_into(&mut out, |&x, &y| f(x, y));
    } else {
        zip.map_assign_into(&mut out, |&x, &y| f(x, y));
    }
    // SAFETY: `map_assign_into` wrote every element of `out`, which has the zip's shape.
    Ok(unsafe { out.assume_init() })
}

macro_rules! elementwise {
    ($(#[$doc:meta])* $name:ident, $op:literal, |$x:ident, $y:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name<T, S1, S2, D1, D2>(
            a: &ArrayBase<S1, D1>,
            b: &ArrayBase<S2, D2>,
        ) -> Result<ArrayD<T>>
        where
            T: Scalar,
            S1: Data<Elem = T>,
            S2: Data<Elem = T>,
            D1: Dimension,
            D2: Dimension,
        {
            zip_with($op, a, b, |$x: T, $y: T| $body)
        }
    };
}

elementwise!(
    /// `a + b` with both operands broadcast.
    ///
    /// ```
    /// let s = mlinalg::broadcast::add(&ndarray::array![[1.0], [2.0]], &ndarray::array![10.0, 20.0])?;
    /// assert_eq!(s, ndarray::array![[11.0, 21.0], [12.0, 22.0]].into_dyn());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    add, "add", |x, y| x + y
);
elementwise!(
    /// `a - b` with both operands broadcast.
    ///
    /// ```
    /// let d = mlinalg::broadcast::sub(&ndarray::array![5.0, 6.0], &ndarray::array![[1.0], [2.0]])?;
    /// assert_eq!(d, ndarray::array![[4.0, 5.0], [3.0, 4.0]].into_dyn());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    sub, "sub", |x, y| x - y
);
elementwise!(
    /// `a * b` elementwise (the Hadamard product) with both operands broadcast.
    ///
    /// ```
    /// let p = mlinalg::broadcast::mul(&ndarray::array![[1.0, 2.0], [3.0, 4.0]], &ndarray::array![[5.0, 6.0], [7.0, 8.0]])?;
    /// assert_eq!(p, ndarray::array![[5.0, 12.0], [21.0, 32.0]].into_dyn());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    mul, "mul", |x, y| x * y
);
elementwise!(
    /// `a / b` with both operands broadcast; division by zero gives IEEE infinities or NaN, as NumPy.
    ///
    /// ```
    /// let q = mlinalg::broadcast::div(&ndarray::array![[2.0_f64, 4.0], [6.0, 8.0]], &ndarray::array![[2.0], [0.0]])?;
    /// assert_eq!(q[[0, 1]], 2.0);
    /// assert!(q[[1, 0]].is_infinite());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    div, "div", |x, y| x / y
);
elementwise!(
    /// Elementwise maximum with both operands broadcast; NaN propagates as `np.maximum`.
    ///
    /// ```
    /// let m = mlinalg::broadcast::maximum(&ndarray::array![1.0, 5.0, f64::NAN], &ndarray::array![3.0])?;
    /// assert_eq!(m[0], 3.0);
    /// assert_eq!(m[1], 5.0);
    /// assert!(m[2].is_nan());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    maximum, "maximum", |x, y| if x.is_nan() || y.is_nan() { T::nan() } else if x >= y { x } else { y }
);
elementwise!(
    /// Elementwise minimum with both operands broadcast; NaN propagates as `np.minimum`.
    ///
    /// ```
    /// let m = mlinalg::broadcast::minimum(&ndarray::array![1.0, 5.0], &ndarray::array![3.0])?;
    /// assert_eq!(m, ndarray::array![1.0, 3.0].into_dyn());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    minimum, "minimum", |x, y| if x.is_nan() || y.is_nan() { T::nan() } else if x <= y { x } else { y }
);
