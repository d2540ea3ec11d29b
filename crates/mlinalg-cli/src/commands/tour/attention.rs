//! Scaled dot-product attention step by step on four tokens, with heatmaps of its weights.

use super::util::{matrix, shape, text, to2};
use crate::report::{Axes, Cell, Figure, Section, Table};
use mlinalg::matrix::mm;
use mlinalg::ndarray::{Array2, Axis};
use mlinalg::nn::attention::{scaled_dot_product_attention, AttentionOptions};
use mlinalg::nn::multi_head::MultiHeadAttention;
use mlinalg::nn::softmax::softmax;
use mlinalg::random::Rng;

const TOKENS: [&str; 4] = ["the", "cat", "sat", "down"];

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.axis_iter(Axis(0)).map(|r| r.to_vec()).collect()
}

fn heatmap(weights: &Array2<f64>) -> Figure {
    let mut fig = Figure::new(340.0, 300.0);
    fig.heatmap(&rows(weights))
        .axes(Axes::Frame)
        .labels("key position j (the, cat, sat, down)", "query i (top: the)");
    fig
}

/// Q = X·Wq, K = X·Wk, V = X·Wv; scores QKᵀ; / √d; softmax; weights·V; the causal variant.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "attention",
        "Attention, step by step",
        "Each token's query is compared with every key by a dot product; the scores, scaled by 1/√d so they do not grow with the dimension, go through a softmax per row, and the weights mix the values: softmax(Q·Kᵀ/√d)·V. A causal mask lets token i see only tokens 0..=i.",
    );

    let mut rng = Rng::seed(4);
    let d_model = 8;
    let d = 4;
    let x = to2(rng.standard_normal::<f64>(&[TOKENS.len(), d_model])?)?;
    let wq = to2(rng.normal::<f64>(&[d_model, d], 0.0, 0.6)?)?;
    let wk = to2(rng.normal::<f64>(&[d_model, d], 0.0, 0.6)?)?;
    let wv = to2(rng.normal::<f64>(&[d_model, d], 0.0, 0.6)?)?;
    let (q, k, v) = (mm(&x, &wq)?, mm(&x, &wk)?, mm(&x, &wv)?);
    let scores = mm(&q, &k.t())?;
    let scale = 1.0 / (d as f64).sqrt();
    let scaled = &scores * scale;
    let weights = softmax(&scaled, -1)?;
    let out = mm(&weights, &v)?;

    let mut t = Table::new(["step", "shape", "value"])
        .caption("Four tokens (the, cat, sat, down), d_model = 8, one head of d = 4");
    t.row([text("Q = X·Wq"), text("(4, 4)"), matrix(&q)]);
    t.row([text("K = X·Wk"), text("(4, 4)"), matrix(&k)]);
    t.row([text("V = X·Wv"), text("(4, 4)"), matrix(&v)]);
    t.row([text("scores = Q·Kᵀ"), text("(4, 4)"), matrix(&scores)]);
    t.row([text("scores / √d"), text("(4, 4)"), matrix(&scaled)]);
    t.row([
        text("weights = softmax(rows)"),
        text("(4, 4)"),
        matrix(&weights),
    ]);
    t.row([text("output = weights·V"), text("(4, 4)"), matrix(&out)]);
    s.table(t);
    s.figure(
        heatmap(&weights),
        "Attention weights: row i is how much query token i takes from each key token; every row sums to 1.",
    );

    // Causal: mask the scores above the diagonal with -inf before the softmax.
    let mut masked = scaled.clone();
    for ((i, j), v) in masked.indexed_iter_mut() {
        if j > i {
            *v = f64::NEG_INFINITY;
        }
    }
    let causal = softmax(&masked, -1)?;
    let mut t = Table::new(["masked scores (−∞ above the diagonal)", "causal weights"])
        .caption("Causal (decoder) attention: no token attends to a later one");
    t.row([matrix(&masked), matrix(&causal)]);
    s.table(t);
    s.figure(
        heatmap(&causal),
        "Causal attention weights: the first token can only attend to itself.",
    );

    // The library's fused kernel computes the same outputs without forming the weight matrix.
    let fused = scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new())?;
    let fused_causal =
        scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().causal(true))?;
    let causal_out = mm(&causal, &v)?;
    let diff = |a: &mlinalg::ndarray::ArrayD<f64>, b: &Array2<f64>| {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    let mut t = Table::new(["", "max |fused − step by step|"])
        .caption("nn::attention::scaled_dot_product_attention: tiled, with an online softmax (memory O(L·E), not O(L·S))");
    t.row([text("softmax(QKᵀ/√d)·V"), Cell::Num(diff(&fused, &out))]);
    t.row([text("causal"), Cell::Num(diff(&fused_causal, &causal_out))]);
    s.table(t);

    // Multi-head: 12 heads of 64 on (2, 16, 768) tokens.
    let mha = MultiHeadAttention::<f32>::init(768, 12, true, &mut rng)?;
    let tokens = rng.standard_normal::<f32>(&[2, 16, 768])?;
    let tokens = tokens
        .into_dimensionality::<mlinalg::ndarray::Ix3>()
        .map_err(|e| mlinalg::Error::new(mlinalg::ErrorKind::Shape, "tour", e.to_string()))?;
    let y = mha.forward(&tokens, true)?;
    let mut t = Table::new(["layer", "input", "heads × head dim", "output", "parameters"]).caption(
        "Multi-head causal self-attention: Wq, Wk, Wv, split into heads, attend, merge, Wo",
    );
    t.row([
        text("MultiHeadAttention(768, 12)"),
        text("(2, 16, 768)"),
        text(format!("{} × {}", mha.heads(), mha.head_dim())),
        shape(&y),
        Cell::Count(mha.num_parameters() as u64),
    ]);
    s.table(t);
    Ok(s)
}
