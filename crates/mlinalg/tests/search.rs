//! Tests of `mlinalg::search`: exact search against a float64 brute-force reference (ties to the
//! lower id), the ground truth of ../shared/data's embeddings (skipped with a message when
//! absent), filters, removal, range search, memory-mapped bases, and the index file format
//! (round trip, truncation, corruption, lying headers).

mod common;

use mlinalg::io::{read_npy, read_npy_i64, write_npy};
use mlinalg::random::Rng;
use mlinalg::search::{recall_at_k, FlatIndex, IndexScalar, Metric};
use mlinalg::ErrorKind;
use ndarray::{array, s, Array2, Ix2};
use std::path::PathBuf;

fn shared_data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mlinalg-search-{}-{name}", std::process::id()))
}

/// The exact top-k by a float64 brute force: goodness (larger is nearer) then lower id.
fn reference<T: IndexScalar>(
    base: &Array2<T>,
    ids: &[u64],
    queries: &Array2<T>,
    metric: Metric,
    k: usize,
) -> Vec<Vec<(u64, f64)>> {
    let b: Array2<f64> = base.mapv(|v| v.as_f64());
    let q: Array2<f64> = queries.mapv(|v| v.as_f64());
    q.rows()
        .into_iter()
        .map(|qr| {
            let mut all: Vec<(u64, f64)> = b
                .rows()
                .into_iter()
                .zip(ids)
                .map(|(br, &id)| {
                    let dot: f64 = qr.dot(&br);
                    let score = match metric {
                        Metric::Dot => dot,
                        Metric::Cosine => dot / (qr.dot(&qr).sqrt() * br.dot(&br).sqrt()),
                        Metric::L2 => (&qr - &br).mapv(|d| d * d).sum(),
                    };
                    (id, score)
                })
                .collect();
            all.sort_by(|a, b| {
                let ord = if metric.higher_is_nearer() {
                    b.1.total_cmp(&a.1)
                } else {
                    a.1.total_cmp(&b.1)
                };
                ord.then(a.0.cmp(&b.0))
            });
            all.truncate(k);
            all
        })
        .collect()
}

/// Compares ids position by position, allowing swaps between neighbours whose reference scores
/// differ by less than `tie` (rounding of the GEMM in `T`), and scores to `tol`.
fn check_against_reference<T: IndexScalar>(
    got: &mlinalg::search::SearchResults<T>,
    want: &[Vec<(u64, f64)>],
    tie: f64,
    tol: f64,
) {
    for (qi, w) in want.iter().enumerate() {
        for (j, &(id, score)) in w.iter().enumerate() {
            let got_id = got.ids[[qi, j]];
            let got_score = got.scores[[qi, j]].as_f64();
            assert!(
                (got_score - score).abs() <= tol * (1.0 + score.abs()),
                "query {qi} rank {j}: score {got_score} vs {score}"
            );
            if got_id != id as i64 {
                let other = w.iter().find(|(i, _)| *i as i64 == got_id).map(|p| p.1);
                assert!(
                    other.is_some_and(|o| (o - score).abs() <= tie),
                    "query {qi} rank {j}: id {got_id} vs {id} (scores {other:?} vs {score})"
                );
            }
        }
    }
}

#[test]
fn exact_search_matches_a_float64_brute_force() {
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let mut rng = Rng::seed(17);
        let base: Array2<f64> = rng.normal_matrix(700, 24).unwrap();
        let queries: Array2<f64> = rng.normal_matrix(33, 24).unwrap();
        // Shuffled, non-contiguous ids.
        let ids: Vec<u64> = (0..700u64).map(|i| (i * 7919) % 10007).collect();
        let mut index = FlatIndex::new(24, metric).unwrap();
        index.add_with_ids(&base, &ids).unwrap();
        for k in [1, 10, 700] {
            let got = index.search(&queries, k).unwrap();
            check_against_reference(
                &got,
                &reference(&base, &ids, &queries, metric, k),
                1e-12,
                1e-12,
            );
        }
        // f32: the same data, scores to f32 rounding.
        let base32 = base.mapv(|v| v as f32);
        let queries32 = queries.mapv(|v| v as f32);
        let mut index = FlatIndex::new(24, metric).unwrap();
        index.add_with_ids(&base32, &ids).unwrap();
        let got = index.search(&queries32, 10).unwrap();
        check_against_reference(
            &got,
            &reference(&base32, &ids, &queries32, metric, 10),
            1e-4,
            1e-5,
        );
    }
}

