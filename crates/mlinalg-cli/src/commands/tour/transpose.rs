//! Transpose, the Gram matrix AᵀA (always square and symmetric), and the identity.

use super::util::{matrix, shape, text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::matrix::{allclose, eye, gram, is_symmetric, matvec, transpose};
use mlinalg::ndarray::array;

/// A = [[1,2,3],[4,5,6]]: Aᵀ is (3, 2); AᵀA is (3, 3) and symmetric; I @ [7, 8, 9] = [7, 8, 9].
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "transpose",
        "Transpose, symmetric matrices and the identity",
        "Transposing swaps rows and columns; AᵀA (the Gram matrix of A's columns) is square and symmetric whatever A's shape; the identity leaves every vector unchanged.",
    );
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let at = transpose(&a);
    let g = gram(&a);
    let gt = transpose(&g);
    let mut t = Table::new(["expression", "shape", "value"]).caption("A = [[1, 2, 3], [4, 5, 6]]");
    t.row([text("A"), shape(&a), matrix(&a)]);
    t.row([text("Aᵀ"), shape(&at), matrix(&at)]);
    t.row([text("G = AᵀA"), shape(&g), matrix(&g)]);
    t.row([
        text("G symmetric (G == Gᵀ)"),
        text(""),
        Cell::Bool(is_symmetric(&g, 1e-12)),
    ]);
    t.row([
        text("allclose(G, Gᵀ)"),
        text(""),
        Cell::Bool(allclose(&g, &gt, 1e-5, 1e-8)?),
    ]);
    s.table(t);

    let i3 = eye::<f64>(3);
    let x = array![7.0, 8.0, 9.0];
    let mut id = Table::new(["I (3×3)", "x", "I @ x"]).caption("Identity: no transformation");
    id.row([matrix(&i3), vector(&x), vector(&matvec(&i3, &x)?)]);
    s.table(id);
    Ok(s)
}
