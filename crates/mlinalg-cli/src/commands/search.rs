//! `mlinalg search build|query|eval`: vector search over `.npy` embeddings.
//!
//! - `build BASE.npy -o INDEX` stores the vectors (rows) in an index file: flat (exact search),
//!   `--hnsw` (approximate, a navigable small-world graph) or `--pca N` (PCA-reduced candidates
//!   re-ranked exactly).
//! - `query INDEX QUERIES.npy -k 10 -o IDS.npy` writes the ids (int64, queries × k) of each
//!   query's nearest vectors, and optionally their scores.
//! - `eval BASE.npy QUERIES.npy -k 10` builds flat and HNSW indexes and reports recall@k against
//!   the exact answer (or a ground-truth file) and queries per second, for HNSW at each ef.
//!
//! Vectors are searched in float32 (float64 inputs are converted), as FAISS does.

use crate::commands::print_stdout;
use crate::error::CliError;
use crate::progress::Progress;
use crate::report::{Cell, Table};
use mlinalg::io::{read_npy_i64, write_npy, NpyFile};
use mlinalg::ndarray::{Array2, Ix2};
use mlinalg::search::{
    index_info, recall_at_k, FlatIndex, HnswIndex, HnswParams, IndexKind, Metric, ReducedIndex,
    SearchResults,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `mlinalg search`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  mlinalg search build base.npy -o base.idx --metric cosine\n  mlinalg search query base.idx queries.npy -k 10 -o ids.npy --distances scores.npy\n  mlinalg search eval base.npy queries.npy -k 10 --gt gt.npy --json"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: SearchCommand,
}

/// The search subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum SearchCommand {
    /// Build an index from the rows of a .npy matrix and save it.
    Build(BuildArgs),
    /// Search an index for the nearest vectors of each query row.
    Query(QueryArgs),
    /// Build, search and report recall@k and queries per second.
    Eval(EvalArgs),
}

