//! Tests of `mlinalg::geometry`: NumPy fixtures (tests/fixtures/geometry, made by
//! gen_geometry.py), including the neighbour gap on the sentence embeddings of ../shared/data
//! (skipped with a message when absent), and the trends the curse of dimensionality predicts.

mod common;

use common::{check_cases, Case};
use mlinalg::geometry::{
    ball_volume_fraction, distance_concentration, neighbor_gap, one_hot, radius_holding_fraction,
};
use mlinalg::io::read_npy;
use mlinalg::ErrorKind;
use ndarray::{Array2, Ix2};
use std::path::PathBuf;

const MODULE: &str = "geometry";

fn shared_data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn scalar(case: &Case, i: usize) -> f64 {
    common::load::<f64>(MODULE, &case.expected[i])
        .iter()
        .copied()
        .next()
        .expect("a value")
}

#[test]
fn numpy_fixtures() {
    let cases = common::cases(MODULE);
    check_cases(&cases, |case| {
        let p = &case.params;
        let d = p["d"].as_u64().map(|d| d as usize);
        let (got, want) = match case.op.as_str() {
            "ball_volume_fraction" => (
                ball_volume_fraction(p["r"].as_f64().expect("r"), d.expect("d")),
                scalar(case, 0),
            ),
            "radius_holding_fraction" => (
                radius_holding_fraction(p["p"].as_f64().expect("p"), d.expect("d")),
                scalar(case, 0),
            ),
            "neighbor_gap" => return check_neighbor_gap(case),
            other => panic!("unknown op {other}"),
        };
        let got = got.map_err(|e| format!("{}: {e}", case.name))?;
        if (got - want).abs() <= 1e-14 * want.abs().max(1e-300) + 1e-300 {
            Ok(())
        } else {
            Err(format!("{}: got {got:e}, expected {want:e}", case.name))
        }
    });
}

fn check_neighbor_gap(case: &Case) -> Result<(), String> {
    let (base_path, query_path) = (
        shared_data(case.params["base"].as_str().expect("base")),
        shared_data(case.params["queries"].as_str().expect("queries")),
    );
    if !base_path.exists() || !query_path.exists() {
        eprintln!("skipping {}: {} absent", case.name, base_path.display());
        return Ok(());
    }
    let base: Array2<f32> = read_npy::<f32, Ix2>(&base_path).map_err(|e| e.to_string())?;
    let queries: Array2<f32> = read_npy::<f32, Ix2>(&query_path).map_err(|e| e.to_string())?;
    let last = case.params["last"].as_u64().expect("last") as usize;
    let gap = neighbor_gap(&base, &queries, last).map_err(|e| e.to_string())?;
    let first = common::load::<f64>(MODULE, &case.expected[0]);
    let lastv = common::load::<f64>(MODULE, &case.expected[1]);
    // f32 inputs and an f32 GEMM against NumPy in f64: similarities agree to ~1e-6.
    for (i, (g, w)) in gap
        .first
        .iter()
        .zip(first.iter())
        .chain(gap.last.iter().zip(lastv.iter()))
        .enumerate()
    {
        if (g - w).abs() > 2e-6 {
            return Err(format!(
                "{}: similarity {i}: got {g}, expected {w}",
                case.name
            ));
        }
    }
    let mean_gap = gap.mean_gap();
    eprintln!("mean cosine gap between the 1st and 100th neighbour on the shared embeddings: {mean_gap:.4}");
    Ok(())
}

#[test]
fn distances_concentrate_as_the_dimension_grows() {
    let contrasts: Vec<f64> = [2, 10, 100, 1000]
        .iter()
        .map(|&d| {
            distance_concentration(d, 500, 20, 7)
                .unwrap()
                .relative_contrast
        })
        .collect();
    assert!(contrasts.windows(2).all(|w| w[0] > w[1]), "{contrasts:?}");
    assert!(contrasts[3] < 0.3, "{contrasts:?}");
    let c = distance_concentration(1000, 500, 20, 7).unwrap();
    // Uniform in the unit cube: distances ≈ √(d/6) with a spread of about 0.24 / √(d/6).
    assert!(
        (c.min + c.max) / 2.0 > 12.0 && (c.min + c.max) / 2.0 < 14.0,
        "{c:?}"
    );
    assert!(c.coefficient_of_variation < 0.03, "{c:?}");
}

#[test]
fn one_hot_vectors_are_all_equidistant() {
    let v = one_hot::<f32>(1000, &[3, 17, 999, 42]).unwrap();
    let d = mlinalg::vector::cdist(&v, &v).unwrap();
    for ((i, j), &x) in d.indexed_iter() {
        let want = if i == j { 0.0 } else { 2f32.sqrt() };
        assert!((x - want).abs() < 1e-6);
    }
    assert_eq!(
        one_hot::<f32>(3, &[3]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn argument_errors() {
    assert_eq!(
        ball_volume_fraction(1.5, 3).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        ball_volume_fraction(0.5, 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        radius_holding_fraction(-0.1, 3).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(distance_concentration(3, 1, 1, 0).is_err());
    let base = Array2::<f64>::eye(3);
    let q = Array2::<f64>::ones((1, 2));
    assert_eq!(
        neighbor_gap(&base, &q, 1).unwrap_err().kind(),
        ErrorKind::Shape
    );
    assert_eq!(
        neighbor_gap(&base, &base, 4).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        neighbor_gap(&base, &Array2::zeros((1, 3)), 1)
            .unwrap_err()
            .kind(),
        ErrorKind::ZeroVector
    );
}
