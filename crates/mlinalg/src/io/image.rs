//! PNG and JPEG images as arrays of pixel values in 0..=255, the way NumPy users get them from
//! Pillow: `np.array(Image.open(p).convert("L"), dtype=float)` (grayscale, `(h, w)`) and
//! `np.array(Image.open(p).convert("RGB"), dtype=float)` (`(h, w, 3)`); and arrays back to PNG.
//!
//! Decoding is the `image` crate's (PNG and JPEG codecs only). Before anything is allocated,
//! the size in the header is checked against the file: an image may not have more pixels than
//! its bytes can encode (8256 a byte, the most a PNG or JPEG can hold), nor more than Pillow
//! accepts (178,956,970), and the decoder keeps its own limit of 512 MiB per allocation. So a
//! small file that claims a huge image is an error rather than an allocation. Grayscale is Pillow's conversion exactly: ITU-R 601-2 luma in Pillow's
//! fixed point, `L = (19595 R + 38470 G + 7471 B + 2^15) >> 16`, which is
//! `R·299/1000 + G·587/1000 + B·114/1000` rounded; alpha is dropped, as Pillow does.
//! Differences from Pillow: 16-bit images are scaled to 8 bits (`x / 257`, rounded) where
//! Pillow clips them, and JPEG decoders may differ from libjpeg by ±1 in a few pixels.
//!
//! Two decoder bugs found by fuzzing are kept away from callers: png 0.18.1 panics on a palette
//! whose length is not a multiple of 3 (rejected here before decoding), and zune-jpeg 0.5.15
//! overflows an `i32` on some corrupt JPEGs, which wraps in release builds (the workspace turns
//! overflow checks off for it in dev builds too; see `fuzz/README.md`).

use std::io::Cursor;
use std::path::Path;

use ::image::codecs::png::PngEncoder;
use ::image::{
    DynamicImage, ExtendedColorType, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits,
};
use ndarray::{Array2, Array3, ArrayBase, Data, Dimension};

use super::{display, format_error, io_error, write_atomic, BYTES_SOURCE};
use crate::error::{fmt_shape, Error, ErrorKind, Result};
use crate::Scalar;

/// Reads a PNG or JPEG file as a grayscale `(height, width)` array of values in 0..=255, as
/// `np.array(Image.open(path).convert("L"), dtype=float)` does. The format is recognised from
/// the content, not the extension. A file that cannot be read is an [`ErrorKind::Io`] error;
/// one that is not a PNG or JPEG image, or is corrupt, an [`ErrorKind::Format`] error.
///
/// ```
/// use mlinalg::io::{read_image_gray, write_png};
/// use ndarray::array;
///
/// let path = std::env::temp_dir().join(format!("mlinalg-gray-{}.png", std::process::id()));
/// write_png(&path, &array![[0.0, 128.0], [255.0, 64.0]])?;
/// assert_eq!(read_image_gray(&path)?, array![[0.0, 128.0], [255.0, 64.0]]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn read_image_gray(path: impl AsRef<Path>) -> Result<Array2<f64>> {
    const OP: &str = "read_image_gray";
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_error(OP, path, "cannot read", &e))?;
    to_gray(OP, &display(path), &bytes)
}

/// Reads a PNG or JPEG file as an RGB `(height, width, 3)` array of values in 0..=255, as
/// `np.array(Image.open(path).convert("RGB"), dtype=float)` does (gray is repeated in the three
/// channels, alpha dropped). Errors as [`read_image_gray`].
///
/// ```
/// use mlinalg::io::{read_image_rgb, write_png};
/// use ndarray::Array3;
///
/// let path = std::env::temp_dir().join(format!("mlinalg-rgb-{}.png", std::process::id()));
/// let img = Array3::from_shape_fn((2, 3, 3), |(i, j, c)| (50 * i + 20 * j + c) as f64);
/// write_png(&path, &img)?;
/// assert_eq!(read_image_rgb(&path)?, img);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn read_image_rgb(path: impl AsRef<Path>) -> Result<Array3<f64>> {
    const OP: &str = "read_image_rgb";
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_error(OP, path, "cannot read", &e))?;
    to_rgb(OP, &display(path), &bytes)
}

/// Decodes the bytes of a PNG or JPEG file as [`read_image_gray`] reads a file: for images
/// embedded with `include_bytes!`.
///
/// ```
/// use mlinalg::io::{decode_image_gray, encode_png};
/// use ndarray::array;
///
/// // An RGB image: Pillow's luma of (255, 0, 0) is 76, of (0, 255, 0) 150, of (0, 0, 255) 29.
/// let rgb = ndarray::Array3::from_shape_fn((1, 3, 3), |(_, j, c)| if j == c { 255.0 } else { 0.0 });
/// let png = encode_png(&rgb)?;
/// assert_eq!(decode_image_gray(&png)?, array![[76.0, 150.0, 29.0]]);
///
/// let err = decode_image_gray(b"not an image").unwrap_err();
/// assert_eq!(err.kind(), mlinalg::ErrorKind::Format);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn decode_image_gray(bytes: &[u8]) -> Result<Array2<f64>> {
    to_gray("decode_image_gray", BYTES_SOURCE, bytes)
}

