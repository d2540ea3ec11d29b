//! Benchmarks W3a and W3b of `shared/bench/WORKLOADS.md`: scaled dot-product attention, f32,
//! B = 8, H = 12, T = 512, Dh = 64, without a mask (W3a) and causal (W3b), through mlinalg's
//! public API, one criterion group per workload id. Throughput in FLOPs 4·B·H·T·T·Dh (shown as
//! elements/s: read "Gelem/s" as GFLOP/s; for W3b the same count, as WORKLOADS.md asks, though
//! the causal kernel skips the blocks above the diagonal).
//!
//! Besides the default tile, a few block sizes are timed, the sweep that chose the defaults.
//! Threads: rayon's default (all cores; 2 on the reference machine).
//!
//! ```sh
//! cargo bench -p mlinalg --bench attention            # both
//! cargo bench -p mlinalg --bench attention -- W3b     # one workload
//! ```

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mlinalg::nn::attention::{scaled_dot_product_attention, AttentionOptions};
use mlinalg::random::Rng;
use ndarray::{Array4, Ix4};

const SHAPE: [usize; 4] = [8, 12, 512, 64];

fn normal(seed: u64) -> Array4<f32> {
    Rng::seed(seed)
        .standard_normal::<f32>(&SHAPE)
        .expect("benchmark inputs are small enough to allocate")
        .into_dimensionality::<Ix4>()
        .expect("a 4-D shape")
}

fn attention(c: &mut Criterion, id: &str, causal: bool) {
    let (q, k, v) = (normal(1), normal(2), normal(3));
    let [b, h, t, d] = SHAPE.map(|x| x as u64);
    let mut group = c.benchmark_group(id);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(4 * b * h * t * t * d));
    for blocks in [None, Some((64, 512)), Some((128, 256)), Some((256, 512))] {
        let mut opts = AttentionOptions::new().causal(causal);
        let name = match blocks {
            Some((bq, bk)) => {
                opts = opts.block_sizes(bq, bk);
                format!("blocks_{bq}x{bk}")
            }
            None => "default".to_string(),
        };
        group.bench_function(BenchmarkId::new("sdpa_f32", name), |bench| {
            bench.iter(|| scaled_dot_product_attention(&q, &k, &v, &opts).expect("valid shapes"))
        });
    }
    group.finish();
}

fn w3a(c: &mut Criterion) {
    attention(c, "W3a", false);
}

fn w3b(c: &mut Criterion) {
    attention(c, "W3b", true);
}

criterion_group!(benches, w3a, w3b);
criterion_main!(benches);
