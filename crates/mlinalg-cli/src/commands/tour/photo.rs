//! Image compression by truncated SVD: a photo is a matrix of pixels, and a few singular
//! triplets rebuild most of it.

use super::util::text;
use crate::report::{Cell, Section, Table};
use mlinalg::decomp::svd;
use mlinalg::io::{decode_image_gray, encode_png};
use mlinalg::lowrank::Spectrum;
use mlinalg::matrix::mm;
use mlinalg::ndarray::{s, Array2};

/// The embedded photograph (scikit-image's `camera`, CC0; see assets/README.md).
const PHOTO: &[u8] = include_bytes!("../../../assets/camera.png");
const RANKS: [usize; 4] = [5, 20, 50, 100];

/// camera.png (512×512) at k = 5, 20, 50, 100: errors, energy, storage, and the strip of images.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "photo",
        "Compressing a photo with the SVD",
        "A grayscale photo is a matrix of brightness values; its best rank-k approximation keeps k columns of U, k rows of Vᵀ and k singular values: k(m + n + 1) numbers instead of m·n.",
    );
    let a = decode_image_gray(PHOTO)?;
    let (m, n) = a.dim();
    let f = svd(&a, false)?;
    let spec = Spectrum::from_singular_values(f.s.clone(), (m, n))?;
    let mut t = Table::new([
        "k",
        "relative error ‖A − A_k‖_F / ‖A‖_F",
        "energy kept",
        "numbers stored",
        "of the pixels",
    ])
    .caption(format!("camera.png, {m}×{n} grayscale, values 0..255"));
    let mut strip = vec![half_size(&a)];
    for k in RANKS {
        let us = &f.u.slice(s![.., ..k]) * &f.s.slice(s![..k]);
        let ak = mm(&us, &f.vt.slice(s![..k, ..]))?;
        strip.push(half_size(&ak));
        let stored = k * (m + n + 1);
        t.row([
            Cell::Count(k as u64),
            Cell::Num(spec.frobenius_error(k)? / spec.frobenius_norm()),
            text(format!("{:.2}%", 100.0 * spec.energy(k)?)),
            Cell::Count(stored as u64),
            text(format!("{:.1}%", 100.0 * stored as f64 / (m * n) as f64)),
        ]);
    }
    s.table(t);
    s.note(format!(
        "σ₁ = {:.0} is {:.0} times σ₁₀₀ = {:.1}: the first few directions carry the picture, the rest add fine detail and noise.",
        f.s[0],
        f.s[0] / f.s[99],
        f.s[99]
    ));
    let png = encode_png(&side_by_side(&strip))?;
    s.image(
        png,
        "The original (left) and its rank 5, 20, 50 and 100 approximations (shown at half size).",
    );
    Ok(s)
}

/// Averages 2×2 blocks: a half-size thumbnail for the page.
fn half_size(a: &Array2<f64>) -> Array2<f64> {
    let (h, w) = (a.nrows() / 2, a.ncols() / 2);
    Array2::from_shape_fn((h, w), |(i, j)| {
        (a[[2 * i, 2 * j]]
            + a[[2 * i + 1, 2 * j]]
            + a[[2 * i, 2 * j + 1]]
            + a[[2 * i + 1, 2 * j + 1]])
            / 4.0
    })
}

/// Images of one height side by side with 6 white columns between them.
fn side_by_side(images: &[Array2<f64>]) -> Array2<f64> {
    const GAP: usize = 6;
    let h = images.iter().map(Array2::nrows).max().unwrap_or(0);
    let w: usize =
        images.iter().map(Array2::ncols).sum::<usize>() + GAP * images.len().saturating_sub(1);
    let mut out = Array2::from_elem((h, w), 255.0);
    let mut x = 0;
    for img in images {
        out.slice_mut(s![..img.nrows(), x..x + img.ncols()])
            .assign(img);
        x += img.ncols() + GAP;
    }
    out
}
