//! Jacobians: numerical ones of any `f: ℝⁿ → ℝᵐ` by central differences, the products `J·v`
//! ([`jvp`]) and `gᵀ·J` ([`vjp`]), and analytic Jacobians of softmax and of elementwise
//! activations. (The Jacobian of a linear layer is its weight: [`Linear::jacobian`].)
//!
//! Backpropagation is a chain of vector-Jacobian products: for `y = f(x)` and a loss with
//! gradient `g = ∂L/∂y`, the gradient with respect to the input is `∂L/∂x = Jᵀg`. For a linear
//! layer `y = Wx` that is `Wᵀg`:
//!
//! ```
//! use mlinalg::nn::jacobian::{numerical_jacobian, vjp};
//! use ndarray::{array, Array1};
//!
//! let w = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let f = |x: &Array1<f64>| Ok(w.dot(x));
//! let x = array![0.5, -1.0, 2.0];
//! let j = numerical_jacobian(f, &x, None)?;
//! assert!(mlinalg::matrix::allclose(&j, &w, 1e-8, 1e-8)?); // the Jacobian of x ↦ Wx is W
//! let g = array![1.0, 1.0];
//! let grad = vjp(f, &x, &g, None)?;
//! assert!(mlinalg::matrix::allclose(&grad, &w.t().dot(&g), 1e-8, 1e-8)?); // Wᵀg
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Accuracy of central differences
//! The default step for coordinate `j` is `∛ε · max(1, |x_j|)` (ε the machine epsilon of `T`),
//! which balances the truncation error `O(h²)` against rounding `O(ε/h)`: about `ε^(2/3)` relative
//! error for smooth `f`, so ~1e-10 in f64 and ~1e-4 in f32. Use f64 when the figures matter.
//!
//! [`Linear::jacobian`]: crate::nn::linear::Linear::jacobian

use ndarray::{Array, Array1, Array2, ArrayBase, Axis, Data, Dimension, Ix1, Zip};

use crate::error::fmt_shape;
use crate::nn::activation::Activation;
use crate::nn::softmax::softmax;
use crate::{Error, Result, Scalar};

fn default_step<T: Scalar>(x: T) -> T {
    T::epsilon().cbrt() * T::one().max(x.abs())
}

fn check_finite_point<T: Scalar>(op: &'static str, x: &Array1<T>) -> Result<()> {
    if x.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::new(
            crate::ErrorKind::NonFinite,
            op,
            "the point holds NaN or infinity",
        )
        .with_shapes([x.shape()]))
    }
}

fn check_step<T: Scalar>(op: &'static str, step: Option<T>) -> Result<()> {
    match step {
        Some(h) if !(h.is_finite() && h > T::zero()) => Err(Error::invalid(
            op,
            format!("step must be finite and > 0, got {}", h.as_f64()),
        )),
        _ => Ok(()),
    }
}

/// `(f(x + h·d) − f(x − h·d)) / 2h`, checking that both outputs have the length `m` (when known).
fn central_difference<T, F>(
    op: &'static str,
    f: &mut F,
    x: &Array1<T>,
    direction: &Array1<T>,
    h: T,
    m: &mut Option<usize>,
) -> Result<Array1<T>>
where
    T: Scalar,
    F: FnMut(&Array1<T>) -> Result<Array1<T>>,
{
    let plus = f(&Zip::from(x)
        .and(direction)
        .map_collect(|&xi, &di| xi + h * di))?;
    let minus = f(&Zip::from(x)
        .and(direction)
        .map_collect(|&xi, &di| xi - h * di))?;
    let expected = *m.get_or_insert(plus.len());
    if plus.len() != expected || minus.len() != expected {
        return Err(Error::shape(
            op,
            format!(
                "f returned outputs of lengths {}, {} and {expected} at different points",
                plus.len(),
                minus.len()
            ),
        ));
    }
    let two_h = h + h;
    Ok(Zip::from(&plus)
        .and(&minus)
        .map_collect(|&p, &q| (p - q) / two_h))
}

