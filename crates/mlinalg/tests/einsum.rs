//! Tests of `mlinalg::einsum`: every case of the NumPy fixtures (tests/fixtures/einsum, with
//! torch.einsum agreement checked by the generator) including NumPy's greedy path and FLOP counts,
//! the error messages, and property tests against an obviously correct reference (a loop over
//! every assignment of the indices) on random specs, shapes and layouts.

mod common;

use std::collections::BTreeMap;

use common::strided::Strided;
use common::{case_views, check_cases, load, load_inputs, Case};
use mlinalg::einsum::{einsum, einsum_path, einsum_view};
use mlinalg::{ErrorKind, Scalar};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use ndarray_npy::ReadableElement;
use proptest::prelude::*;
use serde_json::Value;

const MODULE: &str = "einsum";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The result's contract: a view of the operand exactly when the spec only relabels its axes
/// (when `einsum_view` accepts it: the same view), an owned array otherwise.
fn check_view_or_owned<T: Scalar>(
    spec: &str,
    ops: &[ArrayViewD<'_, T>],
    got: &ndarray::CowArray<'_, T, IxDyn>,
) -> Result<(), String> {
    let view = match ops {
        [op] => einsum_view(spec, op.clone()).ok(),
        _ => None,
    };
    match view {
        Some(v) if got.is_view() && got.as_ptr() == v.as_ptr() && got.strides() == v.strides() => {
            Ok(())
        }
        Some(_) => Err(format!(
            "'{spec}' only relabels axes but did not return their view"
        )),
        None if got.is_owned() => Ok(()),
        None => Err(format!("'{spec}' computes but returned a view")),
    }
}

fn kind_of(name: &str) -> ErrorKind {
    match name {
        "Shape" => ErrorKind::Shape,
        "Broadcast" => ErrorKind::Broadcast,
        "InvalidArgument" => ErrorKind::InvalidArgument,
        other => panic!("unknown error kind {other}"),
    }
}

/// Runs one case in element type `T`: the result against NumPy's, within `rtol` times the sum of
/// the absolute values of the terms (out1: a bound on the rounding error of any summation order).
fn run_case<T: Scalar + ReadableElement>(case: &Case, rtol: f64) -> Result<(), String> {
    let spec = case.params["spec"].as_str().ok_or("no spec")?;
    let inputs: Vec<ArrayD<T>> = load_inputs(MODULE, case);
    let views = case_views(case, &inputs);
    let shapes: Vec<&[usize]> = views.iter().map(|v| v.shape()).collect();
    let name = &case.name;
    if let Some(err) = &case.error {
        let want = kind_of(case.params["kind"].as_str().ok_or("no kind")?);
        let got = einsum(spec, &views);
        let path = einsum_path(spec, &shapes);
        return match (got, path) {
            (Err(e), Err(pe)) if e.kind() == want && e == pe => {
                let quoted = format!("'{spec}'");
                if e.to_string().starts_with("einsum: ") && e.message().contains(&quoted) {
                    Ok(())
                } else {
                    Err(format!("{name}: message does not quote the spec: {e}"))
                }
            }
            (Err(e), _) if e.kind() != want => Err(format!(
                "{name}: error kind {:?}, expected {want:?} ({err}): {e}",
                e.kind()
            )),
            (Err(e), p) => Err(format!("{name}: einsum_path disagrees: {e} vs {p:?}")),
            (Ok(r), _) => Err(format!("{name}: expected {err}, got shape {:?}", r.shape())),
        };
    }
    let got = einsum(spec, &views).map_err(|e| format!("{name}: {e}"))?;
    check_view_or_owned(spec, &views, &got).map_err(|e| format!("{name}: {e}"))?;
    let want: ArrayD<f64> = load(MODULE, &case.expected[0]);
    let bound: ArrayD<f64> = load(MODULE, &case.expected[1]);
    if got.shape() != want.shape() {
        return Err(format!(
            "{name}: shape {:?} != expected {:?}",
            got.shape(),
            want.shape()
        ));
    }
    for ((g, w), b) in got.iter().zip(want.iter()).zip(bound.iter()) {
        let g = g.as_f64();
        if (g - w).abs() > rtol * b + 1e-300 {
            return Err(format!(
                "{name}: got {g:e}, expected {w:e} (bound {:e})",
                rtol * b
            ));
        }
    }
    check_path(case, spec, &shapes)
}

/// einsum_path against np.einsum_path(..., optimize="greedy"): the same steps, exact FLOP counts.
fn check_path(case: &Case, spec: &str, shapes: &[&[usize]]) -> Result<(), String> {
    let name = &case.name;
    let want = &case.params["path"];
    let path = einsum_path(spec, shapes).map_err(|e| format!("{name}: einsum_path: {e}"))?;
    let u = |v: &Value| v.as_u64().map(u128::from).unwrap_or(u128::MAX);
    let steps: Vec<Vec<u64>> = path
        .steps()
        .iter()
        .map(|s| {
            let mut o: Vec<u64> = s.operands.iter().map(|&x| x as u64).collect();
            o.sort_unstable();
            o
        })
        .collect();
    let want_steps: Vec<Vec<u64>> = want["steps"]
        .as_array()
        .ok_or("no steps")?
        .iter()
        .map(|s| {
            let mut o: Vec<u64> = common::usizes(s).iter().map(|&x| x as u64).collect();
            o.sort_unstable();
            o
        })
        .collect();
    if steps != want_steps {
        return Err(format!("{name}: path {steps:?} != NumPy's {want_steps:?}"));
    }
    let step_flops: Vec<u128> = path.steps().iter().map(|s| s.flops).collect();
    let want_flops: Vec<u128> = want["step_flops"]
        .as_array()
        .ok_or("no step_flops")?
        .iter()
        .map(u)
        .collect();
    if step_flops != want_flops {
        return Err(format!(
            "{name}: step FLOPs {step_flops:?} != NumPy's {want_flops:?}"
        ));
    }
    if path.naive_flops() != u(&want["naive_flops"]) {
        return Err(format!(
            "{name}: naive FLOPs {} != NumPy's {}",
            path.naive_flops(),
            want["naive_flops"]
        ));
    }
    if path.optimized_flops() + 1 != u(&want["optimized_flops"]) {
        return Err(format!(
            "{name}: optimized FLOPs {} + 1 != NumPy's {}",
            path.optimized_flops(),
            want["optimized_flops"]
        ));
    }
    let largest = path.largest_intermediate() as f64;
    let want_largest = want["largest_intermediate"].as_f64().unwrap_or(f64::NAN);
    if (largest - want_largest).abs() > 1e-3 * want_largest.max(1.0) {
        return Err(format!(
            "{name}: largest intermediate {largest} != NumPy's {want_largest}"
        ));
    }
    let scalings: Vec<u64> = path.steps().iter().map(|s| s.scaling as u64).collect();
    let want_scalings: Vec<u64> = common::usizes(&want["scalings"])
        .iter()
        .map(|&x| x as u64)
        .collect();
    if scalings != want_scalings {
        return Err(format!(
            "{name}: scalings {scalings:?} != NumPy's {want_scalings:?}"
        ));
    }
    Ok(())
}

#[test]
fn fixtures() {
    let cases = common::cases(MODULE);
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    check_cases(&cases, |case| {
        match case.params["dtype"].as_str() {
            // Rounding: at most a few hundred terms per element, so n·eps·Σ|terms| is below
            // 1e-13 (f64) and 2e-5... in practice 1e-6 (f32, eps 6e-8) of the bound.
            Some("float64") => run_case::<f64>(case, 1e-12),
            Some("float32") => run_case::<f32>(case, 1e-5),
            other => Err(format!("{}: unexpected dtype {other:?}", case.name)),
        }
    });
}

/// The fixtures cover what the tracker issue asks for (a guard against the table shrinking).
#[test]
fn fixtures_cover_the_grammar() {
    let cases = common::cases(MODULE);
    let specs: Vec<&str> = cases
        .iter()
        .filter_map(|c| c.params["spec"].as_str())
        .collect();
    for want in [
        "i,i->",
        "ij,jk->ik",
        "bij,bjk->bik",
        "bhid,bhjd->bhij",
        "bsd,df->bsf",
        "i,j->ij",
        "ij,ij->ij",
        "ij->ji",
        "ii->",
        "ii->i",
        "iij->ij",
        "ij,jk",
        "...ij,...jk->...ik",
        "ij,jk,kl->il",
        "ea,fb,abcd,gc,hd->efgh",
        "ijk->",
        ",ij->ij",
    ] {
        assert!(specs.contains(&want), "no fixture for {want}");
    }
    assert!(cases.iter().any(|c| c.name.starts_with("zero_")));
    assert!(cases.iter().any(|c| c.name.starts_with("view_")));
    assert!(cases.iter().filter(|c| c.error.is_some()).count() >= 15);
    assert!(cases.iter().any(|c| c.params["dtype"] == "float32"));
}

// ---------------------------------------------------------------------------------------------
// Messages and the report
// ---------------------------------------------------------------------------------------------

fn zeros(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::zeros(IxDyn(shape))
}

fn err(spec: &str, shapes: &[&[usize]]) -> mlinalg::Error {
    let arrays: Vec<ArrayD<f64>> = shapes.iter().map(|s| zeros(s)).collect();
    let views: Vec<ArrayViewD<'_, f64>> = arrays.iter().map(|a| a.view()).collect();
    match einsum(spec, &views) {
        Err(e) => e,
        Ok(r) => panic!("{spec}: expected an error, got shape {:?}", r.shape()),
    }
}

#[test]
fn error_messages() {
    let e = err("ij,jk->ik", &[&[2, 3], &[4, 5]]);
    assert_eq!(e.kind(), ErrorKind::Shape);
    assert_eq!(
        e.to_string(),
        "einsum: index 'j' has size 3 in operand 0 and 4 in operand 1 (shapes (2, 3) and (4, 5)) in 'ij,jk->ik'"
    );
    assert_eq!(e.shapes(), &[vec![2, 3], vec![4, 5]]);
    assert_eq!(
        err("ij->k", &[&[2, 3]]).to_string(),
        "einsum: output index 'k' does not appear in any operand in 'ij->k'"
    );
    assert_eq!(
        err("ij->ii", &[&[2, 3]]).to_string(),
        "einsum: output index 'i' is repeated in 'ij->ii'"
    );
    assert_eq!(
        err("ij,jk->ik", &[&[2, 3]]).to_string(),
        "einsum: 1 operand given for 2 terms of operand subscripts in 'ij,jk->ik'"
    );
    assert_eq!(
        err("ijk->i", &[&[2, 3]]).to_string(),
        "einsum: operand 0 has 2 dimensions (shape (2, 3)) but its subscripts 'ijk' name 3 indices in 'ijk->i'"
    );
    assert_eq!(
        err("...ijk,k->i", &[&[2, 3], &[3]]).to_string(),
        "einsum: operand 0 has 2 dimensions (shape (2, 3)) but its subscripts '...ijk' name at least 3 indices in '...ijk,k->i'"
    );
    assert_eq!(
        err("i$->i", &[&[2, 3]]).to_string(),
        "einsum: invalid character '$' in operand 0 (subscripts are the letters a-z and A-Z, ',' \
         between operands, '...' and one '->') in 'i$->i'"
    );
    assert_eq!(
        err("..i->i", &[&[2]]).to_string(),
        "einsum: '.' that is not part of an ellipsis '...' in operand 0 in '..i->i'"
    );
    assert_eq!(
        err("...i...->i", &[&[2, 3]]).to_string(),
        "einsum: more than one ellipsis '...' in operand 0 in '...i...->i'"
    );
    assert_eq!(
        err("...ij->ij", &[&[5, 2, 3]]).to_string(),
        "einsum: the operands' '...' covers 1 dimension (broadcast shape (5,)) but the output has no '...' in '...ij->ij'"
    );
    assert_eq!(
        err("ii->i", &[&[2, 3]]).to_string(),
        "einsum: index 'i' is repeated in operand 0 (shape (2, 3)) with sizes 2 and 3: a diagonal needs equal sizes in 'ii->i'"
    );
    let e = err("...i,...i->...", &[&[2, 3], &[4, 3]]);
    assert_eq!(e.kind(), ErrorKind::Broadcast);
    assert_eq!(
        e.to_string(),
        "einsum: dimension 0 of '...' has size 2 in operand 0 and 4 in operand 1 (shapes (2, 3) and (4, 3)) in '...i,...i->...'"
    );
    let none: [ArrayViewD<'_, f64>; 0] = [];
    assert_eq!(
        einsum("->", &none).unwrap_err().to_string(),
        "einsum: no operands given: einsum needs at least one in '->'"
    );
    // Spaces are ignored, as in NumPy; other whitespace too.
    let a = zeros(&[2, 3]);
    assert_eq!(einsum(" ij -> ji ", &[a.view()]).unwrap().shape(), &[3, 2]);
}

/// The report reads as NumPy's for the same spec (NumPy adds one to the optimized count).
#[test]
fn path_report() {
    let path = einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]]).unwrap();
    let want = "  Complete contraction:  ij,jk,kl->il
         Naive scaling:  4
     Optimized scaling:  3
      Naive FLOP count:  3.600e+02
  Optimized FLOP count:  1.800e+02
   Theoretical speedup:  2.000
  Largest intermediate:  1.500e+01 elements
