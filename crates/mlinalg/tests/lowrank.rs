//! Tests of `mlinalg::lowrank`: the Eckart–Young errors of `best_rank_k` measured directly (2-norm
//! and Frobenius norm of A − A_k) on seeded tall, wide, square and rank-deficient matrices; the
//! spectrum measures against their definitions on hand-made spectra; LoRA factors; errors.
//!
//! Tolerances: the truncation's error is computed from an SVD whose values are accurate to about
//! eps·σ₁·max(m, n), so errors are compared to 100·eps·σ₁·max(m, n).

use mlinalg::decomp::{norm2, svd};
use mlinalg::lowrank::{
    best_rank_k, lora_factors, truncated_svd, truncated_svd_with, Spectrum, TruncatedSvdSolver,
};
use mlinalg::matrix::{matrix_rank, mm};
use mlinalg::random::Rng;
use mlinalg::vector::{norm, Norm};
use mlinalg::ErrorKind;
use ndarray::{array, Array1, Array2};

fn low_rank_plus(rng: &mut Rng, m: usize, n: usize, r: usize, noise: f64) -> Array2<f64> {
    let a = mm(
        &rng.normal_matrix::<f64>(m, r).unwrap(),
        &rng.normal_matrix::<f64>(r, n).unwrap(),
    )
    .unwrap();
    a + rng.normal_matrix::<f64>(m, n).unwrap() * noise
}

#[test]
fn eckart_young_errors_hold_for_every_k() -> mlinalg::Result<()> {
    let mut rng = Rng::seed(1);
    for (m, n, r, noise) in [
        (30, 20, 20, 1.0),
        (20, 30, 5, 0.0),
        (25, 25, 3, 1e-3),
        (40, 1, 1, 0.0),
        (1, 7, 1, 0.0),
    ] {
        let a = low_rank_plus(&mut rng, m, n, r, noise);
        let spec = Spectrum::of(&a)?;
        let s1 = spec.spectral_norm();
        let tol = 100.0 * f64::EPSILON * s1 * m.max(n) as f64;
        for k in 0..=m.min(n) {
            let ak = best_rank_k(&a, k)?;
            assert!(matrix_rank(&ak, None)? <= k, "rank of A_{k}");
            let diff = &a - &ak;
            let (e2, ef) = (norm2(&diff)?, norm(&diff, Norm::Fro)?);
            assert!(
                (e2 - spec.spectral_error(k)?).abs() <= tol,
                "{m}x{n} k={k}: ‖A−A_k‖₂ {e2} vs σ_k+1 {}",
                spec.spectral_error(k)?
            );
            assert!(
                (ef - spec.frobenius_error(k)?).abs() <= tol,
                "{m}x{n} k={k}: ‖A−A_k‖_F {ef} vs {}",
                spec.frobenius_error(k)?
            );
            // Energy and error are two views of the same split: kept + lost = all.
            let kept = spec.energy(k)? * spec.frobenius_norm().powi(2);
            assert!(
                (kept + spec.frobenius_error(k)?.powi(2) - spec.frobenius_norm().powi(2)).abs()
                    <= tol * s1
            );
        }
    }
    Ok(())
}

#[test]
fn truncated_svd_is_the_head_of_the_svd() -> mlinalg::Result<()> {
    let a = Rng::seed(2).normal_matrix::<f64>(12, 9)?;
    let full = svd(&a, false)?;
    let t = truncated_svd(&a, 4)?;
    assert_eq!((t.u.dim(), t.s.len(), t.vt.dim()), ((12, 4), 4, (4, 9)));
    assert_eq!(t.s, full.s.slice(ndarray::s![..4]));
    assert!(truncated_svd(&a, 10).is_err());
    assert_eq!(best_rank_k(&a, 0)?, Array2::<f64>::zeros((12, 9)));
    Ok(())
}

