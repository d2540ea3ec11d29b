//! Benchmark W10 of `shared/bench/WORKLOADS.md`: einsum 'bhid,bhjd->bhij' (attention scores,
//! Q Kᵀ per batch and head) in f32 on (8, 12, 128, 64) x (8, 12, 128, 64), through
//! `mlinalg::einsum::einsum`; throughput in FLOPs (2·b·h·i·j·d, shown as elements/s: read
//! "Gelem/s" as GFLOP/s). A second function times the same product through `matrix::matmul` on
//! a transposed view of K, the floor einsum's lowering should reach.
//!
//! Inputs: seeded standard normal (mlinalg's ChaCha8 generator). Threads: rayon's default (all
//! cores; 2 on the reference machine).
//!
//! ```sh
//! cargo bench -p mlinalg --bench einsum
//! ```

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mlinalg::einsum::einsum;
use mlinalg::matrix::matmul;
use mlinalg::random::Rng;
use ndarray::{Array4, Ix4};

fn normal(shape: &[usize], seed: u64) -> Array4<f32> {
    Rng::seed(seed)
        .standard_normal::<f32>(shape)
        .expect("benchmark inputs are small enough to allocate")
        .into_dimensionality::<Ix4>()
        .expect("a 4-d shape")
}

/// W10: attention scores for 8 sequences, 12 heads, 128 positions, head dimension 64.
fn w10(c: &mut Criterion) {
    let (b, h, t, d) = (8, 12, 128, 64);
    let q = normal(&[b, h, t, d], 1);
    let k = normal(&[b, h, t, d], 2);
    let mut group = c.benchmark_group("W10");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(2 * (b * h * t * t * d) as u64));
    let operands = [q.view().into_dyn(), k.view().into_dyn()];
    group.bench_function(BenchmarkId::new("einsum_f32", "bhid,bhjd->bhij"), |bench| {
        bench.iter(|| einsum("bhid,bhjd->bhij", &operands).expect("valid spec"))
    });
    let kt = k.view().permuted_axes([0, 1, 3, 2]);
    group.bench_function(BenchmarkId::new("matmul_f32", "q @ k^T view"), |bench| {
        bench.iter(|| matmul(&q, &kt).expect("matching shapes"))
    });
    group.finish();
}

criterion_group!(benches, w10);
criterion_main!(benches);
