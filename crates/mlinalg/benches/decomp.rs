//! Benchmarks W4a, W4b, W4c, W5a, W5b and W12 of `shared/bench/WORKLOADS.md`: the dense
//! factorisations through mlinalg's public API, one criterion group per workload id, time per call
//! (the workloads are measured in ms).
//!
//! | id | call | input |
//! |---|---|---|
//! | W4a | `decomp::svd(&a, false)` | f64 1000 × 768 |
//! | W4b | `decomp::svd(&a, false)` | f32 2304 × 768 (GPT-2's c_attn shape) |
//! | W4c | `decomp::svdvals(&a)` | f32 2304 × 768 |
//! | W5a | `decomp::eigh(&a)` | f64 768 × 768, A = XᵀX / 4000 with X 4000 × 768 |
//! | W5b | `decomp::eig(&a)` | f64 512 × 512 |
//! | W12 | `matrix::solve(&a, &b)`, `matrix::inv(&a)` | f64 1024 × 1024, b 1024 × 1 |
//!
//! Inputs: seeded standard normal (mlinalg's ChaCha8 generator). Threads: rayon's default (all
//! cores; 2 on the reference machine). Flat sampling with 10 samples (criterion's minimum) and a
//! short measurement time keep each group under ~15 s on 2 cores.
//!
//! ```sh
//! cargo bench -p mlinalg --bench decomp            # all six
//! cargo bench -p mlinalg --bench decomp -- W5      # W5a and W5b
//! ```

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use mlinalg::decomp::{eig, eigh, svd, svdvals};
use mlinalg::matrix::{inv, mm, solve};
use mlinalg::random::Rng;
use ndarray::Array2;

/// Seeded standard-normal (rows, cols) matrix, from mlinalg's own reproducible generator.
fn normal<T: mlinalg::Scalar>(rows: usize, cols: usize, seed: u64) -> Array2<T> {
    Rng::seed(seed)
        .normal_matrix::<T>(rows, cols)
        .expect("benchmark inputs are small enough to allocate")
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

/// W4a / W4b: the economy SVD (U, S, Vt).
fn svd_thin<T: mlinalg::Scalar>(c: &mut Criterion, id: &str, m: usize, n: usize) {
    let a: Array2<T> = normal(m, n, 1);
    let mut group = configure(c, id);
    group.bench_function(format!("svd_thin_{}_{m}x{n}", T::DTYPE), |bench| {
        bench.iter(|| svd(&a, false).expect("svd"))
    });
    group.finish();
}

fn w4a(c: &mut Criterion) {
    svd_thin::<f64>(c, "W4a", 1000, 768);
}

fn w4b(c: &mut Criterion) {
    svd_thin::<f32>(c, "W4b", 2304, 768);
}

/// W4c: singular values only.
fn w4c(c: &mut Criterion) {
    let a: Array2<f32> = normal(2304, 768, 2);
    let mut group = configure(c, "W4c");
    group.bench_function("svdvals_float32_2304x768", |bench| {
        bench.iter(|| svdvals(&a).expect("svdvals"))
    });
    group.finish();
}

/// W5a: the symmetric eigendecomposition of a covariance-like matrix.
fn w5a(c: &mut Criterion) {
    let x: Array2<f64> = normal(4000, 768, 3);
    let a = mm(&x.t(), &x).expect("Gram matrix") / 4000.0;
    let mut group = configure(c, "W5a");
    group.bench_function("eigh_float64_768", |bench| {
        bench.iter(|| eigh(&a).expect("eigh"))
    });
    group.finish();
}

/// W5b: the general eigendecomposition (complex results).
fn w5b(c: &mut Criterion) {
    let a: Array2<f64> = normal(512, 512, 4);
    let mut group = configure(c, "W5b");
    group.bench_function("eig_float64_512", |bench| {
        bench.iter(|| eig(&a).expect("eig"))
    });
    group.finish();
}

/// W12: one right-hand side solved, and the inverse.
fn w12(c: &mut Criterion) {
    let a: Array2<f64> = normal(1024, 1024, 5);
    let b: Array2<f64> = normal(1024, 1, 6);
    let mut group = configure(c, "W12");
    group.bench_function("solve_float64_1024", |bench| {
        bench.iter(|| solve(&a, &b).expect("solve"))
    });
    group.bench_function("inv_float64_1024", |bench| {
        bench.iter(|| inv(&a).expect("inv"))
    });
    group.finish();
}

criterion_group!(benches, w4a, w4b, w4c, w5a, w5b, w12);
criterion_main!(benches);
