//! LoRA, low-rank adaptation: a frozen [`Linear`] layer plus a trainable rank-r update
//! `ΔW = (α/r)·B·A`, as Hugging Face PEFT's `LoraLayer`.
//!
//! With `W` of shape (out, in), `A` has shape (r, in) and `B` (out, r); the forward pass is
//! `y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ`, in the notation of the paper `h = W₀x + (α/r)·BAx`.
//! `A` starts random and `B` at zero (PEFT's initialisation), so a fresh adapter is a no-op and
//! training starts from the pretrained model. [`LoraLinear::merge`] folds `ΔW` into `W` for
//! inference at the base layer's cost; [`LoraLinear::unmerge`] takes it out again.
//!
//! ```
//! use mlinalg::nn::linear::Linear;
//! use mlinalg::nn::lora::{LoraBudget, LoraLinear};
//! use mlinalg::random::Rng;
//!
//! let mut rng = Rng::seed(0);
//! let base = Linear::<f32>::init(64, 64, true, &mut rng)?;
//! let adapted = LoraLinear::new(base.clone(), 8, 16.0, &mut rng)?;
//! let x = rng.standard_normal::<f32>(&[3, 64])?;
//! assert_eq!(adapted.forward(&x)?, base.forward(&x)?); // B = 0: the adapter starts as a no-op
//!
//! // The savings of the issue's example: a 4096×4096 projection with r = 8.
//! let budget = LoraBudget::new(4096, 4096, 8);
//! assert_eq!(budget.adapter_parameters, 65_536);
//! assert_eq!(budget.full_parameters, 16_777_216);
//! assert_eq!(budget.reduction(), 256.0);
//! assert_eq!(budget.full_bytes::<f32>(), 67_108_864); // 67 MB of f32 per full update
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{Array2, ArrayBase, ArrayD, Data, Dimension};

use crate::error::fmt_shape;
use crate::matrix::{matmul_into, mm};
use crate::nn::linear::Linear;
use crate::random::Rng;
use crate::{Error, Result, Scalar};

/// Parameter counts of a full (out × in) weight update against a rank-r LoRA adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoraBudget {
    /// Parameters of the full weight: `out · in`.
    pub full_parameters: usize,
    /// Parameters of the adapter: `r · (in + out)`.
    pub adapter_parameters: usize,
}

impl LoraBudget {
    /// The counts for a layer with `in_features` inputs, `out_features` outputs and rank `rank`.
    pub fn new(in_features: usize, out_features: usize, rank: usize) -> Self {
        LoraBudget {
            full_parameters: in_features.saturating_mul(out_features),
            adapter_parameters: rank.saturating_mul(in_features.saturating_add(out_features)),
        }
    }

    /// How many times fewer parameters the adapter has (`full / adapter`; infinite for rank 0).
    pub fn reduction(&self) -> f64 {
        self.full_parameters as f64 / self.adapter_parameters as f64
    }

    /// Bytes of the full update in element type `T` (4 per parameter for f32).
    pub fn full_bytes<T>(&self) -> usize {
        self.full_parameters
            .saturating_mul(std::mem::size_of::<T>())
    }

    /// Bytes of the adapter in element type `T`.
    pub fn adapter_bytes<T>(&self) -> usize {
        self.adapter_parameters
            .saturating_mul(std::mem::size_of::<T>())
    }
}

/// A [`Linear`] layer with a LoRA adapter of rank `r` and scaling `α/r` (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct LoraLinear<T> {
    base: Linear<T>,
    /// (r, in): the down projection.
    a: Array2<T>,
    /// (out, r): the up projection.
    b: Array2<T>,
    alpha: T,
    merged: bool,
}

fn check_rank_alpha<T: Scalar>(op: &'static str, rank: usize, alpha: T) -> Result<()> {
    if rank == 0 {
        return Err(Error::invalid(op, "rank must be at least 1"));
    }
    if !alpha.is_finite() {
        return Err(Error::invalid(
            op,
            format!("alpha must be finite, got {}", alpha.as_f64()),
        ));
    }
    Ok(())
}

