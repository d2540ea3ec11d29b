//! The outer product: two vectors make a rank-1 matrix.

use super::util::{matrix, shape, text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::broadcast;
use mlinalg::matrix::{allclose, matrix_rank};
use mlinalg::ndarray::{array, Axis};
use mlinalg::vector::outer;

/// outer([1, 2, 3], [4, 5]) = [[4, 5], [8, 10], [12, 15]], rank 1, equal to a[:, None] * b[None, :].
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "outer",
        "Outer product: from two vectors to a matrix",
        "outer(a, b)[i, j] = aᵢ·bⱼ: every row is a multiple of b, so the matrix has rank 1; attention patterns are weighted sums of such matrices.",
    );
    let a = array![1.0, 2.0, 3.0];
    let b = array![4.0, 5.0];
    let o = outer(&a, &b);
    let col = a.view().insert_axis(Axis(1));
    let row = b.view().insert_axis(Axis(0));
    let via_broadcast = broadcast::mul(&col, &row)?;
    let mut t = Table::new(["expression", "shape", "value"])
        .caption("a = [1, 2, 3] (query-like), b = [4, 5] (key-like)");
    t.row([text("a"), shape(&a), vector(&a)]);
    t.row([text("b"), shape(&b), vector(&b)]);
    t.row([text("outer(a, b)"), shape(&o), matrix(&o)]);
    t.row([
        text("a[:, None] * b[None, :]"),
        shape(&via_broadcast),
        matrix(&via_broadcast),
    ]);
    t.row([
        text("allclose(outer, broadcast)"),
        text(""),
        Cell::Bool(allclose(&o, &via_broadcast, 1e-5, 1e-8)?),
    ]);
    t.row([
        text("rank(outer(a, b))"),
        text(""),
        Cell::Count(matrix_rank(&o, None)? as u64),
    ]);
    s.table(t);
    Ok(s)
}
