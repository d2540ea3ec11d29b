//! Einstein summation: `np.einsum` / `torch.einsum` for n-d arrays, lowered to batched GEMM.
//!
//! One string says which axes of the operands multiply, which are summed and which are kept:
//! `"ij,jk->ik"` is a matrix product, `"bhid,bhjd->bhij"` the attention scores of every head,
//! `"ii->"` a trace. [`einsum`] computes it; [`einsum_path`] reports the order in which the
//! operands are contracted and what that saves, as `np.einsum_path` does.
//!
//! | function | NumPy / PyTorch | notes |
//! |---|---|---|
//! | [`einsum`] | `np.einsum(spec, *ops, optimize=True)`, `torch.einsum` | any number of operands, any layout |
//! | [`einsum_path`] | `np.einsum_path(spec, *ops, optimize="greedy")` | the plan and its FLOP counts, from shapes only |
//! | [`einsum_view`] | `np.einsum("ij->ji", a)` (a view) | permutations and diagonals of one operand, no copy |
//!
//! ## The grammar (NumPy's)
//! - Each operand gets one subscript per axis, operands are separated by `,`: `"ij,jk"`.
//!   Subscripts are the letters `a-z` and `A-Z` (upper and lower case are different indices).
//! - `->` names the output's axes, in order: `"ij->ji"` transposes, `"ij->"` sums everything.
//!   Without `->` the output is every index that appears exactly once, in alphabetical order
//!   (upper case first, as in NumPy): `"ij,jk"` is `"ij,jk->ik"`, `"ba"` is `"ba->ab"`.
//! - An index that appears in several operands multiplies them along that axis; an index absent
//!   from the output is summed over.
//! - An index repeated within one operand takes the diagonal: `"ii->i"` is the diagonal,
//!   `"ii->"` the trace, `"iij->ij"` the diagonal of the first two axes.
//! - `...` stands for the remaining axes of an operand (possibly none). The `...` axes of all
//!   operands are aligned from the right and broadcast under NumPy's rules, as are indices of size
//!   1 (an index of size 1 in one operand matches any size in another, as in NumPy). Implicit
//!   output puts the `...` axes first; an explicit output must contain `...` when the operands'
//!   `...` axes are not empty.
//! - Spaces are ignored.
//!
//! ## How it is computed
//! 1. Parse and check the spec against the shapes (every error quotes the spec and the shapes).
//! 2. Per operand: repeated indices become a diagonal (a strided view, no copy) and indices that
//!    appear nowhere else (not in another operand, not in the output) are summed away.
//! 3. The operands are contracted two at a time in the order of NumPy's greedy path (the pair that
//!    removes the most elements first; the path, and so the FLOP counts, are NumPy's).
//! 4. Each pairwise contraction is one batched GEMM ([`crate::matrix::matmul`] on faer's GEMM
//!    kernels): indices in both operands and still needed are batch axes, indices in both and
//!    no longer needed are the inner (contracted) axis, the others are the rows and columns.
//!    The operands are permuted and reshaped as views when their strides allow it (a transposed
//!    operand is handed to the GEMM as a transposed matrix, not copied). Two shapes of pair
//!    skip the GEMM: an elementwise product (nothing contracted: Hadamard, outer and broadcast
//!    products) is written once into an uninitialised result, and batched dot products
//!    (nothing but batch and inner axes) are dots.
//! 5. The last step writes its result in the output's axis order where it can; where it cannot
//!    (a broadcast batch folded into the GEMM's rows, say), the result's axes are permuted
//!    without a copy, as `torch.einsum` returns them.
//!
//! Nothing here loops over indices element by element: the work is in the GEMM kernels, vector
//! kernels chosen at run time for the widest SIMD the CPU has (sums, dots, products), and
//! strided views.
//!
//! ## What comes back
//! A [`CowArray`]: *borrowed* (a view of the operand, no copy) for specs that only relabel axes
//! (`"ij->ji"`, `"ii->i"`, `"ij->ij"`), as NumPy and PyTorch return a view for them; *owned*
//! otherwise. Its memory order is whatever the computation produced (as with `torch.einsum`):
//! usually row-major, but a transposed or permuted layout where a final copy would only have
//! reordered memory. Index it, iterate it or hand it to any function taking an array as it is;
//! call [`ArrayBase::into_owned`](ndarray::ArrayBase::into_owned) for an owned array (free when
//! it already is one) and `.as_standard_layout()` where row-major memory is required (a
//! `.as_slice()`). [`einsum_view`] is the form that returns a plain view, and refuses specs that
//! would need a computation.
//!
//! ```
//! use mlinalg::einsum::einsum;
//! use ndarray::{array, Array4};
//!
//! // Attention scores for every batch and head: Q Kᵀ over the head dimension d.
//! let q = Array4::<f32>::ones((2, 3, 5, 8));
//! let k = Array4::<f32>::ones((2, 3, 7, 8));
//! let scores = einsum("bhid,bhjd->bhij", &[q.view().into_dyn(), k.view().into_dyn()])?;
//! assert_eq!(scores.shape(), &[2, 3, 5, 7]);
//! assert_eq!(scores[[1, 2, 4, 6]], 8.0);
//!
//! // Trace, diagonal, transpose.
//! let a = array![[1.0, 2.0], [3.0, 4.0]];
//! assert_eq!(einsum("ii->", &[a.view().into_dyn()])?, ndarray::arr0(5.0).into_dyn());
//! assert_eq!(einsum("ii->i", &[a.view().into_dyn()])?, array![1.0, 4.0].into_dyn());
//! assert_eq!(einsum("ij->ji", &[a.view().into_dyn()])?, a.t().into_dyn());
//! # Ok::<(), mlinalg::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::mem::MaybeUninit;

use ndarray::{
    ArrayD, ArrayView1, ArrayViewD, ArrayViewMut1, Axis, CowArray, IxDyn, ShapeBuilder, Zip,
};
use rayon::prelude::*;

use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::{simd, Scalar};

const OP: &str = "einsum";

/// Letters are labels 0..52 in ASCII order (`A`..`Z`, then `a`..`z`), so sorting labels sorts
/// letters as NumPy's implicit output does; the `...` axes are labels 52, 53, ...
const LETTERS: usize = 52;

type Labels = BTreeSet<usize>;

fn letter_label(c: char) -> Option<usize> {
    match c {
        'A'..='Z' => Some(c as usize - 'A' as usize),
        'a'..='z' => Some(26 + c as usize - 'a' as usize),
        _ => None,
    }
}

fn label_letter(label: usize) -> char {
    let base = if label < 26 { b'A' } else { b'a' - 26 };
    char::from(base.wrapping_add(label as u8))
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// One subscript of a term: a letter's label, or the ellipsis.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Label(usize),
    Ellipsis,
}

/// A spec checked against the operands' shapes.
struct Parsed {
    /// The spec as given, for messages.
    spec: String,
    /// Per operand, the label of each axis (repeats allowed; `...` axes expanded).
    inputs: Vec<Vec<usize>>,
    /// The label of each output axis.
    output: Vec<usize>,
    /// The size of each label after broadcasting (index: label; unused labels 0).
    sizes: Vec<usize>,
    /// The number of broadcast `...` axes.
    ellipsis: usize,
}

fn parse_error(kind: ErrorKind, spec: &str, msg: impl fmt::Display) -> Error {
    Error::new(kind, OP, format!("{msg} in '{spec}'"))
}

