//! Runs the real `mlinalg` binary's file tools, `svd-image`, `spectrum` and `pca`, on the real
//! files of ../shared/data (skipped with a message when the folder is absent) and on files the
//! tests generate: JSON keys and values, files written (and nothing else), and clear one-line
//! errors with exit status 1 on bad input.

use mlinalg::io::{write_npy, write_png, NpyFile};
use mlinalg::ndarray::{Array2, Array3};
use mlinalg::random::Rng;
use serde_json::Value;

mod common;

use common::{json_of, mlinalg, one_line_error, s, shared};

/// A smooth 64×80 test image plus a little texture: low rank, but not exactly.
fn test_image() -> Array2<f64> {
    Array2::from_shape_fn((64, 80), |(i, j)| {
        let (x, y) = (i as f64 / 64.0, j as f64 / 80.0);
        128.0 + 100.0 * (3.0 * x).sin() * (2.0 * y).cos() + 10.0 * ((i * 7 + j * 13) % 5) as f64
    })
}

fn check_svd_image_json(v: &Value, shape: [u64; 2], ranks: &[u64]) {
    assert_eq!(v["shape"], serde_json::json!(shape));
    let rows = v["ranks"].as_array().expect("ranks");
    assert_eq!(rows.len(), ranks.len());
    let (m, n) = (shape[0] as f64, shape[1] as f64);
    let mut last_error = f64::INFINITY;
    for (r, &k) in rows.iter().zip(ranks) {
        assert_eq!(r["k"], k);
        for key in [
            "frobenius_error",
            "relative_error",
            "energy",
            "sv_sum_fraction",
            "compression_ratio",
        ] {
            assert!(r[key].is_number(), "{key} in {r}");
        }
        let rel = r["relative_error"].as_f64().unwrap();
        assert!(
            rel < last_error && (0.0..1.0).contains(&rel),
            "errors fall with k: {rel}"
        );
        last_error = rel;
        let energy = r["energy"].as_f64().unwrap();
        assert!(
            (energy + rel * rel - 1.0).abs() < 1e-9,
            "energy + relative error² = 1"
        );
        let ratio = r["compression_ratio"].as_f64().unwrap();
        assert!((ratio - k as f64 * (m + n + 1.0) / (m * n)).abs() < 1e-12);
    }
}

#[test]
fn svd_image_on_a_generated_png() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("test.png");
    write_png(&photo, &test_image()).unwrap();
    let out = dir.path().join("out");
    let v = json_of(&mlinalg(&[
        "svd-image",
        s(&photo),
        "--ranks",
        "1,4,16",
        "--out",
        s(&out),
        "--json",
        "--quiet",
    ]));
    check_svd_image_json(&v, [64, 80], &[1, 4, 16]);
    let sv = v["singular_values"].as_array().unwrap();
    assert_eq!(sv.len(), 64);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "contact_sheet.png",
            "rank_1.png",
            "rank_16.png",
            "rank_4.png",
            "singular_values.svg"
        ]
    );
    let sheet = mlinalg::io::read_image_gray(out.join("contact_sheet.png")).unwrap();
    assert_eq!(
        sheet.dim(),
        (64, 4 * 80 + 3 * 8),
        "original + 3 reconstructions, 8-pixel gaps"
    );
}

#[test]
fn svd_image_color_compresses_each_channel() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("rgb.png");
    let g = test_image();
    let rgb = Array3::from_shape_fn((64, 80, 3), |(i, j, c)| {
        (g[[i, j]] + 40.0 * c as f64) % 256.0
    });
    write_png(&photo, &rgb).unwrap();
    let out = dir.path().join("out");
    let v = json_of(&mlinalg(&[
        "svd-image",
        s(&photo),
        "--color",
        "--ranks",
        "2,8",
        "--out",
        s(&out),
        "--json",
        "-q",
    ]));
    check_svd_image_json(&v, [64, 80], &[2, 8]);
    assert_eq!(
        v["singular_values"].as_array().unwrap().len(),
        3,
        "one list per channel"
    );
    let rank2 = mlinalg::io::read_image_rgb(out.join("rank_2.png")).unwrap();
    assert_eq!(rank2.dim(), (64, 80, 3));
}

#[test]
fn svd_image_on_the_real_photo() {
    let Some(photo) = shared("images/camera.png") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let v = json_of(&mlinalg(&[
        "svd-image",
        s(&photo),
        "--out",
        s(dir.path()),
        "--json",
        "-q",
    ]));
    check_svd_image_json(&v, [512, 512], &[5, 20, 50, 100]);
    // NumPy on Pillow's pixels: σ = [70966.0348, 17054.5911, 13314.9006, ...], σ₁₀₀ = 383.6675,
    // relative errors sqrt(Σ_{i>k} σᵢ² / Σ σᵢ²) = 0.172014, 0.101208, 0.063565, 0.039329.
    let sv: Vec<f64> = v["singular_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for (got, want) in [
        (sv[0], 70966.03483872),
        (sv[1], 17054.5910748),
        (sv[99], 383.66749488487227),
    ] {
        assert!((got - want).abs() < 1e-9 * 70966.0, "{got} vs NumPy {want}");
    }
    let want = [
        0.17201405322952268,
        0.1012077568277273,
        0.06356538460461271,
        0.03932880446586608,
    ];
    for (r, w) in v["ranks"].as_array().unwrap().iter().zip(want) {
        assert!(
            (r["relative_error"].as_f64().unwrap() - w).abs() < 1e-10,
            "{r}"
        );
    }
}