/// The Jacobian `J[i, j] = ∂f_i/∂x_j` of `f: ℝⁿ → ℝᵐ` at `x` by central differences (2n
/// evaluations of `f`), shape (m, n). `step = None` chooses `∛ε · max(1, |x_j|)` per coordinate.
///
/// ```
/// use mlinalg::nn::jacobian::numerical_jacobian;
/// use ndarray::{array, Array1};
/// // f(x, y) = (x·y, x²): J = [[y, x], [2x, 0]]
/// let f = |v: &Array1<f64>| Ok(array![v[0] * v[1], v[0] * v[0]]);
/// let j = numerical_jacobian(f, &array![2.0, 3.0], None)?;
/// let expected = array![[3.0, 2.0], [4.0, 0.0]];
/// assert!(mlinalg::matrix::allclose(&j, &expected, 1e-8, 1e-8)?);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// Whatever `f` returns; [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `f` returns outputs of
/// different lengths; [`ErrorKind::NonFinite`](crate::ErrorKind::NonFinite) for a non-finite `x`;
/// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for a step that is not
/// finite and positive.
pub fn numerical_jacobian<T, S, F>(
    mut f: F,
    x: &ArrayBase<S, Ix1>,
    step: Option<T>,
) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    F: FnMut(&Array1<T>) -> Result<Array1<T>>,
{
    const OP: &str = "numerical_jacobian";
    let x = x.to_owned();
    check_finite_point(OP, &x)?;
    check_step(OP, step)?;
    let n = x.len();
    let mut m = None;
    let mut columns = Vec::with_capacity(n);
    for j in 0..n {
        let mut e = Array1::zeros(n);
        e[j] = T::one();
        let h = step.unwrap_or_else(|| default_step(x[j]));
        columns.push(central_difference(OP, &mut f, &x, &e, h, &mut m)?);
    }
    let m = match m {
        Some(m) => m,
        None => f(&x)?.len(), // n = 0: one call tells the output size
    };
    let mut jac = Array2::zeros((m, n));
    for (mut col, c) in jac.axis_iter_mut(Axis(1)).zip(&columns) {
        col.assign(c);
    }
    Ok(jac)
}

/// Jacobian-vector product `J(x)·v` of `f` by one central difference along `v` (2 evaluations):
/// how the output moves when the input moves along `v`.
///
/// ```
/// use mlinalg::nn::jacobian::jvp;
/// use ndarray::{array, Array1};
/// let f = |v: &Array1<f64>| Ok(v.mapv(|t| t * t));
/// let d = jvp(f, &array![1.0, 2.0], &array![1.0, 0.0], None)?;
/// assert!((d[0] - 2.0).abs() < 1e-8 && d[1].abs() < 1e-8);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// As [`numerical_jacobian`]; [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `v` and `x`
/// differ in length.
pub fn jvp<T, S1, S2, F>(
    mut f: F,
    x: &ArrayBase<S1, Ix1>,
    v: &ArrayBase<S2, Ix1>,
    step: Option<T>,
) -> Result<Array1<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    F: FnMut(&Array1<T>) -> Result<Array1<T>>,
{
    const OP: &str = "jvp";
    if v.len() != x.len() {
        return Err(Error::shape(
            OP,
            format!(
                "tangent of shape {} does not match the point of shape {}",
                fmt_shape(v.shape()),
                fmt_shape(x.shape())
            ),
        )
        .with_shapes([x.shape(), v.shape()]));
    }
    let x = x.to_owned();
    check_finite_point(OP, &x)?;
    check_step(OP, step)?;
    let v = v.to_owned();
    let v_norm = v.iter().fold(T::zero(), |acc, &t| acc.max(t.abs()));
    if v_norm == T::zero() {
        return Ok(Array1::zeros(f(&x)?.len()));
    }
    // Scale the step to the size of the direction, so h·v moves x by about the default step.
    let x_scale = x.iter().fold(T::zero(), |acc, &t| acc.max(t.abs()));
    let h = step.unwrap_or_else(|| default_step(x_scale) / v_norm);
    central_difference(OP, &mut f, &x, &v, h, &mut None)
}

