//! Memory-bound vector kernels (sums, dot products, elementwise products) compiled for the
//! widest SIMD the CPU has, chosen at run time.
//!
//! The release build targets generic x86-64, where the compiler may only use SSE2: a sum or a
//! Hadamard product then moves 16 bytes per instruction and runs at a third of what the cache
//! delivers. Each kernel here is a plain loop written so that it vectorises (fixed-size chunks,
//! [`LANES`] independent accumulators), run through [`pulp::Arch::dispatch`], which compiles it
//! once per instruction set (AVX-512, AVX2 + FMA, baseline) and calls the best one the CPU
//! supports. Kernels take contiguous slices; callers split the work across threads.
//!
//! Sums keep [`LANES`] partial sums, so their rounding differs from a left-to-right sum (it is
//! closer to NumPy's pairwise summation: the error grows with `n / LANES`, not `n`).

use std::mem::MaybeUninit;

use pulp::{Arch, Simd, WithSimd};

use crate::Scalar;

/// Independent partial sums per kernel: two AVX-512 registers of f32, four of f64.
pub(crate) const LANES: usize = 32;

/// Adds the partial sums pairwise.
#[inline(always)]
pub(crate) fn reduce<T: Scalar>(mut acc: [T; LANES]) -> T {
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
    acc[0]
}

struct Sum<'a, T>(&'a [T]);

impl<T: Scalar> WithSimd for Sum<'_, T> {
    type Output = T;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> T {
        let mut acc = [T::zero(); LANES];
        let (chunks, tail) = self.0.as_chunks::<LANES>();
        for c in chunks {
            for i in 0..LANES {
                acc[i] += c[i];
            }
        }
        tail.iter().fold(reduce(acc), |s, &x| s + x)
    }
}

/// `Σ x`.
pub(crate) fn sum<T: Scalar>(x: &[T]) -> T {
    Arch::new().dispatch(Sum(x))
}

struct Dot<'a, T>(&'a [T], &'a [T]);

impl<T: Scalar> WithSimd for Dot<'_, T> {
    type Output = T;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> T {
        let n = self.0.len().min(self.1.len());
        let (x, y) = (&self.0[..n], &self.1[..n]);
        let mut acc = [T::zero(); LANES];
        let (cx, tx) = x.as_chunks::<LANES>();
        let (cy, ty) = y.as_chunks::<LANES>();
        for (a, b) in cx.iter().zip(cy) {
            for i in 0..LANES {
                acc[i] += a[i] * b[i];
            }
        }
        tx.iter().zip(ty).fold(reduce(acc), |s, (&a, &b)| s + a * b)
    }
}

/// `Σ x·y` over the common length of `x` and `y`.
pub(crate) fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    Arch::new().dispatch(Dot(x, y))
}

/// The largest of `x`, ignoring NaN (−∞ when empty or all NaN), as a vectorisable loop.
#[inline(always)]
fn max_of<T: Scalar>(x: &[T]) -> T {
    let pick = |m: T, x: T| if x > m { x } else { m };
    let mut acc = [T::neg_infinity(); LANES];
    let (chunks, tail) = x.as_chunks::<LANES>();
    for c in chunks {
        for i in 0..LANES {
            acc[i] = pick(acc[i], c[i]);
        }
    }
    let m = acc.iter().fold(T::neg_infinity(), |m, &x| pick(m, x));
    tail.iter().fold(m, |m, &x| pick(m, x))
}

struct BlockMax<'a, 'o, T>(&'a [T], usize, &'o mut [T]);

impl<T: Scalar> WithSimd for BlockMax<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        for (o, block) in self.2.iter_mut().zip(self.0.chunks(self.1)) {
            *o = max_of(block);
        }
    }
}

/// The largest element of each block of `block` elements of `x` (the last may be shorter),
/// ignoring NaN (−∞ for a block of NaN), into `out` (one per block; extra entries untouched).
/// One dispatch for all blocks: a row of scores costs one call, not one per block.
pub(crate) fn block_max<T: Scalar>(x: &[T], block: usize, out: &mut [T]) {
    if block > 0 {
        Arch::new().dispatch(BlockMax(x, block, out));
    }
}

