//! Arbitrary bytes as a `.npy` file: every reader must return `Ok` or `Err`, never panic, and
//! never allocate more than the input justifies (libFuzzer's `-rss_limit_mb` catches that).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlinalg::io::{decode_npy, NpyFile};
use mlinalg::ndarray::{Ix1, Ix2, IxDyn};

fuzz_target!(|data: &[u8]| {
    let _ = decode_npy::<f64, IxDyn>(data);
    let _ = decode_npy::<f32, Ix2>(data);
    let _ = decode_npy::<i64, Ix1>(data);
    if let Ok(file) = NpyFile::from_bytes(data.to_vec()) {
        let _ = file.to_array::<f32, IxDyn>();
        let _ = file.view::<f64, IxDyn>();
        let _ = file.view::<i64, Ix2>();
        let n = file.n_rows();
        let _ = file.rows::<f64>(n / 3..n);
        if let Ok(blocks) = file.row_blocks::<f32>(7) {
            for block in blocks.take(64) {
                let _ = block;
            }
        }
    }
});