/// Parses one term: letters and at most one `...`. `what` names it ("operand 1", "the output").
fn parse_term(spec: &str, term: &str, what: &str) -> Result<Vec<Item>> {
    let chars: Vec<char> = term.chars().collect();
    let mut items = Vec::with_capacity(chars.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '.' {
            if chars.get(i + 1) != Some(&'.') || chars.get(i + 2) != Some(&'.') {
                return Err(parse_error(
                    ErrorKind::InvalidArgument,
                    spec,
                    format!("'.' that is not part of an ellipsis '...' in {what}"),
                ));
            }
            if items.contains(&Item::Ellipsis) {
                return Err(parse_error(
                    ErrorKind::InvalidArgument,
                    spec,
                    format!("more than one ellipsis '...' in {what}"),
                ));
            }
            items.push(Item::Ellipsis);
            i += 3;
            continue;
        }
        match letter_label(c) {
            Some(l) => items.push(Item::Label(l)),
            None => {
                return Err(parse_error(
                    ErrorKind::InvalidArgument,
                    spec,
                    format!(
                        "invalid character '{}' in {what} (subscripts are the letters a-z and A-Z, \
                         ',' between operands, '...' and one '->')",
                        c.escape_debug()
                    ),
                ))
            }
        }
        i += 1;
    }
    Ok(items)
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Parses `spec` and checks it against the operands' shapes.
fn parse(spec: &str, shapes: &[&[usize]]) -> Result<Parsed> {
    let all_shapes = || shapes.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
    let text: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match text.find("->") {
        Some(p) => (&text[..p], Some(&text[p + 2..])),
        None => (text.as_str(), None),
    };
    if shapes.is_empty() {
        return Err(parse_error(
            ErrorKind::InvalidArgument,
            spec,
            "no operands given: einsum needs at least one",
        ));
    }
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != shapes.len() {
        return Err(parse_error(
            ErrorKind::InvalidArgument,
            spec,
            format!(
                "{} given for {} of operand subscripts",
                plural(shapes.len(), "operand"),
                plural(terms.len(), "term")
            ),
        )
        .with_shapes(all_shapes()));
    }
    let mut terms_items = Vec::with_capacity(terms.len());
    for (k, term) in terms.iter().enumerate() {
        terms_items.push(parse_term(spec, term, &format!("operand {k}"))?);
    }

    // Ranks, and the number of broadcast `...` axes.
    let mut ellipsis = 0;
    for (k, (items, shape)) in terms_items.iter().zip(shapes).enumerate() {
        let letters = items.iter().filter(|&&i| i != Item::Ellipsis).count();
        let has_ellipsis = items.contains(&Item::Ellipsis);
        let ok = if has_ellipsis {
            shape.len() >= letters
        } else {
            shape.len() == letters
        };
        if !ok {
            return Err(parse_error(
                ErrorKind::Shape,
                spec,
                format!(
                    "operand {k} has {} (shape {}) but its subscripts '{}' name {}{}",
                    plural(shape.len(), "dimension"),
                    fmt_shape(shape),
                    terms[k],
                    if has_ellipsis { "at least " } else { "" },
                    if letters == 1 {
                        "1 index".to_string()
                    } else {
                        format!("{letters} indices")
                    },
                ),
            )
            .with_shapes(all_shapes()));
        }
        if has_ellipsis {
            ellipsis = ellipsis.max(shape.len() - letters);
        }
    }

    // Labels per axis.
    let inputs: Vec<Vec<usize>> = terms_items
        .iter()
        .zip(shapes)
        .map(|(items, shape)| {
            let letters = items.iter().filter(|&&i| i != Item::Ellipsis).count();
            let covered = shape.len() - letters;
            let mut labels = Vec::with_capacity(shape.len());
            for item in items {
                match *item {
                    Item::Label(l) => labels.push(l),
                    Item::Ellipsis => {
                        labels.extend((ellipsis - covered..ellipsis).map(|t| LETTERS + t))
                    }
                }
            }
            labels
        })
        .collect();

    // Sizes: equal within an operand (a diagonal), broadcast (1 matches anything) across operands.
    let name = |l: usize| -> String {
        if l < LETTERS {
            format!("index '{}'", label_letter(l))
        } else {
            format!("dimension {} of '...'", l - LETTERS)
        }
    };
    let mut sizes = vec![0usize; LETTERS + ellipsis];
    let mut seen: Vec<Option<(usize, usize)>> = vec![None; LETTERS + ellipsis]; // (size, operand)
    for (k, (labels, shape)) in inputs.iter().zip(shapes).enumerate() {
        for (ax, (&l, &d)) in labels.iter().zip(shape.iter()).enumerate() {
            if let Some(first) = labels[..ax].iter().position(|&x| x == l) {
                let d0 = shape[first];
                if d0 != d {
                    return Err(parse_error(
                        ErrorKind::Shape,
                        spec,
                        format!(
                            "{} is repeated in operand {k} (shape {}) with sizes {d0} and {d}: \
                             a diagonal needs equal sizes",
                            name(l),
                            fmt_shape(shape)
                        ),
                    )
                    .with_shapes(all_shapes()));
                }
                continue;
            }
            match seen[l] {
                None => {
                    seen[l] = Some((d, k));
                    sizes[l] = d;
                }
                Some((cur, k0)) => {
                    if cur == 1 {
                        seen[l] = Some((d, k));
                        sizes[l] = d;
                    } else if d != 1 && d != cur {
                        let kind = if l < LETTERS {
                            ErrorKind::Shape
                        } else {
                            ErrorKind::Broadcast
                        };
                        return Err(parse_error(
                            kind,
                            spec,
                            format!(
                                "{} has size {cur} in operand {k0} and {d} in operand {k} \
                                 (shapes {} and {})",
                                name(l),
                                fmt_shape(shapes[k0]),
                                fmt_shape(shape)
                            ),
                        )
                        .with_shapes(all_shapes()));
                    }
                }
            }
        }
    }

    // The output.
    let output = match rhs {
        Some(rhs) => {
            let items = parse_term(spec, rhs, "the output")?;
            let mut output = Vec::new();
            for item in &items {
                match *item {
                    Item::Label(l) => {
                        if seen[l].is_none() {
                            return Err(parse_error(
                                ErrorKind::InvalidArgument,
                                spec,
                                format!(
                                    "output index '{}' does not appear in any operand",
                                    label_letter(l)
                                ),
                            ));
                        }
                        if output.contains(&l) {
                            return Err(parse_error(
                                ErrorKind::InvalidArgument,
                                spec,
                                format!("output index '{}' is repeated", label_letter(l)),
                            ));
                        }
                        output.push(l);
                    }
                    Item::Ellipsis => output.extend((0..ellipsis).map(|t| LETTERS + t)),
                }
            }
            if ellipsis > 0 && !items.contains(&Item::Ellipsis) {
                let dims: Vec<usize> = (0..ellipsis).map(|t| sizes[LETTERS + t]).collect();
                return Err(parse_error(
                    ErrorKind::InvalidArgument,
                    spec,
                    format!(
                        "the operands' '...' covers {} (broadcast shape {}) but the output has no '...'",
                        plural(ellipsis, "dimension"),
                        fmt_shape(&dims)
                    ),
                )
                .with_shapes(all_shapes()));
            }
            output
        }
        None => {
            let mut count = vec![0usize; LETTERS];
            for labels in &inputs {
                for &l in labels {
                    if l < LETTERS {
                        count[l] += 1;
                    }
                }
            }
            let mut output: Vec<usize> = (0..ellipsis).map(|t| LETTERS + t).collect();
            output.extend((0..LETTERS).filter(|&l| count[l] == 1));
            output
        }
    };
    Ok(Parsed {
        spec: spec.to_string(),
        inputs,
        output,
        sizes,
        ellipsis,
    })
}

// ---------------------------------------------------------------------------------------------
// The path: NumPy's greedy algorithm (numpy/_core/einsumfunc.py, `_greedy_path`), so that the
// path and FLOP counts are those of np.einsum_path(..., optimize="greedy").
// ---------------------------------------------------------------------------------------------

fn size_of<'a>(labels: impl IntoIterator<Item = &'a usize>, sizes: &[usize]) -> u128 {
    labels
        .into_iter()
        .fold(1u128, |acc, &l| acc.saturating_mul(sizes[l] as u128))
}

/// NumPy's `_flop_count`: the size of the indices involved times (terms - 1, at least 1),
/// plus one when something is summed.
fn flop_count(contract: &Labels, inner: bool, terms: usize, sizes: &[usize]) -> u128 {
    let factor = terms.saturating_sub(1).max(1) + usize::from(inner);
    size_of(contract, sizes).saturating_mul(factor as u128)
}

/// NumPy's `_find_contraction`: contracting `positions` of `sets` gives `result` (the indices
/// still needed), the new list of sets (the result appended), the removed and all involved indices.
fn find_contraction(
    positions: &[usize],
    sets: &[Labels],
    output: &Labels,
) -> (Labels, Vec<Labels>, Labels, Labels) {
    let mut contract = Labels::new();
    let mut remain = output.clone();
    let mut remaining = Vec::with_capacity(sets.len());
    for (i, s) in sets.iter().enumerate() {
        if positions.contains(&i) {
            contract.extend(s.iter().copied());
        } else {
            remaining.push(s.clone());
            remain.extend(s.iter().copied());
        }
    }
    let result: Labels = contract.intersection(&remain).copied().collect();
    let removed: Labels = contract.difference(&result).copied().collect();
    remaining.push(result.clone());
    (result, remaining, removed, contract)
}

struct Candidate {
    /// (-removed size, cost): the smallest is the best.
    sort: (i128, u128),
    positions: (usize, usize),
    sets: Vec<Labels>,
}

