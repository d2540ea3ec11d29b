//! Tests of `mlinalg::search::HnswIndex`: recall@10 against exact search (the shared sentence
//! embeddings of ../shared/data, skipped with a message when absent, and generated clustered
//! data that always runs), ids and scores, removal, filters, errors, progress, determinism at
//! one thread, and the index file (round trip, truncation, corruption, lying headers and graphs).

mod common;

use mlinalg::io::{read_npy, read_npy_i64};
use mlinalg::random::Rng;
use mlinalg::search::{recall_at_k, FlatIndex, HnswIndex, HnswParams, Metric};
use mlinalg::ErrorKind;
use ndarray::{array, s, Array2, Axis, Ix2};
use std::path::PathBuf;

fn shared_data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mlinalg-hnsw-{}-{name}", std::process::id()))
}

/// `n` points around `centres` random centres (W9's generator, smaller): centre + noise·N(0, 1).
fn clustered(seed: u64, n: usize, dim: usize, centres: usize, noise: f32) -> Array2<f32> {
    let mut rng = Rng::seed(seed);
    let c: Array2<f32> = Rng::seed(1000).normal_matrix(centres, dim).unwrap();
    let labels = rng.integers(&[n], 0, centres as i64).unwrap();
    let mut x: Array2<f32> = rng.normal_matrix(n, dim).unwrap();
    for (mut row, &l) in x.axis_iter_mut(Axis(0)).zip(labels.iter()) {
        let centre = c.row(l as usize);
        row.zip_mut_with(&centre, |v, &m| *v = m + noise * *v);
    }
    x
}

fn exact(base: &Array2<f32>, queries: &Array2<f32>, metric: Metric, k: usize) -> Array2<i64> {
    let mut flat = FlatIndex::new(base.ncols(), metric).unwrap();
    flat.add(base).unwrap();
    flat.search(queries, k).unwrap().ids
}

#[test]
fn shared_embeddings_reach_recall_095_at_the_default_ef() {
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
    for metric in [Metric::Cosine, Metric::Dot] {
        let mut index = HnswIndex::new(base.ncols(), metric).unwrap();
        index.add(&base).unwrap();
        let hits = index.search(&queries, 10).unwrap();
        let recall = recall_at_k(&hits.ids, &truth, 10).unwrap();
        eprintln!("hnsw {metric} on the shared embeddings, default ef: recall@10 {recall}");
        assert!(recall >= 0.95, "{metric}: recall@10 {recall}");
    }
}

#[test]
fn clustered_data_reaches_recall_095_for_every_metric() {
    let base = clustered(1, 4000, 48, 100, 0.6);
    let queries = clustered(2, 100, 48, 100, 0.6);
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let mut index = HnswIndex::new(48, metric).unwrap();
        index.add(&base).unwrap();
        let truth = exact(&base, &queries, metric, 10);
        let hits = index.search(&queries, 10).unwrap();
        let recall = recall_at_k(&hits.ids, &truth, 10).unwrap();
        eprintln!("hnsw {metric} on generated clusters, default ef: recall@10 {recall}");
        assert!(recall >= 0.95, "{metric}: recall@10 {recall}");
        // A larger ef never does much worse, and a tiny one still returns k results.
        let wide = index.search_with_ef(&queries, 10, 200).unwrap();
        assert!(recall_at_k(&wide.ids, &truth, 10).unwrap() >= recall - 0.02);
        let narrow = index.search_with_ef(&queries, 10, 1).unwrap();
        assert!(narrow.ids.iter().all(|&i| i >= 0));
    }
}