/// Every solver gives the top k of the full SVD: Full and Krylov (and Auto, which picks Krylov
/// for this shape) to their tolerances, Randomized to its looser accuracy on this decaying
/// spectrum. Krylov's values are within 2·tol·σ₁ (f64 tol 1e-10: a Ritz value with residual r
/// is within r of a singular value); randomized's within 1e-6·σ₁ (the spectrum decays as
/// 0.9^i, so 7 power iterations with 10 oversamples leave about (σ₁₀/σ₂₀)^15 ≈ 1e-7).
#[test]
fn truncated_svd_solvers_agree() -> mlinalg::Result<()> {
    use TruncatedSvdSolver::*;
    let mut rng = Rng::seed(21);
    let u = svd(&rng.normal_matrix::<f64>(600, 400)?, false)?.u;
    let v = svd(&rng.normal_matrix::<f64>(400, 400)?, false)?.u;
    let sigma = Array1::from_shape_fn(400, |i| 0.9_f64.powi(i as i32));
    let a = mm(&(&u * &sigma), &v.t())?;
    assert_eq!(Auto.for_shape(600, 400, 10), Krylov);
    assert_eq!(Auto.for_shape(600, 400, 11), Full);
    let exact = truncated_svd_with(&a, 10, Full)?;
    for (solver, tol) in [(Auto, 2e-10), (Krylov, 2e-10), (Randomized, 1e-6)] {
        let f = truncated_svd_with(&a, 10, solver)?;
        assert_eq!(
            (f.u.dim(), f.s.len(), f.vt.dim()),
            ((600, 10), 10, (10, 400))
        );
        for i in 0..10 {
            assert!((f.s[i] - exact.s[i]).abs() <= tol, "{solver:?} σ{i}");
            // Separated values (gap 10%): the vectors agree up to sign to about tol / gap.
            let cos = f.u.column(i).dot(&exact.u.column(i)).abs();
            assert!(1.0 - cos <= 1e-6, "{solver:?} u{i}: cos {cos}");
        }
    }
    assert_eq!(truncated_svd(&a, 10)?, truncated_svd_with(&a, 10, Krylov)?);
    for solver in [Auto, Full, Krylov, Randomized] {
        let f = truncated_svd_with(&a, 0, solver)?;
        assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((600, 0), 0, (0, 400)));
        let e = truncated_svd_with(&a, 401, solver).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    Ok(())
}

#[test]
fn spectrum_measures_follow_their_definitions() -> mlinalg::Result<()> {
    let s = array![5.0_f64, 3.0, 2.0, 1.0, 0.5];
    let spec = Spectrum::from_singular_values(s.clone(), (10, 5))?;
    let sq: f64 = s.iter().map(|x| x * x).sum(); // 39.25
    assert!((spec.frobenius_norm() - sq.sqrt()).abs() < 1e-14);
    assert_eq!(spec.nuclear_norm(), 11.5);
    assert!((spec.stable_rank() - sq / 25.0).abs() < 1e-14);
    assert!((spec.energy(2)? - 34.0 / sq).abs() < 1e-15);
    assert!((spec.sv_sum_fraction(2)? - 8.0 / 11.5).abs() < 1e-15);
    assert_eq!(spec.spectral_error(2)?, 2.0);
    assert_eq!(spec.spectral_error(5)?, 0.0);
    assert!((spec.frobenius_error(2)? - 5.25_f64.sqrt()).abs() < 1e-15);
    // 25/39.25 = 0.637, 34/39.25 = 0.866, 38/39.25 = 0.968
    assert_eq!(spec.rank_for_energy(0.6)?, 1);
    assert_eq!(spec.rank_for_energy(0.9)?, 3);
    assert_eq!(spec.rank_for_energy(1.0)?, 5);
    // Effective rank: exp of the entropy of σ / Σσ.
    let p: Array1<f64> = &s / 11.5;
    let h: f64 = p.iter().map(|q| -q * q.ln()).sum();
    assert!((spec.effective_rank() - h.exp()).abs() < 1e-13);
    // Numerical rank: NumPy's tolerance 5 · 10 · eps keeps all five; a tolerance of 1.5 keeps 3.
    assert_eq!(spec.numerical_rank(None)?, 5);
    assert_eq!(spec.numerical_rank(Some(1.5))?, 3);
    assert!(spec.numerical_rank(Some(-1.0)).is_err());
    Ok(())
}

