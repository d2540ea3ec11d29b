//! `mlinalg-compare`: the mlinalg side of the side-by-side speed comparison in `compare/`.
//!
//! Times mlinalg's functions on the workloads of `shared/bench/WORKLOADS.md` (same ids, same
//! shapes, seeded standard-normal inputs) and prints the median time and the workload's figure
//! (GFLOP/s, GB/s, ms). `compare/run.py` runs this binary and the Python peers (`compare/peers.py`)
//! in one run and prints the ratios; run it alone with
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p mlinalg-compare -- --workloads W1a,W2 --repeats 7 [--json]
//! ```
//!
//! Adding a workload: write a `fn wN(t: &Timer) -> Vec<Measurement>` that builds the inputs outside
//! the timed region and times the call with [`Timer::time`], and add a row to [`WORKLOADS`] (and the
//! matching rows in `compare/workloads.py` and `compare/peers.py`).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use mlinalg::{matrix, Scalar};
use ndarray::{Array, ArrayView2, Dimension, IntoDimension};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// How a workload's figure is computed from the median time `t` (seconds).
#[derive(Clone, Copy)]
enum Measure {
    /// `work / t / 1e9` in `unit` (GFLOP/s for FLOPs, GB/s for bytes); higher is better.
    Throughput { work: f64, unit: &'static str },
    /// `t` in milliseconds; lower is better.
    #[allow(dead_code)] // for the workloads timed in ms (W3..W12), which later issues add
    Millis,
}

impl Measure {
    fn figure(self, seconds: f64) -> f64 {
        match self {
            Measure::Throughput { work, .. } => work / seconds / 1e9,
            Measure::Millis => seconds * 1e3,
        }
    }
    fn unit(self) -> &'static str {
        match self {
            Measure::Throughput { unit, .. } => unit,
            Measure::Millis => "ms",
        }
    }
    fn higher_is_better(self) -> bool {
        matches!(self, Measure::Throughput { .. })
    }
}

/// One workload of WORKLOADS.md.
struct Workload {
    id: &'static str,
    what: &'static str,
    measure: Measure,
    /// Short workloads take at least this many timed runs, whatever `--repeats` says.
    min_runs: usize,
    run: fn(&Timer) -> Vec<Measurement>,
}

/// The timings of one system (mlinalg, or a variant of how it is called) on one workload.
struct Measurement {
    system: String,
    note: String,
    samples: Result<Vec<f64>, String>,
}

impl Measurement {
    fn new(system: &str, note: &str, samples: Result<Vec<f64>, String>) -> Self {
        Measurement {
            system: system.to_string(),
            note: note.to_string(),
            samples,
        }
    }
}

const GEMM_1024: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;
const GEMM_2048: f64 = 2.0 * 2048.0 * 2048.0 * 2048.0;

/// The workloads, in WORKLOADS.md order. Later issues add W3.. rows here.
const WORKLOADS: &[Workload] = &[
    Workload {
        id: "W1a",
        what: "GEMM f32 1024x1024 @ 1024x1024",
        measure: Measure::Throughput {
            work: GEMM_1024,
            unit: "GFLOP/s",
        },
        min_runs: 0,
        run: w1a,
    },
    Workload {
        id: "W1b",
        what: "GEMM f32 2048x2048 @ 2048x2048",
        measure: Measure::Throughput {
            work: GEMM_2048,
            unit: "GFLOP/s",
        },
        min_runs: 0,
        run: w1b,
    },
    Workload {
        id: "W1c",
        what: "GEMM f64 2048x2048 @ 2048x2048",
        measure: Measure::Throughput {
            work: GEMM_2048,
            unit: "GFLOP/s",
        },
        min_runs: 0,
        run: w1c,
    },
    Workload {
        id: "W1d",
        what: "GEMV f32 4096x4096 @ 4096 (GB/s of matrix read)",
        measure: Measure::Throughput {
            work: 4096.0 * 4096.0 * 4.0,
            unit: "GB/s",
        },
        min_runs: 20,
        run: w1d,
    },
    Workload {
        id: "W2",
        what: "batched matmul f32 (32,128,512) @ (512,2048)",
        measure: Measure::Throughput {
            work: 2.0 * 32.0 * 128.0 * 512.0 * 2048.0,
            unit: "GFLOP/s",
        },
        min_runs: 0,
        run: w2,
    },
];

/// Warm-up and timed runs; the median of the timed runs is the figure.
struct Timer {
    warmup: usize,
    runs: usize,
}

impl Timer {
    /// Runs `f` `warmup` times untimed, then `runs` times timed. The result is dropped inside
    /// the timed region, as it is in the Python peers (`fn()` discards its result there too).
    fn time<R>(&self, mut f: impl FnMut() -> mlinalg::Result<R>) -> Result<Vec<f64>, String> {
        for _ in 0..self.warmup {
            black_box(f().map_err(|e| e.to_string())?);
        }
        let mut samples = Vec::with_capacity(self.runs);
        for _ in 0..self.runs {
            let start = Instant::now();
            let out = black_box(f());
            drop(out.map_err(|e| e.to_string())?);
            samples.push(start.elapsed().as_secs_f64());
        }
        Ok(samples)
    }
}

