//! `mlinalg svd-image PHOTO`: compress a photo by truncated SVD at several ranks, as the
//! tutorials do: each rank-k reconstruction as a PNG, a contact sheet, the singular value plot,
//! and a table of errors and storage.
//!
//! Pixels are read as NumPy users read them (`np.array(Image.open(p).convert("L"), float)`,
//! 0..255); with `--color` each RGB channel is compressed on its own. Errors are computed on the
//! reconstructions before they are rounded and clamped into 0..255 for the PNGs.

use crate::commands::print_stdout;
use crate::error::CliError;
use crate::progress::Progress;
use crate::report::{atomic_write, Axes, Cell, Color, Figure, Table};
use mlinalg::decomp::svd;
use mlinalg::io::{read_image_gray, read_image_rgb, write_png};
use mlinalg::lowrank::Spectrum;
use mlinalg::matrix::mm;
use mlinalg::ndarray::{s, Array2, Array3, Axis};
use serde_json::json;
use std::path::PathBuf;

/// Options of `mlinalg svd-image`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  mlinalg svd-image photo.png\n  mlinalg svd-image photo.jpg --ranks 10,40 --color --out compressed\n  mlinalg svd-image photo.png --json | jq '.ranks[] | {k, relative_error}'"
)]
pub struct Args {
    /// The photo (PNG or JPEG).
    pub photo: PathBuf,
    /// Ranks to reconstruct at, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "5,20,50,100")]
    pub ranks: Vec<usize>,
    /// Compress the R, G and B channels separately instead of the grayscale image.
    #[arg(long)]
    pub color: bool,
    /// Folder for rank_<k>.png, contact_sheet.png and singular_values.svg (created if missing).
    #[arg(long, value_name = "DIR", default_value = "svd-image")]
    pub out: PathBuf,
    /// Print {shape, singular_values, ranks: [{k, frobenius_error, relative_error, energy,
    /// sv_sum_fraction, compression_ratio}]} as JSON (singular_values is one list per channel
    /// with --color).
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The thin SVD of one channel, kept to rebuild any rank.
struct Channel {
    u: Array2<f64>,
    s: mlinalg::ndarray::Array1<f64>,
    vt: Array2<f64>,
}

impl Channel {
    fn rank(&self, k: usize) -> mlinalg::Result<Array2<f64>> {
        let us = &self.u.slice(s![.., ..k]) * &self.s.slice(s![..k]);
        mm(&us, &self.vt.slice(s![..k, ..]))
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Result<(), CliError> {
    let channels: Vec<Array2<f64>> = if args.color {
        let rgb: Array3<f64> = read_image_rgb(&args.photo).map_err(CliError::input)?;
        (0..3)
            .map(|c| rgb.index_axis(Axis(2), c).to_owned())
            .collect()
    } else {
        vec![read_image_gray(&args.photo).map_err(CliError::input)?]
    };
    let (m, n) = channels[0].dim();
    let most = m.min(n);
    if let Some(&bad) = args.ranks.iter().find(|&&k| k == 0 || k > most) {
        return Err(CliError::input(format!(
            "--ranks: {bad} is outside 1..={most} for a {m}×{n} image"
        )));
    }
    if args.ranks.is_empty() {
        return Err(CliError::input("--ranks: give at least one rank"));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::input(format!("cannot create {}: {e}", args.out.display())))?;

    let progress = Progress::new(
        (channels.len() + args.ranks.len()) as u64,
        "steps",
        args.quiet,
    );
    progress.message("SVD");
    let mut factors = Vec::with_capacity(channels.len());
    for c in &channels {
        let f = svd(c, false).map_err(CliError::internal)?;
        factors.push(Channel {
            u: f.u,
            s: f.s,
            vt: f.vt,
        });
        progress.inc(1);
    }
    let spectra: Vec<Spectrum<f64>> = factors
        .iter()
        .map(|f| Spectrum::from_singular_values(f.s.clone(), (m, n)))
        .collect::<mlinalg::Result<_>>()
        .map_err(CliError::internal)?;
    let total_sq: f64 = spectra.iter().map(|s| s.frobenius_norm().powi(2)).sum();

    let mut results = Vec::new();
    let mut strip = vec![stack(&channels)];
    for &k in &args.ranks {
        progress.message(format!("rank {k}"));
        let rebuilt: Vec<Array2<f64>> = factors
            .iter()
            .map(|f| f.rank(k))
            .collect::<mlinalg::Result<_>>()
            .map_err(CliError::internal)?;
        // Errors over all channels together: ‖A − A_k‖_F² adds up per channel (Eckart–Young).
        let lost_sq: f64 = spectra
            .iter()
            .map(|s| s.frobenius_error(k).map(|e| e * e))
            .sum::<mlinalg::Result<f64>>()
            .map_err(CliError::internal)?;
        let kept_sq: f64 = spectra
            .iter()
            .map(|s| s.energy(k).unwrap_or(1.0) * s.frobenius_norm().powi(2))
            .sum();
        let sv_sum: f64 = spectra
            .iter()
            .map(|s| s.singular_values().iter().take(k).sum::<f64>())
            .sum();
        let sv_all: f64 = spectra.iter().map(|s| s.nuclear_norm()).sum();
        let image = stack(&rebuilt);
        let path = args.out.join(format!("rank_{k}.png"));
        write_png(&path, &image)
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))?;
        results.push(json!({
            "k": k,
            "frobenius_error": lost_sq.sqrt(),
            "relative_error": if total_sq > 0.0 { (lost_sq / total_sq).sqrt() } else { 0.0 },
            "energy": if total_sq > 0.0 { kept_sq / total_sq } else { 1.0 },
            "sv_sum_fraction": if sv_all > 0.0 { sv_sum / sv_all } else { 1.0 },
            "compression_ratio": (k * (m + n + 1)) as f64 / (m * n) as f64,
            "png": path.display().to_string(),
        }));
        strip.push(image);
        progress.inc(1);
    }
    progress.finish();

