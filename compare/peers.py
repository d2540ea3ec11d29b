"""The Python side of compare/: times one peer (NumPy or PyTorch CPU) on the workloads of
shared/bench/WORKLOADS.md and prints the timings (a table, or JSON with --json).

Run by compare/run.py in its virtualenv, one process per peer and workload, with the thread count
set and, for NumPy, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (see shared/bench/anchors/README.md).
Alone:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE compare/.venv/bin/python compare/peers.py --peer numpy

Inputs: numpy.random.default_rng(0).standard_normal per workload, cast to the workload's dtype
(torch gets the same arrays through torch.from_numpy). Timing: `--warmup` untimed calls, then
`--repeats` timed calls (at least the workload's min_runs); the caller takes the median.
Adding a workload: a function `(timer) -> [(system, note, samples)]` in NUMPY / TORCH below.
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


def _rng():
    import numpy as np

    return np.random.default_rng(0)


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


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


NUMPY = {
    "W1a": np_gemm(1024, "float32"),
    "W1b": np_gemm(2048, "float32"),
    "W1c": np_gemm(2048, "float64"),
    "W1d": np_gemv,
    "W2": np_batched,
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


TORCH = {
    "W1a": torch_gemm(1024, "float32"),
    "W1b": torch_gemm(2048, "float32"),
    "W1c": torch_gemm(2048, "float64"),
    "W1d": torch_gemv,
    "W2": torch_batched,
}

PEERS = {"numpy": NUMPY, "torch": TORCH}


def peer_info(peer: str, threads: int) -> dict:
    """Versions, threads and the BLAS kernels threadpoolctl sees (OpenBLAS's core type above all)."""
    import numpy as np

    info = {"peer": peer, "numpy": np.__version__, "python": sys.version.split()[0]}
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        info[var] = os.environ.get(var)
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
    ap.add_argument("--peer", required=True, choices=sorted(PEERS))
    ap.add_argument("--workloads", "-w", default="", help="comma-separated ids (default: all)")
    ap.add_argument("--repeats", "-r", type=int, default=7, help="timed runs (median reported)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    ap.add_argument("--threads", type=int, default=THREADS_DEFAULT)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
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
        timer = Timer(args.warmup, max(args.repeats, w.min_runs))
        try:
            measured = fn(timer)
        except Exception as e:
            results.append({"workload": w.id, "system": args.peer, "error": repr(e)})
            continue
        for system, note, samples in measured:
            med = workloads.median(samples)
            results.append(
                {
                    "workload": w.id,
                    "system": system,
                    "note": note,
                    "unit": w.unit,
                    "median_s": med,
                    "figure": w.figure(med),
                    "samples_s": samples,
                }
            )
    if args.json:
        print(json.dumps({"side": args.peer, "info": info, "results": results}))
    else:
        for p in info.get("threadpools", []):
            print(f"# {p['internal_api']} {p['version']} {p.get('architecture')} threads={p['num_threads']}")
        for r in results:
            if "error" in r:
                print(f"{r['workload']:<5} {r['system']:<18} error: {r['error']}")
            else:
                print(
                    f"{r['workload']:<5} {r['system']:<18} {r['figure']:9.1f} {r['unit']:<8} "
                    f"median {r['median_s'] * 1e3:9.3f} ms  ({len(r['samples_s'])} runs; {r['note']})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
