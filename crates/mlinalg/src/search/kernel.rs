//! Distance kernels for graph search: one vector against one vector, with the widest SIMD the
//! CPU offers chosen once at run time (the release build targets generic x86-64).
//!
//! Each kernel keeps 32 independent partial sums so that the compiler vectorises the loop (and
//! the additions are not one long dependency chain); the same source is compiled three times on
//! x86-64: baseline (SSE2), AVX2 + FMA, and AVX-512.

use super::{IndexScalar, Metric};

/// A distance between two vectors of the same length: smaller is nearer.
pub(crate) type DistFn<T> = fn(&[T], &[T]) -> T;

const LANES: usize = 32;

#[inline(always)]
fn dot_impl<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = T::zero();
    for (x, y) in ra.iter().zip(rb) {
        tail += *x * *y;
    }
    reduce(acc) + tail
}

#[inline(always)]
fn l2_impl<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut tail = T::zero();
    for (x, y) in ra.iter().zip(rb) {
        let d = *x - *y;
        tail += d * d;
    }
    reduce(acc) + tail
}

#[inline(always)]
fn reduce<T: IndexScalar>(mut acc: [T; LANES]) -> T {
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            acc[i] = acc[i] + acc[i + w];
        }
        w /= 2;
    }
    acc[0]
}

/// Negated inner product: the distance used for cosine (on normalised vectors) and dot.
fn neg_dot<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    -dot_impl(a, b)
}

fn l2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    l2_impl(a, b)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{dot_impl, l2_impl, IndexScalar};

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        dot_impl(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    unsafe fn l2_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        l2_impl(a, b)
    }
    #[target_feature(enable = "avx512f")]
    unsafe fn dot_avx512<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        dot_impl(a, b)
    }
    #[target_feature(enable = "avx512f")]
    unsafe fn l2_avx512<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        l2_impl(a, b)
    }

    // SAFETY (all four wrappers): they are only handed out by `super::select` after
    // `is_x86_feature_detected!` confirmed the features they enable.
    pub(super) fn neg_dot_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        -unsafe { dot_avx2(a, b) }
    }
    pub(super) fn l2_avx2_safe<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        unsafe { l2_avx2(a, b) }
    }
    pub(super) fn neg_dot_avx512<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        -unsafe { dot_avx512(a, b) }
    }
    pub(super) fn l2_avx512_safe<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        unsafe { l2_avx512(a, b) }
    }
}

/// The fastest distance kernel for `metric` on this CPU.
pub(crate) fn select<T: IndexScalar>(metric: Metric) -> DistFn<T> {
    let is_l2 = metric == Metric::L2;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return if is_l2 {
                x86::l2_avx512_safe::<T>
            } else {
                x86::neg_dot_avx512::<T>
            };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return if is_l2 {
                x86::l2_avx2_safe::<T>
            } else {
                x86::neg_dot_avx2::<T>
            };
        }
    }
    if is_l2 {
        l2::<T>
    } else {
        neg_dot::<T>
    }
}

/// Hints the CPU to start loading `row` into cache (a no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = row.as_ptr() as *const i8;
        let bytes = std::mem::size_of_val(row);
        let mut off = 0;
        // The first 4 cache lines: enough for the hardware prefetcher to follow the rest.
        while off < bytes && off < 256 {
            // SAFETY: prefetching is a hint and never faults; the address is inside `row`.
            #[allow(unused_unsafe)]
            unsafe {
                _mm_prefetch(p.add(off), _MM_HINT_T0)
            };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_the_plain_loops() {
        for n in [1usize, 7, 31, 32, 33, 100, 384, 769] {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let l2: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
            assert!((select::<f64>(Metric::Dot)(&a, &b) + dot).abs() < 1e-9 * n as f64);
            assert!((select::<f64>(Metric::L2)(&a, &b) - l2).abs() < 1e-9 * n as f64);
            assert!((neg_dot(&a, &b) + dot).abs() < 1e-9 * n as f64);
            assert!((super::l2(&a, &b) - l2).abs() < 1e-9 * n as f64);
            let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            assert!((select::<f32>(Metric::Cosine)(&af, &bf) as f64 + dot).abs() < 1e-4 * n as f64);
        }
    }
}
