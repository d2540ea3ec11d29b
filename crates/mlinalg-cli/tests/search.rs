//! Runs `mlinalg search build|query|eval` on the real embeddings of ../shared/data (skipped with a
//! message when absent) and on generated .npy files: files written, JSON keys, exact results
//! against the ground truth, and one-line errors with status 1.

use mlinalg::io::{read_npy_i64, write_npy};
use mlinalg::ndarray::{Array2, Ix2};
use mlinalg::random::Rng;
use serde_json::Value;

mod common;

use common::{json_of, mlinalg, one_line_error, s, shared};

#[test]
fn build_query_eval_on_the_real_embeddings() {
    let (Some(base), Some(queries), Some(gt)) = (
        shared("embeddings_base.npy"),
        shared("embeddings_queries.npy"),
        shared("embeddings_gt_top100.npy"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("base.idx");
    let v = json_of(&mlinalg(&[
        "search",
        "build",
        s(&base),
        "-o",
        s(&index),
        "--metric",
        "cosine",
        "--json",
        "--quiet",
    ]));
    assert_eq!(
        (v["n"].as_u64(), v["dim"].as_u64(), v["kind"].as_str()),
        (Some(2000), Some(384), Some("flat"))
    );
    let ids = dir.path().join("ids.npy");
    let scores = dir.path().join("scores.npy");
    let v = json_of(&mlinalg(&[
        "search",
        "query",
        s(&index),
        s(&queries),
        "-k",
        "10",
        "-o",
        s(&ids),
        "--distances",
        s(&scores),
        "--json",
    ]));
    assert_eq!(
        (v["n_queries"].as_u64(), v["k"].as_u64()),
        (Some(100), Some(10))
    );
    assert!(
        v["seconds"].as_f64().unwrap() > 0.0 && v["queries_per_second"].as_f64().unwrap() > 0.0
    );
    let found: Array2<i64> = read_npy_i64::<Ix2>(&ids).unwrap();
    let truth: Array2<i64> = read_npy_i64::<Ix2>(&gt).unwrap();
    assert_eq!(found.dim(), (100, 10));
    let recall = mlinalg::search::recall_at_k(&found, &truth, 10).unwrap();
    assert!(recall >= 0.999, "exact search recall@10 {recall}");
    let v = json_of(&mlinalg(&[
        "search",
        "eval",
        s(&base),
        s(&queries),
        "-k",
        "10",
        "--gt",
        s(&gt),
        "--json",
        "--quiet",
    ]));
    assert!(v["build"].is_object());
    let results = v["results"].as_array().unwrap();
    let flat = results.iter().find(|r| r["index"] == "flat").unwrap();
    assert!(flat["recall_at_k"].as_f64().unwrap() >= 0.999);
    for r in results {
        for key in ["index", "ef", "recall_at_k", "queries_per_second"] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r}");
        }
    }
    // HNSW: built, queried (at the default ef and a given one) and evaluated per ef.
    let graph = dir.path().join("graph.idx");
    let v = json_of(&mlinalg(&[
        "search",
        "build",
        s(&base),
        "-o",
        s(&graph),
        "--hnsw",
        "--m",
        "16",
        "--ef-construction",
        "200",
        "--json",
        "--quiet",
    ]));
    assert_eq!(v["kind"].as_str(), Some("hnsw"));
    let graph_ids = dir.path().join("graph_ids.npy");
    json_of(&mlinalg(&[
        "search",
        "query",
        s(&graph),
        s(&queries),
        "-k",
        "10",
        "-o",
        s(&graph_ids),
        "--json",
    ]));
    let found: Array2<i64> = read_npy_i64::<Ix2>(&graph_ids).unwrap();
    let recall = mlinalg::search::recall_at_k(&found, &truth, 10).unwrap();
    assert!(recall >= 0.95, "HNSW recall@10 at the default ef: {recall}");
    json_of(&mlinalg(&[
        "search",
        "query",
        s(&graph),
        s(&queries),
        "-k",
        "10",
        "-o",
        s(&graph_ids),
        "--ef",
        "16",
        "--json",
    ]));
    let v = json_of(&mlinalg(&[
        "search",
        "eval",
        s(&base),
        s(&queries),
        "-k",
        "10",
        "--gt",
        s(&gt),
        "--ef",
        "16,64",
        "--json",
        "--quiet",
    ]));
    let hnsw: Vec<&Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["index"] == "hnsw")
        .collect();
    assert_eq!(
        hnsw.iter()
            .map(|r| r["ef"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![16, 64]
    );
    assert!(hnsw[1]["recall_at_k"].as_f64().unwrap() >= 0.95);
    assert!(v["build"]["hnsw"]["seconds"].as_f64().is_some());

    // PCA-reduced: built, queried through the same command, and evaluated.
    let reduced = dir.path().join("reduced.idx");
    let v = json_of(&mlinalg(&[
        "search",
        "build",
        s(&base),
        "-o",
        s(&reduced),
        "--pca",
        "64",
        "--json",
        "--quiet",
    ]));
    assert_eq!(v["kind"].as_str(), Some("pca"));
    let reduced_ids = dir.path().join("reduced_ids.npy");
    json_of(&mlinalg(&[
        "search",
        "query",
        s(&reduced),
        s(&queries),
        "-k",
        "10",
        "-o",
        s(&reduced_ids),
        "--json",
    ]));
    let found: Array2<i64> = read_npy_i64::<Ix2>(&reduced_ids).unwrap();
    let recall = mlinalg::search::recall_at_k(&found, &truth, 10).unwrap();
    assert!(recall >= 0.9, "PCA-64 recall@10 {recall}");
    let v = json_of(&mlinalg(&[
        "search",
        "eval",
        s(&base),
        s(&queries),
        "-k",
        "10",
        "--pca",
        "64",
        "--json",
        "--quiet",
    ]));
    assert!(v["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["index"] == "pca64"));
    assert!(v["build"]["pca"]["seconds"].as_f64().is_some());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "base.idx",
            "graph.idx",
            "graph_ids.npy",
            "ids.npy",
            "reduced.idx",
            "reduced_ids.npy",
            "scores.npy"
        ],
        "nothing else written"
    );
}

#[test]
fn generated_l2_base_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let base: Array2<f64> = Rng::seed(1).normal_matrix(500, 12).unwrap();
    let base_path = dir.path().join("base.npy");
    write_npy(&base_path, &base).unwrap();
    let queries_path = dir.path().join("q.npy");
    write_npy(
        &queries_path,
        &base.slice(mlinalg::ndarray::s![0..5, ..]).to_owned(),
    )
    .unwrap();
    let index = dir.path().join("b.idx");
    json_of(&mlinalg(&[
        "search",
        "build",
        s(&base_path),
        "-o",
        s(&index),
        "--metric",
        "l2",
        "--json",
    ]));
    let ids = dir.path().join("ids.npy");
    json_of(&mlinalg(&[
        "search",
        "query",
        s(&index),
        s(&queries_path),
        "-k",
        "3",
        "-o",
        s(&ids),
        "--json",
    ]));
    let found: Array2<i64> = read_npy_i64::<Ix2>(&ids).unwrap();
    for i in 0..5 {
        assert_eq!(
            found[[i, 0]],
            i as i64,
            "each base vector is its own nearest neighbour"
        );
    }
}

