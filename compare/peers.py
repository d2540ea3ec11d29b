"""The Python side of compare/: times one peer (NumPy, SciPy, PyTorch CPU or scikit-learn) on the
workloads of shared/bench/WORKLOADS.md and prints the timings (a table, or JSON with --json).

Run by compare/run.py in its virtualenv, one process per peer and workload, with the thread count
set and, for the OpenBLAS peers (NumPy, SciPy, scikit-learn), OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
unset (see shared/bench/anchors/README.md).
Alone:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE compare/.venv/bin/python compare/peers.py --peer numpy

Inputs: numpy.random.default_rng(0).standard_normal per workload, cast to the workload's dtype
(torch gets the same arrays through torch.from_numpy); W6 and W7 build the anchor script's
matrices from those draws; W11 reads shared/data/images/camera.png with Pillow. Timing:
`--warmup` untimed calls, then `--repeats` timed calls (within the workload's min_runs/max_runs);
the caller takes the median.
Adding a workload: a function `(timer) -> [(system, note, samples)]` in a peer table below; a
fourth item, a dict, may give the row's "task" (W6: the PCA solver, W12: solve or inv) and its
"accuracy" ({name: value}, computed from the system's own result outside the timed region).
"""
import argparse
import json
import os
import sys
import time

THREADS_DEFAULT = 2


def _set_thread_env(n: int) -> None:
    # Before numpy/torch are imported: OpenBLAS, MKL and OpenMP read these at load time.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


class Timer:
    def __init__(self, warmup: int, runs: int):
        self.warmup, self.runs = warmup, runs

    def time(self, fn) -> list[float]:
        for _ in range(self.warmup):
            fn()
        samples = []
        for _ in range(self.runs):
            t = time.perf_counter()
            fn()  # the result is discarded (freed) inside the timed region, as on the Rust side
            samples.append(time.perf_counter() - t)
        return samples

    def time_keep(self, fn):
        """As time(), and returns (samples, the last run's result) for an accuracy check; that
        run's clock stops before its result is freed (as Timer::time_keep on the Rust side)."""
        for _ in range(self.warmup):
            fn()
        samples, out, n = [], None, max(self.runs, 1)
        for i in range(n):
            t = time.perf_counter()
            out = fn()
            if i + 1 < n:
                out = None  # freed inside the timed region, as in time()
            samples.append(time.perf_counter() - t)
        return samples, out

    def at_most(self, runs: int) -> "Timer":
        """The same timer with at most `runs` timed runs (a solver slower than the others)."""
        return Timer(self.warmup, max(1, min(self.runs, runs)))


def _rng():
    import numpy as np

    return np.random.default_rng(0)


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")  # git-ignored: W7's exact reference; the W8/W9 inputs
IMAGE = os.path.join(HERE, "..", "..", "shared", "data", "images", "camera.png")


def _w6_data():
    """W6: (100000, 768) f32, standard normal with column j scaled by linspace(3, 0.1, 768)[j]
    (the anchor script's data: decaying variances, so the top 128 components are well defined)."""
    import numpy as np

    x = _normal(_rng(), (100_000, 768), np.float32)
    x *= np.linspace(3, 0.1, 768).astype(np.float32)
    return x


def _w7_matrix():
    """W7: the anchor script's (4096, 4096) f32 matrix, 0.01 * noise + U diag(1, 1/2, .., 1/64) Q^T
    with U, Q (4096, 64) orthonormal columns, built in f64."""
    import numpy as np

    rng = _rng()
    u = np.linalg.svd(rng.standard_normal((4096, 64)), full_matrices=False)[0]
    noise = rng.standard_normal((4096, 4096))
    q = np.linalg.qr(rng.standard_normal((4096, 64)))[0]
    return (noise * 0.01 + (u * (1.0 / np.arange(1, 65))) @ q.T).astype(np.float32)


