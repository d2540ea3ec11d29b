//! Multi-head attention: project the input to queries, keys and values, split them into heads,
//! attend in each head with the fused [`scaled_dot_product_attention`], merge the heads and
//! project back, as `torch.nn.MultiheadAttention(d_model, heads, batch_first=True)`.
//!
//! ```
//! use mlinalg::nn::multi_head::MultiHeadAttention;
//! use mlinalg::random::Rng;
//!
//! let mut rng = Rng::seed(0);
//! let mha = MultiHeadAttention::<f32>::init(64, 8, true, &mut rng)?;
//! let x = rng.standard_normal::<f32>(&[2, 10, 64])?.into_dimensionality::<ndarray::Ix3>().unwrap();
//! let y = mha.forward(&x, true)?; // causal self-attention
//! assert_eq!(y.shape(), &[2, 10, 64]);
//! assert_eq!(mha.head_dim(), 8);
//! assert_eq!(mha.num_parameters(), 4 * (64 * 64 + 64));
//! # Ok::<(), mlinalg::Error>(())
//! ```
//!
//! Heads are split by reshaping the projections (B, T, D) → (B, T, H, D/H) and permuting to
//! (B, H, T, D/H) as strided views: the attention kernel reads them in place, so the only copies
//! are the projections themselves and the merge before the output projection.

use ndarray::{Array3, ArrayBase, ArrayView4, Data, Ix3};

use crate::error::fmt_shape;
use crate::nn::attention::{scaled_dot_product_attention, AttentionMask, AttentionOptions};
use crate::nn::linear::Linear;
use crate::random::Rng;
use crate::{Error, Result, Scalar};

/// Multi-head attention with projections `Wq`, `Wk`, `Wv`, `Wo` (each d_model → d_model).
#[derive(Clone, Debug, PartialEq)]
pub struct MultiHeadAttention<T> {
    wq: Linear<T>,
    wk: Linear<T>,
    wv: Linear<T>,
    wo: Linear<T>,
    heads: usize,
}

/// (B, T, D) as (B, H, T, D/H), a strided view without copying.
fn split<'a, T>(x: &'a ndarray::ArrayD<T>, heads: usize) -> Result<ArrayView4<'a, T>> {
    let shape = x.shape();
    let (b, t, d) = (shape[0], shape[1], shape[2]);
    let v = x
        .view()
        .into_shape_with_order((b, t, heads, d / heads))
        .map_err(|e| {
            Error::shape(
                "MultiHeadAttention",
                format!("cannot split {} into {heads} heads: {e}", fmt_shape(shape)),
            )
        })?;
    Ok(v.permuted_axes([0, 2, 1, 3]))
}

impl<T: Scalar> MultiHeadAttention<T> {
    /// Attention with the given projections and number of heads.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the projections are not all
    /// d_model → d_model; [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when
    /// `heads` is 0 or does not divide d_model.
    pub fn new(
        wq: Linear<T>,
        wk: Linear<T>,
        wv: Linear<T>,
        wo: Linear<T>,
        heads: usize,
    ) -> Result<Self> {
        const OP: &str = "MultiHeadAttention::new";
        let d = wq.in_features();
        for (name, w) in [("Wq", &wq), ("Wk", &wk), ("Wv", &wv), ("Wo", &wo)] {
            if w.in_features() != d || w.out_features() != d {
                return Err(Error::shape(
                    OP,
                    format!(
                        "{name} has weight {}; every projection must be ({d}, {d})",
                        fmt_shape(w.weight().shape())
                    ),
                )
                .with_shapes([w.weight().shape()]));
            }
        }
        if heads == 0 || !d.is_multiple_of(heads) {
            return Err(Error::invalid(
                OP,
                format!("{heads} heads do not divide d_model = {d}"),
            ));
        }
        Ok(MultiHeadAttention {
            wq,
            wk,
            wv,
            wo,
            heads,
        })
    }