/// Seeded standard-normal array (ChaCha8, seed 0 per workload): the same distribution as the
/// peers' `numpy.random.default_rng(0).standard_normal`, not the same numbers.
fn normal<T, Sh>(rng: &mut ChaCha8Rng, shape: Sh) -> Array<T, Sh::Dim>
where
    T: Scalar,
    StandardNormal: Distribution<T>,
    Sh: IntoDimension,
    Sh::Dim: Dimension,
{
    Array::from_shape_simple_fn(shape.into_dimension(), || StandardNormal.sample(rng))
}

fn gemm<T: Scalar>(t: &Timer, n: usize) -> Vec<Measurement>
where
    StandardNormal: Distribution<T>,
{
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let a = normal::<T, _>(&mut rng, (n, n));
    let b = normal::<T, _>(&mut rng, (n, n));
    vec![Measurement::new(
        "mlinalg",
        "matrix::mm",
        t.time(|| matrix::mm(&a, &b)),
    )]
}

fn w1a(t: &Timer) -> Vec<Measurement> {
    gemm::<f32>(t, 1024)
}

fn w1b(t: &Timer) -> Vec<Measurement> {
    gemm::<f32>(t, 2048)
}

fn w1c(t: &Timer) -> Vec<Measurement> {
    gemm::<f64>(t, 2048)
}

fn w1d(t: &Timer) -> Vec<Measurement> {
    const N: usize = 4096;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let a = normal::<f32, _>(&mut rng, (N, N));
    let x = normal::<f32, _>(&mut rng, N);
    let mut out = vec![Measurement::new(
        "mlinalg",
        "matrix::matvec, input in a plain Array2 (4 KiB pages)",
        t.time(|| matrix::matvec(&a, &x)),
    )];
    drop(a);
    // NumPy madvises its large arrays for transparent huge pages; a variant with the input held
    // the same way tells the library's speed apart from the TLB cost of the caller's allocation.
    #[cfg(target_os = "linux")]
    {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (buf, offset, advised) = hugepage_buffer(N * N, || StandardNormal.sample(&mut rng));
        let note = if advised {
            "matrix::matvec, input madvised MADV_HUGEPAGE as NumPy does"
        } else {
            "matrix::matvec, input madvise(MADV_HUGEPAGE) FAILED: plain pages"
        };
        let samples = match buf
            .get(offset..offset + N * N)
            .map(|s| ArrayView2::from_shape((N, N), s))
        {
            Some(Ok(view)) => t.time(|| matrix::matvec(&view, &x)),
            _ => Err("could not view the huge-page buffer".to_string()),
        };
        out.push(Measurement::new("mlinalg-hugepage-input", note, samples));
    }
    out
}

/// A buffer of `len` values from `fill` starting at a 2 MiB boundary (at `offset` elements into the
/// returned Vec), advised `MADV_HUGEPAGE` before its pages are first touched. Returns whether the
/// advice was accepted.
#[cfg(target_os = "linux")]
fn hugepage_buffer(len: usize, mut fill: impl FnMut() -> f32) -> (Vec<f32>, usize, bool) {
    const HUGE: usize = 2 << 20;
    let size = std::mem::size_of::<f32>();
    let mut v: Vec<f32> = Vec::with_capacity(len + HUGE / size);
    let base = v.as_ptr() as usize;
    let aligned = base.next_multiple_of(HUGE);
    let offset = (aligned - base) / size;
    let end = (base + v.capacity() * size) & !(4096 - 1);
    // SAFETY: [aligned, end) lies inside the allocation of `v` (aligned >= base, end <= base +
    // capacity bytes) and is page-aligned; MADV_HUGEPAGE is only a hint and changes no contents.
    let rc = unsafe {
        libc::madvise(
            aligned as *mut libc::c_void,
            end - aligned,
            libc::MADV_HUGEPAGE,
        )
    };
    v.resize(offset, 0.0);
    v.extend((0..len).map(|_| fill()));
    (v, offset, rc == 0)
}

fn w2(t: &Timer) -> Vec<Measurement> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = normal::<f32, _>(&mut rng, (32, 128, 512));
    let w = normal::<f32, _>(&mut rng, (512, 2048));
    let mut out = vec![Measurement::new(
        "mlinalg",
        "matrix::matmul on the 3-D array",
        t.time(|| matrix::matmul(&x, &w)),
    )];
    // The same product as one 2-D GEMM on the (4096, 512) view, as the NumPy anchor also reports.
    let samples = match x.view().into_shape_with_order((32 * 128, 512)) {
        Ok(x2) => t.time(|| matrix::mm(&x2, &w)),
        Err(e) => Err(e.to_string()),
    };
    out.push(Measurement::new(
        "mlinalg-2d-view",
        "matrix::mm on the (4096, 512) view",
        samples,
    ));
    out
}