#[test]
fn ties_go_to_the_lower_id_and_missing_results_are_minus_one() {
    let mut index = FlatIndex::<f32>::new(2, Metric::Dot).unwrap();
    index
        .add_with_ids(
            &array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
            &[9, 3, 5, 1],
        )
        .unwrap();
    let hits = index.search(&array![[1.0, 0.0]], 6).unwrap();
    assert_eq!(hits.ids.row(0).to_vec(), vec![3, 5, 9, 1, -1, -1]);
    assert_eq!(hits.scores[[0, 5]], f32::NEG_INFINITY);
    let hits = index.search(&array![[1.0, 0.0]], 0).unwrap();
    assert_eq!(hits.ids.dim(), (1, 0));
    let l2 = FlatIndex::<f32>::new(2, Metric::L2).unwrap();
    let hits = l2.search(&array![[1.0, 0.0]], 2).unwrap();
    assert_eq!(hits.ids.row(0).to_vec(), vec![-1, -1]);
    assert_eq!(hits.scores[[0, 0]], f32::INFINITY);
}

#[test]
fn many_queries_span_several_chunks_and_blocks() {
    // 5000 queries (two chunks of 4096) against 3000 vectors (several base blocks).
    let mut rng = Rng::seed(3);
    let base: Array2<f32> = rng.normal_matrix(3000, 8).unwrap();
    let queries: Array2<f32> = rng.normal_matrix(5000, 8).unwrap();
    let mut index = FlatIndex::new(8, Metric::L2).unwrap();
    index.add(&base).unwrap();
    let got = index.search(&queries, 3).unwrap();
    let ids: Vec<u64> = (0..3000).collect();
    let sample = queries.slice(s![4090..4110, ..]).to_owned();
    let want = reference(&base, &ids, &sample, Metric::L2, 3);
    let got_sample = mlinalg::search::SearchResults {
        ids: got.ids.slice(s![4090..4110, ..]).to_owned(),
        scores: got.scores.slice(s![4090..4110, ..]).to_owned(),
    };
    check_against_reference(&got_sample, &want, 1e-4, 1e-5);
}

#[test]
fn shared_embeddings_match_their_ground_truth() {
    let (b, q, gt) = (
        shared_data("embeddings_base.npy"),
        shared_data("embeddings_queries.npy"),
        shared_data("embeddings_gt_top100.npy"),
    );
    if !b.exists() {
        eprintln!("skipping: {} absent", b.display());
        return;
    }
    let base: Array2<f32> = read_npy::<f32, Ix2>(&b).unwrap();
    let queries: Array2<f32> = read_npy::<f32, Ix2>(&q).unwrap();
    let truth: Array2<i64> = read_npy_i64::<Ix2>(&gt).unwrap();
    let mut index = FlatIndex::new(base.ncols(), Metric::Cosine).unwrap();
    index.add(&base).unwrap();
    let hits = index.search(&queries, 100).unwrap();
    let recall = recall_at_k(&hits.ids, &truth, 100).unwrap();
    let recall10 = recall_at_k(&hits.ids, &truth, 10).unwrap();
    eprintln!("flat cosine on the shared embeddings: recall@100 {recall}, recall@10 {recall10}");
    // f32 against the float64 ground truth: only near-ties (the data README warns of them) may swap.
    assert!(
        recall >= 0.999 && recall10 >= 0.999,
        "recall@100 {recall}, recall@10 {recall10}"
    );
    // The memory-mapped base gives the same answer.
    let mapped = FlatIndex::<f32>::open_npy(&b, Metric::Cosine).unwrap();
    let hits_mapped = mapped.search(&queries, 100).unwrap();
    assert_eq!(recall_at_k(&hits_mapped.ids, &hits.ids, 100).unwrap(), 1.0);
}