#[allow(clippy::too_many_arguments)]
fn possible_contraction(
    positions: (usize, usize),
    sets: &[Labels],
    output: &Labels,
    sizes: &[usize],
    memory_limit: u128,
    path_cost: u128,
    naive_cost: u128,
) -> Option<Candidate> {
    let (result, new_sets, removed, contract) =
        find_contraction(&[positions.0, positions.1], sets, output);
    let new_size = size_of(&result, sizes);
    if new_size > memory_limit {
        return None;
    }
    let old = size_of(&sets[positions.0], sizes).saturating_add(size_of(&sets[positions.1], sizes));
    let removed_size = to_i128(old) - to_i128(new_size);
    let cost = flop_count(&contract, !removed.is_empty(), 2, sizes);
    if path_cost.saturating_add(cost) > naive_cost {
        return None;
    }
    Some(Candidate {
        sort: (-removed_size, cost),
        positions,
        sets: new_sets,
    })
}

fn to_i128(x: u128) -> i128 {
    i128::try_from(x).unwrap_or(i128::MAX)
}

/// NumPy's `_update_other_results`: the candidates that do not involve the contracted pair,
/// renumbered for the list of sets after `best`.
fn update_other_results(results: Vec<Candidate>, best: &Candidate) -> Vec<Candidate> {
    let (bx, by) = best.positions;
    let Some(best_result) = best.sets.last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for mut c in results {
        let (x, y) = c.positions;
        if x == bx || x == by || y == bx || y == by {
            continue;
        }
        let shift = |p: usize, a: usize, b: usize| p - usize::from(p > a) - usize::from(p > b);
        let (dy, dx) = (shift(by, x, y), shift(bx, x, y));
        if dy < c.sets.len() {
            c.sets.remove(dy);
        }
        if dx < c.sets.len() {
            c.sets.remove(dx);
        }
        let at = c.sets.len().saturating_sub(1);
        c.sets.insert(at, best_result.clone());
        c.positions = (shift(x, bx, by), shift(y, bx, by));
        out.push(c);
    }
    out
}

/// NumPy's `_greedy_path` (with its memory limit: no intermediate larger than the largest input
/// or the output; when no pair qualifies, the remaining operands form one step).
fn greedy_path(
    input_sets: &[Labels],
    output: &Labels,
    sizes: &[usize],
    memory_limit: u128,
) -> Vec<Vec<usize>> {
    let n = input_sets.len();
    if n <= 2 {
        return vec![(0..n).collect()];
    }
    let all: Vec<usize> = (0..n).collect();
    let (_, _, removed, contract) = find_contraction(&all, input_sets, output);
    let naive_cost = flop_count(&contract, !removed.is_empty(), n, sizes);

    let mut sets = input_sets.to_vec();
    let mut pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    let mut known: Vec<Candidate> = Vec::new();
    let mut path_cost = 0u128;
    let mut path = Vec::new();
    for _ in 0..n - 1 {
        for &(i, j) in &pairs {
            if sets[i].is_disjoint(&sets[j]) {
                continue;
            }
            if let Some(c) = possible_contraction(
                (i, j),
                &sets,
                output,
                sizes,
                memory_limit,
                path_cost,
                naive_cost,
            ) {
                known.push(c);
            }
        }
        if known.is_empty() {
            let m = sets.len();
            for i in 0..m {
                for j in i + 1..m {
                    if let Some(c) = possible_contraction(
                        (i, j),
                        &sets,
                        output,
                        sizes,
                        memory_limit,
                        path_cost,
                        naive_cost,
                    ) {
                        known.push(c);
                    }
                }
            }
            if known.is_empty() {
                path.push((0..sets.len()).collect());
                break;
            }
        }
        let mut best_at = 0;
        for (i, c) in known.iter().enumerate() {
            if c.sort < known[best_at].sort {
                best_at = i;
            }
        }
        let best = known.remove(best_at);
        known = update_other_results(known, &best);
        sets = best.sets.clone();
        let new_pos = sets.len() - 1;
        pairs = (0..new_pos).map(|i| (i, new_pos)).collect();
        path.push(vec![best.positions.0, best.positions.1]);
        path_cost = path_cost.saturating_add(best.sort.1);
    }
    path
}

/// The path NumPy's `einsum_path(..., optimize="greedy")` takes for a parsed spec.
fn plan(p: &Parsed) -> Vec<Vec<usize>> {
    let sets: Vec<Labels> = p
        .inputs
        .iter()
        .map(|l| l.iter().copied().collect())
        .collect();
    let output: Labels = p.output.iter().copied().collect();
    let indices: Labels = sets.iter().flatten().copied().collect();
    let n = sets.len();
    if n <= 2 || indices == output {
        return vec![(0..n).collect()];
    }
    let memory_limit = p
        .inputs
        .iter()
        .chain(std::iter::once(&p.output))
        .map(|t| size_of(t, &p.sizes))
        .max()
        .unwrap_or(0);
    greedy_path(&sets, &output, &p.sizes, memory_limit)
}

// ---------------------------------------------------------------------------------------------
// einsum_path: the report
// ---------------------------------------------------------------------------------------------

/// One step of an [`EinsumPath`]: the operands contracted and what results.
///
/// ```
/// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
/// let first = &path.steps()[0];
/// assert_eq!(first.operands, [2, 1]);
/// assert_eq!(first.subscripts, "kl,jk->jl");
/// assert_eq!(first.remaining, "ij,jl->il");
/// assert_eq!((first.scaling, first.flops, first.size), (3, 120, 15));
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// Positions, in the current list of operands, of the operands contracted (largest first,
    /// as NumPy lists them); they are removed and the result is appended at the end.
    pub operands: Vec<usize>,
    /// The step as a spec: `"kl,jk->jl"`.
    pub subscripts: String,
    /// The operands left after the step, as a spec: `"ij,jl->il"`.
    pub remaining: String,
    /// The number of distinct indices involved (the power of the size the cost grows with).
    pub scaling: usize,
    /// NumPy's FLOP estimate of the step: the product of the sizes of the indices involved,
    /// times (operands - 1, at least 1), plus one of those if any index is summed.
    pub flops: u128,
    /// The number of elements of the step's result.
    pub size: u128,
}

/// The contraction order [`einsum`] follows for a spec and shapes, with NumPy's cost estimates:
/// what `np.einsum_path(spec, *operands, optimize="greedy")` reports.
///
/// Built by [`einsum_path`]; printed (`Display`) as NumPy prints its report.
///
/// ```
/// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
/// let report = path.to_string();
/// assert!(report.starts_with("  Complete contraction:  ij,jk,kl->il\n         Naive scaling:  4\n"));
/// assert!(report.contains("      Naive FLOP count:  3.600e+02\n"));
/// assert!(report.ends_with("   3                   jl,ij->il                                   il->il"));
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EinsumPath {
    complete: String,
    naive_scaling: usize,
    naive_flops: u128,
    steps: Vec<PathStep>,
}

impl EinsumPath {
    /// The contraction steps, in order.
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
    /// let steps: Vec<&str> = path.steps().iter().map(|s| s.subscripts.as_str()).collect();
    /// assert_eq!(steps, ["kl,jk->jl", "jl,ij->il"]);
    /// assert_eq!(path.steps()[0].operands, [2, 1]);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// The spec with its output made explicit (`"ij,jk->ik"` for `"ij,jk"`); `...` axes are
    /// shown as letters the spec does not use.
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk", &[&[2, 3], &[3, 4]])?;
    /// assert_eq!(path.complete_contraction(), "ij,jk->ik");
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn complete_contraction(&self) -> &str {
        &self.complete
    }

    /// The FLOP estimate of computing the sum in one go, over all indices at once (NumPy's
    /// "Naive FLOP count").
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
    /// assert_eq!(path.naive_flops(), 360);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn naive_flops(&self) -> u128 {
        self.naive_flops
    }

    /// The FLOP estimate of the path: the sum over its steps. NumPy's "Optimized FLOP count"
    /// is this plus one (it adds one to avoid dividing by zero in the speed-up).
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
    /// assert_eq!(path.optimized_flops(), 180); // NumPy prints 1.810e+02
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn optimized_flops(&self) -> u128 {
        self.steps
            .iter()
            .fold(0u128, |acc, s| acc.saturating_add(s.flops))
    }

    /// The number of elements of the largest intermediate (or final) result.
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
    /// assert_eq!(path.largest_intermediate(), 15);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn largest_intermediate(&self) -> u128 {
        self.steps.iter().map(|s| s.size).max().unwrap_or(0)
    }

    /// The number of distinct indices (NumPy's "Naive scaling").
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 5]])?;
    /// assert_eq!(path.naive_scaling(), 4);
    /// assert_eq!(path.optimized_scaling(), 3);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn naive_scaling(&self) -> usize {
        self.naive_scaling
    }

    /// The largest number of indices involved in one step (NumPy's "Optimized scaling").
    ///
    /// ```
    /// let path = mlinalg::einsum::einsum_path("bij,bjk->bik", &[&[8, 2, 3], &[8, 3, 4]])?;
    /// assert_eq!(path.optimized_scaling(), 4);
    /// # Ok::<(), mlinalg::Error>(())
    /// ```
    pub fn optimized_scaling(&self) -> usize {
        self.steps.iter().map(|s| s.scaling).max().unwrap_or(0)
    }
}

