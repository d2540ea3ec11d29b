//! Linear layers: [`Linear`] (`torch.nn.Linear`: `y = x·Wᵀ + b` with `W` of shape (out, in),
//! over any leading batch dimensions) and the transformer's position-wise [`FeedForward`] block
//! `W₂·act(W₁x + b₁) + b₂`.
//!
//! ```
//! use mlinalg::nn::linear::Linear;
//! use mlinalg::random::Rng;
//!
//! // A (4, 768) batch through a 768 → 3072 layer, as BERT's first feed-forward matrix.
//! let mut rng = Rng::seed(0);
//! let layer = Linear::<f32>::init(768, 3072, true, &mut rng)?;
//! let x = rng.standard_normal::<f32>(&[4, 768])?;
//! assert_eq!(layer.forward(&x)?.shape(), &[4, 3072]);
//! assert_eq!(layer.num_parameters(), 768 * 3072 + 3072);
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! ## Backpropagation's `Wᵀ`
//! The Jacobian of `x ↦ Wx + b` is `W` itself ([`Linear::jacobian`]); the gradient of a loss with
//! respect to the input, given its gradient `g` with respect to the output, is `Wᵀg`
//! ([`Linear::vjp`]), and a tangent `v` of the input maps to `Wv` ([`Linear::jvp`]).

use ndarray::{Array1, Array2, ArrayBase, ArrayD, ArrayView2, Data, Dimension, IxDyn};

use crate::error::fmt_shape;
use crate::matrix::matmul_into;
use crate::nn::activation::Activation;
use crate::random::Rng;
use crate::{Error, Result, Scalar};

/// `x (…, k) · b (k, m)` → (…, m): the batch flattened into one GEMM.
pub(crate) fn right_mul<T, S, D>(
    op: &'static str,
    x: &ArrayBase<S, D>,
    b: ArrayView2<'_, T>,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    batched_right_mul(op, x, b, None)
}

/// `x (…, k)` as a (rows, k) matrix (a view when `x` is in standard layout, else a copy), its
/// leading shape, and then `out (…, m) = x · b` with `out` initialised to `init` per row.
fn batched_right_mul<T, S, D>(
    op: &'static str,
    x: &ArrayBase<S, D>,
    b: ArrayView2<'_, T>,
    row_init: Option<&Array1<T>>,
) -> Result<ArrayD<T>>
where
    T: Scalar,
    S: Data<Elem = T>,
    D: Dimension,
{
    let k = b.nrows();
    let Some((&last, lead)) = x.shape().split_last() else {
        return Err(Error::shape(
            op,
            format!("input of shape () has no feature dimension of size {k}"),
        )
        .with_shapes([x.shape(), b.shape()]));
    };
    if last != k {
        return Err(Error::shape(
            op,
            format!(
                "input of shape {} does not end in the layer's {k} input features",
                fmt_shape(x.shape())
            ),
        )
        .with_shapes([x.shape(), b.shape()]));
    }
    let rows: usize = lead.iter().product();
    let x = x.as_standard_layout();
    let x2 = x
        .view()
        .into_shape_with_order((rows, k))
        .map_err(|e| Error::shape(op, format!("cannot view the input as ({rows}, {k}): {e}")))?;
    let m = b.ncols();
    let mut out = match row_init {
        Some(init) => {
            let mut out = crate::alloc::zeros((rows, m));
            out.rows_mut()
                .into_iter()
                .for_each(|mut row| row.assign(init));
            out
        }
        None => crate::alloc::zeros((rows, m)),
    };
    matmul_into(x2, b, out.view_mut(), row_init.is_some())?;
    let mut shape = lead.to_vec();
    shape.push(m);
    out.into_shape_with_order(IxDyn(&shape)).map_err(|e| {
        Error::shape(
            op,
            format!("cannot shape the output as {}: {e}", fmt_shape(&shape)),
        )
    })
}

/// A fully connected layer `y = x·Wᵀ + b`, as `torch.nn.Linear`: `weight` has shape
/// (out_features, in_features), the optional `bias` has out_features entries, and the input may
/// have any number of leading batch dimensions: (…, in) → (…, out).
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<T> {
    weight: Array2<T>,
    bias: Option<Array1<T>>,
}

