//! Tensor shapes: the dimension hierarchy, (B, T, D), reshape, permute, squeeze/unsqueeze and
//! attention-head splitting.

use super::util::{shape, text};
use crate::report::{format, Cell, Section, Table};
use mlinalg::ndarray::{Array, Array3, IxDyn};
use mlinalg::tensor::{
    contiguous, merge_heads, numel, permute, reshape, split_heads, squeeze, unsqueeze,
};

/// (8, 512, 768) → reshape (8, 512, 12, 64) → permute (8, 12, 512, 64); numel(8, 12, 128, 64)
/// = 786,432; squeeze (8, 1, 512) → (8, 512), unsqueeze → (1, 8, 512).
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "tensors",
        "Tensors: shapes, reshape, permute, squeeze",
        "Every tensor is a block of numbers plus a shape; reshape reinterprets the same elements in row-major order, permute reorders the axes, squeeze/unsqueeze remove or add size-1 axes.",
    );

    let mut h = Table::new(["name", "shape", "ndim", "numel"]).caption("The dimension hierarchy");
    let examples: [(&str, &[usize]); 5] = [
        ("scalar", &[]),
        ("vector", &[3]),
        ("matrix", &[4, 5]),
        ("3-D tensor", &[2, 4, 5]),
        ("(B, H, T, D/H) in attention", &[8, 12, 128, 64]),
    ];
    for (name, dims) in examples {
        h.row([
            text(name),
            Cell::Shape(dims.to_vec()),
            Cell::Count(dims.len() as u64),
            Cell::Count(numel(dims) as u64),
        ]);
    }
    s.table(h);

    // x holds its own flat index, so where an element lands after each step can be read off.
    let (b, t, d, heads) = (8_usize, 512_usize, 768_usize, 12_usize);
    let dh = d / heads;
    let x: Array3<f32> = Array::from_iter((0..b * t * d).map(|i| i as f32))
        .into_shape_with_order((b, t, d))
        .map_err(|e| mlinalg::Error::new(mlinalg::ErrorKind::Shape, "tour", e.to_string()))?;
    let x_heads = reshape(&x, &[8, 512, 12, 64])?;
    let x_inferred = reshape(&x, &[8, 512, 12, -1])?;
    let x_perm = permute(&x_heads, &[0, 2, 1, 3])?;
    let x_cont = contiguous(&x_perm);
    let split = split_heads(&x, heads)?;
    let merged = merge_heads(&split)?;

    let mut r = Table::new(["step", "call", "shape"])
        .caption("Splitting D = 768 into 12 heads of 64 (x: (B, T, D) = (8, 512, 768), f32)");
    r.row([text("x"), text("(B, T, D)"), shape(&x)]);
    r.row([
        text("reshape"),
        text("x.reshape(8, 512, 12, 64)"),
        shape(&x_heads),
    ]);
    r.row([
        text("reshape with -1"),
        text("x.reshape(8, 512, 12, -1)"),
        shape(&x_inferred),
    ]);
    r.row([
        text("permute"),
        text("x_heads.permute(0, 2, 1, 3)"),
        shape(&x_perm),
    ]);
    r.row([
        text("contiguous"),
        text("x_perm.contiguous()"),
        shape(&x_cont),
    ]);
    r.row([
        text("split_heads"),
        text("split_heads(x, 12)"),
        shape(&split),
    ]);
    r.row([
        text("split_heads == permute(reshape)"),
        text(""),
        Cell::Bool(split.view().into_dyn() == x_perm),
    ]);
    r.row([
        text("merge_heads"),
        text("merge_heads(split)"),
        shape(&merged),
    ]);
    r.row([
        text("merge_heads(split_heads(x)) == x"),
        text(""),
        Cell::Bool(merged == x),
    ]);
    s.table(r);

    // Element (b=1, h=3, t=5, d=7) of the permuted tensor is x[1, 5, 3·64 + 7].
    let (bi, hi, ti, di) = (1_usize, 3_usize, 5_usize, 7_usize);
    let got = x_perm
        .get(IxDyn(&[bi, hi, ti, di]))
        .copied()
        .unwrap_or(f32::NAN);
    let want = x.get((bi, ti, hi * dh + di)).copied().unwrap_or(f32::NAN);
    let mut e =
        Table::new(["element", "value"]).caption("Where an element goes (x holds its flat index)");
    e.row([
        text(format!("x_perm[{bi}, {hi}, {ti}, {di}]")),
        Cell::Num(f64::from(got)),
    ]);
    e.row([
        text(format!("x[{bi}, {ti}, {hi}·64 + {di}]")),
        Cell::Num(f64::from(want)),
    ]);
    s.table(e);

    let y = Array::<f32, _>::zeros(IxDyn(&[8, 1, 512]));
    let y_sq = squeeze(&y, Some(1))?;
    let y_us = unsqueeze(&y_sq, 0)?;
    let mut q = Table::new(["call", "shape"]).caption("squeeze / unsqueeze");
    q.row([text("y"), shape(&y)]);
    q.row([text("y.squeeze(1)"), shape(&y_sq)]);
    q.row([text("y_sq.unsqueeze(0)"), shape(&y_us)]);
    s.table(q);

    match reshape(&x, &[8, 512, 10, 64]) {
        Err(err) => s.error(
            format!(
                "x.reshape(8, 512, 10, 64) with x of shape {}",
                format::shape(x.shape())
            ),
            &err,
        ),
        Ok(r) => s.note(format!(
            "unexpected: reshape gave {}",
            format::shape(r.shape())
        )),
    };
    Ok(s)
}
