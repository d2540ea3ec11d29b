//! Tests of `mlinalg::vector`: the seeds' examples with their values, edge cases, NumPy/SciPy
//! fixtures (tests/fixtures/vector, made by gen_vector.py) and property tests against plain
//! loops in f64 over random shapes and layouts (transposed, stepped, reversed, broadcast).

mod common;

use common::reference::{lanes, row_major as items};
use common::strided::{strided_of, Strided};
use common::Case;
use mlinalg::vector::{
    angle, cdist, cdist_squared, cosine_similarity, cosine_similarity_along,
    cosine_similarity_matrix, dot, euclidean_distance, hadamard, norm, norm_axis, normalize,
    normalize_rows, outer, project, reject, squared_euclidean_distance, AngleUnit, Norm,
};
use mlinalg::{ErrorKind, Result, Scalar};
use ndarray::{
    array, Array1, Array2, ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Dimension, Ix1, Ix2,
    IxDyn,
};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The seeds' examples (../shared/seeds), each with its value
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_norms_of_3_m4_0() -> Result<()> {
    let v = array![3.0_f64, -4.0, 0.0];
    assert_eq!(norm(&v, Norm::L1)?, 7.0);
    assert_eq!(norm(&v, Norm::L2)?, 5.0);
    assert_eq!(norm(&v, Norm::default())?, 5.0);
    assert_eq!(norm(&v, Norm::Inf)?, 4.0);
    let unit = normalize(&v)?;
    assert_eq!(unit, array![0.6, -0.8, 0.0]);
    assert!((norm(&unit, Norm::L2)? - 1.0).abs() < 1e-15);
    // The seed's broadcasting example: norms with keepdims divide the rows.
    let acts = array![[3.0, 4.0], [0.0, 2.0]];
    let norms = norm_axis(&acts, Norm::L2, 1, true)?;
    assert_eq!(norms.shape(), &[2, 1]);
    assert_eq!(
        mlinalg::broadcast::div(&acts, &norms)?,
        array![[0.6, 0.8], [0.0, 1.0]].into_dyn()
    );
    Ok(())
}

#[test]
fn seed_king_queen_cosine() -> Result<()> {
    let king = array![0.9_f64, 0.1, 0.8];
    let queen = array![0.85, 0.15, 0.75];
    let c = cosine_similarity(&king, &queen)?;
    assert!((c - 0.999).abs() < 5e-4, "{c}");
    assert_eq!(format!("{c:.3}"), "0.999");
    let king_scaled = &king * 100.0;
    assert!((cosine_similarity(&king, &king_scaled)? - 1.0).abs() < 1e-15);
    // The seed prints "~-0.1 (unrelated)"; the exact value is -0.26 / sqrt(1.46 * 0.91) = -0.2256.
    let random = array![-0.3, 0.9, -0.1];
    let want = -0.26 / (1.46_f64 * 0.91).sqrt();
    assert!((cosine_similarity(&king, &random)? - want).abs() < 1e-15);
    // f32 too.
    let k32 = king.mapv(|x| x as f32);
    assert!((cosine_similarity(&k32, &(&k32 * 100.0))? - 1.0).abs() < 1e-6);
    Ok(())
}

#[test]
fn seed_dot_32() -> Result<()> {
    assert_eq!(dot(&array![1.0, 2.0, 3.0], &array![4.0, 5.0, 6.0])?, 32.0);
    assert_eq!(
        dot(&array![1.0_f32, 2.0, 3.0], &array![4.0, 5.0, 6.0])?,
        32.0
    );
    // Perpendicular and partially aligned.
    let (a, b, c) = (array![1.0, 0.0], array![0.0, 1.0], array![1.0, 1.0]);
    assert_eq!(dot(&a, &b)?, 0.0);
    assert_eq!(dot(&a, &c)?, 1.0);
    Ok(())
}

