//! Linear layers: y = x·Wᵀ + b on a batch, why stacked linear layers need a nonlinearity, the
//! feed-forward block, and the Jacobian of a linear layer (W) with backpropagation's Wᵀ.

use super::util::{matrix, shape, text, to1, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::ndarray::{array, Array1, Ix1};
use mlinalg::nn::activation::{Activation, Gelu};
use mlinalg::nn::jacobian::{numerical_jacobian, vjp};
use mlinalg::nn::linear::{compose, FeedForward, Linear};
use mlinalg::random::Rng;

fn max_abs_diff<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// (4, 768) → (4, 3072) with bias; three layers collapsing into one; GELU breaking the collapse;
/// the feed-forward block's parameters; J = W and the input gradient Wᵀg.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "linear",
        "Linear layers, and why they need activations",
        "A linear layer is y = x·Wᵀ + b (PyTorch stores W as (out, in)), applied to every row of a batch at once. Without a nonlinearity between them, stacked layers collapse into one matrix; the Jacobian of a layer is W, and backpropagation sends gradients back through Wᵀ.",
    );

    let mut rng = Rng::seed(2024);
    let layer = Linear::<f32>::init(768, 3072, true, &mut rng)?;
    let x = rng.standard_normal::<f32>(&[4, 768])?;
    let y = layer.forward(&x)?;
    let mut t = Table::new([
        "input x",
        "weight W",
        "bias b",
        "output x·Wᵀ + b",
        "parameters",
    ])
    .caption("A transformer feed-forward projection: 4 tokens of 768 dimensions to 3072");
    t.row([
        shape(&x),
        shape(layer.weight()),
        text("(3072,)"),
        shape(&y),
        Cell::Count(layer.num_parameters() as u64),
    ]);
    s.table(t);

    // Three linear layers are one linear layer; with GELU between them they are not.
    let layers: Vec<Linear<f64>> = [(16, 32), (32, 32), (32, 8)]
        .iter()
        .map(|&(i, o)| Linear::init(i, o, true, &mut rng))
        .collect::<mlinalg::Result<_>>()?;
    let collapsed = compose(&layers)?;
    let xb = rng.standard_normal::<f64>(&[5, 16])?;
    let mut stacked = xb.clone();
    let mut with_gelu = xb.clone();
    for (k, l) in layers.iter().enumerate() {
        stacked = l.forward(&stacked)?;
        with_gelu = l.forward(&with_gelu)?;
        if k + 1 < layers.len() {
            with_gelu = Activation::Gelu(Gelu::Erf).apply(&with_gelu);
        }
    }
    let one = collapsed.forward(&xb)?;
    let mut t = Table::new(["network", "max |y − y_one_layer|"])
        .caption("Three layers 16 → 32 → 32 → 8 against the single layer W₃W₂W₁ (16 → 8)");
    t.row([
        text("linear, linear, linear"),
        Cell::Num(max_abs_diff(&stacked, &one)),
    ]);
    t.row([
        text("linear, GELU, linear, GELU, linear"),
        Cell::Num(max_abs_diff(&with_gelu, &one)),
    ]);
    s.table(t);
    s.note("Stacked linear layers agree with one matrix to rounding; the GELU network computes a different, nonlinear function.");

    let ffn = FeedForward::<f32>::init(768, 3072, Activation::Gelu(Gelu::Erf), &mut rng)?;
    let out = ffn.forward(&x)?;
    let mut t = Table::new(["block", "input", "output", "parameters"])
        .caption("Feed-forward block W₂·GELU(W₁x + b₁) + b₂ of BERT-base");
    t.row([
        text("768 → 3072 → 768"),
        shape(&x),
        shape(&out),
        Cell::Count(ffn.num_parameters() as u64),
    ]);
    s.table(t);

    // The Jacobian of x ↦ Wx + b is W; the input gradient is Wᵀg.
    let w = array![
        [1.0, 2.0, 0.0, -1.0],
        [0.5, 0.0, 3.0, 1.0],
        [-2.0, 1.0, 1.0, 0.0]
    ];
    let small = Linear::new(w.clone(), Some(array![0.1, 0.2, 0.3]))?;
    let f = |v: &Array1<f64>| small.forward(v).and_then(to1);
    let x0 = array![0.3, -1.2, 2.0, 0.7];
    let jac = numerical_jacobian(f, &x0, None)?;
    let g = array![1.0, 0.0, -1.0];
    let grad = vjp(f, &x0, &g, None)?;
    let exact = small
        .vjp(&g)?
        .into_dimensionality::<Ix1>()
        .map_err(|e| mlinalg::Error::new(mlinalg::ErrorKind::Shape, "tour", e.to_string()))?;
    let mut t = Table::new(["W", "numerical Jacobian at x", "max |J − W|"])
        .caption("The Jacobian of a linear layer is its weight, at any x (central differences)");
    t.row([matrix(&w), matrix(&jac), Cell::Num(max_abs_diff(&jac, &w))]);
    s.table(t);
    let mut t = Table::new(["upstream gradient g", "gᵀJ (numerical)", "Wᵀg"])
        .caption("Backpropagation: the gradient with respect to the input is Wᵀg");
    t.row([vector(&g), vector(&grad), vector(&exact)]);
    s.table(t);
    Ok(s)
}