#[test]
fn svd_image_errors() {
    let dir = tempfile::tempdir().unwrap();
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"this is not a PNG").unwrap();
    let err = one_line_error(&mlinalg(&[
        "svd-image",
        s(&not_image),
        "--out",
        s(dir.path()),
    ]));
    assert!(err.contains("notes.png"), "{err}");
    let photo = dir.path().join("small.png");
    write_png(&photo, &test_image()).unwrap();
    let err = one_line_error(&mlinalg(&[
        "svd-image",
        s(&photo),
        "--ranks",
        "65",
        "--out",
        s(dir.path()),
    ]));
    assert!(err.contains("65") && err.contains("64×80"), "{err}");
    one_line_error(&mlinalg(&["svd-image", s(&dir.path().join("missing.png"))]));
}

/// A minimal .safetensors file: the tensors given as (name, dtype, shape, little-endian bytes).
fn safetensors_bytes(tensors: &[(&str, &str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, dtype, shape, bytes) in tensors {
        let start = data.len();
        data.extend_from_slice(bytes);
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::to_vec(&Value::Object(header)).unwrap();
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    out.extend(data);
    out
}

#[test]
fn spectrum_of_a_generated_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::seed(9);
    // A rank-3 32×24 weight (f32), a 4-D conv kernel (f64) and a bias (1-D, skipped).
    let low = mlinalg::matrix::mm(
        &rng.normal_matrix::<f64>(32, 3).unwrap(),
        &rng.normal_matrix::<f64>(3, 24).unwrap(),
    )
    .unwrap();
    let w: Vec<u8> = low.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect();
    let conv = rng.normal_matrix::<f64>(8, 3 * 3 * 2).unwrap();
    let c: Vec<u8> = conv.iter().flat_map(|&x| x.to_le_bytes()).collect();
    let b: Vec<u8> = [0.5f32; 24].iter().flat_map(|x| x.to_le_bytes()).collect();
    let model = dir.path().join("model.safetensors");
    std::fs::write(
        &model,
        safetensors_bytes(&[
            ("layer.weight", "F32", vec![32, 24], w),
            ("conv.weight", "F64", vec![8, 2, 3, 3], c),
            ("layer.bias", "F32", vec![24], b),
        ]),
    )
    .unwrap();
    let report = dir.path().join("spectrum.html");
    let v = json_of(&mlinalg(&[
        "spectrum",
        s(&model),
        "--json",
        "-q",
        "--report",
        s(&report),
    ]));
    let tensors = v["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 2, "the 1-D bias is skipped: {v}");
    let by_name = |n: &str| tensors.iter().find(|t| t["name"] == n).unwrap().clone();
    let layer = by_name("layer.weight");
    assert_eq!(layer["shape"], serde_json::json!([32, 24]));
    assert_eq!(layer["dtype"], "F32");
    assert_eq!(layer["numerical_rank"], 3, "rank 3 in f32: {layer}");
    assert!(layer["k90"].as_u64().unwrap() <= 3);
    let stable = layer["stable_rank"].as_f64().unwrap();
    assert!((1.0..=3.0).contains(&stable), "{stable}");
    let conv_row = by_name("conv.weight");
    assert_eq!(conv_row["shape"], serde_json::json!([8, 2, 3, 3]));
    assert_eq!(conv_row["numerical_rank"], 8, "reshaped to 8 × 18");
    for key in [
        "frobenius",
        "sigma_max",
        "stable_rank",
        "effective_rank",
        "k90",
        "numerical_rank",
    ] {
        assert!(layer.get(key).is_some(), "{key}");
    }
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("layer.weight") && html.matches("<svg").count() >= 2);
    let filtered = json_of(&mlinalg(&[
        "spectrum",
        s(&model),
        "--json",
        "--filter",
        "^conv",
    ]));
    assert_eq!(filtered["tensors"].as_array().unwrap().len(), 1);
}

#[test]
fn spectrum_of_the_real_model() {
    let Some(model) = shared("paraphrase_minilm_l3_v2_subset.safetensors") else {
        return;
    };
    let v = json_of(&mlinalg(&["spectrum", s(&model), "--json", "-q"]));
    let tensors = v["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 8, "the subset has 8 two-dimensional tensors");
    for t in tensors {
        let rank = t["numerical_rank"].as_u64().unwrap();
        let shape = t["shape"].as_array().unwrap();
        let most = shape.iter().map(|d| d.as_u64().unwrap()).min().unwrap();
        assert!(
            rank <= most && t["stable_rank"].as_f64().unwrap() >= 1.0,
            "{t}"
        );
    }
}

#[test]
fn spectrum_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, [255u8, 255, 255, 255, 0, 0, 0, 0, b'{']).unwrap();
    let err = one_line_error(&mlinalg(&["spectrum", s(&bad)]));
    assert!(err.contains("bad.safetensors"), "{err}");
    let ok = dir.path().join("ok.safetensors");
    std::fs::write(&ok, safetensors_bytes(&[("b", "F32", vec![2], vec![0; 8])])).unwrap();
    let err = one_line_error(&mlinalg(&["spectrum", s(&ok)]));
    assert!(
        err.contains("no tensor with two or more dimensions"),
        "{err}"
    );
    one_line_error(&mlinalg(&["spectrum", s(&ok), "--filter", "("]));
}