--------------------------------------------------------------------------
scaling                  current                                remaining
--------------------------------------------------------------------------
   3                   kl,jk->jl                                ij,jl->il
   3                   jl,ij->il                                   il->il";
    assert_eq!(path.to_string(), want);
    // Implicit output and '...' (shown with a letter the spec does not use).
    let path = einsum_path("...ij,...jk", &[&[7, 2, 3], &[3, 4]]).unwrap();
    assert_eq!(path.complete_contraction(), "aij,jk->aik");
    assert_eq!(path.steps().len(), 1);
    assert_eq!(path.steps()[0].flops, 7 * 2 * 3 * 4 * 2);
}

// ---------------------------------------------------------------------------------------------
// Property tests: random specs against a loop over every assignment of the indices
// ---------------------------------------------------------------------------------------------

/// A random spec: operands of rank 0..=3 over the indices a..e (repeats allowed), an explicit
/// output (distinct indices in random order) or none (implicit), and the index sizes.
#[derive(Debug, Clone)]
struct RandomSpec {
    terms: Vec<Vec<char>>,
    output: Option<Vec<char>>,
    sizes: BTreeMap<char, usize>,
}

impl RandomSpec {
    fn text(&self) -> String {
        let lhs: Vec<String> = self.terms.iter().map(|t| t.iter().collect()).collect();
        match &self.output {
            Some(o) => format!("{}->{}", lhs.join(","), o.iter().collect::<String>()),
            None => lhs.join(","),
        }
    }

