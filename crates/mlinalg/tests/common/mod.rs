//! Shared test support: loading NumPy fixtures and comparing arrays with a report of the worst
//! element (as llm.c does: print the largest difference, not just "not equal").
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, Dimension};
use ndarray_npy::{ReadNpyExt, ReadableElement};
use serde_json::Value;

/// One fixture case of `tests/fixtures/<module>/cases.json`.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub op: String,
    pub params: Value,
    pub inputs: Vec<String>,
    pub expected: Vec<String>,
}

pub fn fixture_dir(module: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(module)
}

/// All cases of a module's fixtures (panics with a clear message when they are missing).
pub fn cases(module: &str) -> Vec<Case> {
    let path = fixture_dir(module).join("cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tests/fixtures/generate.py)", path.display()));
    let json: Value = serde_json::from_str(&text).expect("cases.json is valid JSON");
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    json.as_array()
        .expect("cases.json holds a list")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap_or_default().to_string(),
            op: c["op"].as_str().unwrap_or_default().to_string(),
            params: c["params"].clone(),
            inputs: strings(&c["inputs"]),
            expected: strings(&c["expected"]),
        })
        .collect()
}

/// Reads `tests/fixtures/<module>/<file>` as an n-d array of `T`.
pub fn load<T: ReadableElement>(module: &str, file: &str) -> ArrayD<T> {
    let path = fixture_dir(module).join(file);
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ArrayD::<T>::read_npy(f).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
