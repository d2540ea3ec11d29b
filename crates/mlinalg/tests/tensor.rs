//! Tests of `mlinalg::tensor`: the seed examples, the NumPy fixtures (tests/fixtures/tensor,
//! compared exactly: these operations only move elements) and property tests against slow,
//! index-by-index references over random shapes and layouts (permuted, strided, negative
//! strides, broadcast).

mod common;

use std::fmt::Debug;

use common::reference::row_major as row_major_ref;
use common::{isizes, usizes, Case};
use mlinalg::tensor::{
    concat, contiguous, flatten, merge_heads, numel, permute, reshape, split_heads, squeeze, stack,
    transpose, unsqueeze,
};
use mlinalg::{ErrorKind, Result};
use ndarray::{Array, Array3, Array4, ArrayD, ArrayViewD, Axis, Dimension, IxDyn, Slice};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Seed examples (/work/shared/seeds: "Reshaping, Permuting, Squeezing", "The Dimension Hierarchy")
// ---------------------------------------------------------------------------------------------

/// `x = torch.randn(8, 512, 768)`, `x.reshape(8, 512, 12, 64).permute(0, 2, 1, 3)` has shape
/// `(8, 12, 512, 64)`, and element `[b, h, t, i]` is `x[b, t, h * 64 + i]`.
#[test]
fn seed_reshape_permute_to_heads() -> Result<()> {
    let x = Array3::from_shape_fn((8, 512, 768), |(b, t, d)| {
        (b * 1_000_000 + t * 1000 + d) as f32
    });
    let x_heads = reshape(&x, &[8, 512, 12, 64])?;
    assert_eq!(x_heads.shape(), &[8, 512, 12, 64]);
    let x_perm = permute(&x_heads, &[0, 2, 1, 3])?;
    assert_eq!(x_perm.shape(), &[8, 12, 512, 64]);
    for &(b, h, t, i) in &[
        (0, 0, 0, 0),
        (7, 11, 511, 63),
        (3, 5, 100, 17),
        (1, 0, 511, 63),
    ] {
        assert_eq!(x_perm[[b, h, t, i]], x[[b, t, h * 64 + i]]);
    }
    // split_heads does the same in one call, and merge_heads undoes it.
    let split = split_heads(&x, 12)?;
    assert_eq!(split.view().into_dyn(), x_perm.view());
    assert_eq!(merge_heads(&split)?, x);
    Ok(())
}

/// `tensor4 = torch.zeros(8, 12, 128, 64)`: `tensor4.ndim == 4`, `numel() == 786_432`.
#[test]
fn seed_numel_of_attention_tensor() {
    let tensor4 = Array4::<f32>::zeros((8, 12, 128, 64));
    assert_eq!(tensor4.ndim(), 4);
    assert_eq!(numel(tensor4.shape()), 786_432);
    assert_eq!(numel(&[8, 12, 128, 64]), 8 * 12 * 128 * 64);
    assert_eq!(numel(&[]), 1); // a 0-d scalar tensor has one element
    assert_eq!(numel(&[4, 5]), 20);
    assert_eq!(numel(&[2, 0, 5]), 0);
    assert_eq!(numel(&[usize::MAX, 2]), usize::MAX); // saturates
    assert_eq!(numel(&[usize::MAX, 2, 0]), 0);
}

/// `y = torch.randn(8, 1, 512)`: `y.squeeze(1)` is `(8, 512)`, `.unsqueeze(0)` is `(1, 8, 512)`.
#[test]
fn seed_squeeze_unsqueeze() -> Result<()> {
    let y = Array3::from_shape_fn((8, 1, 512), |(a, _, c)| (a * 512 + c) as f64);
    let y_sq = squeeze(&y, Some(1))?;
    assert_eq!(y_sq.shape(), &[8, 512]);
    assert_eq!(
        y_sq.iter().copied().collect::<Vec<_>>(),
        y.iter().copied().collect::<Vec<_>>()
    );
    let y_us = unsqueeze(&y_sq, 0)?;
    assert_eq!(y_us.shape(), &[1, 8, 512]);
    assert_eq!(y_us[[0, 3, 7]], y[[3, 0, 7]]);
    Ok(())
}