impl<T: Scalar> Linear<T> {
    /// A layer with the given parameters.
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use ndarray::array;
    /// let layer = Linear::new(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], Some(array![0.0, 0.0, 1.0]))?;
    /// assert_eq!((layer.in_features(), layer.out_features()), (2, 3));
    /// assert_eq!(layer.forward(&array![1.0, 1.0])?.into_raw_vec_and_offset().0, vec![3.0, 7.0, 12.0]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the bias length is not the weight's
    /// number of rows.
    pub fn new(weight: Array2<T>, bias: Option<Array1<T>>) -> Result<Self> {
        if let Some(b) = &bias {
            if b.len() != weight.nrows() {
                return Err(Error::shape(
                    "Linear::new",
                    format!(
                        "bias of shape {} does not match weight of shape {} (out_features = {})",
                        fmt_shape(b.shape()),
                        fmt_shape(weight.shape()),
                        weight.nrows()
                    ),
                )
                .with_shapes([weight.shape(), b.shape()]));
            }
        }
        Ok(Linear { weight, bias })
    }

    /// A layer initialised as `torch.nn.Linear` does: weight and bias uniform on
    /// `[−1/√in, 1/√in]` (Kaiming-uniform with `a = √5`), drawn from `rng`.
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use mlinalg::random::Rng;
    /// let layer = Linear::<f64>::init(100, 10, false, &mut Rng::seed(1))?;
    /// assert!(layer.weight().iter().all(|w| w.abs() <= 0.1));
    /// assert!(layer.bias().is_none());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `in_features` is 0
    /// (the bound would be infinite) or the shape is too large to allocate.
    pub fn init(
        in_features: usize,
        out_features: usize,
        bias: bool,
        rng: &mut Rng,
    ) -> Result<Self> {
        if in_features == 0 {
            return Err(Error::invalid(
                "Linear::init",
                "in_features must be at least 1",
            ));
        }
        let bound = T::one() / T::cast_usize(in_features).sqrt();
        let weight = rng
            .uniform::<T>(&[out_features, in_features], -bound, bound)?
            .into_dimensionality()
            .map_err(|e| Error::invalid("Linear::init", e.to_string()))?;
        let bias = if bias {
            Some(
                rng.uniform::<T>(&[out_features], -bound, bound)?
                    .into_dimensionality()
                    .map_err(|e| Error::invalid("Linear::init", e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Linear { weight, bias })
    }

    /// Number of input features (the weight's columns).
    pub fn in_features(&self) -> usize {
        self.weight.ncols()
    }

    /// Number of output features (the weight's rows).
    pub fn out_features(&self) -> usize {
        self.weight.nrows()
    }

    /// The weight, shape (out_features, in_features).
    pub fn weight(&self) -> &Array2<T> {
        &self.weight
    }

    /// The weight, mutable (its shape cannot change).
    pub fn weight_mut(&mut self) -> ndarray::ArrayViewMut2<'_, T> {
        self.weight.view_mut()
    }

    /// The bias, if the layer has one.
    pub fn bias(&self) -> Option<&Array1<T>> {
        self.bias.as_ref()
    }

    /// Number of trainable parameters: `out·in` (+ `out` with a bias).
    pub fn num_parameters(&self) -> usize {
        self.weight.len() + self.bias.as_ref().map_or(0, |b| b.len())
    }

    /// `x·Wᵀ + b` for `x` of shape (…, in_features); the result has shape (…, out_features).
    /// One GEMM on the flattened batch with the bias as its initial value (as `torch.addmm`).
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use ndarray::{array, Array3};
    /// let layer = Linear::new(array![[1.0, 0.0], [0.0, 2.0]], None)?;
    /// let x = Array3::<f64>::ones((2, 5, 2));
    /// let y = layer.forward(&x)?;
    /// assert_eq!(y.shape(), &[2, 5, 2]);
    /// assert_eq!(y[[1, 4, 1]], 2.0);
    /// assert!(layer.forward(&Array3::<f64>::ones((2, 5, 3))).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the last dimension of `x` is not
    /// `in_features` (or `x` is 0-d).
    pub fn forward<S, D>(&self, x: &ArrayBase<S, D>) -> Result<ArrayD<T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        batched_right_mul("Linear::forward", x, self.weight.t(), self.bias.as_ref())
    }

    /// The Jacobian of the layer with respect to its input: the weight `W` (the map is affine).
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use ndarray::array;
    /// let layer = Linear::new(array![[1.0, 2.0], [3.0, 4.0]], Some(array![5.0, 6.0]))?;
    /// assert_eq!(layer.jacobian(), layer.weight().view());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn jacobian(&self) -> ArrayView2<'_, T> {
        self.weight.view()
    }

