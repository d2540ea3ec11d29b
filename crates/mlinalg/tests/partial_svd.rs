//! Tests of `mlinalg::decomp::partial_svd` (block Krylov top-k SVD) against the full SVD's top k:
//! tall, wide and square; decaying, flat, clustered and repeated spectra (with the 2304x768
//! f32-rounded Gaussian cases on which faer's `partial_svd` hung); rank-deficient (k above the
//! rank), ill-conditioned (σ down to 1e-12), the zero matrix, views; seeds and signs; errors.
//!
//! Tolerances, for a result computed to relative residual `tol` in a dtype with unit roundoff
//! eps, on a matrix of larger dimension d (checks are done in f64 on the converted result):
//! - residuals ‖A·vᵢ − σᵢ·uᵢ‖, ‖Aᵀ·uᵢ − σᵢ·vᵢ‖ ≤ `res = (tol + 20·√d·eps)·σ₁`: what the solver
//!   guarantees, plus the rounding with which it measured them in its own dtype;
//! - orthonormality UᵀU = I, VᵀV = I within `20·√d·eps` (two Gram–Schmidt passes keep the
//!   basis orthonormal to a small multiple of eps; the Ritz vectors are products with it);
//! - singular values within `2·res` of the full SVD's (a Ritz value with residual r is within r
//!   of a singular value, and the full SVD's own error is below the rounding term);
//! - vectors within an angle `sin θ ≤ 2·res/gap` where gap (the distance from σᵢ to the other
//!   singular values) exceeds `10·res`; for closer values (clusters, repeats) any basis of the
//!   cluster's span is right and only the identities and the values are checked.

use mlinalg::decomp::{partial_svd, svd, PartialSvdOptions, Svd};
use mlinalg::random::Rng;
use mlinalg::{ErrorKind, Scalar};
use ndarray::{s, Array1, Array2};

/// A (m, n) matrix with the given singular values and random singular vectors.
fn with_spectrum(m: usize, n: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    let mut rng = Rng::seed(seed);
    let r = sigma.len();
    let u = svd(&rng.normal_matrix::<f64>(m, r).unwrap(), false)
        .unwrap()
        .u;
    let v = svd(&rng.normal_matrix::<f64>(n, r).unwrap(), false)
        .unwrap()
        .u;
    let sigma = Array1::from(sigma.to_vec());
    (&u * &sigma).dot(&v.t())
}

fn eps<T: Scalar>() -> f64 {
    T::epsilon().as_f64()
}

fn to64<T: Scalar>(a: &Array2<T>) -> Array2<f64> {
    a.mapv(|x| x.as_f64())
}

fn col_norm(c: ndarray::ArrayView1<'_, f64>) -> f64 {
    c.dot(&c).sqrt()
}

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Checks `f` (from `partial_svd` on `a` in dtype `T` at tolerance `tol`) against the full SVD
/// `exact` of the same matrix (in f64): shapes, order, identities, values, separated vectors.
fn check<T: Scalar>(a: &Array2<f64>, k: usize, f: &Svd<T>, tol: f64, exact: &Svd<f64>) {
    let (m, n) = a.dim();
    let d = m.max(n) as f64;
    let (u, s, vt) = (to64(&f.u), f.s.mapv(|x| x.as_f64()), to64(&f.vt));
    assert_eq!((u.dim(), s.len(), vt.dim()), ((m, k), k, (k, n)));
    assert!(s.windows(2).into_iter().all(|w| w[0] >= w[1]), "{s}");
    assert!(s.iter().all(|&x| x >= 0.0));
    let sigma1 = exact.s[0];
    let res = (tol + 20.0 * d.sqrt() * eps::<T>()) * sigma1;
    let orth = 20.0 * d.sqrt() * eps::<T>();
    let eye = Array2::<f64>::eye(k);
    let du = max_abs(&(u.t().dot(&u) - &eye));
    let dv = max_abs(&(vt.dot(&vt.t()) - &eye));
    assert!(
        du <= orth && dv <= orth,
        "UᵀU − I {du:e}, VᵀV − I {dv:e} > {orth:e}"
    );
    let left = a.dot(&vt.t()) - &(&u * &s);
    let right = a.t().dot(&u) - &(&vt.t() * &s);
    for i in 0..k {
        let (rl, rr) = (col_norm(left.column(i)), col_norm(right.column(i)));
        assert!(
            rl <= res && rr <= res,
            "triplet {i}: residuals {rl:e}, {rr:e} > {res:e}"
        );
        let err = (s[i] - exact.s[i]).abs();
        assert!(
            err <= 2.0 * res,
            "σ{i} = {} vs {}: {err:e} > {:e}",
            s[i],
            exact.s[i],
            2.0 * res
        );
        let gap = exact
            .s
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &x)| (x - exact.s[i]).abs())
            .fold(f64::INFINITY, f64::min);
        // Singular values beyond min(m, n) are zero too (the complement the thin SVD leaves out).
        let gap = if exact.s.len() < m.max(n) {
            gap.min(exact.s[i])
        } else {
            gap
        };
        if gap > 10.0 * res {
            // ‖x − ±y‖ = 2·sin(θ/2) ≥ sin θ for unit vectors at an angle θ (the sign aligned);
            // computed from the difference, not from 1 − cos², which loses half the digits.
            let apart = |x: ndarray::ArrayView1<'_, f64>, y: ndarray::ArrayView1<'_, f64>| {
                let sign = x.dot(&y).signum();
                col_norm((&x - &(&y * sign)).view())
            };
            let su = apart(u.column(i), exact.u.column(i));
            let sv = apart(vt.row(i), exact.vt.row(i));
            let bound = 2.0 * res / gap + orth;
            assert!(
                su <= bound && sv <= bound,
                "vector {i}: {su:e}, {sv:e} > {bound:e}"
            );
        }
    }
}

