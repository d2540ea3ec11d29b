//! `mlinalg spectrum MODEL.safetensors`: the singular value spectrum of every weight matrix of a
//! model, and what it says about rank (stable rank, effective rank, k90, numerical rank).
//!
//! The file is memory-mapped and tensors are read one at a time, so at most one tensor's f32
//! (or f64) copy is held. Tensors of rank 3 or more are reshaped to (out, rest), the way a
//! convolution or a stacked projection acts on its input.

use crate::commands::print_stdout;
use crate::error::CliError;
use crate::progress::Progress;
use crate::report::format::count;
use crate::report::{atomic_write, Axes, Cell, Color, Figure, Page, Section, Table};
use mlinalg::io::SafeTensorsFile;
use mlinalg::lowrank::Spectrum;
use mlinalg::ndarray::{ArrayD, Ix2};
use mlinalg::Scalar;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Options of `mlinalg spectrum`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  mlinalg spectrum model.safetensors\n  mlinalg spectrum model.safetensors --filter 'attention.*weight' --json\n  mlinalg spectrum model.safetensors --report spectrum.html"
)]
pub struct Args {
    /// The model weights (.safetensors; F64, F32, F16 and BF16 tensors are analysed).
    pub model: PathBuf,
    /// Only tensors whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Print {"tensors": [{name, shape, dtype, frobenius, sigma_max, stable_rank,
    /// effective_rank, k90, numerical_rank}]} instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write an HTML report: the summary table and a singular value plot per tensor.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// One analysed tensor.
struct Row {
    name: String,
    shape: Vec<usize>,
    dtype: &'static str,
    singular_values: Vec<f64>,
    frobenius: f64,
    sigma_max: f64,
    stable_rank: f64,
    effective_rank: f64,
    k90: usize,
    numerical_rank: usize,
}

impl Row {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "shape": self.shape,
            "dtype": self.dtype,
            "frobenius": self.frobenius,
            "sigma_max": self.sigma_max,
            "stable_rank": self.stable_rank,
            "effective_rank": self.effective_rank,
            "k90": self.k90,
            "numerical_rank": self.numerical_rank,
        })
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Result<(), CliError> {
    let file = SafeTensorsFile::open(&args.model).map_err(CliError::input)?;
    let filter = match &args.filter {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| {
            // regex's message draws a caret under the pattern over several lines; the
            // CLI's errors are one line, so keep its last line (the reason).
            let text = e.to_string();
            let reason = text
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("error: ");
            CliError::input(format!(
                "--filter: invalid regular expression {re:?}: {reason}"
            ))
        })?),
        None => None,
    };
    let chosen: Vec<_> = file
        .tensors()
        .iter()
        .filter(|t| t.shape().len() >= 2)
        .filter(|t| filter.as_ref().is_none_or(|re| re.is_match(t.name())))
        .collect();
    if chosen.is_empty() {
        return Err(CliError::input(format!(
            "{}: no tensor with two or more dimensions{}",
            args.model.display(),
            if args.filter.is_some() {
                " matches --filter"
            } else {
                ""
            }
        )));
    }
    let progress = Progress::new(chosen.len() as u64, "tensors", args.quiet);
    let mut rows = Vec::with_capacity(chosen.len());
    for info in chosen {
        progress.message(info.name().to_string());
        let row = if info.dtype() == "F64" {
            analyse::<f64>(&file, info.name(), info.shape(), info.dtype())
        } else {
            analyse::<f32>(&file, info.name(), info.shape(), info.dtype())
        }
        .map_err(CliError::input)?;
        rows.push(row);
        progress.inc(1);
    }
    progress.finish();

    if let Some(path) = &args.report {
        let page = report_page(&args.model, &rows);
        atomic_write(path, page.render().as_bytes())
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        let doc = json!({ "tensors": rows.iter().map(Row::to_json).collect::<Vec<_>>() });
        let text = serde_json::to_string_pretty(&doc).map_err(CliError::internal)?;
        print_stdout(&format!("{text}\n"))
    } else {
        let mut text = summary_table(&rows).to_text("");
        if let Some(path) = &args.report {
            text.push_str(&format!("\nWrote {}\n", path.display()));
        }
        print_stdout(&text)
    }
}

