"""Peer comparison: segcore vs scikit-learn (and later scipy, fastcluster, linfa) on the same bytes.

Runs every workload in one process, both sides on the same numpy array, 2 threads each, and prints
the median time of each side and the ratio segcore/peer (below 1 = segcore faster). Machines are
noisy: read the ratios, not the absolute times. Against the memory-bandwidth floor the ratio reads
"times the floor" (1 = segcore reads X once per iteration at full bandwidth).

    target/test-venv/bin/python benches/compare.py            # default sizes
    target/test-venv/bin/python benches/compare.py --quick    # small sizes (smoke run)
    target/test-venv/bin/python benches/compare.py --only kmeans

Later issues add rows by appending a `Workload` to WORKLOADS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("RAYON_NUM_THREADS", "2")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import segcore  # noqa: E402


@dataclass
class Workload:
    name: str
    family: str
    ours: Callable[[], object]
    peer_name: str
    peer: Callable[[], object]
    unit_divisor: float = 1.0  # e.g. iterations, to report per-iteration times
    # Peers that cannot run in this process (linfa, the memory-bandwidth floor) are measured by a
    # Rust example on the same bytes: a function returning seconds per unit, or None if unavailable.
    peer_time: Optional[Callable[[], Optional[float]]] = None


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (thread pools, page faults)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KMEANS_BENCH = os.path.join(ROOT, "target", "release", "examples", "kmeans_bench")


def rust_kmeans_bench(x: np.ndarray, k: int, iters: int, cache: Dict[str, Dict[str, str]]) -> Dict[str, str]:
    """linfa-clustering's per-iteration time and the memory-bandwidth floor (bytes of X / a parallel
    read of X, 2 threads) from `benches/programs/kmeans_bench.rs` on the same bytes; {} if not built."""
    key = f"{x.dtype}-{x.shape}-{k}-{iters}"
    if key in cache:
        return cache[key]
    result: Dict[str, str] = {}
    if os.path.exists(KMEANS_BENCH):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.npy")
            np.save(path, np.ascontiguousarray(x))
            out = subprocess.run(
                [KMEANS_BENCH, "--npy", path, "--k", str(k), "--iters", str(iters), "--repeats", "3", "--linfa"],
                check=True, capture_output=True, text=True, env={**os.environ, "RAYON_NUM_THREADS": "2"},
            ).stdout
        result = dict(line.split("=", 1) for line in out.split() if "=" in line)
    cache[key] = result
    return result


def kmeans_workloads(quick: bool) -> List[Workload]:
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans

    rows = []
    cache: Dict[str, Dict[str, str]] = {}
    n = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        x = (rng.standard_normal((n, 16)) + rng.integers(0, 8, size=(n, 1)) * 3.0).astype(dtype)
        init = x[:8].astype(np.float64)
        iters = 20

        def ours(x=x, init=init):
            segcore.KMeans(8, init=init, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd").fit(x)

        def peer(x=x, init=init):
            SkKMeans(8, init=init.astype(x.dtype), n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd").fit(x)

        def from_rust(field, x=x):
            value = rust_kmeans_bench(x, 8, iters, cache).get(field)
            return None if value is None else float(value) / 1e3

        label = f"k-means per Lloyd iteration, {n:,} x 16, k=8, {np.dtype(dtype).name}"
        rows.append(Workload(label, "kmeans", ours, "scikit-learn", peer, unit_divisor=iters))
        rows.append(Workload(label, "kmeans", ours, "linfa-clustering 0.8.1 (Rust example)", peer,
                             unit_divisor=iters, peer_time=lambda f=from_rust: f("linfa_ms_per_iter")))
        rows.append(Workload(label, "kmeans", ours, "memory-bandwidth floor (read X once)", peer,
                             unit_divisor=iters, peer_time=lambda f=from_rust: f("floor_ms_per_iter")))
    x = rng.standard_normal((200_000 if not quick else 20_000, 16)) + rng.integers(0, 8, size=(1,)) * 3.0
    rows.append(
        Workload("k-means defaults (k-means++, n_init=auto), 200,000 x 16, k=8", "kmeans",
                 lambda: segcore.KMeans(8, random_state=0).fit(x), "scikit-learn",
                 lambda: SkKMeans(8, random_state=0).fit(x))
    )
    # Mini-batch: a fixed number of steps (no early stop) of 1024 rows, per step.
    steps = 200

    def mb(cls, x=x):
        return cls(8, batch_size=1024, max_iter=1, max_no_improvement=None, compute_labels=False,
                   init_size=3072, random_state=0)

    n_mb = steps * 1024
    x_mb = x[:n_mb] if x.shape[0] >= n_mb else x
    mb_steps = x_mb.shape[0] // 1024
    rows.append(
        Workload(f"MiniBatchKMeans per step (batch 1024), {x_mb.shape[0]:,} x 16, k=8", "kmeans",
                 lambda: mb(segcore.MiniBatchKMeans).fit(x_mb), "scikit-learn",
                 lambda: mb(SkMiniBatchKMeans).fit(x_mb), unit_divisor=mb_steps)
    )
    return rows


def scaler_workloads(quick: bool) -> List[Workload]:
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    x = np.random.default_rng(1).standard_normal((200_000 if quick else 2_000_000, 16))
    return [
        Workload(f"StandardScaler fit+transform, {x.shape[0]:,} x 16", "preprocessing",
                 lambda: segcore.StandardScaler().fit_transform(x), "scikit-learn",
                 lambda: SkStandardScaler().fit_transform(x))
    ]


def pca_silhouette_workloads(quick: bool) -> List[Workload]:
    """PCA 1M x 32 -> 8 against scikit-learn's fastest solver on tall data (covariance_eigh, which
    its "auto" also picks), and exact silhouette on 50,000 rows (peak memory: see
    silhouette_peak_memory)."""
    from sklearn.decomposition import PCA as SkPCA
    from sklearn.metrics import silhouette_score as sk_silhouette

    rng = np.random.default_rng(2)
    n = 100_000 if quick else 1_000_000
    x = rng.standard_normal((n, 32)) @ rng.standard_normal((32, 32))
    m = 5_000 if quick else 50_000
    y = rng.standard_normal((m, 8)) + rng.integers(0, 8, size=(m, 1)) * 2.0
    labels = segcore.KMeans(8, random_state=0).fit_predict(y)
    return [
        Workload(f"PCA {n:,} x 32 -> 8 (auto / covariance_eigh)", "pca",
                 lambda: segcore.PCA(8).fit(x), "scikit-learn covariance_eigh",
                 lambda: SkPCA(8, svd_solver="covariance_eigh").fit(x)),
        Workload(f"exact silhouette, {m:,} x 8, k=8", "silhouette",
                 lambda: segcore.metrics.silhouette_score(y, labels), "scikit-learn",
                 lambda: sk_silhouette(y, labels)),
    ]


_SILHOUETTE_CHILD = """
import sys, time
import numpy as np