#[test]
fn ids_and_scores_follow_the_metric() {
    let base = clustered(3, 600, 16, 20, 0.5);
    let ids: Vec<u64> = (0..600).map(|i| 1_000_000 + 7 * i).collect();
    let queries = clustered(4, 20, 16, 20, 0.5);
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let mut index = HnswIndex::new(16, metric).unwrap();
        index.add_with_ids(&base, &ids).unwrap();
        assert_eq!(index.len(), 600);
        assert!(index.contains(1_000_007) && !index.contains(1));
        let hits = index.search(&queries, 5).unwrap();
        let mut flat = FlatIndex::new(16, metric).unwrap();
        flat.add_with_ids(&base, &ids).unwrap();
        for (qi, q) in queries.axis_iter(Axis(0)).enumerate() {
            let row = hits.scores.row(qi);
            // Nearest first.
            for w in row.as_slice().unwrap().windows(2) {
                if metric.higher_is_nearer() {
                    assert!(w[0] >= w[1]);
                } else {
                    assert!(w[0] <= w[1]);
                }
            }
            // Each score is the exact score of the id returned.
            for (j, &id) in hits.ids.row(qi).iter().enumerate() {
                let v = index.vector(id as u64).unwrap();
                let exact = match metric {
                    Metric::L2 => q
                        .iter()
                        .zip(&v)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f32>(),
                    Metric::Dot => q.dot(&v),
                    Metric::Cosine => q.dot(&v) / q.dot(&q).sqrt(),
                };
                assert!(
                    (exact - hits.scores[[qi, j]]).abs() <= 1e-4 * (1.0 + exact.abs()),
                    "{metric}: {exact} vs {}",
                    hits.scores[[qi, j]]
                );
            }
        }
        // Stored cosine vectors are normalised.
        if metric == Metric::Cosine {
            let v = index.vector(1_000_000).unwrap();
            assert!((v.dot(&v) - 1.0).abs() < 1e-5);
        }
    }
}

#[test]
fn small_and_empty_indexes() {
    let mut index = HnswIndex::<f64>::new(2, Metric::L2).unwrap();
    let empty = index.search(&array![[0.0, 0.0]], 3).unwrap();
    assert_eq!(empty.ids.row(0).to_vec(), vec![-1, -1, -1]);
    assert!(empty.scores.iter().all(|s| *s == f64::INFINITY));
    index.add(&array![[0.0, 0.0], [1.0, 0.0]]).unwrap();
    let hits = index.search(&array![[0.9, 0.0]], 3).unwrap();
    assert_eq!(hits.ids.row(0).to_vec(), vec![1, 0, -1]);
    assert_eq!(
        index.search(&array![[0.9, 0.0]], 0).unwrap().ids.dim(),
        (1, 0)
    );
    // Ids continue after the largest.
    assert_eq!(index.add(&array![[5.0, 5.0]]).unwrap(), vec![2]);
    // No queries: empty results.
    let none = index.search(&Array2::<f64>::zeros((0, 2)), 4).unwrap();
    assert_eq!(none.ids.dim(), (0, 4));
}

#[test]
fn removed_vectors_are_never_returned_but_still_navigated() {
    let base = clustered(5, 2000, 24, 40, 0.6);
    let queries = clustered(6, 50, 24, 40, 0.6);
    let mut index = HnswIndex::new(24, Metric::Cosine).unwrap();
    index.add(&base).unwrap();
    let gone: Vec<u64> = (0..2000).filter(|i| i % 3 == 0).collect();
    assert_eq!(index.remove(&gone), gone.len());
    assert_eq!(index.remove(&gone), 0, "removing twice removes nothing");
    assert_eq!(index.len(), 2000 - gone.len());
    let hits = index.search(&queries, 10).unwrap();
    assert!(hits.ids.iter().all(|&i| i >= 0 && i % 3 != 0));
    let mut flat = FlatIndex::new(24, Metric::Cosine).unwrap();
    flat.add(&base).unwrap();
    flat.remove(&gone);
    let truth = flat.search(&queries, 10).unwrap().ids;
    let recall = recall_at_k(&hits.ids, &truth, 10).unwrap();
    assert!(recall >= 0.95, "recall@10 after removing a third: {recall}");
    // A removed id may be added again, and is found again.
    index.add_with_ids(&base.slice(s![0..1, ..]), &[0]).unwrap();
    assert_eq!(
        index.search(&base.slice(s![0..1, ..]), 1).unwrap().ids[[0, 0]],
        0
    );
    // Removing everything leaves an index that answers −1.
    let all: Vec<u64> = (0..2000).collect();
    index.remove(&all);
    assert!(index.is_empty());
    assert!(index
        .search(&queries, 3)
        .unwrap()
        .ids
        .iter()
        .all(|&i| i == -1));
}