/// Python's `"%.3e"`: `1.810e+02`.
fn sci(x: f64) -> String {
    let s = format!("{x:.3e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

impl fmt::Display for EinsumPath {
    /// NumPy's report: the complete contraction, the naive and optimized scaling and FLOP
    /// counts, the speed-up, the largest intermediate, then one line per step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = self.optimized_flops();
        let speedup = self.naive_flops as f64 / (opt.max(1)) as f64;
        writeln!(f, "  Complete contraction:  {}", self.complete)?;
        writeln!(f, "         Naive scaling:  {}", self.naive_scaling)?;
        writeln!(f, "     Optimized scaling:  {}", self.optimized_scaling())?;
        writeln!(
            f,
            "      Naive FLOP count:  {}",
            sci(self.naive_flops as f64)
        )?;
        writeln!(f, "  Optimized FLOP count:  {}", sci(opt as f64))?;
        writeln!(f, "   Theoretical speedup:  {speedup:.3}")?;
        writeln!(
            f,
            "  Largest intermediate:  {} elements",
            sci(self.largest_intermediate() as f64)
        )?;
        writeln!(f, "{}", "-".repeat(74))?;
        writeln!(f, "{:>6} {:>24} {:>40}", "scaling", "current", "remaining")?;
        write!(f, "{}", "-".repeat(74))?;
        for s in &self.steps {
            write!(
                f,
                "\n{:>4}    {:>24} {:>40}",
                s.scaling, s.subscripts, s.remaining
            )?;
        }
        Ok(())
    }
}

/// The contraction order [`einsum`] takes for `spec` on operands of the given shapes, and its
/// cost: `np.einsum_path(spec, *operands, optimize="greedy")`.
///
/// The path is NumPy's greedy one: repeatedly the pair of operands whose contraction removes the
/// most elements (ties: the cheaper), never an intermediate larger than the largest operand or
/// the output; when no pair qualifies the remaining operands form one step (which [`einsum`]
/// still computes pairwise). The FLOP counts are NumPy's estimates, so they can be compared with
/// `np.einsum_path`'s report (whose optimized count is ours plus one). Errors are those of
/// [`einsum`] for the same spec and shapes.
///
/// ```
/// use mlinalg::einsum::einsum_path;
///
/// let (m, t) = (&[10, 10][..], &[10, 10, 10, 10][..]);
/// let path = einsum_path("ea,fb,abcd,gc,hd->efgh", &[m, m, t, m, m])?;
/// assert_eq!(path.naive_flops(), 500_000_000); // NumPy: 5.000e+08
/// assert_eq!(path.optimized_flops(), 800_000); // NumPy: 800_001, printed 8.000e+05
/// assert_eq!(path.steps().len(), 4);
/// println!("{path}"); // the report, as np.einsum_path prints it
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn einsum_path(spec: &str, shapes: &[&[usize]]) -> Result<EinsumPath> {
    let p = parse(spec, shapes)?;
    Ok(describe(&p, &plan(&p)))
}

fn describe(p: &Parsed, path: &[Vec<usize>]) -> EinsumPath {
    // Letters for the `...` axes: the ones the spec does not use, as NumPy does.
    let mut used = [false; LETTERS];
    for &l in p.inputs.iter().flatten() {
        if l < LETTERS {
            used[l] = true;
        }
    }
    let mut spare = (26..LETTERS).chain(0..26).filter(|&l| !used[l]);
    let ell: Vec<char> = (0..p.ellipsis)
        .map(|_| spare.next().map_or('?', label_letter))
        .collect();
    let ch = |l: usize| -> char {
        if l < LETTERS {
            label_letter(l)
        } else {
            ell.get(l - LETTERS).copied().unwrap_or('?')
        }
    };
    let term = |labels: &[usize]| -> String { labels.iter().map(|&l| ch(l)).collect() };

    let out_term = term(&p.output);
    let mut list: Vec<String> = p.inputs.iter().map(|l| term(l)).collect();
    let complete = format!("{}->{out_term}", list.join(","));
    let mut sets: Vec<Labels> = p
        .inputs
        .iter()
        .map(|l| l.iter().copied().collect())
        .collect();
    let output: Labels = p.output.iter().copied().collect();
    let indices: Labels = sets.iter().flatten().copied().collect();
    let inner = p
        .inputs
        .iter()
        .map(|l| l.iter().collect::<BTreeSet<_>>().len())
        .sum::<usize>()
        > indices.len();
    let naive_flops = flop_count(&indices, inner, sets.len(), &p.sizes);

    let mut steps = Vec::with_capacity(path.len());
    for (n, positions) in path.iter().enumerate() {
        let mut positions = positions.clone();
        positions.sort_unstable_by(|a, b| b.cmp(a));
        let (result, new_sets, removed, contract) = find_contraction(&positions, &sets, &output);
        sets = new_sets;
        let mut tmp = Vec::with_capacity(positions.len());
        for &x in &positions {
            if x < list.len() {
                tmp.push(list.remove(x));
            }
        }
        let result_term = if n + 1 == path.len() {
            out_term.clone()
        } else {
            let mut r: Vec<usize> = result.iter().copied().collect();
            r.sort_by_key(|&l| (p.sizes[l], ch(l)));
            term(&r)
        };
        list.push(result_term.clone());
        steps.push(PathStep {
            operands: positions.clone(),
            subscripts: format!("{}->{result_term}", tmp.join(",")),
            remaining: format!("{}->{out_term}", list.join(",")),
            scaling: contract.len(),
            flops: flop_count(&contract, !removed.is_empty(), positions.len(), &p.sizes),
            size: size_of(&result, &p.sizes),
        });
    }
    EinsumPath {
        complete,
        naive_scaling: indices.len(),
        naive_flops,
        steps,
    }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/// An operand during the computation: its data (a view of the input or an owned intermediate)
/// and the label of each axis (distinct).
struct Operand<'a, T> {
    data: CowArray<'a, T, IxDyn>,
    labels: Vec<usize>,
}

/// An error for a broken internal invariant (never expected; reported instead of panicking).
fn internal(spec: &str, e: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Shape,
        OP,
        format!("internal error in '{spec}', please report: {e}"),
    )
}