impl<T: Scalar> LoraLinear<T> {
    /// An adapter on `base` initialised as PEFT does: `A` uniform on `[−1/√in, 1/√in]`
    /// (Kaiming-uniform with `a = √5`, drawn from `rng`), `B` zero.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for rank 0, a non-finite
    /// `alpha` or a base layer without inputs.
    pub fn new(base: Linear<T>, rank: usize, alpha: T, rng: &mut Rng) -> Result<Self> {
        const OP: &str = "LoraLinear::new";
        check_rank_alpha(OP, rank, alpha)?;
        let fan_in = base.in_features();
        if fan_in == 0 {
            return Err(Error::invalid(OP, "the base layer has no inputs"));
        }
        let bound = T::one() / T::cast_usize(fan_in).sqrt();
        let a = rng
            .uniform::<T>(&[rank, fan_in], -bound, bound)?
            .into_dimensionality()
            .map_err(|e| Error::invalid(OP, e.to_string()))?;
        let b = Array2::zeros((base.out_features(), rank));
        Ok(LoraLinear {
            base,
            a,
            b,
            alpha,
            merged: false,
        })
    }

    /// An adapter from given factors: `a` of shape (r, in), `b` of shape (out, r).
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use mlinalg::nn::lora::LoraLinear;
    /// use ndarray::array;
    /// let base = Linear::new(array![[1.0, 0.0], [0.0, 1.0]], None)?;
    /// let lora = LoraLinear::from_factors(base, array![[1.0, 1.0]], array![[1.0], [0.0]], 2.0)?;
    /// assert_eq!(lora.delta_weight()?, array![[2.0, 2.0], [0.0, 0.0]]); // (α/r)·B·A with r = 1
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the factors do not fit the base layer
    /// or each other; as [`LoraLinear::new`] for the rank and `alpha`.
    pub fn from_factors(base: Linear<T>, a: Array2<T>, b: Array2<T>, alpha: T) -> Result<Self> {
        const OP: &str = "LoraLinear::from_factors";
        let rank = a.nrows();
        if a.ncols() != base.in_features() || b.nrows() != base.out_features() || b.ncols() != rank
        {
            return Err(Error::shape(
                OP,
                format!(
                    "factors A {} and B {} do not fit a layer of weight {}: expected A (r, {}) and B ({}, r)",
                    fmt_shape(a.shape()),
                    fmt_shape(b.shape()),
                    fmt_shape(base.weight().shape()),
                    base.in_features(),
                    base.out_features()
                ),
            )
            .with_shapes([a.shape(), b.shape(), base.weight().shape()]));
        }
        check_rank_alpha(OP, rank, alpha)?;
        Ok(LoraLinear {
            base,
            a,
            b,
            alpha,
            merged: false,
        })
    }

    /// The base layer (its weight includes `ΔW` while merged).
    pub fn base(&self) -> &Linear<T> {
        &self.base
    }

    /// The down projection `A`, shape (r, in).
    pub fn a(&self) -> &Array2<T> {
        &self.a
    }

    /// The up projection `B`, shape (out, r).
    pub fn b(&self) -> &Array2<T> {
        &self.b
    }

