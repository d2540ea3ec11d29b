//! Softmax: a vector of scores becomes a probability distribution, stably.

use super::util::{text, vector};
use crate::report::{Cell, Section, Table};
use mlinalg::ndarray::array;
use mlinalg::nn::softmax::{log_softmax, softmax};

/// softmax([2.0, 1.0, 0.1]) = [0.66, 0.24, 0.10] step by step; temperature; logits of 1000.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "softmax",
        "Softmax: scores into probabilities",
        "softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}: positive, summing to 1, keeping the order of the scores. It turns attention scores into weights and an LLM's logits into next-token probabilities.",
    );

    let logits = array![2.0_f64, 1.0, 0.1];
    let p = softmax(&logits, 0)?;
    let total: f64 = logits.iter().map(|x| x.exp()).sum();
    let mut t = Table::new(["logit x", "e^x", "e^x / Σ e^x"])
        .caption(format!("softmax([2.0, 1.0, 0.1]): Σ e^x = {total:.2}"));
    for (x, pi) in logits.iter().zip(p.iter()) {
        t.row([Cell::Num(*x), Cell::Num(x.exp()), Cell::Num(*pi)]);
    }
    t.row([text("sum"), Cell::Num(total), Cell::Num(p.sum())]);
    s.table(t);

    // Temperature: dividing the logits sharpens (T < 1) or flattens (T > 1) the distribution.
    let mut t = Table::new(["temperature T", "softmax(x / T)"])
        .caption("Temperature, as in sampling from a language model");
    for temperature in [0.5, 1.0, 2.0, 10.0] {
        t.row([
            Cell::Num(temperature),
            vector(&softmax(&(&logits / temperature), 0)?),
        ]);
    }
    s.table(t);

    // Stability: the naive formula overflows at logits of 1000; shifting by the maximum does not.
    let huge = array![1000.0_f64, 999.0, 998.0];
    let naive: Vec<f64> = {
        let e: Vec<f64> = huge.iter().map(|x| x.exp()).collect();
        let sum: f64 = e.iter().sum();
        e.iter().map(|v| v / sum).collect()
    };
    let mut t = Table::new([
        "logits",
        "naive e^x / Σ e^x",
        "softmax (shifted by max)",
        "log_softmax",
    ])
    .caption("e^1000 overflows to ∞ and ∞/∞ is NaN; softmax subtracts the maximum first");
    t.row([
        vector(&huge),
        Cell::Vector(naive),
        vector(&softmax(&huge, 0)?),
        vector(&log_softmax(&huge, 0)?),
    ]);
    let masked = array![1.5, f64::NEG_INFINITY, 0.5];
    t.row([
        vector(&masked),
        text("(a -inf logit: masked out)"),
        vector(&softmax(&masked, 0)?),
        vector(&log_softmax(&masked, 0)?),
    ]);
    s.table(t);
    Ok(s)
}