#[test]
fn seed_angle_45_degrees() -> Result<()> {
    let a = array![1.0_f64, 0.0];
    let c = array![1.0, 1.0];
    let deg = angle(&a, &c, AngleUnit::Degrees)?;
    assert!((deg - 45.0).abs() < 1e-12, "{deg}");
    assert_eq!(format!("{deg:.1}"), "45.0");
    let rad = angle(&a, &c, AngleUnit::Radians)?;
    assert!((rad - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
    assert!((angle(&a, &array![0.0, 1.0], AngleUnit::Degrees)? - 90.0).abs() < 1e-12);
    assert!((angle(&a, &array![-2.0, 0.0], AngleUnit::Degrees)? - 180.0).abs() < 1e-12);
    Ok(())
}

#[test]
fn seed_projection_3_4_onto_x() -> Result<()> {
    let a = array![3.0, 4.0];
    let b = array![1.0, 0.0];
    let along = project(&a, &b)?;
    let perp = reject(&a, &b)?;
    assert_eq!(along, array![3.0, 0.0]);
    assert_eq!(perp, array![0.0, 4.0]);
    assert_eq!(dot(&perp, &b)?, 0.0);
    assert_eq!(&along + &perp, a);
    Ok(())
}

#[test]
fn seed_outer_1_2_3_by_4_5() {
    let o = outer(&array![1.0, 2.0, 3.0], &array![4.0, 5.0]);
    assert_eq!(o, array![[4.0, 5.0], [8.0, 10.0], [12.0, 15.0]]);
    // Same as the broadcast formulation a[:, None] * b[None, :].
    let a = array![1.0, 2.0, 3.0];
    let b = array![4.0, 5.0];
    let viab = hadamard(
        &a.view().insert_axis(Axis(1)),
        &b.view().insert_axis(Axis(0)),
    )
    .unwrap();
    assert_eq!(viab, o.into_dyn());
}

#[test]
fn seed_hadamard_vs_matmul() -> Result<()> {
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let b = array![[5.0, 6.0], [7.0, 8.0]];
    assert_eq!(
        hadamard(&a, &b)?,
        array![[5.0, 12.0], [21.0, 32.0]].into_dyn()
    );
    assert_eq!(
        mlinalg::matrix::mm(&a, &b)?,
        array![[19.0, 22.0], [43.0, 50.0]]
    );
    // LSTM forget gate: cell = f * cell_prev.
    let f = array![0.8_f64, 0.1, 0.95];
    let cell_prev = array![2.0, 5.0, 1.0];
    let cell = hadamard(&f, &cell_prev)?;
    for (got, want) in cell.iter().zip([1.6, 0.5, 0.95]) {
        assert!((got - want).abs() < 1e-15);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Edge cases and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn zero_vectors_are_errors() {
    let z = array![0.0, 0.0, 0.0];
    let v = array![1.0, 2.0, 3.0];
    let err = normalize(&z).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ZeroVector);
    assert_eq!(
        err.to_string(),
        "normalize: the input is a zero vector (shape (3,))"
    );
    assert_eq!(
        normalize(&Array1::<f64>::zeros(0)).unwrap_err().kind(),
        ErrorKind::ZeroVector
    );
    let err = cosine_similarity(&v, &z).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ZeroVector);
    assert_eq!(
        err.to_string(),
        "cosine_similarity: b is a zero vector (shape (3,))"
    );
    assert_eq!(err.shapes(), &[vec![3], vec![3]]);
    assert_eq!(
        angle(&z, &v, AngleUnit::Radians).unwrap_err().kind(),
        ErrorKind::ZeroVector
    );
    assert_eq!(project(&v, &z).unwrap_err().kind(), ErrorKind::ZeroVector);
    let err = reject(&v, &z).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ZeroVector);
    assert_eq!(err.operation(), "reject");
    // Projecting a zero vector onto b is fine.
    assert_eq!(project(&z, &v).unwrap(), array![0.0, 0.0, 0.0]);

    let m = array![[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]];
    let err = normalize_rows(&m).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ZeroVector);
    assert_eq!(
        err.to_string(),
        "normalize_rows: row 1 has zero norm (shape (3, 2))"
    );
    let err = cosine_similarity_matrix(&array![[1.0, 1.0]], &m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cosine_similarity_matrix: row 1 of b has zero norm (shape (3, 2))"
    );
    // With eps, zero lanes give 0 (PyTorch's behaviour).
    let c = cosine_similarity_along(&z, &v, 0, 1e-8).unwrap();
    assert_eq!(c[[]], 0.0);
}

