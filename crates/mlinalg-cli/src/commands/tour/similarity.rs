//! The dot product, cosine similarity and the angle between vectors.

use super::util::{text, to1, vector, xy};
use crate::report::{format, Cell, Color, Figure, Section, Table};
use mlinalg::broadcast;
use mlinalg::ndarray::{arr0, array};
use mlinalg::vector::{angle, cosine_similarity, dot, AngleUnit};

/// [1,2,3]·[4,5,6] = 32; king/queen ≈ 0.999; king vs 100·king = 1; the 45° angle.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "similarity",
        "Dot product, cosine similarity and angle",
        "a·b = Σaᵢbᵢ = ‖a‖‖b‖cos θ: large when the arrows align, 0 when perpendicular; dividing out the lengths leaves cosine similarity, pure direction.",
    );

    let a = array![1.0, 2.0, 3.0];
    let b = array![4.0, 5.0, 6.0];
    let mut t = Table::new(["a", "b", "a · b"]).caption("Dot product");
    t.row([vector(&a), vector(&b), Cell::Num(dot(&a, &b)?)]);
    s.table(t);

    let king = array![0.9, 0.1, 0.8];
    let queen = array![0.85, 0.15, 0.75];
    let random = array![-0.3, 0.9, -0.1];
    let king_scaled = to1(broadcast::mul(&king, &arr0(100.0))?)?;
    let mut inputs = Table::new(["word", "embedding"]).caption("Toy word embeddings");
    inputs.row([text("king"), vector(&king)]);
    inputs.row([text("queen"), vector(&queen)]);
    inputs.row([text("random"), vector(&random)]);
    inputs.row([text("king * 100"), vector(&king_scaled)]);
    s.table(inputs);
    let mut cos =
        Table::new(["pair", "cosine similarity", "dot product"]).caption("Cosine similarity");
    cos.row([
        text("king – queen"),
        Cell::Num(cosine_similarity(&king, &queen)?),
        Cell::Num(dot(&king, &queen)?),
    ]);
    cos.row([
        text("king – random"),
        Cell::Num(cosine_similarity(&king, &random)?),
        Cell::Num(dot(&king, &random)?),
    ]);
    cos.row([
        text("king – king*100"),
        Cell::Num(cosine_similarity(&king, &king_scaled)?),
        Cell::Num(dot(&king, &king_scaled)?),
    ]);
    s.table(cos);
    s.note("Scaling king by 100 multiplies the dot product by 100 but leaves the cosine at 1: same direction.");

    let x = array![1.0, 0.0];
    let y = array![0.0, 1.0];
    let c = array![1.0, 1.0];
    let deg = angle(&x, &c, AngleUnit::Degrees)?;
    let mut g = Table::new(["pair", "dot", "cosine", "angle (degrees)"])
        .caption("Geometry: x = [1, 0], y = [0, 1], c = [1, 1]");
    g.row([
        text("x, y"),
        Cell::Num(dot(&x, &y)?),
        Cell::Num(cosine_similarity(&x, &y)?),
        Cell::Num(angle(&x, &y, AngleUnit::Degrees)?),
    ]);
    g.row([
        text("x, c"),
        Cell::Num(dot(&x, &c)?),
        Cell::Num(cosine_similarity(&x, &c)?),
        Cell::Num(deg),
    ]);
    s.table(g);

    let rad = angle(&x, &c, AngleUnit::Radians)?;
    let mut fig = Figure::new(320.0, 320.0);
    fig.ranges((-0.3, 1.5), (-0.3, 1.5))
        .equal_aspect()
        .labels("x", "y");
    let arc: Vec<(f64, f64)> = (0..=24)
        .map(|i| rad * f64::from(i) / 24.0)
        .map(|t| (0.35 * t.cos(), 0.35 * t.sin()))
        .collect();
    fig.polyline(&arc, Color::GREY, 1.5);
    fig.text(
        (0.5 * (rad / 2.0).cos(), 0.5 * (rad / 2.0).sin()),
        format!("{}°", format::num(deg)),
        Color::INK,
    );
    fig.arrow((0.0, 0.0), xy(&x), Color::BLUE, "x")
        .arrow((0.0, 0.0), xy(&y), Color::ORANGE, "y")
        .arrow((0.0, 0.0), xy(&c), Color::GREEN, "c");
    s.figure(
        fig,
        "x·y = 0: perpendicular. x and c meet at the angle arccos(x·c / (‖x‖‖c‖)).",
    );
    Ok(s)
}