#[test]
fn pca_in_memory_and_streaming_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::seed(2);
    let x = mlinalg::matrix::mm(
        &rng.normal_matrix::<f64>(500, 6).unwrap(),
        &rng.normal_matrix::<f64>(6, 10).unwrap(),
    )
    .unwrap()
        + rng.normal_matrix::<f64>(500, 10).unwrap() * 0.1;
    let input = dir.path().join("x.npy");
    write_npy(&input, &x).unwrap();
    let (a, b, model) = (
        dir.path().join("a.npy"),
        dir.path().join("b.npy"),
        dir.path().join("m.npz"),
    );
    let va = json_of(&mlinalg(&[
        "pca",
        s(&input),
        "-n",
        "3",
        "-o",
        s(&a),
        "--solver",
        "covariance-eigh",
        "--json",
        "--model",
        s(&model),
    ]));
    let vb = json_of(&mlinalg(&[
        "pca",
        s(&input),
        "-n",
        "3",
        "-o",
        s(&b),
        "--streaming",
        "--json",
        "-q",
    ]));
    for key in [
        "n_samples",
        "n_features",
        "n_components",
        "solver",
        "explained_variance_ratio",
        "singular_values",
    ] {
        assert!(va.get(key).is_some(), "{key}");
    }
    assert_eq!(
        (
            va["n_samples"].as_u64(),
            va["n_features"].as_u64(),
            va["n_components"].as_u64()
        ),
        (Some(500), Some(10), Some(3))
    );
    assert_eq!(va["solver"], "covariance_eigh");
    assert_eq!(vb["solver"], "covariance_eigh (streaming)");
    let ya: Array2<f64> = NpyFile::open(&a).unwrap().to_array().unwrap();
    let yb: Array2<f64> = NpyFile::open(&b).unwrap().to_array().unwrap();
    assert_eq!(ya.dim(), (500, 3));
    assert!(
        (&ya - &yb).iter().all(|d| d.abs() < 1e-8),
        "streaming and in-memory projections agree"
    );
    assert!(model.exists());
    let frac = json_of(&mlinalg(&[
        "pca",
        s(&input),
        "-n",
        "0.9",
        "-o",
        s(&a),
        "--json",
    ]));
    let ratios: Vec<f64> = frac["explained_variance_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        ratios.iter().sum::<f64>() > 0.9 && ratios[..ratios.len() - 1].iter().sum::<f64>() <= 0.9
    );
}

#[test]
fn pca_on_digits_matches_scikit_learn() {
    let Some(digits) = shared("sklearn_digits.npy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y.npy");
    let v = json_of(&mlinalg(&[
        "pca",
        s(&digits),
        "-n",
        "2",
        "-o",
        s(&out),
        "--json",
        "-q",
    ]));
    // scikit-learn 1.9.1: PCA(2).fit(digits).explained_variance_ratio_ = [0.14890594, 0.13618771]
    let r: Vec<f64> = v["explained_variance_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        (r[0] - 0.14890594).abs() < 1e-7 && (r[1] - 0.13618771).abs() < 1e-7,
        "{r:?}"
    );
}

#[test]
fn pca_errors() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_npy(&x, &Array2::<f32>::ones((4, 3))).unwrap();
    let out = dir.path().join("y.npy");
    let err = one_line_error(&mlinalg(&["pca", s(&x), "-n", "abc", "-o", s(&out)]));
    assert!(err.contains("-n"), "{err}");
    let err = one_line_error(&mlinalg(&["pca", s(&x), "-n", "5", "-o", s(&out)]));
    assert!(err.contains("n_components"), "{err}");
    one_line_error(&mlinalg(&[
        "pca",
        s(&x),
        "-n",
        "2",
        "-o",
        s(&out),
        "--solver",
        "magic",
    ]));
    let vec1 = dir.path().join("v.npy");
    write_npy(&vec1, &mlinalg::ndarray::Array1::<f64>::ones(5)).unwrap();
    let err = one_line_error(&mlinalg(&["pca", s(&vec1), "-n", "1", "-o", s(&out)]));
    assert!(err.contains("2-D"), "{err}");
    assert!(!out.exists(), "no output written on failure");
}
