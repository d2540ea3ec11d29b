//! LoRA: a low-rank weight update, its savings, and merging it away.

use super::util::{text, to2};
use crate::report::{Cell, Section, Table};
use mlinalg::matrix::{matrix_rank, mm};
use mlinalg::nn::linear::Linear;
use mlinalg::nn::lora::{LoraBudget, LoraLinear};
use mlinalg::random::Rng;

fn max_abs_diff<'a>(
    a: impl IntoIterator<Item = &'a f32>,
    b: impl IntoIterator<Item = &'a f32>,
) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

/// 4096×4096 with r = 8: 65,536 vs 16,777,216 parameters (256×, 67 MB in f32); rank(BA) = 8;
/// an adapter that starts as a no-op; merge and unmerge.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "lora",
        "LoRA: fine-tuning through a low-rank update",
        "Instead of a full update ΔW (out × in), LoRA trains two thin matrices, B (out × r) and A (r × in), and adds (α/r)·B·A to the frozen weight. With r = 8 that is 256 times fewer parameters for a 4096 × 4096 layer.",
    );

    let mut t = Table::new([
        "rank r",
        "adapter r·(in+out)",
        "full in·out",
        "reduction",
        "adapter f32",
        "full f32",
    ])
    .caption("A 4096 × 4096 projection: LoRA adapter against a full weight update");
    for r in [1, 4, 8, 16, 64] {
        let b = LoraBudget::new(4096, 4096, r);
        t.row([
            Cell::Count(r as u64),
            Cell::Count(b.adapter_parameters as u64),
            Cell::Count(b.full_parameters as u64),
            text(format!("{:.0}×", b.reduction())),
            text(format!("{:.2} MB", b.adapter_bytes::<f32>() as f64 / 1e6)),
            text(format!("{:.1} MB", b.full_bytes::<f32>() as f64 / 1e6)),
        ]);
    }
    s.table(t);

    // The seeds' 768 example: B·A is a 768 × 768 matrix of rank 8.
    let mut rng = Rng::seed(8);
    let a = to2(rng.standard_normal::<f64>(&[8, 768])?)?;
    let b = to2(rng.standard_normal::<f64>(&[768, 8])?)?;
    let delta = mm(&b, &a)?;
    let mut t = Table::new([
        "ΔW = B·A",
        "rank",
        "parameters of B and A",
        "parameters of ΔW",
    ])
    .caption("A low-rank product: 768 × 768 but rank 8");
    t.row([
        text("(768, 8) · (8, 768)"),
        Cell::Count(matrix_rank(&delta, None)? as u64),
        Cell::Count((a.len() + b.len()) as u64),
        Cell::Count(delta.len() as u64),
    ]);
    s.table(t);

    // PEFT's initialisation (B = 0) makes a fresh adapter a no-op; merging folds it into W.
    let base = Linear::<f32>::init(512, 512, true, &mut rng)?;
    let mut lora = LoraLinear::new(base.clone(), 8, 16.0, &mut rng)?;
    let x = rng.standard_normal::<f32>(&[16, 512])?;
    let fresh = max_abs_diff(&lora.forward(&x)?, &base.forward(&x)?);
    let trained = rng.normal::<f32>(&[512, 8], 0.0, 0.02)?;
    lora.b_mut()?.assign(&to2(trained)?);
    let unmerged = lora.forward(&x)?;
    let moved = max_abs_diff(&unmerged, &base.forward(&x)?);
    lora.merge()?;
    let merged = max_abs_diff(&lora.forward(&x)?, &unmerged);
    lora.unmerge()?;
    let restored = max_abs_diff(lora.base().weight(), base.weight());
    let mut t = Table::new(["step", "max |difference|"])
        .caption("A 512 → 512 f32 layer with a rank-8 adapter, α = 16, on 16 inputs");
    t.row([
        text("fresh adapter (B = 0) vs base layer, outputs"),
        Cell::Num(fresh),
    ]);
    t.row([
        text("after training B, adapter vs base layer, outputs"),
        Cell::Num(moved),
    ]);
    t.row([
        text("merged W + (α/r)·B·A vs unmerged, outputs"),
        Cell::Num(merged),
    ]);
    t.row([
        text("unmerged weight vs original weight"),
        Cell::Num(restored),
    ]);
    s.table(t);
    s.note("Merged, the adapter costs nothing at inference: one GEMM with W + (α/r)·B·A instead of three.");
    Ok(s)
}
