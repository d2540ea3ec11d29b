//! Tests of `mlinalg::nn::attention`: the PyTorch fixtures (tests/fixtures/attention: every
//! case of `F.scaled_dot_product_attention` and of the math backend's weights, in f64 and f32),
//! and the fused kernel against a plain reference (scores materialised index by index, a
//! softmax, a product) on random shapes, block sizes, layouts and masks, including lengths that
//! are not multiples of the block sizes and blocks that straddle the causal diagonal.

mod common;

use common::{case_views, check_cases, Case};
use mlinalg::nn::attention::{
    attention_weights, scaled_dot_product_attention, AttentionMask, AttentionOptions,
};
use mlinalg::{ErrorKind, Scalar};
use ndarray::{Array, ArrayD, ArrayViewD, Axis, Dimension, IxDyn, Slice};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;

const MODULE: &str = "attention";

// ---------------------------------------------------------------------------------------------
// The plain reference
// ---------------------------------------------------------------------------------------------

/// A mask for the reference, in f64: `Some(true)`-style boolean or additive, any shape that
/// broadcasts to (…, L, S).
enum RefMask<'a> {
    Bool(ArrayViewD<'a, bool>),
    Additive(ArrayViewD<'a, f64>),
}

/// The index of `a` (batch axes aligned right to `idx`, length-1 axes broadcast; the head axis
/// divided by `group`) followed by `tail`.
fn at(shape: &[usize], idx: &[usize], group: usize, tail: &[usize]) -> Vec<usize> {
    let nb = shape.len() - tail.len();
    let off = idx.len() - nb;
    let mut out = Vec::with_capacity(shape.len());
    for (ax, &size) in shape.iter().take(nb).enumerate() {
        let o = off + ax;
        out.push(if size == 1 {
            0
        } else if o + 1 == idx.len() {
            idx[o] / group
        } else {
            idx[o]
        });
    }
    out.extend_from_slice(tail);
    out
}

/// softmax(q kᵀ · scale + mask) (and `@ v` when `v` is given), in f64, element by element, with
/// PyTorch's rules: fully masked rows are zero, the causal mask is `tril(ones(L, S))`.
fn reference(
    q: &ArrayViewD<'_, f64>,
    k: &ArrayViewD<'_, f64>,
    v: Option<&ArrayViewD<'_, f64>>,
    mask: Option<&RefMask<'_>>,
    causal: bool,
    scale: Option<f64>,
    gqa: bool,
) -> ArrayD<f64> {
    let (qs, ks) = (q.shape(), k.shape());
    let (l, e) = (qs[qs.len() - 2], qs[qs.len() - 1]);
    let s = ks[ks.len() - 2];
    let ev = v.map_or(s, |v| v.shape()[v.ndim() - 1]);
    let scale = if e == 0 {
        1.0
    } else {
        scale.unwrap_or(1.0 / (e as f64).sqrt())
    };
    let mut shapes: Vec<Vec<usize>> =
        vec![qs[..qs.len() - 2].to_vec(), ks[..ks.len() - 2].to_vec()];
    if let Some(v) = v {
        shapes.push(v.shape()[..v.ndim() - 2].to_vec());
    }
    let hq = if gqa { qs[qs.len() - 3] } else { 0 };
    let groups: Vec<usize> = shapes
        .iter()
        .map(|b| if gqa { hq / b[b.len() - 1] } else { 1 })
        .collect();
    if gqa {
        for b in shapes.iter_mut() {
            let last = b.len() - 1;
            b[last] = hq;
        }
    }
    let nb = shapes.iter().map(|b| b.len()).max().unwrap_or(0);
    let mut batch = vec![1usize; nb];
    for b in &shapes {
        for (i, &d) in b.iter().enumerate() {
            let slot = &mut batch[nb - b.len() + i];
            if d != 1 {
                *slot = d;
            }
        }
    }
    let mut out_shape = batch.clone();
    out_shape.extend([l, ev]);
    let mut out = ArrayD::<f64>::zeros(IxDyn(&out_shape));
    for idx in ndarray::indices(IxDyn(&batch)) {
        let idx = idx.slice();
        for i in 0..l {
            let mut scores = vec![0.0; s];
            for (j, sc) in scores.iter_mut().enumerate() {
                let dot: f64 = (0..e)
                    .map(|d| {
                        q[at(qs, idx, 1, &[i, d]).as_slice()]
                            * k[at(ks, idx, groups[1], &[j, d]).as_slice()]
                    })
                    .sum();
                *sc = dot * scale;
                match mask {
                    Some(RefMask::Bool(m)) if !m[at(m.shape(), idx, 1, &[i, j]).as_slice()] => {
                        *sc = f64::NEG_INFINITY;
                    }
                    Some(RefMask::Additive(m)) => {
                        *sc += m[at(m.shape(), idx, 1, &[i, j]).as_slice()]
                    }
                    _ => {}
                }
                if causal && j > i {
                    *sc = f64::NEG_INFINITY;
                }
            }
            let mx = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = if mx == f64::NEG_INFINITY {
                vec![0.0; s]
            } else {
                let ex: Vec<f64> = scores.iter().map(|&x| (x - mx).exp()).collect();
                let total: f64 = ex.iter().sum();
                ex.iter().map(|x| x / total).collect()
            };
            let mut o = idx.to_vec();
            o.extend([i, 0]);
            for c in 0..ev {
                *o.last_mut().expect("two trailing axes") = c;
                out[o.as_slice()] = match v {
                    Some(v) => (0..s)
                        .map(|j| weights[j] * v[at(v.shape(), idx, groups[2], &[j, c]).as_slice()])
                        .sum(),
                    None => weights[c],
                };
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn options<'a, T: Scalar>(
    case: &Case,
    mask: Option<AttentionMask<'a, T>>,
) -> AttentionOptions<'a, T> {
    let p = &case.params;
    let mut o = AttentionOptions::new()
        .causal(p["causal"].as_bool().unwrap_or(false))
        .gqa(p["gqa"].as_bool().unwrap_or(false))
        .mask(mask);
    if let Some(x) = p["scale"].as_f64() {
        o = o.scale(T::cast_f64(x));
    }
    o
}

fn run_case<T: Scalar + ReadableElement>(case: &Case, tol: f64) -> Result<(), String> {
    let name = &case.name;
    let sdpa = case.op == "scaled_dot_product_attention";
    let n_arrays = if sdpa { 3 } else { 2 };
    let mask_kind = case.params["mask"].as_str();
    let files = &case.inputs;
    let arrays: Vec<ArrayD<T>> = files[..n_arrays]
        .iter()
        .map(|f| common::load::<T>(MODULE, f))
        .collect();
    let views = case_views(case, &arrays);
    let bool_mask: Option<ArrayD<bool>> =
        (mask_kind == Some("bool")).then(|| common::load::<bool>(MODULE, &files[n_arrays]));
    let add_mask: Option<ArrayD<T>> =
        (mask_kind == Some("additive")).then(|| common::load::<T>(MODULE, &files[n_arrays]));
    let mask_steps = &case.params["views"][n_arrays];
    let mask = match (&bool_mask, &add_mask) {
        (Some(m), _) => Some(AttentionMask::Bool(common::apply_view(m, mask_steps))),
        (_, Some(m)) => Some(AttentionMask::Additive(common::apply_view(m, mask_steps))),
        _ => None,
    };
    let opts = options::<T>(case, mask);
    // Run with the default blocks and with tiny ones, so every fixture also crosses blocks.
    let mut results = Vec::new();
    for blocks in [None, Some((3, 4))] {
        let o = match blocks {
            Some((bq, bk)) => opts.clone().block_sizes(bq, bk),
            None => opts.clone(),
        };
        results.push(if sdpa {
            scaled_dot_product_attention(&views[0], &views[1], &views[2], &o)
        } else {
            attention_weights(&views[0], &views[1], &o)
        });
    }
    if let Some(err) = &case.error {
        for r in results {
            match r {
                Ok(out) => {
                    return Err(format!(
                        "{name}: PyTorch raised {err}, got Ok of shape {:?}",
                        out.shape()
                    ))
                }
                Err(e) if e.to_string().starts_with(case.op.as_str()) => {}
                Err(e) => return Err(format!("{name}: error does not name the op: {e}")),
            }
        }
        return Ok(());
    }
    let want: ArrayD<T> = common::load(MODULE, &case.expected[0]);
    // Outputs are convex combinations of value rows: errors scale with the largest |value|.
    let scale_v = if sdpa {
        views[2].iter().fold(1.0f64, |m, x| m.max(x.as_f64().abs()))
    } else {
        1.0
    };
    for r in results {
        let got = r.map_err(|e| format!("{name}: unexpected error {e}"))?;
        common::check_standard_layout(name, &got)?;
        common::check_close(name, &got, want.view(), tol, tol * scale_v)?;
    }
    Ok(())
}

#[test]
fn fixtures() {
    let cases = common::cases(MODULE);
    assert!(cases.len() > 100, "expected the full fixture set");
    check_cases(&cases, |c| match c.params["dtype"].as_str() {
        Some("float64") => run_case::<f64>(c, 1e-12),
        Some("float32") => run_case::<f32>(c, 2e-5),
        other => Err(format!("{}: unknown dtype {other:?}", c.name)),
    });
}

/// PyTorch 2.15's answer for fully masked rows is zeros (not NaN); the fixtures record it, and
/// this test says it in Rust.
#[test]
fn fully_masked_rows_are_zero() {
    let q = Array::from_shape_fn((1, 3, 4), |(_, i, d)| (i + d) as f32);
    let k = Array::from_shape_fn((1, 5, 4), |(_, j, d)| (j * d) as f32 * 0.1);
    let v = Array::from_shape_fn((1, 5, 2), |(_, j, c)| (j + c) as f32 + 1.0);
    let mut keep = Array::from_elem((3, 5), true);
    keep.row_mut(1).fill(false);
    let out = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().bool_mask(&keep))
        .expect("valid shapes");
    assert_eq!(
        out.index_axis(Axis(1), 1)
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![0.0; 2]
    );
    assert!(out.index_axis(Axis(1), 0).iter().all(|x| *x > 0.0));
    let mut add = Array::<f32, _>::zeros((3, 5));
    add.row_mut(2).fill(f32::NEG_INFINITY);
    let w = attention_weights(&q, &k, &AttentionOptions::new().additive_mask(&add))
        .expect("valid shapes");
    assert_eq!(w.index_axis(Axis(1), 2).sum(), 0.0);
    // No keys at all: every row is fully masked.
    let empty = Array::<f32, _>::zeros((1, 0, 4));
    let out = scaled_dot_product_attention(
        &q,
        &empty,
        &Array::<f32, _>::zeros((1, 0, 2)),
        &AttentionOptions::new(),
    )
    .expect("valid shapes");
    assert_eq!(out.shape(), &[1, 3, 2]);
    assert!(out.iter().all(|&x| x == 0.0));
}

/// Huge logits in f32 (scores near 1e30 and -1e30) neither overflow nor lose the winner.
#[test]
fn huge_logits_are_stable_in_f32() {
    let q = ndarray::array![[1e15_f32, 0.0], [-1e15, 0.0]];
    let k = ndarray::array![[1e15_f32, 0.0], [0.0, 1.0], [-1e15, 0.0]];
    let v = ndarray::array![[1.0_f32, 0.0], [0.0, 1.0], [5.0, 5.0]];
    let out = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().scale(1.0))
        .expect("valid shapes");
    assert_eq!(out, ndarray::array![[1.0, 0.0], [5.0, 5.0]].into_dyn());
}

#[test]
fn errors_name_the_problem() {
    let q = Array::<f64, _>::zeros((2, 4, 3, 8));
    let k = Array::<f64, _>::zeros((2, 3, 5, 8));
    let v = Array::<f64, _>::zeros((2, 3, 5, 6));
    let o = AttentionOptions::new();
    let err = scaled_dot_product_attention(&q, &k, &v, &o).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    assert_eq!(
        err.to_string(),
        "scaled_dot_product_attention: the batch axes of (2, 4, 3, 8) (2, 3, 5, 8) (2, 3, 5, 6) do not broadcast together"
    );
    let err =
        scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().gqa(true)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    assert!(
        err.to_string()
            .contains("the key has 3 heads, which do not divide the query's 4"),
        "{err}"
    );
    let keep = Array::from_elem((3, 5), true);
    let err = scaled_dot_product_attention(
        &q,
        &q,
        &q,
        &AttentionOptions::new().bool_mask(&keep).causal(true),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = scaled_dot_product_attention(&q, &q, &q, &AttentionOptions::new().bool_mask(&keep))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    assert_eq!(
        err.to_string(),
        "scaled_dot_product_attention: the mask of shape (3, 5) does not broadcast to the scores' shape (2, 4, 3, 3) (it must be at least 2-D)"
    );
    let err = scaled_dot_product_attention(&q, &q, &q, &AttentionOptions::new().block_sizes(0, 4))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = scaled_dot_product_attention(
        &q,
        &q,
        &q,
        &AttentionOptions::new().block_sizes(usize::MAX, 2),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    // Huge but valid blocks are clamped to the lengths.
    let out = scaled_dot_product_attention(
        &q,
        &q,
        &q,
        &AttentionOptions::new().block_sizes(1 << 40, 1 << 20),
    )
    .expect("valid shapes");
    assert_eq!(out.shape(), q.shape());
    let err = attention_weights(&q, &v, &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attention_weights: query (2, 4, 3, 8) and key (2, 3, 5, 6) have different feature sizes: E = 8 != 6"
    );
    let err = scaled_dot_product_attention(&q, &k.slice_axis(Axis(2), Slice::from(0..4)), &v, &o)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    let one_d = ndarray::array![1.0, 2.0];
    let err = scaled_dot_product_attention(&one_d, &one_d, &one_d, &o).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    assert_eq!(err.shapes(), &[vec![2], vec![2], vec![2]]);
}

// ---------------------------------------------------------------------------------------------
// The fused kernel against the plain reference
// ---------------------------------------------------------------------------------------------

/// xorshift64 values in [-2, 2).
fn values(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut state = seed | 1;
    ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

/// A base array and a view of it with `shape` in one of four layouts: 0 standard, 1 transposed
/// last two axes, 2 every other row and column, 3 reversed axes.
fn laid_out(shape: &[usize], layout: u8, seed: u64) -> ArrayD<f64> {
    let n = shape.len();
    match layout {
        1 => {
            let mut s = shape.to_vec();
            s.swap(n - 2, n - 1);
            values(&s, seed)
        }
        2 => values(&shape.iter().map(|&d| 2 * d).collect::<Vec<_>>(), seed),
        _ => values(shape, seed),
    }
}

fn view_of(base: &ArrayD<f64>, layout: u8) -> ArrayViewD<'_, f64> {
    let mut v = base.view();
    let n = v.ndim();
    match layout {
        1 => v.swap_axes(n - 2, n - 1),
        2 => {
            for ax in 0..n {
                v.slice_axis_inplace(Axis(ax), Slice::new(0, None, 2));
            }
        }
        3 => {
            for ax in 0..n {
                v.invert_axis(Axis(ax));
            }
        }
        _ => {}
    }
    v
}

/// One random problem: shapes, layouts, mask kind (0 none, 1 bool, 2 additive with -inf),
/// causal, GQA, scale, block sizes.
#[derive(Debug, Clone)]
struct Problem {
    b: usize,
    hkv: usize,
    group: usize,
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    layouts: [u8; 3],
    mask: u8,
    causal: bool,
    gqa: bool,
    scale: Option<f64>,
    blocks: (usize, usize),
    seed: u64,
}

fn problem() -> impl Strategy<Value = Problem> {
    (
        (
            1usize..3,
            1usize..3,
            1usize..4,
            0usize..40,
            0usize..40,
            0usize..10,
            0usize..7,
        ),
        (
            0u8..4,
            0u8..4,
            0u8..4,
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            prop::option::of(-1.0f64..2.0),
        ),
        (1usize..20, 1usize..20, any::<u64>()),
    )
        .prop_map(
            |(
                (b, hkv, group, l, s, e, ev),
                (l0, l1, l2, mask, causal, gqa, scale),
                (bq, bk, seed),
            )| Problem {
                b,
                hkv,
                group,
                l,
                s,
                e,
                ev,
                layouts: [l0, l1, l2],
                mask: if causal { 0 } else { mask },
                causal,
                gqa,
                scale,
                blocks: (bq, bk),
                seed,
            },
        )
}

/// Runs one problem in f64 and f32 against the reference.
fn check_problem(p: &Problem) -> Result<(), TestCaseError> {
    let hq = p.hkv * p.group;
    // Without GQA the key/value heads broadcast from 1 instead.
    let hk = if p.gqa {
        p.hkv
    } else if p.group > 1 {
        1
    } else {
        hq
    };
    let qb = laid_out(&[p.b, hq, p.l, p.e], p.layouts[0], p.seed);
    let kb = laid_out(&[p.b, hk, p.s, p.e], p.layouts[1], p.seed ^ 0x9e37);
    let vb = laid_out(&[1, hk, p.s, p.ev], p.layouts[2], p.seed ^ 0x7f4a);
    let (q, k, v) = (
        view_of(&qb, p.layouts[0]),
        view_of(&kb, p.layouts[1]),
        view_of(&vb, p.layouts[2]),
    );
    let bool_m = values(&[p.b, 1, p.l, p.s], p.seed ^ 5).mapv(|x| x > -1.0);
    let mut add_m = values(&[hq, p.l, p.s], p.seed ^ 7);
    add_m.mapv_inplace(|x| if x < -1.5 { f64::NEG_INFINITY } else { x });
    let ref_mask = match p.mask {
        1 => Some(RefMask::Bool(bool_m.view())),
        2 => Some(RefMask::Additive(add_m.view())),
        _ => None,
    };
    let want = reference(
        &q,
        &k,
        Some(&v),
        ref_mask.as_ref(),
        p.causal,
        p.scale,
        p.gqa,
    );
    let want_w = reference(&q, &k, None, ref_mask.as_ref(), p.causal, p.scale, p.gqa);

    let mut o = AttentionOptions::new()
        .causal(p.causal)
        .gqa(p.gqa)
        .block_sizes(p.blocks.0, p.blocks.1);
    if let Some(s) = p.scale {
        o = o.scale(s);
    }
    let o64 = match p.mask {
        1 => o.clone().bool_mask(&bool_m),
        2 => o.clone().additive_mask(&add_m),
        _ => o.clone(),
    };
    let got = scaled_dot_product_attention(&q, &k, &v, &o64)
        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
    common::check_close("f64", &got, want.view(), 1e-12, 1e-12).map_err(TestCaseError::fail)?;
    let got_w = attention_weights(&q, &k, &o64).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    common::check_close("f64 weights", &got_w, want_w.view(), 1e-12, 1e-13)
        .map_err(TestCaseError::fail)?;

    // f32: the same problem in single precision (inputs rounded; the reference keeps f64).
    let (q32, k32, v32) = (
        q.mapv(|x| x as f32),
        k.mapv(|x| x as f32),
        v.mapv(|x| x as f32),
    );
    let add32 = add_m.mapv(|x| x as f32);
    let mut o32 = AttentionOptions::new()
        .causal(p.causal)
        .gqa(p.gqa)
        .block_sizes(p.blocks.0, p.blocks.1);
    if let Some(s) = p.scale {
        o32 = o32.scale(s as f32);
    }
    let o32 = match p.mask {
        1 => o32.bool_mask(&bool_m),
        2 => o32.additive_mask(&add32),
        _ => o32,
    };
    let got32 = scaled_dot_product_attention(&q32, &k32, &v32, &o32)
        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let got32 = got32.mapv(f64::from);
    // Inputs in [-2, 2), E < 10: scores below 40 in size, rounding ~1e-6 relative.
    common::check_close("f32", &got32, want.view(), 2e-5, 2e-5).map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn fused_matches_reference(p in problem()) {
        check_problem(&p)?;
    }
}

/// Lengths at and around multiples of the block sizes, causal and not, with the blocks fixed.
#[test]
fn block_boundaries() {
    for (bq, bk) in [(4, 4), (4, 8), (8, 4), (1, 1), (5, 3)] {
        for l in [1, 3, 4, 5, 8, 9, 16, 17] {
            for s in [1, 4, 7, 8, 9, 16, 17] {
                for causal in [false, true] {
                    let p = Problem {
                        b: 1,
                        hkv: 1,
                        group: 2,
                        l,
                        s,
                        e: 5,
                        ev: 3,
                        layouts: [0, 1, 3],
                        mask: 0,
                        causal,
                        gqa: true,
                        scale: None,
                        blocks: (bq, bk),
                        seed: (l * 100 + s) as u64,
                    };
                    check_problem(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
                }
            }
        }
    }
}

/// The default blocks (128 × 512) on lengths that leave partial blocks, parallel over tasks.
#[test]
fn default_blocks_long_sequences() {
    for (l, s, causal) in [(300, 300, true), (130, 520, false), (257, 129, true)] {
        let q = values(&[1, 2, l, 16], 1);
        let k = values(&[1, 2, s, 16], 2);
        let v = values(&[1, 2, s, 8], 3);
        let want = reference(
            &q.view(),
            &k.view(),
            Some(&v.view()),
            None,
            causal,
            None,
            false,
        );
        let got = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().causal(causal))
            .expect("valid shapes");
        common::check_close("default blocks", &got, want.view(), 1e-12, 1e-12)
            .unwrap_or_else(|e| panic!("L={l} S={s}: {e}"));
        let got32 = scaled_dot_product_attention(
            &q.mapv(|x| x as f32),
            &k.mapv(|x| x as f32),
            &v.mapv(|x| x as f32),
            &AttentionOptions::new().causal(causal),
        )
        .expect("valid shapes")
        .mapv(f64::from);
        common::check_close("default blocks f32", &got32, want.view(), 2e-5, 2e-5)
            .unwrap_or_else(|e| panic!("L={l} S={s}: {e}"));
    }
}