    let sheet = contact_sheet(&strip);
    let sheet_path = args.out.join("contact_sheet.png");
    write_png(&sheet_path, &sheet)
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", sheet_path.display())))?;
    let plot_path = args.out.join("singular_values.svg");
    atomic_write(
        &plot_path,
        singular_value_plot(&spectra, &args.ranks)
            .to_svg()
            .as_bytes(),
    )
    .map_err(|e| CliError::input(format!("cannot write {}: {e}", plot_path.display())))?;

    let singular_values: Vec<Vec<f64>> = spectra
        .iter()
        .map(|s| s.singular_values().to_vec())
        .collect();
    if args.json {
        let doc = json!({
            "shape": [m, n],
            "channels": channels.len(),
            "singular_values": if args.color { json!(singular_values) } else { json!(singular_values[0]) },
            "ranks": results,
            "contact_sheet": sheet_path.display().to_string(),
            "singular_value_plot": plot_path.display().to_string(),
        });
        let text = serde_json::to_string_pretty(&doc).map_err(CliError::internal)?;
        return print_stdout(&format!("{text}\n"));
    }
    let mut t = Table::new([
        "k",
        "relative error",
        "energy kept",
        "Σσ kept",
        "storage vs pixels",
        "file",
    ])
    .caption(format!(
        "{} ({m}×{n}{}): rank-k reconstructions",
        args.photo.display(),
        if args.color { ", RGB" } else { ", grayscale" }
    ));
    for r in &results {
        t.row([
            Cell::Count(r["k"].as_u64().unwrap_or(0)),
            Cell::Num(r["relative_error"].as_f64().unwrap_or(f64::NAN)),
            Cell::Text(format!(
                "{:.2}%",
                100.0 * r["energy"].as_f64().unwrap_or(f64::NAN)
            )),
            Cell::Text(format!(
                "{:.2}%",
                100.0 * r["sv_sum_fraction"].as_f64().unwrap_or(f64::NAN)
            )),
            Cell::Text(format!(
                "{:.1}%",
                100.0 * r["compression_ratio"].as_f64().unwrap_or(f64::NAN)
            )),
            Cell::Text(r["png"].as_str().unwrap_or("").to_string()),
        ]);
    }
    let mut text = t.to_text("");
    text.push_str(&format!(
        "\nWrote {} and {}\n",
        sheet_path.display(),
        plot_path.display()
    ));
    print_stdout(&text)
}

/// One image from its channels: (h, w) for one, (h, w, 3) for three.
fn stack(channels: &[Array2<f64>]) -> mlinalg::ndarray::ArrayD<f64> {
    if channels.len() == 1 {
        return channels[0].clone().into_dyn();
    }
    let views: Vec<_> = channels.iter().map(|c| c.view()).collect();
    mlinalg::ndarray::stack(Axis(2), &views)
        .map(|a| a.into_dyn())
        .unwrap_or_else(|_| channels[0].clone().into_dyn())
}

/// The images side by side, separated by 8 white columns.
fn contact_sheet(images: &[mlinalg::ndarray::ArrayD<f64>]) -> mlinalg::ndarray::ArrayD<f64> {
    const GAP: usize = 8;
    let shape = images[0].shape().to_vec();
    let (h, w) = (shape[0], shape[1]);
    let mut sheet_shape = shape.clone();
    sheet_shape[1] = images.len() * w + (images.len() - 1) * GAP;
    let mut sheet = mlinalg::ndarray::ArrayD::<f64>::from_elem(sheet_shape, 255.0);
    for (i, img) in images.iter().enumerate() {
        let x0 = i * (w + GAP);
        sheet
            .slice_each_axis_mut(|ax| match ax.axis.index() {
                0 => (0..h).into(),
                1 => (x0..x0 + w).into(),
                _ => (..).into(),
            })
            .assign(img);
    }
    sheet
}

fn singular_value_plot(spectra: &[Spectrum<f64>], ranks: &[usize]) -> Figure {
    let colors = if spectra.len() == 3 {
        vec![Color::RED, Color::GREEN, Color::BLUE]
    } else {
        vec![Color::INK]
    };
    let mut all = Vec::new();
    let curves: Vec<Vec<(f64, f64)>> = spectra
        .iter()
        .map(|s| {
            s.singular_values()
                .iter()
                .enumerate()
                .map(|(i, &x)| ((i + 1) as f64, x.max(1e-12).log10()))
                .collect()
        })
        .collect();
    for c in &curves {
        all.extend(c);
    }
    let mut fig = Figure::new(560.0, 300.0);
    fig.fit(&all, 0.05)
        .axes(Axes::Frame)
        .labels("index i", "log₁₀ σᵢ");
    for (c, color) in curves.iter().zip(colors) {
        fig.polyline(c, color, 1.5);
    }
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    for &k in ranks {
        fig.line((k as f64, lo), (k as f64, hi), Color::GREY, true);
        fig.text((k as f64, hi), format!("k={k}"), Color::GREY);
    }
    fig
}