/// Einstein summation over any number of operands: `np.einsum(spec, *operands)`.
///
/// The grammar is NumPy's (see the [module docs](self)): explicit (`"ij,jk->ik"`) or implicit
/// (`"ij,jk"`) output, `...` with broadcasting, repeated indices (diagonals, traces), any number
/// of operands. Operands may be of any layout (transposed, strided, reversed, broadcast views).
/// Several operands are contracted pairwise in the order [`einsum_path`] reports, each pair as
/// one batched GEMM.
///
/// The result (see [What comes back](self#what-comes-back)) borrows the operand when the spec
/// only relabels its axes (`"ij->ji"`, `"ii->i"`: a view, as NumPy's and torch's), and is an
/// owned array otherwise, in the memory order its computation left it (row-major unless a
/// final copy would only have permuted it).
///
/// An index of size 0 gives an empty result or, when it is summed, zeros (as NumPy).
///
/// Errors (never panics), each quoting the spec and the shapes: an invalid character, `.` outside
/// `...`, a second `...` in a term, the wrong number of operands, subscripts that do not match an
/// operand's rank, an index whose sizes differ between operands (other than 1) or within one
/// operand, an output index that is repeated or not in any operand, and operands with `...` axes
/// but no `...` in an explicit output.
///
/// ```
/// use mlinalg::einsum::einsum;
/// use mlinalg::ErrorKind;
/// use ndarray::{array, Array3};
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let b = array![[5.0, 6.0], [7.0, 8.0]];
/// let (a, b) = (a.view().into_dyn(), b.view().into_dyn());
/// assert_eq!(einsum("ij,jk->ik", &[a.clone(), b.clone()])?, array![[19.0, 22.0], [43.0, 50.0]].into_dyn());
/// assert_eq!(einsum("ij,jk", &[a.clone(), b.clone()])?, array![[19.0, 22.0], [43.0, 50.0]].into_dyn());
/// assert_eq!(einsum("ij,ij->", &[a.clone(), b.clone()])?, ndarray::arr0(70.0).into_dyn());
/// let (u, v) = (array![1.0, 2.0], array![5.0, 6.0]);
/// assert_eq!(einsum("i,j->ij", &[u.view().into_dyn(), v.view().into_dyn()])?, array![[5.0, 6.0], [10.0, 12.0]].into_dyn());
///
/// // Batched, with '...' broadcasting a (2, 1) batch against a (3,) one.
/// let x = Array3::<f64>::ones((2, 1, 4)).into_shape_with_order((2, 1, 2, 2)).unwrap();
/// let y = Array3::<f64>::ones((3, 2, 5));
/// let z = einsum("...ij,...jk->...ik", &[x.view().into_dyn(), y.view().into_dyn()])?;
/// assert_eq!(z.shape(), &[2, 3, 2, 5]);
///
/// // A transpose is a view of the operand; a product is an owned array.
/// let t = einsum("ij->ji", &[a.clone()])?;
/// assert!(t.is_view() && t.as_ptr() == a.as_ptr());
/// assert!(einsum("ij,jk->ik", &[a.clone(), b.clone()])?.is_owned());
/// let owned: ndarray::ArrayD<f64> = t.into_owned(); // a copy only when it is a view
/// assert_eq!(owned, a.t().into_dyn());
///
/// // Errors quote the spec and the sizes.
/// let c = ndarray::Array2::<f64>::zeros((4, 5));
/// let err = einsum("ij,jk->ik", &[a.clone(), c.view().into_dyn()]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Shape);
/// assert_eq!(
///     err.to_string(),
///     "einsum: index 'j' has size 2 in operand 0 and 4 in operand 1 (shapes (2, 2) and (4, 5)) in 'ij,jk->ik'"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn einsum<'a, T: Scalar>(
    spec: &str,
    operands: &[ArrayViewD<'a, T>],
) -> Result<CowArray<'a, T, IxDyn>> {
    let shapes: Vec<&[usize]> = operands.iter().map(|o| o.shape()).collect();
    let p = parse(spec, &shapes)?;
    let out_shape: Vec<usize> = p.output.iter().map(|&l| p.sizes[l]).collect();
    check_size::<T>(&p.spec, &out_shape)?;
    let relabels_only =
        matches!(p.inputs.as_slice(), [one] if one.iter().all(|l| p.output.contains(l)));
    if !relabels_only && p.inputs.iter().flatten().any(|&l| p.sizes[l] == 0) {
        // An empty index: either the output is empty or every sum is over nothing. (A spec that
        // only relabels axes returns its view below, empty or not.)
        return Ok(CowArray::from(ArrayD::zeros(IxDyn(&out_shape))));
    }
    let path = plan(&p);
    let output: Labels = p.output.iter().copied().collect();

    // Per operand: diagonals of repeated indices, then sums over indices used nowhere else.
    let mut ops: Vec<Operand<'_, T>> = Vec::with_capacity(operands.len());
    for (view, labels) in operands.iter().zip(&p.inputs) {
        ops.push(diagonal(view.clone(), labels));
    }
    let counts =
        |ops: &[Operand<'_, T>], l: usize| ops.iter().filter(|o| o.labels.contains(&l)).count();
    let mut summed = Vec::with_capacity(ops.len());
    for k in 0..ops.len() {
        let lonely: Vec<usize> = ops[k]
            .labels
            .iter()
            .copied()
            .filter(|&l| !output.contains(&l) && counts(&ops, l) == 1)
            .collect();
        summed.push(lonely);
    }
    let ops: Vec<Operand<'_, T>> = ops
        .into_iter()
        .zip(&summed)
        .map(|(o, lonely)| sum_out(o, lonely))
        .collect();

    // Contract along the path.
    let mut ops = ops;
    for positions in &path {
        let mut positions = positions.clone();
        positions.sort_unstable_by(|a, b| b.cmp(a));
        let mut group = Vec::with_capacity(positions.len());
        for &x in &positions {
            if x >= ops.len() {
                return Err(internal(&p.spec, "path position out of range"));
            }
            group.push(ops.remove(x));
        }
        // Back to the operands' order: the earlier operand gives the rows of the GEMM.
        group.reverse();
        let mut kept = output.clone();
        kept.extend(ops.iter().flat_map(|o| o.labels.iter().copied()));
        let result = contract_group(&p, group, &kept)?;
        ops.push(result);
    }
    let result = match (ops.pop(), ops.is_empty()) {
        (Some(r), true) => r,
        _ => return Err(internal(&p.spec, "the path left operands uncontracted")),
    };
    finish(&p, result)
}

/// The result of a one-operand spec that only relabels axes (a permutation `"ij->ji"`, a
/// diagonal `"ii->i"`, or both `"iij->ji"`) as a view of the operand: no copy, as `np.einsum`
/// and `torch.einsum` return for such specs. [`einsum`] returns the same view (borrowed in its
/// `CowArray`) for them; this form returns a plain [`ArrayViewD`] and refuses the specs that
/// need a computation.
///
/// Errors: those of [`einsum`] for the spec, and a spec that sums an index (`"ii->"`,
/// `"ij->i"`), which no view can hold.
///
/// ```
/// use mlinalg::einsum::einsum_view;
/// use ndarray::array;
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let t = einsum_view("ij->ji", a.view().into_dyn())?;
/// assert_eq!(t, a.t().into_dyn());
/// assert_eq!(t.as_ptr(), a.as_ptr()); // the same memory
/// assert_eq!(einsum_view("ii->i", a.view().into_dyn())?, array![1.0, 4.0].into_dyn());
/// assert_eq!(
///     einsum_view("ii->", a.view().into_dyn()).unwrap_err().to_string(),
///     "einsum_view: 'ii->' sums index 'i', which a view cannot hold: use einsum"
/// );
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn einsum_view<'a, T: Scalar>(
    spec: &str,
    operand: ArrayViewD<'a, T>,
) -> Result<ArrayViewD<'a, T>> {
    let p = parse(spec, &[operand.shape()])?;
    let labels = p
        .inputs
        .first()
        .ok_or_else(|| internal(&p.spec, "no operand after parsing"))?;
    if let Some(&summed) = labels.iter().find(|l| !p.output.contains(l)) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "einsum_view",
            format!(
                "'{}' sums index '{}', which a view cannot hold: use einsum",
                p.spec,
                label_letter(summed)
            ),
        ));
    }
    let (diag, unique) = diagonal_view(operand, labels);
    let perm: Vec<usize> = p
        .output
        .iter()
        .filter_map(|&l| unique.iter().position(|&x| x == l))
        .collect();
    if perm.len() != unique.len() {
        return Err(internal(&p.spec, "an output index was lost"));
    }
    Ok(diag.permuted_axes(IxDyn(&perm)))
}

/// An error, instead of ndarray's panic, for a result whose size overflows `isize` bytes.
fn check_size<T>(spec: &str, shape: &[usize]) -> Result<()> {
    let bytes = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(std::mem::size_of::<T>(), |acc, &d| acc.checked_mul(d));
    match bytes {
        Some(b) if isize::try_from(b).is_ok() => Ok(()),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            OP,
            format!(
                "a result of shape {} is too large to allocate in '{spec}'",
                fmt_shape(shape)
            ),
        )),
    }
}