/// Options of `mlinalg search build`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  mlinalg search build base.npy -o base.idx --metric cosine")]
pub struct BuildArgs {
    /// Base vectors (n, dim), float32 or float64 .npy.
    pub base: PathBuf,
    /// Output index file (written atomically).
    #[arg(short, long, value_name = "INDEX")]
    pub output: PathBuf,
    /// cosine | dot | l2.
    #[arg(long, default_value = "cosine")]
    pub metric: String,
    /// Search candidates among the vectors projected on their top N principal components, then
    /// re-rank them exactly on the full vectors (a smaller, faster first pass).
    #[arg(long, value_name = "N", conflicts_with = "hnsw")]
    pub pca: Option<usize>,
    /// With --pca: candidates fetched per neighbour asked for.
    #[arg(long, default_value_t = 10, value_name = "R")]
    pub rerank: usize,
    /// Build an approximate HNSW graph index instead of an exact flat one.
    #[arg(long)]
    pub hnsw: bool,
    /// HNSW: links per node (2·M on the bottom level).
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW: candidates kept while linking a new node (larger: better graph, slower build).
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
    /// HNSW: default candidates kept while searching (stored in the index; `query --ef` overrides).
    #[arg(long, default_value_t = 64)]
    pub ef_search: usize,
    /// Print {n, dim, metric, kind, seconds, output} as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `mlinalg search query`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  mlinalg search query base.idx queries.npy -k 10 -o ids.npy --distances scores.npy --json"
)]
pub struct QueryArgs {
    /// Index file made by `mlinalg search build`.
    pub index: PathBuf,
    /// Query vectors (n_queries, dim), float32 or float64 .npy.
    pub queries: PathBuf,
    /// Neighbours per query.
    #[arg(short, default_value_t = 10)]
    pub k: usize,
    /// Output .npy of the ids, int64 (n_queries, k); −1 where fewer than k vectors exist.
    #[arg(short, long, value_name = "IDS.npy")]
    pub output: PathBuf,
    /// Also write the scores, float32 (n_queries, k): similarities (cosine, dot) or squared
    /// distances (l2).
    #[arg(long, value_name = "D.npy")]
    pub distances: Option<PathBuf>,
    /// HNSW indexes: candidates kept while searching (default: the index's own, 64 unless built
    /// otherwise); larger is more accurate and slower. Ignored by other indexes.
    #[arg(long)]
    pub ef: Option<usize>,
    /// Print {n_queries, k, seconds, queries_per_second} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `mlinalg search eval`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  mlinalg search eval base.npy queries.npy -k 10 --gt gt.npy --json"
)]
pub struct EvalArgs {
    /// Base vectors (n, dim), float32 or float64 .npy.
    pub base: PathBuf,
    /// Query vectors (n_queries, dim).
    pub queries: PathBuf,
    /// Ground truth ids, int64 .npy (n_queries, >= k); default: the exact (flat) results.
    #[arg(long, value_name = "GT.npy")]
    pub gt: Option<PathBuf>,
    /// Neighbours per query.
    #[arg(short, default_value_t = 10)]
    pub k: usize,
    /// cosine | dot | l2.
    #[arg(long, default_value = "cosine")]
    pub metric: String,
    /// The ef values at which the HNSW index is searched.
    #[arg(long, value_delimiter = ',', default_value = "16,32,64,128,256")]
    pub ef: Vec<usize>,
    /// HNSW: links per node.
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW: candidates kept while linking a new node.
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
    /// Skip the HNSW index (flat, and PCA if asked, only).
    #[arg(long)]
    pub no_hnsw: bool,
    /// Also evaluate PCA-reduced search with N components (re-ranked exactly).
    #[arg(long, value_name = "N")]
    pub pca: Option<usize>,
    /// With --pca: candidates fetched per neighbour asked for.
    #[arg(long, default_value_t = 10, value_name = "R")]
    pub rerank: usize,
    /// Print {"build": {...}, "results": [{"index", "ef", "recall_at_k", "queries_per_second"}]}.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `mlinalg search …`.
pub fn run(args: &Args) -> Result<(), CliError> {
    match &args.command {
        SearchCommand::Build(a) => build(a),
        SearchCommand::Query(a) => query(a),
        SearchCommand::Eval(a) => eval(a),
    }
}

fn parse_metric(s: &str) -> Result<Metric, CliError> {
    s.parse()
        .map_err(|_| CliError::input(format!("unknown metric {s:?}: expected cosine, dot or l2")))
}

/// Opens a 2-D float .npy and checks its shape.
fn open_matrix(path: &Path) -> Result<NpyFile, CliError> {
    let file = NpyFile::open(path).map_err(CliError::input)?;
    if file.shape().len() != 2 {
        return Err(CliError::input(format!(
            "{}: expected a 2-D matrix (n, dim), got shape {:?}",
            path.display(),
            file.shape()
        )));
    }
    if !matches!(file.dtype(), "float32" | "float64") {
        return Err(CliError::input(format!(
            "{}: dtype {} is not supported (float32 or float64)",
            path.display(),
            file.dtype()
        )));
    }
    Ok(file)
}

/// Reads a whole matrix as float32.
fn read_matrix(path: &Path) -> Result<Array2<f32>, CliError> {
    open_matrix(path)?
        .to_array::<f32, Ix2>()
        .map_err(CliError::input)
}

/// A flat index of the rows of `path`, added in blocks with a progress bar.
fn build_flat(path: &Path, metric: Metric, quiet: bool) -> Result<FlatIndex<f32>, CliError> {
    let file = open_matrix(path)?;
    let (n, dim) = (file.n_rows(), file.row_len());
    let mut index = FlatIndex::<f32>::new(dim, metric)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let progress = Progress::new(n as u64, "vectors", quiet);
    let blocks = file.row_blocks::<f32>(16_384).map_err(CliError::input)?;
    for block in blocks {
        let block = block.map_err(CliError::input)?;
        index
            .add(&block)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
        progress.inc(block.nrows() as u64);
    }
    progress.finish();
    Ok(index)
}

/// An HNSW index of the rows of `base` (read from `path`, named in messages), built in parallel
/// with a progress bar.
fn build_hnsw(
    path: &Path,
    base: &Array2<f32>,
    metric: Metric,
    params: HnswParams,
    quiet: bool,
) -> Result<HnswIndex<f32>, CliError> {
    let mut index = HnswIndex::<f32>::with_params(base.ncols(), metric, params)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let progress = Progress::new(base.nrows() as u64, "vectors linked", quiet);
    let done = std::sync::atomic::AtomicU64::new(0);
    index
        .add_with_progress(base, None, |finished, _total| {
            let prev = done.swap(finished as u64, std::sync::atomic::Ordering::Relaxed);
            progress.inc((finished as u64).saturating_sub(prev));
        })
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    progress.finish();
    Ok(index)
}

fn hnsw_params(m: usize, ef_construction: usize, ef_search: usize) -> HnswParams {
    HnswParams {
        m,
        ef_construction,
        ef_search,
        ..HnswParams::default()
    }
}

fn build(args: &BuildArgs) -> Result<(), CliError> {
    let metric = parse_metric(&args.metric)?;
    let start = Instant::now();
    let (n, dim, kind) = match args.pca {
        None if args.hnsw => {
            let base = read_matrix(&args.base)?;
            let index = build_hnsw(
                &args.base,
                &base,
                metric,
                hnsw_params(args.m, args.ef_construction, args.ef_search),
                args.quiet,
            )?;
            index.save(&args.output).map_err(CliError::input)?;
            (index.len(), index.dim(), "hnsw")
        }
        None => {
            let index = build_flat(&args.base, metric, args.quiet)?;
            index.save(&args.output).map_err(CliError::input)?;
            (index.len(), index.dim(), "flat")
        }
        Some(components) => {
            let base = read_matrix(&args.base)?;
            let progress = Progress::new(1, "PCA fits", args.quiet);
            progress.message(format!(
                "{components} components of {} vectors",
                base.nrows()
            ));
            let index = ReducedIndex::build(&base, None, metric, components, args.rerank)
                .map_err(|e| CliError::input(format!("{}: {e}", args.base.display())))?;
            progress.finish();
            index.save(&args.output).map_err(CliError::input)?;
            (index.len(), index.dim(), "pca")
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if args.json {
        let doc = json!({
            "n": n, "dim": dim, "metric": metric.name(), "kind": kind,
            "seconds": seconds, "output": args.output.display().to_string(),
        });
        return print_stdout(&format!("{doc}\n"));
    }
    print_stdout(&format!(
        "Built a {kind} {metric} index of {n} vectors of dimension {dim} in {seconds:.2} s: {}\n",
        args.output.display()
    ))
}

fn query(args: &QueryArgs) -> Result<(), CliError> {
    if args.k == 0 {
        return Err(CliError::input("-k must be at least 1"));
    }
    let info = index_info(&args.index).map_err(CliError::input)?;
    if info.elem_size != 4 {
        return Err(CliError::input(format!(
            "{}: holds float64 vectors; the command line searches float32 indexes",
            args.index.display()
        )));
    }
    let queries = read_matrix(&args.queries)?;
    let (hits, seconds) = match info.kind {
        IndexKind::Hnsw => {
            let index = HnswIndex::<f32>::load(&args.index).map_err(CliError::input)?;
            match args.ef {
                Some(ef) => timed(|| index.search_with_ef(&queries, args.k, ef))?,
                None => timed(|| index.search(&queries, args.k))?,
            }
        }
        IndexKind::Reduced => {
            let index = ReducedIndex::<f32>::load(&args.index).map_err(CliError::input)?;
            timed(|| index.search(&queries, args.k))?
        }
        _ => {
            let index = FlatIndex::<f32>::load(&args.index).map_err(CliError::input)?;
            timed(|| index.search(&queries, args.k))?
        }
    };
    write_npy(&args.output, &hits.ids).map_err(CliError::input)?;
    if let Some(path) = &args.distances {
        write_npy(path, &hits.scores).map_err(CliError::input)?;
    }
    let n = queries.nrows();
    let qps = if seconds > 0.0 {
        n as f64 / seconds
    } else {
        f64::INFINITY
    };
    if args.json {
        let doc =
            json!({"n_queries": n, "k": args.k, "seconds": seconds, "queries_per_second": qps});
        return print_stdout(&format!("{doc}\n"));
    }
    print_stdout(&format!(
        "{n} queries, k = {}, in {seconds:.3} s ({qps:.0} queries/s): ids in {}\n",
        args.k,
        args.output.display()
    ))
}

/// Times a batch search.
fn timed<F: FnOnce() -> mlinalg::Result<SearchResults<f32>>>(
    f: F,
) -> Result<(SearchResults<f32>, f64), CliError> {
    let start = Instant::now();
    let hits = f().map_err(CliError::input)?;
    Ok((hits, start.elapsed().as_secs_f64()))
}

fn eval(args: &EvalArgs) -> Result<(), CliError> {
    let metric = parse_metric(&args.metric)?;
    if args.k == 0 {
        return Err(CliError::input("-k must be at least 1"));
    }
    let queries = read_matrix(&args.queries)?;
    // Every index of the evaluation is built from the same rows: read them once.
    let base = read_matrix(&args.base)?;
    let start = Instant::now();
    let mut flat = FlatIndex::<f32>::new(base.ncols(), metric)
        .map_err(|e| CliError::input(format!("{}: {e}", args.base.display())))?;
    flat.add(&base)
        .map_err(|e| CliError::input(format!("{}: {e}", args.base.display())))?;
    let flat_build = start.elapsed().as_secs_f64();
    if flat.len() < args.k {
        return Err(CliError::input(format!(
            "{}: {} vectors is fewer than k = {}",
            args.base.display(),
            flat.len(),
            args.k
        )));
    }
    let (exact, flat_seconds) = timed(|| flat.search(&queries, args.k))?;
    let truth = match &args.gt {
        Some(path) => {
            let gt = read_npy_i64::<Ix2>(path).map_err(CliError::input)?;
            if gt.nrows() != queries.nrows() || gt.ncols() < args.k {
                return Err(CliError::input(format!(
                    "{}: ground truth of shape {:?} does not cover {} queries × k = {}",
                    path.display(),
                    gt.shape(),
                    queries.nrows(),
                    args.k
                )));
            }
            gt
        }
        None => exact.ids.clone(),
    };
    let qps = |s: f64| {
        if s > 0.0 {
            queries.nrows() as f64 / s
        } else {
            f64::INFINITY
        }
    };
    let mut results = vec![json!({
        "index": "flat", "ef": null,
        "recall_at_k": recall_at_k(&exact.ids, &truth, args.k).map_err(CliError::input)?,
        "queries_per_second": qps(flat_seconds),
    })];
    let mut build = json!({"flat": {"seconds": flat_build}, "n": flat.len(), "dim": flat.dim(), "metric": metric.name()});
    if !args.no_hnsw {
        let start = Instant::now();
        let hnsw = build_hnsw(
            &args.base,
            &base,
            metric,
            hnsw_params(args.m, args.ef_construction, 64),
            args.quiet,
        )?;
        build["hnsw"] = json!({"seconds": start.elapsed().as_secs_f64(), "m": args.m, "ef_construction": args.ef_construction});
        for &ef in &args.ef {
            let (hits, seconds) = timed(|| hnsw.search_with_ef(&queries, args.k, ef))?;
            results.push(json!({
                "index": "hnsw", "ef": ef,
                "recall_at_k": recall_at_k(&hits.ids, &truth, args.k).map_err(CliError::input)?,
                "queries_per_second": qps(seconds),
            }));
        }
    }
    if let Some(components) = args.pca {
        let start = Instant::now();
        let reduced = ReducedIndex::build(&base, None, metric, components, args.rerank)
            .map_err(|e| CliError::input(format!("{}: {e}", args.base.display())))?;
        build["pca"] = json!({"seconds": start.elapsed().as_secs_f64(), "n_components": components, "rerank": args.rerank});
        let (hits, seconds) = timed(|| reduced.search(&queries, args.k))?;
        results.push(json!({
            "index": format!("pca{components}"), "ef": null,
            "recall_at_k": recall_at_k(&hits.ids, &truth, args.k).map_err(CliError::input)?,
            "queries_per_second": qps(seconds),
        }));
    }
    if args.json {
        let doc =
            json!({"build": build, "k": args.k, "n_queries": queries.nrows(), "results": results});
        return print_stdout(&format!("{doc}\n"));
    }
    let mut t = Table::new(["index", "ef", "recall@k", "queries/s"]).caption(format!(
        "{} queries, k = {}, {} vectors of dimension {} ({metric})",
        queries.nrows(),
        args.k,
        flat.len(),
        flat.dim()
    ));
    for r in &results {
        t.row([
            Cell::Text(r["index"].as_str().unwrap_or("").to_string()),
            Cell::Text(r["ef"].as_u64().map_or("-".to_string(), |e| e.to_string())),
            Cell::Num(r["recall_at_k"].as_f64().unwrap_or(f64::NAN)),
            Cell::Text(format!(
                "{:.0}",
                r["queries_per_second"].as_f64().unwrap_or(f64::NAN)
            )),
        ]);
    }
    let builds: Vec<String> = ["flat", "hnsw", "pca"]
        .iter()
        .filter_map(|kind| {
            build[kind]["seconds"]
                .as_f64()
                .map(|s| format!("{kind} {s:.2} s"))
        })
        .collect();
    print_stdout(&format!("Built: {}.\n{}", builds.join(", "), t.to_text("")))
}
