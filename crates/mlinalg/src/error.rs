//! The one error type of mlinalg: what went wrong ([`ErrorKind`]), in which operation, on which shapes.
//!
//! Every fallible function returns [`Result`]. The message names the operation and the shapes
//! involved, so it can be shown to a user as it is:
//!
//! ```
//! use mlinalg::{matrix, ErrorKind};
//! use ndarray::array;
//!
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let b = ndarray::Array2::<f64>::zeros((4, 2));
//! let err = matrix::mm(&a, &b).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Shape);
//! assert_eq!(err.operation(), "matmul");
//! assert_eq!(err.shapes(), &[vec![2, 3], vec![4, 2]]);
//! assert_eq!(
//!     err.to_string(),
//!     "matmul: shapes (2, 3) and (4, 2) cannot be multiplied: 3 != 4"
//! );
//! ```

use std::fmt;

/// The result type of every fallible mlinalg function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The category of an [`Error`]: what a caller may want to branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Operand shapes do not fit the operation (matmul inner dimensions, reshape sizes, ...).
    Shape,
    /// Operands could not be broadcast together under NumPy's rules.
    Broadcast,
    /// An axis or index is out of range for the array's number of dimensions.
    Axis,
    /// A scalar argument is out of its domain (a negative `ddof`, a zero tolerance, ...).
    InvalidArgument,
    /// The matrix is singular (or numerically so) where an invertible one is needed.
    Singular,
    /// A vector of length zero where a direction is needed (normalising, angles, projection).
    ZeroVector,
    /// NaN or infinity where only finite values are accepted.
    NonFinite,
    /// A matrix that must be symmetric positive definite is not (Cholesky found a pivot <= 0).
    NotPositiveDefinite,
    /// An iterative algorithm did not converge.
    NoConvergence,
    /// The input is empty where at least one element is needed.
    Empty,
    /// Reading or writing a file failed.
    Io,
    /// A file's content is malformed.
    Format,
}

/// An mlinalg error: the [`ErrorKind`], the operation that failed, the shapes of its operands
/// and a message for humans.
///
/// The type is opaque; its parts are read through accessors.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    operation: &'static str,
    shapes: Vec<Vec<usize>>,
    message: String,
}

impl Error {
    /// Creates an error. `message` should make sense after "`operation`: ".
    pub fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            operation,
            shapes: Vec::new(),
            message: message.into(),
        }
    }

    /// Attaches the shapes of the operands involved.
    #[must_use]
    pub fn with_shapes<I, S>(mut self, shapes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[usize]>,
    {
        self.shapes = shapes.into_iter().map(|s| s.as_ref().to_vec()).collect();
        self
    }

    /// The category of the error.
    ///
    /// ```
    /// use mlinalg::{vector, ErrorKind};
    /// let err = vector::normalize(&ndarray::array![0.0_f64, 0.0]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ZeroVector);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The name of the operation that failed, as the function is called (`"matmul"`, `"solve"`).
    ///
    /// ```
    /// let err = mlinalg::vector::dot(&ndarray::array![1.0_f64, 2.0], &ndarray::array![1.0]).unwrap_err();
    /// assert_eq!(err.operation(), "dot");
    /// ```
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The shapes of the operands involved, in argument order (empty when none apply).
    ///
    /// ```
    /// let err = mlinalg::vector::dot(&ndarray::array![1.0_f64, 2.0], &ndarray::array![1.0]).unwrap_err();
    /// assert_eq!(err.shapes(), &[vec![2], vec![1]]);
    /// ```
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// The message without the operation prefix.
    ///
    /// ```
    /// let err = mlinalg::vector::dot(&ndarray::array![1.0_f64, 2.0], &ndarray::array![1.0]).unwrap_err();
    /// assert!(err.message().contains("(2,)"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    // Constructors for the common cases, used throughout the crate.

    /// A [`ErrorKind::Shape`] error.
    pub(crate) fn shape(operation: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Shape, operation, message)
    }

    /// A [`ErrorKind::Axis`] error for `axis` on an array of `ndim` dimensions.
    pub(crate) fn axis(operation: &'static str, axis: isize, ndim: usize) -> Self {
        Error::new(
            ErrorKind::Axis,
            operation,
            format!("axis {axis} is out of bounds for array of dimension {ndim}"),
        )
    }

    /// A [`ErrorKind::InvalidArgument`] error.
    pub(crate) fn invalid(operation: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, operation, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl std::error::Error for Error {}

/// Formats a shape as Python prints a tuple: `()`, `(3,)`, `(2, 3)`.
///
/// ```
/// assert_eq!(mlinalg::error::fmt_shape(&[32, 768]), "(32, 768)");
/// assert_eq!(mlinalg::error::fmt_shape(&[32]), "(32,)");
/// assert_eq!(mlinalg::error::fmt_shape(&[]), "()");
/// ```
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Resolves a possibly negative `axis` (Python style: -1 is the last) against `ndim` dimensions.
///
/// ```
/// assert_eq!(mlinalg::error::normalize_axis("sum", -1, 3), Ok(2));
/// assert!(mlinalg::error::normalize_axis("sum", 3, 3).is_err());
/// ```
pub fn normalize_axis(operation: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    let resolved = if axis < 0 { axis + n } else { axis };
    if resolved < 0 || resolved >= n {
        return Err(Error::axis(operation, axis, ndim));
    }
    Ok(resolved as usize)
}