/// Contracts a group of operands (one step of the path) into one: pairwise, the best pair first
/// by NumPy's greedy key (the most elements removed, then the cheapest; pairs sharing an index
/// before outer products).
fn contract_group<'a, T: Scalar>(
    p: &Parsed,
    mut group: Vec<Operand<'a, T>>,
    kept_outside: &Labels,
) -> Result<Operand<'a, T>> {
    while group.len() > 1 {
        let mut best: Option<((bool, i128, u128), usize, usize)> = None;
        for i in 0..group.len() {
            for j in i + 1..group.len() {
                let si: Labels = group[i].labels.iter().copied().collect();
                let sj: Labels = group[j].labels.iter().copied().collect();
                let mut remain = kept_outside.clone();
                for (k, o) in group.iter().enumerate() {
                    if k != i && k != j {
                        remain.extend(o.labels.iter().copied());
                    }
                }
                let contract: Labels = si.union(&sj).copied().collect();
                let result: Labels = contract.intersection(&remain).copied().collect();
                let removed =
                    to_i128(size_of(&si, &p.sizes).saturating_add(size_of(&sj, &p.sizes)))
                        - to_i128(size_of(&result, &p.sizes));
                let cost = flop_count(&contract, result.len() < contract.len(), 2, &p.sizes);
                let key = (si.is_disjoint(&sj), -removed, cost);
                if best.as_ref().is_none_or(|b| key < b.0) {
                    best = Some((key, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else {
            return Err(internal(&p.spec, "no pair to contract"));
        };
        let b = group.remove(j);
        let a = group.remove(i);
        let mut kept = kept_outside.clone();
        kept.extend(group.iter().flat_map(|o| o.labels.iter().copied()));
        group.push(contract_pair(p, a, b, &kept)?);
    }
    group
        .pop()
        .ok_or_else(|| internal(&p.spec, "empty contraction step"))
}

/// The view of `view` with each repeated index replaced by its diagonal: a strided view whose
/// stride along the diagonal is the sum of the repeated axes' strides (no copy, whatever the
/// strides' signs).
fn diagonal<'a, T: Scalar>(view: ArrayViewD<'a, T>, labels: &[usize]) -> Operand<'a, T> {
    let (data, labels) = diagonal_view(view, labels);
    Operand {
        data: CowArray::from(data),
        labels,
    }
}

/// [`diagonal`] as a view and the labels of its axes.
fn diagonal_view<'a, T>(
    view: ArrayViewD<'a, T>,
    labels: &[usize],
) -> (ArrayViewD<'a, T>, Vec<usize>) {
    let mut unique: Vec<usize> = Vec::with_capacity(labels.len());
    for &l in labels {
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    if unique.len() == labels.len() {
        return (view, labels.to_vec());
    }
    // Element t along the diagonal of index u is element t on each of u's axes, at offset
    // t * (sum of their strides) from the first element. `from_shape_ptr` wants non-negative
    // strides: an index whose stride sum is negative starts from its last element instead and
    // its axis is reversed afterwards.
    let mut shape = Vec::with_capacity(unique.len());
    let mut strides = Vec::with_capacity(unique.len());
    let mut reversed = Vec::new();
    let mut low: isize = 0;
    for (u, &l) in unique.iter().enumerate() {
        let mut size = 0;
        let mut stride: isize = 0;
        for (a, &la) in labels.iter().enumerate() {
            if la == l {
                size = view.shape()[a];
                // Axes of size 1 may carry any stride; they add nothing to the walk.
                if size > 1 {
                    stride += view.strides()[a];
                }
            }
        }
        if stride < 0 {
            low += stride * (size as isize - 1);
            reversed.push(u);
        }
        shape.push(size);
        strides.push(stride.unsigned_abs());
    }
    if view.is_empty() {
        // No element to address: any strides will do.
        strides.iter_mut().for_each(|s| *s = 0);
        low = 0;
    }
    // SAFETY: `view` is valid for 'a. The element at `low` (the diagonal element with the last
    // position along every index whose stride sum is negative and the first along the others)
    // is an element of `view`: it is `view`'s element at those positions on every axis (all
    // axes of an index have the same size, checked when parsing). From it, each stride walks
    // along one diagonal in the direction of increasing addresses, so every element the new
    // view addresses is an element of `view` (the same element as the plain diagonal, after
    // the reversal below). The view is read-only, so aliasing (a stride of 0) is allowed.
    let diag: ArrayViewD<'a, T> = unsafe {
        ArrayViewD::from_shape_ptr(
            IxDyn(&shape).strides(IxDyn(&strides)),
            view.as_ptr().offset(low),
        )
    };
    let mut diag = diag;
    for &u in &reversed {
        diag.invert_axis(Axis(u));
    }
    (diag, unique)
}

/// Sums `o` over the axes of `labels`.
fn sum_out<'a, T: Scalar>(o: Operand<'a, T>, labels: &[usize]) -> Operand<'a, T> {
    if labels.is_empty() {
        return o;
    }
    let mut axes: Vec<usize> = (0..o.labels.len())
        .filter(|&a| labels.contains(&o.labels[a]))
        .collect();
    axes.sort_unstable_by(|a, b| b.cmp(a));
    let mut data = o.data;
    if axes.len() == data.ndim() {
        let total = sum_all(&data.view());
        return Operand {
            data: CowArray::from(ndarray::arr0(total).into_dyn()),
            labels: Vec::new(),
        };
    }
    let mut kept = o.labels;
    for &a in &axes {
        kept.remove(a);
    }
    if data.is_standard_layout() {
        // Summed one axis at a time, the largest first (so the others keep their positions).
        for &a in &axes {
            let summed = match data.as_slice() {
                Some(xs) => sum_axis_contiguous(xs, data.shape(), a),
                None => data.sum_axis(Axis(a)),
            };
            data = CowArray::from(summed);
        }
        return Operand { data, labels: kept };
    }
    // Large: split along the first kept axis, each thread summing its slices.
    let outer = (0..data.ndim()).find(|a| !axes.contains(a) && data.shape()[*a] > 1);
    if let (true, Some(outer)) = (data.len() >= PARALLEL_MIN_ELEMENTS, outer) {
        let shape: Vec<usize> = (0..data.ndim())
            .filter(|a| !axes.contains(a))
            .map(|a| data.shape()[a])
            .collect();
        let out_axis = (0..outer).filter(|a| !axes.contains(a)).count();
        // The summed axes of a slice along `outer`, largest first (removing one keeps the
        // others' positions).
        let inner: Vec<usize> = axes.iter().map(|&a| a - usize::from(a > outer)).collect();
        let mut out = crate::alloc::zeros(IxDyn(&shape));
        out.axis_iter_mut(Axis(out_axis))
            .into_par_iter()
            .zip(data.axis_iter(Axis(outer)).into_par_iter())
            .for_each(|(mut dst, src)| {
                let mut part = CowArray::from(src);
                for &a in &inner {
                    part = CowArray::from(part.sum_axis(Axis(a)));
                }
                dst.assign(&part);
            });
        return Operand {
            data: CowArray::from(out),
            labels: kept,
        };
    }
    for &a in &axes {
        data = CowArray::from(data.sum_axis(Axis(a)));
    }
    Operand { data, labels: kept }
}

/// `xs`, a standard-layout array of `shape`, summed over `axis` with the vector kernels, in
/// parallel when large. Seen as (outer, n, inner) around `axis`, each output row of `inner`
/// elements is the sum of `n` contiguous rows (or, when `inner` is 1, one contiguous sum).
fn sum_axis_contiguous<T: Scalar>(xs: &[T], shape: &[usize], axis: usize) -> ArrayD<T> {
    let outer: usize = shape[..axis].iter().product();
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let out_shape: Vec<usize> = shape[..axis]
        .iter()
        .chain(&shape[axis + 1..])
        .copied()
        .collect();
    let mut out = vec![T::zero(); outer * inner];
    let large = xs.len() >= PARALLEL_MIN_ELEMENTS;
    if inner == 1 {
        let row = |(o, src): (&mut T, &[T])| *o = simd::sum(src);
        if large {
            out.par_iter_mut()
                .zip(xs.par_chunks(n))
                .with_min_len(CHUNK.div_ceil(n))
                .for_each(row);
        } else {
            out.iter_mut().zip(xs.chunks(n)).for_each(row);
        }
    } else if outer > 1 || !large {
        // Each task: one output row, the sum of its `n` input rows.
        let rows = |(dst, src): (&mut [T], &[T])| {
            for r in src.chunks_exact(inner) {
                simd::add_assign(dst, r);
            }
        };
        if large {
            out.par_chunks_mut(inner)
                .zip(xs.par_chunks(n * inner))
                .for_each(rows);
        } else {
            out.chunks_mut(inner)
                .zip(xs.chunks(n * inner))
                .for_each(rows);
        }
    } else {
        // One long output row: split it into column blocks, each summed over the `n` rows.
        out.par_chunks_mut(CHUNK / 4)
            .enumerate()
            .for_each(|(block, dst)| {
                let start = block * (CHUNK / 4);
                for r in xs.chunks_exact(inner) {
                    simd::add_assign(dst, &r[start..start + dst.len()]);
                }
            });
    }
    // The length is the product of `out_shape` by construction.
    ArrayD::from_shape_vec(IxDyn(&out_shape), out)
        .unwrap_or_else(|_| unreachable!("length equals shape size"))
}

/// Elements above which elementwise work is split across threads.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Elements per task when a sum or a dot product is split across threads.
const CHUNK: usize = 1 << 14;

