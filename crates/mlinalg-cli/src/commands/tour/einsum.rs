//! einsum: one notation for dot products, matrix products, outer products and attention scores.

use super::util::{matrix, shape, text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::einsum::{einsum, einsum_path, einsum_view};
use mlinalg::matrix::{allclose, matmul};
use mlinalg::ndarray::{array, ArrayD};
use mlinalg::random::Rng;

/// 'i,i->' = 32; 'ij,jk->ik' = A@B; 'i,j->ij'; 'bhid,bhjd->bhij' → (8, 12, 128, 128);
/// 'bsd,df->bsf' = x@W; the contraction path of a chain.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "einsum",
        "einsum: every contraction in one notation",
        "Each operand gets one letter per axis; letters shared between operands and absent from the output are multiplied and summed over. 'i,i->' is a dot product, 'ij,jk->ik' a matrix product, 'i,j->ij' an outer product, and 'bhid,bhjd->bhij' the attention scores of every head at once. mlinalg lowers each pairwise contraction to a batched GEMM.",
    );

    let a = array![1.0, 2.0, 3.0].into_dyn();
    let b = array![4.0, 5.0, 6.0].into_dyn();
    let m = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].into_dyn();
    let n = array![[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]].into_dyn();
    let mut t = Table::new(["spec", "operation", "result"])
        .caption("Small examples (a = [1, 2, 3], b = [4, 5, 6])");
    let dot = einsum("i,i->", &[a.view(), b.view()])?;
    t.row([
        text("'i,i->'"),
        text("dot product a·b"),
        Cell::Num(dot.iter().copied().next().unwrap_or(f64::NAN)),
    ]);
    t.row([
        text("'i,j->ij'"),
        text("outer product"),
        matrix(&einsum("i,j->ij", &[a.view(), b.view()])?),
    ]);
    t.row([
        text("'ij,jk->ik'"),
        text("matrix product (3×2)(2×3)"),
        matrix(&einsum("ij,jk->ik", &[m.view(), n.view()])?),
    ]);
    t.row([
        text("'ij->ji'"),
        text("transpose (einsum_view: a view, no copy)"),
        matrix(&einsum_view("ij->ji", m.view())?.to_owned()),
    ]);
    t.row([
        text("'ij->j'"),
        text("column sums"),
        vector(&einsum("ij->j", &[m.view()])?),
    ]);
    let sq = array![[1.0, 2.0], [3.0, 4.0]].into_dyn();
    t.row([
        text("'ii->'"),
        text("trace"),
        Cell::Num(
            einsum("ii->", &[sq.view()])?
                .iter()
                .copied()
                .next()
                .unwrap_or(f64::NAN),
        ),
    ]);
    s.table(t);

    let mut rng = Rng::seed(11);
    let q: ArrayD<f32> = rng.standard_normal(&[8, 12, 128, 64])?;
    let k: ArrayD<f32> = rng.standard_normal(&[8, 12, 128, 64])?;
    let scores = einsum("bhid,bhjd->bhij", &[q.view(), k.view()])?;
    let kt = k.view().permuted_axes(vec![0, 1, 3, 2]);
    let by_matmul = matmul(&q, &kt)?;
    let x: ArrayD<f32> = rng.standard_normal(&[32, 128, 512])?;
    let w: ArrayD<f32> = rng.standard_normal(&[512, 2048])?;
    let projected = einsum("bsd,df->bsf", &[x.view(), w.view()])?;
    let mut t = Table::new(["spec", "operands", "result", "same as matmul"])
        .caption("Transformer-sized contractions (f32)");
    t.row([
        text("'bhid,bhjd->bhij'"),
        text("Q, K: (8, 12, 128, 64)"),
        shape(&scores),
        Cell::Bool(allclose(&scores, &by_matmul, 1e-4, 1e-3)?),
    ]);
    t.row([
        text("'bsd,df->bsf'"),
        text("x (32, 128, 512), W (512, 2048)"),
        shape(&projected),
        Cell::Bool(allclose(&projected, &matmul(&x, &w)?, 1e-4, 1e-3)?),
    ]);
    s.table(t);

    // The order of a chain matters: the greedy path contracts the cheap pair first.
    let path = einsum_path("ij,jk,kl->il", &[&[1000, 10], &[10, 1000], &[1000, 10]])?;
    let mut t = Table::new(["spec", "shapes", "naive FLOPs", "planned FLOPs", "speed-up"])
        .caption("einsum_path: a chain A·B·C, contracted pair by pair along a greedy path");
    t.row([
        text("'ij,jk,kl->il'"),
        text("(1000, 10) (10, 1000) (1000, 10)"),
        Cell::Count(u64::try_from(path.naive_flops()).unwrap_or(u64::MAX)),
        Cell::Count(u64::try_from(path.optimized_flops()).unwrap_or(u64::MAX)),
        text(format!(
            "{:.0}×",
            path.naive_flops() as f64 / path.optimized_flops().max(1) as f64
        )),
    ]);
    s.table(t);
    let steps: Vec<String> = path
        .steps()
        .iter()
        .map(|st| st.subscripts.clone())
        .collect();
    s.note(format!(
        "The path: {}; the naive contraction loops over all four indices at once.",
        steps.join(", then ")
    ));
    Ok(s)
}
