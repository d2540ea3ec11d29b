//! Distance kernels for graph search: one vector against one vector, with the widest SIMD the
//! CPU offers chosen once at run time (the release build targets generic x86-64).
//!
//! Each kernel keeps 32 independent partial sums so that the compiler vectorises the loop (and
//! the additions are not one long dependency chain). On x86-64, f32 vectors (the common case)
//! use explicit AVX-512 or AVX2 + FMA intrinsics when the CPU has them, f64 vectors AVX2 + FMA.
//! With AVX-512, f32 also has kernels that compare one vector with four ([`select4`]), with the
//! same additions in the same order as the one-row kernel, so the distances are bit for bit the
//! same (a graph search is memory-bound: four rows streamed together keep more reads in flight).

use super::{IndexScalar, Metric};
use crate::simd::{reduce, LANES};

/// A distance between two vectors of the same length: smaller is nearer.
pub(crate) type DistFn<T> = fn(&[T], &[T]) -> T;

#[inline(always)]
fn dot_impl<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    // Fixed-size chunks: no bounds checks in the loop, so it vectorises.
    let (ca, ra) = a.as_chunks::<LANES>();
    let (cb, rb) = b.as_chunks::<LANES>();
    for (x, y) in ca.iter().zip(cb) {
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
    let (ca, ra) = a.as_chunks::<LANES>();
    let (cb, rb) = b.as_chunks::<LANES>();
    for (x, y) in ca.iter().zip(cb) {
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

/// Negated inner product: the distance used for cosine (on normalised vectors) and dot.
fn neg_dot<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    -dot_impl(a, b)
}

fn l2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
    l2_impl(a, b)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! f32 kernels with explicit AVX2+FMA / AVX-512 intrinsics (the compiler does not turn the
    //! generic loops into wide vector code reliably); f64 uses the generic loops.
    use super::{dot_impl, l2_impl, IndexScalar};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: every load reads 8 floats at i + 8j + 8 <= n, inside both slices.
        unsafe {
            while i + 32 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 8 * j;
                    *a_j = _mm256_fmadd_ps(
                        _mm256_loadu_ps(pa.add(o)),
                        _mm256_loadu_ps(pb.add(o)),
                        *a_j,
                    );
                }
                i += 32;
            }
            while i + 8 <= n {
                acc[0] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i)),
                    _mm256_loadu_ps(pb.add(i)),
                    acc[0],
                );
                i += 8;
            }
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        let mut s: f32 = lanes.iter().sum();
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += x * y;
        }
        s
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn l2_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: as in `dot_avx2`.
        unsafe {
            while i + 32 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 8 * j;
                    let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(o)), _mm256_loadu_ps(pb.add(o)));
                    *a_j = _mm256_fmadd_ps(d, d, *a_j);
                }
                i += 32;
            }
            while i + 8 <= n {
                let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                acc[0] = _mm256_fmadd_ps(d, d, acc[0]);
                i += 8;
            }
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        let mut s: f32 = lanes.iter().sum();
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += (x - y) * (x - y);
        }
        s
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: every load reads 16 floats at i + 16j + 16 <= n, inside both slices.
        unsafe {
            while i + 64 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 16 * j;
                    *a_j = _mm512_fmadd_ps(
                        _mm512_loadu_ps(pa.add(o)),
                        _mm512_loadu_ps(pb.add(o)),
                        *a_j,
                    );
                }
                i += 64;
            }
            while i + 16 <= n {
                acc[0] = _mm512_fmadd_ps(
                    _mm512_loadu_ps(pa.add(i)),
                    _mm512_loadu_ps(pb.add(i)),
                    acc[0],
                );
                i += 16;
            }
        }
        let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        let mut s = _mm512_reduce_add_ps(sum);
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += x * y;
        }
        s
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn l2_avx512(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: as in `dot_avx512`.
        unsafe {
            while i + 64 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 16 * j;
                    let d = _mm512_sub_ps(_mm512_loadu_ps(pa.add(o)), _mm512_loadu_ps(pb.add(o)));
                    *a_j = _mm512_fmadd_ps(d, d, *a_j);
                }
                i += 64;
            }
            while i + 16 <= n {
                let d = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
                acc[0] = _mm512_fmadd_ps(d, d, acc[0]);
                i += 16;
            }
        }
        let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        let mut s = _mm512_reduce_add_ps(sum);
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += (x - y) * (x - y);
        }
        s
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_f64_avx2(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut i = 0;
        // SAFETY: every load reads 4 doubles at i + 4j + 4 <= n, inside both slices.
        unsafe {
            while i + 16 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 4 * j;
                    *a_j = _mm256_fmadd_pd(
                        _mm256_loadu_pd(pa.add(o)),
                        _mm256_loadu_pd(pb.add(o)),
                        *a_j,
                    );
                }
                i += 16;
            }
        }
        let sum = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        let mut lanes = [0f64; 4];
        // SAFETY: `lanes` holds 4 doubles.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), sum) };
        let mut s: f64 = lanes.iter().sum();
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += x * y;
        }
        s
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn l2_f64_avx2_raw(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut i = 0;
        // SAFETY: as in `dot_f64_avx2`.
        unsafe {
            while i + 16 <= n {
                for (j, a_j) in acc.iter_mut().enumerate() {
                    let o = i + 4 * j;
                    let d = _mm256_sub_pd(_mm256_loadu_pd(pa.add(o)), _mm256_loadu_pd(pb.add(o)));
                    *a_j = _mm256_fmadd_pd(d, d, *a_j);
                }
                i += 16;
            }
        }
        let sum = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        let mut lanes = [0f64; 4];
        // SAFETY: `lanes` holds 4 doubles.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), sum) };
        let mut s: f64 = lanes.iter().sum();
        for (x, y) in a[i..n].iter().zip(&b[i..n]) {
            s += (x - y) * (x - y);
        }
        s
    }

    /// Runs an f64 kernel on slices of `T` (handed out only when `T` is 8 bytes wide, f64).
    #[inline(always)]
    fn on_f64<T: IndexScalar>(
        a: &[T],
        b: &[T],
        f: unsafe fn(&[f64], &[f64]) -> f64,
        generic: fn(&[T], &[T]) -> T,
    ) -> T {
        match (
            bytemuck::try_cast_slice::<T, f64>(a),
            bytemuck::try_cast_slice::<T, f64>(b),
        ) {
            (Ok(a64), Ok(b64)) if std::mem::size_of::<T>() == 8 => {
                // SAFETY: `select` hands out the callers only after detecting AVX2 and FMA.
                let v = unsafe { f(a64, b64) };
                T::from(v).unwrap_or_else(T::nan)
            }
            _ => generic(a, b),
        }
    }

    pub(super) fn neg_dot_f64_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        -on_f64(a, b, dot_f64_avx2, dot_impl::<T>)
    }
    pub(super) fn l2_f64_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        on_f64(a, b, l2_f64_avx2_raw, l2_impl::<T>)
    }

    /// Runs an f32 kernel on slices of `T` (handed out by `super::select` only when `T` is
    /// 4 bytes wide, i.e. f32); the generic loop otherwise.
    #[inline(always)]
    fn on_f32<T: IndexScalar>(
        a: &[T],
        b: &[T],
        f: unsafe fn(&[f32], &[f32]) -> f32,
        generic: fn(&[T], &[T]) -> T,
    ) -> T {
        match (
            bytemuck::try_cast_slice::<T, f32>(a),
            bytemuck::try_cast_slice::<T, f32>(b),
        ) {
            (Ok(a32), Ok(b32)) if std::mem::size_of::<T>() == 4 => {
                // SAFETY: `select` hands out the callers only after detecting the CPU features
                // that `f` enables.
                let v = unsafe { f(a32, b32) };
                T::from(v).unwrap_or_else(T::nan)
            }
            _ => generic(a, b),
        }
    }

    pub(super) fn neg_dot_avx2<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        -on_f32(a, b, dot_avx2, dot_impl::<T>)
    }
    pub(super) fn l2_avx2_safe<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        on_f32(a, b, l2_avx2, l2_impl::<T>)
    }
    pub(super) fn neg_dot_avx512<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        -on_f32(a, b, dot_avx512, dot_impl::<T>)
    }
    pub(super) fn l2_avx512_safe<T: IndexScalar>(a: &[T], b: &[T]) -> T {
        on_f32(a, b, l2_avx512, l2_impl::<T>)
    }

    /// Four inner products `a · b[v]` in one pass, with the same additions in the same order as
    /// `dot_avx512` (so each equals `dot_avx512(a, b[v])` bit for bit): four streams of memory
    /// in flight at once instead of one.
    #[target_feature(enable = "avx512f")]
    unsafe fn dot4_avx512(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
        let n = b.iter().fold(a.len(), |n, r| n.min(r.len()));
        let pa = a.as_ptr();
        let pb = b.map(<[f32]>::as_ptr);
        let mut acc = [[_mm512_setzero_ps(); 4]; 4];
        let mut i = 0;
        // SAFETY: every load reads 16 floats at i + 16j + 16 <= n, inside `a` and every `b[v]`.
        unsafe {
            while i + 64 <= n {
                for j in 0..4 {
                    let o = i + 16 * j;
                    let x = _mm512_loadu_ps(pa.add(o));
                    for (acc_v, p) in acc.iter_mut().zip(pb) {
                        acc_v[j] = _mm512_fmadd_ps(x, _mm512_loadu_ps(p.add(o)), acc_v[j]);
                    }
                }
                i += 64;
            }
            while i + 16 <= n {
                let x = _mm512_loadu_ps(pa.add(i));
                for (acc_v, p) in acc.iter_mut().zip(pb) {
                    acc_v[0] = _mm512_fmadd_ps(x, _mm512_loadu_ps(p.add(i)), acc_v[0]);
                }
                i += 16;
            }
        }
        let mut out = [0f32; 4];
        for ((o, acc_v), row) in out.iter_mut().zip(&acc).zip(b) {
            let sum = _mm512_add_ps(
                _mm512_add_ps(acc_v[0], acc_v[1]),
                _mm512_add_ps(acc_v[2], acc_v[3]),
            );
            let mut s = _mm512_reduce_add_ps(sum);
            for (x, y) in a[i..n].iter().zip(&row[i..n]) {
                s += x * y;
            }
            *o = s;
        }
        out
    }

    /// As `dot4_avx512` for squared L2 distances (each equals `l2_avx512(a, b[v])`).
    #[target_feature(enable = "avx512f")]
    unsafe fn l2_4_avx512(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
        let n = b.iter().fold(a.len(), |n, r| n.min(r.len()));
        let pa = a.as_ptr();
        let pb = b.map(<[f32]>::as_ptr);
        let mut acc = [[_mm512_setzero_ps(); 4]; 4];
        let mut i = 0;
        // SAFETY: as in `dot4_avx512`.
        unsafe {
            while i + 64 <= n {
                for j in 0..4 {
                    let o = i + 16 * j;
                    let x = _mm512_loadu_ps(pa.add(o));
                    for (acc_v, p) in acc.iter_mut().zip(pb) {
                        let d = _mm512_sub_ps(x, _mm512_loadu_ps(p.add(o)));
                        acc_v[j] = _mm512_fmadd_ps(d, d, acc_v[j]);
                    }
                }
                i += 64;
            }
            while i + 16 <= n {
                let x = _mm512_loadu_ps(pa.add(i));
                for (acc_v, p) in acc.iter_mut().zip(pb) {
                    let d = _mm512_sub_ps(x, _mm512_loadu_ps(p.add(i)));
                    acc_v[0] = _mm512_fmadd_ps(d, d, acc_v[0]);
                }
                i += 16;
            }
        }
        let mut out = [0f32; 4];
        for ((o, acc_v), row) in out.iter_mut().zip(&acc).zip(b) {
            let sum = _mm512_add_ps(
                _mm512_add_ps(acc_v[0], acc_v[1]),
                _mm512_add_ps(acc_v[2], acc_v[3]),
            );
            let mut s = _mm512_reduce_add_ps(sum);
            for (x, y) in a[i..n].iter().zip(&row[i..n]) {
                s += (x - y) * (x - y);
            }
            *o = s;
        }
        out
    }

    /// Runs a four-row f32 kernel on slices of `T` (handed out by `super::select4` only when
    /// `T` is f32 and the CPU has AVX-512F); `None` when a slice is not f32.
    #[inline(always)]
    fn on_f32x4<T: IndexScalar>(
        a: &[T],
        rows: [&[T]; 4],
        f: unsafe fn(&[f32], [&[f32]; 4]) -> [f32; 4],
    ) -> Option<[T; 4]> {
        if std::mem::size_of::<T>() != 4 {
            return None;
        }
        let a32 = bytemuck::try_cast_slice::<T, f32>(a).ok()?;
        let mut r32: [&[f32]; 4] = [&[]; 4];
        for (r, row) in r32.iter_mut().zip(rows) {
            *r = bytemuck::try_cast_slice::<T, f32>(row).ok()?;
        }
        // SAFETY: `select4` hands out the callers only after detecting AVX-512F.
        let v = unsafe { f(a32, r32) };
        Some(v.map(|x| T::from(x).unwrap_or_else(T::nan)))
    }

    pub(super) fn neg_dot4_avx512<T: IndexScalar>(a: &[T], rows: [&[T]; 4]) -> [T; 4] {
        match on_f32x4(a, rows, dot4_avx512) {
            Some(v) => v.map(|x| -x),
            None => rows.map(|r| -dot_impl(a, r)),
        }
    }
    pub(super) fn l2_4_avx512_safe<T: IndexScalar>(a: &[T], rows: [&[T]; 4]) -> [T; 4] {
        on_f32x4(a, rows, l2_4_avx512).unwrap_or_else(|| rows.map(|r| l2_impl(a, r)))
    }
}

