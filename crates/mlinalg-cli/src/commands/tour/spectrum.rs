//! The spectrum of a weight matrix: how many directions it really uses, and what a LoRA-style
//! low-rank factorisation of it costs and keeps.

use super::util::{shape, text};
use crate::report::format::count;
use crate::report::{Axes, Cell, Color, Figure, Section, Table};
use mlinalg::lowrank::{lora_factors, Spectrum};
use mlinalg::matrix::mm;
use mlinalg::random::Rng;
use mlinalg::tensor::numel;

/// A 256×256 "weight" = rank-8 signal + small noise: σ falls off a cliff after 8; stable and
/// effective ranks, k90, the numerical rank, and the rank-8 LoRA factors' parameter count.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "spectrum",
        "The spectrum of a weight matrix, and LoRA",
        "Trained weight matrices are often close to low rank: a few singular values carry most of the energy. The spectrum says how many directions matter, and a rank-r factorisation W ≈ A·B keeps them at a fraction of the parameters.",
    );
    let (n, r) = (256_usize, 8_usize);
    let mut rng = Rng::seed(11);
    let signal = mm(
        &rng.normal_matrix::<f64>(n, r)?,
        &rng.normal_matrix::<f64>(r, n)?,
    )?;
    let noise = rng.normal_matrix::<f64>(n, n)? * 0.05;
    let w = &signal + &noise;
    let spec = Spectrum::of(&w)?;
    let sv = spec.singular_values();

    let mut t = Table::new(["measure", "value", "meaning"])
        .caption("W = (256×8)·(8×256) + 0.05·noise (seeded normal entries)");
    t.row([
        text("σ₁ … σ₈"),
        text(format!("{:.1} … {:.1}", sv[0], sv[r - 1])),
        text("the signal"),
    ]);
    t.row([
        text("σ₉, σ₂₅₆"),
        text(format!("{:.2}, {:.3}", sv[r], sv[n - 1])),
        text("the noise floor"),
    ]);
    t.row([
        text("stable rank ‖W‖²_F / ‖W‖²₂"),
        Cell::Num(spec.stable_rank()),
        text("how many σ of the size of σ₁"),
    ]);
    t.row([
        text("effective rank exp(H(σ/Σσ))"),
        Cell::Num(spec.effective_rank()),
        text("entropy of the spectrum"),
    ]);
    t.row([
        text("k90: smallest k with 90% of ‖W‖²_F"),
        Cell::Count(spec.rank_for_energy(0.9)? as u64),
        text(""),
    ]);
    t.row([
        text("numerical rank (NumPy's tolerance)"),
        Cell::Count(spec.numerical_rank(None)? as u64),
        text("noise makes it full"),
    ]);
    t.row([
        text("energy kept by rank 8"),
        text(format!("{:.2}%", 100.0 * spec.energy(r)?)),
        text(""),
    ]);
    s.table(t);

    let f = lora_factors(&w, r)?;
    let dense = numel(w.shape());
    let low = numel(f.a.shape()) + numel(f.b.shape());
    let mut l = Table::new(["", "shape", "parameters"])
        .caption("Rank-8 factors from the truncated SVD (√σ on each side)");
    l.row([text("W"), shape(&w), Cell::Count(dense as u64)]);
    l.row([
        text("A = U₈·√Σ₈"),
        shape(&f.a),
        Cell::Count(numel(f.a.shape()) as u64),
    ]);
    l.row([
        text("B = √Σ₈·V₈ᵀ"),
        shape(&f.b),
        Cell::Count(numel(f.b.shape()) as u64),
    ]);
    l.row([
        text("reduction"),
        text(""),
        text(format!("{:.0}×", dense as f64 / low as f64)),
    ]);
    l.row([
        text("‖W − A·B‖_F / ‖W‖_F"),
        text(""),
        Cell::Num(spec.frobenius_error(r)? / spec.frobenius_norm()),
    ]);
    s.table(l);
    let big = 4096_usize;
    s.note(format!(
        "At LLM scale, a {big}×{big} matrix with r = 8: {} parameters against {} ({}× fewer).",
        count((8 * 2 * big) as u64),
        count((big * big) as u64),
        big * big / (8 * 2 * big)
    ));

    let points: Vec<(f64, f64)> = sv
        .iter()
        .enumerate()
        .map(|(i, &x)| ((i + 1) as f64, x.max(1e-300).log10()))
        .collect();
    let mut fig = Figure::new(520.0, 300.0);
    fig.fit(&points, 0.05)
        .axes(Axes::Frame)
        .labels("index i", "log₁₀ σᵢ");
    fig.polyline(&points, Color::BLUE, 1.5);
    for &p in points.iter().take(r + 1) {
        fig.point(p, Color::BLUE, "");
    }
    let cliff = points[r - 1];
    fig.text(
        (cliff.0 + 4.0, cliff.1),
        "σ₈: the last of the signal",
        Color::INK,
    );
    s.figure(fig, "Singular values of W on a log scale: eight large ones (the rank-8 signal), then the flat noise floor.");
    Ok(s)
}
