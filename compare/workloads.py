"""The workloads of shared/bench/WORKLOADS.md that compare/ measures, and how each figure is computed.

Shared by run.py (which computes every figure from median seconds, so both sides are scored by one
formula) and peers.py. Adding a workload: add a row here, a function in peers.py's peer tables
(NUMPY, SCIPY, TORCH, SKLEARN, or a new peer), and a row in compare/src/main.rs's WORKLOADS.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    id: str
    what: str
    unit: str  # "GFLOP/s", "GB/s", "q/s" (work / seconds / 1e9, higher is better) or "ms" (lower is better)
    work: float  # FLOPs or bytes for throughput units; unused for "ms"
    min_runs: int = 0  # short workloads take at least this many timed runs
    max_runs: int = 0  # long workloads take at most this many timed runs (0: no cap)
    max_warmup: int = -1  # ... and at most this many warm-up runs (-1: no cap)

    def runs(self, repeats: int) -> int:
        """Timed runs for `--repeats` (the same rule as Workload::timer in compare/src/main.rs)."""
        n = max(repeats, self.min_runs)
        if self.max_runs:
            n = min(n, self.max_runs)
        return max(n, 1)

    def warmups(self, warmup: int) -> int:
        return warmup if self.max_warmup < 0 else min(warmup, self.max_warmup)

    @property
    def higher_is_better(self) -> bool:
        return self.unit != "ms"

    def figure(self, seconds: float) -> float:
        if self.higher_is_better:
            return self.work / seconds / 1e9
        return seconds * 1e3

    def speed_ratio(self, mlinalg_figure: float, peer_figure: float) -> float:
        """mlinalg's speed over the peer's: > 1 means mlinalg is faster, whatever the unit."""
        if self.higher_is_better:
            return mlinalg_figure / peer_figure
        return peer_figure / mlinalg_figure


WORKLOADS = [
    Workload("W1a", "GEMM f32 1024x1024 @ 1024x1024", "GFLOP/s", 2 * 1024**3),
    Workload("W1b", "GEMM f32 2048x2048 @ 2048x2048", "GFLOP/s", 2 * 2048**3),
    Workload("W1c", "GEMM f64 2048x2048 @ 2048x2048", "GFLOP/s", 2 * 2048**3),
    Workload("W1d", "GEMV f32 4096x4096 @ 4096", "GB/s", 4096 * 4096 * 4, min_runs=20),
    Workload("W2", "batched matmul f32 (32,128,512) @ (512,2048)", "GFLOP/s", 2 * 32 * 128 * 512 * 2048),
    Workload("W3a", "attention (SDPA) f32 B=8,H=12,T=512,Dh=64, no mask", "GFLOP/s", 4 * 8 * 12 * 512 * 512 * 64),
    Workload("W3b", "attention (SDPA) f32 B=8,H=12,T=512,Dh=64, causal", "ms", 0),
    Workload("W4a", "SVD economy f64 1000x768 (U, S, Vt)", "ms", 0),
    Workload("W4b", "SVD economy f32 2304x768 (U, S, Vt)", "ms", 0),
    Workload("W4c", "singular values only f32 2304x768", "ms", 0),
    Workload("W5a", "eigh f64 768x768 symmetric (X^T X / n, X 4000x768)", "ms", 0),
    Workload("W5b", "eig general f64 512x512 nonsymmetric", "ms", 0),
    # Seconds per fit: 3 timed runs without warm-up (the full-SVD solver: 1), as the anchor script.
    Workload("W6", "PCA f32 100000x768 -> 128 components, fit + transform, per solver", "ms", 0,
             max_runs=3, max_warmup=0),
    Workload("W7", "randomized truncated SVD f32 4096x4096 -> rank 64", "ms", 0, max_warmup=1),
    # Queries per second (work = 1000 queries x 1e9, so figure() = 1000 / seconds).
    Workload("W8", "exact top-10 kNN f32, inner product on normalised vectors, 100000x768 base, 1000 queries",
             "q/s", 1000 * 1e9, max_runs=5, max_warmup=1),
    # The best q/s over an ef sweep among the efs with recall@10 >= 0.95; build seconds and the ef in
    # the accuracy lines.
    Workload("W9", "HNSW f32 100000x768 clustered, M=16 efC=200, top-10: best q/s at recall@10 >= 0.95",
             "q/s", 1000 * 1e9, max_runs=5, max_warmup=1),
    Workload("W10", "einsum 'bhid,bhjd->bhij' f32 (8,12,128,64) x (8,12,128,64)", "GFLOP/s",
             2 * 8 * 12 * 128 * 128 * 64),
    # One task per row of EINSUM_TABLE: ms per call, mlinalg against the faster of
    # np.einsum(optimize=True) and torch.einsum (target: ratio >= 0.5 on every row).
    Workload("W10-table", "einsum spec table f32 (EINSUM_TABLE), per spec", "ms", 0),
    Workload("W11", "rank-k image SVD f64 512x512 grayscale, k in {5,20,50,100}", "ms", 0),
    Workload("W12", "solve (b 1024x1) / inverse f64 1024x1024", "ms", 0),
]

# W10-table: (task, spec, operand shapes), f32 standard normal operands drawn in order from
# default_rng(0) (ChaCha8 seed 0 on the Rust side). The specs of the fixture table
# (crates/mlinalg/tests/fixtures/gen_einsum.py) at sizes where the call takes 0.1-10 ms.
# Keep in sync with EINSUM_TABLE in compare/src/main.rs (run.py reports a task one side lacks).
EINSUM_TABLE = [
    ("attn_scores", "bhid,bhjd->bhij", [(8, 12, 128, 64), (8, 12, 128, 64)]),
    ("attn_values", "bhij,bhjd->bhid", [(8, 12, 128, 128), (8, 12, 128, 64)]),
    ("attn_k_bkhd", "bhqd,bkhd->bhqk", [(8, 12, 128, 64), (8, 128, 12, 64)]),
    ("linear", "bsd,df->bsf", [(32, 128, 512), (512, 512)]),
    ("linear_wt", "bsd,fd->bsf", [(32, 128, 512), (512, 512)]),
    ("matmul", "ij,jk->ik", [(512, 512), (512, 512)]),
    ("batched_matmul", "bij,bjk->bik", [(64, 128, 64), (64, 64, 128)]),
    ("chain_3", "ij,jk,kl->il", [(256, 1024), (1024, 1024), (1024, 64)]),
    ("bilinear", "bi,ij,bj->b", [(1024, 256), (256, 256), (1024, 256)]),
    ("five_operands", "ea,fb,abcd,gc,hd->efgh", [(16, 16), (16, 16), (16, 16, 16, 16), (16, 16), (16, 16)]),
    ("ellipsis_bcast", "...ij,...jk->...ik", [(8, 1, 64, 64), (4, 64, 64)]),
    ("outer", "i,j->ij", [(2048,), (2048,)]),
    ("hadamard", "ij,ij->ij", [(1024, 1024), (1024, 1024)]),
    ("row_dots", "ij,ij->i", [(4096, 256), (4096, 256)]),
    ("dot", "i,i->", [(1 << 20,), (1 << 20,)]),
    ("transpose", "ij->ji", [(1024, 1024)]),
    ("diagonal", "ii->i", [(2048, 2048)]),
    ("trace", "ii->", [(2048, 2048)]),
    ("batched_trace", "bii->b", [(256, 64, 64)]),
    ("sum_all", "ijk->", [(64, 128, 128)]),
    ("sum_axis", "bsd->bd", [(32, 128, 512)]),
]


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


BY_ID = {w.id.lower(): w for w in WORKLOADS}


def select(ids: str | None) -> list[Workload]:
    """Workloads named in a comma-separated list (case-insensitive), all when `ids` is empty."""
    if not ids:
        return list(WORKLOADS)
    out = []
    for raw in ids.split(","):
        key = raw.strip().lower()
        if key not in BY_ID:
            known = ", ".join(w.id for w in WORKLOADS)
            raise SystemExit(f"unknown workload {raw.strip()!r}; known: {known}")
        out.append(BY_ID[key])
    return out
