//! Arbitrary bytes as a `.safetensors` file: opening, listing and reading every tensor in every
//! element type must return `Ok` or `Err`, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlinalg::io::SafeTensorsFile;
use mlinalg::ndarray::{Ix2, IxDyn};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = SafeTensorsFile::from_bytes(data.to_vec()) else {
        return;
    };
    let _ = file.metadata();
    for info in file.tensors() {
        let _ = file.read::<f64, IxDyn>(info.name());
        let _ = file.read::<f32, Ix2>(info.name());
        let _ = file.read::<i64, IxDyn>(info.name());
        let _ = file.view::<f32, IxDyn>(info.name());
        let _ = file.view::<f64, IxDyn>(info.name());
    }
});
