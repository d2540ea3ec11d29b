//! The matrix-vector product `y (+)= A x` for a matrix with contiguous rows: a hand-written kernel.
//!
//! Why it exists: a large `A @ x` streams `A` from memory once, so its speed is the memory
//! bandwidth one thread can draw. The `gemm` crate's matrix-vector path reached about 22 GB/s per
//! thread on this project's machine against NumPy's (OpenBLAS) 25.6; this kernel reads four rows
//! at once with two accumulators each (eight independent FMA chains hide the FMA latency, four
//! streams keep the prefetchers busy) and reaches 25-26 GB/s per thread. `compare/` W1d measures
//! it against NumPy in the same run.
//!
//! The instruction set is chosen at run time (AVX-512F, else AVX2 + FMA). Elsewhere, and for
//! matrices whose rows are not contiguous, [`gemv_rows`] returns `false` and the caller uses GEMM.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1};

use crate::Scalar;

/// `y = A x`, or `y += A x` with `accumulate`, when `A`'s rows and `x` are contiguous, `T` is
/// f32 or f64 and the CPU has AVX-512F or AVX2 + FMA. Returns `false`, touching nothing, when the
/// kernel does not apply. Shapes must already be checked: `A` is (m, k), `x` (k,), `y` (m,).
pub(crate) fn gemv_rows<T: Scalar>(
    a: ArrayView2<'_, T>,
    x: ArrayView1<'_, T>,
    mut y: ArrayViewMut1<'_, T>,
    accumulate: bool,
) -> bool {
    let (m, k) = a.dim();
    debug_assert!(x.len() == k && y.len() == m);
    if m == 0 || k == 0 || a.strides()[1] != 1 || x.strides()[0] != 1 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let isa = if std::arch::is_x86_feature_detected!("avx512f") {
            Isa::Avx512
        } else if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            Isa::Avx2
        } else {
            return false;
        };
        let job = Job {
            a: a.as_ptr(),
            a_row_stride: a.strides()[0],
            m,
            k,
            x: x.as_ptr(),
            y: y.as_mut_ptr(),
            y_stride: y.strides()[0],
            accumulate,
        };
        // SAFETY: the pointers and strides come from live views of the checked shapes (A: m rows
        // of k contiguous elements, x: k contiguous elements, y: m elements, uniquely borrowed)
        // and the instruction set was detected on this CPU.
        unsafe { run::<T>(job, isa) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (&mut y, accumulate);
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
enum Isa {
    Avx512,
    Avx2,
}

/// Runs `job` with the kernel for `T` and `isa`; `false` if `T` is neither f32 nor f64.
///
/// # Safety
/// `job` must describe live, correctly sized memory (see [`Job`]) and the CPU must support `isa`.
#[cfg(target_arch = "x86_64")]
unsafe fn run<T: 'static>(job: Job<T>, isa: Isa) -> bool {
    use std::any::TypeId;
    // The type checks make each cast an identity.
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        match isa {
            Isa::Avx512 => x86::f32_avx512(job.cast()),
            Isa::Avx2 => x86::f32_avx2(job.cast()),
        }
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        match isa {
            Isa::Avx512 => x86::f64_avx512(job.cast()),
            Isa::Avx2 => x86::f64_avx2(job.cast()),
        }
    } else {
        return false;
    }
    true
}

/// One matrix-vector product, as raw parts: `m` rows of `k` contiguous elements from `a`, row `i`
/// at `a + i * a_row_stride`; `x` has `k` contiguous elements; `y[i]` is at `y + i * y_stride`.
/// Strides are in elements and may be negative.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Job<T> {
    a: *const T,
    a_row_stride: isize,
    m: usize,
    k: usize,
    x: *const T,
    y: *mut T,
    y_stride: isize,
    accumulate: bool,
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
impl<T> Job<T> {
    fn cast<U>(self) -> Job<U> {
        Job {
            a: self.a.cast(),
            a_row_stride: self.a_row_stride,
            m: self.m,
            k: self.k,
            x: self.x.cast(),
            y: self.y.cast(),
            y_stride: self.y_stride,
            accumulate: self.accumulate,
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)] // the row loops index two arrays in step; LLVM unrolls them
mod x86 {
    use super::Job;
    use std::arch::x86_64::*;

    /// Rows handled together: each row's pair of accumulators is an independent FMA chain.
    const ROWS: usize = 4;

