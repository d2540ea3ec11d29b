//! Vectors as arrows: addition (tip to tail) and scalar multiplication.

use super::util::{shape, text, vector, xy};
use crate::report::{Color, Figure, Section, Table};
use mlinalg::broadcast;
use mlinalg::ndarray::{arr0, array};

/// a = [1, 2], b = [3, -1]: a + b = [4, 1], -2·a = [-2, -4].
pub fn section() -> mlinalg::Result<Section> {
    let a = array![1.0, 2.0];
    let b = array![3.0, -1.0];
    let k = arr0(-2.0);
    let sum = broadcast::add(&a, &b)?;
    let scaled = broadcast::mul(&k, &a)?;

    let mut s = Section::new(
        "vectors",
        "Vectors: addition and scaling",
        "A vector is an arrow from the origin: a + b walks a, then b (tip to tail); a scalar stretches the arrow, and a negative one also flips it.",
    );
    let mut inputs = Table::new(["name", "value", "shape"]).caption("Inputs");
    inputs.row([text("a"), vector(&a), shape(&a)]);
    inputs.row([text("b"), vector(&b), shape(&b)]);
    s.table(inputs);
    let mut results = Table::new(["expression", "result", "meaning"]).caption("Results");
    results.row([text("a + b"), vector(&sum), text("walk a, then b")]);
    results.row([
        text("-2 * a"),
        vector(&scaled),
        text("reversed and doubled"),
    ]);
    s.table(results);

    let (pa, pb, ps, pk) = (xy(&a), xy(&b), xy(&sum), xy(&scaled));
    let mut fig = Figure::new(380.0, 380.0);
    fig.fit(&[pa, pb, ps, pk, (pa.0 + pb.0, pa.1 + pb.1)], 0.8)
        .equal_aspect()
        .labels("x", "y");
    fig.arrow((0.0, 0.0), pa, Color::BLUE, "a")
        .arrow((0.0, 0.0), pb, Color::ORANGE, "b")
        .dashed_arrow(pa, ps, Color::ORANGE, "")
        .arrow((0.0, 0.0), ps, Color::GREEN, "a + b")
        .arrow((0.0, 0.0), pk, Color::RED, "-2a");
    s.figure(fig, "a + b (green) is b (orange, dashed) drawn from the tip of a (blue); -2a (red) points the other way, twice as long.");
    Ok(s)
}
