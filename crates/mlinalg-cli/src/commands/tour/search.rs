//! Vector search: exact (flat) against approximate (HNSW) nearest neighbours, recall and speed.

use super::util::text;
use crate::report::{Axes, Cell, Color, Figure, Section, Table};
use mlinalg::ndarray::Array2;
use mlinalg::random::Rng;
use mlinalg::search::{recall_at_k, FlatIndex, HnswIndex, Metric};
use std::time::Instant;

/// 10,000 clustered 96-d vectors, 200 queries: flat search against HNSW at several ef.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "search",
        "Nearest neighbours: exact against approximate",
        "A flat index compares a query with every stored vector (one matrix product per batch) and is exact. HNSW walks a graph of near neighbours from a few entry points and visits a small fraction of the vectors; ef, the number of candidates it keeps, trades recall for speed. Because the nearest neighbours of a query are nearly tied in high dimensions, missing a few costs little.",
    );
    let (n, dim, n_queries, clusters) = (10_000, 96, 200, 100);
    let mut rng = Rng::seed(5);
    let centres = rng.normal_matrix::<f32>(clusters, dim)?;
    let noise = rng.normal_matrix::<f32>(n + n_queries, dim)? * 0.7;
    let labels = rng.integers(&[n + n_queries], 0, clusters as i64)?;
    let all = Array2::from_shape_fn((n + n_queries, dim), |(i, j)| {
        let c = usize::try_from(labels[[i]]).unwrap_or(0);
        centres[[c, j]] + noise[[i, j]]
    });
    let base = all.slice(mlinalg::ndarray::s![..n, ..]);
    let queries = all.slice(mlinalg::ndarray::s![n.., ..]);

    let start = Instant::now();
    let mut flat = FlatIndex::new(dim, Metric::Cosine)?;
    flat.add(&base)?;
    let flat_build = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let exact = flat.search(&queries, 10)?;
    let flat_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut hnsw = HnswIndex::new(dim, Metric::Cosine)?;
    hnsw.add(&base)?;
    let hnsw_build = start.elapsed().as_secs_f64();

    let qps = |seconds: f64| n_queries as f64 / seconds.max(1e-9);
    let mut t = Table::new(["index", "ef", "recall@10", "queries/s"])
        .caption(format!("{} clustered {dim}-d vectors, {n_queries} queries, cosine; built in {flat_build:.2} s (flat) and {hnsw_build:.2} s (HNSW, M = 16, ef_construction = 200)", crate::report::format::count(n as u64)));
    t.row([
        text("flat (exact)"),
        text("-"),
        Cell::Num(1.0),
        text(format!("{:.0}", qps(flat_seconds))),
    ]);
    let mut curve = Vec::new();
    for ef in [10, 16, 32, 64, 128] {
        let start = Instant::now();
        let hits = hnsw.search_with_ef(&queries, 10, ef)?;
        let seconds = start.elapsed().as_secs_f64();
        let recall = recall_at_k(&hits.ids, &exact.ids, 10)?;
        t.row([
            text("HNSW"),
            Cell::Count(ef as u64),
            Cell::Num(recall),
            text(format!("{:.0}", qps(seconds))),
        ]);
        curve.push((recall, qps(seconds).log10()));
    }
    s.table(t);
    let mut fig = Figure::new(460.0, 300.0);
    let mut pts = curve.clone();
    pts.push((1.0, qps(flat_seconds).log10()));
    fig.fit(&pts, 0.05)
        .axes(Axes::Frame)
        .labels("recall@10", "log₁₀ queries per second");
    fig.polyline(&curve, Color::BLUE, 1.8)
        .legend(Color::BLUE, "HNSW, ef = 10 … 128")
        .legend(Color::RED, "flat (exact)");
    for &p in &curve {
        fig.point(p, Color::BLUE, "");
    }
    fig.point((1.0, qps(flat_seconds).log10()), Color::RED, "flat");
    s.figure(fig, "Speed against recall: each HNSW point is one ef; the timings are this run's, on this machine.");
    s.note("Timings vary from run to run, and recall slightly: the data and the levels of the graph are seeded, but the parallel build links nodes in the order the threads reach them.");
    Ok(s)
}
