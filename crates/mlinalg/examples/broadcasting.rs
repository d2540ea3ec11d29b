//! NumPy broadcasting on both operands, and the error when shapes do not line up.
//!
//! `cargo run --example broadcasting`

use mlinalg::{broadcast, reduce};
use ndarray::Array2;

fn main() -> mlinalg::Result<()> {
    // Normalise each row of a (32, 768) activation matrix by its sum.
    let x = Array2::<f32>::from_shape_fn((32, 768), |(i, j)| ((i + 1) * (j % 7 + 1)) as f32);
    let row_sums = reduce::sum(&x, Some(1), false)?; // (32,)
    match broadcast::div(&x, &row_sums) {
        Ok(_) => println!("unexpected success"),
        Err(e) => println!("{e}"),
    }
    let row_sums = reduce::sum(&x, Some(1), true)?; // (32, 1): keepdims lines the axes up
    let normalised = broadcast::div(&x, &row_sums)?;
    println!("(32, 768) / (32, 1) -> {:?}", normalised.shape());
    let check = reduce::sum(&normalised, Some(1), false)?;
    println!(
        "every row now sums to 1: first {:.6}, last {:.6}",
        check[[0]],
        check[[31]]
    );
    Ok(())
}
