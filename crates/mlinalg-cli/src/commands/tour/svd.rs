//! The SVD, A = U·Σ·Vᵀ, and the Eckart–Young theorem: truncating it gives the best low-rank
//! approximation, with an error equal to the first dropped singular value.

use super::util::{matrix, text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::decomp::{norm2, svd};
use mlinalg::lowrank::{best_rank_k, Spectrum};
use mlinalg::matrix::{allclose, mm};
use mlinalg::ndarray::array;
use mlinalg::random::Rng;
use mlinalg::vector::{norm, Norm};

/// svd([[1,2],[3,4],[5,6]]): σ ≈ 9.525, 0.514 and σ₁ holding 99.7% of the energy; then a seeded
/// 8×6 matrix whose rank-k truncations have ‖A − A_k‖₂ = σ_{k+1} and ‖A − A_k‖_F = √Σσ²_{>k}.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "svd",
        "The SVD and the best low-rank approximation",
        "Every matrix factors as A = U·Σ·Vᵀ: rotate (Vᵀ), stretch by the singular values σ (Σ), rotate again (U). Keeping the k largest σ gives the closest rank-k matrix (Eckart–Young), and the error is exactly what was dropped.",
    );
    let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let f = svd(&a, false)?;
    let us = &f.u * &f.s;
    let back = mm(&us, &f.vt)?;
    let spectrum = Spectrum::of(&a)?;
    let mut t =
        Table::new(["quantity", "value"]).caption("svd(A) for A = [[1, 2], [3, 4], [5, 6]] (thin)");
    t.row([text("U (3×2)"), matrix(&f.u)]);
    t.row([text("σ"), vector(&f.s)]);
    t.row([text("Vᵀ (2×2)"), matrix(&f.vt)]);
    t.row([
        text("U·diag(σ)·Vᵀ == A"),
        Cell::Bool(allclose(&back, &a, 1e-12, 1e-12)?),
    ]);
    t.row([
        text("energy of σ₁: σ₁² / Σσ²"),
        text(format!("{:.2}%", 100.0 * spectrum.energy(1)?)),
    ]);
    t.row([
        text("σ₁ / Σσ (the tutorials' \"singular value energy\")"),
        text(format!("{:.2}%", 100.0 * spectrum.sv_sum_fraction(1)?)),
    ]);
    s.table(t);

    let mut rng = Rng::seed(5);
    let m = rng.normal_matrix::<f64>(8, 6)?;
    let spec = Spectrum::of(&m)?;
    let mut e = Table::new([
        "k",
        "‖A − A_k‖₂",
        "σ_{k+1}",
        "‖A − A_k‖_F",
        "√Σ_{i>k} σᵢ²",
        "energy kept",
    ])
    .caption(
        "Eckart–Young on a seeded 8×6 normal matrix: the errors of the best rank-k approximation",
    );
    for k in 0..=6 {
        let ak = best_rank_k(&m, k)?;
        let diff = &m - &ak;
        e.row([
            Cell::Count(k as u64),
            Cell::Num(norm2(&diff)?),
            Cell::Num(spec.spectral_error(k)?),
            Cell::Num(norm(&diff, Norm::Fro)?),
            Cell::Num(spec.frobenius_error(k)?),
            text(format!("{:.1}%", 100.0 * spec.energy(k)?)),
        ]);
    }
    s.table(e);
    Ok(s)
}
