#!/usr/bin/env python3
"""compare/: mlinalg against its Python peers (NumPy, SciPy, PyTorch CPU, scikit-learn), same
workloads, same run.

    python3 compare/run.py [--workloads W1a,W1b,...] [--repeats N] [--rounds K] [--json FILE|-]

1. Puts numpy, scipy, torch, scikit-learn, pillow and threadpoolctl in compare/.venv if they are
   missing (first run: several minutes; PyPI's torch wheel is large).
2. Builds the Rust side (`cargo build --release -p mlinalg-compare`).
3. For each round and each workload, in turn: the mlinalg binary, then one process per peer that
   implements the workload, each timing `--warmup` untimed and `--repeats` timed calls (within the
   workload's min_runs/max_runs) on seeded inputs, with 2 threads (RAYON_NUM_THREADS,
   OMP/OPENBLAS/MKL_NUM_THREADS, threadpoolctl, torch.set_num_threads). The OpenBLAS peers'
   processes (NumPy, SciPy, scikit-learn) run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
   (shared/bench/anchors/README.md).
4. Prints, per workload and task (W6: the PCA solver, W12: solve / inv): mlinalg's figure
   (median), the best peer and its figure, and the speed ratio (> 1: mlinalg faster; for GFLOP/s
   and GB/s it is mlinalg/peer, for ms peer/mlinalg), then the accuracy figures the workloads
   report (W6, W7, W11). With --rounds K > 1 each figure is the median of the K per-round medians.

Only the standard library is needed to run this script; it runs the peers in the virtualenv.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import peers as peer_tables  # noqa: E402  (standard library only at import time)
import workloads  # noqa: E402

VENV = os.path.join(HERE, ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
# What each peer needs in the virtualenv: (module to import, package to pip install).
BASE_MODULES = [("numpy", "numpy"), ("threadpoolctl", "threadpoolctl"), ("PIL", "pillow")]
PEER_MODULES = {
    "numpy": [],
    "scipy": [("scipy", "scipy")],
    "torch": [("torch", "torch")],
    "sklearn": [("sklearn", "scikit-learn"), ("scipy", "scipy")],
    "faiss": [("faiss", "faiss-cpu")],
    "hnswlib": [("hnswlib", "hnswlib")],  # 0.8.0 builds from source with g++
}
ALL_PEERS = list(PEER_MODULES)
# Unset for the peers on OpenBLAS (NumPy's, and SciPy's own): see shared/bench/anchors/README.md.
OPENBLAS_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OPENBLAS_PEERS = ("numpy", "scipy", "sklearn")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_venv(peers: list[str]) -> None:
    if not os.path.exists(VENV_PY):
        log(f"creating {os.path.relpath(VENV, ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    needed = dict(BASE_MODULES + [m for p in peers for m in PEER_MODULES[p]])
    wanted = list(needed)
    probe = "import importlib.util as u, sys; print(','.join(m for m in sys.argv[1:] if u.find_spec(m) is None))"
    missing = subprocess.run([VENV_PY, "-c", probe, *wanted], capture_output=True, text=True, check=True).stdout.strip()
    if missing:
        pkgs = [needed[m] for m in missing.split(",")]
        log(f"installing {' '.join(pkgs)} into {os.path.relpath(VENV, ROOT)} (torch is a large download)")
        subprocess.run([VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *pkgs], check=True)


def build_rust() -> str:
    """Builds mlinalg-compare in release mode; returns the path of the executable."""
    log("building mlinalg-compare (cargo build --release -p mlinalg-compare)")
    cmd = ["cargo", "build", "--release", "-p", "mlinalg-compare", "--message-format=json-render-diagnostics"]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "mlinalg-compare":
            exe = msg.get("executable") or exe
    if proc.returncode != 0 or not exe:
        raise SystemExit(f"cargo build of mlinalg-compare failed (exit {proc.returncode})")
    return exe


def thread_env(threads: int, unset=()) -> dict:
    env = dict(os.environ)
    for var in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    for var in unset:
        env.pop(var, None)
    return env


def run_json(cmd: list[str], env: dict) -> dict:
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.stderr.strip():
        log(proc.stderr.rstrip())
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode} without JSON:\n{proc.stdout}")


def machine_info() -> dict:
    info = {"platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            info["thp"] = f.read().strip()
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        info["mlinalg_commit"] = commit.stdout.strip()
        info["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def label(workload: str, task: str) -> str:
    return f"{workload} {task}" if task else workload


def fmt(x: float) -> str:
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="mlinalg vs NumPy and PyTorch CPU on shared/bench/WORKLOADS.md, same run",
        epilog="example: python3 compare/run.py --workloads W1a,W2 --repeats 9 --json compare.json",
    )
    ap.add_argument("--workloads", "-w", default="", help="comma-separated ids (default: all: "
                    + ",".join(w.id for w in workloads.WORKLOADS) + ")")
    ap.add_argument("--repeats", "-r", type=int, default=7, help="timed runs per workload and system, >= 5 (default 7)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the whole interleaved sequence K times (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every system (default 2)")
    ap.add_argument("--peers", default=",".join(ALL_PEERS), help="comma-separated peers (default: all: "
                    + ",".join(ALL_PEERS) + ")")
    ap.add_argument("--json", metavar="FILE", help="write all results as JSON to FILE ('-': stdout, no table)")
    ap.add_argument("--all", action="store_true", help="also list every system's figure, not only the best peer")
    args = ap.parse_args(argv)
    if args.repeats < 5:
        ap.error("--repeats must be at least 5 (WORKLOADS.md: median of >= 5 timed runs)")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in ALL_PEERS:
            ap.error(f"unknown peer {p!r}; known: {', '.join(ALL_PEERS)}")
    selected = workloads.select(args.workloads)

    # Only the peers that implement a selected workload run (and need their packages).
    peers = [p for p in peers if any(w.id in peer_tables.PEERS[p] for w in selected)]
    ensure_venv(peers)
    exe = build_rust()
    prep = [w.id for w in selected if w.id in ("W8", "W9")]
    if prep:  # the inputs every side reads (compare/.cache, written once)
        log(f"preparing the inputs of {','.join(prep)} in compare/.cache")
        subprocess.run([VENV_PY, os.path.join(HERE, "peers.py"), "--prepare", ",".join(prep)], cwd=ROOT, check=True)

    load_before = os.getloadavg()
    log(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
        f"on {os.cpu_count()} CPUs" + ("  (machine busy: figures will be noisy)" if load_before[0] > 0.5 else ""))

    # (workload, task, system) -> {"side", "note", "round_medians": [...], "samples": [[...], ...],
    # "accuracy": {...}}
    measured: dict = {}
    peer_info: dict = {}
    errors = []
    failed: dict = {}  # (workload, task, system) -> side, for systems that reported an error
    t_start = time.time()
    for rnd in range(args.rounds):
        for w in selected:
            runs = w.runs(args.repeats)
            common = ["--workloads", w.id, "--repeats", str(runs), "--warmup", str(w.warmups(args.warmup))]
            steps = [("mlinalg", [exe, *common, "--json"], thread_env(args.threads))]
            for p in peers:
                if w.id not in peer_tables.PEERS[p]:
                    continue  # this peer has no implementation of this workload
                cmd = [VENV_PY, os.path.join(HERE, "peers.py"), "--peer", p, "--threads", str(args.threads), *common, "--json"]
                steps.append((p, cmd, thread_env(args.threads, OPENBLAS_UNSET if p in OPENBLAS_PEERS else ())))
            for side, cmd, env in steps:
                out = run_json(cmd, env)
                if "info" in out:
                    peer_info[side] = out["info"]
                if "rayon_threads" in out:
                    peer_info["mlinalg"] = {"rayon_threads": out["rayon_threads"]}
                for r in out["results"]:
                    task = r.get("task", "")
                    if "error" in r:
                        errors.append(f"{label(r['workload'], task)} {r['system']}: {r['error']}")
                        failed.setdefault((r["workload"], task, r["system"]), side)
                        continue
                    key = (r["workload"], task, r["system"])
                    entry = measured.setdefault(key, {"side": side, "note": r.get("note", ""), "round_medians": [],
                                                      "samples": [], "accuracy": {}})
                    entry["round_medians"].append(workloads.median(r["samples_s"]))
                    entry["samples"].append(r["samples_s"])
                    entry["accuracy"] = r.get("accuracy") or entry["accuracy"]  # the last round's
                short = ", ".join(
                    f"{(r.get('task', '') + ' ') if r.get('task') else ''}{r['system']} "
                    f"{fmt(w.figure(workloads.median(r['samples_s'])))}"
                    for r in out["results"] if "error" not in r
                )
                log(f"[round {rnd + 1}/{args.rounds}] {w.id} {side}: {short or 'error'} {w.unit}")
    load_after = os.getloadavg()

    rows, systems = [], []
    for w in selected:
        # Tasks in the order the systems reported them (mlinalg first), "" for a one-task workload.
        tasks = list(dict.fromkeys([t for (wid, t, _) in measured if wid == w.id]
                                   + [t for (wid, t, _) in failed if wid == w.id])) or [""]
        for task in tasks:
            entries = {sys_: e for (wid, t, sys_), e in measured.items() if wid == w.id and t == task}
            figs = {s: w.figure(workloads.median(e["round_medians"])) for s, e in entries.items()}
            for s, e in entries.items():
                systems.append({"workload": w.id, "task": task, "system": s, "side": e["side"], "note": e["note"],
                                "unit": w.unit, "figure": figs[s], "median_s": workloads.median(e["round_medians"]),
                                "round_medians_s": e["round_medians"], "samples_s": e["samples"],
                                "accuracy": e["accuracy"]})
            peer_figs = {s: f for s, f in figs.items() if entries[s]["side"] != "mlinalg"}
            best = None
            if peer_figs:
                best = (max if w.higher_is_better else min)(peer_figs, key=peer_figs.get)
            ours = [s for s in figs if entries[s]["side"] == "mlinalg"]
            ours += [s for (wid, t, s), side in failed.items()
                     if wid == w.id and t == task and side == "mlinalg" and s not in ours]
            ours.sort(key=lambda s: (s != "mlinalg", s))  # the plain call first, variants after
            for s in ours or [None]:
                row = {"workload": w.id, "task": task, "what": w.what, "unit": w.unit,
                       "higher_is_better": w.higher_is_better, "mlinalg_system": s, "mlinalg": figs.get(s),
                       "best_peer": best, "peer": peer_figs.get(best) if best else None, "ratio": None}
                if s in figs and best is not None:
                    row["ratio"] = w.speed_ratio(figs[s], peer_figs[best])
                rows.append(row)

    report = {
        "command": " ".join(["python3 compare/run.py", *(sys.argv[1:] if argv is None else argv)]),
        "threads": args.threads, "repeats": args.repeats, "warmup": args.warmup, "rounds": args.rounds,
        "load_before": load_before, "load_after": load_after, "wall_s": time.time() - t_start,
        "machine": machine_info(), "peer_info": peer_info, "rows": rows, "systems": systems, "errors": errors,
        "ratio": "speed ratio: > 1 means mlinalg is faster (mlinalg/peer for GFLOP/s and GB/s, peer/mlinalg for ms)",
    }
    if args.json:
        text = json.dumps(report, indent=1)
        if args.json == "-":
            print(text)
            return 1 if errors else 0
        with open(args.json, "w") as f:
            f.write(text + "\n")
        log(f"wrote {args.json}")

    more = ", ".join(f"{w.id}: {w.runs(args.repeats)}" for w in selected if w.runs(args.repeats) != args.repeats)
    print(f"mlinalg vs peers: {args.threads} threads, median of {args.repeats} timed runs"
          + (f" ({more})" if more else "") + f" after {args.warmup} warm-up"
          + (f", median over {args.rounds} rounds" if args.rounds > 1 else ""))
    print("ratio = speed of mlinalg / speed of the best peer (> 1: mlinalg faster)")
    wl = max([9] + [len(label(r["workload"], r["task"])) for r in rows])
    bp = max([16] + [len(r["best_peer"] or "") for r in rows])
    head = (f"{'workload':<{wl}} {'mlinalg':<23} {'figure':>8}  {'best peer':<{bp}} {'figure':>8}  "
            f"{'unit':<8} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ours_label = r["mlinalg_system"] or "-"
        ours = fmt(r["mlinalg"]) if r["mlinalg"] is not None else "n/a"
        peer = fmt(r["peer"]) if r["peer"] is not None else "n/a"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "n/a"
        print(f"{label(r['workload'], r['task']):<{wl}} {ours_label:<23} {ours:>8}  {r['best_peer'] or '-':<{bp}} "
              f"{peer:>8}  {r['unit']:<8} {ratio:>6}")
    accurate = [s for s in systems if s["accuracy"]]
    if accurate:
        print("\naccuracy (each system on its own input, from its own result; see the notes with --all):")
        for s in accurate:
            figures = "  ".join(f"{k}={v:.3g}" for k, v in s["accuracy"].items())
            print(f"  {label(s['workload'], s['task']):<{wl}} {s['system']:<26} {figures}")
    if args.all:
        print("\nevery system:")
        for s in systems:
            spread = [x for rnd in s["samples_s"] for x in rnd]
            print(f"  {label(s['workload'], s['task']):<{wl}} {s['system']:<26} {fmt(s['figure']):>8} {s['unit']:<8} "
                  f"(runs {min(spread) * 1e3:.2f}..{max(spread) * 1e3:.2f} ms; {s['note']})")
    for side, info in peer_info.items():
        if side == "mlinalg":
            print(f"mlinalg: rayon threads {info['rayon_threads']}")
            continue
        pools = "; ".join(f"{p['internal_api']} {p['version']} kernel={p.get('architecture')} threads={p['num_threads']}"
                          for p in info.get("threadpools", []))
        extra = f" torch {info['torch']} (threads {info['torch_threads']}, mkl {info['torch_mkl']})" if side == "torch" else ""
        extra += f" scipy {info['scipy']}" if "scipy" in info else ""
        extra += f" scikit-learn {info['sklearn']}" if "sklearn" in info else ""
        print(f"{side}: numpy {info['numpy']}{extra}; threadpoolctl: {pools or info.get('threadpools_error', 'none')}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    for e in errors:
        print(f"error: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
