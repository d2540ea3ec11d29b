//! Vector norms: L1, L2, L∞ (and the rest of NumPy's `ord`s), and the unit vector.

use super::util::{text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::ndarray::array;
use mlinalg::vector::{norm, normalize, Norm};

/// v = [3, -4, 0]: L1 = 7, L2 = 5, L∞ = 4, unit vector [0.6, -0.8, 0].
pub fn section() -> mlinalg::Result<Section> {
    let v = array![3.0, -4.0, 0.0];
    let unit = normalize(&v)?;

    let mut s = Section::new(
        "norms",
        "Norms: measuring length",
        "A norm turns a vector into one length; L1 sums magnitudes (lasso), L2 is Euclidean length (weight decay), L∞ is the largest entry; dividing by the L2 norm gives a unit vector.",
    );
    let mut inputs = Table::new(["name", "value"]).caption("Input");
    inputs.row([text("v"), vector(&v)]);
    s.table(inputs);

    let mut t = Table::new(["norm", "formula", "value"]).caption("Norms of v");
    let rows: [(&str, &str, Norm); 6] = [
        ("L1", "Σ|vᵢ|", Norm::L1),
        ("L2 (default)", "√Σvᵢ²", Norm::L2),
        ("L∞", "max|vᵢ|", Norm::Inf),
        ("L-∞", "min|vᵢ|", Norm::NegInf),
        ("L0", "count of vᵢ ≠ 0", Norm::Zero),
        ("L3", "(Σ|vᵢ|³)^(1/3)", Norm::P(3.0)),
    ];
    for (name, formula, ord) in rows {
        t.row([text(name), text(formula), Cell::Num(norm(&v, ord)?)]);
    }
    s.table(t);

    let mut u = Table::new(["expression", "result"]).caption("Unit vector");
    u.row([text("v / ‖v‖₂"), vector(&unit)]);
    u.row([text("‖v / ‖v‖₂‖₂"), Cell::Num(norm(&unit, Norm::L2)?)]);
    s.table(u);
    Ok(s)
}
