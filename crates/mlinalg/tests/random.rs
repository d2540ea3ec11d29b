//! Tests of `mlinalg::random`: the stream checked against an independent ChaCha8 (the
//! fixtures of tests/fixtures/gen_random.py), pinned first values of every sampler (the streams
//! must not change between platforms or releases), argument validation, and statistics of
//! large samples.

mod common;

use mlinalg::random::Rng;
use mlinalg::{ErrorKind, Result};
use ndarray::ArrayD;
use rand::{Rng as _, RngCore};

/// The raw 64-bit stream and `uniform` equal those of an independent Python implementation of
/// the ChaCha8 block function with rand_core's `seed_from_u64` (tests/fixtures/gen_random.py).
/// The uniform values are `low + (high - low) * (u64 >> 11) * 2^-53`, the same IEEE operations
/// in both languages, so the comparison is exact.
#[test]
fn stream_matches_independent_chacha8() {
    let cases = common::cases("random");
    assert!(cases.len() >= 4);
    for case in &cases {
        let p = &case.params;
        let seed = p["seed"].as_u64().expect("seed");
        let n = p["n"].as_u64().expect("n") as usize;
        let expected_file = &case.expected[0];
        let mut rng = Rng::seed(seed);
        match case.op.as_str() {
            "next_u64" => {
                let want: ArrayD<u64> = common::load("random", expected_file);
                let got: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
                assert_eq!(
                    got,
                    want.iter().copied().collect::<Vec<_>>(),
                    "{}",
                    case.name
                );
            }
            "uniform" => {
                let want: ArrayD<f64> = common::load("random", expected_file);
                let (low, high) = (
                    p["low"].as_f64().expect("low"),
                    p["high"].as_f64().expect("high"),
                );
                let got = rng.uniform::<f64>(&[n], low, high).expect("valid range");
                assert_eq!(got, want, "{}", case.name);
            }
            other => panic!("unknown op {other:?}"),
        }
    }
}

/// The first values of each sampler for fixed seeds. A change here is a breaking change of `Rng`.
#[test]
fn pinned_first_values() -> Result<()> {
    let z = Rng::seed(42).standard_normal::<f64>(&[4])?;
    assert_eq!(
        z.as_slice().unwrap(),
        &[
            0.47798123835102174,
            1.3340706102318078,
            -0.21086668327103028,
            0.4763469238088213
        ]
    );
    let u = Rng::seed(42).uniform::<f64>(&[4], 0.0, 1.0)?;
    assert_eq!(
        u.as_slice().unwrap(),
        &[
            0.6818961923066714,
            0.950275407672484,
            0.4275164028565197,
            0.6273605211973403
        ]
    );
    let i = Rng::seed(42).integers(&[6], 0, 50_257)?;
    assert_eq!(
        i.as_slice().unwrap(),
        &[34270, 47757, 21485, 31529, 14503, 7536]
    );
    let w = Rng::seed(0).normal::<f32>(&[3], 0.0, 0.02)?;
    assert_eq!(
        w.as_slice().unwrap(),
        &[0.013999215, -0.0028812326, 0.0060577253]
    );
    let mut raw = Rng::seed(7);
    assert_eq!(
        [raw.next_u64(), raw.next_u64()],
        [2910824217569608635, 3098856782162503994]
    );
    Ok(())
}

#[test]
fn same_seed_same_numbers_different_seed_different() -> Result<()> {
    let a = Rng::seed(123).standard_normal::<f64>(&[50])?;
    let b = Rng::seed(123).standard_normal::<f64>(&[50])?;
    let c = Rng::seed(124).standard_normal::<f64>(&[50])?;
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Successive calls continue the stream rather than restart it.
    let mut rng = Rng::seed(123);
    let first = rng.standard_normal::<f64>(&[25])?;
    let second = rng.standard_normal::<f64>(&[25])?;
    assert_eq!(first.as_slice().unwrap(), &a.as_slice().unwrap()[..25]);
    assert_eq!(second.as_slice().unwrap(), &a.as_slice().unwrap()[25..]);
    // A clone continues identically.
    let mut r1 = Rng::seed(5);
    r1.next_u32();
    let mut r2 = r1.clone();
    assert_eq!(
        r1.uniform::<f32>(&[10], 0.0, 1.0)?,
        r2.uniform::<f32>(&[10], 0.0, 1.0)?
    );
    Ok(())
}

/// Arrays are filled in row-major order: the shape does not change the sequence.
#[test]
fn row_major_fill() -> Result<()> {
    let flat = Rng::seed(1).standard_normal::<f64>(&[24])?;
    let shaped = Rng::seed(1).standard_normal::<f64>(&[2, 3, 4])?;
    assert!(shaped.is_standard_layout());
    assert_eq!(shaped.as_slice().unwrap(), flat.as_slice().unwrap());
    let m = Rng::seed(1).normal_matrix::<f64>(4, 6)?;
    assert_eq!(m.as_slice().unwrap(), flat.as_slice().unwrap());
    Ok(())
}

/// f32 samples are the f64 samples rounded; normal(mean, std) is mean + std * standard_normal.
#[test]
fn precision_and_affine_relations() -> Result<()> {
    let z64 = Rng::seed(9).standard_normal::<f64>(&[100])?;
    let z32 = Rng::seed(9).standard_normal::<f32>(&[100])?;
    for (a, b) in z64.iter().zip(z32.iter()) {
        assert_eq!(*a as f32, *b);
    }
    let x = Rng::seed(9).normal::<f64>(&[100], 3.0, 0.5)?;
    for (z, x) in z64.iter().zip(x.iter()) {
        assert_eq!(3.0 + 0.5 * z, *x);
    }
    // std = 0 is allowed and gives the mean.
    assert!(Rng::seed(9)
        .normal::<f64>(&[5], 2.5, 0.0)?
        .iter()
        .all(|&v| v == 2.5));
    Ok(())
}