#[test]
fn filters_keep_only_matching_ids() {
    let base = clustered(7, 2000, 24, 40, 0.6);
    let queries = clustered(8, 50, 24, 40, 0.6);
    let mut index = HnswIndex::new(24, Metric::L2).unwrap();
    index.add(&base).unwrap();
    let even = |id: u64| id.is_multiple_of(2);
    let hits = index.search_filtered(&queries, 10, even).unwrap();
    assert!(hits.ids.iter().all(|&i| i >= 0 && i % 2 == 0));
    let mut flat = FlatIndex::new(24, Metric::L2).unwrap();
    flat.add(&base).unwrap();
    let truth = flat.search_filtered(&queries, 10, even).unwrap().ids;
    let recall = recall_at_k(&hits.ids, &truth, 10).unwrap();
    assert!(recall >= 0.95, "filtered recall@10 {recall}");
    // A filter that matches 3 ids returns those 3 and then −1.
    let rare = index.search_filtered(&queries, 5, |id| id < 3).unwrap();
    for row in rare.ids.axis_iter(Axis(0)) {
        let mut got: Vec<i64> = row.iter().take(3).copied().collect();
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(row[3], -1);
    }
    // A filter that matches nothing.
    let nothing = index.search_filtered(&queries, 2, |_| false).unwrap();
    assert!(nothing.ids.iter().all(|&i| i == -1));
}

#[test]
fn bad_inputs_are_errors_and_change_nothing() {
    let mut index = HnswIndex::<f32>::new(3, Metric::Cosine).unwrap();
    index.add(&array![[1.0, 0.0, 0.0]]).unwrap();
    let cases: Vec<(Array2<f32>, Vec<u64>, ErrorKind)> = vec![
        (array![[1.0, 2.0]], vec![5], ErrorKind::Shape),
        (array![[1.0, 2.0, 3.0]], vec![5, 6], ErrorKind::Shape),
        (array![[1.0, f32::NAN, 3.0]], vec![5], ErrorKind::NonFinite),
        (
            array![[1.0, f32::INFINITY, 3.0]],
            vec![5],
            ErrorKind::NonFinite,
        ),
        (array![[0.0, 0.0, 0.0]], vec![5], ErrorKind::ZeroVector),
        (array![[1.0, 2.0, 3.0]], vec![0], ErrorKind::InvalidArgument),
        (
            array![[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]],
            vec![5, 5],
            ErrorKind::InvalidArgument,
        ),
        (
            array![[1.0, 2.0, 3.0]],
            vec![u64::MAX],
            ErrorKind::InvalidArgument,
        ),
    ];
    for (rows, ids, kind) in cases {
        let err = index.add_with_ids(&rows, &ids).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(index.len(), 1, "nothing added after {err}");
    }
    assert_eq!(
        index.search(&array![[1.0, 0.0]], 1).unwrap_err().kind(),
        ErrorKind::Shape
    );
    assert_eq!(
        index
            .search(&array![[f32::NAN, 0.0, 0.0]], 1)
            .unwrap_err()
            .kind(),
        ErrorKind::NonFinite
    );
    assert_eq!(
        index
            .search(&array![[0.0, 0.0, 0.0]], 1)
            .unwrap_err()
            .kind(),
        ErrorKind::ZeroVector
    );
    assert!(index
        .search_with_ef(&array![[1.0, 0.0, 0.0]], 1, 0)
        .is_err());
    assert!(index.set_ef_search(0).is_err());
    assert!(HnswIndex::<f32>::new(0, Metric::L2).is_err());
    for p in [
        HnswParams {
            m: 1,
            ..Default::default()
        },
        HnswParams {
            m: 5000,
            ..Default::default()
        },
        HnswParams {
            ef_construction: 0,
            ..Default::default()
        },
    ] {
        let err = HnswIndex::<f32>::with_params(4, Metric::L2, p).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}

#[test]
fn progress_is_reported_up_to_the_total() {
    use std::sync::Mutex;
    let base = clustered(9, 1000, 8, 10, 0.5);
    let mut index = HnswIndex::new(8, Metric::L2).unwrap();
    let seen = Mutex::new(Vec::new());
    index
        .add_with_progress(&base, None, |done, total| {
            seen.lock().unwrap().push((done, total));
        })
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 10, "{} reports", seen.len());
    assert!(seen.iter().all(|&(d, t)| t == 1000 && d <= t));
    assert!(seen.iter().any(|&(d, _)| d == 1000));
}