    fn shape(&self, term: &[char]) -> Vec<usize> {
        term.iter().map(|c| self.sizes[c]).collect()
    }

    /// The output indices (implicit: those appearing once, sorted).
    fn output(&self) -> Vec<char> {
        match &self.output {
            Some(o) => o.clone(),
            None => {
                let mut count: BTreeMap<char, usize> = BTreeMap::new();
                for c in self.terms.iter().flatten() {
                    *count.entry(*c).or_default() += 1;
                }
                count
                    .into_iter()
                    .filter(|&(_, n)| n == 1)
                    .map(|(c, _)| c)
                    .collect()
            }
        }
    }
}

fn random_spec() -> impl Strategy<Value = RandomSpec> {
    let letters = ['a', 'b', 'c', 'd', 'e'];
    (
        proptest::collection::vec(proptest::collection::vec(0usize..5, 0..=3), 1..=4),
        proptest::collection::vec(1usize..=3, 5),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 5),
    )
        .prop_map(move |(terms, sizes, implicit, pick)| {
            let terms: Vec<Vec<char>> = terms
                .into_iter()
                .map(|t| t.into_iter().map(|i| letters[i]).collect())
                .collect();
            let mut used: Vec<char> = terms.iter().flatten().copied().collect();
            used.sort_unstable();
            used.dedup();
            let output = if implicit {
                None
            } else {
                // A random subset of the used indices in a random order.
                let mut out: Vec<(u8, char)> = used
                    .iter()
                    .zip(&pick)
                    .filter(|(_, &p)| p % 2 == 0)
                    .map(|(&c, &p)| (p, c))
                    .collect();
                out.sort_unstable();
                Some(out.into_iter().map(|(_, c)| c).collect())
            };
            let sizes = letters.iter().copied().zip(sizes).collect();
            RandomSpec {
                terms,
                output,
                sizes,
            }
        })
}

