//! Tensor shapes in a transformer: split the hidden size into heads and back.
//!
//! `cargo run --example tensor_shapes`

use mlinalg::tensor;
use ndarray::Array3;

fn main() -> mlinalg::Result<()> {
    let (batch, seq, hidden, heads) = (8, 512, 768, 12);
    let x = Array3::<f32>::zeros((batch, seq, hidden));
    println!(
        "hidden states        {:?}  ({} elements per sequence batch)",
        x.shape(),
        x.len()
    );
    let split = tensor::reshape(&x, &[batch as isize, seq as isize, heads as isize, -1])?;
    println!("reshape (B,T,H,-1)   {:?}", split.shape());
    let per_head = tensor::permute(&split, &[0, 2, 1, 3])?;
    println!("permute (0,2,1,3)    {:?}", per_head.shape());
    let same = tensor::split_heads(&x, heads)?;
    assert_eq!(same.shape(), per_head.shape());
    let merged = tensor::merge_heads(&same)?;
    println!("merge_heads          {:?}", merged.shape());
    match tensor::reshape(&x, &[8, 512, 13, 64]) {
        Ok(_) => println!("unexpected success"),
        Err(e) => println!("{e}"),
    }
    Ok(())
}
