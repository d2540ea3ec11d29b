//! Arbitrary bytes as an mlinalg index file (flat or HNSW): the reader must return `Ok` or `Err`, never panic,
//! and never allocate more than the input justifies (sizes are checked against its length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlinalg::search::{FlatIndex, HnswIndex};

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = FlatIndex::<f32>::from_bytes(data.to_vec()) {
        let q = mlinalg::ndarray::Array2::<f32>::ones((2, index.dim()));
        let _ = index.search(&q, 3);
    }
    let _ = FlatIndex::<f64>::from_bytes(data.to_vec());
    // HNSW files (kind 2): the graph is checked on load, so a search of any loaded index
    // must stay in bounds.
    if let Ok(index) = HnswIndex::<f32>::from_bytes(data.to_vec()) {
        if index.dim() <= 4096 {
            let q = mlinalg::ndarray::Array2::<f32>::ones((2, index.dim()));
            let _ = index.search(&q, 3);
            let _ = index.search_filtered(&q, 2, |id| id.is_multiple_of(2));
        }
    }
    let _ = HnswIndex::<f64>::from_bytes(data.to_vec());
});
