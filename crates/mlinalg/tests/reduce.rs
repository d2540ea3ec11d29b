//! Tests of `mlinalg::reduce`: hand-checked examples, NumPy fixtures (tests/fixtures/reduce, made
//! by gen_reduce.py) and property tests against slow, obviously correct loops in f64 over random
//! shapes and layouts (transposed, stepped, reversed, broadcast).

mod common;

use common::reference::lanes as lanes_ref;
use common::strided::{Strided, LAYOUTS};
use common::Case;
use mlinalg::reduce::{argmax, argmin, max, mean, min, std, sum, var};
use mlinalg::{ErrorKind, Result, Scalar};
use ndarray::{array, Array1, ArrayD, ArrayViewD, Axis};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

#[test]
fn sums_and_means_along_axes() -> Result<()> {
    let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    assert_eq!(sum(&x, None, false)?[[]], 21.0);
    assert_eq!(sum(&x, None, true)?, array![[21.0]].into_dyn());
    assert_eq!(sum(&x, Some(0), false)?, array![5.0, 7.0, 9.0].into_dyn());
    assert_eq!(sum(&x, Some(-1), true)?, array![[6.0], [15.0]].into_dyn());
    assert_eq!(mean(&x, Some(1), false)?, array![2.0, 5.0].into_dyn());
    assert_eq!(mean(&x.t(), Some(0), false)?, array![2.0, 5.0].into_dyn());
    Ok(())
}

#[test]
fn variance_with_ddof() -> Result<()> {
    let x = array![2.0_f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    assert_eq!(var(&x, None, 0, false)?[[]], 4.0);
    assert_eq!(std(&x, None, 0, false)?[[]], 2.0);
    assert!((var(&x, None, 1, false)?[[]] - 32.0 / 7.0).abs() < 1e-6);
    // n - ddof <= 0 divides by zero, as NumPy: 0/0 = NaN, positive/0 = inf.
    assert!(var(&array![1.0_f64], None, 1, false)?[[]].is_nan());
    assert_eq!(var(&array![1.0, 2.0], None, 2, false)?[[]], f64::INFINITY);
    Ok(())
}

#[test]
fn extremes_nan_and_ties() -> Result<()> {
    let x = array![[3.0, 7.0, 7.0], [f64::NAN, 1.0, f64::NAN]];
    assert_eq!(max(&x, Some(1), false)?[[0]], 7.0);
    assert!(max(&x, Some(1), false)?[[1]].is_nan());
    assert!(min(&x, None, false)?[[]].is_nan());
    assert_eq!(argmax(&x, Some(1), false)?, array![1, 0].into_dyn());
    assert_eq!(argmin(&x, Some(1), false)?, array![0, 0].into_dyn());
    assert_eq!(argmax(&x, None, false)?[[]], 3);
    assert_eq!(
        argmin(&array![f64::NAN, f64::NEG_INFINITY], None, false)?[[]],
        0
    );
    assert_eq!(argmax(&x, None, true)?.shape(), &[1, 1]);
    // Along an outer axis (the vectorised path).
    assert_eq!(argmax(&x, Some(0), false)?, array![1, 0, 1].into_dyn());
    assert_eq!(max(&x, Some(0), false)?[[1]], 7.0);
    Ok(())
}

#[test]
fn empty_inputs() -> Result<()> {
    let e = ndarray::Array2::<f64>::zeros((3, 0));
    assert_eq!(sum(&e, Some(1), false)?, array![0.0, 0.0, 0.0].into_dyn());
    assert_eq!(sum(&e, None, false)?[[]], 0.0);
    assert!(mean(&e, None, false)?[[]].is_nan());
    assert_eq!(mean(&e, Some(0), false)?.shape(), &[0]);
    assert_eq!(max(&e, Some(0), false)?.shape(), &[0]);
    for err in [
        max(&e, Some(1), false).unwrap_err(),
        min(&e, None, false).unwrap_err(),
        argmax(&e, Some(-1), false).map(|_| ()).unwrap_err(),
        argmin(&e, None, true).map(|_| ()).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Empty);
        assert_eq!(err.shapes(), &[vec![3, 0]]);
    }
    assert_eq!(
        max(&e, Some(1), false).unwrap_err().to_string(),
        "max: cannot reduce axis 1 of length zero (array of shape (3, 0))"
    );
    // A 0-d array reduces to itself.
    let s = ndarray::arr0(2.5);
    assert_eq!(sum(&s, None, false)?[[]], 2.5);
    assert_eq!(argmax(&s, None, true)?[[]], 0);
    Ok(())
}

