//! Benchmarks W8 and W9 of `shared/bench/WORKLOADS.md`, smaller, for iterating on the search
//! code (the full sizes, against FAISS and hnswlib, are in `compare/`):
//!
//! - `W8-small/flat`: exact top-10 cosine kNN, `FlatIndex::search`, 20 000 × 768 f32 base
//!   (normalised standard normal), 200 queries.
//! - `W9-small/hnsw_ef{16,64}`: the HNSW query path, `HnswIndex::search_with_ef`, top-10 over
//!   10 000 × 768 clustered f32 vectors (W9's generator: 100 centres, noise 0.6, normalised;
//!   M = 16, ef_construction = 200), 200 queries. The build (about 20 s on 2 cores) is outside
//!   the timed region; `W9-small/build_2000` times a 2 000-vector build.
//!
//! ```sh
//! cargo bench -p mlinalg --bench search
//! cargo bench -p mlinalg --bench search -- W9-small/hnsw_ef16
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use mlinalg::random::Rng;
use mlinalg::search::{FlatIndex, HnswIndex, Metric};
use ndarray::{s, Array2, Axis};

fn normalised(mut x: Array2<f32>) -> Array2<f32> {
    for mut row in x.axis_iter_mut(Axis(0)) {
        let n = row.dot(&row).sqrt();
        row.mapv_inplace(|v| v / n);
    }
    x
}

fn clustered(seed: u64, n: usize, dim: usize, centres: usize) -> Array2<f32> {
    let c: Array2<f32> = Rng::seed(100).normal_matrix(centres, dim).expect("centres");
    let mut rng = Rng::seed(seed);
    let labels = rng.integers(&[n], 0, centres as i64).expect("labels");
    let mut x: Array2<f32> = rng.normal_matrix(n, dim).expect("noise");
    for (mut row, &l) in x.axis_iter_mut(Axis(0)).zip(labels.iter()) {
        row.zip_mut_with(&c.row(l as usize), |v, &m| *v = m + 0.6 * *v);
    }
    normalised(x)
}

fn w8(c: &mut Criterion) {
    let base = normalised(Rng::seed(1).normal_matrix(20_000, 768).expect("base"));
    let queries = normalised(Rng::seed(2).normal_matrix(200, 768).expect("queries"));
    let mut index = FlatIndex::new(768, Metric::Cosine).expect("index");
    index.add(&base).expect("add");
    let mut group = c.benchmark_group("W8-small");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("flat", |b| b.iter(|| index.search(&queries, 10)));
    group.finish();
}

fn w9(c: &mut Criterion) {
    let base = clustered(1, 10_000, 768, 100);
    let queries = clustered(2, 200, 768, 100);
    let mut index = HnswIndex::new(768, Metric::Dot).expect("index");
    index.add(&base).expect("add");
    let mut group = c.benchmark_group("W9-small");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for ef in [16, 64] {
        group.bench_function(format!("hnsw_ef{ef}"), |b| {
            b.iter(|| index.search_with_ef(&queries, 10, ef))
        });
    }
    let small = base.slice(s![..2000, ..]).to_owned();
    group.bench_function("build_2000", |b| {
        b.iter(|| {
            let mut i = HnswIndex::new(768, Metric::Dot).expect("index");
            i.add(&small).map(|_| i)
        })
    });
    group.finish();
}

criterion_group!(benches, w8, w9);
criterion_main!(benches);