/// partial_svd in dtype `T` on `a` (given in f64), checked against the f64 full SVD.
fn run<T: Scalar>(a: &Array2<f64>, k: usize, options: &PartialSvdOptions) -> Svd<T> {
    let at = a.mapv(T::cast_f64);
    let f = partial_svd(&at, k, options).unwrap();
    let exact = svd(&to64(&at), false).unwrap();
    let tol = options
        .tol
        .unwrap_or(if eps::<T>() > 1e-10 { 1e-4 } else { 1e-10 });
    check(&to64(&at), k, &f, tol, &exact);
    f
}

fn geometric(len: usize, ratio: f64) -> Vec<f64> {
    (0..len).map(|i| ratio.powi(i as i32)).collect()
}

#[test]
fn tall_wide_square_with_decaying_spectra() {
    let defaults = PartialSvdOptions::default();
    for (m, n, seed) in [(400, 150, 1), (150, 400, 2), (300, 300, 3)] {
        let a = with_spectrum(m, n, &geometric(m.min(n), 0.9), seed);
        for k in [1, 5, 20] {
            run::<f64>(&a, k, &defaults);
            run::<f32>(&a, k, &defaults);
        }
    }
}

#[test]
fn flat_spectrum_of_a_gaussian_matrix() {
    let a = Rng::seed(4).normal_matrix::<f64>(300, 200).unwrap();
    run::<f64>(&a, 10, &PartialSvdOptions::default());
    run::<f32>(&a, 10, &PartialSvdOptions::default());
    run::<f64>(&a.t().to_owned(), 10, &PartialSvdOptions::default());
}

#[test]
fn repeated_and_clustered_singular_values() {
    // Triple 5, double 3, a cluster within 1e-9, then decay; k cutting a repeated value too.
    let mut sigma = vec![5.0, 5.0, 5.0, 3.0, 3.0, 2.0, 2.0 - 1e-9, 2.0 - 2e-9];
    sigma.extend(geometric(100, 0.95).iter().map(|x| x * 1.5));
    let a = with_spectrum(250, 180, &sigma, 5);
    for k in [3, 4, 5, 8, 12] {
        run::<f64>(&a, k, &PartialSvdOptions::default());
        run::<f32>(&a, k, &PartialSvdOptions::default());
    }
}

/// The cases on which faer 0.24's `matrix_free::partial_svd` looped forever (k = 64 at tol
/// 1e-10, k = 96 at 1e-8) or returned clustered values 1e-6 off: a 2304x768 Gaussian rounded
/// to f32, decomposed in f64. They must terminate and match the full SVD.
#[test]
fn gaussian_2304x768_rounded_to_f32_that_hung_faer() {
    let a = Rng::seed(0)
        .normal_matrix::<f32>(2304, 768)
        .unwrap()
        .mapv(f64::from);
    let exact = svd(&a, false).unwrap();
    for (k, tol) in [(64, 1e-10), (96, 1e-8)] {
        let options = PartialSvdOptions {
            tol: Some(tol),
            ..PartialSvdOptions::default()
        };
        let f = partial_svd(&a, k, &options).unwrap();
        check(&a, k, &f, tol, &exact);
    }
}

#[test]
fn rank_deficient_with_k_above_the_rank() {
    for (m, n) in [(200, 100), (100, 200)] {
        let a = with_spectrum(m, n, &[3.0, 2.0, 1.0], 6);
        let f = run::<f64>(&a, 6, &PartialSvdOptions::default());
        assert!(f.s.slice(s![3..]).iter().all(|&x| x <= 1e-12), "{}", f.s);
        let f = run::<f32>(&a, 6, &PartialSvdOptions::default());
        assert!(f.s.slice(s![3..]).iter().all(|&x| x <= 1e-4), "{}", f.s);
    }
    // The zero matrix: zero values, orthonormal vectors.
    let zero = Array2::<f64>::zeros((50, 30));
    let f = partial_svd(&zero, 4, &PartialSvdOptions::default()).unwrap();
    assert_eq!(f.s.to_vec(), vec![0.0; 4]);
    assert!(max_abs(&(f.u.t().dot(&f.u) - Array2::<f64>::eye(4))) < 1e-14);
    assert!(max_abs(&(f.vt.dot(&f.vt.t()) - Array2::<f64>::eye(4))) < 1e-14);
}

