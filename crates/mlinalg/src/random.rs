//! Seeded random arrays: normal, uniform and integer, reproducible from a `u64` seed.
//!
//! [`Rng`] wraps a ChaCha8 generator (`rand_chacha`), whose output stream is fixed by its
//! specification: the same seed gives the same numbers on every platform, word size and
//! endianness, and from one release of mlinalg to the next (a change would be a breaking
//! change, and the tests pin the first values). Arrays are filled in row-major order.
//!
//! Normal samples are drawn as `f64` (`rand_distr`'s ziggurat) and then rounded to `T`, so for
//! one seed the `f32` array is the `f64` array rounded. The ziggurat calls `exp`/`ln` only in
//! its rare rejection and tail steps (about 1 draw in 100); the platform's math library could
//! in principle make one of those borderline comparisons differently, which is the only way
//! two platforms could differ.
//!
//! The streams are not NumPy's (`np.random.default_rng` uses PCG64 and other algorithms):
//! equal seeds do not give equal numbers across the two libraries.
//!
//! ```
//! use mlinalg::random::Rng;
//!
//! let mut rng = Rng::seed(42);
//! let w = rng.normal::<f32>(&[768, 64], 0.0, 0.02)?; // a weight matrix, as GPT-2 initialises
//! let u = rng.uniform::<f64>(&[3], -1.0, 1.0)?;
//! let ids = rng.integers(&[2, 8], 0, 50_257)?; // token ids
//! assert_eq!(w.shape(), &[768, 64]);
//! assert!(u.iter().all(|&x| (-1.0..1.0).contains(&x)));
//! assert!(ids.iter().all(|&t| (0..50_257).contains(&t)));
//!
//! // Same seed, same numbers.
//! assert_eq!(Rng::seed(7).standard_normal::<f64>(&[4])?, Rng::seed(7).standard_normal::<f64>(&[4])?);
//! # Ok::<(), mlinalg::Error>(())
//! ```

use ndarray::{Array2, ArrayD, IxDyn};
use rand::distr::{Distribution, StandardUniform, Uniform};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::alloc;
use crate::error::{fmt_shape, Error, Result};
use crate::Scalar;

/// A seeded random number generator that fills arrays (ChaCha8; see the [module docs](self)).
///
/// It also implements [`rand::RngCore`], so everything in `rand` (`random_range`, shuffling,
/// other distributions) can draw from the same reproducible stream.
///
/// ```
/// use mlinalg::random::Rng;
///
/// let mut rng = Rng::seed(0);
/// let x = rng.standard_normal::<f64>(&[2, 3])?;
/// assert_eq!(x.shape(), &[2, 3]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
}

/// Checks that an array of `shape` can be allocated: its size fits `usize` and its bytes `isize`.
fn checked_len<T>(op: &'static str, shape: &[usize]) -> Result<usize> {
    let len = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let max = isize::MAX as usize / std::mem::size_of::<T>().max(1);
    match len {
        Some(n) if n <= max => Ok(n),
        _ => Err(Error::invalid(
            op,
            format!("shape {} is too large to allocate", fmt_shape(shape)),
        )
        .with_shapes([shape])),
    }
}

fn build<T>(op: &'static str, shape: &[usize], data: Vec<T>) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| {
        Error::invalid(
            op,
            format!("cannot build an array of shape {}: {e}", fmt_shape(shape)),
        )
        .with_shapes([shape])
    })
}

