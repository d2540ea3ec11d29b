//! Small conversions from arrays to report cells and figure points, shared by the sections.

use crate::report::Cell;
use mlinalg::ndarray::{ArrayBase, Data, Dimension};
use mlinalg::Scalar;

/// The elements in row-major order, as f64.
pub fn flat<T: Scalar, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Vec<f64> {
    a.iter().map(|&x| x.as_f64()).collect()
}

/// A 1-D array (or any array, flattened) as a vector cell.
pub fn vector<T: Scalar, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Cell {
    Cell::Vector(flat(a))
}

/// A 2-D array as a matrix cell (other ranks fall back to a flat vector).
pub fn matrix<T: Scalar, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Cell {
    match a.shape() {
        &[_, cols] if cols > 0 => {
            let v = flat(a);
            Cell::Matrix(v.chunks(cols).map(<[f64]>::to_vec).collect())
        }
        _ => vector(a),
    }
}

/// The shape as a cell.
pub fn shape<T, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Cell {
    Cell::Shape(a.shape().to_vec())
}

/// The first two elements of a vector as a 2-D point (missing ones are 0).
pub fn xy<T: Scalar, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> (f64, f64) {
    let mut it = a.iter().map(|&x| x.as_f64());
    (it.next().unwrap_or(0.0), it.next().unwrap_or(0.0))
}

/// A text cell.
pub fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// An n-d result known to be 1-D (e.g. from a broadcast op on vectors) as an `Array1`.
pub fn to1<T>(a: mlinalg::ndarray::ArrayD<T>) -> mlinalg::Result<mlinalg::ndarray::Array1<T>> {
    let shape = a.shape().to_vec();
    a.into_dimensionality()
        .map_err(|_| not_rank("tour", &shape, 1))
}

/// An n-d result known to be 2-D (e.g. from `matmul`) as an `Array2`.
pub fn to2<T>(a: mlinalg::ndarray::ArrayD<T>) -> mlinalg::Result<mlinalg::ndarray::Array2<T>> {
    let shape = a.shape().to_vec();
    a.into_dimensionality()
        .map_err(|_| not_rank("tour", &shape, 2))
}

fn not_rank(op: &'static str, shape: &[usize], rank: usize) -> mlinalg::Error {
    mlinalg::Error::new(
        mlinalg::ErrorKind::Shape,
        op,
        format!(
            "expected a {rank}-D array, got shape {}",
            mlinalg::error::fmt_shape(shape)
        ),
    )
    .with_shapes([shape])
}
