//! `mlinalg pca X.npy -n N -o Y.npy`: reduce the rows of a `.npy` matrix (embeddings, features)
//! to their top principal components, as scikit-learn's `PCA(n_components=N).fit_transform`.
//!
//! Inputs that do not fit comfortably in memory (more than half of the available RAM, or with
//! `--streaming`) are fitted by streaming row blocks of the memory-mapped file through
//! `PcaAccumulator` (covariance in f64, O(features²) memory) and projected block by block.

use crate::commands::print_stdout;
use crate::error::CliError;
use crate::progress::Progress;
use crate::report::{Cell, Table};
use mlinalg::io::{write_npy, write_npz, NpyFile};
use mlinalg::ndarray::{s, Array2};
use mlinalg::pca::{Components, FittedPca, Pca, PcaAccumulator, PcaSolver};
use mlinalg::Scalar;
use serde_json::json;
use std::path::PathBuf;

/// Options of `mlinalg pca`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  mlinalg pca embeddings.npy -n 64 -o reduced.npy\n  mlinalg pca features.npy -n 0.95 -o reduced.npy --json     (keep 95% of the variance)\n  mlinalg pca big.npy -n 128 -o small.npy --model pca.npz --solver covariance-eigh"
)]
pub struct Args {
    /// Input matrix (n_samples, n_features), float32 or float64 .npy.
    pub input: PathBuf,
    /// Components to keep: a count (64), or a fraction of variance in (0, 1) (0.95).
    #[arg(short = 'n', long = "n-components", value_name = "N")]
    pub n_components: String,
    /// Output .npy of the projected rows (n_samples, N), in the input's dtype.
    #[arg(short, long, value_name = "Y.npy")]
    pub output: PathBuf,
    /// auto | full | covariance-eigh | randomized (scikit-learn's solvers and auto rule).
    #[arg(long, default_value = "auto")]
    pub solver: String,
    /// Scale the projections to unit variance.
    #[arg(long)]
    pub whiten: bool,
    /// Also save the fitted model (components, mean, explained_variance, explained_variance_ratio,
    /// singular_values) as a .npz.
    #[arg(long, value_name = "OUT.npz")]
    pub model: Option<PathBuf>,
    /// Fit by streaming row blocks of the memory-mapped input (automatic for inputs larger than
    /// half the available memory).
    #[arg(long)]
    pub streaming: bool,
    /// Seed of the randomized solver.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print {n_samples, n_features, n_components, solver, explained_variance_ratio,
    /// singular_values} as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<(), CliError> {
    let file = NpyFile::open(&args.input).map_err(CliError::input)?;
    if file.shape().len() != 2 {
        return Err(CliError::input(format!(
            "{}: expected a 2-D matrix (n_samples, n_features), got shape {:?}",
            args.input.display(),
            file.shape()
        )));
    }
    let pca = settings(args)?;
    let streaming = args.streaming || too_big_for_memory(&args.input);
    match file.dtype() {
        "float32" => run_typed::<f32>(args, &file, &pca, streaming),
        "float64" => run_typed::<f64>(args, &file, &pca, streaming),
        other => Err(CliError::input(format!(
            "{}: dtype {other} is not supported (float32 or float64)",
            args.input.display()
        ))),
    }
}

fn settings(args: &Args) -> Result<Pca, CliError> {
    let n = args.n_components.trim();
    let components = if let Ok(k) = n.parse::<usize>() {
        Components::Count(k)
    } else {
        match n.parse::<f64>() {
            Ok(f) if f > 0.0 && f < 1.0 => Components::VarianceFraction(f),
            _ => {
                return Err(CliError::input(format!(
                    "-n: expected a count (64) or a variance fraction in (0, 1) (0.95), got {n:?}"
                )))
            }
        }
    };
    let solver = match args.solver.as_str() {
        "auto" => PcaSolver::Auto,
        "full" => PcaSolver::Full,
        "covariance-eigh" | "covariance_eigh" => PcaSolver::CovarianceEigh,
        "randomized" => PcaSolver::Randomized,
        other => {
            return Err(CliError::input(format!(
                "--solver: expected auto, full, covariance-eigh or randomized, got {other:?}"
            )))
        }
    };
    Ok(Pca::new()
        .components_choice(components)
        .solver(solver)
        .whiten(args.whiten)
        .seed(args.seed))
}

/// Whether the file is larger than half of the memory the system reports available.
fn too_big_for_memory(path: &std::path::Path) -> bool {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let available_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        });
    available_kib.is_some_and(|kib| size > kib * 1024 / 2)
}

/// Rows per block when streaming: about 64 MiB of input at a time.
fn block_rows(n_features: usize, element: usize) -> usize {
    ((64 << 20) / (n_features.max(1) * element)).max(1)
}