#[test]
fn shapes_zero_d_and_empty() -> Result<()> {
    let s = Rng::seed(0).standard_normal::<f64>(&[])?;
    assert_eq!(s.ndim(), 0);
    assert_eq!(s.len(), 1);
    let e = Rng::seed(0).uniform::<f32>(&[3, 0, 2], 0.0, 1.0)?;
    assert_eq!(e.shape(), &[3, 0, 2]);
    assert_eq!(Rng::seed(0).integers(&[0], 0, 1)?.len(), 0);
    assert_eq!(Rng::seed(0).normal_matrix::<f32>(0, 4)?.dim(), (0, 4));
    Ok(())
}

#[test]
fn invalid_arguments() {
    let mut rng = Rng::seed(0);
    let kind = |r: Result<ArrayD<f64>>| r.unwrap_err().kind();
    assert_eq!(
        kind(rng.normal(&[2], 0.0, -1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.normal(&[2], f64::NAN, 1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.normal(&[2], 0.0, f64::INFINITY)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.uniform(&[2], 1.0, 1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.uniform(&[2], 2.0, 1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.uniform(&[2], f64::NEG_INFINITY, 1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.uniform(&[2], -f64::MAX, f64::MAX)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.standard_normal(&[usize::MAX, 2])),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(rng.standard_normal(&[usize::MAX / 4])),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        rng.integers(&[2], 3, 3).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        rng.integers(&[2], 4, 3).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        rng.normal_matrix::<f64>(usize::MAX, 3).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    let err = rng.normal::<f64>(&[2], 0.0, -1.0).unwrap_err();
    assert_eq!(err.to_string(), "normal: std must be non-negative, got -1");
    let err = rng.uniform::<f32>(&[2], 1.0, 0.5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "uniform: low must be less than high, got low = 1, high = 0.5"
    );
    let err = rng.integers(&[2], 5, 5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "integers: low must be less than high, got low = 5, high = 5"
    );
}

/// Mean and variance of 200 000 samples, within 6 standard errors.
#[test]
fn normal_statistics() -> Result<()> {
    let n = 200_000usize;
    let x = Rng::seed(2024).normal::<f64>(&[n], -1.5, 3.0)?;
    let mean = x.sum() / n as f64;
    let var = x.mapv(|v| (v - mean).powi(2)).sum() / (n - 1) as f64;
    assert!(
        (mean + 1.5).abs() < 6.0 * 3.0 / (n as f64).sqrt(),
        "mean {mean}"
    );
    assert!(
        (var / 9.0 - 1.0).abs() < 6.0 * (2.0 / n as f64).sqrt(),
        "var {var}"
    );
    // Symmetry: about half the samples are below the mean.
    let below = x.iter().filter(|&&v| v < -1.5).count() as f64 / n as f64;
    assert!((below - 0.5).abs() < 6.0 * 0.5 / (n as f64).sqrt());
    Ok(())
}

#[test]
fn uniform_statistics_and_bounds() -> Result<()> {
    let n = 200_000usize;
    let x = Rng::seed(77).uniform::<f32>(&[n], -2.0, 6.0)?;
    assert!(x.iter().all(|&v| (-2.0..6.0).contains(&v)));
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let sd = 8.0 / 12f64.sqrt();
    assert!(
        (mean - 2.0).abs() < 6.0 * sd / (n as f64).sqrt(),
        "mean {mean}"
    );
    // Ten equal bins hold about n / 10 each.
    let mut bins = [0usize; 10];
    for &v in &x {
        bins[(((v + 2.0) / 0.8) as usize).min(9)] += 1;
    }
    for b in bins {
        assert!(
            (b as f64 - n as f64 / 10.0).abs() < 6.0 * (n as f64 * 0.09).sqrt(),
            "{bins:?}"
        );
    }
    Ok(())
}

/// An f32 range one ulp wide: low + width * u rounds to high for about half the draws, which
/// are redrawn, so high never appears.
#[test]
fn uniform_never_returns_high() -> Result<()> {
    let low = 1.0_f32;
    let high = f32::from_bits(low.to_bits() + 1);
    let x = Rng::seed(3).uniform::<f32>(&[10_000], low, high)?;
    assert!(x.iter().all(|&v| v == low));
    Ok(())
}

#[test]
fn integers_range_and_coverage() -> Result<()> {
    let x = Rng::seed(11).integers(&[60_000], -3, 3)?;
    assert!(x.iter().all(|&v| (-3..3).contains(&v)));
    for k in -3..3 {
        let count = x.iter().filter(|&&v| v == k).count() as f64;
        assert!((count - 10_000.0).abs() < 6.0 * (60_000.0_f64 * (1.0 / 6.0) * (5.0 / 6.0)).sqrt());
    }
    // The full i64 range and a single value work.
    let wide = Rng::seed(11).integers(&[100], i64::MIN, i64::MAX)?;
    assert!(wide.iter().any(|&v| v < 0) && wide.iter().any(|&v| v > 0));
    assert!(Rng::seed(11)
        .integers(&[20], 41, 42)?
        .iter()
        .all(|&v| v == 41));
    Ok(())
}

/// `Rng` is a `rand::RngCore`, so rand's own API draws from the same stream.
#[test]
fn usable_with_rand() {
    let mut a = Rng::seed(8);
    let mut b = Rng::seed(8);
    let x: u32 = a.random_range(0..1000);
    let y: u32 = b.random_range(0..1000);
    assert_eq!(x, y);
    let mut bytes = [0u8; 16];
    a.fill_bytes(&mut bytes);
    assert!(bytes.iter().any(|&v| v != 0));
}
