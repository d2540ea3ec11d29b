//! The curse of dimensionality: volume at the surface, distances that concentrate, neighbours
//! that are nearly tied.

use super::util::text;
use crate::report::{Axes, Cell, Color, Figure, Section, Table};
use mlinalg::geometry::{
    ball_volume_fraction, distance_concentration, neighbor_gap, radius_holding_fraction,
};
use mlinalg::random::Rng;

/// Mass inside radius r for d = 2, 10, 100 (0.99^d, 0.5^(1/d)); (max − min)/min of distances as d
/// grows; the cosine gap between the 1st and 100th neighbour of random 384-d vectors.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "dimensions",
        "High dimensions: volume at the surface, distances that concentrate",
        "In d dimensions a ball's volume grows like rᵈ, so almost all of it lies in a thin outer shell; random points end up at nearly the same distance from each other, and a query's 1st and 100th nearest neighbours are nearly tied. That is why approximate search loses little.",
    );

    let mut t = Table::new([
        "d",
        "volume inside 0.99·R (0.99ᵈ)",
        "outer 1% shell",
        "radius holding half the volume (0.5^(1/d))",
    ])
    .caption("The fraction of a d-ball's volume inside radius r·R is rᵈ");
    for d in [2, 10, 100, 384, 768] {
        let inside = ball_volume_fraction(0.99, d)?;
        t.row([
            Cell::Count(d as u64),
            Cell::Num(inside),
            text(format!("{:.2}%", 100.0 * (1.0 - inside))),
            Cell::Num(radius_holding_fraction(0.5, d)?),
        ]);
    }
    s.table(t);

    let mut fig = Figure::new(480.0, 300.0);
    fig.ranges((0.0, 1.0), (0.0, 1.0))
        .axes(Axes::Frame)
        .labels("radius r (fraction of R)", "volume fraction inside r");
    for (d, color) in [(2, Color::BLUE), (10, Color::ORANGE), (100, Color::RED)] {
        let curve: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let r = f64::from(i) / 100.0;
                (r, r.powi(d))
            })
            .collect();
        fig.polyline(&curve, color, 1.8)
            .legend(color, format!("d = {d}"));
    }
    s.figure(fig, "Volume inside radius r: rᵈ. In 100 dimensions the inner 90% of the radius holds 0.003% of the volume.");

    let mut t = Table::new([
        "d",
        "mean nearest distance",
        "mean farthest distance",
        "(max − min) / min",
        "std / mean",
    ])
    .caption("Distances from 20 random queries to 1,000 random points in the unit cube");
    let mut curve = Vec::new();
    for d in [2, 10, 100, 1000] {
        let c = distance_concentration(d, 1000, 20, 0)?;
        t.row([
            Cell::Count(d as u64),
            Cell::Num(c.min),
            Cell::Num(c.max),
            Cell::Num(c.relative_contrast),
            Cell::Num(c.coefficient_of_variation),
        ]);
        curve.push(((d as f64).log10(), c.relative_contrast.log10()));
    }
    s.table(t);
    let mut fig = Figure::new(480.0, 300.0);
    fig.fit(&curve, 0.2)
        .axes(Axes::Frame)
        .labels("log₁₀ d", "log₁₀ (max − min) / min");
    fig.polyline(&curve, Color::PURPLE, 1.8);
    for &p in &curve {
        fig.point(p, Color::PURPLE, "");
    }
    s.figure(fig, "Relative contrast between the farthest and the nearest point falls steadily as the dimension grows: in 1000-D every point is about as far as every other.");

    let base = Rng::seed(1).normal_matrix::<f32>(5000, 384)?;
    let queries = Rng::seed(2).normal_matrix::<f32>(20, 384)?;
    let gap = neighbor_gap(&base, &queries, 100)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut t = Table::new(["data", "cosine of 1st neighbour", "cosine of 100th", "gap"])
        .caption("How far apart are the 1st and the 100th nearest neighbour? (exact search, mean over 20 queries)");
    t.row([
        text("5,000 random vectors, 384-d"),
        Cell::Num(mean(&gap.first)),
        Cell::Num(mean(&gap.last)),
        Cell::Num(gap.mean_gap()),
    ]);
    s.table(t);
    s.note("Random vectors are the worst case. Real sentence embeddings are clustered, so their neighbours are better separated (tests/geometry.rs measures the WordNet embeddings of ../shared/data), yet the top 100 still span a narrow band of similarity, which is why an approximate index that swaps near-ties loses little.");
    Ok(s)
}
