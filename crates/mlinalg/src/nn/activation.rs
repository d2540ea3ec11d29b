//! Elementwise activations: [`relu`], [`sigmoid`], [`silu`] and [`gelu`] (exact erf form and
//! the tanh approximation), with PyTorch's definitions, and their derivatives for Jacobians.
//!
//! The functions keep the input's shape and propagate NaN. [`Activation`] names one of them, so
//! a layer can be configured with it and a Jacobian can ask for its derivative:
//!
//! ```
//! use mlinalg::nn::activation::{gelu, Activation, Gelu};
//! use ndarray::array;
//!
//! let x = array![-1.0_f64, 0.0, 1.0];
//! let y = gelu(&x, Gelu::Erf);
//! assert!((y[2] - 0.841_344_746).abs() < 1e-9); // 1 · Φ(1)
//! assert_eq!(Activation::Relu.apply(&x), array![0.0, 0.0, 1.0]);
//! assert_eq!(Activation::Relu.derivative(&x), array![0.0, 0.0, 1.0]);
//! ```

use ndarray::{Array, ArrayBase, Data, Dimension};

use crate::Scalar;

/// Which form of GELU: `torch.nn.functional.gelu(x, approximate="none" | "tanh")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Gelu {
    /// `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`, the exact form (PyTorch's default, BERT).
    #[default]
    Erf,
    /// `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, the approximation of GPT-2.
    Tanh,
}

/// An elementwise activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `x` unchanged (a linear layer without activation).
    Identity,
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^{−x})`.
    Sigmoid,
    /// `x · sigmoid(x)` (also called swish).
    Silu,
    /// GELU in the given form.
    Gelu(Gelu),
}

/// √(2/π), the constant of the tanh form of GELU.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh form of GELU.
const GELU_CUBIC: f64 = 0.044_715;

fn erf<T: Scalar>(x: T) -> T {
    // f32 goes through the f64 erf: correctly rounded to f32 and still cheap next to a GEMM.
    T::cast_f64(libm::erf(x.as_f64()))
}

fn sigmoid_scalar<T: Scalar>(x: T) -> T {
    // Two branches so that exp never overflows: e^{−x} for x ≥ 0, e^{x} otherwise.
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

impl Activation {
    /// The activation of one value.
    ///
    /// ```
    /// use mlinalg::nn::activation::Activation;
    /// assert_eq!(Activation::Sigmoid.scalar(0.0_f64), 0.5);
    /// ```
    pub fn scalar<T: Scalar>(self, x: T) -> T {
        let half = T::cast_f64(0.5);
        match self {
            Activation::Identity => x,
            // NaN > 0 is false: keep NaN as NaN (as torch.relu), not 0.
            Activation::Relu => {
                if x > T::zero() || x.is_nan() {
                    x
                } else {
                    T::zero()
                }
            }
            Activation::Sigmoid => sigmoid_scalar(x),
            Activation::Silu => x * sigmoid_scalar(x),
            Activation::Gelu(Gelu::Erf) => half * x * (T::one() + erf(x * T::FRAC_1_SQRT_2())),
            Activation::Gelu(Gelu::Tanh) => {
                let inner = T::cast_f64(SQRT_2_OVER_PI) * (x + T::cast_f64(GELU_CUBIC) * x * x * x);
                half * x * (T::one() + inner.tanh())
            }
        }
    }

    /// The derivative of the activation at one value (at 0, ReLU's is 0, as PyTorch's autograd).
    ///
    /// ```
    /// use mlinalg::nn::activation::Activation;
    /// assert_eq!(Activation::Sigmoid.scalar_derivative(0.0_f64), 0.25);
    /// ```
    pub fn scalar_derivative<T: Scalar>(self, x: T) -> T {
        let half = T::cast_f64(0.5);
        match self {
            Activation::Identity => T::one(),
            Activation::Relu => {
                if x > T::zero() {
                    T::one()
                } else if x.is_nan() {
                    x
                } else {
                    T::zero()
                }
            }
            Activation::Sigmoid => {
                let s = sigmoid_scalar(x);
                s * (T::one() - s)
            }
            Activation::Silu => {
                let s = sigmoid_scalar(x);
                s * (T::one() + x * (T::one() - s))
            }
            Activation::Gelu(Gelu::Erf) => {
                // Φ(x) + x · φ(x)
                let cdf = half * (T::one() + erf(x * T::FRAC_1_SQRT_2()));
                let pdf = (-half * x * x).exp() / (T::PI() + T::PI()).sqrt();
                cdf + x * pdf
            }
            Activation::Gelu(Gelu::Tanh) => {
                let c = T::cast_f64(SQRT_2_OVER_PI);
                let k = T::cast_f64(GELU_CUBIC);
                let t = (c * (x + k * x * x * x)).tanh();
                let dinner = c * (T::one() + T::cast_f64(3.0) * k * x * x);
                half * (T::one() + t) + half * x * (T::one() - t * t) * dinner
            }
        }
    }

    /// The activation applied elementwise; the result has the input's shape.
    ///
    /// ```
    /// use mlinalg::nn::activation::Activation;
    /// let y = Activation::Silu.apply(&ndarray::array![0.0_f32, 1.0]);
    /// assert!((y[1] - 0.731_058_6).abs() < 1e-6);
    /// ```
    pub fn apply<T, S, D>(self, x: &ArrayBase<S, D>) -> Array<T, D>
    where
        T: Scalar,
        S: Data<Elem = T>,
        D: Dimension,
    {
        x.mapv(|v| self.scalar(v))
    }

    /// The activation applied elementwise, in place.
    ///
    /// ```
    /// use mlinalg::nn::activation::Activation;
    /// let mut h = ndarray::array![-2.0_f64, 3.0];
    /// Activation::Relu.apply_inplace(&mut h);
    /// assert_eq!(h, ndarray::array![0.0, 3.0]);
    /// ```
    pub fn apply_inplace<T, S, D>(self, x: &mut ArrayBase<S, D>)
    where
        T: Scalar,
        S: ndarray::DataMut<Elem = T>,
        D: Dimension,
    {
        if x.len() >= 1 << 15 {
            ndarray::Zip::from(x).par_for_each(|v| *v = self.scalar(*v));
        } else {
            x.mapv_inplace(|v| self.scalar(v));
        }
    }

    /// The derivative elementwise: the diagonal of the activation's Jacobian at `x`.
    ///
    /// ```
    /// use mlinalg::nn::activation::{Activation, Gelu};
    /// let d = Activation::Gelu(Gelu::Erf).derivative(&ndarray::array![0.0_f64]);
    /// assert_eq!(d[0], 0.5);
    /// ```
    pub fn derivative<T, S, D>(self, x: &ArrayBase<S, D>) -> Array<T, D>
    where
        T: Scalar,
        S: Data<Elem = T>,
        D: Dimension,
    {
        x.mapv(|v| self.scalar_derivative(v))
    }
}

