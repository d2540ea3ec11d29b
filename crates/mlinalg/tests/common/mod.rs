//! Shared test support: loading NumPy fixtures (cases, arrays, the view steps of a case) and
//! comparing arrays with a report of the worst element (as llm.c does: print the largest
//! difference, not just "not equal"). Submodules: `strided` (arrays in several memory layouts
//! for property tests) and `reference` (slow, index-by-index references).
#![allow(dead_code)]

pub mod reference;
pub mod strided;

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, ArrayViewD, Axis, Dimension, IxDyn, Slice};
use ndarray_npy::{read_npy, ReadNpyError, ReadableElement};
use serde_json::Value;

/// One fixture case of `tests/fixtures/<module>/cases.json`.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub op: String,
    pub params: Value,
    pub inputs: Vec<String>,
    pub expected: Vec<String>,
    /// The Python exception class when the reference raised (then `expected` is empty).
    pub error: Option<String>,
}

pub fn fixture_dir(module: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(module)
}

/// A JSON list of strings (missing: empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("a string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON list of non-negative integers.
pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("a list of integers")
        .iter()
        .map(|x| x.as_u64().expect("a usize") as usize)
        .collect()
}

/// A JSON list of integers.
pub fn isizes(v: &Value) -> Vec<isize> {
    v.as_array()
        .expect("a list of integers")
        .iter()
        .map(|x| x.as_i64().expect("an isize") as isize)
        .collect()
}

/// All cases of a module's fixtures (panics with a clear message when they are missing).
pub fn cases(module: &str) -> Vec<Case> {
    let path = fixture_dir(module).join("cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tests/fixtures/generate.py)", path.display()));
    let json: Value = serde_json::from_str(&text).expect("cases.json is valid JSON");
    json.as_array()
        .expect("cases.json holds a list")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("a case name").to_string(),
            op: c["op"].as_str().expect("a case op").to_string(),
            params: c["params"].clone(),
            inputs: strings(&c["inputs"]),
            expected: strings(&c["expected"]),
            error: c["error"].as_str().map(String::from),
        })
        .collect()
}

/// Reads `tests/fixtures/<module>/<file>` as an n-d array of `T`, or says why it cannot.
pub fn try_load<T: ReadableElement>(module: &str, file: &str) -> Result<ArrayD<T>, ReadNpyError> {
    read_npy(fixture_dir(module).join(file))
}

/// Reads `tests/fixtures/<module>/<file>` as an n-d array of `T`.
pub fn load<T: ReadableElement>(module: &str, file: &str) -> ArrayD<T> {
    try_load(module, file)
        .unwrap_or_else(|e| panic!("{}: {e}", fixture_dir(module).join(file).display()))
}

/// The input arrays of a case, as stored.
pub fn load_inputs<T: ReadableElement>(module: &str, case: &Case) -> Vec<ArrayD<T>> {
    case.inputs.iter().map(|f| load(module, f)).collect()
}

/// Applies the view steps of a case (see tests/fixtures/README.md) to a loaded array:
/// `{"permute": axes}`, `{"step": [s0, s1, ...]}` (negative: reversed) and
/// `{"broadcast": shape}`, which must come first (a broadcast view borrows the array it is taken
/// from). No steps (`null`): the array itself.
pub fn apply_view<'a, T>(base: &'a ArrayD<T>, steps: &Value) -> ArrayViewD<'a, T> {
    let mut view = base.view();
    for (k, step) in steps
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let (kind, arg) = step
            .as_object()
            .and_then(|o| o.iter().next())
            .expect("a view step");
        match kind.as_str() {
            "broadcast" => {
                assert_eq!(k, 0, "broadcast must be the first view step");
                view = base.broadcast(IxDyn(&usizes(arg))).expect("broadcastable");
            }
            "permute" => view = view.permuted_axes(IxDyn(&usizes(arg))),
            "step" => {
                for (ax, &s) in isizes(arg).iter().enumerate() {
                    view.slice_axis_inplace(Axis(ax), Slice::new(0, None, s));
                }
            }
            other => panic!("unknown view step {other}"),
        }
    }
    view
}

/// The inputs of a case seen through its view steps (`params["views"][i]` for input `i`).
pub fn case_views<'a, T>(case: &Case, inputs: &'a [ArrayD<T>]) -> Vec<ArrayViewD<'a, T>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, a)| apply_view(a, &case.params["views"][i]))
        .collect()
}

/// Runs `run` on every case and fails once at the end, listing every case that failed.
pub fn check_cases(cases: &[Case], run: impl Fn(&Case) -> Result<(), String>) {
    let failures: Vec<String> = cases.iter().filter_map(|c| run(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `|got - want| <= atol + rtol |want|` elementwise, NaN matching NaN, infinities exact; the
/// first element that is not close is the error.
pub fn check_close<T: mlinalg::Scalar>(
    name: &str,
    got: &ArrayD<T>,
    want: ArrayViewD<'_, T>,
    rtol: f64,
    atol: f64,
) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!(
            "{name}: shape {:?} != expected {:?}",
            got.shape(),
            want.shape()
        ));
    }
    for (g, w) in got.iter().zip(want.iter()) {
        let (g, w) = (g.as_f64(), w.as_f64());
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= atol + rtol * w.abs()
        };
        if !ok {
            return Err(format!(
                "{name}: got {g:e}, expected {w:e} (rtol {rtol:e}, atol {atol:e})"
            ));
        }
    }
    Ok(())
}

/// A result must be a new array in standard (row-major, contiguous) layout.
pub fn check_standard_layout<T>(name: &str, got: &ArrayD<T>) -> Result<(), String> {
    if got.is_standard_layout() {
        Ok(())
    } else {
        Err(format!("{name}: result not in standard layout"))
    }
}

/// Asserts `actual` ≈ `expected` elementwise (|a − e| ≤ atol + rtol·|e|, NaN matches NaN, equal
/// infinities match), reporting the worst element and its index on failure.
pub fn assert_close<A, B>(
    actual: &ndarray::ArrayBase<A, ndarray::IxDyn>,
    expected: &ndarray::ArrayBase<B, ndarray::IxDyn>,
    rtol: f64,
    atol: f64,
    context: &str,
) where
    A: ndarray::Data,
    B: ndarray::Data,
    A::Elem: Copy + Into<f64>,
    B::Elem: Copy + Into<f64>,
{
    assert_eq!(actual.shape(), expected.shape(), "{context}: shapes differ");
    let mut worst: Option<(f64, Vec<usize>, f64, f64)> = None;
    for (idx, (&a, &e)) in ndarray::indices(actual.shape())
        .into_iter()
        .zip(actual.iter().zip(expected.iter()))
    {
        let (a, e): (f64, f64) = (a.into(), e.into());
        let ok = (a.is_nan() && e.is_nan()) || a == e || (a - e).abs() <= atol + rtol * e.abs();
        if !ok {
            let excess = (a - e).abs() - (atol + rtol * e.abs());
            if worst
                .as_ref()
                .is_none_or(|w| excess > w.0 || excess.is_nan())
            {
                worst = Some((excess, idx.slice().to_vec(), a, e));
            }
        }
    }
    if let Some((_, idx, a, e)) = worst {
        panic!("{context}: worst element at {idx:?}: got {a:e}, expected {e:e} (|diff| {:e}, rtol {rtol:e}, atol {atol:e})", (a - e).abs());
    }
}

/// CRC-32 (IEEE), bit by bit: an independent check of the format's checksum.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