#[test]
fn search_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let base_path = dir.path().join("base.npy");
    write_npy(&base_path, &Array2::<f32>::ones((4, 3))).unwrap();
    let index = dir.path().join("b.idx");
    let err = one_line_error(&mlinalg(&[
        "search",
        "build",
        s(&base_path),
        "-o",
        s(&index),
        "--metric",
        "manhattan",
    ]));
    assert!(err.contains("unknown metric"), "{err}");
    let zero = dir.path().join("zero.npy");
    write_npy(&zero, &Array2::<f32>::zeros((2, 3))).unwrap();
    let err = one_line_error(&mlinalg(&["search", "build", s(&zero), "-o", s(&index)]));
    assert!(err.contains("zero"), "{err}");
    assert!(!index.exists(), "no index written on failure");
    let err = one_line_error(&mlinalg(&[
        "search",
        "query",
        s(&base_path),
        s(&base_path),
        "-o",
        s(&dir.path().join("x.npy")),
    ]));
    assert!(err.contains("not an mlinalg index"), "{err}");
    json_of(&mlinalg(&[
        "search",
        "build",
        s(&base_path),
        "-o",
        s(&index),
        "--json",
    ]));
    let wrong_dim = dir.path().join("q.npy");
    write_npy(&wrong_dim, &Array2::<f32>::ones((2, 5))).unwrap();
    let err = one_line_error(&mlinalg(&[
        "search",
        "query",
        s(&index),
        s(&wrong_dim),
        "-o",
        s(&dir.path().join("x.npy")),
    ]));
    assert!(err.contains("(2, 5)"), "{err}");
    let truncated = dir.path().join("t.idx");
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = one_line_error(&mlinalg(&[
        "search",
        "query",
        s(&truncated),
        s(&base_path),
        "-o",
        s(&dir.path().join("x.npy")),
    ]));
    assert!(err.contains("truncated or corrupted"), "{err}");
    let err = one_line_error(&mlinalg(&[
        "search",
        "eval",
        s(&base_path),
        s(&base_path),
        "-k",
        "10",
    ]));
    assert!(err.contains("fewer than k"), "{err}");
}
