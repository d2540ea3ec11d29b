//! Matrix multiplication with NumPy's semantics: 2-D, batched with broadcast batch dimensions,
//! matrix-vector, and the error for shapes that do not fit.
//!
//! `cargo run --example matmul`

use mlinalg::{matrix, random::Rng};
use ndarray::array;

fn main() -> mlinalg::Result<()> {
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let b = array![[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]];
    println!("(2x3) @ (3x2) =\n{}", matrix::mm(&a, &b)?);

    // A linear layer applied to a batch of sequences: (32, 128, 512) @ (512, 2048).
    let mut rng = Rng::seed(0);
    let x = rng.normal::<f32>(&[32, 128, 512], 0.0, 1.0)?;
    let w = rng.normal::<f32>(&[512, 2048], 0.0, 0.02)?;
    let y = matrix::matmul(&x, &w)?;
    println!("(32, 128, 512) @ (512, 2048) -> {:?}", y.shape());

    // Batch dimensions broadcast: (4, 1, 2, 3) @ (5, 3, 2) -> (4, 5, 2, 2).
    let p = rng.normal::<f64>(&[4, 1, 2, 3], 0.0, 1.0)?;
    let q = rng.normal::<f64>(&[5, 3, 2], 0.0, 1.0)?;
    println!(
        "(4, 1, 2, 3) @ (5, 3, 2) -> {:?}",
        matrix::matmul(&p, &q)?.shape()
    );

    // Shapes that cannot be multiplied give an error naming both.
    let bad = ndarray::Array2::<f64>::zeros((4, 2));
    println!("{}", matrix::mm(&a, &bad).unwrap_err());
    Ok(())
}