/// The length of one part when `len` items are split into one contiguous part per thread:
/// the fewest tasks, each core streaming one long run. (Against 64 KB parts the timings of a
/// 4 MB sum were too noisy here to rank the two; this is the simpler schedule.)
fn per_thread(len: usize) -> usize {
    len.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// The sum of all elements: vectorised over a contiguous buffer, in parallel chunks when large.
fn sum_all<T: Scalar>(v: &ArrayViewD<'_, T>) -> T {
    match v.as_slice_memory_order() {
        Some(xs) if xs.len() >= PARALLEL_MIN_ELEMENTS => xs
            .par_chunks(per_thread(xs.len()))
            .map(simd::sum)
            .reduce(T::zero, |x, y| x + y),
        Some(xs) => simd::sum(xs),
        None => v.sum(),
    }
}

/// `x · y` for two vectors of the same length: vectorised when both are contiguous, in parallel
/// chunks when long.
fn dot<T: Scalar>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> T {
    match (x.as_slice(), y.as_slice()) {
        (Some(xs), Some(ys)) if xs.len() >= PARALLEL_MIN_ELEMENTS => {
            let part = per_thread(xs.len());
            xs.par_chunks(part)
                .zip(ys.par_chunks(part))
                .map(|(a, b)| simd::dot(a, b))
                .reduce(T::zero, |p, q| p + q)
        }
        (Some(xs), Some(ys)) => simd::dot(xs, ys),
        _ if x.len() >= PARALLEL_MIN_ELEMENTS => x
            .axis_chunks_iter(Axis(0), CHUNK)
            .into_par_iter()
            .zip(y.axis_chunks_iter(Axis(0), CHUNK).into_par_iter())
            .map(|(a, b)| a.dot(&b))
            .reduce(T::zero, |p, q| p + q),
        _ => x.dot(&y),
    }
}

/// Contracts two operands: sums what only one of them has and nobody needs, then one batched
/// GEMM (or, with nothing to contract, a broadcast product). The result's axes are
/// (batch, free of `a`, free of `b`).
fn contract_pair<'a, T: Scalar>(
    p: &Parsed,
    a: Operand<'a, T>,
    b: Operand<'a, T>,
    kept: &Labels,
) -> Result<Operand<'a, T>> {
    let lonely = |x: &Operand<'a, T>, y: &Operand<'a, T>| -> Vec<usize> {
        x.labels
            .iter()
            .copied()
            .filter(|l| !kept.contains(l) && !y.labels.contains(l))
            .collect()
    };
    // A shared index of size 1 on one side broadcasts against the other: leave it to the other
    // side alone, where it becomes a row or column index of the GEMM instead of a batch index
    // ((8, 1, m, k) by (4, k, n): one product of (8m, k) by (k, 4n), not 32 small ones).
    // (After `a` drops an index, `b`, which has it larger, has nothing of size 1 to drop for it.)
    let a = drop_broadcast(a, &b);
    let b = drop_broadcast(b, &a);
    let (la, lb) = (lonely(&a, &b), lonely(&b, &a));
    let mut a = sum_out(a, &la);
    let mut b = sum_out(b, &lb);

    // The last step (nothing but the output is still needed) produces the output's axis order
    // where it can, so that no transposing copy is needed at the end: the operand whose own
    // indices come first in the output gives the rows, and each group follows the output.
    let out_pos = |l: usize| p.output.iter().position(|&x| x == l).unwrap_or(usize::MAX);
    let last_step = kept.iter().all(|l| p.output.contains(l));
    if last_step {
        let first_own = |x: &Operand<'a, T>, y: &Operand<'a, T>| {
            x.labels
                .iter()
                .filter(|l| !y.labels.contains(l))
                .map(|&l| out_pos(l))
                .min()
                .unwrap_or(usize::MAX)
        };
        if first_own(&b, &a) < first_own(&a, &b) {
            std::mem::swap(&mut a, &mut b);
        }
    }

    let pos = |labels: &[usize], l: usize| labels.iter().position(|&x| x == l);
    let mut batch = Vec::new();
    let mut con = Vec::new();
    let mut fa = Vec::new();
    for &l in &a.labels {
        if b.labels.contains(&l) {
            if kept.contains(&l) {
                batch.push(l);
            } else {
                con.push(l);
            }
        } else {
            fa.push(l);
        }
    }
    let mut fb: Vec<usize> = b
        .labels
        .iter()
        .copied()
        .filter(|l| !a.labels.contains(l))
        .collect();
    if last_step {
        batch.sort_by_key(|&l| out_pos(l));
        fa.sort_by_key(|&l| out_pos(l));
        fb.sort_by_key(|&l| out_pos(l));
    }

    // Shared indices of size 1 on one side broadcast to the other's size (NumPy's rule).
    let size_in = |o: &Operand<'a, T>, l: usize| pos(&o.labels, l).map_or(1, |i| o.data.shape()[i]);
    let target = |o: &Operand<'a, T>, other: &Operand<'a, T>| -> Vec<usize> {
        o.labels
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let own = o.data.shape()[i];
                if other.labels.contains(&l) {
                    own.max(size_in(other, l))
                } else {
                    own
                }
            })
            .collect()
    };
    let (ta, tb) = (target(&a, &b), target(&b, &a));
    let av = a
        .data
        .broadcast(IxDyn(&ta))
        .ok_or_else(|| internal(&p.spec, "broadcast of a shared index"))?;
    let bv = b
        .data
        .broadcast(IxDyn(&tb))
        .ok_or_else(|| internal(&p.spec, "broadcast of a shared index"))?;
    // Within the row, column and inner groups, axes go in memory order (largest stride first),
    // so that each group merges into one axis as a view rather than a copy. The inner group
    // follows the larger operand (both operands must agree on it); the row and column groups of
    // the last step follow the output instead (see above).
    let stride = |v: &ArrayViewD<'_, T>, labels: &[usize], l: usize| {
        std::cmp::Reverse(pos(labels, l).map_or(0, |i| v.strides()[i].unsigned_abs()))
    };
    if !last_step {
        fa.sort_by_key(|&l| stride(&av, &a.labels, l));
        fb.sort_by_key(|&l| stride(&bv, &b.labels, l));
    }
    if av.len() >= bv.len() {
        con.sort_by_key(|&l| stride(&av, &a.labels, l));
    } else {
        con.sort_by_key(|&l| stride(&bv, &b.labels, l));
    }
    let order = |labels: &[usize], groups: &[&[usize]]| -> Vec<usize> {
        groups
            .iter()
            .flat_map(|g| g.iter().filter_map(|&l| pos(labels, l)))
            .collect()
    };
    let sizes_of = |v: &ArrayViewD<'_, T>, labels: &[usize], g: &[usize]| -> Vec<usize> {
        g.iter()
            .filter_map(|&l| pos(labels, l).map(|i| v.shape()[i]))
            .collect()
    };
    let batch_sizes = sizes_of(&av, &a.labels, &batch);
    let fa_sizes = sizes_of(&av, &a.labels, &fa);
    let fb_sizes = sizes_of(&bv, &b.labels, &fb);
    let mut labels = batch.clone();
    labels.extend(&fa);
    labels.extend(&fb);
    let mut out_shape = batch_sizes.clone();
    out_shape.extend(&fa_sizes);
    out_shape.extend(&fb_sizes);
    check_size::<T>(&p.spec, &out_shape)?;

    if con.is_empty() {
        // Elementwise product, each side broadcast along the other's own axes:
        // (batch, fa, 1..) * (batch, 1.., fb). An outer product is the case with rows and
        // columns on both sides.
        let mut pa = av.permuted_axes(IxDyn(&order(&a.labels, &[&batch, &fa])));
        for _ in 0..fb.len() {
            pa.insert_axis_inplace(Axis(pa.ndim()));
        }
        let mut pb = bv.permuted_axes(IxDyn(&order(&b.labels, &[&batch, &fb])));
        for _ in 0..fa.len() {
            pb.insert_axis_inplace(Axis(batch.len()));
        }
        let pa = pa
            .broadcast(IxDyn(&out_shape))
            .ok_or_else(|| internal(&p.spec, "outer product broadcast"))?;
        let pb = pb
            .broadcast(IxDyn(&out_shape))
            .ok_or_else(|| internal(&p.spec, "outer product broadcast"))?;
        return Ok(Operand {
            data: CowArray::from(elementwise_product(&pa, &pb)),
            labels,
        });
    }

    if fa.is_empty() && fb.is_empty() {
        // Batched dot products (no rows, no columns): one dot per batch element, not a GEMM
        // of 1 x k by k x 1 per batch element.
        let nb: usize = batch_sizes.iter().product();
        let k: usize = sizes_of(&av, &a.labels, &con).iter().product();
        let pa = av.permuted_axes(IxDyn(&order(&a.labels, &[&batch, &con])));
        let pb = bv.permuted_axes(IxDyn(&order(&b.labels, &[&batch, &con])));
        let groups = [batch.len(), con.len()];
        let a2 = merge_groups(&p.spec, &pa, &groups, &[nb, k])?;
        let b2 = merge_groups(&p.spec, &pb, &groups, &[nb, k])?;
        let (a2, b2) = (as_2d(&p.spec, &a2)?, as_2d(&p.spec, &b2)?);
        let zip = Zip::from(a2.rows()).and(b2.rows());
        let out = if nb >= 64 && nb * k >= PARALLEL_MIN_ELEMENTS {
            zip.par_map_collect(dot)
        } else {
            zip.map_collect(dot)
        };
        let out = out
            .into_shape_with_order(IxDyn(&out_shape))
            .map_err(|e| internal(&p.spec, e))?;
        return Ok(Operand {
            data: CowArray::from(out),
            labels,
        });
    }

    // Batched GEMM: a as (batch.., m, k), b as (batch.., k, n), both views where the strides
    // allow the merge of the m, k and n groups of axes.
    let con_sizes = sizes_of(&av, &a.labels, &con);
    let m: usize = fa_sizes.iter().product();
    let k: usize = con_sizes.iter().product();
    let n: usize = fb_sizes.iter().product();
    let pa = av.permuted_axes(IxDyn(&order(&a.labels, &[&batch, &fa, &con])));
    let pb = bv.permuted_axes(IxDyn(&order(&b.labels, &[&batch, &con, &fb])));
    let mut sa = batch_sizes.clone();
    sa.extend([m, k]);
    let mut sb = batch_sizes.clone();
    sb.extend([k, n]);
    let mut ga = vec![1; batch.len()];
    ga.extend([fa.len(), con.len()]);
    let mut gb = vec![1; batch.len()];
    gb.extend([con.len(), fb.len()]);
    let a3 = merge_groups(&p.spec, &pa, &ga, &sa)?;
    let b3 = merge_groups(&p.spec, &pb, &gb, &sb)?;
    let prod = crate::matrix::matmul(&a3, &b3)?;
    let prod = prod
        .into_shape_with_order(IxDyn(&out_shape))
        .map_err(|e| internal(&p.spec, e))?;
    Ok(Operand {
        data: CowArray::from(prod),
        labels,
    })
}

