//! Arbitrary bytes as a PNG or JPEG image: decoding to gray and RGB must return `Ok` or `Err`,
//! never panic (the decoders are the `image` crate's; this guards our conversions and limits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlinalg::io::{decode_image_gray, decode_image_rgb};

fuzz_target!(|data: &[u8]| {
    let _ = decode_image_gray(data);
    let _ = decode_image_rgb(data);
});