/// Distances from one vector to four: each as the [`DistFn`] of the same metric gives, bit for bit.
pub(crate) type Dist4Fn<T> = fn(&[T], [&[T]; 4]) -> [T; 4];

/// A kernel that compares one vector with four at once, where this CPU has one (f32 with
/// AVX-512): reading four rows together keeps more memory reads in flight than one after the
/// other. `None` elsewhere: callers use the [`select`]ed kernel four times.
pub(crate) fn select4<T: IndexScalar>(metric: Metric) -> Option<Dist4Fn<T>> {
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of::<T>() == 4 && std::arch::is_x86_feature_detected!("avx512f") {
        return Some(if metric == Metric::L2 {
            x86::l2_4_avx512_safe::<T>
        } else {
            x86::neg_dot4_avx512::<T>
        });
    }
    let _ = metric;
    None
}

/// The fastest distance kernel for `metric` on this CPU.
pub(crate) fn select<T: IndexScalar>(metric: Metric) -> DistFn<T> {
    let is_l2 = metric == Metric::L2;
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of::<T>() == 4 {
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
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of::<T>() == 8
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        return if is_l2 {
            x86::l2_f64_avx2::<T>
        } else {
            x86::neg_dot_f64_avx2::<T>
        };
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

    #[test]
    fn four_row_kernels_equal_the_one_row_kernels_bit_for_bit() {
        for n in [1usize, 15, 16, 17, 63, 64, 65, 100, 384, 768, 769] {
            let row = |s: f32| -> Vec<f32> { (0..n).map(|i| (i as f32 * s).sin()).collect() };
            let q = row(0.37);
            let rows = [row(0.11), row(0.53), row(1.7), row(2.9)];
            for metric in [Metric::L2, Metric::Dot, Metric::Cosine] {
                let one = select::<f32>(metric);
                if let Some(four) = select4::<f32>(metric) {
                    let got = four(&q, [&rows[0], &rows[1], &rows[2], &rows[3]]);
                    for (g, r) in got.iter().zip(&rows) {
                        assert_eq!(g.to_bits(), one(&q, r).to_bits(), "{metric:?}, n = {n}");
                    }
                }
            }
        }
    }
}