/// Decodes the bytes of a PNG or JPEG file as [`read_image_rgb`] reads a file.
///
/// ```
/// use mlinalg::io::{decode_image_rgb, encode_png};
///
/// let png = encode_png(&ndarray::array![[10.0, 20.0]])?; // grayscale
/// let rgb = decode_image_rgb(&png)?;
/// assert_eq!(rgb.shape(), &[1, 2, 3]);
/// assert_eq!(rgb[[0, 1, 2]], 20.0);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn decode_image_rgb(bytes: &[u8]) -> Result<Array3<f64>> {
    to_rgb("decode_image_rgb", BYTES_SOURCE, bytes)
}

/// Decodes a PNG or JPEG image with the `image` crate's default limits.
fn decode(op: &'static str, source: &str, bytes: &[u8]) -> Result<DynamicImage> {
    let format = ::image::guess_format(bytes).map_err(|_| {
        let start: Vec<u8> = bytes.iter().take(8).copied().collect();
        format_error(
            op,
            source,
            format!(
                "not a PNG or JPEG image (it starts with b\"{}\")",
                start.escape_ascii()
            ),
        )
    })?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(format_error(
            op,
            source,
            format!("is a {format:?} image; only PNG and JPEG are read"),
        ));
    }
    if format == ImageFormat::Png {
        check_png_palette(bytes).map_err(|m| format_error(op, source, m))?;
    }
    let image_error = |e: ImageError| match e {
        ImageError::Limits(e) => format_error(
            op,
            source,
            format!("the image is too large to decode ({e})"),
        ),
        e => format_error(
            op,
            source,
            format!("cannot decode the {format:?} image: {e}"),
        ),
    };
    // The size in the header, checked before anything of that size is allocated.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(image_error)?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(format_error(
            op,
            source,
            format!(
                "is a {w}x{h} image: {pixels} pixels, over the {MAX_PIXELS} that Pillow also \
                 refuses (a decompression bomb)"
            ),
        ));
    }
    if pixels > MAX_PIXELS_PER_BYTE.saturating_mul(bytes.len() as u64) {
        return Err(format_error(
            op,
            source,
            format!(
                "claims {w}x{h} pixels, more than {} bytes of {format:?} can encode: truncated \
                 or corrupt",
                bytes.len()
            ),
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(Limits::default());
    reader.decode().map_err(image_error)
}

/// Pillow's `Image.MAX_IMAGE_PIXELS` × 2, the size at which it raises
/// `DecompressionBombError`: 1.4 GB as a grayscale f64 array.
const MAX_PIXELS: u64 = 178_956_970;

/// The most pixels one byte of a PNG or JPEG file can encode, so that a small file cannot claim
/// a huge image: deflate compresses at most 1032:1 and a 1-bit PNG holds 8 pixels a byte
/// (8256); a Huffman-coded JPEG spends at least one bit on each 8x8 block of a component it
/// codes, and chroma is subsampled at most 4x4 (8192).
const MAX_PIXELS_PER_BYTE: u64 = 8256;

/// Rejects a PLTE chunk whose length is not a multiple of 3, which png 0.18.1 accepts and then
/// panics on while expanding the palette (image-rs/image-png#694, fixed upstream after 0.18.1;
/// found by `fuzz/` target `image`). Walks the chunks before the first IDAT, where PLTE must be;
/// anything else malformed is left to the decoder.
fn check_png_palette(bytes: &[u8]) -> std::result::Result<(), String> {
    let mut at = 8; // the signature
    while let (Some(len), Some(kind)) = (bytes.get(at..at + 4), bytes.get(at + 4..at + 8)) {
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        match kind {
            b"PLTE" if !len.is_multiple_of(3) => {
                return Err(format!(
                    "cannot decode the Png image: its PLTE chunk has {len} bytes, not a multiple \
                     of 3"
                ))
            }
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        // Length, type, data and CRC.
        at = match len.checked_add(12).and_then(|n| at.checked_add(n)) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(())
}

fn to_gray(op: &'static str, source: &str, bytes: &[u8]) -> Result<Array2<f64>> {
    let img = decode(op, source, bytes)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let values: Vec<f64> = match img {
        DynamicImage::ImageLuma8(g) => g.into_raw().into_iter().map(f64::from).collect(),
        DynamicImage::ImageLumaA8(g) => g.pixels().map(|p| f64::from(p.0[0])).collect(),
        other => other
            .to_rgb8()
            .pixels()
            .map(|p| f64::from(luma(p.0)))
            .collect(),
    };
    Array2::from_shape_vec((h, w), values).map_err(|_| size_error(op, source, h, w))
}

fn to_rgb(op: &'static str, source: &str, bytes: &[u8]) -> Result<Array3<f64>> {
    let img = decode(op, source, bytes)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let values: Vec<f64> = img
        .to_rgb8()
        .into_raw()
        .into_iter()
        .map(f64::from)
        .collect();
    Array3::from_shape_vec((h, w, 3), values).map_err(|_| size_error(op, source, h, w))
}

/// Pillow's ITU-R 601-2 luma (libImaging/Convert.c, `L24`): exact integer arithmetic.
fn luma([r, g, b]: [u8; 3]) -> u8 {
    let l = (u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16;
    l.min(255) as u8
}

fn size_error(op: &'static str, source: &str, h: usize, w: usize) -> Error {
    format_error(
        op,
        source,
        format!("the decoder returned a wrong number of pixels for {w}x{h}"),
    )
}

/// Encodes a grayscale `(h, w)` (or `(h, w, 1)`) or RGB `(h, w, 3)` array as PNG bytes (8 bits
/// per channel): values are clipped to 0..=255 and rounded half to even, as
/// `np.clip(x, 0, 255).round().astype(np.uint8)` does. Any other shape, or an image without
/// pixels, is an [`ErrorKind::Shape`] error; a NaN value an [`ErrorKind::NonFinite`] error
/// (infinities are clipped).
///
/// ```
/// let png = mlinalg::io::encode_png(&ndarray::array![[-5.0_f32, 12.5, 300.0]])?;
/// assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
/// let back = mlinalg::io::decode_image_gray(&png)?;
/// assert_eq!(back, ndarray::array![[0.0, 12.0, 255.0]]);
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn encode_png<T: Scalar, S: Data<Elem = T>, D: Dimension>(
    image: &ArrayBase<S, D>,
) -> Result<Vec<u8>> {
    encode("encode_png", image)
}

fn encode<T: Scalar, S: Data<Elem = T>, D: Dimension>(
    op: &'static str,
    image: &ArrayBase<S, D>,
) -> Result<Vec<u8>> {
    let shape = image.shape();
    let shape_error = |why: &str| {
        Error::new(
            ErrorKind::Shape,
            op,
            format!("an image of shape {} {why}", fmt_shape(shape)),
        )
        .with_shapes([shape])
    };
    let (h, w, color) = match *shape {
        [h, w] | [h, w, 1] => (h, w, ExtendedColorType::L8),
        [h, w, 3] => (h, w, ExtendedColorType::Rgb8),
        _ => return Err(shape_error("is neither grayscale (h, w) nor RGB (h, w, 3)")),
    };
    if h == 0 || w == 0 {
        return Err(shape_error("has no pixels"));
    }
    let (Ok(h32), Ok(w32)) = (u32::try_from(h), u32::try_from(w)) else {
        return Err(shape_error("is larger than PNG allows"));
    };
    let mut pixels = Vec::with_capacity(image.len());
    for &x in image.iter() {
        let x = x.as_f64();
        if x.is_nan() {
            return Err(Error::new(
                ErrorKind::NonFinite,
                op,
                format!("an image of shape {} contains NaN", fmt_shape(shape)),
            )
            .with_shapes([shape]));
        }
        pixels.push(x.clamp(0.0, 255.0).round_ties_even() as u8);
    }
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(&pixels, w32, h32, color)
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                op,
                format!("cannot encode {} as PNG: {e}", fmt_shape(shape)),
            )
        })?;
    Ok(out)
}

/// Writes a grayscale `(h, w)` or RGB `(h, w, 3)` array as a PNG file, atomically (values
/// clipped and rounded as by [`encode_png`]). On an error nothing is left behind.
///
/// ```
/// use mlinalg::io::{read_image_gray, write_png};
/// use ndarray::Array2;
///
/// let path = std::env::temp_dir().join(format!("mlinalg-write-png-{}.png", std::process::id()));
/// let gradient = Array2::from_shape_fn((4, 256), |(_, j)| j as f64);
/// write_png(&path, &gradient)?;
/// assert_eq!(read_image_gray(&path)?, gradient);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mlinalg::Error>(())
/// ```
pub fn write_png<T: Scalar, S: Data<Elem = T>, D: Dimension>(
    path: impl AsRef<Path>,
    image: &ArrayBase<S, D>,
) -> Result<()> {
    const OP: &str = "write_png";
    let png = encode(OP, image)?;
    write_atomic(OP, path.as_ref(), |w| std::io::Write::write_all(w, &png))
}