/// Σ over every assignment of the indices of the product of the operands' elements.
fn reference(spec: &RandomSpec, ops: &[ArrayViewD<'_, f64>]) -> ArrayD<f64> {
    let out = spec.output();
    let mut all: Vec<char> = spec.terms.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    let out_shape: Vec<usize> = out.iter().map(|c| spec.sizes[c]).collect();
    let mut result = ArrayD::<f64>::zeros(IxDyn(&out_shape));
    let dims: Vec<usize> = all.iter().map(|c| spec.sizes[c]).collect();
    for idx in ndarray::indices(IxDyn(&dims)) {
        let value = |c: &char| idx[all.iter().position(|x| x == c).unwrap_or(0)];
        let mut prod = 1.0;
        for (term, op) in spec.terms.iter().zip(ops) {
            let at: Vec<usize> = term.iter().map(value).collect();
            prod *= op[at.as_slice()];
        }
        let at: Vec<usize> = out.iter().map(value).collect();
        result[at.as_slice()] += prod;
    }
    result
}

fn value(state: u64) -> f64 {
    (state % 2001) as f64 / 1000.0 - 1.0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// einsum equals the reference on random specs and operands of random layouts (standard,
    /// transposed, strided, reversed, broadcast).
    #[test]
    fn matches_reference(spec in random_spec(), layouts in proptest::collection::vec((0u8..5, any::<u64>()), 4)) {
        let data: Vec<Strided> = spec
            .terms
            .iter()
            .zip(&layouts)
            .map(|(t, &(layout, seed))| Strided::new(spec.shape(t), layout, seed, value))
            .collect();
        let views: Vec<ArrayViewD<'_, f64>> = data.iter().map(|d| d.view()).collect();
        let text = spec.text();
        let got = einsum(&text, &views).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let want = reference(&spec, &views);
        prop_assert_eq!(got.shape(), want.shape(), "{}", text);
        prop_assert!(check_view_or_owned(&text, &views, &got).is_ok(), "{}", text);
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()) * 64.0, "{}: {} vs {}", text, g, w);
        }
        // The path is a valid plan for the same spec.
        let shapes: Vec<&[usize]> = views.iter().map(|v| v.shape()).collect();
        let path = einsum_path(&text, &shapes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(path.optimized_flops() >= 1 || path.steps().iter().all(|s| s.flops == 0));
        prop_assert!(!path.steps().is_empty());
    }

    /// f32 gives the f64 answer to f32 precision.
    #[test]
    fn f32_matches_f64(spec in random_spec(), seed in any::<u64>()) {
        let data: Vec<Strided> = spec
            .terms
            .iter()
            .enumerate()
            .map(|(k, t)| Strided::new(spec.shape(t), 0, seed.wrapping_add(k as u64), value))
            .collect();
        let views: Vec<ArrayViewD<'_, f64>> = data.iter().map(|d| d.view()).collect();
        let views32: Vec<ArrayD<f32>> = views.iter().map(|v| v.mapv(|x| x as f32)).collect();
        let views32: Vec<ArrayViewD<'_, f32>> = views32.iter().map(|v| v.view()).collect();
        let text = spec.text();
        let want = einsum(&text, &views).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got = einsum(&text, &views32).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((f64::from(*g) - w).abs() <= 1e-5 * (1.0 + w.abs()) * 64.0, "{}", text);
        }
    }

    /// Arbitrary strings never panic: they give a result or an error that quotes them.
    #[test]
    fn never_panics(spec in "[a-d.,>\\- $]{0,12}", ranks in proptest::collection::vec(0usize..3, 0..4)) {
        let arrays: Vec<ArrayD<f64>> = ranks.iter().map(|&r| ArrayD::ones(IxDyn(&vec![2; r]))).collect();
        let views: Vec<ArrayViewD<'_, f64>> = arrays.iter().map(|a| a.view()).collect();
        if let Err(e) = einsum(&spec, &views) {
            prop_assert!(e.message().ends_with(&format!("in '{spec}'")) || e.message().contains(&format!("in '{spec}'")), "{}", e);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The paths taken only by large operands (parallel reductions, tiled transposes, parallel
// elementwise products), against plain ndarray arithmetic
// ---------------------------------------------------------------------------------------------

fn filled(shape: &[usize], seed: u64) -> ArrayD<f64> {
    Strided::new(shape.to_vec(), 0, seed, value).base
}

fn close<S: ndarray::Data<Elem = f64>>(
    got: &ndarray::ArrayBase<S, IxDyn>,
    want: &ArrayD<f64>,
    what: &str,
) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!(
            (g - w).abs() <= 1e-9 * (1.0 + w.abs()),
            "{what}: {g} vs {w}"
        );
    }
}

#[test]
fn large_operands() {
    let a = filled(&[300, 700], 1);
    let b = filled(&[300, 700], 2);
    let (av, bv) = (a.view(), b.view());
    // Tiled transposes: 2-D, a batch of them, and a reversed view.
    close(
        &einsum("ij->ji", &[a.view()]).unwrap(),
        &a.t().to_owned(),
        "ij->ji",
    );
    let c = filled(&[3, 129, 257], 3);
    let want = c
        .view()
        .permuted_axes(IxDyn(&[0, 2, 1]))
        .as_standard_layout()
        .into_owned();
    close(&einsum("bji->bij", &[c.view()]).unwrap(), &want, "bji->bij");
    let mut rev = a.view();
    rev.invert_axis(ndarray::Axis(0));
    close(
        &einsum("ij->ji", &[rev.clone()]).unwrap(),
        &rev.t().to_owned(),
        "reversed ij->ji",
    );
    // Elementwise and outer products.
    close(
        &einsum("ij,ij->ij", &[av.clone(), bv.clone()]).unwrap(),
        &(&a * &b),
        "hadamard",
    );
    let u = filled(&[400], 4);
    let v = filled(&[300], 5);
    let outer = einsum("i,j->ij", &[u.view(), v.view()]).unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[400, 300]), |ix| u[[ix[0]]] * v[[ix[1]]]);
    close(&outer, &want, "outer");
    // Dots: many rows, one long row, everything.
    let rows = einsum("ij,ij->i", &[av.clone(), bv.clone()]).unwrap();
    close(&rows, &(&a * &b).sum_axis(ndarray::Axis(1)), "row dots");
    let x = filled(&[200_000], 6);
    let y = filled(&[200_000], 7);
    let d = einsum("i,i->", &[x.view(), y.view()]).unwrap();
    close(&d, &ndarray::arr0((&x * &y).sum()).into_dyn(), "dot");
    let s = einsum("ij->", &[a.view()]).unwrap();
    close(&s, &ndarray::arr0(a.sum()).into_dyn(), "sum");
    let s = einsum("ij->", &[av.t().into_dyn()]).unwrap();
    close(
        &s,
        &ndarray::arr0(a.sum()).into_dyn(),
        "sum of a transposed view",
    );
    // Partial sums, split across threads along the first kept axis.
    let c3 = filled(&[30, 40, 50], 12);
    let want = c3.sum_axis(ndarray::Axis(1));
    close(&einsum("bsd->bd", &[c3.view()]).unwrap(), &want, "bsd->bd");
    let want = c3.sum_axis(ndarray::Axis(2)).sum_axis(ndarray::Axis(0));
    close(&einsum("bsd->s", &[c3.view()]).unwrap(), &want, "bsd->s");
    let want = c3.sum_axis(ndarray::Axis(0)).t().to_owned();
    close(&einsum("bsd->ds", &[c3.view()]).unwrap(), &want, "bsd->ds");
    // A batched GEMM whose result needs the tiled transpose (batch index last in the output).
    let p = filled(&[64, 48, 20], 8);
    let q = filled(&[48, 72, 20], 9);
    let got = einsum("ijb,jkb->ikb", &[p.view(), q.view()]).unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[64, 72, 20]), |ix| {
        (0..48)
            .map(|j| p[[ix[0], j, ix[2]]] * q[[j, ix[1], ix[2]]])
            .sum()
    });
    close(&got, &want, "ijb,jkb->ikb");
    // Rows (i, k) that do not merge as a view: one parallel copy of the operand first.
    let a3 = filled(&[40, 30, 50], 10);
    let w = filled(&[30, 20], 11);
    let got = einsum("ijk,jl->ikl", &[a3.view(), w.view()]).unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[40, 50, 20]), |ix| {
        (0..30).map(|j| a3[[ix[0], j, ix[1]]] * w[[j, ix[2]]]).sum()
    });
    close(&got, &want, "ijk,jl->ikl");
    // The same through a transposed operand (the copy goes by tiles).
    let t = a3.view().permuted_axes(IxDyn(&[0, 2, 1]));
    let got = einsum("ikj,jl->ikl", &[t, w.view()]).unwrap();
    close(&got, &want, "ikj,jl->ikl on a transposed view");
    // Sums by the vector kernels: one long output row (column sums split into blocks), many
    // short rows, an inner sum, a sum over a middle axis of a large array.
    let tall = filled(&[50, 70_000], 13);
    close(
        &einsum("ij->j", &[tall.view()]).unwrap(),
        &tall.sum_axis(ndarray::Axis(0)),
        "ij->j, one long row",
    );
    close(
        &einsum("ij->i", &[tall.view()]).unwrap(),
        &tall.sum_axis(ndarray::Axis(1)),
        "ij->i",
    );
    let narrow = filled(&[70_000, 3], 14);
    close(
        &einsum("ij->i", &[narrow.view()]).unwrap(),
        &narrow.sum_axis(ndarray::Axis(1)),
        "ij->i, short rows",
    );
    let big = filled(&[16, 40, 300], 15);
    close(
        &einsum("bsd->bd", &[big.view()]).unwrap(),
        &big.sum_axis(ndarray::Axis(1)),
        "bsd->bd, large",
    );
    // An outer product with a batch, and an elementwise product on transposed (strided) lanes.
    let bu = filled(&[5, 300], 16);
    let bv2 = filled(&[5, 200], 17);
    let want = ArrayD::from_shape_fn(IxDyn(&[5, 300, 200]), |ix| {
        bu[[ix[0], ix[1]]] * bv2[[ix[0], ix[2]]]
    });
    close(
        &einsum("bi,bj->bij", &[bu.view(), bv2.view()]).unwrap(),
        &want,
        "bi,bj->bij",
    );
    close(
        &einsum("ji,ij->ij", &[av.t().into_dyn(), bv.clone()]).unwrap(),
        &(&a * &b),
        "hadamard of a transposed view",
    );
}