/// "After permute, tensor may not be contiguous": `x_perm.contiguous()`. Here a permuted *view*
/// made contiguous equals the (already contiguous) result of `permute`.
#[test]
fn seed_contiguous_after_permute() -> Result<()> {
    let x = Array::from_shape_fn((2, 6, 3, 4), |(a, b, c, d)| {
        (a * 1000 + b * 100 + c * 10 + d) as f64
    });
    let view = x.view().permuted_axes([0, 2, 1, 3]);
    assert!(!view.is_standard_layout());
    let x_cont = contiguous(&view);
    assert!(x_cont.is_standard_layout());
    assert_eq!(x_cont, permute(&x, &[0, 2, 1, 3])?);
    // Reshape of the permuted view reads it in logical row-major order, as torch.reshape.
    let flat = reshape(&view, &[-1])?;
    assert_eq!(flat.as_slice(), x_cont.as_slice());
    Ok(())
}

/// The error message names the operation, the size and the requested shape.
#[test]
fn reshape_error_message() {
    let tensor4 = Array4::<f32>::zeros((8, 12, 128, 64));
    let err = reshape(&tensor4, &[8, 512, 13, 64]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    assert_eq!(err.operation(), "reshape");
    assert_eq!(
        err.to_string(),
        "reshape: cannot reshape array of size 786432 into shape (8, 512, 13, 64)"
    );
    assert_eq!(err.shapes(), &[vec![8, 12, 128, 64]]);

    let err = reshape(&tensor4, &[-1, 7]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reshape: cannot reshape array of size 786432 into shape (-1, 7)"
    );
    let err = reshape(&tensor4, &[-1, -1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = reshape(&tensor4, &[-3, 4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    // A product that overflows usize is a size mismatch, not a panic.
    let err = reshape(&tensor4, &[isize::MAX, isize::MAX, 2]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
}

#[test]
fn other_error_messages() {
    let x = Array3::<f64>::zeros((2, 3, 8));
    let err = split_heads(&x, 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "split_heads: model dimension 8 of shape (2, 3, 8) is not divisible by 3 heads"
    );
    assert_eq!(err.kind(), ErrorKind::Shape);
    assert_eq!(
        split_heads(&x, 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let err = split_heads(&x.view().into_dyn().index_axis_move(Axis(0), 0), 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "split_heads: expected a 3-d array (B, T, D), got shape (3, 8)"
    );
    let err = merge_heads(&x).unwrap_err();
    assert_eq!(
        err.to_string(),
        "merge_heads: expected a 4-d array (B, H, T, Dh), got shape (2, 3, 8)"
    );

    let err = permute(&x, &[0, 1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Axis);
    assert_eq!(
        err.to_string(),
        "permute: axes (0, 1) don't match array of shape (2, 3, 8): 2 axes for 3 dimensions"
    );
    let err = permute(&x, &[0, 1, 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "permute: repeated axis 1 in axes (0, 1, 1)"
    );
    let err = permute(&x, &[0, 1, 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "permute: axis 3 is out of bounds for array of dimension 3"
    );
    let err = transpose(&x, 0, -4).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transpose: axis -4 is out of bounds for array of dimension 3"
    );
    assert_eq!(err.shapes(), &[vec![2, 3, 8]]);
    let err = squeeze(&x, Some(-1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    let err = unsqueeze(&x, 4).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsqueeze: axis 4 is out of bounds for array of dimension 4"
    );
    let err = flatten(&x, 2, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    let a = ArrayD::<f64>::zeros(IxDyn(&[2, 3]));
    let b = ArrayD::<f64>::zeros(IxDyn(&[2, 4]));
    let err = concat(&[a.view(), b.view()], 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "concat: all the input array dimensions except for the concatenation axis must match exactly, \
         but the array at index 0 has shape (2, 3) and the array at index 1 has shape (2, 4)"
    );
    assert_eq!(err.shapes(), &[vec![2, 3], vec![2, 4]]);
    assert_eq!(
        concat::<f64>(&[], 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        stack::<f64>(&[], 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let err = stack(&[a.view(), b.view()], 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
}

/// The functions work on any `Clone` element, e.g. token ids and masks.
#[test]
fn non_float_elements() -> Result<()> {
    let ids = ndarray::array![[1_i64, 2, 3], [4, 5, 6]];
    assert_eq!(
        reshape(&ids.t(), &[-1])?,
        ndarray::array![1_i64, 4, 2, 5, 3, 6].into_dyn()
    );
    let mask = ndarray::array![[true, false], [false, true]].into_dyn();
    assert_eq!(stack(&[mask.view(), mask.view()], 0)?.shape(), &[2, 2, 2]);
    let words = ndarray::array![["a".to_string(), "b".to_string()]];
    assert_eq!(transpose(&words, 0, 1)?[[1, 0]], "b");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// NumPy fixtures (tests/fixtures/gen_tensor.py)
// ---------------------------------------------------------------------------------------------

fn int(params: &Value, key: &str) -> isize {
    params[key]
        .as_i64()
        .unwrap_or_else(|| panic!("param {key}")) as isize
}

fn call<T: Clone>(op: &str, p: &Value, xs: &[ArrayViewD<'_, T>]) -> Result<ArrayD<T>> {
    let x = &xs[0];
    match op {
        "reshape" => reshape(x, &isizes(&p["shape"])),
        "permute" => permute(x, &usizes(&p["axes"])),
        "transpose" => transpose(x, int(p, "dim0"), int(p, "dim1")),
        "squeeze" => squeeze(x, p["axis"].as_i64().map(|a| a as isize)),
        "unsqueeze" => unsqueeze(x, int(p, "axis")),
        "flatten" => flatten(x, int(p, "start"), int(p, "end")),
        "contiguous" => Ok(contiguous(x)),
        "concat" => concat(xs, int(p, "axis")),
        "stack" => stack(xs, int(p, "axis")),
        "split_heads" => split_heads(x, int(p, "heads") as usize).map(|a| a.into_dyn()),
        "merge_heads" => merge_heads(x).map(|a| a.into_dyn()),
        other => panic!("unknown op {other}"),
    }
}

fn run_case<T>(case: &Case) -> std::result::Result<(), String>
where
    T: Clone + PartialEq + Debug + ReadableElement,
{
    let name = case.name.as_str();
    let params = &case.params;
    let inputs: Vec<ArrayD<T>> = common::load_inputs("tensor", case);
    let views = common::case_views(case, &inputs);
    let got = call(&case.op, params, &views);
    if let Some(error) = case.error.as_deref() {
        return match got {
            Ok(out) => Err(format!(
                "{name}: NumPy raised {error} but got Ok with shape {:?}",
                out.shape()
            )),
            Err(e) if error == "AxisError" && e.kind() != ErrorKind::Axis => Err(format!(
                "{name}: NumPy raised AxisError but got {:?}: {e}",
                e.kind()
            )),
            Err(_) => Ok(()),
        };
    }
    let got = got.map_err(|e| format!("{name}: unexpected error {e}"))?;
    let expected: ArrayD<T> = common::load("tensor", &case.expected[0]);
    if got.shape() != expected.shape() {
        return Err(format!(
            "{name}: shape {:?}, NumPy {:?}",
            got.shape(),
            expected.shape()
        ));
    }
    if got != expected {
        return Err(format!(
            "{name}: values differ:\n got {got:?}\n NumPy {expected:?}"
        ));
    }
    if !got.is_standard_layout() {
        return Err(format!("{name}: result is not in standard layout"));
    }
    Ok(())
}

#[test]
fn numpy_fixtures() {
    let cases = common::cases("tensor");
    assert!(cases.len() > 50, "expected the full fixture set");
    common::check_cases(&cases, |case| match case.params["dtype"].as_str() {
        Some("float64") => run_case::<f64>(case),
        Some("float32") => run_case::<f32>(case),
        Some("int64") => run_case::<i64>(case),
        other => Err(format!("unknown dtype {other:?}")),
    });
}

// ---------------------------------------------------------------------------------------------
// Property tests: slow index-by-index references and identities, over random layouts
// ---------------------------------------------------------------------------------------------

/// How a view of a given logical shape is made from an owned base array: the base is broadcast
/// (axes in `broadcast` have size 1 in the base), then sliced with `steps` (negative: reversed),
/// then permuted by `perm`. Every combination, including none (a standard-layout view).
#[derive(Clone, Debug)]
struct Layout {
    perm: Vec<usize>,
    steps: Vec<isize>,
    broadcast: Vec<bool>,
}

/// A base array and the layout that turns it into a view of the wanted shape.
#[derive(Clone, Debug)]
struct Strided {
    base: ArrayD<f64>,
    /// The shape the base is broadcast to, before slicing.
    broadcast_to: Vec<usize>,
    layout: Layout,
}

impl Strided {
    /// Builds the base so that `view()` has exactly `shape`; elements are distinct numbers
    /// (except where broadcast repeats them), offset by `offset` to tell arrays apart.
    fn new(shape: &[usize], layout: Layout, offset: f64) -> Self {
        let n = shape.len();
        // Shape before the permutation: axis perm[i] of it is axis i of the view.
        let mut pre_perm = vec![0; n];
        for (i, &p) in layout.perm.iter().enumerate() {
            pre_perm[p] = shape[i];
        }
        // Slicing a length d * |s| axis with step s leaves d elements.
        let broadcast_to: Vec<usize> = pre_perm
            .iter()
            .zip(&layout.steps)
            .map(|(&d, &s)| d * s.unsigned_abs())
            .collect();
        let base_shape: Vec<usize> = broadcast_to
            .iter()
            .zip(&layout.broadcast)
            .map(|(&d, &b)| if b { 1 } else { d })
            .collect();
        let mut k = 0.0;
        let base = ArrayD::from_shape_simple_fn(IxDyn(&base_shape), || {
            k += 1.0;
            offset + k
        });
        Strided {
            base,
            broadcast_to,
            layout,
        }
    }

    fn view(&self) -> ArrayViewD<'_, f64> {
        let mut v = self
            .base
            .broadcast(IxDyn(&self.broadcast_to))
            .expect("broadcast of size-1 axes");
        let steps = &self.layout.steps;
        v.slice_each_axis_inplace(|ax| Slice::new(0, None, steps[ax.axis.index()]));
        v.permuted_axes(IxDyn(&self.layout.perm))
    }
}

/// Strategy: a layout for `ndim` axes.
fn layout(ndim: usize) -> impl Strategy<Value = Layout> {
    (
        Just((0..ndim).collect::<Vec<usize>>()).prop_shuffle(),
        prop::collection::vec(
            prop_oneof![3 => Just(1isize), 1 => Just(-1), 1 => Just(2), 1 => Just(-3)],
            ndim,
        ),
        prop::collection::vec(prop::bool::weighted(0.2), ndim),
    )
        .prop_map(|(perm, steps, broadcast)| Layout {
            perm,
            steps,
            broadcast,
        })
}

/// Strategy: a shape of rank `ranks` with dimensions in `0..=max_dim`.
fn shape(
    ranks: std::ops::RangeInclusive<usize>,
    max_dim: usize,
) -> impl Strategy<Value = Vec<usize>> {
    ranks.prop_flat_map(move |n| prop::collection::vec(0..=max_dim, n))
}

/// Strategy: an array of the given shape seen through a random layout.
fn strided_of(shape: Vec<usize>) -> impl Strategy<Value = Strided> {
    let n = shape.len();
    layout(n).prop_map(move |l| Strided::new(&shape, l, 0.0))
}

/// Strategy: a random shape (rank 0 to 4, dims 0 to 4) in a random layout.
fn strided() -> impl Strategy<Value = Strided> {
    shape(0..=4, 4).prop_flat_map(strided_of)
}

/// permute, element by element: out[i] = a[j] with j[axes[k]] = i[k].
fn permute_ref(a: &ArrayViewD<'_, f64>, axes: &[usize]) -> ArrayD<f64> {
    let out_shape: Vec<usize> = axes.iter().map(|&ax| a.shape()[ax]).collect();
    ArrayD::from_shape_fn(IxDyn(&out_shape), |i| {
        let mut j = vec![0; axes.len()];
        for (k, &ax) in axes.iter().enumerate() {
            j[ax] = i[k];
        }
        a[IxDyn(&j)]
    })
}

fn inverse(p: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; p.len()];
    for (i, &x) in p.iter().enumerate() {
        inv[x] = i;
    }
    inv
}

/// A shape with the same number of elements: the dims in a shuffled order, with adjacent
/// groups merged, and possibly one entry replaced by -1 (when it can be inferred).
fn target_shape(
    dims: &[usize],
    order: &[usize],
    cuts: &[bool],
    unknown: Option<usize>,
) -> Vec<isize> {
    let mut out: Vec<isize> = Vec::new();
    let mut acc: Option<usize> = None;
    for (k, &i) in order.iter().enumerate() {
        acc = Some(acc.unwrap_or(1) * dims[i]);
        if cuts.get(k).copied().unwrap_or(true) {
            out.push(acc.take().unwrap_or(1) as isize);
        }
    }
    if let Some(a) = acc {
        out.push(a as isize);
    }
    if let Some(u) = unknown {
        if !out.is_empty() {
            let u = u % out.len();
            let others: isize = out
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != u)
                .map(|(_, &d)| d)
                .product();
            if others != 0 {
                out[u] = -1;
            }
        }
    }
    out
}

fn reshape_case() -> impl Strategy<Value = (Strided, Vec<isize>)> {
    strided().prop_flat_map(|s| {
        let dims = s.view().shape().to_vec();
        let n = dims.len();
        (
            Just(s),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(any::<bool>(), n),
            prop::option::of(0..8usize),
            prop::collection::vec(Just(1usize), 0..=2),
        )
            .prop_map(move |(s, order, cuts, unknown, ones)| {
                let mut t = target_shape(&dims, &order, &cuts, unknown);
                // Sprinkle size-1 axes in, as reshape to (1, n, 1) does.
                for (k, _) in ones.iter().enumerate() {
                    t.insert(k.min(t.len()), 1);
                }
                (s, t)
            })
    })
}

fn perm_case() -> impl Strategy<Value = (Strided, Vec<usize>)> {
    strided().prop_flat_map(|s| {
        let n = s.view().ndim();
        (Just(s), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
    })
}

/// (B, T, D) with D = H * Dh, in a random layout, and H.
fn heads_case() -> impl Strategy<Value = (Strided, usize)> {
    (0..=3usize, 0..=4usize, 1..=4usize, 0..=3usize)
        .prop_flat_map(|(b, t, h, dh)| (strided_of(vec![b, t, h * dh]), Just(h)))
}

/// Several arrays that agree except along `axis`, each in its own layout.
fn concat_case() -> impl Strategy<Value = (Vec<Strided>, usize)> {
    shape(1..=4, 3)
        .prop_flat_map(|dims| {
            let n = dims.len();
            (0..n).prop_flat_map(move |axis| {
                let dims = dims.clone();
                prop::collection::vec(0..=3usize, 1..=4).prop_flat_map(move |lens| {
                    let parts: Vec<_> = lens
                        .iter()
                        .map(|&len| {
                            let mut d = dims.clone();
                            d[axis] = len;
                            strided_of(d)
                        })
                        .collect();
                    (parts, Just(axis))
                })
            })
        })
        .prop_map(|(mut parts, axis)| {
            // Distinct values per array, so a block taken from the wrong input is caught.
            for (k, p) in parts.iter_mut().enumerate() {
                p.base.mapv_inplace(|x| x + 1000.0 * k as f64);
            }
            (parts, axis)
        })
}

/// concat, element by element: find the input that holds each index along `axis`.
fn concat_ref(xs: &[ArrayViewD<'_, f64>], axis: usize) -> ArrayD<f64> {
    let mut shape = xs[0].shape().to_vec();
    shape[axis] = xs.iter().map(|x| x.shape()[axis]).sum();
    ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        let mut j = i.slice().to_vec();
        for x in xs {
            let len = x.shape()[axis];
            if j[axis] < len {
                return x[IxDyn(&j)];
            }
            j[axis] -= len;
        }
        unreachable!("index within the concatenated length")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn contiguous_is_standard_and_equal(s in strided()) {
        let v = s.view();
        let c = contiguous(&v);
        prop_assert!(c.is_standard_layout());
        prop_assert_eq!(c.shape(), v.shape());
        prop_assert_eq!(c.as_slice().expect("standard layout").to_vec(), row_major_ref(&v));
    }

    #[test]
    fn reshape_matches_reference_and_round_trips((s, target) in reshape_case()) {
        let v = s.view();
        let r = reshape(&v, &target)?;
        prop_assert!(r.is_standard_layout());
        let resolved: Vec<usize> = r.shape().to_vec();
        for (&t, &d) in target.iter().zip(&resolved) {
            prop_assert!(t == -1 || t as usize == d);
        }
        prop_assert_eq!(numel(&resolved), v.len());
        prop_assert_eq!(r.iter().copied().collect::<Vec<_>>(), row_major_ref(&v));
        // Back to the original shape: the input, made contiguous.
        let back_shape: Vec<isize> = v.shape().iter().map(|&d| d as isize).collect();
        let back = reshape(&r, &back_shape)?;
        prop_assert_eq!(back, contiguous(&v));
    }

    #[test]
    fn permute_matches_reference_and_inverse((s, p) in perm_case()) {
        let v = s.view();
        let out = permute(&v, &p)?;
        prop_assert!(out.is_standard_layout());
        prop_assert_eq!(&out, &permute_ref(&v, &p));
        prop_assert_eq!(permute(&out, &inverse(&p))?, contiguous(&v));
    }

    #[test]
    fn transpose_is_permute_of_a_swap((s, d0, d1) in strided().prop_flat_map(|s| {
        let n = s.view().ndim() as isize;
        let r = if n == 0 { 0..1 } else { -n..n };
        (Just(s), r.clone(), r)
    })) {
        let v = s.view();
        if v.ndim() == 0 {
            prop_assert!(transpose(&v, d0, d1).is_err());
            return Ok(());
        }
        let n = v.ndim() as isize;
        let (a, b) = (d0.rem_euclid(n) as usize, d1.rem_euclid(n) as usize);
        let mut axes: Vec<usize> = (0..v.ndim()).collect();
        axes.swap(a, b);
        let t = transpose(&v, d0, d1)?;
        prop_assert_eq!(&t, &permute_ref(&v, &axes));
        prop_assert_eq!(transpose(&t, d1, d0)?, contiguous(&v));
    }

    #[test]
    fn unsqueeze_then_squeeze_is_identity((s, ax) in strided().prop_flat_map(|s| {
        let n = s.view().ndim() as isize;
        (Just(s), -(n + 1)..=n)
    })) {
        let v = s.view();
        let u = unsqueeze(&v, ax)?;
        prop_assert_eq!(u.ndim(), v.ndim() + 1);
        let pos = ax.rem_euclid(v.ndim() as isize + 1) as usize;
        prop_assert_eq!(u.shape()[pos], 1);
        prop_assert_eq!(squeeze(&u, Some(ax))?, contiguous(&v));
        // squeeze(None) drops exactly the size-1 axes.
        let all = squeeze(&u, None)?;
        let kept: Vec<usize> = v.shape().iter().copied().filter(|&d| d != 1).collect();
        prop_assert_eq!(all.shape(), &kept[..]);
        prop_assert_eq!(all.iter().copied().collect::<Vec<_>>(), row_major_ref(&v));
    }

    #[test]
    fn flatten_merges_a_range_of_axes((s, a, b) in strided().prop_flat_map(|s| {
        let n = s.view().ndim().max(1);
        (Just(s), 0..n, 0..n)
    })) {
        let v = s.view();
        let (start, end) = (a.min(b), a.max(b));
        let f = flatten(&v, start as isize, end as isize - v.ndim().max(1) as isize)?;
        let dims: Vec<usize> = if v.ndim() == 0 { vec![1] } else { v.shape().to_vec() };
        let mut want = dims[..start].to_vec();
        want.push(dims[start..=end].iter().product());
        want.extend_from_slice(&dims[end + 1..]);
        prop_assert_eq!(f.shape(), &want[..]);
        prop_assert_eq!(f.iter().copied().collect::<Vec<_>>(), row_major_ref(&v));
    }

    #[test]
    fn split_heads_matches_reference_and_merge_inverts((s, h) in heads_case()) {
        let x = s.view();
        let (b, t, d) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        let dh = d / h;
        let split = split_heads(&x, h)?;
        prop_assert!(split.is_standard_layout());
        let want = Array4::from_shape_fn((b, h, t, dh), |(bi, hi, ti, i)| x[[bi, ti, hi * dh + i]]);
        prop_assert_eq!(&split, &want);
        // It is reshape then permute, as PyTorch writes it.
        let two_step = permute(&reshape(&x, &[b as isize, t as isize, h as isize, dh as isize])?, &[0, 2, 1, 3])?;
        prop_assert_eq!(&split.view().into_dyn(), &two_step.view());
        let merged = merge_heads(&split)?;
        prop_assert_eq!(merged.view().into_dyn(), x);
    }

    #[test]
    fn merge_heads_then_split_is_identity(s in (0..=3usize, 1..=4usize, 0..=3usize, 0..=3usize)
        .prop_flat_map(|(b, h, t, dh)| strided_of(vec![b, h, t, dh]))) {
        let y = s.view();
        let h = y.shape()[1];
        let merged = merge_heads(&y)?;
        let want = Array3::from_shape_fn(
            (y.shape()[0], y.shape()[2], h * y.shape()[3]),
            |(bi, ti, k)| y[[bi, k / y.shape()[3], ti, k % y.shape()[3]]],
        );
        prop_assert_eq!(&merged, &want);
        prop_assert_eq!(split_heads(&merged, h)?.into_dyn(), contiguous(&y));
    }

    #[test]
    fn concat_matches_reference((parts, axis) in concat_case()) {
        let views: Vec<ArrayViewD<'_, f64>> = parts.iter().map(Strided::view).collect();
        let out = concat(&views, axis as isize)?;
        prop_assert!(out.is_standard_layout());
        prop_assert_eq!(&out, &concat_ref(&views, axis));
        // Negative axis: the same.
        prop_assert_eq!(&concat(&views, axis as isize - views[0].ndim() as isize)?, &out);
    }

    #[test]
    fn stack_is_concat_of_unsqueezed((s, count, ax) in strided().prop_flat_map(|s| {
        let n = s.view().ndim();
        (Just(s), 1..=3usize, 0..=n)
    })) {
        let v = s.view();
        // The same array repeated, shifted so the copies differ.
        let copies: Vec<ArrayD<f64>> = (0..count).map(|k| v.mapv(|x| x + 1000.0 * k as f64)).collect();
        let views: Vec<ArrayViewD<'_, f64>> = copies.iter().map(|c| c.view()).collect();
        let out = stack(&views, ax as isize)?;
        let expanded: Vec<ArrayViewD<'_, f64>> = views.iter().map(|c| c.view().insert_axis(Axis(ax))).collect();
        prop_assert_eq!(&out, &concat_ref(&expanded, ax));
        for (k, c) in copies.iter().enumerate() {
            prop_assert_eq!(&out.index_axis(Axis(ax), k), &c.view());
        }
    }
}