/// Reads one tensor as (out, rest) in `T` and measures its spectrum.
fn analyse<T>(
    file: &SafeTensorsFile,
    name: &str,
    shape: &[usize],
    dtype: &'static str,
) -> mlinalg::Result<Row>
where
    T: Scalar + mlinalg::io::Element,
{
    let tensor: ArrayD<T> = file.read(name)?;
    let rows = shape[0];
    let rest: usize = shape[1..].iter().product();
    let matrix = tensor
        .into_shape_with_order((rows, rest))
        .map_err(|e| {
            mlinalg::Error::new(
                mlinalg::ErrorKind::Shape,
                "spectrum",
                format!("{name}: {e}"),
            )
        })?
        .into_dimensionality::<Ix2>()
        .map_err(|e| {
            mlinalg::Error::new(
                mlinalg::ErrorKind::Shape,
                "spectrum",
                format!("{name}: {e}"),
            )
        })?;
    let spec = Spectrum::of(&matrix).map_err(|e| {
        mlinalg::Error::new(
            e.kind(),
            "spectrum",
            format!("tensor {name}: {}", e.message()),
        )
    })?;
    Ok(Row {
        name: name.to_string(),
        shape: shape.to_vec(),
        dtype,
        singular_values: spec.singular_values().iter().map(|x| x.as_f64()).collect(),
        frobenius: spec.frobenius_norm().as_f64(),
        sigma_max: spec.spectral_norm().as_f64(),
        stable_rank: spec.stable_rank(),
        effective_rank: spec.effective_rank(),
        k90: spec.rank_for_energy(0.9)?,
        numerical_rank: spec.numerical_rank(None)?,
    })
}

fn summary_table(rows: &[Row]) -> Table {
    let mut t = Table::new([
        "tensor",
        "shape",
        "dtype",
        "‖W‖_F",
        "σ_max",
        "stable rank",
        "effective rank",
        "k90",
        "numerical rank",
    ])
    .caption("Spectrum of each weight matrix (rank ≥ 3 reshaped to out × rest)");
    for r in rows {
        t.row([
            Cell::Text(r.name.clone()),
            Cell::Shape(r.shape.clone()),
            Cell::Text(r.dtype.to_string()),
            Cell::Num(r.frobenius),
            Cell::Num(r.sigma_max),
            Cell::Num(r.stable_rank),
            Cell::Num(r.effective_rank),
            Cell::Count(r.k90 as u64),
            Cell::Count(r.numerical_rank as u64),
        ]);
    }
    t
}

fn report_page(model: &std::path::Path, rows: &[Row]) -> Page {
    let mut page = Page::new(
        format!("Spectrum of {}", model.display()),
        "Singular values of every weight matrix: how many directions each one uses. Stable rank = ‖W‖²_F/σ²_max; effective rank = exp(entropy of σ/Σσ); k90 = fewest σ holding 90% of ‖W‖²_F; numerical rank = σ above NumPy's tolerance.",
    );
    let mut summary = Section::new(
        "summary",
        "Summary",
        "One row per tensor with two or more dimensions.",
    );
    summary.table(summary_table(rows));
    page.section(summary);
    for (i, r) in rows.iter().enumerate() {
        let mut s = Section::new(
            format!("tensor-{i}"),
            r.name.as_str(),
            format!(
                "shape {:?}, {}: σ_max {:.4}, stable rank {:.2}, k90 {} of {}",
                r.shape,
                r.dtype,
                r.sigma_max,
                r.stable_rank,
                count(r.k90 as u64),
                count(r.singular_values.len() as u64)
            ),
        );
        let points: Vec<(f64, f64)> = r
            .singular_values
            .iter()
            .enumerate()
            .map(|(i, &x)| ((i + 1) as f64, x.max(f64::MIN_POSITIVE).log10()))
            .collect();
        let mut fig = Figure::new(520.0, 260.0);
        fig.fit(&points, 0.05)
            .axes(Axes::Frame)
            .labels("index i", "log₁₀ σᵢ");
        fig.polyline(&points, Color::BLUE, 1.5);
        s.figure(fig, "Singular values, largest first, on a log scale.");
        page.section(s);
    }
    page.footer(format!(
        "Generated by mlinalg {} (`mlinalg spectrum`).",
        env!("CARGO_PKG_VERSION")
    ));
    page
}