    /// Attention for `d_model` features and `heads` heads, projections initialised as
    /// `torch.nn.Linear` from `rng`.
    ///
    /// # Errors
    /// As [`MultiHeadAttention::new`] and [`Linear::init`].
    pub fn init(d_model: usize, heads: usize, bias: bool, rng: &mut Rng) -> Result<Self> {
        let wq = Linear::init(d_model, d_model, bias, rng)?;
        let wk = Linear::init(d_model, d_model, bias, rng)?;
        let wv = Linear::init(d_model, d_model, bias, rng)?;
        let wo = Linear::init(d_model, d_model, bias, rng)?;
        MultiHeadAttention::new(wq, wk, wv, wo, heads)
    }

    /// The number of heads.
    pub fn heads(&self) -> usize {
        self.heads
    }

    /// The model dimension.
    pub fn d_model(&self) -> usize {
        self.wq.in_features()
    }

    /// Features per head: d_model / heads.
    pub fn head_dim(&self) -> usize {
        self.d_model() / self.heads
    }

    /// The projections `(Wq, Wk, Wv, Wo)`.
    pub fn projections(&self) -> (&Linear<T>, &Linear<T>, &Linear<T>, &Linear<T>) {
        (&self.wq, &self.wk, &self.wv, &self.wo)
    }

    /// Parameters of the four projections.
    pub fn num_parameters(&self) -> usize {
        [&self.wq, &self.wk, &self.wv, &self.wo]
            .iter()
            .map(|l| l.num_parameters())
            .sum()
    }

    /// Self-attention on `x` of shape (B, T, d_model), causal (each position attends only to
    /// itself and earlier ones) or not.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the last dimension is not d_model.
    pub fn forward<S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix3>,
        causal: bool,
    ) -> Result<Array3<T>> {
        self.attend(x, x, x, None, causal)
    }

    /// Attention of `query` (B, L, d_model) over `key` and `value` (B, S, d_model) (cross-attention
    /// when they differ), with an optional mask broadcasting to (B, H, L, S) as in
    /// [`scaled_dot_product_attention`] (boolean: true = may attend; or additive).
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the feature dimensions are not d_model
    /// or the batch and sequence sizes do not fit; as [`scaled_dot_product_attention`] for the mask.
    pub fn attend<S1, S2, S3>(
        &self,
        query: &ArrayBase<S1, Ix3>,
        key: &ArrayBase<S2, Ix3>,
        value: &ArrayBase<S3, Ix3>,
        mask: Option<AttentionMask<'_, T>>,
        causal: bool,
    ) -> Result<Array3<T>>
    where
        S1: Data<Elem = T>,
        S2: Data<Elem = T>,
        S3: Data<Elem = T>,
    {
        const OP: &str = "MultiHeadAttention::forward";
        if key.shape() != value.shape() || query.dim().0 != key.dim().0 {
            return Err(Error::shape(
                OP,
                format!(
                    "query {}, key {} and value {} must share the batch size, and key and value their shape",
                    fmt_shape(query.shape()),
                    fmt_shape(key.shape()),
                    fmt_shape(value.shape())
                ),
            )
            .with_shapes([query.shape(), key.shape(), value.shape()]));
        }
        let q = self.wq.forward(query)?;
        let k = self.wk.forward(key)?;
        let v = self.wv.forward(value)?;
        let options = AttentionOptions::new().mask(mask).causal(causal);
        let heads = scaled_dot_product_attention(
            &split(&q, self.heads)?,
            &split(&k, self.heads)?,
            &split(&v, self.heads)?,
            &options,
        )?;
        // (B, H, L, Dh) → (B, L, H, Dh) → (B, L, D): the output projection reads the permuted
        // view (one copy into row-major order inside Linear::forward).
        let (b, l) = (query.dim().0, query.dim().1);
        let merged = heads.permuted_axes(vec![0, 2, 1, 3]);
        let merged = merged
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((b, l, self.d_model()))
            .map_err(|e| Error::shape(OP, format!("cannot merge the heads: {e}")))?;
        let out = self.wo.forward(&merged)?;
        out.into_dimensionality::<Ix3>()
            .map_err(|e| Error::shape(OP, format!("unexpected output rank: {e}")))
    }
}