#[test]
fn zero_and_empty_matrices() -> mlinalg::Result<()> {
    let zero = Spectrum::of(&Array2::<f64>::zeros((4, 3)))?;
    assert_eq!(zero.stable_rank(), 0.0);
    assert_eq!(zero.effective_rank(), 0.0);
    assert_eq!(zero.energy(0)?, 1.0);
    assert_eq!(zero.rank_for_energy(0.9)?, 0);
    assert_eq!(zero.numerical_rank(None)?, 0);
    let empty = Spectrum::of(&Array2::<f32>::zeros((0, 3)))?;
    assert_eq!(empty.singular_values().len(), 0);
    assert_eq!(empty.frobenius_error(0)?, 0.0);
    assert!(empty.energy(1).is_err());
    Ok(())
}

#[test]
fn f32_spectra_accumulate_in_f64() -> mlinalg::Result<()> {
    // 10,000 equal singular values: an f32 running sum of squares would drift; f64 does not.
    let s = Array1::<f32>::from_elem(10_000, 0.1);
    let spec = Spectrum::from_singular_values(s, (10_000, 10_000))?;
    assert!((spec.effective_rank() - 10_000.0).abs() < 1e-6 * 10_000.0);
    assert!((spec.energy(5_000)? - 0.5).abs() < 1e-12);
    Ok(())
}

#[test]
fn lora_factors_split_the_truncation() -> mlinalg::Result<()> {
    let mut rng = Rng::seed(4);
    let w = low_rank_plus(&mut rng, 64, 48, 6, 0.01);
    let f = lora_factors(&w, 6)?;
    assert_eq!((f.a.dim(), f.b.dim()), ((64, 6), (6, 48)));
    let ab = mm(&f.a, &f.b)?;
    let best = best_rank_k(&w, 6)?;
    assert!((&ab - &best).iter().all(|d| d.abs() < 1e-12 * 100.0));
    // √σ on each side: the columns of A and the rows of B have equal norms.
    for j in 0..6 {
        let (ca, rb) = (
            norm(&f.a.column(j), Norm::L2)?,
            norm(&f.b.row(j), Norm::L2)?,
        );
        assert!((ca - rb).abs() < 1e-10 * ca, "column {j}: {ca} vs {rb}");
    }
    Ok(())
}

#[test]
fn errors_name_the_operation() {
    let a = Array2::<f64>::zeros((3, 2));
    let e = best_rank_k(&a, 3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.to_string().contains("truncated_svd") && e.to_string().contains("(3, 2)"),
        "{e}"
    );
    let bad = Spectrum::from_singular_values(array![1.0, 2.0], (2, 2)).unwrap_err();
    assert!(bad.to_string().contains("descending"), "{bad}");
    assert!(Spectrum::from_singular_values(array![1.0, 0.5, 0.1], (2, 5)).is_err());
    assert!(Spectrum::from_singular_values(array![f64::NAN], (2, 5)).is_err());
    let spec = Spectrum::from_singular_values(array![2.0, 1.0], (2, 2)).unwrap();
    assert!(spec.rank_for_energy(0.0).is_err() && spec.rank_for_energy(f64::NAN).is_err());
    assert!(spec.spectral_error(3).is_err());
    let mut nan = Array2::<f64>::zeros((2, 2));
    nan[[0, 1]] = f64::INFINITY;
    assert_eq!(Spectrum::of(&nan).unwrap_err().kind(), ErrorKind::NonFinite);
}