    /// `B`, mutable, to set trained values (shape fixed).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) while merged: changing
    /// a factor then would make [`LoraLinear::unmerge`] subtract a different update.
    pub fn b_mut(&mut self) -> Result<ndarray::ArrayViewMut2<'_, T>> {
        if self.merged {
            return Err(Error::invalid(
                "LoraLinear::b_mut",
                "unmerge before changing the factors",
            ));
        }
        Ok(self.b.view_mut())
    }

    /// `A`, mutable, to set trained values (shape fixed).
    ///
    /// # Errors
    /// As [`LoraLinear::b_mut`].
    pub fn a_mut(&mut self) -> Result<ndarray::ArrayViewMut2<'_, T>> {
        if self.merged {
            return Err(Error::invalid(
                "LoraLinear::a_mut",
                "unmerge before changing the factors",
            ));
        }
        Ok(self.a.view_mut())
    }

    /// The rank r.
    pub fn rank(&self) -> usize {
        self.a.nrows()
    }

    /// α.
    pub fn alpha(&self) -> T {
        self.alpha
    }

    /// The scaling `α / r` applied to the adapter's output.
    pub fn scaling(&self) -> T {
        self.alpha / T::cast_usize(self.rank())
    }

    /// Whether `ΔW` is currently folded into the base weight.
    pub fn is_merged(&self) -> bool {
        self.merged
    }

    /// The update `ΔW = (α/r)·B·A`, shape (out, in).
    ///
    /// # Errors
    /// Only if the factors' shapes were broken, which the constructors prevent.
    pub fn delta_weight(&self) -> Result<Array2<T>> {
        let mut delta = mm(&self.b, &self.a)?;
        let s = self.scaling();
        delta.mapv_inplace(|v| v * s);
        Ok(delta)
    }

    /// Trainable parameters: `r · (in + out)`.
    pub fn num_trainable_parameters(&self) -> usize {
        self.a.len() + self.b.len()
    }

    /// The counts of this layer's shape and rank (see [`LoraBudget`]).
    pub fn budget(&self) -> LoraBudget {
        LoraBudget::new(
            self.base.in_features(),
            self.base.out_features(),
            self.rank(),
        )
    }

    /// `x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ` for `x` of shape (…, in); after [`LoraLinear::merge`], one
    /// GEMM with the merged weight.
    ///
    /// ```
    /// use mlinalg::nn::linear::Linear;
    /// use mlinalg::nn::lora::LoraLinear;
    /// use mlinalg::random::Rng;
    /// let mut rng = Rng::seed(2);
    /// let mut lora = LoraLinear::<f64>::new(Linear::init(16, 8, true, &mut rng)?, 4, 8.0, &mut rng)?;
    /// lora.b_mut()?.fill(0.1); // as if trained
    /// let x = rng.standard_normal::<f64>(&[5, 16])?;
    /// let unmerged = lora.forward(&x)?;
    /// lora.merge()?;
    /// assert!(mlinalg::matrix::allclose(&lora.forward(&x)?, &unmerged, 1e-12, 1e-12)?);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the last dimension of `x` is not
    /// `in_features`.
    pub fn forward<S, D>(&self, x: &ArrayBase<S, D>) -> Result<ArrayD<T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let mut y = self.base.forward(x)?;
        if self.merged {
            return Ok(y);
        }
        let mut h = crate::nn::linear::right_mul("LoraLinear::forward", x, self.a.t())?;
        let s = self.scaling();
        h.mapv_inplace(|v| v * s);
        let rows = h.len() / self.rank();
        let h2 = h
            .view()
            .into_shape_with_order((rows, self.rank()))
            .map_err(|e| Error::shape("LoraLinear::forward", e.to_string()))?;
        let out = self.base.out_features();
        let y2 = y
            .view_mut()
            .into_shape_with_order((rows, out))
            .map_err(|e| Error::shape("LoraLinear::forward", e.to_string()))?;
        matmul_into(h2, self.b.t(), y2, true)?;
        Ok(y)
    }

    /// Folds `ΔW` into the base weight (`W ← W + (α/r)·B·A`); a no-op when already merged.
    ///
    /// # Errors
    /// As [`LoraLinear::delta_weight`].
    pub fn merge(&mut self) -> Result<()> {
        if !self.merged {
            let delta = self.delta_weight()?;
            self.base.add_to_weight(&delta, T::one());
            self.merged = true;
        }
        Ok(())
    }

    /// Takes `ΔW` out of the base weight again (`W ← W − (α/r)·B·A`); a no-op when not merged.
    /// The base weight comes back up to rounding (one addition and one subtraction per entry).
    ///
    /// # Errors
    /// As [`LoraLinear::delta_weight`].
    pub fn unmerge(&mut self) -> Result<()> {
        if self.merged {
            let delta = self.delta_weight()?;
            self.base.add_to_weight(&delta, -T::one());
            self.merged = false;
        }
        Ok(())
    }

    /// The base layer with `ΔW` merged, consuming the adapter (PEFT's `merge_and_unload`).
    ///
    /// # Errors
    /// As [`LoraLinear::delta_weight`].
    pub fn merge_and_unload(mut self) -> Result<Linear<T>> {
        self.merge()?;
        Ok(self.base)
    }
}