    /// Vector-Jacobian product, backpropagation through the layer: given `g = ∂L/∂y` of shape
    /// (…, out_features), returns `∂L/∂x = g·W` (`Wᵀg` per row) of shape (…, in_features).
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use ndarray::array;
    /// let layer = Linear::new(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], None)?;
    /// let grad_x = layer.vjp(&array![1.0, 0.0])?;
    /// assert_eq!(grad_x.into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0]); // the first row of W
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the last dimension of `g` is not
    /// `out_features`.
    pub fn vjp<S, D>(&self, g: &ArrayBase<S, D>) -> Result<ArrayD<T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        right_mul("Linear::vjp", g, self.weight.view())
    }

    /// Jacobian-vector product: the change `W·v` of the output for a change `v` of the input
    /// (shape (…, in_features) → (…, out_features); the bias does not enter).
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use ndarray::array;
    /// let layer = Linear::new(array![[1.0, 2.0], [3.0, 4.0]], Some(array![100.0, 100.0]))?;
    /// assert_eq!(layer.jvp(&array![1.0, 0.0])?.into_raw_vec_and_offset().0, vec![1.0, 3.0]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Linear::forward`].
    pub fn jvp<S, D>(&self, v: &ArrayBase<S, D>) -> Result<ArrayD<T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        right_mul("Linear::jvp", v, self.weight.t())
    }

    /// Adds `delta` (shape (out, in)) to the weight: how an adapter is merged.
    pub(crate) fn add_to_weight(&mut self, delta: &Array2<T>, sign: T) {
        self.weight.zip_mut_with(delta, |w, &d| *w += sign * d);
    }
}

/// The position-wise feed-forward block of a transformer: `down(act(up(x)))`, i.e.
/// `W₂·act(W₁x + b₁) + b₂`, typically d_model → 4·d_model → d_model with GELU.
///
/// ```
/// use mlinalg::nn::activation::{Activation, Gelu};
/// use mlinalg::nn::linear::FeedForward;
/// use mlinalg::random::Rng;
///
/// let ffn = FeedForward::<f32>::init(64, 256, Activation::Gelu(Gelu::Erf), &mut Rng::seed(0))?;
/// let x = Rng::seed(1).standard_normal::<f32>(&[2, 10, 64])?;
/// assert_eq!(ffn.forward(&x)?.shape(), &[2, 10, 64]);
/// assert_eq!(ffn.num_parameters(), 64 * 256 + 256 + 256 * 64 + 64);
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FeedForward<T> {
    up: Linear<T>,
    down: Linear<T>,
    activation: Activation,
}

impl<T: Scalar> FeedForward<T> {
    /// A block from its two layers.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `up`'s outputs are not `down`'s inputs.
    pub fn new(up: Linear<T>, down: Linear<T>, activation: Activation) -> Result<Self> {
        if up.out_features() != down.in_features() {
            return Err(Error::shape(
                "FeedForward::new",
                format!(
                    "up projection {} → {} does not feed down projection {} → {}",
                    up.in_features(),
                    up.out_features(),
                    down.in_features(),
                    down.out_features()
                ),
            )
            .with_shapes([up.weight.shape(), down.weight.shape()]));
        }
        Ok(FeedForward {
            up,
            down,
            activation,
        })
    }

    /// A block d_model → d_hidden → d_model with biases, initialised as `torch.nn.Linear`.
    ///
    /// # Errors
    /// As [`Linear::init`].
    pub fn init(
        d_model: usize,
        d_hidden: usize,
        activation: Activation,
        rng: &mut Rng,
    ) -> Result<Self> {
        let up = Linear::init(d_model, d_hidden, true, rng)?;
        let down = Linear::init(d_hidden, d_model, true, rng)?;
        Ok(FeedForward {
            up,
            down,
            activation,
        })
    }

    /// The first (expanding) layer.
    pub fn up(&self) -> &Linear<T> {
        &self.up
    }

    /// The second (projecting) layer.
    pub fn down(&self) -> &Linear<T> {
        &self.down
    }

    /// The activation between the layers.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Parameters of both layers.
    pub fn num_parameters(&self) -> usize {
        self.up.num_parameters() + self.down.num_parameters()
    }

