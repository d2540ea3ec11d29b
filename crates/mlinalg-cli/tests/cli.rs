//! Runs the real `mlinalg` binary: exit codes, help, the tour's text, JSON and HTML.

use std::path::Path;
use std::process::{Command, Output};

fn mlinalg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlinalg"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tour(dir: &Path, extra: &[&str]) -> Output {
    let out = dir.to_str().expect("utf-8 temp path");
    let mut args = vec!["tour", "--out", out];
    args.extend_from_slice(extra);
    mlinalg(&args)
}

#[test]
fn help_documents_the_tour() {
    let o = mlinalg(&["--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("tour"));
    let o = mlinalg(&["tour", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for flag in ["--out", "--quiet", "--json", "Examples:"] {
        assert!(help.contains(flag), "tour --help lacks {flag}:\n{help}");
    }
}

#[test]
fn version_exits_zero() {
    let o = mlinalg(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("mlinalg "));
}

#[test]
fn bad_flag_is_a_usage_error_with_one_line() {
    let o = mlinalg(&["tour", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected:\n{err}"
    );
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let o = mlinalg(&["no-such-command"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1);
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    let o = mlinalg(&[]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn unwritable_output_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let o = tour(&file, &["--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("a-file"), "{err}");
}

#[test]
fn tour_prints_sections_and_writes_html() {
    let dir = tempfile::tempdir().unwrap();
    let o = tour(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let headings = [
        "Vectors: addition and scaling",
        "Norms: measuring length",
        "Dot product, cosine similarity and angle",
        "Projection: decomposing a vector along another",
        "Matrices as transformations, and their composition",
        "Transpose, symmetric matrices and the identity",
        "Rank and the LoRA parameter count",
        "Hadamard product versus matrix product",
        "Outer product: from two vectors to a matrix",
        "Broadcasting: NumPy's shape extension rules",
        "Tensors: shapes, reshape, permute, squeeze",
        "einsum: every contraction in one notation",
        "Softmax: scores into probabilities",
        "Attention, step by step",
        "Linear layers, and why they need activations",
        "LoRA: fine-tuning through a low-rank update",
        "Embeddings: meaning as position",
        "High dimensions: volume at the surface, distances that concentrate",
        "Nearest neighbours: exact against approximate",
        "Eigenvectors: the directions a matrix only stretches",
        "PCA: principal axes of correlated data",
        "The SVD and the best low-rank approximation",
        "Compressing a photo with the SVD",
        "The spectrum of a weight matrix, and LoRA",
    ];
    for h in headings {
        assert!(text.contains(h), "missing heading {h:?}:\n{text}");
    }
    // Key numbers of the seeds, as computed by the library.
    let numbers = [
        "[4, 1]",                                                               // a + b
        "[-2, -4]",                                                             // -2a
        "[0.6, -0.8, 0]",                                                       // unit vector
        "32",                                                                   // dot
        "45",                                                                   // angle
        "[3, 0]",                                                               // projection
        "[0, 4]",                                                               // perpendicular
        "[2, 7, 5]",                                                            // W @ x
        "[[ 58,  64],",                                                         // matmul row 1
        " [139, 154]]",                                                         // matmul row 2
        "matmul: shapes (2, 3) and (4, 2) cannot be multiplied: 3 != 4",        // the error
        "12,288",                                                               // LoRA params
        "589,824",                                                              // dense params
        "[[ 5, 12],",                                                           // Hadamard
        "[[19, 22],",                                                           // matmul
        "[[ 4,  5],",                                                           // outer
        "operands could not be broadcast together with shapes (32, 768) (32,)", // broadcast error
        "(8, 12, 512, 64)",                                                     // permute
        "786,432",                                                              // numel
        "[0.7071, 0.7071]",      // eigh of [[3,1],[1,3]]
        "2.5  [0.8944, 0.4472]", // eig: λ = 2.5
        "96.9%",                 // PC1 explains
        "[9.5255, 0.5143]",      // σ of [[1,2],[3,4],[5,6]]
        "99.71%",                // σ₁'s energy
        "16,777,216",            // 4096² parameters
        "(8, 12, 128, 128)",     // einsum('bhid,bhjd->bhij')
        "(32, 128, 2048)",       // einsum('bsd,df->bsf')
        "0.659",                 // softmax([2, 1, 0.1])[0]
        "0.2424",                // softmax([2, 1, 0.1])[1]
        "0.0986",                // softmax([2, 1, 0.1])[2]
        "(4, 3072)",             // (4, 768) @ (768, 3072) + b
        "65,536",                // LoRA r = 8 on 4096²
        "256×",                  // its reduction
        "[3, 1, -1, -1]",        // Wᵀg
        "0.9801",                // 0.99² of a disk's area inside 0.99·R
        "99.96%",                // the outer 1% shell of a 768-ball
        "1.4142",                // one-hot distance √2
    ];
    for n in numbers {
        assert!(text.contains(n), "missing {n:?}:\n{text}");
    }
    let html = std::fs::read_to_string(dir.path().join("index.html")).expect("index.html written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 3, "at least three figures");
    assert!(
        html.contains("data:image/png;base64,"),
        "the photo strip is embedded"
    );
    assert!(html.contains("Rank and the LoRA parameter count"));
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "self-contained"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("index.html")],
        "no temporary files left"
    );
}

#[test]
fn tour_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = tour(dir.path(), &["--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(dir.path().join("index.html").exists());
}

#[test]
fn tour_json_has_stable_keys() {
    let dir = tempfile::tempdir().unwrap();
    let o = tour(dir.path(), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON on stdout");
    let sections = v["sections"].as_array().expect("sections array");
    assert!(!sections.is_empty());
    for s in sections {
        for key in [
            "id",
            "title",
            "explanation",
            "tables",
            "notes",
            "errors",
            "figures",
        ] {
            assert!(s.get(key).is_some(), "section lacks {key}: {s}");
        }
    }
    let ids: Vec<&str> = sections.iter().filter_map(|s| s["id"].as_str()).collect();
    for id in ["norms", "eigen", "pca", "svd", "photo", "spectrum"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(v["html"]
        .as_str()
        .is_some_and(|p| p.ends_with("index.html")));
}