/// How the two inputs of [`mul_into`] are read.
#[derive(Clone, Copy)]
pub(crate) enum Factor<'a, T> {
    /// One value for every element (a broadcast axis, stride 0).
    Scalar(T),
    /// One value per element (the same length as the output).
    Slice(&'a [T]),
}

struct Mul<'a, 'o, T>(&'o mut [MaybeUninit<T>], Factor<'a, T>, Factor<'a, T>);

impl<T: Scalar> WithSimd for Mul<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let out = self.0;
        match (self.1, self.2) {
            (Factor::Slice(x), Factor::Slice(y)) => {
                for ((o, &a), &b) in out.iter_mut().zip(x).zip(y) {
                    o.write(a * b);
                }
            }
            (Factor::Scalar(s), Factor::Slice(y)) | (Factor::Slice(y), Factor::Scalar(s)) => {
                for (o, &b) in out.iter_mut().zip(y) {
                    o.write(s * b);
                }
            }
            (Factor::Scalar(a), Factor::Scalar(b)) => {
                let v = a * b;
                for o in out.iter_mut() {
                    o.write(v);
                }
            }
        }
    }
}

/// Writes `x * y` into every element of `out`: both factors slices of `out`'s length, or one
/// (or both) a single value. Panics (a bug in the caller) if a slice is shorter than `out`:
/// callers rely on every element being written.
pub(crate) fn mul_into<T: Scalar>(out: &mut [MaybeUninit<T>], x: Factor<'_, T>, y: Factor<'_, T>) {
    for f in [x, y] {
        if let Factor::Slice(s) = f {
            assert!(
                s.len() >= out.len(),
                "simd::mul_into: a factor is too short"
            );
        }
    }
    Arch::new().dispatch(Mul(out, x, y));
}

struct AddAssign<'a, 'o, T>(&'o mut [T], &'a [T]);

impl<T: Scalar> WithSimd for AddAssign<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        for (a, &x) in self.0.iter_mut().zip(self.1) {
            *a += x;
        }
    }
}

/// `acc += x`, elementwise over the common length.
pub(crate) fn add_assign<T: Scalar>(acc: &mut [T], x: &[T]) {
    Arch::new().dispatch(AddAssign(acc, x));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_plain_loops() {
        for n in [0, 1, 31, 32, 33, 100, 1000] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let s: f64 = x.iter().sum();
            assert!((sum(&x) - s).abs() < 1e-12 * (n as f64 + 1.0));
            let d: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            assert!((dot(&x, &y) - d).abs() < 1e-12 * (n as f64 + 1.0));

            let mut out = vec![MaybeUninit::<f64>::uninit(); n];
            mul_into(&mut out, Factor::Slice(&x), Factor::Slice(&y));
            // SAFETY: `mul_into` wrote every element.
            let prod: Vec<f64> = out.iter().map(|o| unsafe { o.assume_init() }).collect();
            assert!(prod
                .iter()
                .zip(x.iter().zip(&y))
                .all(|(p, (a, b))| *p == a * b));
            mul_into(&mut out, Factor::Scalar(2.0), Factor::Slice(&y));
            // SAFETY: as above.
            assert!(out
                .iter()
                .zip(&y)
                .all(|(o, b)| unsafe { o.assume_init() } == 2.0 * b));

            let mut acc = x.clone();
            add_assign(&mut acc, &y);
            assert!(acc
                .iter()
                .zip(x.iter().zip(&y))
                .all(|(a, (p, q))| *a == p + q));
        }
        let x32: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(sum(&x32), 499_500.0);
        let mut m = [0.0f32; 16];
        block_max(&x32, 64, &mut m);
        let want: Vec<f32> = (0..16).map(|b| (b * 64 + 63).min(999) as f32).collect();
        assert_eq!(m.to_vec(), want);
        let mut m = [0.0f64; 3];
        block_max(&[1.0, f64::NAN, 3.0, -2.0, f64::NAN], 2, &mut m);
        assert_eq!(m, [1.0, 3.0, f64::NEG_INFINITY]);
    }
}