struct Opts {
    workloads: Vec<String>,
    repeats: usize,
    warmup: usize,
    json: bool,
}

const USAGE: &str = "\
mlinalg-compare: time mlinalg on the workloads of shared/bench/WORKLOADS.md

USAGE: mlinalg-compare [--workloads W1a,W1b,...] [--repeats N] [--warmup N] [--json] [--list]

  --workloads IDS  comma-separated workload ids (default: all; --list shows them)
  --repeats N      timed runs per workload, median reported (default 7; W1d takes at least 20)
  --warmup N       untimed runs first (default 2)
  --json           one JSON object on stdout instead of a table
  --list           list the workloads and exit

Threads: set RAYON_NUM_THREADS (compare/run.py sets 2).
Example: RAYON_NUM_THREADS=2 cargo run --release -p mlinalg-compare -- --workloads W1a,W2 --json";

fn parse_args() -> Result<Option<Opts>, String> {
    let mut opts = Opts {
        workloads: Vec::new(),
        repeats: 7,
        warmup: 2,
        json: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--workloads" | "-w" => {
                opts.workloads = value("--workloads")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect()
            }
            "--repeats" | "-r" => {
                let v = value("--repeats")?;
                opts.repeats = v
                    .parse()
                    .map_err(|_| format!("--repeats: not a count: {v}"))?;
                if opts.repeats == 0 {
                    return Err("--repeats must be at least 1".into());
                }
            }
            "--warmup" => {
                let v = value("--warmup")?;
                opts.warmup = v
                    .parse()
                    .map_err(|_| format!("--warmup: not a count: {v}"))?;
            }
            "--json" => opts.json = true,
            "--list" => {
                for w in WORKLOADS {
                    println!("{}\t{}\t{}", w.id, w.measure.unit(), w.what);
                }
                return Ok(None);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    for id in &opts.workloads {
        if !WORKLOADS.iter().any(|w| w.id.eq_ignore_ascii_case(id)) {
            let known: Vec<&str> = WORKLOADS.iter().map(|w| w.id).collect();
            return Err(format!(
                "unknown workload {id:?}; known: {}",
                known.join(", ")
            ));
        }
    }
    Ok(Some(opts))
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        "null".to_string()
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mlinalg-compare: {e}");
            return ExitCode::from(1);
        }
    };
    let threads = rayon::current_num_threads();
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| {
            opts.workloads.is_empty()
                || opts
                    .workloads
                    .iter()
                    .any(|id| w.id.eq_ignore_ascii_case(id))
        })
        .collect();

    let mut rows = Vec::new();
    let mut failed = false;
    for w in selected {
        let timer = Timer {
            warmup: opts.warmup,
            runs: opts.repeats.max(w.min_runs),
        };
        for m in (w.run)(&timer) {
            if m.samples.is_err() {
                failed = true;
            }
            rows.push((w, m));
        }
    }

    if opts.json {
        let items: Vec<String> = rows
            .iter()
            .map(|(w, m)| {
                let head = format!(
                    "{{\"workload\":{},\"system\":{},\"note\":{},\"unit\":{},\"higher_is_better\":{}",
                    json_str(w.id),
                    json_str(&m.system),
                    json_str(&m.note),
                    json_str(w.measure.unit()),
                    w.measure.higher_is_better()
                );
                match &m.samples {
                    Ok(s) => {
                        let med = median(s);
                        let list: Vec<String> = s.iter().map(|&x| json_num(x)).collect();
                        format!(
                            "{head},\"median_s\":{},\"figure\":{},\"samples_s\":[{}]}}",
                            json_num(med),
                            json_num(w.measure.figure(med)),
                            list.join(",")
                        )
                    }
                    Err(e) => format!("{head},\"error\":{}}}", json_str(e)),
                }
            })
            .collect();
        println!(
            "{{\"side\":\"mlinalg\",\"rayon_threads\":{threads},\"results\":[{}]}}",
            items.join(",")
        );
    } else {
        println!(
            "mlinalg-compare: {threads} rayon threads, median of the timed runs after warm-up"
        );
        println!(
            "{:<5} {:<24} {:>9} {:<8} {:>10} {:>10} {:>10} {:>5}  note",
            "id", "system", "figure", "unit", "median ms", "min ms", "max ms", "runs"
        );
        for (w, m) in &rows {
            match &m.samples {
                Ok(s) => {
                    let med = median(s);
                    let lo = s.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    println!(
                        "{:<5} {:<24} {:>9.1} {:<8} {:>10.3} {:>10.3} {:>10.3} {:>5}  {}",
                        w.id,
                        m.system,
                        w.measure.figure(med),
                        w.measure.unit(),
                        med * 1e3,
                        lo * 1e3,
                        hi * 1e3,
                        s.len(),
                        m.note
                    );
                }
                Err(e) => println!("{:<5} {:<24} error: {e}", w.id, m.system),
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
