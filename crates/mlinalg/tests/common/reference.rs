//! Slow references by explicit multi-index: nothing clever, obviously correct.

use ndarray::{ArrayViewD, Dimension, IxDyn};

/// The elements of `x` in row-major (logical) order, whatever its memory layout.
pub fn row_major(x: &ArrayViewD<'_, f64>) -> Vec<f64> {
    ndarray::indices(x.shape())
        .into_iter()
        .map(|i| x[i.slice()])
        .collect()
}

/// The lanes of `x` along `axis` (all elements for `None`), in row-major order of the other
/// axes, with the output shape (keepdims applied).
pub fn lanes(
    x: &ArrayViewD<'_, f64>,
    axis: Option<usize>,
    keepdims: bool,
) -> (Vec<usize>, Vec<Vec<f64>>) {
    match axis {
        None => {
            let shape = if keepdims { vec![1; x.ndim()] } else { vec![] };
            (shape, vec![row_major(x)])
        }
        Some(k) => {
            let mut out_shape = x.shape().to_vec();
            let n = out_shape.remove(k);
            let mut lanes = Vec::new();
            for idx in ndarray::indices(IxDyn(&out_shape)) {
                let mut full: Vec<usize> = idx.slice().to_vec();
                full.insert(k, 0);
                let lane = (0..n)
                    .map(|i| {
                        full[k] = i;
                        x[full.as_slice()]
                    })
                    .collect();
                lanes.push(lane);
            }
            if keepdims {
                out_shape.insert(k, 1);
            }
            (out_shape, lanes)
        }
    }
}