    /// `down(act(up(x)))` for `x` of shape (…, d_model).
    ///
    /// # Errors
    /// As [`Linear::forward`].
    pub fn forward<S, D>(&self, x: &ArrayBase<S, D>) -> Result<ArrayD<T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let mut hidden = self.up.forward(x)?;
        self.activation.apply_inplace(&mut hidden);
        self.down.forward(&hidden)
    }
}

/// Collapses a stack of linear layers without activations into one: `L_k ∘ … ∘ L_1` is the
/// single layer with weight `W_k ⋯ W_1` and bias `W_k(⋯(W_2 b_1 + b_2)⋯) + b_k`. Without a
/// nonlinearity between them, depth adds no expressive power.
///
/// ```
/// use mlinalg::nn::linear::{compose, Linear};
/// use mlinalg::random::Rng;
/// let mut rng = Rng::seed(0);
/// let l1 = Linear::<f64>::init(8, 16, true, &mut rng)?;
/// let l2 = Linear::<f64>::init(16, 4, true, &mut rng)?;
/// let one = compose(&[l1.clone(), l2.clone()])?;
/// let x = rng.standard_normal::<f64>(&[3, 8])?;
/// let two_steps = l2.forward(&l1.forward(&x)?)?;
/// assert!(mlinalg::matrix::allclose(&one.forward(&x)?, &two_steps, 1e-12, 1e-12)?);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Empty`](crate::ErrorKind::Empty) for no layers;
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when consecutive layers do not fit.
pub fn compose<T: Scalar>(layers: &[Linear<T>]) -> Result<Linear<T>> {
    let Some((first, rest)) = layers.split_first() else {
        return Err(Error::new(
            crate::ErrorKind::Empty,
            "compose",
            "no layers to compose",
        ));
    };
    let mut acc = first.clone();
    for next in rest {
        if next.in_features() != acc.out_features() {
            return Err(Error::shape(
                "compose",
                format!(
                    "a layer with {} outputs cannot feed a layer with {} inputs",
                    acc.out_features(),
                    next.in_features()
                ),
            )
            .with_shapes([acc.weight.shape(), next.weight.shape()]));
        }
        let weight = crate::matrix::mm(&next.weight, &acc.weight)?;
        let bias = match (&acc.bias, &next.bias) {
            (None, None) => None,
            (b1, b2) => {
                let mut b = match b1 {
                    Some(b1) => next.weight.dot(b1),
                    None => Array1::zeros(next.out_features()),
                };
                if let Some(b2) = b2 {
                    b += b2;
                }
                Some(b)
            }
        };
        acc = Linear { weight, bias };
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Axis;

    #[test]
    fn strided_input_and_vjp_is_transpose() {
        let mut rng = Rng::seed(3);
        let layer = Linear::<f64>::init(5, 7, true, &mut rng).unwrap();
        let x = rng.normal_matrix::<f64>(5, 4).unwrap();
        let xt = x.t(); // (4, 5), not contiguous
        let y = layer.forward(&xt).unwrap();
        for (i, row) in xt.axis_iter(Axis(0)).enumerate() {
            let expect = layer.weight().dot(&row) + layer.bias().unwrap();
            for (a, b) in y.index_axis(Axis(0), i).iter().zip(expect.iter()) {
                assert!((a - b).abs() < 1e-12);
            }
        }
        let g: Array1<f64> = rng
            .standard_normal::<f64>(&[7])
            .unwrap()
            .into_dimensionality()
            .unwrap();
        let vjp = layer.vjp(&g).unwrap();
        let expect = layer.weight().t().dot(&g);
        for (a, b) in vjp.iter().zip(expect.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn empty_batches_and_bad_shapes() {
        let layer = Linear::<f32>::init(3, 2, true, &mut Rng::seed(0)).unwrap();
        let y = layer
            .forward(&ndarray::Array2::<f32>::zeros((0, 3)))
            .unwrap();
        assert_eq!(y.shape(), &[0, 2]);
        let err = layer.forward(&ndarray::arr0(1.0_f32)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Shape);
        let err = layer
            .forward(&ndarray::Array2::<f32>::zeros((4, 5)))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Linear::forward: input of shape (4, 5) does not end in the layer's 3 input features"
        );
        assert!(Linear::new(
            ndarray::Array2::<f32>::zeros((2, 3)),
            Some(ndarray::Array1::zeros(3))
        )
        .is_err());
    }
}