#[test]
fn shape_errors_name_the_shapes() {
    let err = dot(&array![1.0, 2.0], &array![1.0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    assert_eq!(
        err.to_string(),
        "dot: shapes (2,) and (1,) not aligned: 2 (dim 0) != 1 (dim 0)"
    );
    assert_eq!(err.shapes(), &[vec![2], vec![1]]);
    let a = Array2::<f64>::ones((2, 3));
    let b = Array2::<f64>::ones((4, 2));
    let err = cdist(&a, &b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cdist: shapes (2, 3) and (4, 2) have different numbers of columns: 3 != 2"
    );
    assert_eq!(
        cosine_similarity_matrix(&a, &b).unwrap_err().shapes(),
        &[vec![2, 3], vec![4, 2]]
    );
    let err = hadamard(&Array2::<f64>::ones((32, 768)), &Array1::<f64>::ones(32)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    assert_eq!(
        err.to_string(),
        "hadamard: operands could not be broadcast together with shapes (32, 768) (32,)"
    );
    let err = cosine_similarity_along(&a, &b, -1, 1e-8).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    let err = cosine_similarity_along(&a, &a, 2, 1e-8).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Axis);
    assert_eq!(
        cosine_similarity_along(&a, &a, 1, -1.0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        euclidean_distance(&array![1.0], &array![1.0, 2.0])
            .unwrap_err()
            .kind(),
        ErrorKind::Shape
    );
}

#[test]
fn norm_orders_and_ranks() -> Result<()> {
    let v = array![0.0, 1.5, 0.0, -2.0];
    assert_eq!(norm(&v, Norm::Zero)?, 2.0);
    assert_eq!(norm(&v, Norm::P(0.0))?, 2.0);
    assert_eq!(norm(&v, Norm::NegInf)?, 0.0);
    assert_eq!(norm(&v, Norm::P(-1.0))?, 0.0); // NumPy: 1/(1/0 + ...) = 0
    assert_eq!(norm(&v, Norm::P(1.0))?, 3.5);
    assert_eq!(norm(&v, Norm::P(f64::INFINITY))?, 2.0);
    assert_eq!(
        norm(&v, Norm::P(f64::NAN)).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    // Empty vectors: sums and maxima are 0, the minimum is an error (as NumPy).
    let e = Array1::<f64>::zeros(0);
    assert_eq!(norm(&e, Norm::L2)?, 0.0);
    assert_eq!(norm(&e, Norm::Inf)?, 0.0);
    assert_eq!(norm(&e, Norm::NegInf).unwrap_err().kind(), ErrorKind::Empty);
    // Matrix norms.
    let m = array![[1.0, -2.0], [3.0, 4.0]];
    assert_eq!(norm(&m, Norm::L1)?, 6.0);
    assert_eq!(norm(&m, Norm::P(-1.0))?, 4.0);
    assert_eq!(norm(&m, Norm::Inf)?, 7.0);
    assert_eq!(norm(&m, Norm::NegInf)?, 3.0);
    assert_eq!(
        norm(&m, Norm::Zero).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        norm(&m, Norm::P(3.0)).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    // Singular values of [[1,-2],[3,4]]: sqrt(15 ± sqrt(125)).
    let s1 = (15.0 + 125.0_f64.sqrt()).sqrt();
    let s2 = (15.0 - 125.0_f64.sqrt()).sqrt();
    assert!((norm(&m, Norm::L2)? - s1).abs() < 1e-14);
    assert!((norm(&m, Norm::P(-2.0))? - s2).abs() < 1e-14);
    assert!((norm(&m.t(), Norm::L2)? - s1).abs() < 1e-14);
    assert_eq!(norm(&Array2::<f64>::zeros((0, 3)), Norm::L2)?, 0.0);
    assert_eq!(
        norm(&Array2::<f64>::zeros((3, 0)), Norm::P(-2.0))
            .unwrap_err()
            .kind(),
        ErrorKind::Empty
    );
    assert!(norm(&array![[1.0, f64::NAN]], Norm::L2)?.is_nan());
    assert_eq!(
        norm(&array![[1.0, f64::INFINITY]], Norm::L2)?,
        f64::INFINITY
    );
    // Other ranks: Fro only.
    let t = ndarray::Array3::<f64>::from_elem((2, 2, 2), 1.0);
    assert!((norm(&t, Norm::Fro)? - 8.0_f64.sqrt()).abs() < 1e-15);
    assert_eq!(
        norm(&t, Norm::L2).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(norm(&ndarray::arr0(-3.0), Norm::Fro)?, 3.0);
    Ok(())
}

#[test]
fn l2_norm_neither_overflows_nor_underflows() -> Result<()> {
    let big = array![1e200, 1e200];
    assert!((norm(&big, Norm::L2)? / (2.0_f64.sqrt() * 1e200) - 1.0).abs() < 1e-15);
    let tiny = array![3e-200_f64, 4e-200];
    assert!((norm(&tiny, Norm::L2)? / 5e-200 - 1.0).abs() < 1e-15);
    assert_eq!(normalize(&tiny)?, array![0.6, 0.8]);
    let big32 = array![3e30_f32, 4e30];
    assert!((norm(&big32, Norm::L2)? / 5e30 - 1.0).abs() < 1e-6);
    let cols = norm_axis(
        &array![[1e200, 3e-200], [1e200, 4e-200]],
        Norm::L2,
        0,
        false,
    )?;
    assert!((cols[[0]] / (2.0_f64.sqrt() * 1e200) - 1.0).abs() < 1e-15);
    assert!((cols[[1]] / 5e-200 - 1.0).abs() < 1e-15);
    assert!((cosine_similarity(&big, &array![1e200, 0.0])? - 0.5_f64.sqrt()).abs() < 1e-15);
    assert!(
        (euclidean_distance(&big, &array![-1e200, -1e200])? / (8.0_f64.sqrt() * 1e200) - 1.0).abs()
            < 1e-15
    );
    // NaN and infinity propagate.
    assert!(norm(&array![1.0, f64::NAN], Norm::L2)?.is_nan());
    assert_eq!(
        norm(&array![1.0, f64::NEG_INFINITY], Norm::L2)?,
        f64::INFINITY
    );
    Ok(())
}

/// acos of a rounded cosine cannot resolve angles below ~1e-8 rad; Kahan's formula can.
#[test]
fn tiny_angles_are_accurate() -> Result<()> {
    let a = array![1.0_f64, 0.0];
    let b = array![1.0, 1e-10];
    let theta = angle(&a, &b, AngleUnit::Radians)?;
    assert!((theta / 1e-10 - 1.0).abs() < 1e-9, "{theta}");
    assert_eq!(angle(&a, &(&a * 3.0), AngleUnit::Radians)?, 0.0);
    Ok(())
}

#[test]
fn cosine_along_broadcasts_first() -> Result<()> {
    // (4, 1, 8) against (3, 8) along -1: all 4 x 3 pairs.
    let q = ndarray::Array3::from_shape_fn((4, 1, 8), |(i, _, k)| ((i * 8 + k) as f64).sin());
    let k = Array2::from_shape_fn((3, 8), |(j, k)| ((j * 5 + k) as f64).cos());
    let c = cosine_similarity_along(&q, &k, -1, 1e-8)?;
    assert_eq!(c.shape(), &[4, 3]);
    for i in 0..4 {
        for j in 0..3 {
            let want = cosine_similarity(&q.slice(ndarray::s![i, 0, ..]), &k.row(j))?;
            assert!((c[[i, j]] - want).abs() < 1e-15);
        }
    }
    // Reducing along an axis that is broadcast in `a`: the norm of the broadcast lane counts
    // every repeat (torch: broadcast first). a = [[2], [0]] stretched to (2, 3).
    let a = array![[2.0_f64], [0.0]];
    let b = array![[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]];
    let c = cosine_similarity_along(&a, &b, 1, 1e-8)?;
    assert!((c[[0]] - 1.0).abs() < 1e-15);
    assert_eq!(c[[1]], 0.0);
    // eps clamps small norms: ‖[1e-3, 0]‖ = 1e-3 < eps = 0.1 -> 1e-3 / 0.1 = 0.01.
    let c = cosine_similarity_along(&array![1e-3_f64, 0.0], &array![1.0, 0.0], 0, 0.1)?;
    assert!((c[[]] - 0.01).abs() < 1e-15);
    Ok(())
}

#[test]
fn cdist_is_accurate_for_close_points_far_from_the_origin() -> Result<()> {
    // Points near (1e6, 1e6, 1e6) a distance 1e-4 apart: ‖a‖² + ‖b‖² − 2a·b alone would lose all
    // digits (3e12 · 2.2e-16 ≈ 7e-4 > 1e-8 = d²).
    let base = array![1e6_f64, 1e6, 1e6];
    let a = ndarray::stack![Axis(0), base, &base + &array![1e-4, 0.0, 0.0]];
    let b = ndarray::stack![Axis(0), &base + &array![0.0, 1e-4, 0.0], base];
    let d = cdist(&a, &b)?;
    let want = [[1e-4, 0.0], [2.0_f64.sqrt() * 1e-4, 1e-4]];
    for i in 0..2 {
        for j in 0..2 {
            let w = want[i][j];
            let exact = euclidean_distance(&a.row(i), &b.row(j))?;
            assert!(
                (d[[i, j]] - exact).abs() <= 1e-12 * exact,
                "{} vs {}",
                d[[i, j]],
                exact
            );
            assert!(
                (d[[i, j]] - w).abs() <= 1e-6 * w.max(1e-300),
                "{} vs {}",
                d[[i, j]],
                w
            );
        }
    }
    // Identical rows give exactly 0, also in f32.
    let x = array![[1.5_f32, -2.0, 3.25], [1e3, 1e3, 1e3]];
    let d = cdist(&x, &x)?;
    assert_eq!(d[[0, 0]], 0.0);
    assert_eq!(d[[1, 1]], 0.0);
    let d2 = cdist_squared(&x, &x)?;
    assert_eq!(
        d2[[0, 1]],
        squared_euclidean_distance(&x.row(0), &x.row(1))?
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// NumPy / SciPy fixtures
// ---------------------------------------------------------------------------------------------

fn parse_ord(v: &Value) -> Norm {
    if let Some(p) = v.get("P") {
        return Norm::P(p.as_f64().expect("p"));
    }
    match v["Norm"].as_str().expect("Norm") {
        "L1" => Norm::L1,
        "L2" => Norm::L2,
        "Inf" => Norm::Inf,
        "NegInf" => Norm::NegInf,
        "Zero" => Norm::Zero,
        "Fro" => Norm::Fro,
        other => panic!("unknown norm {other}"),
    }
}

fn v1<'a, T>(x: &ArrayViewD<'a, T>) -> ArrayView1<'a, T> {
    x.clone().into_dimensionality::<Ix1>().expect("1-D input")
}

fn v2<'a, T>(x: &ArrayViewD<'a, T>) -> ArrayView2<'a, T> {
    x.clone().into_dimensionality::<Ix2>().expect("2-D input")
}

/// Runs `op` of a case on its inputs; results as n-d arrays in argument order.
fn call<T: Scalar>(
    op: &str,
    p: &Value,
    x: &[ArrayViewD<'_, T>],
    ord: Option<Norm>,
) -> Result<Vec<ArrayD<T>>> {
    let scalar = |v: T| vec![ndarray::arr0(v).into_dyn()];
    Ok(match op {
        "dot" => scalar(dot(&v1(&x[0]), &v1(&x[1]))?),
        "norm" => scalar(norm(&x[0], ord.expect("ord"))?),
        "norm_axis" => vec![norm_axis(
            &x[0],
            ord.expect("ord"),
            p["axis"].as_i64().expect("axis") as isize,
            p["keepdims"].as_bool().expect("keepdims"),
        )?],
        "normalize" => vec![normalize(&v1(&x[0]))?.into_dyn()],
        "normalize_rows" => vec![normalize_rows(&v2(&x[0]))?.into_dyn()],
        "cosine_similarity" => scalar(cosine_similarity(&v1(&x[0]), &v1(&x[1]))?),
        "cosine_similarity_matrix" => {
            vec![cosine_similarity_matrix(&v2(&x[0]), &v2(&x[1]))?.into_dyn()]
        }
        "cosine_similarity_along" => vec![cosine_similarity_along(
            &x[0],
            &x[1],
            p["axis"].as_i64().expect("axis") as isize,
            T::cast_f64(p["eps"].as_f64().expect("eps")),
        )?],
        "angle" => {
            let unit = if p["unit"] == "Degrees" {
                AngleUnit::Degrees
            } else {
                AngleUnit::Radians
            };
            scalar(angle(&v1(&x[0]), &v1(&x[1]), unit)?)
        }
        "project" => vec![project(&v1(&x[0]), &v1(&x[1]))?.into_dyn()],
        "reject" => vec![reject(&v1(&x[0]), &v1(&x[1]))?.into_dyn()],
        "outer" => vec![outer(&v1(&x[0]), &v1(&x[1])).into_dyn()],
        "hadamard" => vec![hadamard(&x[0], &x[1])?],
        "euclidean_distance" => scalar(euclidean_distance(&v1(&x[0]), &v1(&x[1]))?),
        "squared_euclidean_distance" => scalar(squared_euclidean_distance(&v1(&x[0]), &v1(&x[1]))?),
        "cdist" => vec![cdist(&v2(&x[0]), &v2(&x[1]))?.into_dyn()],
        "cdist_squared" => vec![cdist_squared(&v2(&x[0]), &v2(&x[1]))?.into_dyn()],
        other => panic!("unknown op {other}"),
    })
}

/// A result must be in standard layout and close to NumPy's.
fn check_close<T: Scalar>(
    name: &str,
    got: &ArrayD<T>,
    want: ArrayViewD<'_, T>,
    rtol: f64,
    atol: f64,
) -> std::result::Result<(), String> {
    if got.shape() == want.shape() {
        common::check_standard_layout(name, got)?;
    }
    common::check_close(name, got, want, rtol, atol)
}

fn run_case<T: Scalar + ReadableElement>(case: &Case) -> std::result::Result<(), String> {
    let name = case.name.as_str();
    let op = case.op.as_str();
    let p = &case.params;
    let inputs: Vec<ArrayD<T>> = common::load_inputs("vector", case);
    let views = common::case_views(case, &inputs);

    if let Some(error) = case.error.as_deref() {
        let ord = p.get("ord").map(parse_ord);
        return match call(op, p, &views, ord) {
            Ok(_) => Err(format!("{name}: expected {error}, got Ok")),
            Err(e) => {
                let fine = match error {
                    "AxisError" => e.kind() == ErrorKind::Axis,
                    _ => matches!(
                        e.kind(),
                        ErrorKind::Shape
                            | ErrorKind::Broadcast
                            | ErrorKind::InvalidArgument
                            | ErrorKind::Empty
                    ),
                };
                if fine {
                    Ok(())
                } else {
                    Err(format!("{name}: expected {error}, got {:?}: {e}", e.kind()))
                }
            }
        };
    }

    let expected: Vec<ArrayD<T>> = case
        .expected
        .iter()
        .map(|f| common::load("vector", f))
        .collect();
    let rtol = p["rtol"].as_f64().expect("rtol");
    let atol = p["atol"].as_f64().unwrap_or(0.0);
    if let Some(ords) = p.get("ords") {
        // Stacked results of several orders.
        for (i, o) in ords.as_array().expect("ords").iter().enumerate() {
            let ord = parse_ord(o);
            let got = call(op, p, &views, Some(ord)).map_err(|e| format!("{name} {ord:?}: {e}"))?;
            check_close(
                &format!("{name} {ord:?}"),
                &got[0],
                expected[0].index_axis(Axis(0), i),
                rtol,
                atol,
            )?;
        }
        return Ok(());
    }
    let got =
        call(op, p, &views, p.get("ord").map(parse_ord)).map_err(|e| format!("{name}: {e}"))?;
    for (g, w) in got.iter().zip(&expected) {
        check_close(name, g, w.view(), rtol, atol)?;
    }
    Ok(())
}

#[test]
fn numpy_fixtures() {
    let cases = common::cases("vector");
    assert!(cases.len() > 100);
    common::check_cases(&cases, |case| match case.params["dtype"].as_str() {
        Some("float64") => run_case::<f64>(case),
        Some("float32") => run_case::<f32>(case),
        other => Err(format!("unknown dtype {other:?}")),
    });
}

// ---------------------------------------------------------------------------------------------
// Property tests against plain loops in f64
// ---------------------------------------------------------------------------------------------

/// Values uniform in [-4, 4) from a xorshift state.
fn uniform_value(state: u64) -> f64 {
    ((state >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0
}

fn strided_shape(shape: Vec<usize>) -> impl Strategy<Value = Strided> {
    strided_of(shape, uniform_value)
}

fn vec_pair(max_len: usize) -> impl Strategy<Value = (Strided, Strided)> {
    (0..=max_len).prop_flat_map(|n| (strided_shape(vec![n]), strided_shape(vec![n])))
}

fn mat_pair(max: usize) -> impl Strategy<Value = (Strided, Strided)> {
    (0..=max, 0..=max, 0..=max)
        .prop_flat_map(|(m, n, d)| (strided_shape(vec![m, d]), strided_shape(vec![n, d])))
}

fn close(g: f64, w: f64, tol: f64, scale: f64) -> bool {
    (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= tol * (w.abs() + scale)
}

fn ref_norm(v: &[f64], ord: Norm) -> f64 {
    let mut acc = 0.0;
    match ord {
        Norm::L1 => v.iter().for_each(|x| acc += x.abs()),
        Norm::L2 | Norm::Fro => {
            v.iter().for_each(|x| acc += x * x);
            acc = acc.sqrt();
        }
        Norm::Inf => v.iter().for_each(|x| acc = f64::max(acc, x.abs())),
        Norm::NegInf => {
            acc = f64::INFINITY;
            v.iter().for_each(|x| acc = f64::min(acc, x.abs()));
        }
        Norm::Zero => v
            .iter()
            .for_each(|&x| acc += if x != 0.0 { 1.0 } else { 0.0 }),
        Norm::P(p) => {
            v.iter().for_each(|x| acc += x.abs().powf(p));
            acc = acc.powf(1.0 / p);
        }
    }
    acc
}

fn ord_strategy() -> impl Strategy<Value = Norm> {
    prop_oneof![
        Just(Norm::L1),
        Just(Norm::L2),
        Just(Norm::Inf),
        Just(Norm::NegInf),
        Just(Norm::Zero),
        Just(Norm::Fro),
        (-3.0f64..4.0).prop_map(Norm::P),
    ]
}

fn ref_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn dot_norm_cosine_match_loops((a, b) in vec_pair(40), ord in ord_strategy()) {
        let (va, vb) = (a.view(), b.view());
        let (la, lb) = (items(&va), items(&vb));
        let (a1, b1) = (v1(&va), v1(&vb));
        let scale: f64 = la.iter().zip(&lb).map(|(x, y)| (x * y).abs()).sum();
        prop_assert!(close(dot(&a1, &b1).unwrap(), ref_dot(&la, &lb), 1e-13, scale));
        if ord == Norm::NegInf && la.is_empty() {
            prop_assert_eq!(norm(&a1, ord).unwrap_err().kind(), ErrorKind::Empty);
        } else {
            prop_assert!(close(norm(&a1, ord).unwrap(), ref_norm(&la, ord), 1e-13, 0.0), "{:?}", ord);
        }
        let (na, nb) = (ref_norm(&la, Norm::L2), ref_norm(&lb, Norm::L2));
        if na > 0.0 && nb > 0.0 {
            let c = cosine_similarity(&a1, &b1).unwrap();
            prop_assert!(close(c, ref_dot(&la, &lb) / (na * nb), 1e-13, 1.0));
            let t = angle(&a1, &b1, AngleUnit::Radians).unwrap();
            // cos of the computed angle agrees with the cosine (acos itself is ill-conditioned near ±1).
            prop_assert!((t.cos() - c).abs() <= 1e-12);
            let p = project(&a1, &b1).unwrap();
            let r = reject(&a1, &b1).unwrap();
            let coef = ref_dot(&la, &lb) / (nb * nb);
            for i in 0..la.len() {
                prop_assert!(close(p[i], coef * lb[i], 1e-12, scale / (nb * nb) * lb[i].abs() + 1e-300));
                prop_assert!((p[i] + r[i] - la[i]).abs() <= 1e-12 * (la[i].abs() + p[i].abs()));
            }
            // The rejection is perpendicular to b.
            prop_assert!(ref_dot(&items(&r.view().into_dyn()), &lb).abs() <= 1e-12 * na * nb);
            let u = normalize(&a1).unwrap();
            for i in 0..la.len() {
                prop_assert!(close(u[i], la[i] / na, 1e-14, 0.0));
            }
        } else if na == 0.0 {
            prop_assert_eq!(normalize(&a1).unwrap_err().kind(), ErrorKind::ZeroVector);
        }
        let d2: f64 = la.iter().zip(&lb).map(|(x, y)| (x - y) * (x - y)).sum();
        prop_assert!(close(squared_euclidean_distance(&a1, &b1).unwrap(), d2, 1e-13, 0.0));
        prop_assert!(close(euclidean_distance(&a1, &b1).unwrap(), d2.sqrt(), 1e-13, 0.0));
        let o = outer(&a1, &b1);
        prop_assert!(o.is_standard_layout());
        for i in 0..la.len() {
            for j in 0..lb.len() {
                prop_assert_eq!(o[[i, j]], la[i] * lb[j]);
            }
        }
        let h = hadamard(&a1, &b1).unwrap();
        for i in 0..la.len() {
            prop_assert_eq!(h[[i]], la[i] * lb[i]);
        }
    }

    #[test]
    fn f32_matches_f64_loops((a, b) in vec_pair(64)) {
        let (va, vb) = (a.view(), b.view());
        let (la, lb) = (items(&va), items(&vb));
        let a32 = v1(&va).mapv(|x| x as f32);
        let b32 = v1(&vb).mapv(|x| x as f32);
        let (la32, lb32): (Vec<f64>, Vec<f64>) =
            (la.iter().map(|&x| x as f32 as f64).collect(), lb.iter().map(|&x| x as f32 as f64).collect());
        let scale: f64 = la32.iter().zip(&lb32).map(|(x, y)| (x * y).abs()).sum();
        prop_assert!(close(dot(&a32, &b32).unwrap() as f64, ref_dot(&la32, &lb32), 1e-6, scale));
        prop_assert!(close(norm(&a32, Norm::L2).unwrap() as f64, ref_norm(&la32, Norm::L2), 1e-6, 0.0));
        let d2: f64 = la32.iter().zip(&lb32).map(|(x, y)| (x - y) * (x - y)).sum();
        prop_assert!(close(euclidean_distance(&a32, &b32).unwrap() as f64, d2.sqrt(), 1e-7, 0.0));
    }

    #[test]
    fn matrix_norms_match_loops(s in (0usize..7, 0usize..7).prop_flat_map(|(m, n)| strided_shape(vec![m, n]))) {
        let x = s.view();
        let m2 = v2(&x);
        let (m, n) = m2.dim();
        let col: Vec<f64> = (0..n).map(|j| (0..m).map(|i| m2[[i, j]].abs()).sum()).collect();
        let row: Vec<f64> = (0..m).map(|i| (0..n).map(|j| m2[[i, j]].abs()).sum()).collect();
        let fro = items(&x).iter().map(|v| v * v).sum::<f64>().sqrt();
        prop_assert!(close(norm(&m2, Norm::Fro).unwrap(), fro, 1e-13, 0.0));
        prop_assert!(close(norm(&m2, Norm::L1).unwrap(), col.iter().cloned().fold(0.0, f64::max), 1e-13, 0.0));
        prop_assert!(close(norm(&m2, Norm::Inf).unwrap(), row.iter().cloned().fold(0.0, f64::max), 1e-13, 0.0));
        if m > 0 {
            prop_assert!(close(norm(&m2, Norm::NegInf).unwrap(), row.iter().cloned().fold(f64::INFINITY, f64::min), 1e-13, 0.0));
        }
        // Spectral norm: equals that of the standard-layout copy, bounded by
        // max ‖A eⱼ‖ <= ‖A‖₂ <= ‖A‖_F and ‖A‖₂² <= ‖A‖₁ ‖A‖∞.
        let s2 = norm(&m2, Norm::L2).unwrap();
        let s2_copy = norm(&m2.to_owned(), Norm::L2).unwrap();
        prop_assert!(close(s2, s2_copy, 1e-13, 0.0));
        let max_col = (0..n).map(|j| (0..m).map(|i| m2[[i, j]].powi(2)).sum::<f64>().sqrt()).fold(0.0, f64::max);
        prop_assert!(s2 >= max_col * (1.0 - 1e-13) && s2 <= fro * (1.0 + 1e-13));
        prop_assert!(s2 * s2 <= norm(&m2, Norm::L1).unwrap() * norm(&m2, Norm::Inf).unwrap() * (1.0 + 1e-12));
        if m > 0 && n > 0 {
            // Smallest singular value: σ_min = min ‖Av‖/‖v‖ over v, so <= ‖A eⱼ‖ (n <= m) ...
            let smin = norm(&m2, Norm::P(-2.0)).unwrap();
            prop_assert!(smin <= s2 * (1.0 + 1e-13) && smin >= 0.0);
        }
    }

    #[test]
    fn norm_axis_matches_loops(s in prop::collection::vec(0usize..5, 1..4).prop_flat_map(strided_shape),
                               axis_pick in any::<u8>(), keep in any::<bool>(), ord in ord_strategy()) {
        let x = s.view();
        let nd = x.ndim();
        let k = (axis_pick as usize) % nd;
        if ord == Norm::NegInf && x.shape()[k] == 0 {
            prop_assert_eq!(norm_axis(&x, ord, k as isize, keep).unwrap_err().kind(), ErrorKind::Empty);
            return Ok(());
        }
        let got = norm_axis(&x, ord, k as isize - if keep { nd as isize } else { 0 }, keep).unwrap();
        let (want_shape, lanes) = lanes(&x, Some(k), keep);
        prop_assert_eq!(got.shape(), want_shape.as_slice());
        let flat: Vec<f64> = got.iter().copied().collect();
        for (o, lane) in lanes.iter().enumerate() {
            prop_assert!(close(flat[o], ref_norm(lane, ord), 1e-13, 0.0), "{:?} {} {}", ord, flat[o], ref_norm(lane, ord));
        }
    }

    #[test]
    fn pairwise_matrices_match_loops((a, b) in mat_pair(9), offset in prop_oneof![Just(0.0), Just(1e3), Just(-7.5)],
                                     dup in any::<bool>()) {
        let av = a.view().mapv(|v| v + offset);
        let mut bv = b.view().mapv(|v| v + offset);
        let (m, d) = (av.shape()[0], av.shape()[1]);
        let n = bv.shape()[0];
        if dup && m > 0 && n > 0 {
            // A near-duplicate point: the GEMM expansion alone would be inaccurate here.
            let r: Vec<f64> = (0..d).map(|k| av[[0, k]] + 1e-9 * k as f64).collect();
            for k in 0..d { bv[[0, k]] = r[k]; }
        }
        let (a2, b2) = (v2(&av.view()), v2(&bv.view()));
        let dist = cdist(&a2, &b2).unwrap();
        let dist2 = cdist_squared(&a2, &b2).unwrap();
        prop_assert_eq!(dist.dim(), (m, n));
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for k in 0..d { s += (a2[[i, k]] - b2[[j, k]]).powi(2); }
                prop_assert!(close(dist2[[i, j]], s, 1e-12, 0.0), "{} vs {}", dist2[[i, j]], s);
                prop_assert!(close(dist[[i, j]], s.sqrt(), 1e-12, 0.0));
            }
        }
        let ra: Vec<f64> = (0..m).map(|i| (0..d).map(|k| a2[[i, k]].powi(2)).sum::<f64>().sqrt()).collect();
        let rb: Vec<f64> = (0..n).map(|j| (0..d).map(|k| b2[[j, k]].powi(2)).sum::<f64>().sqrt()).collect();
        if ra.iter().chain(&rb).all(|&r| r > 0.0) {
            let c = cosine_similarity_matrix(&a2, &b2).unwrap();
            for i in 0..m {
                for j in 0..n {
                    let mut s = 0.0;
                    for k in 0..d { s += a2[[i, k]] * b2[[j, k]]; }
                    prop_assert!((c[[i, j]] - s / (ra[i] * rb[j])).abs() <= 1e-12);
                }
            }
            let u = normalize_rows(&a2).unwrap();
            for i in 0..m { for k in 0..d { prop_assert!(close(u[[i, k]], a2[[i, k]] / ra[i], 1e-14, 0.0)); } }
        } else if d > 0 || m + n > 0 {
            prop_assert_eq!(cosine_similarity_matrix(&a2, &b2).unwrap_err().kind(), ErrorKind::ZeroVector);
        }
        // f32: within f32 rounding of the f64 result (computed in f64 inside).
        let (a32, b32) = (a2.mapv(|v| v as f32), b2.mapv(|v| v as f32));
        let d32 = cdist(&a32, &b32).unwrap();
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for k in 0..d { s += (a32[[i, k]] as f64 - b32[[j, k]] as f64).powi(2); }
                prop_assert!(close(d32[[i, j]] as f64, s.sqrt(), 1.2e-7, 0.0), "{} vs {}", d32[[i, j]], s.sqrt());
            }
        }
    }

    /// cosine_similarity_along on broadcast-compatible shapes: broadcast first, then reduce.
    #[test]
    fn cosine_along_matches_loops(shape in prop::collection::vec(1usize..5, 1..4), mask_a in any::<u8>(),
                                  mask_b in any::<u8>(), drop_b in 0usize..2, axis_pick in any::<u8>(),
                                  eps in prop_oneof![Just(1e-8), Just(0.5)], seed in any::<u64>(), layout in 0u8..4) {
        // a and b take the full shape with some axes set to 1; b may drop leading axes.
        let sa: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if mask_a >> i & 1 == 1 { 1 } else { d }).collect();
        let sb: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if mask_b >> i & 1 == 1 { 1 } else { d })
            .skip(drop_b.min(shape.len() - 1)).collect();
        let a = Strided::new(sa.clone(), layout, seed, uniform_value);
        let b = Strided::new(sb.clone(), layout, seed.wrapping_mul(31), uniform_value);
        let (va, vb) = (a.view(), b.view());
        let full: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| {
            let bi = i as isize - (shape.len() - sb.len()) as isize;
            if sa[i] == 1 && (bi < 0 || sb[bi as usize] == 1) { 1 } else { d }
        }).collect();
        let nd = full.len();
        let k = (axis_pick as usize) % nd;
        let got = cosine_similarity_along(&va, &vb, k as isize - nd as isize, eps).unwrap();
        let ba = va.broadcast(IxDyn(&full)).unwrap();
        let bb = vb.broadcast(IxDyn(&full)).unwrap();
        let mut out_shape = full.clone();
        let len = out_shape.remove(k);
        prop_assert_eq!(got.shape(), out_shape.as_slice());
        let flat: Vec<f64> = got.iter().copied().collect();
        for (o, idx) in ndarray::indices(IxDyn(&out_shape)).into_iter().enumerate() {
            let mut ix = idx.slice().to_vec();
            ix.insert(k, 0);
            let (mut dt, mut na, mut nb) = (0.0, 0.0, 0.0);
            for i in 0..len {
                ix[k] = i;
                let (x, y) = (ba[ix.as_slice()], bb[ix.as_slice()]);
                dt += x * y; na += x * x; nb += y * y;
            }
            let want = dt / (na.sqrt().max(eps) * nb.sqrt().max(eps));
            prop_assert!((flat[o] - want).abs() <= 1e-12, "{} vs {}", flat[o], want);
        }
    }
}
