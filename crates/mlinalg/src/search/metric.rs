//! The similarity measures of a vector index.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// How an index compares vectors. Scores follow FAISS's conventions: similarities for
/// [`Metric::Cosine`] and [`Metric::Dot`] (larger is nearer), squared Euclidean distances for
/// [`Metric::L2`] (smaller is nearer).
///
/// ```
/// use mlinalg::search::Metric;
/// assert_eq!("cosine".parse::<Metric>()?, Metric::Cosine);
/// assert!(Metric::Dot.higher_is_nearer() && !Metric::L2.higher_is_nearer());
/// assert!("manhattan".parse::<Metric>().is_err());
/// # Ok::<(), mlinalg::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Cosine similarity: the dot product of the normalised vectors, in [−1, 1]. The index stores
    /// normalised vectors, so a zero vector cannot be added.
    Cosine,
    /// Inner product (maximum inner product search), as FAISS's `IndexFlatIP`.
    Dot,
    /// Squared Euclidean distance, as FAISS's `IndexFlatL2`.
    L2,
}

impl Metric {
    /// Whether a larger score means a nearer vector (true for similarities, false for L2).
    pub fn higher_is_nearer(self) -> bool {
        !matches!(self, Metric::L2)
    }

    /// The name used on the command line and in files: `cosine`, `dot`, `l2`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::L2 => "l2",
        }
    }

    /// The code stored in index files.
    pub(crate) fn code(self) -> u32 {
        match self {
            Metric::Cosine => 1,
            Metric::Dot => 2,
            Metric::L2 => 3,
        }
    }

    pub(crate) fn from_code(code: u32) -> Option<Metric> {
        match code {
            1 => Some(Metric::Cosine),
            2 => Some(Metric::Dot),
            3 => Some(Metric::L2),
            _ => None,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = Error;

    fn from_str(s: &str) -> Result<Metric> {
        match s.to_ascii_lowercase().as_str() {
            "cosine" | "cos" => Ok(Metric::Cosine),
            "dot" | "ip" | "inner_product" => Ok(Metric::Dot),
            "l2" | "euclidean" => Ok(Metric::L2),
            _ => Err(Error::invalid(
                "Metric::from_str",
                format!("unknown metric {s:?}: expected cosine, dot or l2"),
            )),
        }
    }
}
