//! Number formatting for humans: short, exact where the value is exact, never `32.000000`.
//!
//! - integers-valued floats print as integers (`32`, `-2`), `-0` as `0`;
//! - other values of moderate size print with up to 4 decimals, trailing zeros trimmed
//!   (`0.9992`, `0.6`, `45`);
//! - very small or very large values print in scientific notation (`2.2e-16`, `1.235e+09`);
//! - counts print with thousands separators (`589,824`).

/// Formats a float for a table cell or a sentence.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let ax = x.abs();
    if ax < 1e15 && x.fract() == 0.0 {
        return format!("{x:.0}");
    }
    if !(1e-4..1e7).contains(&ax) {
        return sci(x);
    }
    let s = trim_zeros(format!("{x:.4}"));
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// Scientific notation with 4 significant digits, trailing zeros of the mantissa trimmed.
fn sci(x: f64) -> String {
    let s = format!("{x:.3e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let mantissa = trim_zeros(mantissa.to_string());
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Formats a count with thousands separators: `589824` → `589,824`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a shape as NumPy prints it: `(2, 3)`, `(3,)`, `()`.
pub fn shape(dims: &[usize]) -> String {
    match dims {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => {
            let inner: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            format!("({})", inner.join(", "))
        }
    }
}

/// Formats a vector on one line: `[3, 0]`.
pub fn vector(values: &[f64]) -> String {
    let inner: Vec<String> = values.iter().map(|&v| num(v)).collect();
    format!("[{}]", inner.join(", "))
}

/// Formats a matrix as lines with columns aligned on the right, NumPy style:
/// `[[ 58,  64],` / ` [139, 154]]`.
pub fn matrix_lines(rows: &[Vec<f64>]) -> Vec<String> {
    if rows.is_empty() {
        return vec!["[]".to_string()];
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|&v| num(v)).collect())
        .collect();
    let ncols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..ncols)
        .map(|j| {
            cells
                .iter()
                .filter_map(|r| r.get(j))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let last = cells.len() - 1;
    cells
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let inner: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(s, &w)| format!("{s:>w$}"))
                .collect();
            let open = if i == 0 { "[[" } else { " [" };
            let close = if i == last { "]]" } else { "]," };
            format!("{open}{}{close}", inner.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(32.0), "32");
        assert_eq!(num(-2.0), "-2");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.6), "0.6");
        assert_eq!(num(0.99923), "0.9992");
        assert_eq!(num(45.000000001), "45");
        assert_eq!(num(-1e-17), "-1e-17");
        assert_eq!(num(2.220446049250313e-16), "2.22e-16");
        assert_eq!(num(-0.00001234), "-1.234e-05");
        assert_eq!(num(1234567891.5), "1.235e+09");
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(num(f64::NEG_INFINITY), "-inf");
        assert_eq!(num(-0.00004), "-4e-05");
    }

    #[test]
    fn counts_and_shapes() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(12288), "12,288");
        assert_eq!(count(589824), "589,824");
        assert_eq!(count(16777216), "16,777,216");
        assert_eq!(shape(&[]), "()");
        assert_eq!(shape(&[32]), "(32,)");
        assert_eq!(shape(&[32, 768]), "(32, 768)");
    }

    #[test]
    fn matrices() {
        let m = matrix_lines(&[vec![58.0, 64.0], vec![139.0, 154.0]]);
        assert_eq!(m, vec!["[[ 58,  64],", " [139, 154]]"]);
        assert_eq!(matrix_lines(&[vec![1.0, 2.0]]), vec!["[[1, 2]]"]);
        assert_eq!(vector(&[3.0, 0.0]), "[3, 0]");
    }
}
