//! Projection: the component of a along b, and the part perpendicular to b.

use super::util::{flat, vector, xy};
use crate::report::{Cell, Color, Figure, Section, Table};
use mlinalg::broadcast;
use mlinalg::ndarray::{array, Array1};
use mlinalg::vector::{dot, project, reject};

/// project([3, 4], [1, 0]) = [3, 0], perpendicular [0, 4]; and a slanted b = [2, 1].
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "projection",
        "Projection: decomposing a vector along another",
        "proj_b(a) = (a·b̂) b̂ is the part of a along b, a − proj_b(a) the part perpendicular to b; the two add back up to a. Attention scores measure exactly this alignment.",
    );
    let mut t = Table::new([
        "a",
        "b",
        "along b",
        "perpendicular",
        "perp · b",
        "along + perp",
    ])
    .caption("Decompositions");
    let cases = [
        (array![3.0, 4.0], array![1.0, 0.0]),
        (array![3.0, 4.0], array![2.0, 1.0]),
    ];
    let mut figures = Vec::new();
    for (a, b) in &cases {
        let along = project(a, b)?;
        let perp = reject(a, b)?;
        t.row([
            vector(a),
            vector(b),
            vector(&along),
            vector(&perp),
            Cell::Num(dot(&perp, b)?),
            vector(&broadcast::add(&along, &perp)?),
        ]);
        figures.push((figure(a, b, &along, &perp), format!(
            "a = {} onto b = {}: the part along b (green) plus the perpendicular part (red, dashed) rebuild a.",
            crate::report::format::vector(&flat(a)),
            crate::report::format::vector(&flat(b)),
        )));
    }
    s.table(t);
    for (fig, caption) in figures {
        s.figure(fig, caption);
    }
    s.note("perp · b is 0 up to rounding: the perpendicular part has no component along b.");
    Ok(s)
}

fn figure(a: &Array1<f64>, b: &Array1<f64>, along: &Array1<f64>, perp: &Array1<f64>) -> Figure {
    let (pa, pb, pl, pp) = (xy(a), xy(b), xy(along), xy(perp));
    let mut fig = Figure::new(340.0, 340.0);
    fig.fit(&[pa, pb, pl, pp], 0.8)
        .equal_aspect()
        .labels("x", "y");
    // Right-angle marker where the perpendicular meets the line of b.
    let nb = pb.0.hypot(pb.1);
    let np = pp.0.hypot(pp.1);
    if nb > 0.0 && np > 0.0 {
        let m = 0.25;
        let (ub, up) = (
            (pb.0 / nb * m, pb.1 / nb * m),
            (pp.0 / np * m, pp.1 / np * m),
        );
        let c1 = (pl.0 - ub.0, pl.1 - ub.1);
        let c2 = (c1.0 + up.0, c1.1 + up.1);
        let c3 = (pl.0 + up.0, pl.1 + up.1);
        fig.polyline(&[c1, c2, c3], Color::GREY, 1.0);
    }
    fig.arrow((0.0, 0.0), pa, Color::BLUE, "a")
        .arrow((0.0, 0.0), pb, Color::ORANGE, "b")
        .arrow((0.0, 0.0), pl, Color::GREEN, "proj")
        .dashed_arrow(pl, pa, Color::RED, "perp");
    fig
}