fn run_typed<T>(args: &Args, file: &NpyFile, pca: &Pca, streaming: bool) -> Result<(), CliError>
where
    T: Scalar + mlinalg::io::Element,
{
    let (n, p) = (file.shape()[0], file.shape()[1]);
    let input = |e: mlinalg::Error| CliError::input(format!("{}: {e}", args.input.display()));
    let block = block_rows(p, std::mem::size_of::<T>());
    let (fitted, solver_name, projected): (FittedPca<T>, String, Array2<T>) = if streaming {
        let progress = Progress::new(2 * n as u64, "rows (fit, then project)", args.quiet);
        let mut acc = PcaAccumulator::new(p);
        for rows in file.row_blocks::<T>(block).map_err(input)? {
            let rows = rows.map_err(input)?;
            acc.update(&rows).map_err(input)?;
            progress.inc(rows.nrows() as u64);
        }
        let fitted: FittedPca<T> = acc.finish(pca).map_err(input)?;
        let mut out = Array2::<T>::zeros((n, fitted.n_components()));
        let mut start = 0;
        for rows in file.row_blocks::<T>(block).map_err(input)? {
            let rows = rows.map_err(input)?;
            let z = fitted.transform(&rows).map_err(input)?;
            out.slice_mut(s![start..start + z.nrows(), ..]).assign(&z);
            start += z.nrows();
            progress.inc(rows.nrows() as u64);
        }
        progress.finish();
        (fitted, "covariance_eigh (streaming)".to_string(), out)
    } else {
        let progress = Progress::new(1, "fit", args.quiet);
        progress.message(format!("{n} × {p}"));
        let x: Array2<T> = file.to_array().map_err(input)?;
        let (fitted, z) = pca.fit_transform(&x).map_err(input)?;
        progress.finish();
        let name = match fitted.solver() {
            PcaSolver::Full => "full",
            PcaSolver::CovarianceEigh => "covariance_eigh",
            PcaSolver::Randomized => "randomized",
            PcaSolver::Auto => "auto",
        };
        (fitted, name.to_string(), z)
    };
    write_npy(&args.output, &projected)
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", args.output.display())))?;
    if let Some(path) = &args.model {
        let f64s = |a: &mlinalg::ndarray::ArrayD<T>| a.mapv(|v| v.as_f64());
        let parts = [
            ("components", f64s(&fitted.components().clone().into_dyn())),
            ("mean", f64s(&fitted.mean().clone().into_dyn())),
            (
                "explained_variance",
                f64s(&fitted.explained_variance().clone().into_dyn()),
            ),
            (
                "explained_variance_ratio",
                f64s(&fitted.explained_variance_ratio().clone().into_dyn()),
            ),
            (
                "singular_values",
                f64s(&fitted.singular_values().clone().into_dyn()),
            ),
        ];
        let views: Vec<(&str, mlinalg::ndarray::ArrayViewD<'_, f64>)> =
            parts.iter().map(|(k, a)| (*k, a.view())).collect();
        write_npz(path, &views)
            .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))?;
    }

    let ratios: Vec<f64> = fitted
        .explained_variance_ratio()
        .iter()
        .map(|v| v.as_f64())
        .collect();
    let svals: Vec<f64> = fitted
        .singular_values()
        .iter()
        .map(|v| v.as_f64())
        .collect();
    if args.json {
        let doc = json!({
            "n_samples": n,
            "n_features": p,
            "n_components": fitted.n_components(),
            "solver": solver_name,
            "explained_variance_ratio": ratios,
            "singular_values": svals,
            "output": args.output.display().to_string(),
        });
        let text = serde_json::to_string_pretty(&doc).map_err(CliError::internal)?;
        return print_stdout(&format!("{text}\n"));
    }
    let mut t = Table::new([
        "component",
        "explained variance ratio",
        "cumulative",
        "singular value",
    ])
    .caption(format!(
        "PCA of {} ({n} × {p}, {}): {} components, solver {solver_name}",
        args.input.display(),
        T::DTYPE,
        fitted.n_components()
    ));
    let mut cumulative = 0.0;
    for (i, (r, s)) in ratios.iter().zip(&svals).enumerate() {
        cumulative += r;
        t.row([
            Cell::Text(format!("PC{}", i + 1)),
            Cell::Num(*r),
            Cell::Num(cumulative),
            Cell::Num(*s),
        ]);
    }
    let mut text = t.to_text("");
    text.push_str(&format!(
        "\nWrote {} ({n} × {}){}\n",
        args.output.display(),
        fitted.n_components(),
        args.model
            .as_ref()
            .map(|m| format!(" and {}", m.display()))
            .unwrap_or_default()
    ));
    print_stdout(&text)
}
