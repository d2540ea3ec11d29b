//! Cosine similarity: direction without magnitude, the workhorse of semantic search.
//!
//! `cargo run --example cosine_similarity`

use mlinalg::vector::{self, AngleUnit};
use ndarray::array;

fn main() -> mlinalg::Result<()> {
    // Toy word embeddings from the tutorial.
    let king = array![0.9, 0.1, 0.8];
    let queen = array![0.85, 0.15, 0.75];
    let random = array![-0.3, 0.9, -0.1];
    println!(
        "cos(king, queen)      = {:.3}",
        vector::cosine_similarity(&king, &queen)?
    );
    println!(
        "cos(king, random)     = {:.3}",
        vector::cosine_similarity(&king, &random)?
    );
    // Scaling changes the length, not the direction.
    let king_scaled = &king * 100.0;
    println!(
        "cos(king, 100 * king) = {:.3}",
        vector::cosine_similarity(&king, &king_scaled)?
    );
    println!(
        "angle(king, queen)    = {:.2} degrees",
        vector::angle(&king, &queen, AngleUnit::Degrees)?
    );

    // All pairs of rows at once: a query batch against a small "database".
    let database = array![[0.9, 0.1, 0.8], [-0.3, 0.9, -0.1], [0.1, 0.2, 0.9]];
    let queries = array![[0.85, 0.15, 0.75], [0.0, 1.0, 0.0]];
    let scores = vector::cosine_similarity_matrix(&queries, &database)?;
    println!("query x database cosine similarities:\n{scores:.3}");

    // A zero vector has no direction: an error, not NaN.
    match vector::cosine_similarity(&king, &array![0.0, 0.0, 0.0]) {
        Ok(c) => println!("unexpected: {c}"),
        Err(e) => println!("error, as expected: {e}"),
    }
    Ok(())
}