#[test]
fn ill_conditioned_down_to_1e_minus_12() {
    // σ from 1 to 1e-12 over 120 values: the small ones have absolute accuracy only.
    let sigma: Vec<f64> = (0..120)
        .map(|i| 10f64.powf(-12.0 * i as f64 / 119.0))
        .collect();
    let a = with_spectrum(300, 120, &sigma, 7);
    run::<f64>(&a, 30, &PartialSvdOptions::default());
    run::<f32>(&a, 10, &PartialSvdOptions::default());
}

#[test]
fn small_blocks_whole_space_and_views() {
    let a = with_spectrum(60, 40, &geometric(40, 0.8), 8);
    // Blocks of 1 (plain Golub–Kahan–Lanczos) and blocks below k.
    for block in [1, 3] {
        let options = PartialSvdOptions {
            block_size: Some(block),
            max_iter: 40,
            ..PartialSvdOptions::default()
        };
        run::<f64>(&a, 5, &options);
    }
    // The smallest basis allowed (k + 2 blocks): thick restarts every other block.
    let options = PartialSvdOptions {
        block_size: Some(3),
        max_basis: Some(1),
        max_iter: 200,
        ..PartialSvdOptions::default()
    };
    run::<f64>(&a, 5, &options);
    // k = min(m, n): the basis fills the space and the Ritz triplets are the SVD.
    run::<f64>(&a, 40, &PartialSvdOptions::default());
    // Transposed and strided views give the same factors as owned copies.
    let big = with_spectrum(120, 81, &geometric(81, 0.9), 9);
    let view = big.slice(s![..;2, ..;2]);
    let options = PartialSvdOptions::default();
    assert_eq!(
        partial_svd(&view, 4, &options).unwrap(),
        partial_svd(&view.to_owned(), 4, &options).unwrap()
    );
    let t = partial_svd(&big.t(), 4, &options).unwrap();
    let exact = svd(&big.t().to_owned(), false).unwrap();
    check(&big.t().to_owned(), 4, &t, 1e-10, &exact);
}

#[test]
fn seeded_and_signed_like_randomized_svd() {
    let a = with_spectrum(200, 90, &geometric(90, 0.9), 10);
    let options = PartialSvdOptions {
        seed: 42,
        ..PartialSvdOptions::default()
    };
    let f = partial_svd(&a, 6, &options).unwrap();
    assert_eq!(f, partial_svd(&a, 6, &options).unwrap());
    // svd_flip on u: the entry of largest magnitude of each column of u is positive, so another
    // seed gives the same vectors up to rounding.
    for c in f.u.columns() {
        let big = c
            .iter()
            .fold(0.0_f64, |b, &x| if x.abs() > b.abs() { x } else { b });
        assert!(big > 0.0);
    }
    let g = partial_svd(&a, 6, &PartialSvdOptions::default()).unwrap();
    assert!(max_abs(&(&f.u - &g.u)) < 1e-8 && max_abs(&(&f.vt - &g.vt)) < 1e-8);
}

#[test]
fn empty_and_k_zero() {
    let options = PartialSvdOptions::default();
    let f = partial_svd(&Array2::<f64>::zeros((0, 5)), 0, &options).unwrap();
    assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((0, 0), 0, (0, 5)));
    let f = partial_svd(&Array2::<f32>::ones((4, 3)), 0, &options).unwrap();
    assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((4, 0), 0, (0, 3)));
    let e = partial_svd(&Array2::<f64>::zeros((0, 5)), 1, &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn errors_name_the_operation_shapes_and_k() {
    let options = PartialSvdOptions::default();
    let mut a = with_spectrum(30, 20, &geometric(20, 0.5), 11);
    let e = partial_svd(&a, 21, &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.to_string(),
        "partial_svd: k must be at most 20 for a matrix of shape (30, 20), got 21"
    );
    for bad in [
        PartialSvdOptions {
            tol: Some(0.0),
            ..options.clone()
        },
        PartialSvdOptions {
            tol: Some(f64::NAN),
            ..options.clone()
        },
        PartialSvdOptions {
            block_size: Some(0),
            ..options.clone()
        },
        PartialSvdOptions {
            max_iter: 0,
            ..options.clone()
        },
    ] {
        let e = partial_svd(&a, 2, &bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    // No convergence: one block on a flat spectrum cannot reach 1e-14.
    let flat = Rng::seed(12).normal_matrix::<f64>(300, 200).unwrap();
    let tight = PartialSvdOptions {
        tol: Some(1e-14),
        max_iter: 1,
        ..options.clone()
    };
    let e = partial_svd(&flat, 10, &tight).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoConvergence);
    assert_eq!(e.operation(), "partial_svd");
    assert_eq!(e.shapes(), &[vec![300, 200]]);
    let text = e.to_string();
    assert!(
        text.contains("top 10") && text.contains("largest residual") && text.contains("1.0e-14"),
        "{text}"
    );
    for bad in [f64::NAN, f64::INFINITY] {
        a[[3, 4]] = bad;
        let e = partial_svd(&a, 2, &options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NonFinite);
        assert!(e.to_string().starts_with("partial_svd"), "{e}");
    }
}