/// Vector-Jacobian product `gᵀ·J(x)` of `f` (as a vector of length n): backpropagation of the
/// output gradient `g` to the input. Computed from the numerical Jacobian (2n evaluations).
///
/// # Errors
/// As [`numerical_jacobian`]; [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `g` does not
/// have `f`'s output length.
pub fn vjp<T, S1, S2, F>(
    f: F,
    x: &ArrayBase<S1, Ix1>,
    g: &ArrayBase<S2, Ix1>,
    step: Option<T>,
) -> Result<Array1<T>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    F: FnMut(&Array1<T>) -> Result<Array1<T>>,
{
    let jac = numerical_jacobian(f, x, step)?;
    if g.len() != jac.nrows() {
        return Err(Error::shape(
            "vjp",
            format!(
                "cotangent of shape {} does not match f's output of length {}",
                fmt_shape(g.shape()),
                jac.nrows()
            ),
        )
        .with_shapes([g.shape(), jac.shape()]));
    }
    Ok(jac.t().dot(g))
}

/// The Jacobian of softmax at `x` (a vector): `diag(s) − s·sᵀ` with `s = softmax(x)`. Symmetric,
/// rows sum to zero (shifting all logits changes nothing), singular.
///
/// ```
/// use mlinalg::nn::jacobian::softmax_jacobian;
/// let j = softmax_jacobian(&ndarray::array![0.0_f64, 0.0])?;
/// assert_eq!(j, ndarray::array![[0.25, -0.25], [-0.25, 0.25]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// None in practice; the `Result` is softmax's (a 1-D input always has axis 0).
pub fn softmax_jacobian<T, S>(x: &ArrayBase<S, Ix1>) -> Result<Array2<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    let s = softmax(x, 0)?;
    let n = s.len();
    let mut jac = Array2::from_shape_fn((n, n), |(i, j)| -s[i] * s[j]);
    for (i, &si) in s.iter().enumerate() {
        jac[[i, i]] += si;
    }
    Ok(jac)
}

/// The vector-Jacobian product of softmax along `axis`, without forming the Jacobian:
/// `s ⊙ (g − ⟨g, s⟩)` per lane, with `s = softmax(x)`: the backward pass of softmax (attention).
/// Softmax's Jacobian is symmetric, so this is also its Jacobian-vector product.
///
/// ```
/// use mlinalg::nn::jacobian::{softmax_jacobian, softmax_vjp};
/// use ndarray::array;
/// let x = array![1.0, 2.0, 0.5];
/// let g = array![0.3, -1.0, 2.0];
/// let fast = softmax_vjp(&x, &g, -1)?;
/// let slow = softmax_jacobian(&x)?.t().dot(&g);
/// assert!(mlinalg::matrix::allclose(&fast, &slow, 1e-12, 1e-12)?);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `g` and `x` differ in shape;
/// [`ErrorKind::Axis`](crate::ErrorKind::Axis) for an axis out of range.
pub fn softmax_vjp<T, S1, S2, D>(
    x: &ArrayBase<S1, D>,
    g: &ArrayBase<S2, D>,
    axis: isize,
) -> Result<Array<T, D>>
where
    T: Scalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    if x.shape() != g.shape() {
        return Err(Error::shape(
            "softmax_vjp",
            format!(
                "gradient of shape {} does not match input of shape {}",
                fmt_shape(g.shape()),
                fmt_shape(x.shape())
            ),
        )
        .with_shapes([x.shape(), g.shape()]));
    }
    let ax = crate::error::normalize_axis("softmax_vjp", axis, x.ndim())?;
    let mut out = softmax(x, axis)?;
    Zip::from(out.lanes_mut(Axis(ax)))
        .and(g.lanes(Axis(ax)))
        .for_each(|mut s, g| {
            let dot = s
                .iter()
                .zip(g.iter())
                .fold(T::zero(), |acc, (&si, &gi)| acc + si * gi);
            Zip::from(&mut s)
                .and(&g)
                .for_each(|si, &gi| *si *= gi - dot);
        });
    Ok(out)
}

/// The Jacobian of an elementwise activation at `x`: the diagonal matrix of its derivatives.
///
/// ```
/// use mlinalg::nn::activation::Activation;
/// use mlinalg::nn::jacobian::activation_jacobian;
/// let j = activation_jacobian(Activation::Relu, &ndarray::array![-1.0, 2.0]);
/// assert_eq!(j, ndarray::array![[0.0, 0.0], [0.0, 1.0]]);
/// ```
pub fn activation_jacobian<T, S>(activation: Activation, x: &ArrayBase<S, Ix1>) -> Array2<T>
where
    T: Scalar,
    S: Data<Elem = T>,
{
    Array2::from_diag(&activation.derivative(x))
}
