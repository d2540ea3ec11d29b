//! Hadamard (elementwise) product versus the matrix product: same inputs, different answers.
//!
//! `A * B` is NumPy's broadcasting multiply, `mlinalg::broadcast::mul` (which
//! `mlinalg::vector::hadamard` is documented to equal).

use super::util::{matrix, vector};
use crate::report::{Section, Table};
use mlinalg::broadcast::mul;
use mlinalg::matrix::mm;
use mlinalg::ndarray::array;

/// A = [[1,2],[3,4]], B = [[5,6],[7,8]]: A∘B = [[5,12],[21,32]], A@B = [[19,22],[43,50]];
/// an LSTM forget gate applied elementwise.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "hadamard",
        "Hadamard product versus matrix product",
        "A * B multiplies matching entries (gates, masks, dropout); A @ B takes row-by-column dot products (layers): confusing the two is a classic silent bug.",
    );
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let b = array![[5.0, 6.0], [7.0, 8.0]];
    let mut t = Table::new(["A", "B", "A * B (Hadamard)", "A @ B (matmul)"]);
    t.row([
        matrix(&a),
        matrix(&b),
        matrix(&mul(&a, &b)?),
        matrix(&mm(&a, &b)?),
    ]);
    s.table(t);

    let f = array![0.8, 0.1, 0.95];
    let cell_prev = array![2.0, 5.0, 1.0];
    let mut g = Table::new(["forget gate f", "previous cell", "f * cell (kept memory)"])
        .caption("LSTM forget gate");
    g.row([
        vector(&f),
        vector(&cell_prev),
        vector(&mul(&f, &cell_prev)?),
    ]);
    s.table(g);
    s.note("A gate of 0.1 keeps a tenth of that memory cell; 0.95 keeps almost all of it.");
    Ok(s)
}