def high_water_kb():
    # VmHWM is per address space, so it starts afresh at exec (ru_maxrss would carry the
    # parent's peak over).
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


side, m = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(2)
y = rng.standard_normal((m, 8)) + rng.integers(0, 8, size=(m, 1)) * 2.0
labels = (np.arange(m) * 7919) % 8
if side == "segcore":
    from segcore.metrics import silhouette_score
else:
    from sklearn.metrics import silhouette_score
before = high_water_kb()
start = time.perf_counter()
silhouette_score(y, labels)
elapsed = time.perf_counter() - start
print(elapsed, before, high_water_kb())
"""


def silhouette_peak_memory(quick: bool) -> None:
    """Exact silhouette in a fresh process per library: time and peak RSS (VmHWM, Linux)."""
    import subprocess
    import sys

    m = 5_000 if quick else 50_000
    print(f"\nexact silhouette, {m:,} x 8, k=8, fresh process each (peak RSS incl. interpreter + imports)")
    for side in ("segcore", "scikit-learn"):
        out = subprocess.run([sys.executable, "-c", _SILHOUETTE_CHILD, side, str(m)], check=True,
                             capture_output=True, text=True).stdout.split()
        elapsed, before, peak = float(out[0]), int(out[1]), int(out[2])
        print(f"  {side:<13} {elapsed * 1e3:>9.1f}ms  peak RSS {peak / 1024:>8.1f} MB "
              f"(+{(peak - before) / 1024:.1f} MB during the call)")


WORKLOAD_FACTORIES = [kmeans_workloads, scaler_workloads, pca_silhouette_workloads]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default=None, help="run one family (kmeans, preprocessing, ...)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print(f"segcore {segcore.__version__}; 2 threads each; medians of {args.repeats} runs")
    print(f"{'workload':<62} {'segcore':>11} {'peer':>11} {'ratio':>7}  peer")
    last_ours: Dict[str, float] = {}  # rows against several peers time segcore once
    with threadpool_limits(limits=2):
        for factory in WORKLOAD_FACTORIES:
            for w in factory(args.quick):
                if args.only and w.family != args.only:
                    continue
                if w.peer_time is not None:
                    peer = w.peer_time()
                    if peer is None:
                        print(f"{w.name:<62} {'':>11} {'skipped':>11} {'':>7}  {w.peer_name}: "
                              "build it with `cargo build --release --example kmeans_bench`")
                        continue
                    ours = last_ours.get(w.name) or median_seconds(w.ours, args.repeats) / w.unit_divisor
                else:
                    ours = median_seconds(w.ours, args.repeats) / w.unit_divisor
                    peer = median_seconds(w.peer, args.repeats) / w.unit_divisor
                last_ours[w.name] = ours
                print(f"{w.name:<62} {ours * 1e3:>9.2f}ms {peer * 1e3:>9.2f}ms {ours / peer:>7.2f}  {w.peer_name}")
    if args.only in (None, "silhouette"):
        silhouette_peak_memory(args.quick)


if __name__ == "__main__":
    main()
