//! Peak memory of the fused attention kernel on a long sequence: T = 16,384 tokens, one head,
//! head dimension 64, f32, causal and not. A materialised (T, T) score matrix alone would take
//! T·T·4 bytes = 1 GiB; the kernel needs the inputs, the output and a few blocks per thread.
//!
//! Peak resident memory is read with `getrusage` (ru_maxrss) before and after the calls, and a
//! few output rows are checked against a plain f64 computation of the same rows.
//!
//! `cargo run --release --example attention_memory [T]`

use std::time::Instant;

use mlinalg::nn::attention::{scaled_dot_product_attention, AttentionOptions};
use mlinalg::random::Rng;
use ndarray::{Array2, Ix2};

/// Peak resident set size of this process so far, in MiB (Linux reports KiB).
fn peak_rss_mib() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0
}

fn normal(t: usize, d: usize, seed: u64) -> mlinalg::Result<Array2<f32>> {
    Rng::seed(seed)
        .standard_normal::<f32>(&[t, d])?
        .into_dimensionality::<Ix2>()
        .map_err(|e| mlinalg::Error::new(mlinalg::ErrorKind::Shape, "example", e.to_string()))
}

/// Row `i` of softmax(q kᵀ / √d) v in f64, keys `0..end`.
fn plain_row(q: &Array2<f32>, k: &Array2<f32>, v: &Array2<f32>, i: usize, end: usize) -> Vec<f64> {
    let d = q.ncols();
    let scale = 1.0 / (d as f64).sqrt();
    let scores: Vec<f64> = (0..end)
        .map(|j| {
            (0..d)
                .map(|c| f64::from(q[[i, c]]) * f64::from(k[[j, c]]))
                .sum::<f64>()
                * scale
        })
        .collect();
    let mx = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = scores.iter().map(|s| (s - mx).exp()).collect();
    let total: f64 = w.iter().sum();
    (0..v.ncols())
        .map(|c| (0..end).map(|j| w[j] * f64::from(v[[j, c]])).sum::<f64>() / total)
        .collect()
}

fn main() -> mlinalg::Result<()> {
    let t: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(16_384);
    let d = 64;
    let (q, k, v) = (normal(t, d, 1)?, normal(t, d, 2)?, normal(t, d, 3)?);
    let before = peak_rss_mib();
    println!(
        "T = {t}, one head, D = {d}, f32; inputs 3 x {:.1} MiB, output {:.1} MiB",
        (t * d * 4) as f64 / 1048576.0,
        (t * d * 4) as f64 / 1048576.0
    );
    println!("peak RSS before the calls: {before:.1} MiB");
    for causal in [false, true] {
        let start = Instant::now();
        let out =
            scaled_dot_product_attention(&q, &k, &v, &AttentionOptions::new().causal(causal))?;
        let secs = start.elapsed().as_secs_f64();
        let mut worst = 0.0f64;
        for i in [0, t / 2 + 1, t - 1] {
            let end = if causal { i + 1 } else { t };
            for (c, want) in plain_row(&q, &k, &v, i, end).into_iter().enumerate() {
                worst = worst.max((f64::from(out[[i, c]]) - want).abs());
            }
        }
        println!(
            "causal = {causal}: {:.1} ms, peak RSS now {:.1} MiB, max |error| on 3 rows vs f64: {worst:.1e}",
            secs * 1e3,
            peak_rss_mib()
        );
    }
    let after = peak_rss_mib();
    println!(
        "peak RSS growth during attention: {:.1} MiB; a materialised score matrix: {:.1} MiB",
        after - before,
        (t * t * 4) as f64 / 1048576.0
    );
    Ok(())
}