#[test]
fn filters_removal_and_range_search() {
    let mut rng = Rng::seed(5);
    let base: Array2<f64> = rng.normal_matrix(200, 6).unwrap();
    let mut index = FlatIndex::new(6, Metric::Cosine).unwrap();
    let ids = index.add(&base).unwrap();
    assert_eq!(ids, (0..200).collect::<Vec<u64>>());
    let q = base.slice(s![0..3, ..]).to_owned();
    let even = index.search_filtered(&q, 5, |id| id % 2 == 0).unwrap();
    assert!(even.ids.iter().all(|&id| id % 2 == 0));
    assert_eq!(even.ids[[0, 0]], 0);
    assert_eq!(index.remove(&[0, 1, 1000]), 2);
    assert_eq!(index.len(), 198);
    let hits = index.search(&q, 5).unwrap();
    assert!(hits.ids.iter().all(|&id| id != 0 && id != 1));
    assert_eq!(hits.ids[[2, 0]], 2);
    // Range: everything with cosine >= 0.5 to query 2, checked against the brute force.
    let found = index.range_search(&q.slice(s![2..3, ..]), 0.5).unwrap();
    let all = reference(
        &base,
        &(0..200).collect::<Vec<_>>(),
        &q.slice(s![2..3, ..]).to_owned(),
        Metric::Cosine,
        200,
    );
    let want: Vec<u64> = all[0]
        .iter()
        .filter(|(id, s)| *s >= 0.5 && *id > 1)
        .map(|p| p.0)
        .collect();
    let got: Vec<u64> = found[0].iter().map(|n| n.id).collect();
    assert_eq!(got, want);
    // New ids continue after the largest; re-adding a removed id is allowed.
    assert_eq!(index.add(&base.slice(s![0..1, ..])).unwrap(), vec![200]);
    index.add_with_ids(&base.slice(s![1..2, ..]), &[1]).unwrap();
    assert!(index.contains(1) && !index.contains(0));
}

