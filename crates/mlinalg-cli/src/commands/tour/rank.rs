//! Rank: how many independent directions a matrix has, and why LoRA's low-rank updates are cheap.

use super::util::{matrix, shape, text};
use crate::report::{Cell, Section, Table};
use mlinalg::matrix::{matrix_rank, mm};
use mlinalg::ndarray::array;
use mlinalg::random::Rng;
use mlinalg::tensor::numel;

/// rank([[1,0],[0,1]]) = 2, rank([[1,2],[2,4]]) = 1, and a (768×8)@(8×768) product has rank 8:
/// 12,288 parameters instead of 589,824.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "rank",
        "Rank and the LoRA parameter count",
        "The rank is the number of independent rows (or columns): a rank-r matrix can only produce outputs in an r-dimensional subspace, which is why a rank-8 update can be stored as two thin factors.",
    );
    let full = array![[1.0, 0.0], [0.0, 1.0]];
    let deficient = array![[1.0, 2.0], [2.0, 4.0]];
    let mut t = Table::new(["matrix", "rank", "why"]).caption("Small matrices");
    t.row([
        matrix(&full),
        Cell::Count(matrix_rank(&full, None)? as u64),
        text("rows independent"),
    ]);
    t.row([
        matrix(&deficient),
        Cell::Count(matrix_rank(&deficient, None)? as u64),
        text("row 2 = 2 × row 1"),
    ]);
    s.table(t);

    let (d, r) = (768_usize, 8_usize);
    let mut rng = Rng::seed(0);
    let a = rng.normal_matrix::<f64>(d, r)?;
    let b = rng.normal_matrix::<f64>(r, d)?;
    let delta = mm(&a, &b)?;
    let rank = matrix_rank(&delta, None)?;
    let full_params = numel(delta.shape());
    let lora_params = numel(a.shape()) + numel(b.shape());
    let mut l = Table::new(["quantity", "shape", "value"])
        .caption("A LoRA update ΔW = A @ B with r = 8 (seeded normal factors)");
    l.row([text("A"), shape(&a), text("")]);
    l.row([text("B"), shape(&b), text("")]);
    l.row([text("rank(ΔW)"), shape(&delta), Cell::Count(rank as u64)]);
    l.row([
        text("parameters of ΔW stored dense"),
        text(""),
        Cell::Count(full_params as u64),
    ]);
    l.row([
        text("parameters of A and B"),
        text(""),
        Cell::Count(lora_params as u64),
    ]);
    l.row([
        text("reduction"),
        text(""),
        Cell::Num(full_params as f64 / lora_params as f64),
    ]);
    s.table(l);
    s.note("ΔW is 768 × 768 but only 8 of its directions are independent: 768·8 + 8·768 numbers describe it exactly.");
    Ok(s)
}