/// `x` without its axes of size 1 whose index `other` has with a larger size (the broadcast
/// ones). `other` is not changed.
fn drop_broadcast<'a, T: Scalar>(x: Operand<'a, T>, other: &Operand<'a, T>) -> Operand<'a, T> {
    let size_in_other = |l: usize| {
        other
            .labels
            .iter()
            .position(|&o| o == l)
            .map_or(0, |j| other.data.shape()[j])
    };
    let broadcast: Vec<usize> = (0..x.labels.len())
        .filter(|&i| x.data.shape()[i] == 1 && size_in_other(x.labels[i]) > 1)
        .collect();
    if broadcast.is_empty() {
        return x;
    }
    let (mut data, mut labels) = (x.data, x.labels);
    for &i in broadcast.iter().rev() {
        data = data.index_axis_move(Axis(i), 0);
        labels.remove(i);
    }
    Operand { data, labels }
}

/// Lanes shorter than this go through ndarray's zip instead of the vector kernels.
const MIN_LANE: usize = 16;

/// `x * y` for two arrays of the same shape (broadcast views included) into a new array in
/// standard layout, written once (no zero-fill first), in parallel when large. Along the last
/// axis each factor is a contiguous slice or one broadcast value, so the loops vectorise.
fn elementwise_product<T: Scalar>(x: &ArrayViewD<'_, T>, y: &ArrayViewD<'_, T>) -> ArrayD<T> {
    let mut out = crate::alloc::uninit::<T, _>(x.raw_dim());
    let large = out.len() >= PARALLEL_MIN_ELEMENTS;
    let nd = out.ndim();
    if nd == 0 || out.shape()[nd - 1] < MIN_LANE {
        let zip = Zip::from(&mut out).and(x).and(y);
        if large {
            zip.par_for_each(|o, &a, &b| {
                o.write(a * b);
            });
        } else {
            zip.for_each(|o, &a, &b| {
                o.write(a * b);
            });
        }
    } else {
        let last = Axis(nd - 1);
        let lane = |mut o: ArrayViewMut1<'_, MaybeUninit<T>>,
                    a: ArrayView1<'_, T>,
                    b: ArrayView1<'_, T>| {
            match (o.as_slice_mut(), factor(a.view()), factor(b.view())) {
                (Some(o), Some(fa), Some(fb)) => simd::mul_into(o, fa, fb),
                _ => Zip::from(&mut o).and(&a).and(&b).for_each(|o, &a, &b| {
                    o.write(a * b);
                }),
            }
        };
        let zip = Zip::from(out.lanes_mut(last))
            .and(x.lanes(last))
            .and(y.lanes(last));
        if large {
            zip.par_for_each(lane);
        } else {
            zip.for_each(lane);
        }
    }
    // SAFETY: both branches write every element of `out` exactly once (the zips cover the whole
    // array; `mul_into` writes its whole output slice).
    unsafe { out.assume_init() }
}

/// A lane as a kernel factor: one value when broadcast (stride 0), a slice when contiguous.
fn factor<'a, T: Scalar>(lane: ArrayView1<'a, T>) -> Option<simd::Factor<'a, T>> {
    if lane.len() > 1 && lane.strides()[0] == 0 {
        return lane.first().map(|&v| simd::Factor::Scalar(v));
    }
    lane.to_slice().map(simd::Factor::Slice)
}

/// Whether consecutive groups of axes (`groups`: their lengths, in order) of an array with these
/// shape and strides each merge into one axis in row-major order without a copy.
fn mergeable(shape: &[usize], strides: &[isize], groups: &[usize]) -> bool {
    let mut start = 0;
    for &len in groups {
        let axes: Vec<usize> = (start..start + len).filter(|&a| shape[a] != 1).collect();
        if axes
            .windows(2)
            .any(|w| strides[w[0]] != strides[w[1]] * shape[w[1]] as isize)
        {
            return false;
        }
        start += len;
    }
    true
}

/// `v` reshaped to `shape` by merging consecutive groups of axes: a view when the strides
/// allow it, otherwise one (tiled, parallel) standard-layout copy.
fn merge_groups<'v, T: Scalar>(
    spec: &str,
    v: &'v ArrayViewD<'_, T>,
    groups: &[usize],
    shape: &[usize],
) -> Result<CowArray<'v, T, IxDyn>> {
    if v.is_empty() || mergeable(v.shape(), v.strides(), groups) {
        return v.to_shape(IxDyn(shape)).map_err(|e| internal(spec, e));
    }
    let copy = crate::tensor::standard_copy(v.view())
        .into_shape_with_order(IxDyn(shape))
        .map_err(|e| internal(spec, e))?;
    Ok(CowArray::from(copy))
}

fn as_2d<'v, T>(spec: &str, v: &'v CowArray<'_, T, IxDyn>) -> Result<ndarray::ArrayView2<'v, T>> {
    v.view()
        .into_dimensionality::<ndarray::Ix2>()
        .map_err(|e| internal(spec, e))
}

/// The final operand in the output's axis order: permuted, not copied (a view of an operand
/// stays one).
fn finish<'a, T: Scalar>(p: &Parsed, o: Operand<'a, T>) -> Result<CowArray<'a, T, IxDyn>> {
    let mut perm = Vec::with_capacity(p.output.len());
    for &l in &p.output {
        match o.labels.iter().position(|&x| x == l) {
            Some(i) => perm.push(i),
            None => return Err(internal(&p.spec, "an output index was lost")),
        }
    }
    if perm.len() != o.labels.len() {
        return Err(internal(&p.spec, "an index was not summed"));
    }
    let data = o.data.permuted_axes(IxDyn(&perm));
    let out_shape: Vec<usize> = p.output.iter().map(|&l| p.sizes[l]).collect();
    if data.shape() == out_shape.as_slice() {
        return Ok(data);
    }
    // An output index of size 1 here and larger in the spec cannot happen (it would have been
    // broadcast when contracted), but broadcasting is the right answer if it did.
    let view = data.view();
    let b = view
        .broadcast(IxDyn(&out_shape))
        .ok_or_else(|| internal(&p.spec, "output broadcast"))?;
    Ok(CowArray::from(b.as_standard_layout().into_owned()))
}