#[test]
fn bad_inputs_are_errors_and_change_nothing() {
    let mut index = FlatIndex::<f32>::new(3, Metric::Cosine).unwrap();
    index.add(&array![[1.0, 2.0, 3.0]]).unwrap();
    let err = index.add(&array![[1.0, 2.0]]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    let err = index
        .add(&array![[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ZeroVector);
    assert_eq!(index.len(), 1, "nothing added from a failed batch");
    let err = index.add(&array![[f32::NAN, 0.0, 0.0]]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NonFinite);
    let err = index
        .add_with_ids(&array![[1.0, 0.0, 0.0]], &[0])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = index
        .add_with_ids(&array![[1.0, 0.0, 0.0]], &[u64::MAX])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = index.search(&array![[1.0, 0.0]], 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FlatIndex::search: queries (1, 2) do not have the index's dimension 3"
    );
    assert_eq!(
        index
            .search(&array![[0.0, 0.0, 0.0]], 1)
            .unwrap_err()
            .kind(),
        ErrorKind::ZeroVector
    );
    assert_eq!(
        FlatIndex::<f32>::new(0, Metric::L2).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        index
            .range_search(&array![[1.0, 0.0, 0.0]], f32::NAN)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn index_files_round_trip_and_reject_damage() {
    let mut rng = Rng::seed(9);
    let base: Array2<f32> = rng.normal_matrix(50, 5).unwrap();
    let mut index = FlatIndex::new(5, Metric::L2).unwrap();
    index
        .add_with_ids(&base, &(100..150).collect::<Vec<u64>>())
        .unwrap();
    index.remove(&[100, 149]);
    let path = temp_path("roundtrip.idx");
    index.save(&path).unwrap();
    let back = FlatIndex::<f32>::load(&path).unwrap();
    assert_eq!((back.len(), back.dim(), back.metric()), (48, 5, Metric::L2));
    let q: Array2<f32> = rng.normal_matrix(4, 5).unwrap();
    assert_eq!(back.search(&q, 7).unwrap(), index.search(&q, 7).unwrap());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!("mlinalg-search-{}-roundtrip", std::process::id()))
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary files left");

    // Wrong element type.
    let err = FlatIndex::<f64>::from_bytes(bytes.clone()).unwrap_err();
    assert!(err.to_string().contains("4-byte elements"), "{err}");
    // Every truncation is a format error.
    for cut in [0, 10, 71, 72, 200, bytes.len() - 1] {
        let err = FlatIndex::<f32>::from_bytes(bytes[..cut].to_vec()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format, "cut at {cut}: {err}");
    }
    // A flipped bit anywhere is caught by the checksum (or the magic).
    for at in [0, 9, 30, 80, 500, bytes.len() - 2] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let err = FlatIndex::<f32>::from_bytes(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format, "flip at {at}: {err}");
    }
    // A header announcing 2^40 vectors with a valid checksum: refused before allocating.
    let mut lying = bytes[..bytes.len() - 4].to_vec();
    lying[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let sum = common::crc32(&lying);
    lying.extend_from_slice(&sum.to_le_bytes());
    let err = FlatIndex::<f32>::from_bytes(lying).unwrap_err();
    assert!(err.to_string().contains("more than the"), "{err}");
    // A missing file is an I/O error naming it.
    let err = FlatIndex::<f32>::load("/nonexistent/x.idx").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
}

#[test]
fn mapped_bases_are_searched_in_place() {
    let mut rng = Rng::seed(21);
    let base: Array2<f32> = rng.normal_matrix(300, 16).unwrap();
    let path = temp_path("base.npy");
    write_npy(&path, &base).unwrap();
    let queries: Array2<f32> = rng.normal_matrix(7, 16).unwrap();
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let mut mapped = FlatIndex::<f32>::open_npy(&path, metric).unwrap();
        let mut owned = FlatIndex::new(16, metric).unwrap();
        owned.add(&base).unwrap();
        let (a, b) = (
            mapped.search(&queries, 10).unwrap(),
            owned.search(&queries, 10).unwrap(),
        );
        assert_eq!(a.ids, b.ids, "{metric}");
        assert!(a
            .scores
            .iter()
            .zip(b.scores.iter())
            .all(|(x, y)| (x - y).abs() < 1e-5));
        assert_eq!(
            mapped.add(&base.slice(s![0..1, ..])).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        // Saved from a mapped base and loaded back: the same results.
        let saved = temp_path(&format!("mapped-{metric}.idx"));
        mapped.save(&saved).unwrap();
        let back = FlatIndex::<f32>::load(&saved).unwrap();
        assert_eq!(back.search(&queries, 10).unwrap().ids, b.ids, "{metric}");
        std::fs::remove_file(&saved).unwrap();
    }
    assert_eq!(
        FlatIndex::<f64>::open_npy(&path, Metric::L2)
            .unwrap_err()
            .kind(),
        ErrorKind::Format
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn pca_reduced_search_reranks_exactly() {
    use mlinalg::search::ReducedIndex;
    // Vectors near a 12-dimensional subspace of 96 dimensions: 12 components hold most variance.
    let mut rng = Rng::seed(31);
    let latent: Array2<f64> = rng.normal_matrix(1500, 12).unwrap();
    let mix: Array2<f64> = rng.normal_matrix(12, 96).unwrap();
    let noise: Array2<f64> = rng.normal_matrix(1500, 96).unwrap();
    let base = latent.dot(&mix) + noise * 0.05;
    let queries =
        base.slice(s![..25, ..]).to_owned() + rng.normal_matrix::<f64>(25, 96).unwrap() * 0.05;
    let ids: Vec<u64> = (0..1500).map(|i| 10_000 + i).collect();
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let reduced = ReducedIndex::build(&base, Some(&ids), metric, 12, 10).unwrap();
        assert_eq!(
            (reduced.len(), reduced.dim(), reduced.n_components()),
            (1500, 96, 12)
        );
        let got = reduced.search(&queries, 10).unwrap();
        let want = reference(&base, &ids, &queries, metric, 10);
        let truth = Array2::from_shape_fn((25, 10), |(i, j)| want[i][j].0 as i64);
        let recall = recall_at_k(&got.ids, &truth, 10).unwrap();
        assert!(recall >= 0.98, "{metric}: recall@10 {recall}");
        // Scores are exact for every id returned.
        for qi in 0..25 {
            for j in 0..10 {
                let id = got.ids[[qi, j]] as u64;
                let all = reference(
                    &base,
                    &ids,
                    &queries.slice(s![qi..qi + 1, ..]).to_owned(),
                    metric,
                    1500,
                );
                let exact = all[0].iter().find(|p| p.0 == id).unwrap().1;
                assert!(
                    (got.scores[[qi, j]] - exact).abs() < 1e-9 * (1.0 + exact.abs()),
                    "{metric}"
                );
            }
        }
        // Round trip through a file.
        let path = temp_path(&format!("reduced-{metric}.idx"));
        reduced.save(&path).unwrap();
        let back = ReducedIndex::<f64>::load(&path).unwrap();
        assert_eq!(back.search(&queries, 10).unwrap(), got, "{metric}");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for cut in [0, 80, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(
                ReducedIndex::<f64>::from_bytes(bytes[..cut].to_vec())
                    .unwrap_err()
                    .kind(),
                ErrorKind::Format
            );
        }
        assert!(FlatIndex::<f64>::from_bytes(bytes)
            .unwrap_err()
            .to_string()
            .contains("kind 3"));
    }
    let mut reduced = ReducedIndex::build(&base, None, Metric::L2, 12, 10).unwrap();
    assert_eq!(reduced.remove(&[0, 1]), 2);
    let got = reduced.search(&base.slice(s![0..2, ..]), 3).unwrap();
    assert!(got.ids.iter().all(|&id| id != 0 && id != 1));
    assert_eq!(
        ReducedIndex::build(&base, None, Metric::L2, 96, 10)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        ReducedIndex::build(&base, Some(&[1, 2]), Metric::L2, 8, 10)
            .unwrap_err()
            .kind(),
        ErrorKind::Shape
    );
}

#[test]
fn pca_reduced_search_on_the_shared_embeddings() {
    use mlinalg::search::ReducedIndex;
    let (b, q, gt) = (
        shared_data("embeddings_base.npy"),
        shared_data("embeddings_queries.npy"),
        shared_data("embeddings_gt_top100.npy"),
    );
    if !b.exists() {
        eprintln!("skipping: {} absent", b.display());
        return;
    }
    let base: Array2<f32> = read_npy::<f32, Ix2>(&b).unwrap();
    let queries: Array2<f32> = read_npy::<f32, Ix2>(&q).unwrap();
    let truth: Array2<i64> = read_npy_i64::<Ix2>(&gt).unwrap();
    let reduced = ReducedIndex::build(&base, None, Metric::Cosine, 128, 10).unwrap();
    let recall = recall_at_k(&reduced.search(&queries, 10).unwrap().ids, &truth, 10).unwrap();
    eprintln!("PCA-128 candidates (x10) re-ranked on 384-d: recall@10 {recall}");
    assert!(recall >= 0.95, "recall@10 {recall}");
}