def _w7_exact(g, k=64):
    """The exact top-k singular values of g, descending: square roots of the top eigenvalues of the
    f64 Gram matrix g^T g (as the Rust side). Tens of seconds, so cached in compare/.cache by the
    input's SHA-256 (the sklearn and torch processes share the input)."""
    import hashlib

    import numpy as np

    key = hashlib.sha256(np.ascontiguousarray(g).tobytes()).hexdigest()[:16]
    path = os.path.join(CACHE, f"W7-exact-top{k}-{key}.npy")
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    g64 = g.astype(np.float64)
    w = np.linalg.eigvalsh(g64.T @ g64)
    exact = np.sqrt(np.maximum(w[::-1][:k], 0.0))
    os.makedirs(CACHE, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.npy"
    np.save(tmp, exact)
    os.replace(tmp, path)
    return exact


def _sv_errors(s, exact) -> dict:
    import numpy as np

    s = np.asarray(s, dtype=np.float64)[: len(exact)]
    return {
        "sv_max_rel_err": float(np.max(np.abs(s - exact) / exact)),
        "sv_rel_err_l2": float(np.linalg.norm(s - exact) / np.linalg.norm(exact)),
    }


def _synthetic_image():
    """The W11 stand-in when the image is absent: the closed form of synthetic_image() in
    compare/src/main.rs."""
    import numpy as np

    i, j = np.meshgrid(np.arange(512), np.arange(512), indexing="ij")
    x, y = i.astype(np.float64), j.astype(np.float64)
    return (128.0 + 50.0 * np.sin(x * 0.05) * np.cos(y * 0.031) + 40.0 * np.sin((x + 2.0 * y) * 0.013)
            + ((i * 7 + j * 13) % 23) - 11.0)


def _w11_image():
    """W11: camera.png as f64 pixel values 0..255 (Pillow, convert("L")), else the synthetic image."""
    import numpy as np

    try:
        from PIL import Image

        with Image.open(IMAGE) as im:
            return np.asarray(im.convert("L"), dtype=np.float64), "camera.png, the same pixels as mlinalg"
    except Exception as e:  # absent shared/ or Pillow: say so in the note
        return _synthetic_image(), f"camera.png unavailable ({e!r}): the synthetic 512x512 image, as mlinalg"


def _rank_k_errors(img, u, s, vt) -> dict:
    """||A - A_k||_F / ||A||_F for k in {5, 20, 50, 100}, from the factors."""
    import numpy as np

    norm = np.linalg.norm(img)
    return {f"rel_fro_err_k{k}": float(np.linalg.norm(img - (u[:, :k] * s[:k]) @ vt[:k]) / norm)
            for k in (5, 20, 50, 100)}


def _w11(system, call, svd):
    """W11 for a peer: `svd(img)` returns (u, s, vt) as NumPy arrays (or tensors)."""

    def run(t):
        import numpy as np

        img, source = _w11_image()
        samples, f = t.time_keep(lambda: svd(img))
        u, s, vt = (np.asarray(x) for x in f)
        return [(system, f"{call} of {source}; accuracy: ||A - A_k||_F / ||A||_F", samples,
                 {"accuracy": _rank_k_errors(img, u, s, vt)})]

    return run


def _w5a_matrix():
    """W5a: A = X^T X / n with X (4000, 768) f64, as the anchor script."""
    x = _normal(_rng(), (4000, 768), "float64")
    return x.T @ x / 4000


# ---------------------------------------------------------------- NumPy
def np_gemm(n, dtype):
    def run(t):
        import numpy as np

        rng = _rng()
        a = _normal(rng, (n, n), getattr(np, dtype))
        b = _normal(rng, (n, n), getattr(np, dtype))
        return [("numpy", "a @ b", t.time(lambda: a @ b))]

    return run


def np_gemv(t):
    import numpy as np

    rng = _rng()
    a = _normal(rng, (4096, 4096), np.float32)
    x = _normal(rng, 4096, np.float32)
    return [("numpy", "A @ x", t.time(lambda: a @ x))]


def np_batched(t):
    import numpy as np

    rng = _rng()
    x = _normal(rng, (32, 128, 512), np.float32)
    w = _normal(rng, (512, 2048), np.float32)
    x2 = x.reshape(32 * 128, 512)  # a view, no copy
    return [
        ("numpy-matmul-3d", "x @ W on the 3-D array", t.time(lambda: x @ w)),
        ("numpy-2d-view", "x.reshape(4096, 512) @ W", t.time(lambda: x2 @ w)),
    ]


W3_SHAPE = (8, 12, 512, 64)


def _w3_inputs():
    """W3a/W3b: q, k, v (8, 12, 512, 64) f32, in that order from one generator."""
    import numpy as np

    rng = _rng()
    return tuple(_normal(rng, W3_SHAPE, np.float32) for _ in range(3))


def np_attention(causal):
    """softmax(q k^T / sqrt(d) [+ causal mask]) v with batched matmul, the softmax stabilised by
    the row maximum, in f32 (NumPy's matmul on 4-D arrays: a loop of OpenBLAS GEMMs)."""

    def run(t):
        import numpy as np

        q, k, v = _w3_inputs()
        scale = np.float32(1.0 / np.sqrt(W3_SHAPE[-1]))
        kt = k.transpose(0, 1, 3, 2)
        above = ~np.tri(W3_SHAPE[2], dtype=bool)

        def sdpa():
            s = (q @ kt) * scale
            if causal:
                s[..., above] = -np.inf
            s -= s.max(axis=-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
            return s @ v

        note = "softmax(q @ k^T / sqrt(d)" + (" + causal mask" if causal else "") + ") @ v, batched matmul"
        return [("numpy", note, t.time(sdpa))]

    return run


def np_svd(m, n, dtype):
    def run(t):
        import numpy as np

        a = _normal(_rng(), (m, n), getattr(np, dtype))
        return [("numpy", "np.linalg.svd(a, full_matrices=False)", t.time(lambda: np.linalg.svd(a, full_matrices=False)))]

    return run


def np_svdvals(t):
    import numpy as np

    a = _normal(_rng(), (2304, 768), np.float32)
    return [("numpy", "np.linalg.svd(a, compute_uv=False)", t.time(lambda: np.linalg.svd(a, compute_uv=False)))]


def np_eigh(t):
    import numpy as np

    a = _w5a_matrix()
    return [("numpy", "np.linalg.eigh(a)", t.time(lambda: np.linalg.eigh(a)))]


def np_eig(t):
    import numpy as np

    a = _normal(_rng(), (512, 512), np.float64)
    return [("numpy", "np.linalg.eig(a)", t.time(lambda: np.linalg.eig(a)))]


def np_solve_inv(t):
    import numpy as np

    rng = _rng()
    a = _normal(rng, (1024, 1024), np.float64)
    b = _normal(rng, (1024, 1), np.float64)
    return [
        ("numpy", "np.linalg.solve(a, b), b (1024, 1)", t.time(lambda: np.linalg.solve(a, b)), {"task": "solve"}),
        ("numpy", "np.linalg.inv(a)", t.time(lambda: np.linalg.inv(a)), {"task": "inv"}),
    ]


def _einsum_operands(shapes):
    import numpy as np

    rng = _rng()
    return [_normal(rng, s, np.float32) for s in shapes]


def np_einsum_w10(t):
    import numpy as np

    q, k = _einsum_operands([(8, 12, 128, 64), (8, 12, 128, 64)])
    return [("numpy", "np.einsum('bhid,bhjd->bhij', q, k, optimize=True)",
             t.time(lambda: np.einsum("bhid,bhjd->bhij", q, k, optimize=True)))]


def np_einsum_table(t):
    import numpy as np

    from workloads import EINSUM_TABLE

    out = []
    for task, spec, shapes in EINSUM_TABLE:
        ops = _einsum_operands(shapes)
        out.append(("numpy", "np.einsum(spec, *ops, optimize=True)",
                    t.time(lambda: np.einsum(spec, *ops, optimize=True)), {"task": task}))
    return out


def _np_svd_thin(img):
    import numpy as np

    return np.linalg.svd(img, full_matrices=False)


NUMPY = {
    "W1a": np_gemm(1024, "float32"),
    "W1b": np_gemm(2048, "float32"),
    "W1c": np_gemm(2048, "float64"),
    "W1d": np_gemv,
    "W2": np_batched,
    "W3a": np_attention(False),
    "W3b": np_attention(True),
    "W4a": np_svd(1000, 768, "float64"),
    "W4b": np_svd(2304, 768, "float32"),
    "W4c": np_svdvals,
    "W5a": np_eigh,
    "W5b": np_eig,
    "W8": lambda t: np_knn(t),
    "W10": np_einsum_w10,
    "W10-table": np_einsum_table,
    "W11": _w11("numpy", "np.linalg.svd(img, full_matrices=False)", _np_svd_thin),
    "W12": np_solve_inv,
}


# ---------------------------------------------------------------- SciPy (its own OpenBLAS, LAPACK defaults)
def sp_svd(m, n, dtype):
    def run(t):
        import numpy as np
        import scipy.linalg as sl

        a = _normal(_rng(), (m, n), getattr(np, dtype))
        return [("scipy", "scipy.linalg.svd(a, full_matrices=False) (gesdd)",
                 t.time(lambda: sl.svd(a, full_matrices=False)))]

    return run


def sp_svdvals(t):
    import numpy as np
    import scipy.linalg as sl

    a = _normal(_rng(), (2304, 768), np.float32)
    return [("scipy", "scipy.linalg.svdvals(a)", t.time(lambda: sl.svdvals(a)))]


def sp_eigh(t):
    import scipy.linalg as sl

    a = _w5a_matrix()
    return [("scipy", "scipy.linalg.eigh(a) (evr)", t.time(lambda: sl.eigh(a)))]


def sp_eig(t):
    import numpy as np
    import scipy.linalg as sl

    a = _normal(_rng(), (512, 512), np.float64)
    return [("scipy", "scipy.linalg.eig(a)", t.time(lambda: sl.eig(a)))]


def sp_solve_inv(t):
    import numpy as np
    import scipy.linalg as sl

    rng = _rng()
    a = _normal(rng, (1024, 1024), np.float64)
    b = _normal(rng, (1024, 1), np.float64)
    return [
        ("scipy", "scipy.linalg.solve(a, b), b (1024, 1)", t.time(lambda: sl.solve(a, b)), {"task": "solve"}),
        ("scipy", "scipy.linalg.inv(a)", t.time(lambda: sl.inv(a)), {"task": "inv"}),
    ]


def _sp_svd_thin(img):
    import scipy.linalg as sl

    return sl.svd(img, full_matrices=False)


SCIPY = {
    "W4a": sp_svd(1000, 768, "float64"),
    "W4b": sp_svd(2304, 768, "float32"),
    "W4c": sp_svdvals,
    "W5a": sp_eigh,
    "W5b": sp_eig,
    "W11": _w11("scipy", "scipy.linalg.svd(img, full_matrices=False)", _sp_svd_thin),
    "W12": sp_solve_inv,
}


# ---------------------------------------------------------------- PyTorch CPU
def torch_gemm(n, dtype):
    def run(t):
        import numpy as np
        import torch

        rng = _rng()
        a = torch.from_numpy(_normal(rng, (n, n), getattr(np, dtype)))
        b = torch.from_numpy(_normal(rng, (n, n), getattr(np, dtype)))
        with torch.inference_mode():
            return [("torch", "torch.matmul(a, b)", t.time(lambda: torch.matmul(a, b)))]

    return run


def torch_gemv(t):
    import numpy as np
    import torch

    rng = _rng()
    a = torch.from_numpy(_normal(rng, (4096, 4096), np.float32))
    x = torch.from_numpy(_normal(rng, 4096, np.float32))
    with torch.inference_mode():
        return [("torch", "torch.mv(A, x)", t.time(lambda: torch.mv(a, x)))]


def torch_batched(t):
    import numpy as np
    import torch

    rng = _rng()
    x = torch.from_numpy(_normal(rng, (32, 128, 512), np.float32))
    w = torch.from_numpy(_normal(rng, (512, 2048), np.float32))
    with torch.inference_mode():
        return [("torch", "torch.matmul(x, W)", t.time(lambda: torch.matmul(x, w)))]


def torch_attention(causal):
    def run(t):
        import torch
        import torch.nn.functional as F

        q, k, v = (torch.from_numpy(x) for x in _w3_inputs())
        with torch.inference_mode():
            return [("torch", f"F.scaled_dot_product_attention(q, k, v, is_causal={causal})",
                     t.time(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)))]

    return run


def torch_svd(m, n, dtype):
    def run(t):
        import numpy as np
        import torch

        a = torch.from_numpy(_normal(_rng(), (m, n), getattr(np, dtype)))
        with torch.inference_mode():
            return [("torch", "torch.linalg.svd(a, full_matrices=False)",
                     t.time(lambda: torch.linalg.svd(a, full_matrices=False)))]

    return run


def torch_svdvals(t):
    import numpy as np
    import torch

    a = torch.from_numpy(_normal(_rng(), (2304, 768), np.float32))
    with torch.inference_mode():
        return [("torch", "torch.linalg.svdvals(a)", t.time(lambda: torch.linalg.svdvals(a)))]


def torch_eigh(t):
    import torch

    a = torch.from_numpy(_w5a_matrix())
    with torch.inference_mode():
        return [("torch", "torch.linalg.eigh(a)", t.time(lambda: torch.linalg.eigh(a)))]


def torch_eig(t):
    import numpy as np
    import torch

    a = torch.from_numpy(_normal(_rng(), (512, 512), np.float64))
    with torch.inference_mode():
        return [("torch", "torch.linalg.eig(a)", t.time(lambda: torch.linalg.eig(a)))]


def torch_solve_inv(t):
    import numpy as np
    import torch

    rng = _rng()
    a = torch.from_numpy(_normal(rng, (1024, 1024), np.float64))
    b = torch.from_numpy(_normal(rng, (1024, 1), np.float64))
    with torch.inference_mode():
        return [
            ("torch", "torch.linalg.solve(a, b), b (1024, 1)", t.time(lambda: torch.linalg.solve(a, b)),
             {"task": "solve"}),
            ("torch", "torch.linalg.inv(a)", t.time(lambda: torch.linalg.inv(a)), {"task": "inv"}),
        ]


def torch_lowrank(t):
    """W7: torch.svd_lowrank with q = 74 (64 + scikit-learn's 10 oversamples; torch's default q
    is 6), at torch's default niter=2 (task "niter2") and at scikit-learn's 7 ("niter7")."""
    import torch

    g_np = _w7_matrix()
    g = torch.from_numpy(g_np)
    torch.manual_seed(0)
    kept = []
    with torch.inference_mode():
        for niter in (7, 2):
            samples, f = t.time_keep(lambda: torch.svd_lowrank(g, q=74, niter=niter))
            kept.append((f"niter{niter}", f"torch.svd_lowrank(g, q=74, niter={niter}), top 64 kept", samples,
                         f[1][:64].numpy()))
    exact = _w7_exact(g_np)
    return [("torch-svd_lowrank", note, samples, {"task": task, "accuracy": _sv_errors(s, exact)})
            for task, note, samples, s in kept]


def torch_einsum_w10(t):
    import torch

    q, k = [torch.from_numpy(a) for a in _einsum_operands([(8, 12, 128, 64), (8, 12, 128, 64)])]
    with torch.inference_mode():
        return [("torch", "torch.einsum('bhid,bhjd->bhij', q, k)",
                 t.time(lambda: torch.einsum("bhid,bhjd->bhij", q, k)))]


def torch_einsum_table(t):
    import torch

    from workloads import EINSUM_TABLE

    out = []
    with torch.inference_mode():
        for task, spec, shapes in EINSUM_TABLE:
            ops = [torch.from_numpy(a) for a in _einsum_operands(shapes)]
            out.append(("torch", "torch.einsum(spec, *ops)", t.time(lambda: torch.einsum(spec, *ops)),
                        {"task": task}))
    return out


def _torch_svd_thin(img):
    import torch

    with torch.inference_mode():
        u, s, vt = torch.linalg.svd(torch.from_numpy(img), full_matrices=False)
    return u.numpy(), s.numpy(), vt.numpy()


TORCH = {
    "W1a": torch_gemm(1024, "float32"),
    "W1b": torch_gemm(2048, "float32"),
    "W1c": torch_gemm(2048, "float64"),
    "W1d": torch_gemv,
    "W2": torch_batched,
    "W3a": torch_attention(False),
    "W3b": torch_attention(True),
    "W4a": torch_svd(1000, 768, "float64"),
    "W4b": torch_svd(2304, 768, "float32"),
    "W4c": torch_svdvals,
    "W5a": torch_eigh,
    "W5b": torch_eig,
    "W7": torch_lowrank,
    "W8": lambda t: torch_knn(t),
    "W10": torch_einsum_w10,
    "W10-table": torch_einsum_table,
    "W11": _w11("torch", "torch.linalg.svd(img, full_matrices=False)", _torch_svd_thin),
    "W12": torch_solve_inv,
}


# ---------------------------------------------------------------- scikit-learn
def sk_pca(t):
    """W6: PCA(128, svd_solver=...).fit_transform for each solver; full first, as the accuracy
    reference (explained_variance_ratio_) of the other two."""
    import numpy as np
    from sklearn.decomposition import PCA

    x = _w6_data()
    out, reference = [], None
    for solver in ("full", "covariance_eigh", "randomized"):
        timer = t.at_most(1) if solver == "full" else t

        def fit(solver=solver):
            pca = PCA(n_components=128, svd_solver=solver, random_state=0)
            pca.fit_transform(x)
            return pca

        samples, pca = timer.time_keep(fit)
        evr = np.asarray(pca.explained_variance_ratio_, dtype=np.float64)
        note = f"PCA(128, svd_solver={solver!r}, random_state=0).fit_transform(x); {timer.runs} timed run(s), no warm-up; "
        if solver == "full":
            reference = evr
            out.append(("sklearn", note + "the accuracy reference of the other solvers", samples, {"task": solver}))
        else:
            acc = {"evr_max_rel_diff_vs_full": float(np.max(np.abs(evr - reference) / reference))}
            out.append(("sklearn", note + "accuracy: max relative difference of explained_variance_ratio_ vs sklearn full",
                        samples, {"task": solver, "accuracy": acc}))
    return out


def sk_randomized_svd(t):
    """W7: sklearn.utils.extmath.randomized_svd(g, 64) with its defaults (10 oversamples, 7 power
    iterations for this shape, LU normalisation)."""
    from sklearn.utils.extmath import randomized_svd

    g = _w7_matrix()
    samples, f = t.time_keep(lambda: randomized_svd(g, 64, random_state=0))
    return [("sklearn-randomized_svd", "randomized_svd(g, 64, random_state=0), defaults (7 power iterations)",
             samples, {"task": "niter7", "accuracy": _sv_errors(f[1], _w7_exact(g))})]


SKLEARN = {
    "W6": sk_pca,
    "W7": sk_randomized_svd,
}

# ---------------------------------------------------------------- W8 / W9: search (inputs shared with the Rust side)
W9_EFS = (10, 16, 24, 32, 48, 64, 128, 256)  # the same sweep as compare/src/main.rs


def _w8_arrays(rng):
    import numpy as np

    base = rng.standard_normal((100000, 768)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    qs = rng.standard_normal((1000, 768)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    return {"w8_base": base, "w8_queries": qs}


def _w9_arrays(rng):
    """The anchors' clustered generator (shared/bench/anchors/cpu_peers_linalg_hnsw.py): 1000
    centres, noise 0.6, normalised; the exact top-10 by inner product as ground truth."""
    import numpy as np

    centers = rng.standard_normal((1000, 768)).astype(np.float32)
    lab = rng.integers(0, 1000, 100000)
    base = centers[lab] + 0.6 * rng.standard_normal((100000, 768)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    ql = rng.integers(0, 1000, 1000)
    qs = centers[ql] + 0.6 * rng.standard_normal((1000, 768)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    gt = np.empty((1000, 10), dtype=np.int64)
    for i in range(0, 1000, 100):  # exact, in float64 to settle near-ties the same way everywhere
        sims = qs[i:i + 100].astype(np.float64) @ base.T.astype(np.float64)
        top = np.argpartition(-sims, 10, axis=1)[:, :10]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        gt[i:i + 100] = np.take_along_axis(top, order, axis=1)
    return {"w9_base": base, "w9_queries": qs, "w9_gt": gt}


def prepare(ids) -> None:
    """Writes the W8/W9 inputs to compare/.cache (once): every side reads the same numbers."""
    import numpy as np

    os.makedirs(CACHE, exist_ok=True)
    for wid, make in (("W8", _w8_arrays), ("W9", _w9_arrays)):
        if wid not in ids:
            continue
        names = {"W8": ("w8_base", "w8_queries"), "W9": ("w9_base", "w9_queries", "w9_gt")}[wid]
        if all(os.path.exists(os.path.join(CACHE, n + ".npy")) for n in names):
            continue
        for name, arr in make(np.random.default_rng(0)).items():
            tmp = os.path.join(CACHE, name + ".tmp.npy")
            np.save(tmp, arr)
            os.replace(tmp, os.path.join(CACHE, name + ".npy"))


def _load(*names):
    import numpy as np

    return [np.load(os.path.join(CACHE, n + ".npy")) for n in names]


def np_knn(t):
    """W8: brute force as NumPy users write it: one matmul, argpartition, then a sort of the 10."""
    import numpy as np

    base, qs = _load("w8_base", "w8_queries")

    def knn():
        sims = qs @ base.T
        top = np.argpartition(-sims, 10, axis=1)[:, :10]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)

    return [("numpy", "qs @ base.T, argpartition, argsort of the top 10", t.time(knn))]


def torch_knn(t):
    """W8: torch.topk(qs @ base.T, 10)."""
    import torch

    base, qs = (torch.from_numpy(a) for a in _load("w8_base", "w8_queries"))

    def knn():
        with torch.inference_mode():
            return torch.topk(qs @ base.T, 10, dim=1)

    return [("torch", "torch.topk(qs @ base.T, 10)", t.time(knn))]


def faiss_flat(t):
    """W8: faiss.IndexFlatIP (the anchors' peer)."""
    import faiss

    faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", THREADS_DEFAULT)))
    base, qs = _load("w8_base", "w8_queries")
    index = faiss.IndexFlatIP(768)
    index.add(base)
    return [("faiss-flatIP", "IndexFlatIP.search(qs, 10)", t.time(lambda: index.search(qs, 10)))]


def _w9_sweep(t, system, note, build, search):
    """Builds once (timed), sweeps W9_EFS (1 warm-up, 3 timed runs each), then times the fastest
    ef with recall@10 >= 0.95 with the workload's runs (the Rust side does the same)."""
    import numpy as np

    base, qs, gt = _load("w9_base", "w9_queries", "w9_gt")
    start = time.perf_counter()
    index = build(base)
    build_s = time.perf_counter() - start
    print(f"W9 {system}: build {build_s:.1f} s", file=sys.stderr, flush=True)
    best = None
    for ef in W9_EFS:
        samples, labels = Timer(1, 3).time_keep(lambda ef=ef: search(index, qs, ef))
        recall = float(np.mean([len(set(labels[i][:10]) & set(gt[i][:10])) / 10 for i in range(len(qs))]))
        med = sorted(samples)[1]
        print(f"W9 {system}: ef {ef}: {1000 / med:.0f} q/s, recall@10 {recall:.4f}", file=sys.stderr, flush=True)
        if recall >= 0.95 and (best is None or med < best[0]):
            best = (med, ef, recall)
    if best is None:
        raise RuntimeError("no swept ef reached recall@10 0.95")
    _, ef, recall = best
    samples = t.time(lambda: search(index, qs, ef))
    return [(system, note, samples, {"accuracy": {"recall@10": recall, "ef": ef, "build_s": build_s}})]


def faiss_hnsw(t):
    """W9: faiss.IndexHNSWFlat(768, 16, METRIC_INNER_PRODUCT), efConstruction 200."""
    import faiss

    faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", THREADS_DEFAULT)))

    def build(base):
        index = faiss.IndexHNSWFlat(768, 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        index.add(base)
        return index

    def search(index, qs, ef):
        index.hnsw.efSearch = ef
        return index.search(qs, 10)[1]

    return _w9_sweep(t, "faiss-hnsw", "IndexHNSWFlat(768, 16, IP), efConstruction 200; best ef with recall@10 >= 0.95",
                     build, search)


def hnswlib_hnsw(t):
    """W9: hnswlib.Index(space="ip"), M 16, ef_construction 200 (the anchors' peer)."""
    import hnswlib

    threads = int(os.environ.get("OMP_NUM_THREADS", THREADS_DEFAULT))

    def build(base):
        index = hnswlib.Index(space="ip", dim=768)
        index.init_index(max_elements=len(base), ef_construction=200, M=16)
        index.set_num_threads(threads)
        index.add_items(base)
        return index

    def search(index, qs, ef):
        index.set_ef(ef)
        return index.knn_query(qs, k=10)[0]

    return _w9_sweep(t, "hnswlib", "Index(space='ip', M=16, ef_construction=200); best ef with recall@10 >= 0.95",
                     build, search)


FAISS = {"W8": faiss_flat, "W9": faiss_hnsw}
HNSWLIB = {"W9": hnswlib_hnsw}


PEERS = {"numpy": NUMPY, "scipy": SCIPY, "torch": TORCH, "sklearn": SKLEARN, "faiss": FAISS, "hnswlib": HNSWLIB}


def peer_info(peer: str, threads: int) -> dict:
    """Versions, threads and the BLAS kernels threadpoolctl sees (OpenBLAS's core type above all)."""
    import numpy as np

    info = {"peer": peer, "numpy": np.__version__, "python": sys.version.split()[0]}
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        info[var] = os.environ.get(var)
    if peer in ("scipy", "sklearn"):
        import scipy
        import scipy.linalg  # noqa: F401  loads SciPy's own OpenBLAS, so threadpoolctl sees and limits it

        info["scipy"] = scipy.__version__
    if peer == "sklearn":
        import sklearn

        info["sklearn"] = sklearn.__version__
    if peer == "faiss":
        import faiss

        info["faiss"] = faiss.__version__
    if peer == "hnswlib":
        import importlib.metadata

        info["hnswlib"] = importlib.metadata.version("hnswlib")
    if peer == "torch":
        import torch

        torch.set_num_threads(threads)
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_mkl"] = torch.backends.mkl.is_available()
        info["torch_mkldnn"] = torch.backends.mkldnn.is_available()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(threads)
        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")}
            for p in threadpool_info()
        ]
    except Exception as e:  # report, never hide
        info["threadpools_error"] = repr(e)
    return info


def main(argv=None) -> int:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", choices=sorted(PEERS))
    ap.add_argument("--prepare", metavar="IDS", help="only write the W8/W9 inputs to compare/.cache (e.g. W8,W9)")
    ap.add_argument("--workloads", "-w", default="", help="comma-separated ids (default: all)")
    ap.add_argument("--repeats", "-r", type=int, default=7, help="timed runs (median reported)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    ap.add_argument("--threads", type=int, default=THREADS_DEFAULT)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    if args.prepare:
        prepare([w.id for w in workloads.select(args.prepare)])
        return 0
    if not args.peer:
        ap.error("--peer is required (or --prepare)")
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    _set_thread_env(args.threads)

    info = peer_info(args.peer, args.threads)
    table = PEERS[args.peer]
    results = []
    for w in workloads.select(args.workloads):
        fn = table.get(w.id)
        if fn is None:
            continue  # this peer has no implementation of this workload
        timer = Timer(w.warmups(args.warmup), w.runs(args.repeats))
        try:
            measured = fn(timer)
        except Exception as e:
            results.append({"workload": w.id, "system": args.peer, "error": repr(e)})
            continue
        for system, note, samples, *extra in measured:
            extra = extra[0] if extra else {}
            med = workloads.median(samples)
            results.append(
                {
                    "workload": w.id,
                    "task": extra.get("task", ""),
                    "system": system,
                    "note": note,
                    "unit": w.unit,
                    "median_s": med,
                    "figure": w.figure(med),
                    "samples_s": samples,
                    "accuracy": extra.get("accuracy", {}),
                }
            )
    if args.json:
        print(json.dumps({"side": args.peer, "info": info, "results": results}))
    else:
        for p in info.get("threadpools", []):
            print(f"# {p['internal_api']} {p['version']} {p.get('architecture')} threads={p['num_threads']}")
        for r in results:
            wid = f"{r['workload']} {r.get('task', '')}".strip()
            if "error" in r:
                print(f"{wid:<20} {r['system']:<26} error: {r['error']}")
            else:
                acc = "".join(f"; {k}={v:.3e}" for k, v in r["accuracy"].items())
                print(
                    f"{wid:<20} {r['system']:<26} {r['figure']:9.1f} {r['unit']:<8} "
                    f"median {r['median_s'] * 1e3:9.3f} ms  ({len(r['samples_s'])} runs; {r['note']}{acc})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
