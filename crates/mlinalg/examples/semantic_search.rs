//! Semantic search over sentence embeddings: an exact cosine index, a PCA-reduced one with exact
//! re-ranking, and their recall@10 against the ground truth, on the WordNet embeddings of
//! ../shared/data (2000 × 384, all-MiniLM-L6-v2), or on clustered random vectors without them.
//!
//! `cargo run --release --example semantic_search`

use std::path::Path;
use std::time::Instant;

use mlinalg::io::{read_npy, read_npy_i64};
use mlinalg::random::Rng;
use mlinalg::search::{recall_at_k, FlatIndex, Metric, ReducedIndex};
use ndarray::{Array2, Ix2};

fn main() -> mlinalg::Result<()> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let (base, queries): (Array2<f32>, Array2<f32>) = if data.join("embeddings_base.npy").exists() {
        println!("WordNet sentence embeddings from {}", data.display());
        (
            read_npy::<f32, Ix2>(data.join("embeddings_base.npy"))?,
            read_npy::<f32, Ix2>(data.join("embeddings_queries.npy"))?,
        )
    } else {
        println!("../shared/data is absent: 2000 clustered random vectors instead");
        let centres = Rng::seed(0).normal_matrix::<f32>(50, 384)?;
        let noise = Rng::seed(1).normal_matrix::<f32>(2100, 384)? * 0.5;
        let all = Array2::from_shape_fn((2100, 384), |(i, j)| centres[[i % 50, j]] + noise[[i, j]]);
        (
            all.slice(ndarray::s![..2000, ..]).to_owned(),
            all.slice(ndarray::s![2000.., ..]).to_owned(),
        )
    };

    let start = Instant::now();
    let mut flat = FlatIndex::new(base.ncols(), Metric::Cosine)?;
    flat.add(&base)?;
    let exact = flat.search(&queries, 10)?;
    println!(
        "flat: {} vectors, {} queries in {:.1} ms",
        flat.len(),
        queries.nrows(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let truth = match read_npy_i64::<Ix2>(data.join("embeddings_gt_top100.npy")) {
        Ok(gt) => gt,
        Err(_) => exact.ids.clone(),
    };
    println!(
        "flat recall@10 = {:.3}",
        recall_at_k(&exact.ids, &truth, 10)?
    );
    println!(
        "query 0: nearest ids {:?}, cosine {:?}",
        exact.ids.row(0).to_vec(),
        exact
            .scores
            .row(0)
            .iter()
            .map(|s| (s * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );

    for components in [32, 64, 128] {
        let start = Instant::now();
        let reduced = ReducedIndex::build(&base, None, Metric::Cosine, components, 10)?;
        let hits = reduced.search(&queries, 10)?;
        println!(
            "PCA-{components} candidates, exact re-ranking: recall@10 = {:.3} (build + search {:.1} ms)",
            recall_at_k(&hits.ids, &truth, 10)?,
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
