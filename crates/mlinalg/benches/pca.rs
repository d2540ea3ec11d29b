//! Benchmark W6 of `shared/bench/WORKLOADS.md`: PCA of 100 000 × 768 f32 data to 128 components,
//! fit + transform (`Pca::fit_transform`), one criterion benchmark per solver: `Full` (thin SVD of
//! the centred data), `CovarianceEigh` (768 × 768 covariance, then eigh) and `Randomized`.
//!
//! Input: the anchor script's data, standard normal (mlinalg's seeded generator) with column j
//! scaled by linspace(3, 0.1, 768)[j], so the variances decay. 300 MB; the solvers allocate a few
//! copies more (the centred data, the SVD's U): about 1.5 GB at peak.
//!
//! Each fit takes seconds, so criterion's minimum of 10 samples of one call each is what runs
//! (criterion warns that it cannot finish 10 samples in the target time: expected). On 2 busy
//! cores the whole bench took about 4 min: `Full` ~2 min, `CovarianceEigh` ~20 s, `Randomized`
//! ~1 min.
//!
//! ```sh
//! cargo bench -p mlinalg --bench pca                       # all three solvers
//! cargo bench -p mlinalg --bench pca -- covariance_eigh    # one
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use mlinalg::pca::{Pca, PcaSolver};
use mlinalg::random::Rng;
use ndarray::{Array1, Array2};

fn w6(c: &mut Criterion) {
    const N: usize = 100_000;
    const P: usize = 768;
    const K: usize = 128;
    let mut x: Array2<f32> = Rng::seed(1)
        .normal_matrix(N, P)
        .expect("300 MB of input can be allocated");
    x *= &Array1::linspace(3.0_f64, 0.1, P).mapv(|v| v as f32);
    let mut group = c.benchmark_group("W6");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(5));
    for (name, solver) in [
        ("full", PcaSolver::Full),
        ("covariance_eigh", PcaSolver::CovarianceEigh),
        ("randomized", PcaSolver::Randomized),
    ] {
        let pca = Pca::new().n_components(K).solver(solver).seed(0);
        group.bench_function(format!("fit_transform_{name}_100000x768_k128"), |bench| {
            bench.iter(|| pca.fit_transform(&x).expect("PCA fit"))
        });
    }
    group.finish();
}

criterion_group!(benches, w6);
criterion_main!(benches);
