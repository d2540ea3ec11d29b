//! Benchmarks W1a, W1b, W1c, W1d and W2 of `shared/bench/WORKLOADS.md`: GEMM, GEMV and batched
//! matmul through mlinalg's public API, one criterion group per workload id, throughput in
//! FLOPs (2·m·n·k, shown as elements/s: read "Gelem/s" as GFLOP/s) or, for the memory-bound GEMV,
//! bytes of matrix read.
//!
//! Inputs: seeded standard normal (ChaCha8), f32 unless the id says f64. Threads: rayon's
//! default (all cores; 2 on the reference machine). Flat sampling with 10 samples keeps every
//! group under ~10 s.
//!
//! ```sh
//! cargo bench -p mlinalg --bench matmul            # all five
//! cargo bench -p mlinalg --bench matmul -- W1d     # one workload
//! ```

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use mlinalg::matrix::{matmul, matvec, mm};
use mlinalg::random::Rng;
use ndarray::{Array, Array1, Array2, Array3, Dimension};

/// Seeded standard-normal input of `shape`, from mlinalg's own reproducible generator.
fn normal<T: mlinalg::Scalar, D: Dimension>(shape: &[usize], seed: u64) -> Array<T, D> {
    Rng::seed(seed)
        .standard_normal::<T>(shape)
        .expect("benchmark inputs are small enough to allocate")
        .into_dimensionality::<D>()
        .expect("the shape's length matches the dimension")
}

fn configure<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group
}

/// W1a / W1b / W1c: square GEMM.
fn gemm<T: mlinalg::Scalar>(c: &mut Criterion, id: &str, n: usize) {
    let a: Array2<T> = normal(&[n, n], 1);
    let b: Array2<T> = normal(&[n, n], 2);
    let mut group = configure(c, id);
    group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
    group.bench_function(BenchmarkId::new(format!("mm_{}", T::DTYPE), n), |bench| {
        bench.iter(|| mm(&a, &b).expect("square product"))
    });
    group.finish();
}

fn w1a(c: &mut Criterion) {
    gemm::<f32>(c, "W1a", 1024);
}

fn w1b(c: &mut Criterion) {
    gemm::<f32>(c, "W1b", 2048);
}

fn w1c(c: &mut Criterion) {
    gemm::<f64>(c, "W1c", 2048);
}

/// W1d: GEMV f32 4096 × 4096 @ 4096, GB/s of matrix read (64 MiB: twice the L3 cache).
fn w1d(c: &mut Criterion) {
    let n = 4096;
    let a: Array2<f32> = normal(&[n, n], 3);
    let x: Array1<f32> = normal(&[n], 4);
    let mut group = configure(c, "W1d");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Bytes(
        (n * n * std::mem::size_of::<f32>()) as u64,
    ));
    group.bench_function(BenchmarkId::new("matvec_f32", n), |bench| {
        bench.iter(|| matvec(&a, &x).expect("matvec"))
    });
    group.finish();
}

/// W2: batched (32, 128, 512) @ (512, 2048) f32, GFLOP/s; also with a transposed batch (the
/// same numbers from a non-contiguous `a`, which is copied once before the GEMM).
fn w2(c: &mut Criterion) {
    let (b, m, k, n) = (32, 128, 512, 2048);
    let x: Array3<f32> = normal(&[b, m, k], 5);
    let w: Array2<f32> = normal(&[k, n], 6);
    let xt: Array3<f32> = normal(&[b, k, m], 7);
    let mut group = configure(c, "W2");
    group.throughput(Throughput::Elements(2 * (b * m * k * n) as u64));
    group.bench_function("matmul_f32_32x128x512_512x2048", |bench| {
        bench.iter(|| matmul(&x, &w).expect("batched product"))
    });
    let xt_view = xt.view().permuted_axes([0, 2, 1]);
    group.bench_function("matmul_f32_transposed_batch", |bench| {
        bench.iter(|| matmul(&xt_view, &w).expect("batched product"))
    });
    group.finish();
}

criterion_group!(benches, w1a, w1b, w1c, w1d, w2);
criterion_main!(benches);