    /// Generates one kernel. Rows come in blocks of four (a last, shorter block repeats its final
    /// row, whose duplicate sums are not stored); along a row, two vectors per step, then one, then
    /// the remainder (masked loads on AVX-512, scalar code on AVX2).
    macro_rules! kernel {
        (
            $name:ident, $t:ty, $feature:literal, $lanes:literal,
            load: $load:ident, fma: $fma:ident, zero: $zero:ident, store: $store:ident,
            masked_tail: $($first:ident)?
        ) => {
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(job: Job<$t>) {
                const L: usize = $lanes;
                let Job { a, a_row_stride, m, k, x, y, y_stride, accumulate } = job;
                let mut i = 0;
                while i < m {
                    let rows_here = (m - i).min(ROWS);
                    let row = |r: usize| a.offset((i + r.min(rows_here - 1)) as isize * a_row_stride);
                    let rows = [row(0), row(1), row(2), row(3)];
                    let mut acc = [[$zero(); 2]; ROWS];
                    let mut j = 0;
                    while j + 2 * L <= k {
                        let x0 = $load(x.add(j));
                        let x1 = $load(x.add(j + L));
                        for r in 0..ROWS {
                            acc[r][0] = $fma($load(rows[r].add(j)), x0, acc[r][0]);
                            acc[r][1] = $fma($load(rows[r].add(j + L)), x1, acc[r][1]);
                        }
                        j += 2 * L;
                    }
                    if j + L <= k {
                        let x0 = $load(x.add(j));
                        for r in 0..ROWS {
                            acc[r][0] = $fma($load(rows[r].add(j)), x0, acc[r][0]);
                        }
                        j += L;
                    }
                    $(
                        if j < k {
                            let x0 = $first(x.add(j), k - j);
                            for r in 0..ROWS {
                                acc[r][1] = $fma($first(rows[r].add(j), k - j), x0, acc[r][1]);
                            }
                            j = k;
                        }
                    )?
                    for r in 0..rows_here {
                        let mut lanes = [0.0 as $t; L];
                        $store(lanes.as_mut_ptr(), acc[r][0]);
                        let mut sum: $t = lanes.iter().sum();
                        $store(lanes.as_mut_ptr(), acc[r][1]);
                        sum += lanes.iter().sum::<$t>();
                        for jj in j..k {
                            sum += *rows[r].add(jj) * *x.add(jj);
                        }
                        let out = y.offset((i + r) as isize * y_stride);
                        *out = if accumulate { *out + sum } else { sum };
                    }
                    i += rows_here;
                }
            }
        };
    }

    /// The first `n` (< 16) floats at `p`, zeros after; lanes past `n` are not read.
    #[target_feature(enable = "avx512f")]
    unsafe fn f32_first(p: *const f32, n: usize) -> __m512 {
        _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, p)
    }

    /// The first `n` (< 8) doubles at `p`, zeros after; lanes past `n` are not read.
    #[target_feature(enable = "avx512f")]
    unsafe fn f64_first(p: *const f64, n: usize) -> __m512d {
        _mm512_maskz_loadu_pd(((1u32 << n) - 1) as __mmask8, p)
    }

    kernel!(f32_avx512, f32, "avx512f", 16,
        load: _mm512_loadu_ps, fma: _mm512_fmadd_ps, zero: _mm512_setzero_ps, store: _mm512_storeu_ps,
        masked_tail: f32_first);
    kernel!(f64_avx512, f64, "avx512f", 8,
        load: _mm512_loadu_pd, fma: _mm512_fmadd_pd, zero: _mm512_setzero_pd, store: _mm512_storeu_pd,
        masked_tail: f64_first);
    kernel!(f32_avx2, f32, "avx2,fma", 8,
        load: _mm256_loadu_ps, fma: _mm256_fmadd_ps, zero: _mm256_setzero_ps, store: _mm256_storeu_ps,
        masked_tail:);
    kernel!(f64_avx2, f64, "avx2,fma", 4,
        load: _mm256_loadu_pd, fma: _mm256_fmadd_pd, zero: _mm256_setzero_pd, store: _mm256_storeu_pd,
        masked_tail:);
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Every kernel this CPU can run (gemv_rows only ever picks the widest), on every remainder
    /// of m modulo 4 and k modulo 32, against a plain f64 dot product.
    #[test]
    fn every_available_kernel_matches_a_plain_dot_product() {
        let mut isas = vec![];
        if std::arch::is_x86_feature_detected!("avx512f") {
            isas.push(Isa::Avx512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            isas.push(Isa::Avx2);
        }
        fn check<T: Scalar>(isa: Isa, m: usize, k: usize) {
            let value = |i: usize| ((i * 7919 % 23) as f64 - 11.0) / 8.0; // exact in f32
            let a: Vec<T> = (0..m * k).map(|i| T::cast_f64(value(i))).collect();
            let x: Vec<T> = (0..k).map(|j| T::cast_f64(value(j + 5))).collect();
            let mut y = vec![T::one(); m];
            let job = Job {
                a: a.as_ptr(),
                a_row_stride: k as isize,
                m,
                k,
                x: x.as_ptr(),
                y: y.as_mut_ptr(),
                y_stride: 1,
                accumulate: true,
            };
            // SAFETY: the buffers match the job's shapes; the isa was detected.
            assert!(unsafe { run::<T>(job, isa) });
            for i in 0..m {
                let want: f64 = 1.0
                    + (0..k)
                        .map(|j| a[i * k + j].as_f64() * x[j].as_f64())
                        .sum::<f64>();
                // Small integers over 8: every product and partial sum is exact in f32 here.
                assert_eq!(
                    y[i].as_f64(),
                    want,
                    "{isa:?} {} m={m} k={k} row {i}",
                    T::DTYPE
                );
            }
        }
        for isa in isas {
            for m in 1..=9 {
                for k in 1..=70 {
                    check::<f32>(isa, m, k);
                    check::<f64>(isa, m, k);
                }
            }
        }
    }
}
