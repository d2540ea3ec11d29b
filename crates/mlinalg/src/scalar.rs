//! [`Scalar`]: the element types mlinalg computes with, `f32` and `f64`.
//!
//! One bound shared by ndarray (arithmetic on arrays), faer (GEMM and factorisations) and
//! num-traits (`sqrt`, `abs`, constants), so generic code can use all three.

use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A real floating-point element type: implemented for `f32` and `f64` only.
///
/// ```
/// fn mean<T: mlinalg::Scalar>(xs: &[T]) -> T {
///     xs.iter().copied().sum::<T>() / T::cast_usize(xs.len())
/// }
/// assert_eq!(mean(&[1.0_f32, 2.0, 3.0]), 2.0);
/// ```
pub trait Scalar:
    faer::traits::RealField
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + num_traits::Float
    + num_traits::FloatConst
    + num_traits::NumAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
{
    /// The type's name as NumPy spells it: `"float32"` or `"float64"`.
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn cast_f64(x: f64) -> Self;

    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;

    /// Converts a count, as used in means and tolerances.
    fn cast_usize(n: usize) -> Self {
        Self::cast_f64(n as f64)
    }
}

impl Scalar for f32 {
    const DTYPE: &'static str = "float32";

    fn cast_f64(x: f64) -> Self {
        x as f32
    }

    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Scalar for f64 {
    const DTYPE: &'static str = "float64";

    fn cast_f64(x: f64) -> Self {
        x
    }

    fn as_f64(self) -> f64 {
        self
    }
}