impl Rng {
    /// A generator seeded with `seed` (`ChaCha8Rng::seed_from_u64`).
    ///
    /// ```
    /// use mlinalg::random::Rng;
    /// let a = Rng::seed(1).uniform::<f64>(&[5], 0.0, 1.0)?;
    /// let b = Rng::seed(1).uniform::<f64>(&[5], 0.0, 1.0)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn seed(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An array of `shape` with independent samples of the normal distribution N(`mean`, `std`²),
    /// as `np.random.Generator.normal(mean, std, shape)` / `torch.normal`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `std` is negative
    /// or either parameter is not finite, or the shape is too large to allocate.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    ///
    /// let x = Rng::seed(3).normal::<f64>(&[10_000], 5.0, 2.0)?;
    /// let mean = x.sum() / 10_000.0;
    /// assert!((mean - 5.0).abs() < 0.1);
    /// assert!(Rng::seed(3).normal::<f64>(&[2], 0.0, -1.0).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn normal<T: Scalar>(&mut self, shape: &[usize], mean: T, std: T) -> Result<ArrayD<T>> {
        const OP: &str = "normal";
        if !mean.is_finite() || !std.is_finite() {
            return Err(Error::invalid(
                OP,
                format!("mean ({mean}) and std ({std}) must be finite"),
            ));
        }
        if std < T::zero() {
            return Err(Error::invalid(
                OP,
                format!("std must be non-negative, got {std}"),
            ));
        }
        let n = checked_len::<T>(OP, shape)?;
        let (m, s) = (mean.as_f64(), std.as_f64());
        let data = alloc::try_collect(
            OP,
            n,
            (0..n).map(|_| {
                let z: f64 = StandardNormal.sample(&mut self.inner);
                T::cast_f64(m + s * z)
            }),
        )?;
        build(OP, shape, data)
    }

    /// An array of `shape` with samples of the standard normal distribution N(0, 1), as
    /// `np.random.Generator.standard_normal(shape)` / `torch.randn(shape)`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when the shape is too
    /// large to allocate.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    ///
    /// // embeddings: (B, T, D)
    /// let x = Rng::seed(0).standard_normal::<f32>(&[8, 16, 32])?;
    /// assert_eq!(x.shape(), &[8, 16, 32]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn standard_normal<T: Scalar>(&mut self, shape: &[usize]) -> Result<ArrayD<T>> {
        const OP: &str = "standard_normal";
        let n = checked_len::<T>(OP, shape)?;
        let data = alloc::try_collect(
            OP,
            n,
            (0..n).map(|_| {
                let z: f64 = StandardNormal.sample(&mut self.inner);
                T::cast_f64(z)
            }),
        )?;
        build(OP, shape, data)
    }

    /// An array of `shape` with samples uniform on the half-open interval `[low, high)`, as
    /// `np.random.Generator.uniform(low, high, shape)`.
    ///
    /// Each value is `low + (high - low) * u` computed in `f64` from a uniform `u` in `[0, 1)`
    /// with 53 random bits, then rounded to `T`; a value that rounds to `high` is drawn again,
    /// so `high` itself never appears (NumPy does not guarantee this).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) unless
    /// `low < high` and both are finite, or when the shape is too large to allocate.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    ///
    /// let x = Rng::seed(9).uniform::<f32>(&[1000], -0.5, 0.5)?;
    /// assert!(x.iter().all(|&v| (-0.5..0.5).contains(&v)));
    /// assert!(Rng::seed(9).uniform::<f32>(&[3], 1.0, 1.0).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn uniform<T: Scalar>(&mut self, shape: &[usize], low: T, high: T) -> Result<ArrayD<T>> {
        const OP: &str = "uniform";
        if !low.is_finite() || !high.is_finite() {
            return Err(Error::invalid(
                OP,
                format!("low ({low}) and high ({high}) must be finite"),
            ));
        }
        if low >= high {
            return Err(Error::invalid(
                OP,
                format!("low must be less than high, got low = {low}, high = {high}"),
            ));
        }
        let n = checked_len::<T>(OP, shape)?;
        let (lo, hi) = (low.as_f64(), high.as_f64());
        let width = hi - lo;
        if !width.is_finite() {
            return Err(Error::invalid(
                OP,
                format!("the range [{low}, {high}) is too wide"),
            ));
        }
        let samples = (0..n).map(|_| loop {
            let u: f64 = StandardUniform.sample(&mut self.inner);
            let x = T::cast_f64(lo + width * u);
            // x >= low holds by construction (u >= 0, rounding is monotone).
            if x < high {
                break x;
            }
        });
        let data = alloc::try_collect(OP, n, samples)?;
        build(OP, shape, data)
    }

    /// An array of `shape` with integers uniform on `[low, high)`, as
    /// `np.random.Generator.integers(low, high, shape)` / `torch.randint(low, high, shape)`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) unless `low < high`,
    /// or when the shape is too large to allocate.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    ///
    /// let ids = Rng::seed(0).integers(&[8, 512], 0, 50_257)?; // token ids (B, T)
    /// assert!(ids.iter().all(|&t| (0..50_257).contains(&t)));
    /// assert!(Rng::seed(0).integers(&[1], 5, 5).is_err());
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn integers(&mut self, shape: &[usize], low: i64, high: i64) -> Result<ArrayD<i64>> {
        const OP: &str = "integers";
        if low >= high {
            return Err(Error::invalid(
                OP,
                format!("low must be less than high, got low = {low}, high = {high}"),
            ));
        }
        let n = checked_len::<i64>(OP, shape)?;
        let dist = Uniform::new(low, high)
            .map_err(|e| Error::invalid(OP, format!("invalid range [{low}, {high}): {e}")))?;
        let data = alloc::try_collect(OP, n, (0..n).map(|_| dist.sample(&mut self.inner)))?;
        build(OP, shape, data)
    }

    /// A `rows × cols` matrix of standard normal samples: [`standard_normal`](Rng::standard_normal)
    /// with a 2-d result type.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when the shape is too
    /// large to allocate.
    ///
    /// ```
    /// use mlinalg::random::Rng;
    ///
    /// let a: ndarray::Array2<f64> = Rng::seed(5).normal_matrix(4, 3)?;
    /// assert_eq!(a.dim(), (4, 3));
    /// assert_eq!(a.into_dyn(), Rng::seed(5).standard_normal::<f64>(&[4, 3])?);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn normal_matrix<T: Scalar>(&mut self, rows: usize, cols: usize) -> Result<Array2<T>> {
        const OP: &str = "normal_matrix";
        let a = self
            .standard_normal::<T>(&[rows, cols])
            .map_err(|e| Error::invalid(OP, e.message().to_string()).with_shapes([[rows, cols]]))?;
        a.into_dimensionality().map_err(|e| {
            Error::invalid(OP, format!("cannot build a ({rows}, {cols}) matrix: {e}"))
                .with_shapes([[rows, cols]])
        })
    }
}

impl RngCore for Rng {
    /// The next 32 random bits of the stream.
    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// The next 64 random bits of the stream.
    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Fills `dst` with random bytes from the stream.
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.inner.fill_bytes(dst)
    }
}