/// Builds an index in a one-thread pool.
fn build_one_thread(base: &Array2<f32>, seed: u64) -> HnswIndex<f32> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let mut index = HnswIndex::with_params(
            base.ncols(),
            Metric::Cosine,
            HnswParams {
                seed,
                ..Default::default()
            },
        )
        .unwrap();
        index.add(base).unwrap();
        index
    })
}

#[test]
fn one_thread_builds_are_reproducible() {
    let base = clustered(10, 1500, 16, 30, 0.6);
    let (a, b) = (temp_path("det-a.idx"), temp_path("det-b.idx"));
    build_one_thread(&base, 42).save(&a).unwrap();
    build_one_thread(&base, 42).save(&b).unwrap();
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    build_one_thread(&base, 43).save(&b).unwrap();
    let z = std::fs::read(&b).unwrap();
    std::fs::remove_file(&a).unwrap();
    std::fs::remove_file(&b).unwrap();
    assert!(x == y, "the same seed at one thread gives the same file");
    assert!(x != z, "another seed gives another graph");
}

#[test]
fn index_files_round_trip_and_reject_damage() {
    let base = clustered(11, 800, 12, 20, 0.6);
    let queries = clustered(12, 30, 12, 20, 0.6);
    let mut index = HnswIndex::with_params(
        12,
        Metric::Dot,
        HnswParams {
            m: 8,
            ef_construction: 100,
            ef_search: 40,
            seed: 7,
        },
    )
    .unwrap();
    index
        .add_with_ids(&base, &(500..1300).collect::<Vec<u64>>())
        .unwrap();
    index.remove(&[500, 777]);
    let path = temp_path("roundtrip.idx");
    index.save(&path).unwrap();
    let back = HnswIndex::<f32>::load(&path).unwrap();
    assert_eq!(
        (back.len(), back.dim(), back.metric(), back.params()),
        (798, 12, Metric::Dot, index.params())
    );
    assert!(!back.contains(500) && back.contains(501));
    assert_eq!(
        back.search(&queries, 7).unwrap(),
        index.search(&queries, 7).unwrap()
    );
    // A loaded index takes more vectors.
    let mut more = back;
    more.add_with_ids(&queries, &(0..30).collect::<Vec<u64>>())
        .unwrap();
    assert_eq!(more.len(), 828);
    assert_eq!(more.vector(5).unwrap(), queries.row(5));
    // Dot: the best match of a stored vector is not always itself, so compare with exact search.
    let mut all = FlatIndex::new(12, Metric::Dot).unwrap();
    all.add_with_ids(&base, &(500..1300).collect::<Vec<u64>>())
        .unwrap();
    all.remove(&[500, 777]);
    all.add_with_ids(&queries, &(0..30).collect::<Vec<u64>>())
        .unwrap();
    let truth = all.search(&queries, 5).unwrap().ids;
    let recall = recall_at_k(&more.search(&queries, 5).unwrap().ids, &truth, 5).unwrap();
    assert!(recall >= 0.95, "recall@5 after load and add: {recall}");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!("mlinalg-hnsw-{}-roundtrip", std::process::id()))
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary files left");

    // Wrong element type, wrong kind (a flat file), and a flat reader on an HNSW file.
    let err = HnswIndex::<f64>::from_bytes(bytes.clone()).unwrap_err();
    assert!(err.to_string().contains("4-byte elements"), "{err}");
    assert!(FlatIndex::<f32>::from_bytes(bytes.clone()).is_err());
    let flat_path = temp_path("flat.idx");
    let mut flat = FlatIndex::<f32>::new(12, Metric::Dot).unwrap();
    flat.add(&base).unwrap();
    flat.save(&flat_path).unwrap();
    let err = HnswIndex::<f32>::load(&flat_path).unwrap_err();
    std::fs::remove_file(&flat_path).unwrap();
    assert!(err.to_string().contains("not an HNSW index"), "{err}");
    // Every truncation is a format error.
    for cut in [0, 10, 71, 72, 90, 5000, bytes.len() / 2, bytes.len() - 1] {
        let err = HnswIndex::<f32>::from_bytes(bytes[..cut].to_vec()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format, "cut at {cut}: {err}");
    }
    // A flipped bit anywhere is caught by the checksum (or the magic).
    for at in [0, 9, 30, 50, 80, 500, bytes.len() / 2, bytes.len() - 2] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let err = HnswIndex::<f32>::from_bytes(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format, "flip at {at}: {err}");
    }
    // Lying headers and graphs with valid checksums: refused before allocating, or as invalid
    // contents, never a panic.
    let lie = |at: usize, value: &[u8]| {
        let mut b = bytes[..bytes.len() - 4].to_vec();
        b[at..at + value.len()].copy_from_slice(value);
        let sum = common::crc32(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        HnswIndex::<f32>::from_bytes(b).unwrap_err()
    };
    let huge = lie(32, &(1u64 << 40).to_le_bytes());
    assert_eq!(huge.kind(), ErrorKind::Format, "{huge}");
    for (at, value, what) in [
        (32, 799u64, "count"),
        (24, 13, "dim"),
        (24, 0, "dim 0"),
        (40, 1, "M = 1"),
        (40, 9, "M"),
        (40, u64::MAX, "M huge"),
        (48, 0, "ef_construction 0"),
        (56, 100_000, "entry point"),
        (64, 9, "top level"),
        (72, 0, "ef_search 0"),
    ] {
        let err = lie(at, &value.to_le_bytes());
        assert_eq!(err.kind(), ErrorKind::Format, "{what}: {err}");
    }
    // The sections: settings (16 bytes), ids (8 per node), flags, levels, vectors, links.
    let n = 800;
    let ids_at = 72 + 16;
    let flags_at = ids_at + 8 * n;
    let levels_at = flags_at + n;
    let vectors_at = levels_at + n;
    let links_at = vectors_at + 4 * 12 * n;
    let err = lie(ids_at + 16, &501u64.to_le_bytes()); // a live id twice
    assert!(err.to_string().contains("twice"), "{err}");
    assert_eq!(lie(flags_at, &[7]).kind(), ErrorKind::Format);
    assert_eq!(lie(levels_at + 1, &[200]).kind(), ErrorKind::Format);
    assert_eq!(
        lie(vectors_at, &f32::NAN.to_le_bytes()).kind(),
        ErrorKind::Format
    );
    let err = lie(links_at, &1000u32.to_le_bytes()); // a link count above 2M
    assert!(err.to_string().contains("capacity"), "{err}");
    let err = lie(links_at + 4, &900u32.to_le_bytes()); // a link to node 900 of 800
    assert!(err.to_string().contains("points to"), "{err}");
    // A missing file is an I/O error.
    let err = HnswIndex::<f32>::load("/nonexistent/x.idx").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
}

#[test]
fn empty_index_round_trips() {
    let index = HnswIndex::<f64>::new(4, Metric::Cosine).unwrap();
    let path = temp_path("empty.idx");
    index.save(&path).unwrap();
    let back = HnswIndex::<f64>::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(back.is_empty());
    assert_eq!(
        back.search(&array![[1.0, 0.0, 0.0, 0.0]], 2)
            .unwrap()
            .ids
            .row(0)
            .to_vec(),
        vec![-1, -1]
    );
}
