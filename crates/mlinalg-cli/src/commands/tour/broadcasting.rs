//! Broadcasting: NumPy's shape rules, the bias add, per-row normalisation, and the classic
//! keepdims bug shown as the real error.

use super::util::{flat, shape, text};
use crate::report::{format, Cell, Section, Table};
use mlinalg::broadcast::{add, broadcast_shapes, div};
use mlinalg::random::Rng;
use mlinalg::vector::{norm_axis, Norm};

/// (32, 768) + (768,) works; (32, 768) / (32, 1) works; (32, 768) / (32,) is an error.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "broadcasting",
        "Broadcasting: NumPy's shape extension rules",
        "Shapes are compared right to left; a dimension of size 1 (or a missing one) is stretched to match; any other mismatch is an error, and the wrong keepdims is the classic way to hit it.",
    );

    let cases: [(&str, &[usize], &[usize]); 5] = [
        ("bias add", &[32, 768], &[768]),
        ("per-row scale (keepdims)", &[32, 768], &[32, 1]),
        ("attention mask", &[8, 12, 128, 128], &[128, 128]),
        ("outer via broadcast", &[3, 1], &[1, 2]),
        ("per-row scale without keepdims", &[32, 768], &[32]),
    ];
    let mut rules = Table::new(["case", "left", "right", "result"]).caption("The rule on shapes");
    for (name, a, b) in cases {
        let result = match broadcast_shapes("broadcast", &[a, b]) {
            Ok(out) => format::shape(&out),
            Err(e) => format!("error: {}", e.message()),
        };
        rules.row([
            text(name),
            Cell::Shape(a.to_vec()),
            Cell::Shape(b.to_vec()),
            text(result),
        ]);
    }
    s.table(rules);

    let mut rng = Rng::seed(0);
    let activations = rng.normal::<f64>(&[32, 768], 0.0, 1.0)?;
    let bias = rng.normal::<f64>(&[768], 0.0, 1.0)?;
    let biased = add(&activations, &bias)?;
    let norms = norm_axis(&activations, Norm::L2, 1, true)?;
    let normalised = div(&activations, &norms)?;
    let row_norms = flat(&norm_axis(&normalised, Norm::L2, 1, false)?);
    let worst = row_norms
        .iter()
        .map(|n| (n - 1.0).abs())
        .fold(0.0, f64::max);
    let wrong_norms = norm_axis(&activations, Norm::L2, 1, false)?;

    let mut t = Table::new(["expression", "shapes", "result shape"])
        .caption("On arrays (seeded normal activations)");
    t.row([
        text("activations + bias"),
        text("(32, 768) + (768,)"),
        shape(&biased),
    ]);
    t.row([
        text("norms = norm(activations, axis=1, keepdims=True)"),
        text("(32, 768) → (32, 1)"),
        shape(&norms),
    ]);
    t.row([
        text("activations / norms"),
        text("(32, 768) / (32, 1)"),
        shape(&normalised),
    ]);
    t.row([
        text("wrong_norms = norm(activations, axis=1)"),
        text("(32, 768) → (32,)"),
        shape(&wrong_norms),
    ]);
    s.table(t);
    s.note(format!(
        "After normalising, every row has norm 1 (largest deviation {}).",
        format::num(worst)
    ));
    match div(&activations, &wrong_norms) {
        Err(e) => s.error("activations / wrong_norms", &e),
        Ok(r) => s.note(format!(
            "unexpected: the division gave shape {}",
            format::shape(r.shape())
        )),
    };
    Ok(s)
}
