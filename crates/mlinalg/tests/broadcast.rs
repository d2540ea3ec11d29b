//! mlinalg::broadcast against NumPy fixtures and a slow index-mapping reference.

mod common;

use mlinalg::broadcast::{self, broadcast_shapes};
use mlinalg::ErrorKind;
use ndarray::{Array1, Array2, ArrayD, Dimension, IxDyn, ShapeBuilder};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;

type BinOp<T> = fn(&ArrayD<T>, &ArrayD<T>) -> mlinalg::Result<ArrayD<T>>;

fn op_of<T: mlinalg::Scalar>(name: &str) -> BinOp<T> {
    match name {
        "add" => |a, b| broadcast::add(a, b),
        "sub" => |a, b| broadcast::sub(a, b),
        "mul" => |a, b| broadcast::mul(a, b),
        "div" => |a, b| broadcast::div(a, b),
        "maximum" => |a, b| broadcast::maximum(a, b),
        "minimum" => |a, b| broadcast::minimum(a, b),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn numpy_fixtures() {
    let cases = common::cases("broadcast");
    assert!(cases.len() > 100);
    for case in &cases {
        if case.op == "error" {
            let a: Vec<usize> = serde_json::from_value(case.params["a"].clone()).unwrap();
            let b: Vec<usize> = serde_json::from_value(case.params["b"].clone()).unwrap();
            let err = broadcast::add(
                &ArrayD::<f64>::zeros(IxDyn(&a)),
                &ArrayD::<f64>::zeros(IxDyn(&b)),
            )
            .expect_err(&case.name);
            assert_eq!(err.kind(), ErrorKind::Broadcast);
            assert_eq!(err.shapes(), &[a, b]);
            // NumPy prints "(32,768) (32,)"; we print Python tuples "(32, 768) (32,)".
            let numpy = case.params["numpy_message"].as_str().unwrap().trim();
            assert_eq!(err.message().replace(", ", ","), numpy, "{}", case.name);
            continue;
        }
        if case.params["dtype"] == "float64" {
            check_exact::<f64>(case);
        } else {
            check_exact::<f32>(case);
        }
    }
}

/// Runs a case's op on its two inputs: elementwise IEEE ops are exact, the only tolerance is none.
fn check_exact<T: mlinalg::Scalar + ReadableElement + Into<f64>>(case: &common::Case) {
    let a = common::load::<T>("broadcast", &case.inputs[0]);
    let b = common::load::<T>("broadcast", &case.inputs[1]);
    let got = op_of::<T>(&case.op)(&a, &b).unwrap();
    common::assert_close(
        &got,
        &common::load::<T>("broadcast", &case.expected[0]),
        0.0,
        0.0,
        &case.name,
    );
}

/// The seeds' example: dividing (32, 768) activations by (32,) fails, by (32, 1) works.
#[test]
fn seed_row_norms_need_keepdims() {
    let x = Array2::<f32>::from_shape_fn((32, 768), |(i, j)| (i * 768 + j) as f32);
    let err = broadcast::div(&x, &Array1::<f32>::ones(32)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "div: operands could not be broadcast together with shapes (32, 768) (32,)"
    );
    let per_row = Array2::<f32>::from_shape_fn((32, 1), |(i, _)| (i + 1) as f32);
    let y = broadcast::div(&x, &per_row).unwrap();
    assert_eq!(y.shape(), &[32, 768]);
    assert_eq!(y[[3, 5]], x[[3, 5]] / 4.0);
}

#[test]
fn both_operands_broadcast() {
    // ndarray alone broadcasts only the right operand; (3, 1) + (1, 4) needs both.
    let a = Array2::<f64>::from_shape_fn((3, 1), |(i, _)| i as f64);
    let b = Array2::<f64>::from_shape_fn((1, 4), |(_, j)| 10.0 * j as f64);
    let s = broadcast::add(&a, &b).unwrap();
    assert_eq!(s.shape(), &[3, 4]);
    assert_eq!(s[[2, 3]], 32.0);
}

#[test]
fn broadcast_shapes_of_many() {
    assert_eq!(
        broadcast_shapes("op", &[&[2, 1, 3], &[4, 1], &[1]]).unwrap(),
        vec![2, 4, 3]
    );
    assert_eq!(broadcast_shapes("op", &[]).unwrap(), Vec::<usize>::new());
    let err = broadcast_shapes("op", &[&[2], &[3], &[1]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "op: operands could not be broadcast together with shapes (2,) (3,) (1,)"
    );
}

/// Reference: the broadcast element at `idx` of an operand of shape `shape`.
fn reference_index(idx: &[usize], shape: &[usize]) -> Vec<usize> {
    let offset = idx.len() - shape.len();
    shape
        .iter()
        .enumerate()
        .map(|(i, &n)| if n == 1 { 0 } else { idx[offset + i] })
        .collect()
}

fn dims() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, 0..4)
}

proptest! {
    /// Any pair of shapes made compatible by dropping or setting sizes to 1 broadcasts as the
    /// reference says, for standard, transposed (Fortran-order) and negative-stride inputs.
    #[test]
    fn matches_reference(full in dims(), mask_a in prop::collection::vec(any::<bool>(), 4),
                         mask_b in prop::collection::vec(any::<bool>(), 4), drop_a in 0usize..3,
                         layout in 0usize..3, seed in any::<u64>()) {
        let shape_a: Vec<usize> = full.iter().enumerate().skip(drop_a.min(full.len()))
            .map(|(i, &n)| if mask_a[i] { 1 } else { n }).collect();
        let shape_b: Vec<usize> = full.iter().enumerate().map(|(i, &n)| if mask_b[i] { 1 } else { n }).collect();
        let fill = |shape: &[usize], salt: u64| {
            let mut state = seed ^ salt;
            let data: Vec<f64> = (0..shape.iter().product::<usize>()).map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            }).collect();
            data
        };
        let a = match layout {
            0 => ArrayD::from_shape_vec(IxDyn(&shape_a), fill(&shape_a, 1)).unwrap(),
            1 => ArrayD::from_shape_vec(IxDyn(&shape_a).f(), fill(&shape_a, 1)).unwrap(),
            _ => {
                let mut x = ArrayD::from_shape_vec(IxDyn(&shape_a), fill(&shape_a, 1)).unwrap();
                for ax in 0..x.ndim() { x.invert_axis(ndarray::Axis(ax)); }
                x
            }
        };
        let b = ArrayD::from_shape_vec(IxDyn(&shape_b), fill(&shape_b, 2)).unwrap();
        let got = broadcast::sub(&a, &b.view()).unwrap();
        let out_shape = broadcast_shapes("sub", &[&shape_a, &shape_b]).unwrap();
        prop_assert_eq!(got.shape(), &out_shape[..]);
        for idx in ndarray::indices(IxDyn(&out_shape)) {
            let idx = idx.slice().to_vec();
            let want = a[IxDyn(&reference_index(&idx, &shape_a))] - b[IxDyn(&reference_index(&idx, &shape_b))];
            prop_assert_eq!(got[IxDyn(&idx)], want);
        }
    }
}

