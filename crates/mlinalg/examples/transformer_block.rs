//! One pre-norm transformer block, built from mlinalg's pieces: x + MHA(LayerNorm(x)), then
//! + FFN(LayerNorm(·)) with GELU, on (batch 2, 32 tokens, d_model 256, 8 heads), causal.
//!
//! `cargo run --release --example transformer_block`

use mlinalg::nn::activation::{Activation, Gelu};
use mlinalg::nn::linear::FeedForward;
use mlinalg::nn::multi_head::MultiHeadAttention;
use mlinalg::nn::normalization::layer_norm;
use mlinalg::random::Rng;
use ndarray::Ix3;

fn main() -> mlinalg::Result<()> {
    let (batch, tokens, d_model, heads) = (2, 32, 256, 8);
    let mut rng = Rng::seed(0);
    let attention = MultiHeadAttention::<f32>::init(d_model, heads, true, &mut rng)?;
    let ffn =
        FeedForward::<f32>::init(d_model, 4 * d_model, Activation::Gelu(Gelu::Erf), &mut rng)?;
    let x = rng.standard_normal::<f32>(&[batch, tokens, d_model])?;
    let x = x
        .into_dimensionality::<Ix3>()
        .map_err(|e| mlinalg::Error::new(mlinalg::ErrorKind::Shape, "example", e.to_string()))?;

    let h = layer_norm(&x, &[d_model], None, None, 1e-5)?;
    let x = &x + &attention.forward(&h, true)?;
    let h = layer_norm(&x, &[d_model], None, None, 1e-5)?;
    let y = &x
        + &ffn.forward(&h)?.into_dimensionality::<Ix3>().map_err(|e| {
            mlinalg::Error::new(mlinalg::ErrorKind::Shape, "example", e.to_string())
        })?;

    println!(
        "input  (batch, tokens, d_model) = {:?}",
        [batch, tokens, d_model]
    );
    println!("output shape                    = {:?}", y.shape());
    println!(
        "parameters: attention {} + feed-forward {} = {}",
        attention.num_parameters(),
        ffn.num_parameters(),
        attention.num_parameters() + ffn.num_parameters()
    );
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
    println!(
        "mean of the output: {mean:.4} (a residual stream: the input plus two sub-layer updates)"
    );
    Ok(())
}