/// `einsum_view` returns a view of the operand (no copy) equal to `einsum`'s result, for
/// permutations and diagonals, whatever the signs of the strides.
#[test]
fn views() {
    let a = filled(&[6, 6, 4], 20);
    let inside = |v: &ArrayViewD<'_, f64>| {
        let range = a.as_slice().unwrap().as_ptr_range();
        v.iter().all(|x| range.contains(&(x as *const f64)))
    };
    let mut mixed = a.view();
    mixed.invert_axis(ndarray::Axis(1));
    let mut reversed = a.view();
    reversed.invert_axis(ndarray::Axis(0));
    reversed.invert_axis(ndarray::Axis(1));
    for (what, view) in [
        ("standard", a.view()),
        ("mixed signs", mixed),
        ("reversed", reversed),
    ] {
        for spec in ["ijk->kji", "iik->ik", "iik->ki", "ii...->...i", "ijk"] {
            let v = einsum_view(spec, view.clone()).unwrap();
            let want = einsum(spec, std::slice::from_ref(&view)).unwrap();
            assert_eq!(v, want, "{spec} on a {what} view");
            assert!(
                inside(&v),
                "{spec} on a {what} view is not a view of the operand"
            );
        }
    }
    for spec in ["iik->", "ijk->ij", "ijk->"] {
        let e = einsum_view(spec, a.view()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{spec}");
        assert!(e.to_string().contains("use einsum"), "{e}");
    }
    let e = einsum_view("ij->ji", a.view()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape, "{e}");
}

/// A result too large to represent is an error, not ndarray's panic.
#[test]
fn huge_result_is_an_error() {
    let x = ArrayD::<f32>::zeros(IxDyn(&[1]));
    let big = x.broadcast(IxDyn(&[1 << 20])).unwrap();
    let ops = [big.clone(), big.clone(), big.clone(), big.clone()];
    let e = einsum("i,j,k,l->ijkl", &ops).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("too large"), "{e}");
}