#[test]
fn axis_errors() {
    let x = ndarray::Array2::<f64>::zeros((2, 3));
    let err = sum(&x, Some(2), false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Axis);
    assert_eq!(
        err.to_string(),
        "sum: axis 2 is out of bounds for array of dimension 2"
    );
    assert_eq!(err.shapes(), &[vec![2, 3]]);
    assert_eq!(
        var(&x, Some(-3), 0, false).unwrap_err().kind(),
        ErrorKind::Axis
    );
    assert_eq!(
        argmin(&ndarray::arr0(1.0), Some(0), false)
            .unwrap_err()
            .kind(),
        ErrorKind::Axis
    );
}

/// Pairwise summation: a sequential f32 sum of ten million 0.1s is off by about 10%
/// (increments are lost once the sum is large); the pairwise sum is within ~1e-7.
#[test]
fn pairwise_summation_is_accurate() -> Result<()> {
    let x = Array1::<f32>::from_elem(10_000_000, 0.1);
    let s = sum(&x, None, false)?[[]];
    let exact = 0.1_f32 as f64 * 1e7;
    assert!(((s as f64) - exact).abs() / exact < 1e-6, "{s} vs {exact}");
    // Along an outer axis too.
    let y = ndarray::Array2::<f32>::from_elem((100_000, 3), 0.1);
    let col = sum(&y, Some(0), false)?;
    for &c in &col {
        let exact = 1e5 * 0.1_f32 as f64;
        assert!(((c as f64) - exact).abs() / exact < 1e-6, "{c}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// NumPy fixtures
// ---------------------------------------------------------------------------------------------

fn axis_param(p: &Value) -> Option<isize> {
    p["axis"].as_i64().map(|a| a as isize)
}

fn call_float<T: Scalar>(op: &str, x: &ArrayViewD<'_, T>, p: &Value) -> Result<ArrayD<T>> {
    let axis = axis_param(p);
    let keep = p["keepdims"].as_bool().unwrap_or(false);
    let ddof = p["ddof"].as_u64().unwrap_or(0) as usize;
    match op {
        "sum" => sum(x, axis, keep),
        "mean" => mean(x, axis, keep),
        "var" => var(x, axis, ddof, keep),
        "std" => std(x, axis, ddof, keep),
        "max" => max(x, axis, keep),
        "min" => min(x, axis, keep),
        other => panic!("unknown op {other}"),
    }
}

fn call_arg<T: Scalar>(op: &str, x: &ArrayViewD<'_, T>, p: &Value) -> Result<ArrayD<usize>> {
    let axis = axis_param(p);
    let keep = p["keepdims"].as_bool().unwrap_or(false);
    match op {
        "argmax" => argmax(x, axis, keep),
        "argmin" => argmin(x, axis, keep),
        other => panic!("unknown op {other}"),
    }
}

fn run_case<T: Scalar + ReadableElement>(case: &Case) -> std::result::Result<(), String> {
    let name = case.name.as_str();
    let op = case.op.as_str();
    let p = &case.params;
    let inputs: Vec<ArrayD<T>> = common::load_inputs("reduce", case);
    let views = common::case_views(case, &inputs);

    if op == "mean_var_formula" {
        let n = p["n"].as_u64().expect("n") as usize;
        let x: Array1<f32> = (0..n)
            .map(|i| ((i as u64 * 7919 % 10007) as f64 / 10007.0) as f32 + 1000.0)
            .collect();
        let m = mean(&x, None, false).map_err(|e| e.to_string())?[[]] as f64;
        let v = var(&x, None, 0, false).map_err(|e| e.to_string())?[[]] as f64;
        let numpy: ArrayD<f32> = common::load("reduce", &case.expected[0]);
        let exact: ArrayD<f64> = common::load("reduce", &case.expected[1]);
        let (em, ev) = (exact[[0]], exact[[1]]);
        // Pairwise f32: mean within 1e-6 relative of the exact value and of NumPy's.
        if (m - em).abs() / em > 1e-6 || (m - numpy[[0]] as f64).abs() / em > 1e-6 {
            return Err(format!(
                "{name}: mean {m} vs exact {em}, NumPy {}",
                numpy[[0]]
            ));
        }
        if (v - ev).abs() / ev > 1e-5 || (v - numpy[[1]] as f64).abs() / ev > 1e-5 {
            return Err(format!(
                "{name}: var {v} vs exact {ev}, NumPy {}",
                numpy[[1]]
            ));
        }
        return Ok(());
    }

    if let Some(error) = case.error.as_deref() {
        let res = match op {
            "argmax" | "argmin" => call_arg(op, &views[0], p).map(|_| ()),
            _ => call_float(op, &views[0], p).map(|_| ()),
        };
        let kind = match res {
            Ok(()) => return Err(format!("{name}: expected {error}, got Ok")),
            Err(e) => e.kind(),
        };
        let want = if error == "AxisError" {
            ErrorKind::Axis
        } else {
            ErrorKind::Empty
        };
        return if kind == want {
            Ok(())
        } else {
            Err(format!("{name}: expected {want:?}, got {kind:?}"))
        };
    }

    assert_eq!(op, "reductions");
    let floats: ArrayD<T> = common::load("reduce", &case.expected[0]);
    let ints: ArrayD<i64> = common::load("reduce", &case.expected[1]);
    let rtol = p["rtol"].as_f64().expect("rtol");
    for (i, op) in common::strings(&p["ops"]).iter().enumerate() {
        let atol = p["atol"][op.as_str()].as_f64().unwrap_or(0.0);
        let got = call_float(op, &views[0], p).map_err(|e| format!("{name} {op}: {e}"))?;
        let label = format!("{name} {op}");
        common::check_close(&label, &got, floats.index_axis(Axis(0), i), rtol, atol)?;
        common::check_standard_layout(&label, &got)?;
    }
    for (i, op) in common::strings(&p["arg_ops"]).iter().enumerate() {
        let got = call_arg(op, &views[0], p).map_err(|e| format!("{name} {op}: {e}"))?;
        let want = ints.index_axis(Axis(0), i).mapv(|v| v as usize);
        if got != want {
            return Err(format!("{name} {op}: got {got}, expected {want}"));
        }
    }
    Ok(())
}

#[test]
fn numpy_fixtures() {
    let cases = common::cases("reduce");
    assert!(cases.len() > 100);
    common::check_cases(&cases, |case| match case.params["dtype"].as_str() {
        Some("float64") => run_case::<f64>(case),
        Some("float32") => run_case::<f32>(case),
        other => Err(format!("unknown dtype {other:?}")),
    });
}

// ---------------------------------------------------------------------------------------------
// Property tests against plain loops
// ---------------------------------------------------------------------------------------------

/// Values in [-8, 8) on a grid of 1/64, some repeated (ties for argmax), from a xorshift state.
fn grid_value(state: u64) -> f64 {
    ((state >> 11) % 1024) as f64 / 64.0 - 8.0
}

/// Strategy: a random shape of rank up to `max_rank` in a random layout.
fn strided(max_rank: usize) -> impl Strategy<Value = Strided> {
    (
        prop::collection::vec(0usize..6, 0..=max_rank),
        0u8..LAYOUTS,
        any::<u64>(),
    )
        .prop_map(|(shape, layout, seed)| Strided::new(shape, layout, seed, grid_value))
}

fn ref_sum(l: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in l {
        s += x;
    }
    s
}

fn ref_var(l: &[f64], ddof: usize) -> f64 {
    let m = ref_sum(l) / l.len() as f64;
    let mut s = 0.0;
    for &x in l {
        s += (x - m) * (x - m);
    }
    s / (l.len() as f64 - ddof as f64).max(0.0)
}

fn ref_argmax(l: &[f64], greater: bool) -> usize {
    let mut best = 0;
    for (i, &x) in l.iter().enumerate() {
        if (greater && x > l[best]) || (!greater && x < l[best]) {
            best = i;
        }
    }
    best
}

fn compare(
    name: &str,
    got: &ArrayD<f64>,
    shape: &[usize],
    want: &[f64],
    tol: f64,
) -> std::result::Result<(), TestCaseError> {
    prop_assert_eq!(got.shape(), shape, "{} shape", name);
    prop_assert!(got.is_standard_layout());
    for (g, w) in got.iter().zip(want) {
        prop_assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol * (1.0 + w.abs()),
            "{}: got {} want {}",
            name,
            g,
            w
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reductions_match_loops(s in strided(4), pick in any::<u8>(), keepdims in any::<bool>(), ddof in 0usize..3) {
        let x = s.view();
        let nd = x.ndim();
        let axis = if nd == 0 || pick % (nd as u8 + 1) == 0 { None } else { Some((pick % nd as u8) as usize) };
        // Negative axes reach the same axis.
        let axis_arg = axis.map(|k| if pick % 2 == 0 { k as isize } else { k as isize - nd as isize });
        let (shape, lanes) = lanes_ref(&x, axis, keepdims);

        let want: Vec<f64> = lanes.iter().map(|l| ref_sum(l)).collect();
        compare("sum", &sum(&x, axis_arg, keepdims).unwrap(), &shape, &want, 1e-12)?;
        let want: Vec<f64> = lanes.iter().map(|l| ref_sum(l) / l.len() as f64).collect();
        compare("mean", &mean(&x, axis_arg, keepdims).unwrap(), &shape, &want, 1e-12)?;
        let want: Vec<f64> = lanes.iter().map(|l| ref_var(l, ddof)).collect();
        let got = var(&x, axis_arg, ddof, keepdims).unwrap();
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= 1e-10 * (1.0 + w.abs()), "var {} {}", g, w);
        }
        let got = std(&x, axis_arg, ddof, keepdims).unwrap();
        for (g, w) in got.iter().zip(&want) {
            let w = w.sqrt();
            prop_assert!((g.is_nan() && w.is_nan()) || g == &w || (g - w).abs() <= 1e-7 * (1.0 + w.abs()), "std {} {}", g, w);
        }

        let nonempty = lanes.iter().all(|l| !l.is_empty());
        let reduced_len = axis.map_or(x.len(), |k| x.shape()[k]);
        if reduced_len == 0 {
            prop_assert_eq!(max(&x, axis_arg, keepdims).unwrap_err().kind(), ErrorKind::Empty);
            prop_assert_eq!(argmin(&x, axis_arg, keepdims).unwrap_err().kind(), ErrorKind::Empty);
        } else {
            prop_assert!(nonempty);
            let want: Vec<f64> = lanes.iter().map(|l| l[ref_argmax(l, true)]).collect();
            compare("max", &max(&x, axis_arg, keepdims).unwrap(), &shape, &want, 0.0)?;
            let want: Vec<f64> = lanes.iter().map(|l| l[ref_argmax(l, false)]).collect();
            compare("min", &min(&x, axis_arg, keepdims).unwrap(), &shape, &want, 0.0)?;
            let want: Vec<usize> = lanes.iter().map(|l| ref_argmax(l, true)).collect();
            let got = argmax(&x, axis_arg, keepdims).unwrap();
            prop_assert_eq!(got.shape(), shape.as_slice());
            prop_assert_eq!(got.iter().copied().collect::<Vec<_>>(), want);
            let want: Vec<usize> = lanes.iter().map(|l| ref_argmax(l, false)).collect();
            let got = argmin(&x, axis_arg, keepdims).unwrap();
            prop_assert_eq!(got.iter().copied().collect::<Vec<_>>(), want);
        }
    }

    /// f32 gives the f64 reference's answer to f32 accuracy, on any layout.
    #[test]
    fn f32_reductions_match_f64_loops(s in strided(3), axis_pick in any::<u8>()) {
        let x64 = s.view();
        let x = x64.mapv(|v| v as f32);
        let nd = x.ndim();
        let axis = if nd == 0 { None } else { Some((axis_pick % nd as u8) as usize) };
        let (shape, lanes) = lanes_ref(&x64, axis, false);
        let got = sum(&x, axis.map(|k| k as isize), false).unwrap().mapv(|v| v as f64);
        let want: Vec<f64> = lanes.iter().map(|l| ref_sum(l)).collect();
        // Values are on a 1/64 grid with |x| <= 8: every partial sum of < 2^14 terms is exact in f32.
        compare("sum f32", &got, &shape, &want, 0.0)?;
        let got = var(&x, axis.map(|k| k as isize), 0, false).unwrap().mapv(|v| v as f64);
        let want: Vec<f64> = lanes.iter().map(|l| ref_var(l, 0)).collect();
        compare("var f32", &got, &shape, &want, 1e-5)?;
    }

    /// Large arrays take the parallel and vectorised paths; results equal the small-path results
    /// on the same data (the summation tree does not depend on threads).
    #[test]
    fn big_outer_axis_sums(rows in 1usize..3000, cols in 1usize..40, seed in any::<u64>()) {
        let s = Strided::new(vec![rows, cols], 0, seed, grid_value);
        let x = s.view();
        let (shape, lanes) = lanes_ref(&x, Some(0), false);
        let want: Vec<f64> = lanes.iter().map(|l| ref_sum(l)).collect();
        compare("sum axis 0", &sum(&x, Some(0), false).unwrap(), &shape, &want, 0.0)?;
        let want: Vec<f64> = lanes.iter().map(|l| ref_var(l, 1)).collect();
        compare("var axis 0", &var(&x, Some(0), 1, false).unwrap(), &shape, &want, 1e-10)?;
    }
}