/// `max(x, 0)` elementwise, as `torch.relu` (NaN stays NaN).
///
/// ```
/// use mlinalg::nn::activation::relu;
/// assert_eq!(relu(&ndarray::array![-1.0, 2.0]), ndarray::array![0.0, 2.0]);
/// ```
pub fn relu<T: Scalar, S: Data<Elem = T>, D: Dimension>(x: &ArrayBase<S, D>) -> Array<T, D> {
    Activation::Relu.apply(x)
}

/// The logistic function `1 / (1 + e^{−x})` elementwise, as `torch.sigmoid`; never overflows.
///
/// ```
/// use mlinalg::nn::activation::sigmoid;
/// let s = sigmoid(&ndarray::array![-1000.0_f32, 0.0, 1000.0]);
/// assert_eq!(s, ndarray::array![0.0, 0.5, 1.0]);
/// ```
pub fn sigmoid<T: Scalar, S: Data<Elem = T>, D: Dimension>(x: &ArrayBase<S, D>) -> Array<T, D> {
    Activation::Sigmoid.apply(x)
}

/// `x · sigmoid(x)` elementwise, as `torch.nn.functional.silu`.
///
/// ```
/// use mlinalg::nn::activation::silu;
/// assert_eq!(silu(&ndarray::array![0.0_f64])[0], 0.0);
/// ```
pub fn silu<T: Scalar, S: Data<Elem = T>, D: Dimension>(x: &ArrayBase<S, D>) -> Array<T, D> {
    Activation::Silu.apply(x)
}

/// GELU elementwise in the given form, as `torch.nn.functional.gelu(x, approximate=...)`.
///
/// ```
/// use mlinalg::nn::activation::{gelu, Gelu};
/// let x = ndarray::array![1.0_f64];
/// let exact = gelu(&x, Gelu::Erf)[0];
/// let approx = gelu(&x, Gelu::Tanh)[0];
/// assert!((exact - approx).abs() < 1e-3);
/// ```
pub fn gelu<T: Scalar, S: Data<Elem = T>, D: Dimension>(
    x: &ArrayBase<S, D>,
    form: Gelu,
) -> Array<T, D> {
    Activation::Gelu(form).apply(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every derivative agrees with a central difference of its function.
    #[test]
    fn derivatives_match_central_differences() {
        let all = [
            Activation::Identity,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Silu,
            Activation::Gelu(Gelu::Erf),
            Activation::Gelu(Gelu::Tanh),
        ];
        let h = 1e-6;
        for act in all {
            for &x in &[-3.0_f64, -0.7, 0.3, 1.1, 4.0] {
                let numeric = (act.scalar(x + h) - act.scalar(x - h)) / (2.0 * h);
                let analytic = act.scalar_derivative(x);
                assert!(
                    (numeric - analytic).abs() < 1e-8,
                    "{act:?} at {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn nan_propagates() {
        let x = ndarray::array![f64::NAN];
        for act in [
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Silu,
            Activation::Gelu(Gelu::Erf),
        ] {
            assert!(act.apply(&x)[0].is_nan(), "{act:?}");
        }
    }
}
