//! Evaluation of approximate search: recall@k against exact results.

use ndarray::{ArrayBase, Data, Ix2};

use crate::error::fmt_shape;
use crate::{Error, Result};

/// recall@k: the fraction of the true `k` nearest neighbours (the first `k` columns of `truth`)
/// found among the first `k` columns of `found`, averaged over queries, as ANN benchmarks report
/// it. Ids are compared as sets per query, so the order and ties inside the top k do not matter.
/// Negative ids (FAISS's −1 for "no result") never count as found.
///
/// ```
/// use mlinalg::search::recall_at_k;
/// use ndarray::array;
/// let truth = array![[1_i64, 2, 3], [4, 5, 6]];
/// let found = array![[3_i64, 1, 9], [4, 5, 6]];
/// assert!((recall_at_k(&found, &truth, 3)? - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
/// # Ok::<(), mlinalg::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the row counts differ or either has fewer
/// than `k` columns; [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for
/// `k = 0` or no queries.
pub fn recall_at_k<S1, S2>(
    found: &ArrayBase<S1, Ix2>,
    truth: &ArrayBase<S2, Ix2>,
    k: usize,
) -> Result<f64>
where
    S1: Data<Elem = i64>,
    S2: Data<Elem = i64>,
{
    const OP: &str = "recall_at_k";
    if k == 0 || truth.nrows() == 0 {
        return Err(Error::invalid(OP, "need k >= 1 and at least one query"));
    }
    if found.nrows() != truth.nrows() || found.ncols() < k || truth.ncols() < k {
        return Err(Error::shape(
            OP,
            format!(
                "found {} and truth {} must have the same rows and at least k = {k} columns",
                fmt_shape(found.shape()),
                fmt_shape(truth.shape())
            ),
        )
        .with_shapes([found.shape(), truth.shape()]));
    }
    let mut hits = 0usize;
    for (f, t) in found.rows().into_iter().zip(truth.rows()) {
        let mut want: Vec<i64> = t.iter().take(k).copied().collect();
        want.sort_unstable();
        hits += f
            .iter()
            .take(k)
            .filter(|&&id| id >= 0 && want.binary_search(&id).is_ok())
            .count();
    }
    Ok(hits as f64 / (k * truth.nrows()) as f64)
}