#[test]
fn stride_zero_inputs() {
    // An already-broadcast (stride-0) view as an operand.
    let row = Array1::<f64>::from_vec(vec![1.0, 2.0, 3.0]);
    let tiled = row.broadcast((4, 3)).unwrap();
    let s = broadcast::mul(&tiled, &Array2::<f64>::from_elem((4, 1), 2.0)).unwrap();
    assert_eq!(
        s.index_axis(ndarray::Axis(0), 3)
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![2.0, 4.0, 6.0]
    );
}

#[test]
fn large_inputs_take_the_parallel_path() {
    let a = Array2::<f32>::from_shape_fn((512, 300), |(i, j)| (i + j) as f32);
    let b = Array1::<f32>::from_shape_fn(300, |j| j as f32);
    let s = broadcast::sub(&a, &b).unwrap();
    assert!(s.iter().enumerate().all(|(n, &v)| v == (n / 300) as f32));
}

/// Regression: outputs followed the inputs' layout (`Zip::map_collect`), so two column-major
/// operands gave a column-major result; outputs are row-major whatever the inputs.
#[test]
fn column_major_inputs_give_row_major_output() {
    let a = Array2::<f64>::from_shape_fn((3, 4).f(), |(i, j)| (i * 4 + j) as f64);
    let b = Array2::<f64>::from_shape_fn((3, 4).f(), |(i, j)| (i + j) as f64);
    for big in [false, true] {
        let (a, b) = if big {
            let tile =
                |x: &Array2<f64>| Array2::from_shape_fn((300, 400).f(), |(i, j)| x[[i % 3, j % 4]]);
            (tile(&a), tile(&b))
        } else {
            (a.clone(), b.clone())
        };
        let s = broadcast::add(&a, &b).unwrap();
        assert!(s.is_standard_layout());
        assert_eq!(s[[2, 3]], a[[2, 3]] + b[[2, 3]]);
    }
}
