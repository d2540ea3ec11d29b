//! Benchmarks W7 and W11 of `shared/bench/WORKLOADS.md`: low-rank SVDs through mlinalg's public
//! API, time per call.
//!
//! - W7: `decomp::randomized_svd` of a 4096 × 4096 f32 matrix to rank 64, with scikit-learn's
//!   defaults (10 oversamples, 7 power iterations, LU re-normalisation) and with 2 power iterations
//!   (torch.svd_lowrank's default). The input is the anchor script's: 0.01 · noise + U·diag(1,
//!   1/2, .., 1/64)·Qᵀ with U, Q (4096, 64) having orthonormal columns. Also
//!   `decomp::partial_svd` with its defaults (block Krylov to residuals ≤ 1e-4·σ₁: about 20
//!   blocks here, 2-3 s a call on 2 busy cores).
//! - W11: the exact thin SVD of a 512 × 512 f64 grayscale image (`decomp::svd`), and the rank-k
//!   reconstructions for k in {5, 20, 50, 100} from it (`lowrank::best_rank_k`). The image is a
//!   closed-form synthetic one (the same as compare/'s stand-in), since the library reads no image
//!   files; `compare/` times the real `shared/data/images/camera.png`.
//!
//! Inputs: mlinalg's seeded generator. Flat sampling with 10 samples: about 30 s for W7 and 15 s
//! for W11 on 2 cores.
//!
//! ```sh
//! cargo bench -p mlinalg --bench randomized          # both
//! cargo bench -p mlinalg --bench randomized -- W11   # one
//! ```

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use mlinalg::decomp::{
    partial_svd, qr, randomized_svd, svd, PartialSvdOptions, QrMode, RandomizedSvdOptions,
};
use mlinalg::lowrank::best_rank_k;
use mlinalg::matrix::mm;
use mlinalg::random::Rng;
use ndarray::{Array1, Array2};

fn configure<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group
}

/// The W7 input: noise plus a rank-64 part with singular values 1, 1/2, .., 1/64.
fn w7_matrix(n: usize, k: usize) -> mlinalg::Result<Array2<f32>> {
    let mut rng = Rng::seed(7);
    let u = svd(&rng.normal_matrix::<f64>(n, k)?, false)?.u;
    let noise = rng.normal_matrix::<f64>(n, n)?;
    let q = qr(&rng.normal_matrix::<f64>(n, k)?, QrMode::Reduced)?.q;
    let weights = Array1::from_shape_fn(k, |i| 1.0 / (i + 1) as f64);
    let low = mm(&(&u * &weights), &q.t())?;
    Ok((noise * 0.01 + low).mapv(|v| v as f32))
}

fn w7(c: &mut Criterion) {
    let k = 64;
    let g = w7_matrix(4096, k).expect("W7 input");
    let mut group = configure(c, "W7");
    for (name, options) in [
        ("randomized_svd_defaults", RandomizedSvdOptions::default()),
        (
            "randomized_svd_niter2",
            RandomizedSvdOptions {
                n_iter: Some(2),
                ..RandomizedSvdOptions::default()
            },
        ),
    ] {
        group.bench_function(format!("{name}_float32_4096_k64"), |bench| {
            bench.iter(|| randomized_svd(&g, k, &options).expect("randomized SVD"))
        });
    }
    let options = PartialSvdOptions::default();
    group.bench_function("partial_svd_defaults_float32_4096_k64", |bench| {
        bench.iter(|| partial_svd(&g, k, &options).expect("partial SVD"))
    });
    group.finish();
}

/// compare/'s synthetic 512 × 512 image: smooth waves plus a fine pattern, values about 0..255.
fn synthetic_image() -> Array2<f64> {
    Array2::from_shape_fn((512, 512), |(i, j)| {
        let (x, y) = (i as f64, j as f64);
        128.0
            + 50.0 * (x * 0.05).sin() * (y * 0.031).cos()
            + 40.0 * ((x + 2.0 * y) * 0.013).sin()
            + ((i * 7 + j * 13) % 23) as f64
            - 11.0
    })
}

fn w11(c: &mut Criterion) {
    let img = synthetic_image();
    let mut group = configure(c, "W11");
    group.bench_function("svd_thin_float64_512", |bench| {
        bench.iter(|| svd(&img, false).expect("svd"))
    });
    for k in [5, 100] {
        group.bench_function(format!("best_rank_k_float64_512_k{k}"), |bench| {
            bench.iter(|| best_rank_k(&img, k).expect("rank-k approximation"))
        });
    }
    group.finish();
}

criterion_group!(benches, w7, w11);
criterion_main!(benches);
